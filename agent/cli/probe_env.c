/*
 * probe_env.c - what `mxwatch probe` and `mxwatch smtpping` share to run the agent's probe
 * code once, without a daemon: a private loop with its resolver (c-ares, no cache: an
 * operator at the terminal always asks afresh), libcurl multi handle and SMTP scheduler, set
 * up and torn down in one order; the probe settings of a domain; a probe request as the
 * agent would make it. Main thread (which runs the private loop).
 */
#include "cli.h"

#include "curlm.h"
#include "dns.h"
#include "engine.h"
#include "loop.h"
#include "probe.h"
#include "smtp.h"

#include <string.h>

int cli_probe_env_open(struct cli_probe_env *e, struct config *cfg, char *err, size_t errlen)
{
    *e = (struct cli_probe_env){.loop = loop_new()};
    cfg->dns_cache = DNS_CACHE_OFF;
    e->dns = dns_new(e->loop, cfg, err, errlen);
    e->curlm = e->dns ? curlm_new(e->loop, err, errlen) : NULL;
    if (!e->curlm) {
        dns_free(e->dns);
        loop_free(e->loop);
        *e = (struct cli_probe_env){0};
        return -1;
    }
    e->smtp = smtp_new(e->loop, e->curlm, cfg);
    smtp_set_trace(e->smtp, engine_log_smtp_step, NULL);
    return 0;
}

/* The SMTP client first (its sessions use the multi handle), the loop last. */
void cli_probe_env_close(struct cli_probe_env *e)
{
    smtp_free(e->smtp);
    curlm_free(e->curlm);
    dns_free(e->dns);
    loop_free(e->loop);
    *e = (struct cli_probe_env){0};
}

const struct probe_params *cli_params_for(const struct config *cfg, const char *domain)
{
    for (size_t i = 0; i < cfg->n_dests; i++)
        if (!strcmp(cfg->dests[i].domain, domain))
            return &cfg->dests[i].params;
    return &cfg->defaults;
}

void cli_probe_request(struct probe_request *rq, const struct config *cfg, const char *domain,
                       const struct probe_params *params)
{
    *rq = (struct probe_request){
        .domain = domain,
        .params = params,
        .ehlo_name = cfg->ehlo_name,
        .source_address = cfg->source_address,
        .max_mx_hosts = cfg->max_mx_hosts,
        .max_addresses = cfg->max_addresses,
        .transcript_max = cfg->transcript_bytes,
    };
}
