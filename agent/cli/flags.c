/*
 * flags.c - command-line flags shared by the subcommands (cli.h), their overrides of the
 * configuration file, and loading the configuration they name. Main thread.
 */
#include "cli.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    OPT_CONFIG = 256,
    OPT_LISTEN,
    OPT_WEBCFG,
    OPT_LIFECYCLE,
    OPT_LOGLEVEL,
    OPT_LOGFORMAT,
    OPT_AGENTX,
    OPT_DNS,
    OPT_SMTPPORT,
    OPT_URL,
    OPT_SORT,
    OPT_LIMIT,
    OPT_JSON,
    OPT_AUTHFILE,
    OPT_SHARD,
    OPT_RUN_AS_ROOT,
    OPT_USER,
    OPT_COUNT,
    OPT_INTERVAL,
    OPT_SIZE,
    OPT_FROM,
    OPT_HELO,
    OPT_MX,
    OPT_RCPT_ONLY,
};

static const struct option options[] = {
    {"config.file", required_argument, NULL, OPT_CONFIG},
    {"web.listen-address", required_argument, NULL, OPT_LISTEN},
    {"web.config.file", required_argument, NULL, OPT_WEBCFG},
    {"web.enable-lifecycle", no_argument, NULL, OPT_LIFECYCLE},
    {"log.level", required_argument, NULL, OPT_LOGLEVEL},
    {"log.format", required_argument, NULL, OPT_LOGFORMAT},
    {"agentx.socket", required_argument, NULL, OPT_AGENTX},
    {"dns.server", required_argument, NULL, OPT_DNS},
    {"smtp.port", required_argument, NULL, OPT_SMTPPORT},
    {"url", required_argument, NULL, OPT_URL},
    {"sort", required_argument, NULL, OPT_SORT},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"json", no_argument, NULL, OPT_JSON},
    {"auth.file", required_argument, NULL, OPT_AUTHFILE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"run-as-root", no_argument, NULL, OPT_RUN_AS_ROOT},
    {"user", required_argument, NULL, OPT_USER},
    {"count", required_argument, NULL, OPT_COUNT},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"size", required_argument, NULL, OPT_SIZE},
    {"from", required_argument, NULL, OPT_FROM},
    {"helo", required_argument, NULL, OPT_HELO},
    {"mx", required_argument, NULL, OPT_MX},
    {"rcpt-only", no_argument, NULL, OPT_RCPT_ONLY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_port(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end || v == 0 || v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_one(int c, struct cli_flags *f)
{
    switch (c) {
    case OPT_CONFIG:
        f->config_file = optarg;
        f->config_file_given = true;
        return 0;
    case OPT_LISTEN: f->listen_address = optarg; return 0;
    case OPT_WEBCFG: f->web_config_file = optarg; return 0;
    case OPT_LIFECYCLE: f->enable_lifecycle = true; return 0;
    case OPT_LOGLEVEL: f->log_level = optarg; return 0;
    case OPT_LOGFORMAT: f->log_format = optarg; return 0;
    case OPT_AGENTX: f->agentx_socket = optarg; return 0;
    case OPT_URL: f->url = optarg; return 0;
    case OPT_AUTHFILE: f->auth_file = optarg; return 0;
    case OPT_SORT: f->sort = optarg; return 0;
    case OPT_JSON: f->json = true; return 0;
    case OPT_RUN_AS_ROOT: f->run_as_root = true; return 0;
    case OPT_USER: f->user = optarg; return 0;
    case OPT_COUNT: f->count = optarg; return 0;
    case OPT_INTERVAL: f->interval = optarg; return 0;
    case OPT_SIZE: f->size = optarg; return 0;
    case OPT_FROM: f->from = optarg; return 0;
    case OPT_HELO: f->helo = optarg; return 0;
    case OPT_MX: f->mx = optarg; return 0;
    case OPT_RCPT_ONLY: f->rcpt_only = true; return 0;
    case 'h': f->help = true; return 0;
    case OPT_DNS:
        if (f->n_dns_servers == CLI_MAX_DNS_SERVERS) {
            fprintf(stderr, "mxwatch: at most %d --dns.server flags\n", CLI_MAX_DNS_SERVERS);
            return -1;
        }
        f->dns_servers[f->n_dns_servers++] = optarg;
        return 0;
    case OPT_SMTPPORT:
        if (parse_port(optarg, &f->smtp_port) == 0)
            return 0;
        fprintf(stderr, "mxwatch: --smtp.port: '%s' is not a port number\n", optarg);
        return -1;
    case OPT_SHARD: {
        char why[128];
        if (shard_parse(optarg, &f->shard, why, sizeof why) < 0) {
            fprintf(stderr, "mxwatch: --shard: %s\n", why);
            return -1;
        }
        f->shard_given = true;
        return 0;
    }
    case OPT_LIMIT: {
        char *end;
        unsigned long v = strtoul(optarg, &end, 10);
        if (end == optarg || *end || v > 1000000) {
            fprintf(stderr, "mxwatch: --limit: '%s' is not a count\n", optarg);
            return -1;
        }
        f->limit = (unsigned)v;
        return 0;
    }
    default: return -1;
    }
}

int cli_parse_flags(int argc, char **argv, struct cli_flags *f)
{
    memset(f, 0, sizeof *f);
    f->config_file = CLI_DEFAULT_CONFIG;
    optind = 1;
    opterr = 1;
    int c;
    /* Options may come after the operands (`mxwatch probe example.com --dns.server X`), as
     * with GNU tools and Prometheus's: getopt moves the operands to the end; `--` ends the
     * options. */
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == '?' || parse_one(c, f) < 0)
            return -1;
    }
    f->first_arg = optind;
    return 0;
}

