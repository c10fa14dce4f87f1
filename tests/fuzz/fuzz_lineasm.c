/*
 * libFuzzer target for the log line assembler (lineasm in probes/sources/logtail.c): the
 * input is a log's bytes, where byte 0x01 and the two after it stand for a run of up to
 * 65535 'a' (so a short input can hold the lines over LOGTAIL_LINE_MAX that a flood writes);
 * they are handed over in reads of any size up to the room lineasm_space offers, as
 * logtail_read does. The lines handed over are compared with the stream split at its LF
 * bytes: every complete line of at most LOGTAIL_LINE_MAX bytes comes out whole and in order,
 * every longer one is counted as overlong and never handed over (logtail.h's bound), and the
 * incomplete tail is what lineasm_drop reports.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "logtail.h"

#define LINEASM_STREAM_MAX (1u << 20)

struct lineasm_expect {
    const char *next, *end; /* the part of the stream not yet matched */
    uint64_t overlong;
};

/* The stream the input stands for, at most LINEASM_STREAM_MAX bytes; sets *len. */
static char *lineasm_stream(const uint8_t *data, size_t size, size_t *len)
{
    char *s = malloc(LINEASM_STREAM_MAX);
    size_t n = 0;
    for (size_t i = 0; i < size && n < LINEASM_STREAM_MAX; i++) {
        size_t run = 1;
        char c = (char)data[i];
        if (data[i] == 0x01 && i + 2 < size) {
            run = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
            c = 'a';
            i += 2;
        }
        if (run > LINEASM_STREAM_MAX - n)
            run = LINEASM_STREAM_MAX - n;
        memset(s + n, c, run);
        n += run;
    }
    *len = n;
    return s;
}

/* The next line of the stream the assembler must hand over, skipping (and counting) the
 * overlong ones; NULL when only an incomplete tail is left. */
static const char *lineasm_next_expected(struct lineasm_expect *x, size_t *len)
{
    for (;;) {
        const char *nl = memchr(x->next, '\n', (size_t)(x->end - x->next));
        if (!nl)
            return NULL;
        const char *line = x->next;
        x->next = nl + 1;
        if ((size_t)(nl - line) <= LOGTAIL_LINE_MAX) {
            *len = (size_t)(nl - line);
            return line;
        }
        x->overlong++;
    }
}

static void lineasm_line(const char *line, size_t len, void *arg)
{
    size_t want_len = 0;
    const char *want = lineasm_next_expected(arg, &want_len);
    FUZZ_CHECK(len <= LOGTAIL_LINE_MAX);
    FUZZ_CHECK(want && len == want_len && memcmp(line, want, len) == 0);
}

FUZZ_ENTRY(lineasm)
{
    size_t len;
    char *s = lineasm_stream(data, size, &len);
    struct lineasm a;
    lineasm_init(&a);
    struct lineasm_expect x = {s, s + len, 0};
    uint32_t seed = (uint32_t)size;
    for (size_t at = 0, n; at < len; at += n) {
        size_t avail;
        char *space = lineasm_space(&a, &avail);
        FUZZ_CHECK(avail >= LOGTAIL_READ_CHUNK);
        n = fuzz_chunk(&seed, len - at, avail);
        memcpy(space, s + at, n);
        lineasm_commit(&a, n, lineasm_line, &x);
    }
    size_t tail;
    FUZZ_CHECK(lineasm_next_expected(&x, &tail) == NULL); /* every complete line came out */
    FUZZ_CHECK(a.overlong == x.overlong);
    FUZZ_CHECK(lineasm_drop(&a) == (uint64_t)(x.end - x.next));
    lineasm_free(&a);
    free(s);
    return 0;
}
