/*
 * engine.c - the probe scheduler (engine.h). One target per destination in the store, each
 * on its own loop timer: a stable per-destination phase (a hash of the domain) spreads the
 * probes evenly over the interval; the first round is spread over FIRST_ROUND_SPREAD_MS, or
 * longer at FIRST_ROUND_RATE destinations a second, so a fresh agent knows its world quickly
 * without a burst at its resolver. A probe still running
 * when its next turn comes is not started again. A failure that the flap damping has not
 * yet turned into "down" is confirmed sooner than a full interval later.
 *
 * The targets follow the store: a full pass at start and at each reload (parameters may have
 * changed), and in between the store tells the engine of each destination that comes or
 * goes (discovery), so no timer walks every destination.
 *
 * A destination with a transaction probe (destinations[].transaction) has one beside its
 * target (txnprobe.c), on a timer of its own; the target owns it and ends it with itself.
 *
 * Results go into the store (store_dest_set_probe), which notifies status observers.
 * Loop thread only. Owns the c-ares channel (dns.c) and the sender reputation checks that
 * share it (reputation.c); the daemon owns the loop's libcurl
 * multi handle (curlm.c) and lends it to the engine and the gateway source alike.
 */
#include "engine.h"

#include "curlm.h"
#include "dns.h"
#include "hash.h"
#include "log.h"
#include "mxptr.h"
#include "probe.h"
#include "reputation.h"
#include "smtp.h"
#include "strmap.h"
#include "tlspolicy.h"
#include "txn.h"
#include "txnprobe.h"
#include "util.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_ROUND_SPREAD_MS 5000
#define FIRST_ROUND_RATE      500   /* new destinations a second at most in the first round */
#define CONFIRM_MAX_MS        15000 /* re-probe of a first failure, at most this late */

struct target {
    struct probe_params params;
    struct loop_timer *timer;
    struct probe *running;
    struct txnprobe *txn;      /* NULL: no transaction probe configured */
    int64_t last_done_us;      /* monotonic end of the latest probe, 0 = none */
    int64_t policy_checked_us; /* its latest TLS policy check (tlspolicy_due), 0 = none */
    bool probed_once;
    bool seen;     /* marked during a sync */
    char domain[]; /* the map's key, as long as it is */
};

static struct {
    struct loop *loop;
    const struct config *cfg; /* the loop's current config (owned by the daemon) */
    struct dns *dns;
    struct curlm *curlm;
    struct smtp *smtp;
    struct tlspolicy *tlspolicy; /* NULL with global.tls_policy off */
    struct mxptr *mxptr;         /* PTR names of the MX addresses */
    struct reputation *rep;      /* NULL: no sending address to check */
    struct txnprobe_env tenv;    /* what the transaction probes run on, kept current */
    struct strmap targets;
    size_t n_targets, n_probed_once;
    bool first_round_done;
    struct dns_figures dns_base; /* counted by resolvers replaced on reload */
} eng;

/* Delay until the target's next slot: its phase within the interval, on the monotonic
 * clock, so probes stay evenly spread however long each takes. */
static int64_t next_slot(const struct target *t)
{
    int64_t iv = t->params.interval_ms, now = mxw_now_ms();
    int64_t phase = (int64_t)(hash_fnv1a_str(t->domain) % (uint64_t)iv);
    int64_t d = (phase - now % iv + iv) % iv;
    return d < 100 ? d + iv : d;
}

/* The parameters of d's configuration entry (the daemon sets them at start and reload), or
 * the defaults for a destination the configuration does not list (discovered). */
static const struct probe_params *params_of(const struct dest *d)
{
    const struct probe_params *p = store_dest_params(d);
    return p ? p : &eng.cfg->defaults;
}

/* d's transaction probe config, NULL when it has none (or is discovered). */
static const struct txn_config *txn_of(const struct dest *d)
{
    const struct txn_config *c = store_dest_txn_config(d);
    return c && c->mode != TXN_MODE_NONE ? c : NULL;
}

