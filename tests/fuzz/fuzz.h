/*
 * fuzz.h - what every libFuzzer target in tests/fuzz/ shares. Its entry point FUZZ_ENTRY(NAME)
 * is LLVMFuzzerTestOneInput in the fuzz build (`make fuzz`), and a static fuzz_NAME when a
 * unit test includes the target to replay its corpus (tests/unit/fuzzreplay.h, which defines
 * FUZZ_REPLAY); FUZZ_CHECK(cond), a promise of the parser's header, aborts in the first and
 * fails the test naming the input in the second. The helpers cut an input into pieces the
 * same way in both, so a corpus file replays exactly what the fuzzer ran. Test-only.
 */
#ifndef MXW_FUZZ_H
#define MXW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_REPLAY
#define FUZZ_ENTRY(name) static int fuzz_##name(const uint8_t *data, size_t size)
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_replay_fail(#cond, __FILE__, __LINE__);                                           \
    } while (0)
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define FUZZ_ENTRY(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#endif

/* The input as a C string: a malloc'd copy with a NUL after it (free it). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The next piece of [*p, end) up to the byte sep (not included), moving *p past it; NULL when
 * nothing is left. Pieces are not NUL-terminated: *len says how long. */
static inline const char *fuzz_field(const char **p, const char *end, char sep, size_t *len)
{
    if (*p >= end)
        return NULL;
    const char *s = *p, *e = memchr(s, sep, (size_t)(end - s));
    *len = (size_t)((e ? e : end) - s);
    *p = e ? e + 1 : end;
    return s;
}

/* The length of the next chunk when a stream parser is fed the input in pieces, as a pipe or a
 * socket hands it over: 1..max bytes, never past left, pseudo-random from *state (seed it with
 * the input's size, so the same input is always cut the same way). */
static inline size_t fuzz_chunk(uint32_t *state, size_t left, size_t max)
{
    *state = *state * 1103515245u + 12345u;
    size_t n = 1 + (*state >> 8) % max;
    return n < left ? n : left;
}

#endif
