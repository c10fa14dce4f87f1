/*
 * libFuzzer target for the log-position state file reader (logtail_state_parse in
 * probes/sources/logtail.c, what logtail_state_load does with the file's bytes): any bytes as
 * the state file. Besides the sanitizers' checks it holds the promises of logtail.h: 0 or -1,
 * the position untouched on -1, a head_len within LOGTAIL_HEAD_MAX on 0, and what it accepts
 * is the one line logtail_state_save writes for that position.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "logtail.h"

#include <inttypes.h>

FUZZ_ENTRY(logstate)
{
    struct logtail_pos pos, before;
    memset(&pos, 0x5a, sizeof pos);
    before = pos;
    int rc = logtail_state_parse((const char *)data, size, &pos);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(memcmp(&pos, &before, sizeof pos) == 0);
        return 0;
    }
    FUZZ_CHECK(pos.head_len <= LOGTAIL_HEAD_MAX);
    struct logtail_pos again;
    char line[512];
    int n = snprintf(line, sizeof line,
                     "mxwatch-logtail-state 1 dev=%" PRIu64 " ino=%" PRIu64 " offset=%" PRIu64
                     " head_len=%" PRIu32 " head_hash=%016" PRIx64 "\n",
                     pos.dev, pos.ino, pos.offset, pos.head_len, pos.head_hash);
    FUZZ_CHECK(logtail_state_parse(line, (size_t)n, &again) == 0);
    FUZZ_CHECK(again.dev == pos.dev && again.ino == pos.ino && again.offset == pos.offset &&
               again.head_len == pos.head_len && again.head_hash == pos.head_hash);
    return 0;
}
