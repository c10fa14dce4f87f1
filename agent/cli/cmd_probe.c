/*
 * cmd_probe.c - `mxwatch probe DOMAIN...`: the operator's manual steps (dig mx, telnet host
 * 25) in one command, no daemon. Runs the same probe as the agent on a private loop, then
 * prints, per domain, the MX records with preference and TTL, each address's result with its
 * greeting, EHLO extensions and TLS facts, and the verdict. --json for machines.
 * Exit status: 0 every domain up, 1 one is down, 2 usage or local error. Main thread.
 * Names, banners and EHLO lines come from DNS and SMTP servers: printed through
 * cli_put_text (termout.c), so no control character or invalid byte reaches the terminal.
 */
#include "api.h"
#include "buf.h"
#include "cli.h"
#include "expfmt.h"
#include "curlm.h"
#include "dns.h"
#include "engine.h"
#include "log.h"
#include "probe.h"
#include "reputation.h"
#include "smtp.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct one {
    const char *domain;
    const struct probe_params *params; /* the destination's own, when the config names it */
    struct probe_result res;
    bool done;
};

static struct {
    struct loop *loop;
    size_t pending;
} run;

/* cppcheck-suppress constParameter ; the engine's callback type fixes the signature */
static void on_done(void *arg, struct probe_result *res)
{
    struct one *o = arg;
    o->res = *res;
    o->done = true;
    if (--run.pending == 0)
        loop_stop(run.loop);
}

static void print_ms(const char *what, double s, bool *first)
{
    if (s < 0)
        return;
    printf("%s %s %.1f ms", *first ? "" : ",", what, s * 1000);
    *first = false;
}

static void print_addr(const struct mx_host *h, const struct mx_addr_result *a, unsigned port)
{
    printf("  ");
    cli_put_text(stdout, h->name);
    printf(" [%s]:%u  %s", a->addr_str, port, store_outcome_name(a->outcome));
    if (a->ptr && a->ptr->name[0]) { /* as telnet says "Connected to NAME" */
        printf("  (PTR ");
        cli_put_text(stdout, a->ptr->name);
        printf(")");
    }
    printf("\n");
    if (a->outcome == OUT_NOT_PROBED)
        return;
    bool first = true;
    printf("    timings:");
    print_ms("connect", a->connect_s, &first);
    print_ms("banner", a->banner_s, &first);
    print_ms("EHLO", a->ehlo_s, &first);
    print_ms("TLS", a->tls_s, &first);
    printf("%s\n", first ? " none (no connection)" : "");
    const char *banner = store_addr_banner(a), *ehlo = store_addr_ehlo(a);
    if (banner[0]) {
        printf("    banner: ");
        cli_put_textn(stdout, banner, strcspn(banner, "\n"));
        printf("\n");
    }
    if (ehlo[0]) {
        printf("    EHLO:");
        for (const char *p = ehlo; *p;) {
            size_t n = strcspn(p, "\n");
            printf(" ");
            cli_put_textn(stdout, p + (n > 4 ? 4 : n), n > 4 ? n - 4 : 0);
            p += n + (p[n] == '\n');
        }
        printf("\n");
    }
    printf("    STARTTLS offered: %s", a->starttls_offered ? "yes" : "no");
    if (a->tls_negotiated)
        printf(", negotiated %s, certificate %s", a->tls_version,
               a->tls_verified ? "verified" : "not verified");
    printf("\n");
}

/* A one-shot probe's verdict: up when an address answered; unknown when the probe could not
 * run from here (a local error); down otherwise (no damping for a single probe). */
static const char *status_of(const struct probe_result *r)
{
    return r->reason == REASON_OK ? "up" : r->reason == REASON_LOCAL ? "unknown" : "down";
}

/* The same token as the agent's status reason. */
static const char *reason_of(const struct probe_result *r)
{
    return r->reason == REASON_ALL_FAILED ? store_outcome_name(r->primary)
                                          : store_reason_name(r->reason);
}

