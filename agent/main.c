/*
 * main.c - entry point of the one mxwatch binary: dispatches to the subcommand (run is the
 * default), prints --help and --version. Main thread.
 */
#include "cli.h"
#include "daemon.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;
    const char *help;
};

static const struct command commands[] = {
    {"run", cmd_run, "[flags]", "run the agent in the foreground (the default)"},
    {"probe", cmd_probe, "[--json] DOMAIN...",
     "probe domains once: MX records, SMTP banners, verdict"},
    {"smtpping", cmd_smtpping, "[--count N] [--rcpt-only] RCPT@DOMAIN",
     "full SMTP transactions to a recipient, timed per phase, like ping"},
    {"tophosts", cmd_tophosts, "[--sort COLUMN] [--limit N] [--json]",
     "destinations with the most waiting recipients (from a running agent)"},
    {"hoststatus", cmd_hoststatus, "[--json] DOMAIN", "one destination in detail"},
    {"delivernow", cmd_delivernow, "[--json] DOMAIN|all", "ask the MTA to retry delivery now"},
    {"check-config", cmd_check_config, "[FILE]", "validate a configuration file"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mxwatch [COMMAND] [flags]\n\n"
                 "mxwatch watches mail delivery per destination domain: MX records, SMTP\n"
                 "banners and the local MTA's queue, served to Prometheus and SNMP.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-13s %-38s %s\n", commands[i].name, commands[i].args, commands[i].help);
    fprintf(out,
            "\nflags:\n"
            "  --config.file=FILE          configuration (default " CLI_DEFAULT_CONFIG ")\n"
            "  --web.listen-address=ADDR   HTTP listener (default :9725)\n"
            "  --web.config.file=FILE      TLS and basic-auth settings (exporter-toolkit format)\n"
            "  --web.enable-lifecycle      run: serve POST /-/reload (off: only SIGHUP reloads)\n"
            "  --log.level=LEVEL           debug, info, warn, error (default info)\n"
            "  --log.format=FORMAT         logfmt or json (default logfmt)\n"
            "  --agentx.socket=ADDR        AgentX master (default /var/agentx/master)\n"
            "  --dns.server=IP[:PORT]      DNS server to ask instead of resolv.conf (repeatable)\n"
            "  --smtp.port=PORT            SMTP port to probe (default 25)\n"
            "  --shard=I/N                 own only shard I (0-based) of N: the destinations\n"
            "                              whose hash falls there (docs/SCALING.md)\n"
            "  --user=NAME                 run: become NAME once the listener is bound (started\n"
            "                              as root, e.g. for a port below 1024)\n"
            "  --run-as-root               run: keep root (refused without it: tests, containers)\n"
            "  --url=URL                   agent to ask (tophosts, hoststatus, delivernow;\n"
            "                              default http://127.0.0.1:9725)\n"
            "  --auth.file=FILE            credentials for it (or MXWATCH_USER/MXWATCH_PASSWORD,\n"
            "                              MXWATCH_TOKEN); see docs/OPERATOR.md\n"
            "  --sort=COLUMN, --limit=N    tophosts: order and length of the table\n"
            "  --count=N, --interval=D     smtpping: transactions (default 1), time between\n"
            "                              them (default 1s)\n"
            "  --size=BYTES                smtpping: test message size (default 512)\n"
            "  --from=ADDR, --helo=NAME    smtpping: sender (default <>), EHLO name\n"
            "  --mx=HOST|IP                smtpping: this MX instead of the domain's\n"
            "  --rcpt-only                 smtpping: stop after RCPT (RSET, QUIT): no mail\n"
            "  --json                      machine-readable output\n"
            "  -h, --help                  this text\n"
            "  --version                   version and revision\n"
            "\nexit status: 0 ok, 1 something checked is bad (domain down, config invalid,\n"
            "the agent answered with an error: unknown destination, delivernow refused),\n"
            "2 usage or local error (bad flags, agent unreachable).\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("mxwatch %s (revision %s)\n", MXW_VERSION, MXW_REVISION);
        return EXIT_OK;
    }
    if (argc > 1 &&
        (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        return EXIT_OK;
    }
    if (argc > 1 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[1], commands[i].name))
                return commands[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "mxwatch: unknown command '%s' (see mxwatch --help)\n", argv[1]);
        return EXIT_USAGE;
    }
    return cmd_run(argc, argv);
}
