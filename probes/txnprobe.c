/*
 * txnprobe.c - one destination's transaction probe in the daemon (txnprobe.h). A turn:
 * resolve the MX (probe_start with resolve_only, the banner probe's DNS rules and cache),
 * then a transaction with the most preferred address, and with the next one when the first
 * could not be connected to (refused, unreachable, connect timeout: the greeting is the
 * banner probe's business, but a transaction needs a host to talk to). The result is
 * published as a new immutable block (store_txn_new) and votes on the status in the store.
 *
 * The rate per destination is bounded: one transaction in flight, one turn every `every`
 * (at least a minute, config.c), and after a failure the destination answered (anything but
 * the agent's own trouble) one confirmation CONFIRM_MS later, once per run of failures, so a
 * passing refusal (a greylist that admits the second try) shows for seconds and a lasting
 * one is confirmed: at most two transactions per `every`. Loop thread only.
 */
#include "txnprobe.h"

#include "hash.h"
#include "log.h"
#include "probe.h"
#include "smtp.h"
#include "store.h"
#include "txn.h"
#include "util.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_SPREAD_MS 5000  /* the first turn, within seconds of the start */
#define FIRST_MIN_MS    1000  /* but after the banner probes' first lookups began */
#define CONFIRM_MS      10000 /* the confirmation of a failure */
#define TRIES           2     /* addresses tried in one turn */

struct txn_addr {
    int family;
    unsigned char addr[16];
    char mx[STORE_DOMAIN_MAX];
};

struct txnprobe {
    const struct txnprobe_env *env;
    const char *domain;                /* the engine target's */
    const struct probe_params *params; /* the engine target's */
    const struct txn_config *c;
    struct loop_timer *timer;
    struct probe *resolving;
    struct smtp_txn *running;
    bool confirming; /* a confirmation is due or running: no second one */
    unsigned n_addrs, next;
    struct txn_addr addrs[TRIES];
    struct txn_result res; /* the running session fills it */
};

bool txnprobe_same(const struct txn_config *a, const struct txn_config *b)
{
    const char *fa = a->from ? a->from : "", *fb = b->from ? b->from : "";
    const char *ta = a->to ? a->to : "", *tb = b->to ? b->to : "";
    return a->mode == b->mode && a->every_ms == b->every_ms && a->size == b->size &&
           !strcmp(fa, fb) && !strcmp(ta, tb);
}

/* The stable phase of the domain within every: not the banner probe's (another hash), so
 * the two do not knock at the same time. */
static uint64_t phase_hash(const char *domain)
{
    return hash_fnv1a_str(domain) * 0x9e3779b97f4a7c15ULL >> 7;
}

static int64_t next_slot(const struct txnprobe *t)
{
    int64_t iv = t->c->every_ms, now = mxw_now_ms();
    int64_t phase = (int64_t)(phase_hash(t->domain) % (uint64_t)iv);
    int64_t d = (phase - now % iv + iv) % iv;
    return d < 1000 ? d + iv : d;
}

/* ---- the result ---- */

static bool connect_failed(enum mx_outcome o)
{
    return o == OUT_REFUSED || o == OUT_UNREACHABLE || o == OUT_CONNECT_TIMEOUT;
}

static void publish(struct txnprobe *t, const struct mx_addr_result *r, const char *mx)
{
    struct dest *d = store_dest_find(t->domain);
    const struct store_txn *b = store_txn_new(&t->res, r->outcome, t->c->from, t->c->to, mx);
    log_debug("txn",
              "transaction done destination=%s mode=%s address=%s success=%d failed_phase=%s "
              "code=%d outcome=%s",
              t->domain, txn_mode_name(b->r.mode), r->addr_str, b->r.success,
              b->r.success ? "" : txn_phase_name(b->r.failed),
              b->r.success ? 0 : b->r.step[b->r.failed].code, store_outcome_name(r->outcome));
    bool confirm = !b->r.success && r->outcome != OUT_LOCAL_ERROR && !t->confirming;
    if (d)
        store_dest_set_transaction(d, b);
    else
        store_txn_unref(b);
    if (b->r.success || r->outcome == OUT_LOCAL_ERROR)
        t->confirming = false;
    if (confirm) {
        t->confirming = true;
        loop_timer_reset(t->env->loop, t->timer, CONFIRM_MS);
    }
}

static void start_session(struct txnprobe *t);

static void on_done(void *arg, const struct mx_addr_result *r)
{
    struct txnprobe *t = arg;
    t->running = NULL;
    const struct txn_addr *a = &t->addrs[t->next - 1];
    if (connect_failed(r->outcome) && t->next < t->n_addrs) {
        log_debug("txn", "transaction connect failed, next address destination=%s address=%s",
                  t->domain, r->addr_str);
        start_session(t);
        return;
    }
    publish(t, r, a->mx);
}