static void print_text(const struct one *o, unsigned port)
{
    const struct probe_result *r = &o->res;
    printf("%s\n", o->domain);
    if (r->n_hosts && r->hosts[0].implicit)
        printf("  no MX records: implicit MX, the domain itself (RFC 5321 5.1)\n");
    for (size_t h = 0; h < r->n_hosts && !r->hosts[0].implicit; h++) {
        printf("  %s.\t%u\tIN\tMX\t%u ", o->domain, r->hosts[h].ttl, r->hosts[h].preference);
        cli_put_text(stdout, r->hosts[h].name);
        printf(".\n");
    }
    if (r->reason == REASON_NULL_MX)
        printf("  %s.\t%u\tIN\tMX\t0 .   (null MX: accepts no mail, RFC 7505)\n", o->domain,
               r->dns_ttl);
    static const char *const host_dns[] = {"", "nxdomain", "no A or AAAA record",
                                           "temporary DNS failure"};
    for (size_t h = 0; h < r->n_hosts; h++) {
        if (r->hosts[h].dns != MXH_OK) {
            printf("  ");
            cli_put_text(stdout, r->hosts[h].name);
            printf(": no address (%s)\n", host_dns[r->hosts[h].dns]);
        }
        for (size_t a = 0; a < r->hosts[h].n_addrs; a++)
            print_addr(&r->hosts[h], &r->hosts[h].addrs[a], port);
    }
    const char *status = status_of(r), *why = reason_of(r);
    bool dns = r->reason == REASON_DNS_TEMPORARY || r->reason == REASON_DNS_NXDOMAIN ||
               r->reason == REASON_LOCAL;
    printf("  verdict: %s (%s)%s", status, why, dns && r->detail ? ": " : "");
    cli_put_text(stdout, dns ? r->detail : NULL);
    printf("\n\n");
}

/* The same members as the JSON API's destination document, where they mean the same; the
 * MX hosts and addresses through the API's own serializer. */
static void one_json(struct buf *b, const struct one *x)
{
    const struct probe_result *r = &x->res;
    buf_puts(b, "{\"domain\":");
    expfmt_json_string(b, x->domain);
    buf_printf(b, ",\"status\":\"%s\",\"reason\":\"%s\",\"dns_seconds\":", status_of(r),
               reason_of(r));
    expfmt_json_double(b, r->dns_s);
    buf_printf(b, ",\"dns_ttl\":%u,\"mx\":", r->dns_ttl);
    api_render_mx(b, r->hosts, r->n_hosts);
    buf_puts(b, ",\"transcript\":");
    char *text = store_transcript_text(r->transcript);
    expfmt_json_string(b, text ? text : "");
    free(text);
    buf_puts(b, "}");
}

static void print_json(const struct one *all, size_t n)
{
    struct buf b = {0};
    buf_puts(&b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&b, ",\n");
        one_json(&b, &all[i]);
    }
    buf_puts(&b, "]\n");
    fwrite(b.p, 1, b.len, stdout);
    buf_free(&b);
}

static int exit_code(const struct one *all, size_t n)
{
    int rc = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        if (all[i].res.reason == REASON_LOCAL)
            return EXIT_USAGE;
        if (all[i].res.reason != REASON_OK)
            rc = EXIT_BAD;
    }
    return rc;
}

/* ---- PTR names: as telnet says "Connected to NAME", at most PTR_WAIT_MS more ---- */

/* The names are a courtesy: a silent resolver must not hold the answer back. */
#define PTR_WAIT_MS 2000

struct ptr_ask {
    struct mx_addr_result *a;
    struct dns_query *q;
    size_t *pending;
    struct loop *loop;
};

static void on_ptr(void *arg, const struct dns_records_answer *ans)
{
    struct ptr_ask *k = arg;
    k->q = NULL;
    if (ans->rcode == DNS_OK || ans->rcode == DNS_NXDOMAIN || ans->rcode == DNS_NODATA) {
        const char *name = ans->rcode == DNS_OK && ans->n ? ans->rec[0].text : "";
        k->a->ptr = store_name_new(name, strlen(name));
    }
    if (--*k->pending == 0)
        loop_stop(k->loop);
}

static int64_t on_ptr_deadline(struct loop *l, void *arg)
{
    *(bool *)arg = true;
    loop_stop(l);
    return -1; /* the timer is freed */
}

