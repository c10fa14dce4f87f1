/*
 * test_fuzz_sources.c - replays the committed corpus of the fuzz targets of this layer
 * (the Postfix log, queue, deferred-message, line assembler and state file readers, the gateway XML
 * and its values, the transport map and the sock_diag datagram reader) through their own entry
 * points and checks (tests/unit/fuzzreplay.h), so every input that once crashed or misled a parser
 * stays fixed in `make test`, without clang. Under `make SANITIZE=address,undefined test` the
 * sanitizers watch the replay too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzzreplay.h"

#include "../../fuzz/fuzz_pflog.c"
#include "../../fuzz/fuzz_pfqueue.c"
#include "../../fuzz/fuzz_pfdefer.c"
#include "../../fuzz/fuzz_lineasm.c"
#include "../../fuzz/fuzz_logstate.c"
#include "../../fuzz/fuzz_gwxml.c"
#include "../../fuzz/fuzz_gwvalue.c"
#include "../../fuzz/fuzz_transport.c"
#include "../../fuzz/fuzz_sockdiag.c"

FUZZ_REPLAY_TEST(pflog)
FUZZ_REPLAY_TEST(pfqueue)
FUZZ_REPLAY_TEST(pfdefer)
FUZZ_REPLAY_TEST(lineasm)
FUZZ_REPLAY_TEST(logstate)
FUZZ_REPLAY_TEST(gwxml)
FUZZ_REPLAY_TEST(gwvalue)
FUZZ_REPLAY_TEST(transport)
FUZZ_REPLAY_TEST(sockdiag)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pflog_corpus_replays_cleanly),
        cmocka_unit_test(pfqueue_corpus_replays_cleanly),
        cmocka_unit_test(pfdefer_corpus_replays_cleanly),
        cmocka_unit_test(lineasm_corpus_replays_cleanly),
        cmocka_unit_test(logstate_corpus_replays_cleanly),
        cmocka_unit_test(gwxml_corpus_replays_cleanly),
        cmocka_unit_test(gwvalue_corpus_replays_cleanly),
        cmocka_unit_test(transport_corpus_replays_cleanly),
        cmocka_unit_test(sockdiag_corpus_replays_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
