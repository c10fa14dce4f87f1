/*
 * cmd_smtpping.c - `mxwatch smtpping RCPT@DOMAIN`: what the smtpping tool does, with the
 * agent's own resolver and SMTP session. The MX is found as `mxwatch probe` finds it (same
 * DNS settings and flags; --mx names the host or address instead), then --count full
 * transactions run against the most preferred address: connect, greeting, EHLO, STARTTLS
 * when offered, MAIL, RCPT, DATA, the test message, QUIT (--rcpt-only: RSET after RCPT, no
 * mail). Prints each run's phase times and every step's reply, then min/avg/max per phase
 * as ping does; --json for machines. Exit status as probe's: 0 every run went through, 1 one
 * did not (or the domain has no usable MX), 2 usage or local error. Main thread.
 * Replies come from a stranger's server: printed through cli_put_text (termout.c).
 */
#include "api.h"
#include "buf.h"
#include "cli.h"
#include "expfmt.h"
#include "log.h"
#include "loop.h"
#include "probe.h"
#include "smtp.h"
#include "txn.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define COUNT_MAX 10000

struct ping {
    char rcpt[TXN_ADDR_MAX], from[TXN_ADDR_MAX], domain[STORE_DOMAIN_MAX];
    char mx[STORE_DOMAIN_MAX];
    unsigned count;
    int64_t interval_ms;
    size_t size;
    enum txn_mode mode;
    const struct probe_params *params;
    int family;
    unsigned char addr[16];
    char addr_str[STORE_ADDR_STR_MAX];
};

/* What the private loop waits for: one answer, then it stops. */
struct wait {
    struct loop *loop;
    struct probe_result res;
    struct mx_addr_result r;
    struct txn_result txn;
};

/* cppcheck-suppress constParameter ; the probe's callback type fixes the signature */
static void on_resolved(void *arg, struct probe_result *res)
{
    struct wait *w = arg;
    w->res = *res;
    loop_stop(w->loop);
}

static void on_txn(void *arg, const struct mx_addr_result *r)
{
    struct wait *w = arg;
    w->r = *r;
    w->r.text = NULL; /* the session's block goes with this call; the text is not shown */
    loop_stop(w->loop);
}

static int64_t on_pause(struct loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
    return -1;
}

/* ---- arguments ---- */

static int parse_count(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end || v < 1 || v > COUNT_MAX)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || v > TXN_SIZE_MAX)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int usage_error(const char *msg, const char *what)
{
    fprintf(stderr, "mxwatch smtpping: %s '%s'\n", msg, what);
    return -1;
}

/* The flags of smtpping into pg; -1 (message printed) on a bad one. */
static int parse_ping(const struct cli_flags *f, const char *rcpt, struct ping *pg)
{
    pg->count = 1;
    pg->interval_ms = 1000;
    pg->size = 512;
    pg->mode = f->rcpt_only ? TXN_MODE_RCPT : TXN_MODE_DATA;
    if (f->count && parse_count(f->count, &pg->count) < 0)
        return usage_error("--count: not 1..10000:", f->count);
    if (f->interval && mxw_parse_duration_ms(f->interval, &pg->interval_ms) < 0)
        return usage_error("--interval: not a duration (1s, 500ms):", f->interval);
    if (f->size && parse_size(f->size, &pg->size) < 0)
        return usage_error("--size: not 0..10485760 bytes:", f->size);
    if (!txn_addr_ok(rcpt, false))
        return usage_error("not a recipient address:", rcpt);
    mxw_strlcpy(pg->rcpt, rcpt, sizeof pg->rcpt);
    char *d = mxw_lower(xstrdup(strrchr(rcpt, '@') + 1));
    size_t len = strlen(d);
    if (mxw_valid_domain(d) < 0 || len >= sizeof pg->domain) {
        usage_error("not a domain name:", d);
        free(d);
        return -1;
    }
    if (d[len - 1] == '.')
        d[len - 1] = '\0';
    mxw_strlcpy(pg->domain, d, sizeof pg->domain);
    free(d);
    const char *from = f->from ? f->from : "";
    if (!txn_addr_ok(from, true))
        return usage_error("--from: not a sender address:", from);
    mxw_strlcpy(pg->from, from, sizeof pg->from);
    if (f->mx && (strlen(f->mx) >= sizeof pg->mx || f->mx[0] == '\0'))
        return usage_error("--mx: not a host name or address:", f->mx);
    return 0;
}