static void replace(char **dst, const char *src)
{
    free(*dst);
    *dst = xstrdup(src);
}

void cli_apply_flags(struct config *cfg, const struct cli_flags *f)
{
    if (f->listen_address)
        replace(&cfg->web_listen_address, f->listen_address);
    if (f->web_config_file)
        replace(&cfg->web_config_file, f->web_config_file);
    cfg->web_enable_lifecycle = f->enable_lifecycle;
    if (f->agentx_socket)
        replace(&cfg->agentx_socket, f->agentx_socket);
    if (f->n_dns_servers) {
        for (size_t i = 0; i < cfg->n_dns_servers; i++)
            free(cfg->dns_servers[i]);
        cfg->dns_servers = xrealloc(cfg->dns_servers, (f->n_dns_servers + 1) * sizeof(char *));
        for (size_t i = 0; i < f->n_dns_servers; i++)
            cfg->dns_servers[i] = xstrdup(f->dns_servers[i]);
        cfg->dns_servers[f->n_dns_servers] = NULL;
        cfg->n_dns_servers = f->n_dns_servers;
    }
    if (f->shard_given)
        cfg->shard = f->shard;
    if (f->smtp_port) {
        cfg->defaults.smtp_port = f->smtp_port;
        for (size_t i = 0; i < cfg->n_dests; i++)
            cfg->dests[i].params.smtp_port = f->smtp_port;
    }
}

/* The flags' values get the checks the file's do (config_check_*). */
static int check_overrides(const struct cli_flags *f, char *err, size_t errlen)
{
    char why[200];
    if (f->listen_address && config_check_listen_address(f->listen_address, why, sizeof why)) {
        snprintf(err, errlen, "--web.listen-address: '%s' %s", f->listen_address, why);
        return -1;
    }
    if (f->agentx_socket && config_check_agentx_socket(f->agentx_socket, why, sizeof why)) {
        snprintf(err, errlen, "--agentx.socket: '%s' %s", f->agentx_socket, why);
        return -1;
    }
    for (size_t i = 0; i < f->n_dns_servers; i++)
        if (config_check_dns_server(f->dns_servers[i], why, sizeof why)) {
            snprintf(err, errlen, "--dns.server: '%s' %s", f->dns_servers[i], why);
            return -1;
        }
    return 0;
}

struct config *cli_load_config(const struct cli_flags *f, char *err, size_t errlen)
{
    struct config *cfg;
    if (!f->config_file_given && access(f->config_file, F_OK) != 0) {
        cfg = config_defaults(); /* cfg->path stays NULL: the daemon says so */
    } else {
        cfg = config_load(f->config_file, err, errlen);
    }
    if (cfg)
        cli_apply_flags(cfg, f);
    if (cfg && check_overrides(f, err, errlen) < 0) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

int cli_setup_log(const struct cli_flags *f)
{
    enum log_level lvl = LOG_LVL_INFO;
    enum log_format fmt = LOG_FMT_LOGFMT;
    if (f->log_level && log_parse_level(f->log_level, &lvl) < 0) {
        fprintf(stderr, "mxwatch: --log.level: '%s' is not debug, info, warn or error\n",
                f->log_level);
        return -1;
    }
    if (f->log_format && log_parse_format(f->log_format, &fmt) < 0) {
        fprintf(stderr, "mxwatch: --log.format: '%s' is not logfmt or json\n", f->log_format);
        return -1;
    }
    log_setup(lvl, fmt);
    return 0;
}
