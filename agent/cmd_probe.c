/*
 * cmd_probe.c - `mxwatch probe DOMAIN...`: placeholder until the probe engine lands.
 */
#include "cli.h"

#include <stdio.h>

int cmd_probe(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    fprintf(stderr, "mxwatch probe: not yet available in this build\n");
    return EXIT_USAGE;
}
