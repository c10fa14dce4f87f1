/*
 * libFuzzer target for the configuration parser (agent/core/config.c): any bytes as a YAML
 * file. Besides the sanitizers' checks it holds the promises of config.h: a rejected file
 * has an error that starts with "name:line:col: ", an accepted one has valid destinations
 * (lower case, no trailing dot, no duplicates) and positive durations.
 * Built by `make fuzz`; its corpus replays in tests/unit/core/test_fuzz_core.c.
 */
#include "config.h"
#include "fuzz.h"

#include <ctype.h>

static void config_check_accepted(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_dests; i++) {
        const char *d = cfg->dests[i].domain;
        size_t n = strlen(d);
        FUZZ_CHECK(n > 0 && (n == 1 || d[n - 1] != '.'));
        for (const char *p = d; *p; p++)
            FUZZ_CHECK(!isupper((unsigned char)*p));
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(cfg->dests[j].domain, d) != 0);
        FUZZ_CHECK(cfg->dests[i].params.interval_ms > 0);
        FUZZ_CHECK(cfg->dests[i].params.total_timeout_ms >=
                   cfg->dests[i].params.connect_timeout_ms);
    }
}

static void config_check_rejected(const char *err)
{
    const char *p = err;
    FUZZ_CHECK(strncmp(p, "f.yml:", 6) == 0);
    p += 6;
    for (int field = 0; field < 2; field++) { /* line, then column */
        FUZZ_CHECK(isdigit((unsigned char)*p));
        while (isdigit((unsigned char)*p))
            p++;
        FUZZ_CHECK(*p == ':');
        p++;
    }
    FUZZ_CHECK(*p == ' ');
}

FUZZ_ENTRY(config)
{
    char err[CONFIG_ERR_MAX];
    err[0] = '\0';
    struct config *cfg = config_parse("f.yml", (const char *)data, size, err, sizeof err);
    if (cfg) {
        config_check_accepted(cfg);
        config_free(cfg);
    } else {
        config_check_rejected(err);
    }
    return 0;
}