static void start_session(struct txnprobe *t)
{
    const struct txn_addr *a = &t->addrs[t->next++];
    const struct config *cfg = t->env->cfg;
    struct smtp_check_params sp = {
        .family = a->family,
        .port = t->params->smtp_port,
        .mx_name = a->mx,
        .ehlo_name = cfg->ehlo_name,
        .source_address = cfg->source_address,
        .starttls = t->params->starttls,
        .connect_timeout_ms = t->params->connect_timeout_ms,
        .banner_timeout_ms = t->params->banner_timeout_ms,
        .total_timeout_ms = t->params->total_timeout_ms,
        .transcript_max = cfg->transcript_bytes,
        .txn_mode = (enum txn_mode)t->c->mode,
        .mail_from = t->c->from ? t->c->from : "",
        .rcpt_to = t->c->to,
        .msg_size = t->c->size,
        .txn = &t->res,
    };
    memcpy(sp.addr, a->addr, sizeof sp.addr);
    t->running = smtp_transaction(t->env->smtp, &sp, on_done, t);
}

/* ---- the MX ---- */

/* cppcheck-suppress constParameter ; the probe's callback type fixes the signature */
static void on_resolved(void *arg, struct probe_result *res)
{
    struct txnprobe *t = arg;
    t->resolving = NULL;
    t->n_addrs = t->next = 0;
    for (size_t h = 0; h < res->n_hosts && t->n_addrs < TRIES; h++)
        for (size_t k = 0; k < res->hosts[h].n_addrs && t->n_addrs < TRIES; k++) {
            const struct mx_addr_result *x = &res->hosts[h].addrs[k];
            struct txn_addr *a = &t->addrs[t->n_addrs++];
            a->family = x->family;
            memcpy(a->addr, x->addr, sizeof a->addr);
            mxw_strlcpy(a->mx, res->hosts[h].name ? res->hosts[h].name : "", sizeof a->mx);
        }
    if (res->reason != REASON_OK || !t->n_addrs) {
        /* No address to talk to: the banner probe reports why; nothing to add. */
        log_debug("txn", "transaction skipped, no MX address destination=%s reason=%s", t->domain,
                  store_reason_name(res->reason));
        probe_result_free(res);
        return;
    }
    probe_result_free(res);
    start_session(t);
}

static int64_t on_timer(struct loop *l, void *arg)
{
    (void)l;
    struct txnprobe *t = arg;
    if (t->resolving || t->running) {
        log_debug("txn", "previous transaction still running, skipping a turn destination=%s",
                  t->domain);
        return next_slot(t);
    }
    const struct config *cfg = t->env->cfg;
    struct probe_request rq = {
        .domain = t->domain,
        .params = t->params,
        .ehlo_name = cfg->ehlo_name,
        .source_address = cfg->source_address,
        .max_mx_hosts = cfg->max_mx_hosts,
        .max_addresses = cfg->max_addresses,
        .transcript_max = cfg->transcript_bytes,
        .resolve_only = true,
    };
    t->resolving = probe_start(t->env->dns, t->env->smtp, &rq, on_resolved, t);
    return next_slot(t);
}

/* ---- life ---- */

static void stop(struct txnprobe *t)
{
    probe_cancel(t->resolving);
    t->resolving = NULL;
    smtp_transaction_cancel(t->env->smtp, t->running);
    t->running = NULL;
    t->confirming = false;
}

static int64_t first_delay(const struct txnprobe *t)
{
    return FIRST_MIN_MS + (int64_t)(phase_hash(t->domain) % FIRST_SPREAD_MS);
}

struct txnprobe *txnprobe_new(const struct txnprobe_env *env, const char *domain,
                              const struct probe_params *params, const struct txn_config *c)
{
    struct txnprobe *t = xcalloc(1, sizeof *t);
    t->env = env;
    t->domain = domain;
    t->params = params;
    t->c = c;
    t->timer = loop_timer_add(env->loop, first_delay(t), on_timer, t);
    return t;
}

void txnprobe_update(struct txnprobe *t, const struct txn_config *c)
{
    bool same = txnprobe_same(t->c, c);
    t->c = c;
    if (same)
        return;
    stop(t);
    loop_timer_reset(t->env->loop, t->timer, next_slot(t));
}

void txnprobe_drop_dns(struct txnprobe *t)
{
    probe_cancel(t->resolving);
    t->resolving = NULL;
}

void txnprobe_free(struct txnprobe *t)
{
    if (!t)
        return;
    stop(t);
    loop_timer_del(t->env->loop, t->timer);
    free(t);
}
