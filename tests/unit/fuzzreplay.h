/*
 * fuzzreplay.h - replays the committed corpus of fuzz targets in `make test`, without clang or
 * libFuzzer: every file of tests/fuzz/corpus/NAME goes, in a buffer of its exact size (so the
 * sanitizers of `make SANITIZE=... test` see any read past it), to the target's own entry
 * point with its own checks. So an input that once crashed or misled a parser stays fixed.
 * A replay test (tests/unit/LAYER/test_fuzz_LAYER.c) includes this, then the targets of its
 * layer (#include "../../fuzz/fuzz_NAME.c"), and lists FUZZ_REPLAY_TEST(NAME) in its main.
 * The corpus is found under $MXW_TOP (tests/run.sh sets it) or the current directory.
 * Test-only; needs cmocka.h included before it.
 */
#ifndef MXW_FUZZREPLAY_H
#define MXW_FUZZREPLAY_H

#define FUZZ_REPLAY 1

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_REPLAY_INPUT_MAX (1u << 20)

static char fuzz_replay_input[1024]; /* the corpus file being replayed, for failures */

static void fuzz_replay_fail(const char *cond, const char *file, int line)
{
    fail_msg("%s: %s:%d: promise broken: %s", fuzz_replay_input, file, line, cond);
}

/* One corpus file into a malloc'd buffer of its size; NULL when unreadable or too big. */
static uint8_t *fuzz_replay_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(FUZZ_REPLAY_INPUT_MAX + 1);
    size_t n = f && data ? fread(data, 1, FUZZ_REPLAY_INPUT_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    if (!f || !data || n > FUZZ_REPLAY_INPUT_MAX) {
        free(data);
        return NULL;
    }
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, data, n);
    free(data);
    *len = n;
    return exact;
}

/* Feeds every file of tests/fuzz/corpus/<name> to entry; returns how many. */
static size_t fuzz_replay_dir(const char *name, int (*entry)(const uint8_t *, size_t))
{
    const char *top = getenv("MXW_TOP");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", name);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open corpus %s", dir);
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(fuzz_replay_input, sizeof fuzz_replay_input, "%s/%s", dir, e->d_name);
        size_t len = 0;
        uint8_t *data = fuzz_replay_read(fuzz_replay_input, &len);
        if (!data)
            fail_msg("cannot read %s", fuzz_replay_input);
        entry(data, len);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

/* A test that replays corpus NAME through fuzz_NAME; a corpus has at least its seeds. */
#define FUZZ_REPLAY_TEST(name)                                                                     \
    static void name##_corpus_replays_cleanly(void **state)                                        \
    {                                                                                              \
        (void)state;                                                                               \
        assert_true(fuzz_replay_dir(#name, fuzz_##name) >= 3);                                     \
    }

#endif
