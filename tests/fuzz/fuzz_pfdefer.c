/*
 * libFuzzer target for the deferred-message matcher (probes/sources/pfdefer.c): the input is
 * `postqueue -j` output fed in pieces to the line splitter, and every line it hands over is
 * matched against the destination "a.test" as delivernow does. Besides the sanitizers' checks
 * it holds the promises of pfdefer.h: lines come without their newline and within
 * PFDEFER_RECORD_MAX, a match is 1, 0 or -1, and a matching record's queue id is 1 to
 * PFDEFER_ID_MAX - 1 letters and digits.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "pfdefer.h"

#include <ctype.h>

static const char *pfdefer_same(const char *domain, void *arg)
{
    (void)arg;
    return domain;
}

static void pfdefer_line(void *arg, const char *line, size_t len)
{
    (void)arg;
    FUZZ_CHECK(len <= PFDEFER_RECORD_MAX && !memchr(line, '\n', len));
    char id[PFDEFER_ID_MAX];
    memset(id, 'x', sizeof id);
    int rc = pfdefer_match(line, len, "a.test", pfdefer_same, NULL, id, sizeof id);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc != 1)
        return;
    size_t n = strnlen(id, sizeof id);
    FUZZ_CHECK(n > 0 && n < sizeof id);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(isalnum((unsigned char)id[i]));
}

FUZZ_ENTRY(pfdefer)
{
    struct pfdefer_lines lines = {0};
    uint32_t seed = (uint32_t)size;
    for (size_t at = 0, n; at < size; at += n) {
        n = fuzz_chunk(&seed, size - at, 4096);
        pfdefer_feed(&lines, (const char *)data + at, n, pfdefer_line, NULL);
    }
    pfdefer_end(&lines, pfdefer_line, NULL);
    return 0;
}