/* Makes t's transaction probe follow the configuration: started, updated or ended (and then
 * its last result leaves the view: the destination has no transaction probe any more). */
static void txn_follow(struct target *t, struct dest *d)
{
    const struct txn_config *c = txn_of(d);
    if (c && !t->txn)
        t->txn = txnprobe_new(&eng.tenv, t->domain, &t->params, c);
    else if (c)
        txnprobe_update(t->txn, c);
    else if (t->txn) {
        txnprobe_free(t->txn);
        t->txn = NULL;
        store_dest_set_transaction(d, NULL);
    }
}

/* ---- results ---- */

static void on_status(struct dest *d, enum dest_status old_s, enum dest_status new_s, void *arg)
{
    (void)arg;
    const struct dest_view *v = store_dest_view(d);
    log_msg(new_s == DEST_DOWN ? LOG_LVL_WARN : LOG_LVL_INFO, "probe",
            "destination status changed destination=%s from=%s to=%s reason=%s signal=%s",
            v->domain, store_status_name(old_s), store_status_name(new_s),
            store_dest_reason_text(v), store_signal_name(v->status_signal));
}

/* The first round ends when every target has been probed once: checked where that can
 * become true, when a probe completes and when targets come or go. */
static void note_first_round(void)
{
    if (eng.first_round_done || eng.n_probed_once < eng.n_targets)
        return;
    eng.first_round_done = true;
    log_info("probe", "first probe round done destinations=%zu", eng.n_targets);
}

static void on_probe_done(void *arg, struct probe_result *res)
{
    struct target *t = arg;
    t->running = NULL;
    t->last_done_us = mxw_now_us();
    if (!t->probed_once) {
        t->probed_once = true;
        eng.n_probed_once++;
        note_first_round();
    }
    struct dest *d = store_dest_find(t->domain);
    if (!d) {
        probe_result_free(res);
        return;
    }
    enum dest_status old_s, new_s;
    if (eng.tlspolicy)
        tlspolicy_judge(eng.tlspolicy, t->domain, res->hosts, res->n_hosts, &res->reason);
    store_dest_set_probe(d, res->hosts, res->n_hosts, res->dns_s, res->dns_ttl, res->reason,
                         res->primary, t->params.down_after, &old_s, &new_s);
    if (res->transcript)
        store_dest_set_transcript(d, res->transcript);
    store_dest_set_dns_answer(d, res->dns_cached, res->dns_age_s);
    log_debug("probe", "probe done destination=%s reason=%s status=%s dns_seconds=%.4f", t->domain,
              store_dest_reason_text(store_dest_view(d)), store_status_name(new_s), res->dns_s);
    /* A failure not yet confirmed by the damping: look again soon, not a whole interval
     * later, so a real outage shows as "down" quickly. */
    const struct dest_view *v = store_dest_view(d);
    if (res->reason != REASON_OK && new_s != DEST_DOWN && v->consecutive_failures > 0) {
        int64_t confirm = t->params.interval_ms / 4;
        loop_timer_reset(eng.loop, t->timer,
                         confirm > CONFIRM_MAX_MS ? CONFIRM_MAX_MS
                         : confirm < 1000         ? 1000
                                                  : confirm);
    }
}

