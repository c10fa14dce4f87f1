/*
 * test_flags.c - the shared flags (agent/cli/flags.c): options after the operands and `--`
 * ending them; --shard=I/N overrides global.shard on every load, a bad value is refused with
 * the flag's name, and without the flag the file's shard stays.
 */
#include "cli.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static int parse(struct cli_flags *f, const char *a1, const char *a2)
{
    char *argv[] = {"run", (char *)a1, (char *)a2, NULL};
    return cli_parse_flags(a2 ? 3 : 2, argv, f);
}

static struct config *with_shard(const char *shard)
{
    char text[64], err[CONFIG_ERR_MAX];
    snprintf(text, sizeof text, "global:\n  shard: %s\n", shard);
    struct config *cfg = config_parse("t.yml", text, strlen(text), err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

static void test_shard_flag_overrides_the_file(void **state)
{
    (void)state;
    struct cli_flags f;
    assert_int_equal(parse(&f, "--shard=2/5", NULL), 0);
    assert_true(f.shard_given);
    struct config *cfg = with_shard("0/3");
    cli_apply_flags(cfg, &f);
    assert_int_equal(cfg->shard.index, 2);
    assert_int_equal(cfg->shard.count, 5);
    config_free(cfg);

    assert_int_equal(parse(&f, "--smtp.port=2525", NULL), 0);
    assert_false(f.shard_given);
    cfg = with_shard("1/3");
    cli_apply_flags(cfg, &f);
    assert_int_equal(cfg->shard.index, 1);
    assert_int_equal(cfg->shard.count, 3);
    config_free(cfg);
}

static void test_bad_shard_flag_is_refused_by_name(void **state)
{
    (void)state;
    struct cli_flags f;
    char out[512] = "";
    fflush(stderr);
    FILE *saved = stderr, *mem = fmemopen(out, sizeof out - 1, "w");
    stderr = mem;
    int rc = parse(&f, "--shard", "3/3");
    stderr = saved;
    fclose(mem);
    assert_int_equal(rc, -1);
    assert_string_equal(out, "mxwatch: --shard: '3/3': the index 3 is not below the count "
                             "(0-based: 0..2)\n");
}

/* `mxwatch probe example.com --dns.server 127.0.0.1:5353` as people type it; `--` ends the
 * options, so an operand may start with a dash. */
static void test_options_after_operands(void **state)
{
    (void)state;
    struct cli_flags f;
    char *argv[] = {"probe", "example.com", "--dns.server", "127.0.0.1:5353", "b.test", NULL};
    assert_int_equal(cli_parse_flags(5, argv, &f), 0);
    assert_int_equal(f.n_dns_servers, 1);
    assert_string_equal(f.dns_servers[0], "127.0.0.1:5353");
    assert_int_equal(f.first_arg, 3);
    assert_string_equal(argv[f.first_arg], "example.com");
    assert_string_equal(argv[f.first_arg + 1], "b.test");
    char *dashed[] = {"probe", "--json", "--", "--not-a-flag", NULL};
    assert_int_equal(cli_parse_flags(4, dashed, &f), 0);
    assert_true(f.json);
    assert_string_equal(dashed[f.first_arg], "--not-a-flag");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_after_operands),
        cmocka_unit_test(test_shard_flag_overrides_the_file),
        cmocka_unit_test(test_bad_shard_flag_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
