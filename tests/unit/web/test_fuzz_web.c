/*
 * test_fuzz_web.c - replays the committed corpus of the fuzz targets of this layer
 * (the web config loader, the delivernow body and header checks, the status page's query) through
 * their own entry points and checks (tests/unit/fuzzreplay.h), so every input that once crashed or
 * misled a parser stays fixed in `make test`, without clang. Under `make SANITIZE=address,undefined
 * test` the sanitizers watch the replay too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzzreplay.h"

#include "../../fuzz/fuzz_webauth.c"
#include "../../fuzz/fuzz_admin_request.c"
#include "../../fuzz/fuzz_admin_headers.c"
#include "../../fuzz/fuzz_ui_query.c"

FUZZ_REPLAY_TEST(webauth)
FUZZ_REPLAY_TEST(admin_request)
FUZZ_REPLAY_TEST(admin_headers)
FUZZ_REPLAY_TEST(ui_query)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(webauth_corpus_replays_cleanly),
        cmocka_unit_test(admin_request_corpus_replays_cleanly),
        cmocka_unit_test(admin_headers_corpus_replays_cleanly),
        cmocka_unit_test(ui_query_corpus_replays_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
