/*
 * cli.h - the subcommands of the one mxwatch binary and the flags they share. main.c
 * dispatches to a cmd_* function; each lives in its own file. Main thread only.
 *
 * Exit codes, for every subcommand: 0 success (for probe: every domain up), 1 the thing
 * checked is bad (a domain down, a config invalid, the agent answered with an error),
 * 2 usage or local error (bad flags, agent unreachable, cannot bind).
 */
#ifndef MXW_CLI_H
#define MXW_CLI_H

#include "config.h"

#include <stdio.h>

#define CLI_MAX_DNS_SERVERS 8

enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2 };

/* Flags that override the configuration file (Prometheus exporter conventions). */
struct cli_flags {
    const char *config_file;
    bool config_file_given;
    const char *listen_address;
    const char *web_config_file;
    bool enable_lifecycle; /* --web.enable-lifecycle */
    const char *log_level;
    const char *log_format;
    const char *agentx_socket;
    const char *dns_servers[CLI_MAX_DNS_SERVERS];
    size_t n_dns_servers;
    unsigned smtp_port;
    struct shard shard; /* --shard=I/N, when shard_given */
    bool shard_given;
    bool run_as_root;      /* run: keep root (tests, containers) */
    const char *user;      /* run: the user to become once the listener is bound */
    const char *url;       /* client subcommands: the agent's base URL */
    const char *auth_file; /* client subcommands: credentials (cmd_client.c) */
    const char *sort;
    unsigned limit;
    bool json;
    /* smtpping: as given, checked there */
    const char *count, *interval, *size, *from, *helo, *mx;
    bool rcpt_only;
    bool help;
    int first_arg; /* index of the first positional argument in argv */
};

#define CLI_DEFAULT_CONFIG "/etc/mxwatch/mxwatch.yml"

/* Parses the flags of a subcommand from argv[optind...]. Returns 0 or -1 (message printed
 * to stderr). */
int cli_parse_flags(int argc, char **argv, struct cli_flags *f);
/* Applies flag overrides to a freshly loaded config (called on every load and reload). */
void cli_apply_flags(struct config *cfg, const struct cli_flags *f);
/* Loads the config named by the flags (or the defaults when the default path is absent). */
struct config *cli_load_config(const struct cli_flags *f, char *err, size_t errlen);
/* Sets up logging from the flags. Returns -1 on a bad level or format. */
int cli_setup_log(const struct cli_flags *f);

/* termout.c: s (NULL prints nothing), at most n bytes of it, on one line with every control
 * character and invalid byte shown as \xNN. Returns the bytes printed. */
size_t cli_put_textn(FILE *out, const char *s, size_t n);
size_t cli_put_text(FILE *out, const char *s);

/* probe_env.c: the probe code run once from the command line (probe, smtpping). */
struct loop;
struct dns;
struct curlm;
struct smtp;
struct probe_request;
struct cli_probe_env {
    struct loop *loop;
    struct dns *dns;
    struct curlm *curlm;
    struct smtp *smtp;
};
/* Sets up the loop, resolver (DNS cache off in cfg), multi handle and SMTP client; -1 with
 * err filled. */
int cli_probe_env_open(struct cli_probe_env *e, struct config *cfg, char *err, size_t errlen);
void cli_probe_env_close(struct cli_probe_env *e);
/* The destination's own settings when the configuration lists it, else the defaults. */
const struct probe_params *cli_params_for(const struct config *cfg, const char *domain);
/* A probe request for domain as the agent would make it (names and caps from cfg). */
void cli_probe_request(struct probe_request *rq, const struct config *cfg, const char *domain,
                       const struct probe_params *params);

int cmd_probe(int argc, char **argv);
int cmd_smtpping(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_tophosts(int argc, char **argv);
int cmd_hoststatus(int argc, char **argv);
int cmd_delivernow(int argc, char **argv);

#endif