/* ---- the MX ---- */

/* --mx as an address literal: nothing to resolve. */
static bool mx_literal(struct ping *pg, const char *mx)
{
    if (inet_pton(AF_INET, mx, pg->addr) == 1)
        pg->family = AF_INET;
    else if (inet_pton(AF_INET6, mx, pg->addr) == 1)
        pg->family = AF_INET6;
    else
        return false;
    mxw_strlcpy(pg->mx, mx, sizeof pg->mx);
    inet_ntop(pg->family, pg->addr, pg->addr_str, sizeof pg->addr_str);
    return true;
}

/* The most preferred address of the probe's answer; false when none. */
static bool first_address(struct ping *pg, const struct probe_result *r)
{
    for (size_t h = 0; h < r->n_hosts; h++)
        for (size_t a = 0; a < r->hosts[h].n_addrs; a++) {
            const struct mx_addr_result *x = &r->hosts[h].addrs[a];
            pg->family = x->family;
            memcpy(pg->addr, x->addr, sizeof pg->addr);
            mxw_strlcpy(pg->addr_str, x->addr_str, sizeof pg->addr_str);
            mxw_strlcpy(pg->mx, r->hosts[h].name, sizeof pg->mx);
            return true;
        }
    return false;
}

/* Resolves the MX as probe does; the exit status when there is none to use, else -1. */
static int resolve(struct ping *pg, const struct config *cfg, const struct cli_probe_env *env,
                   const char *mx)
{
    if (mx && mx_literal(pg, mx))
        return -1;
    struct wait w = {.loop = env->loop};
    struct probe_request rq;
    cli_probe_request(&rq, cfg, pg->domain, pg->params);
    rq.resolve_only = true;
    rq.mx_host = mx;
    probe_start(env->dns, env->smtp, &rq, on_resolved, &w);
    loop_run(env->loop);
    bool found = w.res.reason == REASON_OK && first_address(pg, &w.res);
    int rc = w.res.reason == REASON_LOCAL ? EXIT_USAGE : EXIT_BAD;
    if (!found) {
        fprintf(stderr, "mxwatch smtpping: %s: no MX address to use (%s)%s%s\n", pg->domain,
                store_reason_name(w.res.reason), w.res.detail ? ": " : "",
                w.res.detail ? w.res.detail : "");
    }
    probe_result_free(&w.res);
    return found ? -1 : rc;
}

/* ---- one run ---- */

static void run_once(struct ping *pg, const struct config *cfg, const struct cli_probe_env *env,
                     struct wait *w)
{
    struct smtp_check_params sp = {
        .family = pg->family,
        .port = pg->params->smtp_port,
        .mx_name = pg->mx,
        .ehlo_name = cfg->ehlo_name,
        .source_address = cfg->source_address,
        .starttls = pg->params->starttls,
        .connect_timeout_ms = pg->params->connect_timeout_ms,
        .banner_timeout_ms = pg->params->banner_timeout_ms,
        .total_timeout_ms = pg->params->total_timeout_ms,
        .transcript_max = cfg->transcript_bytes,
        .txn_mode = pg->mode,
        .mail_from = pg->from,
        .rcpt_to = pg->rcpt,
        .msg_size = pg->size,
        .txn = &w->txn,
    };
    memcpy(sp.addr, pg->addr, sizeof sp.addr);
    *w = (struct wait){.loop = env->loop};
    smtp_transaction(env->smtp, &sp, on_txn, w);
    loop_run(env->loop);
}

/* ---- output ---- */

