/*
 * test_fuzz_lib.c - replays the committed corpus of the fuzz targets of this layer
 * (the address forms of hostport.c) through their own entry points and checks
 * (tests/unit/fuzzreplay.h), so every input that once crashed or misled a parser stays fixed in
 * `make test`, without clang. Under `make SANITIZE=address,undefined test` the sanitizers watch the
 * replay too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzzreplay.h"

#include "../../fuzz/fuzz_hostport.c"

FUZZ_REPLAY_TEST(hostport)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostport_corpus_replays_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