static int64_t on_target_timer(struct loop *l, void *arg)
{
    (void)l;
    struct target *t = arg;
    if (t->running) {
        log_debug("probe", "previous probe still running, skipping a turn destination=%s",
                  t->domain);
        return next_slot(t);
    }
    /* Any SMTP result newer than this destination's latest probe and than one interval is
     * news to it, whichever destination's probe caused the session. */
    int64_t fresh = mxw_now_us() - t->params.interval_ms * 1000;
    struct probe_request rq = {
        .fresh_after_us = fresh > t->last_done_us ? fresh : t->last_done_us,
        .domain = t->domain,
        .params = &t->params,
        .ehlo_name = eng.cfg->ehlo_name,
        .source_address = eng.cfg->source_address,
        .max_mx_hosts = eng.cfg->max_mx_hosts,
        .max_addresses = eng.cfg->max_addresses,
        .transcript_max = eng.cfg->transcript_bytes,
        /* TLSA lookups once the destination's policies were first checked: their start is
         * rate-bounded (tlspolicy.c), and so is the new load on the resolver */
        .tls_policy = eng.tlspolicy != NULL && t->policy_checked_us != 0,
        .mxptr = eng.mxptr,
    };
    /* TLS policy (TLSA in the probe, MTA-STS and TLS-RPT here) from a destination's second
     * probe on: the first round, which decides up and down, shares the resolver with
     * nothing else (a lossy resolver at 2,000 destinations showed the difference). */
    if (eng.tlspolicy && t->probed_once)
        tlspolicy_due(eng.tlspolicy, t->domain, &t->policy_checked_us);
    t->running = probe_start(eng.dns, eng.smtp, &rq, on_probe_done, t);
    return next_slot(t);
}

/* The resolver's counters since start: a resolver replaced on reload starts from zero, so
 * what the replaced ones counted (dns_base) is added to keep the counters monotonic. */
static void dns_totals(struct dns_figures *out)
{
    dns_figures(eng.dns, out);
    out->timeouts += eng.dns_base.timeouts;
    out->retries += eng.dns_base.retries;
    out->socket_drops_closed += eng.dns_base.socket_drops_closed;
    out->resolver_silent += eng.dns_base.resolver_silent;
    out->cache_hits += eng.dns_base.cache_hits;
    out->cache_misses += eng.dns_base.cache_misses;
}

/* ---- targets ---- */

static void target_add(struct dest *d)
{
    const char *domain = store_dest_domain(d);
    size_t len = strnlen(domain, STORE_DOMAIN_MAX - 1);
    struct target *t = xcalloc(1, sizeof *t + len + 1);
    memcpy(t->domain, domain, len);
    t->params = *params_of(d);
    store_dest_set_handle(d, t);
    /* A fresh agent knows its world within seconds, but never asks its resolver for more
     * than FIRST_ROUND_RATE new destinations a second: a cold recursive resolver must not
     * take a burst of 100,000 queries. */
    int64_t spread = (int64_t)(store_count() * 1000 / FIRST_ROUND_RATE);
    spread = spread < FIRST_ROUND_SPREAD_MS ? FIRST_ROUND_SPREAD_MS : spread;
    spread = spread > t->params.interval_ms ? t->params.interval_ms : spread;
    int64_t first = (int64_t)(hash_fnv1a_str(domain) % (uint64_t)spread);
    t->timer = loop_timer_add(eng.loop, first, on_target_timer, t);
    t->seen = true;
    strmap_put(&eng.targets, t->domain, t);
    eng.n_targets++;
    txn_follow(t, d);
}

/* Everything of a target but its place in the map. */
static void target_release(void *val)
{
    struct target *t = val;
    struct dest *d = store_dest_find(t->domain);
    if (d && store_dest_handle(d) == t)
        store_dest_set_handle(d, NULL);
    probe_cancel(t->running);
    txnprobe_free(t->txn);
    if (eng.tlspolicy)
        tlspolicy_forget(eng.tlspolicy, t->domain);
    loop_timer_del(eng.loop, t->timer);
    if (t->probed_once)
        eng.n_probed_once--;
    eng.n_targets--;
    free(t);
}

static void sync_one(struct dest *d, void *arg)
{
    (void)arg;
    struct target *t = store_dest_handle(d);
    if (!t) {
        target_add(d);
        return;
    }
    t->seen = true;
    const struct probe_params *p = params_of(d);
    bool interval_changed = p->interval_ms != t->params.interval_ms;
    t->params = *p;
    if (interval_changed)
        loop_timer_reset(eng.loop, t->timer, next_slot(t));
    txn_follow(t, d);
}