struct stats {
    unsigned runs, ok;
    unsigned n[TXN__PHASES];
    double min[TXN__PHASES], max[TXN__PHASES], sum[TXN__PHASES];
};

static void stats_add(struct stats *st, const struct txn_result *t)
{
    st->runs++;
    st->ok += t->success;
    for (int p = 0; p < TXN__PHASES; p++) {
        double s = t->step[p].s;
        if (!t->step[p].reached || s < 0)
            continue;
        if (!st->n[p] || s < st->min[p])
            st->min[p] = s;
        if (!st->n[p] || s > st->max[p])
            st->max[p] = s;
        st->sum[p] += s;
        st->n[p]++;
    }
}

static void print_run(unsigned i, const struct txn_result *t, const struct mx_addr_result *r)
{
    printf("run %u from %s:", i, t->address);
    bool first = true;
    for (int p = 0; p < TXN__PHASES; p++) {
        if (!t->step[p].reached || t->step[p].s < 0)
            continue;
        printf("%s %s %.1f ms", first ? "" : ",", txn_phase_name((enum txn_phase)p),
               t->step[p].s * 1000);
        first = false;
    }
    if (t->success)
        printf(": ok\n");
    else if (r->outcome == OUT_OK)
        printf(": failed at %s\n", txn_phase_name(t->failed));
    else
        printf(": failed at %s (%s)\n", txn_phase_name(t->failed), store_outcome_name(r->outcome));
    for (int p = 0; p < TXN__PHASES; p++) {
        const struct txn_step *s = &t->step[p];
        if (!s->reached || (p == TXN_CONNECT || p == TXN_TLS))
            continue;
        char name[16];
        mxw_strlcpy(name, txn_phase_name((enum txn_phase)p), sizeof name);
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        printf("  %-8s ", name);
        if (s->code)
            cli_put_text(stdout, s->text);
        else
            printf("(no reply)");
        printf("\n");
    }
    if (t->message_id[0]) {
        printf("  message-id <");
        cli_put_text(stdout, t->message_id);
        printf(">\n");
    }
}

static void print_stats(const struct ping *pg, const struct stats *st)
{
    printf("\n--- %s smtpping statistics ---\n", pg->rcpt);
    unsigned failed = st->runs - st->ok;
    printf("%u transactions, %u succeeded, %.0f%% failed\n", st->runs, st->ok,
           st->runs ? 100.0 * failed / st->runs : 0.0);
    for (int p = 0; p < TXN__PHASES; p++)
        if (st->n[p])
            printf("%-8s min/avg/max = %.1f/%.1f/%.1f ms\n", txn_phase_name((enum txn_phase)p),
                   st->min[p] * 1000, st->sum[p] / st->n[p] * 1000, st->max[p] * 1000);
}

static void json_run(struct buf *b, const struct txn_result *t, const struct mx_addr_result *r)
{
    buf_printf(b, "{\"success\":%s,\"outcome\":\"%s\",\"failed_phase\":",
               t->success ? "true" : "false", store_outcome_name(r->outcome));
    expfmt_json_string(b, t->success ? "" : txn_phase_name(t->failed));
    buf_puts(b, ",\"message_id\":");
    expfmt_json_string(b, t->message_id);
    buf_puts(b, ",\"phases\":[");
    bool first = true;
    for (int p = 0; p < TXN__PHASES; p++) {
        const struct txn_step *s = &t->step[p];
        if (!s->reached)
            continue;
        buf_printf(b, "%s{\"phase\":\"%s\",\"seconds\":", first ? "" : ",",
                   txn_phase_name((enum txn_phase)p));
        expfmt_json_double(b, s->s);
        buf_printf(b, ",\"code\":%d,\"enhanced\":", s->code);
        expfmt_json_string(b, s->enhanced);
        buf_puts(b, ",\"text\":");
        expfmt_json_string(b, s->text);
        buf_puts(b, "}");
        first = false;
    }
    buf_puts(b, "]}");
}

