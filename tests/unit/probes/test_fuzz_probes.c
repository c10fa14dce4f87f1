/*
 * test_fuzz_probes.c - replays the committed corpus of the fuzz targets of this layer
 * (the DNS MX and generic record answer parsers and the SMTP reply reader) through their own entry
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

#include "../../fuzz/fuzz_dns_mx.c"
#include "../../fuzz/fuzz_dns_records.c"
#include "../../fuzz/fuzz_smtp_reply.c"

FUZZ_REPLAY_TEST(dns_mx)
FUZZ_REPLAY_TEST(dns_records)
FUZZ_REPLAY_TEST(smtp_reply)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dns_mx_corpus_replays_cleanly),
        cmocka_unit_test(dns_records_corpus_replays_cleanly),
        cmocka_unit_test(smtp_reply_corpus_replays_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
