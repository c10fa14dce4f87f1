/*
 * Replays the fuzz targets' committed corpus (tests/fuzz/corpus/) through dns_parse_mx and
 * config_parse in `make test`, with the same checks as the fuzz targets, so an input that
 * once crashed or misled a parser stays fixed without clang or libFuzzer. Under
 * `make SANITIZE=address,undefined test` the sanitizers watch the replay too. The corpus
 * is found under $MXW_TOP (tests/run.sh sets it) or the current directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dns.h"

#define INPUT_MAX (1u << 20)

typedef void replay_fn(const char *name, const unsigned char *data, size_t len);

/* Calls fn on every regular file of tests/fuzz/corpus/<sub>; returns how many. */
static size_t replay(const char *sub, replay_fn *fn)
{
    const char *top = getenv("MXW_TOP");
    char dir[1024], path[2048];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", sub);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open corpus %s", dir);
    static unsigned char data[INPUT_MAX];
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t len = fread(data, 1, sizeof data, f);
        fclose(f);
        fn(e->d_name, data, len);
        count++;
    }
    closedir(d);
    return count;
}

static void one_dns(const char *name, const unsigned char *data, size_t len)
{
    struct dns_mx_answer a;
    int rc = dns_parse_mx(data, (int)len, &a);
    if (rc != 0 && rc != -1)
        fail_msg("%s: dns_parse_mx returned %d", name, rc);
    assert_true(a.n <= DNS_MX_MAX);
    for (size_t i = 0; i < a.n; i++) {
        assert_non_null(memchr(a.mx[i].host, '\0', sizeof a.mx[i].host));
        for (const char *p = a.mx[i].host; *p; p++)
            if (!isprint((unsigned char)*p) || isupper((unsigned char)*p))
                fail_msg("%s: host %zu has byte 0x%02x", name, i, (unsigned char)*p);
    }
}

static void one_config(const char *name, const unsigned char *data, size_t len)
{
    char err[CONFIG_ERR_MAX] = "";
    struct config *cfg = config_parse("f.yml", (const char *)data, len, err, sizeof err);
    if (!cfg) {
        unsigned line, col;
        char sp;
        if (sscanf(err, "f.yml:%u:%u:%c", &line, &col, &sp) != 3 || sp != ' ' || line == 0)
            fail_msg("%s: error without file:line:col: '%s'", name, err);
        return;
    }
    for (size_t i = 0; i < cfg->n_dests; i++) {
        const char *d = cfg->dests[i].domain;
        size_t n = strlen(d);
        if (n == 0 || d[n - 1] == '.')
            fail_msg("%s: destination '%s' empty or with a trailing dot", name, d);
        for (const char *p = d; *p; p++)
            if (isupper((unsigned char)*p))
                fail_msg("%s: destination '%s' not lower case", name, d);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->dests[j].domain, d))
                fail_msg("%s: destination '%s' twice", name, d);
    }
    config_free(cfg);
}

static void dns_corpus_replays_cleanly(void **state)
{
    (void)state;
    assert_true(replay("dns_mx", one_dns) >= 5);
}

static void config_corpus_replays_cleanly(void **state)
{
    (void)state;
    assert_true(replay("config", one_config) >= 5);
}

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
        cmocka_unit_test(dns_corpus_replays_cleanly),
        cmocka_unit_test(config_corpus_replays_cleanly),
        cmocka_unit_test(known_seeds_give_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