/* For strmap_sweep: a target whose destination left the store goes. */
static bool target_unseen(void *val, void *arg)
{
    (void)arg;
    struct target *t = val;
    if (t->seen)
        return false;
    target_release(t);
    return true;
}

/* Makes the targets those of the store: new destinations get a target, gone ones lose
 * theirs, parameters follow the configuration. O(destinations): at start and reload only. */
static void sync_targets(void)
{
    struct target *t;
    for (size_t it = 0; (t = strmap_next(&eng.targets, &it));)
        t->seen = false;
    store_foreach(sync_one, NULL);
    strmap_sweep(&eng.targets, target_unseen, NULL);
    note_first_round();
}

/* A destination came or went between reloads (discovery): its target follows at once. */
static void on_member(const char *domain, bool added, void *arg)
{
    (void)arg;
    if (!eng.loop)
        return;
    struct target *t = strmap_get(&eng.targets, domain);
    struct dest *d = added && !t ? store_dest_find(domain) : NULL;
    if (d) {
        target_add(d);
    } else if (!added && t) {
        strmap_del(&eng.targets, t->domain);
        target_release(t);
    }
    note_first_round();
}

/* The sender reputation checks on the current resolver, anew (at start and each reload:
 * their answers are cached, so a new round costs the resolver little). */
static void reputation_restart(const struct config *cfg)
{
    rep_free(eng.rep);
    eng.rep = rep_new(eng.loop, eng.dns, cfg);
    if (!eng.rep) {
        store_set_sender(NULL);
        log_info("reputation", "no sending address checked: neither global.sending_addresses "
                               "nor an IP address in global.source_address is set");
        return;
    }
    const char *addrs[STORE_SENDERS_MAX];
    log_info("reputation",
             "checking sending addresses addresses=%zu dnsbl_zones=%zu interval_s=%lld",
             rep_addresses(cfg, addrs, STORE_SENDERS_MAX), cfg->n_dnsbl_zones,
             (long long)(cfg->reputation_interval_ms / 1000));
}

void engine_log_smtp_step(void *arg, const struct smtp_step *st)
{
    (void)arg;
    if (!log_enabled(LOG_LVL_DEBUG))
        return;
    log_debug("smtp",
              "session step address=%s port=%u from=%s to=%s reply=%d why=\"%s\" outcome=%s",
              st->address, st->port, st->from, st->to, st->reply, st->why ? st->why : "",
              st->outcome ? st->outcome : "none");
}

int engine_start(struct loop *l, struct curlm *cm, const struct config *cfg, char *err,
                 size_t errlen)
{
    memset(&eng, 0, sizeof eng);
    eng.loop = l;
    eng.cfg = cfg;
    eng.dns = dns_new(l, cfg, err, errlen);
    if (!eng.dns)
        return -1;
    eng.curlm = cm;
    eng.smtp = smtp_new(l, eng.curlm, cfg);
    smtp_set_trace(eng.smtp, engine_log_smtp_step, NULL);
    eng.mxptr = mxptr_new(eng.dns);
    eng.tenv = (struct txnprobe_env){.loop = l, .dns = eng.dns, .smtp = eng.smtp, .cfg = cfg};
    if (cfg->tls_policy)
        eng.tlspolicy = tlspolicy_new(eng.dns, eng.curlm, cfg);
    store_subscribe_status(on_status, NULL);
    sync_targets();
    store_subscribe_members(on_member, NULL);
    reputation_restart(cfg);
    log_info("probe", "engine started destinations=%zu", eng.n_targets);
    return 0;
}

