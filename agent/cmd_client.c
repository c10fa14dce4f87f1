/*
 * cmd_client.c - the operator's commands that talk to a running agent: tophosts,
 * hoststatus, delivernow. Placeholder until the operator's-view work lands.
 */
#include "cli.h"

#include <stdio.h>

static int not_yet(const char *name, int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    fprintf(stderr, "mxwatch %s: not yet available in this build\n", name);
    return EXIT_USAGE;
}

int cmd_tophosts(int argc, char **argv)
{
    return not_yet("tophosts", argc, argv);
}

int cmd_hoststatus(int argc, char **argv)
{
    return not_yet("hoststatus", argc, argv);
}

int cmd_delivernow(int argc, char **argv)
{
    return not_yet("delivernow", argc, argv);
}
