/*
 * libFuzzer target for the configuration parser (agent/core/config.c): any bytes as a YAML
 * file. Besides the sanitizers' checks it aborts when a promise of config.h is broken: a
 * rejected file has an error that starts with "name:line:col: ", an accepted one has valid
 * destinations (lower case, no trailing dot, no duplicates) and positive durations.
 * Built by `make fuzz` (clang); its corpus is replayed by tests/unit/test_fuzz_corpus.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_dests; i++) {
        const char *d = cfg->dests[i].domain;
        size_t n = strlen(d);
        if (n == 0 || (n > 1 && d[n - 1] == '.'))
            abort();
        for (const char *p = d; *p; p++)
            if (isupper((unsigned char)*p))
                abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->dests[j].domain, d))
                abort();
        if (cfg->dests[i].params.interval_ms <= 0 ||
            cfg->dests[i].params.total_timeout_ms < cfg->dests[i].params.connect_timeout_ms)
            abort();
    }
}

static void check_rejected(const char *err)
{
    const char *p = err;
    if (strncmp(p, "f.yml:", 6))
        abort();
    p += 6;
    for (int field = 0; field < 2; field++) { /* line, then column */
        if (!isdigit((unsigned char)*p))
            abort();
        while (isdigit((unsigned char)*p))
            p++;
        if (*p++ != ':')
            abort();
    }
    if (*p != ' ')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[CONFIG_ERR_MAX];
    err[0] = '\0';
    struct config *cfg = config_parse("f.yml", (const char *)data, size, err, sizeof err);
    if (cfg) {
        check_accepted(cfg);
        config_free(cfg);
    } else {
        check_rejected(err);
    }
    return 0;
}