static void json_head(struct buf *b, const struct ping *pg)
{
    buf_puts(b, "{\"rcpt\":");
    expfmt_json_string(b, pg->rcpt);
    buf_puts(b, ",\"from\":");
    expfmt_json_string(b, pg->from);
    buf_puts(b, ",\"domain\":");
    expfmt_json_string(b, pg->domain);
    buf_puts(b, ",\"mx\":");
    expfmt_json_string(b, pg->mx);
    buf_printf(b, ",\"address\":\"%s\",\"port\":%u,\"mode\":\"%s\",\"runs\":[", pg->addr_str,
               pg->params->smtp_port, txn_mode_name(pg->mode));
}

/* ---- the command ---- */

static int ping_all(struct ping *pg, const struct config *cfg, const struct cli_probe_env *env,
                    bool json)
{
    struct stats st = {0};
    struct buf b = {0};
    unsigned local = 0;
    if (json)
        json_head(&b, pg);
    else
        printf("SMTPPING %s via %s [%s]:%u, %s, %zu bytes\n", pg->rcpt, pg->mx, pg->addr_str,
               pg->params->smtp_port, pg->mode == TXN_MODE_RCPT ? "rcpt only" : "data", pg->size);
    for (unsigned i = 1; i <= pg->count; i++) {
        struct wait w;
        run_once(pg, cfg, env, &w);
        stats_add(&st, &w.txn);
        local += w.r.outcome == OUT_LOCAL_ERROR;
        if (json) {
            buf_puts(&b, i > 1 ? "," : "");
            json_run(&b, &w.txn, &w.r);
        } else
            print_run(i, &w.txn, &w.r);
        fflush(stdout);
        if (i < pg->count && pg->interval_ms > 0) {
            loop_timer_add(env->loop, pg->interval_ms, on_pause, NULL);
            loop_run(env->loop);
        }
    }
    if (json) {
        buf_printf(&b, "],\"transactions\":%u,\"succeeded\":%u}\n", st.runs, st.ok);
        fwrite(b.p, 1, b.len, stdout);
        buf_free(&b);
    } else {
        print_stats(pg, &st);
    }
    if (local == st.runs)
        return EXIT_USAGE; /* not one session could run from here */
    return st.ok == st.runs ? EXIT_OK : EXIT_BAD;
}

static int usage(bool help)
{
    fprintf(help ? stdout : stderr,
            "usage: mxwatch smtpping [--count N] [--interval D] [--size BYTES] [--from ADDR] "
            "[--helo NAME] [--mx HOST|IP] [--rcpt-only] [--json] [--dns.server IP:PORT] "
            "[--smtp.port N] [--config.file F] RCPT@DOMAIN\n");
    return help ? EXIT_OK : EXIT_USAGE;
}

int cmd_smtpping(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help || f.first_arg != argc - 1)
        return usage(f.help);
    if (cli_setup_log(&f) < 0)
        return EXIT_USAGE;
    struct ping pg = {0};
    if (parse_ping(&f, argv[f.first_arg], &pg) < 0)
        return EXIT_USAGE;
    char err[CONFIG_ERR_MAX];
    struct config *cfg = cli_load_config(&f, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "mxwatch smtpping: %s\n", err);
        return EXIT_USAGE;
    }
    if (f.helo) {
        if (mxw_valid_domain(f.helo) < 0) {
            fprintf(stderr, "mxwatch smtpping: --helo: '%s' is not a host name\n", f.helo);
            config_free(cfg);
            return EXIT_USAGE;
        }
        free(cfg->ehlo_name);
        cfg->ehlo_name = xstrdup(f.helo);
    }
    pg.params = cli_params_for(cfg, pg.domain);
    struct cli_probe_env env;
    int rc = EXIT_USAGE;
    if (cli_probe_env_open(&env, cfg, err, sizeof err) < 0) {
        fprintf(stderr, "mxwatch smtpping: %s\n", err);
    } else {
        rc = resolve(&pg, cfg, &env, f.mx);
        if (rc < 0)
            rc = ping_all(&pg, cfg, &env, f.json);
        cli_probe_env_close(&env);
    }
    config_free(cfg);
    return rc;
}
