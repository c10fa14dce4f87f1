/*
 * test_fuzz_core.c - replays the committed corpus of the fuzz targets of this layer
 * (the configuration parser) through their own entry points and checks (tests/unit/fuzzreplay.h),
 * so every input that once crashed or misled a parser stays fixed in `make test`, without clang.
 * Under `make SANITIZE=address,undefined test` the sanitizers watch the replay too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzzreplay.h"

#include "../../fuzz/fuzz_config.c"

FUZZ_REPLAY_TEST(config)

/* The seeds the corpus was built from parse as intended. */
static void known_seeds_give_known_answers(void **state)
{
    (void)state;
    const char *top = getenv("MXW_TOP");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/config/demo-world.yml", top ? top : ".");
    char err[CONFIG_ERR_MAX];
    struct config *cfg = config_load(path, err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    assert_int_equal(cfg->n_dests, 3);
    assert_string_equal(cfg->dests[2].domain, "slow.test");
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_corpus_replays_cleanly),
        cmocka_unit_test(known_seeds_give_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