/* Every address's PTR name, all at once; what has not come within PTR_WAIT_MS stays unknown. */
static void lookup_ptrs(struct cli_probe_env *env, struct one *all, size_t n)
{
    size_t total = 0, pending = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t h = 0; h < all[i].res.n_hosts; h++)
            total += all[i].res.hosts[h].n_addrs;
    struct ptr_ask *asks = xcalloc(total ? total : 1, sizeof *asks);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t h = 0; h < all[i].res.n_hosts; h++)
            for (size_t j = 0; j < all[i].res.hosts[h].n_addrs; j++) {
                struct mx_addr_result *a = &all[i].res.hosts[h].addrs[j];
                char qname[80];
                if (rep_query_name(a->addr_str, NULL, qname, sizeof qname) < 0)
                    continue;
                asks[k] = (struct ptr_ask){.a = a, .pending = &pending, .loop = env->loop};
                pending++;
                asks[k].q = dns_query_records(env->dns, qname, DNS_T_PTR, on_ptr, &asks[k]);
                k++;
            }
    if (pending) {
        bool fired = false;
        struct loop_timer *t = loop_timer_add(env->loop, PTR_WAIT_MS, on_ptr_deadline, &fired);
        loop_run(env->loop);
        if (!fired)
            loop_timer_del(env->loop, t);
    }
    for (size_t i = 0; i < k; i++)
        if (asks[i].q)
            dns_cancel(env->dns, asks[i].q);
    free(asks);
}

static int probe_all(struct config *cfg, struct one *all, size_t n, char *err, size_t errlen)
{
    struct cli_probe_env env;
    if (cli_probe_env_open(&env, cfg, err, errlen) < 0)
        return -1;
    run.loop = env.loop;
    run.pending = n;
    for (size_t i = 0; i < n; i++) {
        struct probe_request rq;
        cli_probe_request(&rq, cfg, all[i].domain, all[i].params);
        rq.tls_policy = cfg->tls_policy;
        probe_start(env.dns, env.smtp, &rq, on_done, &all[i]);
    }
    loop_run(env.loop);
    lookup_ptrs(&env, all, n);
    cli_probe_env_close(&env);
    return 0;
}

int cmd_probe(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help || f.first_arg >= argc) {
        fprintf(f.help ? stdout : stderr,
                "usage: mxwatch probe [--json] [--dns.server IP:PORT] [--smtp.port N] "
                "[--config.file F] DOMAIN...\n");
        return f.help ? EXIT_OK : EXIT_USAGE;
    }
    if (cli_setup_log(&f) < 0)
        return EXIT_USAGE;
    char err[CONFIG_ERR_MAX];
    struct config *cfg = cli_load_config(&f, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "mxwatch probe: %s\n", err);
        return EXIT_USAGE;
    }
    size_t n = (size_t)(argc - f.first_arg);
    struct one *all = xcalloc(n, sizeof *all);
    for (size_t i = 0; i < n; i++) {
        char *d = mxw_lower(argv[f.first_arg + (int)i]);
        if (mxw_valid_domain(d) < 0) { /* before the trailing dot goes: "x.." is no name */
            fprintf(stderr, "mxwatch probe: '%s' is not a domain name\n", d);
            free(all);
            config_free(cfg);
            return EXIT_USAGE;
        }
        size_t len = strlen(d);
        if (d[len - 1] == '.')
            d[len - 1] = '\0';
        all[i].domain = d;
        all[i].params = cli_params_for(cfg, d); /* a listed domain: its own settings */
    }
    if (probe_all(cfg, all, n, err, sizeof err) < 0) {
        fprintf(stderr, "mxwatch probe: %s\n", err);
        free(all);
        config_free(cfg);
        return EXIT_USAGE;
    }
    if (f.json)
        print_json(all, n);
    for (size_t i = 0; i < n && !f.json; i++)
        print_text(&all[i], all[i].params->smtp_port);
    int rc = exit_code(all, n);
    for (size_t i = 0; i < n; i++)
        probe_result_free(&all[i].res);
    free(all);
    config_free(cfg);
    return rc;
}
