/*
 * cmd_check.c - `mxwatch check-config [FILE]`: loads a configuration the way the daemon
 * would, with the same checks as `run` and a reload (the values, then the files they name:
 * web config, delivernow token), and reports the first fault with file, line, column and
 * key. Main thread.
 */
#include "cli.h"
#include "web.h"

#include <stdio.h>

int cmd_check_config(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help) {
        printf("usage: mxwatch check-config [--config.file=]FILE\n");
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
    printf("%s: ok (%zu destinations, %zu gateways)\n", path, cfg->n_dests, cfg->n_gateways);
    config_free(cfg);
    return EXIT_OK;
}