int engine_reload(const struct config *cfg, char *err, size_t errlen)
{
    int rc = 0;
    /* A new resolver applies new servers, timeout, tries and cap. */
    bool dns_changed = cfg->n_dns_servers != eng.cfg->n_dns_servers ||
                       cfg->defaults.dns_timeout_ms != eng.cfg->defaults.dns_timeout_ms ||
                       cfg->dns_first_timeout_ms != eng.cfg->dns_first_timeout_ms ||
                       cfg->dns_tries != eng.cfg->dns_tries ||
                       cfg->max_dns_in_flight != eng.cfg->max_dns_in_flight ||
                       cfg->dns_cache != eng.cfg->dns_cache ||
                       cfg->dns_cache_min_ttl_ms != eng.cfg->dns_cache_min_ttl_ms ||
                       cfg->dns_cache_max_ttl_ms != eng.cfg->dns_cache_max_ttl_ms;
    for (size_t i = 0; !dns_changed && i < cfg->n_dns_servers; i++)
        dns_changed = strcmp(cfg->dns_servers[i], eng.cfg->dns_servers[i]) != 0;
    eng.cfg = cfg;
    smtp_set_limits(eng.smtp, cfg->max_smtp_in_flight, cfg->smtp_address_per_minute);
    if (dns_changed) {
        struct dns *fresh = dns_new(eng.loop, cfg, err, errlen);
        if (!fresh) {
            rc = -1; /* the reload is not a success: the old resolver stays */
        } else {
            /* Running probes hold the old resolver: cancel them, they run again soon. */
            struct target *t;
            for (size_t it = 0; (t = strmap_next(&eng.targets, &it));) {
                if (t->running) {
                    probe_cancel(t->running);
                    t->running = NULL;
                }
                if (t->txn)
                    txnprobe_drop_dns(t->txn);
            }
            struct dns_figures total;
            dns_totals(&total);
            eng.dns_base = total;
            if (eng.tlspolicy) /* its checks hold the old resolver too */
                tlspolicy_configure(eng.tlspolicy, fresh, cfg);
            mxptr_set_dns(eng.mxptr, fresh);
            rep_free(eng.rep); /* it holds the old resolver */
            eng.rep = NULL;
            dns_free(eng.dns);
            eng.dns = fresh;
        }
    }
    eng.tenv.dns = eng.dns;
    eng.tenv.cfg = cfg;
    if (cfg->tls_policy && !eng.tlspolicy)
        eng.tlspolicy = tlspolicy_new(eng.dns, eng.curlm, cfg);
    else if (!cfg->tls_policy && eng.tlspolicy) {
        tlspolicy_free(eng.tlspolicy);
        eng.tlspolicy = NULL;
    } else if (eng.tlspolicy)
        tlspolicy_configure(eng.tlspolicy, eng.dns, cfg);
    sync_targets();
    reputation_restart(cfg);
    return rc;
}

void engine_stop(void)
{
    if (!eng.loop)
        return;
    strmap_clear(&eng.targets, target_release);
    tlspolicy_free(eng.tlspolicy);
    mxptr_free(eng.mxptr);
    rep_free(eng.rep);
    smtp_free(eng.smtp);
    dns_free(eng.dns);
    memset(&eng, 0, sizeof eng);
}

void engine_figures(struct agent_figures *ag)
{
    if (!eng.loop)
        return;
    ag->dns_in_flight = dns_in_flight(eng.dns);
    ag->smtp_in_flight = smtp_in_flight(eng.smtp);
    struct dns_figures df;
    struct smtp_figures sf;
    dns_totals(&df);
    smtp_figures(eng.smtp, &sf);
    struct probe_figures *pf = &ag->probe;
    pf->dns_timeouts = df.timeouts;
    pf->dns_retries = df.retries;
    pf->dns_socket_drops = df.socket_drops_closed;
    pf->local_resolver = df.resolver_silent;
    pf->dns_cache_hits = df.cache_hits;
    pf->dns_cache_misses = df.cache_misses;
    pf->dns_cache_entries = df.cache_entries;
    pf->smtp_sessions = sf.sessions;
    pf->smtp_answers = sf.answers;
    pf->smtp_shared = sf.shared;
    pf->smtp_rate_waits = sf.rate_waits;
    pf->smtp_addresses = sf.addresses;
    pf->local_resources = sf.local_resources;
    pf->local_late = sf.local_late;
    ag->first_round_done = eng.first_round_done;
}
