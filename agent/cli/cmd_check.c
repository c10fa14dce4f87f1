/*
 * cmd_check.c - `mxwatch check-config [FILE]`: loads a configuration the way the daemon
 * would, with the same checks as `run` and a reload (the values, then the files they name:
 * web config, delivernow token), and reports the first fault with file, line, column and
 * key; with a shard (the file's global.shard or --shard=I/N) also how many destinations that
 * agent owns. Main thread.
 */
#include "cli.h"
#include "web.h"

#include <stdio.h>

static size_t owned(const struct config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_dests; i++)
        n += shard_owns(cfg->shard, cfg->dests[i].domain);
    return n;
}

int cmd_check_config(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help) {
        printf("usage: mxwatch check-config [--shard=I/N] [--config.file=]FILE\n");
        return EXIT_OK;
    }
    const char *path = f.first_arg < argc ? argv[f.first_arg] : f.config_file;
    char err[CONFIG_ERR_MAX];
    struct config *cfg = config_load(path, err, sizeof err);
    if (!cfg || web_check(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(cfg);
        return EXIT_BAD;
    }
    cli_apply_flags(cfg, &f); /* --shard=I/N: how many that agent would own */
    if (cfg->shard.count > 1)
        printf("%s: ok (%zu destinations, %zu of them in shard %u/%u, %zu gateways)\n", path,
               cfg->n_dests, owned(cfg), cfg->shard.index, cfg->shard.count, cfg->n_gateways);
    else
        printf("%s: ok (%zu destinations, %zu gateways)\n", path, cfg->n_dests, cfg->n_gateways);
    config_free(cfg);
    return EXIT_OK;
}
