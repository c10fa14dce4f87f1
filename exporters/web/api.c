/*
 * api.c - the JSON API and the debug view (api.h). JSON is written straight into a buf
 * (no object tree: the list of 10,000 destinations must stay cheap), every string from
 * outside (domains, MX names, banners, EHLO replies, transcripts) through
 * expfmt_json_string, which escapes it and replaces invalid UTF-8, so the output always
 * parses. Handlers run on the HTTP thread and read only the snapshot they are given.
 */
#include "api.h"

#include "expfmt.h"
#include "prom.h"
#include "routes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* ---- small JSON writers: k is a constant key without characters to escape ---- */

static void key(struct buf *b, const char *k)
{
    buf_append(b, "\"", 1);
    buf_puts(b, k);
    buf_append(b, "\":", 2);
}

static void kv_str(struct buf *b, const char *k, const char *v, size_t cap)
{
    key(b, k);
    expfmt_json_stringn(b, v, cap);
    buf_append(b, ",", 1);
}

static void kv_u64(struct buf *b, const char *k, uint64_t v)
{
    key(b, k);
    buf_u64(b, v);
    buf_append(b, ",", 1);
}

static void kv_num(struct buf *b, const char *k, double v)
{
    key(b, k);
    expfmt_json_double(b, v);
    buf_append(b, ",", 1);
}

/* A time or duration that may be unknown: null when v is below min (0 = never, negative =
 * phase not reached). */
static void kv_opt(struct buf *b, const char *k, double v, double min)
{
    key(b, k);
    if (v < min)
        buf_append(b, "null", 4);
    else
        expfmt_json_double(b, v);
    buf_append(b, ",", 1);
}

static void kv_bool(struct buf *b, const char *k, bool v)
{
    key(b, k);
    buf_puts(b, v ? "true," : "false,");
}

/* Replaces a trailing comma by the closing character. */
static void close_with(struct buf *b, char c)
{
    if (b->len && b->p[b->len - 1] == ',')
        b->p[b->len - 1] = c;
    else
        buf_append(b, &c, 1);
}

/* ---- one destination ---- */

static const char *const host_dns_names[] = {"ok", "nxdomain", "nodata", "temporary"};

/* The EHLO reply as an array of lines. */
static void ehlo_lines(struct buf *b, const char *ehlo, size_t cap)
{
    size_t len = strnlen(ehlo, cap), start = 0;
    buf_append(b, "[", 1);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && ehlo[i] != '\n')
            continue;
        if (i > start) {
            expfmt_json_stringn(b, ehlo + start, i - start);
            buf_append(b, ",", 1);
        }
        start = i + 1;
    }
    close_with(b, ']');
}

static void address(struct buf *b, const struct mx_addr_result *a)
{
    buf_append(b, "{", 1);
    kv_str(b, "address", a->addr_str, sizeof a->addr_str);
    kv_str(b, "family", a->family == AF_INET6 ? "ipv6" : "ipv4", 5);
    key(b, "ptr"); /* null: not known yet; "": the address has no PTR record */
    if (a->ptr)
        expfmt_json_stringn(b, a->ptr->name, STORE_DOMAIN_MAX);
    else
        buf_append(b, "null", 4);
    buf_append(b, ",", 1);
    kv_str(b, "outcome", store_outcome_name(a->outcome), STORE_REASON_MAX);
    kv_bool(b, "up", a->outcome == OUT_OK);
    kv_opt(b, "smtp_code", a->smtp_code, 1);
    kv_opt(b, "connect_seconds", a->connect_s, 0);
    kv_opt(b, "banner_seconds", a->banner_s, 0);
    kv_opt(b, "ehlo_seconds", a->ehlo_s, 0);
    kv_opt(b, "tls_handshake_seconds", a->tls_s, 0);
    kv_bool(b, "starttls_offered", a->starttls_offered);
    kv_bool(b, "tls_negotiated", a->tls_negotiated);
    kv_bool(b, "tls_verified", a->tls_verified);
    key(b, "tls_version");
    if (a->tls_version[0])
        expfmt_json_stringn(b, a->tls_version, sizeof a->tls_version);
    else
        buf_append(b, "null", 4);
    buf_append(b, ",", 1);
    kv_opt(b, "tls_cert_expiry", a->tls_cert_expiry, 1);
    kv_str(b, "dane", store_dane_name((enum dane_state)a->dane), 16);
    kv_str(b, "banner", store_addr_banner(a), STORE_BANNER_MAX);
    key(b, "ehlo");
    ehlo_lines(b, store_addr_ehlo(a), STORE_EHLO_MAX);
    buf_append(b, ",", 1);
    kv_opt(b, "probed_at", a->probed_at, 1);
    close_with(b, '}');
}

void api_render_mx(struct buf *b, const struct mx_host *hosts, size_t n)
{
    buf_append(b, "[", 1);
    for (size_t h = 0; h < n; h++) {
        const struct mx_host *mh = &hosts[h];
        buf_append(b, "{", 1);
        kv_str(b, "name", mh->name, STORE_DOMAIN_MAX);
        kv_u64(b, "preference", mh->preference);
        kv_u64(b, "ttl", mh->ttl);
        kv_str(b, "dns", (unsigned)mh->dns < 4 ? host_dns_names[mh->dns] : "unknown", 16);
        kv_bool(b, "implicit", mh->implicit);
        kv_str(b, "tlsa", store_tlsa_name((enum tlsa_lookup)mh->tlsa), 16);
        kv_bool(b, "tlsa_authenticated", mh->tlsa_authenticated);
        kv_u64(b, "tlsa_records", mh->n_tlsa);
        kv_u64(b, "tlsa_usable", mh->n_tlsa_usable);
        kv_str(b, "mta_sts", store_sts_host_name((enum sts_host)mh->sts), 16);
        key(b, "addresses");
        buf_append(b, "[", 1);
        for (size_t k = 0; k < mh->n_addrs; k++) {
            address(b, &mh->addrs[k]);
            buf_append(b, ",", 1);
        }
        close_with(b, ']');
        buf_append(b, "},", 2);
    }
    close_with(b, ']');
}

/* "tls_policy": the latest MTA-STS and TLS-RPT check, null before the first. */
static void tls_policy(struct buf *b, const struct store_tls_policy *p, double checked_at)
{
    key(b, "tls_policy");
    if (!p) {
        buf_append(b, "null,", 5);
        return;
    }
    buf_append(b, "{", 1);
    kv_num(b, "checked_at", checked_at);
    key(b, "mta_sts");
    buf_append(b, "{", 1);
    kv_str(b, "record", store_txt_policy_name(p->sts_txt), 16);
    kv_bool(b, "in_force", p->sts_in_force);
    if (p->sts_in_force) {
        kv_str(b, "id", p->sts_id, sizeof p->sts_id);
        kv_str(b, "mode", store_sts_mode_name(p->sts_mode), 16);
        kv_u64(b, "max_age", p->sts_max_age);
        kv_num(b, "fetched_at", p->sts_fetched_at);
        kv_num(b, "expires_at", p->sts_fetched_at + p->sts_max_age);
        kv_str(b, "mx", p->sts_mx, STORE_POLICY_TEXT);
    }
    kv_str(b, "error", p->sts_error, STORE_POLICY_TEXT);
    close_with(b, '}');
    buf_append(b, ",", 1);
    key(b, "tls_rpt");
    buf_append(b, "{", 1);
    kv_str(b, "record", store_txt_policy_name(p->rpt_txt), 16);
    kv_str(b, "rua", p->rpt_rua, STORE_POLICY_TEXT);
    close_with(b, '}');
    buf_append(b, ",", 1);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

/* "transaction": the last transaction probe, null when none ran (or none is configured).
 * Replies are a stranger's: bounded by the session, escaped here. */
static void transaction(struct buf *b, const struct store_txn *t)
{
    key(b, "transaction");
    if (!t) {
        buf_append(b, "null,", 5);
        return;
    }
    buf_append(b, "{", 1);
    kv_str(b, "mode", txn_mode_name(t->r.mode), 16);
    kv_str(b, "from", t->from, TXN_ADDR_MAX);
    kv_str(b, "to", t->to, TXN_ADDR_MAX);
    kv_num(b, "time", t->r.at);
    kv_bool(b, "success", t->r.success);
    kv_str(b, "failed_phase", t->r.success ? "" : txn_phase_name(t->r.failed), 16);
    kv_str(b, "outcome", store_outcome_name(t->outcome), 32);
    kv_str(b, "vote", store_vote_name(store_txn_vote(t)), 16);
    kv_str(b, "mx_host", t->mx, STORE_DOMAIN_MAX);
    kv_str(b, "mx_address", t->r.address, sizeof t->r.address);
    kv_str(b, "message_id", t->r.message_id, sizeof t->r.message_id);
    key(b, "phases");
    buf_append(b, "[", 1);
    for (int p = 0; p < TXN__PHASES; p++) {
        const struct txn_step *st = &t->r.step[p];
        if (!st->reached)
            continue;
        buf_append(b, "{", 1);
        kv_str(b, "phase", txn_phase_name((enum txn_phase)p), 16);
        kv_opt(b, "seconds", st->s, 0);
        if (st->code)
            kv_u64(b, "reply_code", (uint64_t)st->code);
        else
            buf_puts(b, "\"reply_code\":null,");
        kv_str(b, "enhanced_code", st->enhanced, sizeof st->enhanced);
        kv_str(b, "reply", st->text, sizeof st->text);
        close_with(b, '}');
        buf_append(b, ",", 1);
    }
    close_with(b, ']');
    buf_append(b, ",", 1);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

static void mx_hosts(struct buf *b, const struct dest_view *d)
{
    key(b, "mx");
    api_render_mx(b, d->hosts, d->n_hosts);
    buf_append(b, ",", 1);
}

/* "k":{"label":count,...}, for the queue's shape (labels as on /metrics). */
static void kv_counts(struct buf *b, const char *k, const char *const *labels, const uint32_t *v,
                      size_t n)
{
    key(b, k);
    buf_append(b, "{", 1);
    for (size_t i = 0; i < n; i++)
        kv_u64(b, labels[i], v[i]);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

static void mta(struct buf *b, const struct mta_figures *m, bool configured)
{
    key(b, "mta");
    if (!m->present && !configured) {
        buf_append(b, "null,", 5);
        return;
    }
    buf_append(b, "{", 1);
    kv_bool(b, "reported", m->present);
    kv_u64(b, "active", m->active);
    kv_u64(b, "unattempted", m->unattempted);
    kv_u64(b, "attempted", m->attempted);
    kv_u64(b, "connections_current", m->conn_current);
    kv_u64(b, "connections_pending", m->conn_pending);
    kv_u64(b, "delivered", m->delivered);
    kv_u64(b, "completed", m->completed);
    kv_u64(b, "soft_bounce_events", m->soft_bounce);
    key(b, "hard_bounced");
    buf_printf(b, "{\"dns\":%llu,\"5xx\":%llu,\"filter\":%llu,\"expired\":%llu,\"other\":%llu},",
               (unsigned long long)m->hard_dns, (unsigned long long)m->hard_5xx,
               (unsigned long long)m->hard_filter, (unsigned long long)m->hard_expired,
               (unsigned long long)m->hard_other);
    kv_u64(b, "deleted", m->deleted);
    kv_num(b, "oldest_message_age_seconds", m->oldest_age_s);
    static const char *const ages[] = {MTA_AGE_LABELS}, *const queues[] = {MTA_QUEUE_LABELS};
    kv_num(b, "newest_message_age_seconds", m->newest_age_s);
    kv_counts(b, "queued_by_age", ages, m->queued_age, MTA_AGE__COUNT);
    kv_counts(b, "queued_by_queue", queues, m->queued_in, MTA_Q__COUNT);
    kv_u64(b, "failed_connections", m->conn_failed);
    kv_str(b, "last_failure", m->last_failure, sizeof m->last_failure);
    /* Enhanced status codes are stored as class*1000000 + subject*1000 + detail. */
    key(b, "errors");
    buf_append(b, "[", 1);
    for (size_t i = 0; i < m->n_errors && i < STORE_ERROR_CODES_MAX; i++) {
        uint32_t c = m->errors[i].code;
        buf_printf(b, "{\"code\":\"%u.%u.%u\",\"count\":%llu},", c / 1000000, c / 1000 % 1000,
                   c % 1000, (unsigned long long)m->errors[i].count);
    }
    close_with(b, ']');
    close_with(b, '}');
    buf_append(b, ",", 1);
}

static void probes(struct buf *b, const struct dest_view *d)
{
    size_t slots[PROM_RESULTS_MAX];
    uint64_t counts[PROM_RESULTS_MAX];
    size_t n = prom_probe_results(d, slots, counts);
    key(b, "probes");
    buf_append(b, "{", 1);
    for (size_t k = 0; k < n; k++)
        kv_u64(b, store_result_name(slots[k]), counts[k]);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

static void history(struct buf *b, const struct dest_view *d)
{
    key(b, "history");
    buf_append(b, "[", 1);
    for (size_t i = 0; d->history && i < d->history->n; i++) {
        const struct history_sample *h = &d->history->s[i];
        buf_append(b, "{", 1);
        kv_num(b, "t", h->t);
        kv_u64(b, "active", h->active);
        kv_str(b, "status", store_status_name((enum dest_status)h->status), 16);
        close_with(b, '}');
        buf_append(b, ",", 1);
    }
    close_with(b, ']');
    buf_append(b, ",", 1);
}

/* A delivery attempt of the MTA as "NAME":{...}, or null; its text is outside input, kept
 * free of control bytes by the store and escaped here like every string. */
static void attempt(struct buf *b, const char *name, const struct delivery_attempt *a)
{
    key(b, name);
    if (!a) {
        buf_append(b, "null,", 5);
        return;
    }
    buf_append(b, "{", 1);
    kv_num(b, "time", a->at);
    kv_bool(b, "success", a->cls == DELIV_SENT);
    kv_str(b, "class", store_delivery_class_name(a->cls), 16);
    kv_str(b, "vote", store_vote_name(store_delivery_vote(a)), 16);
    kv_str(b, "command", store_delivery_cmd_name(a->cmd), 16);
    kv_str(b, "mx_host", a->host, STORE_DOMAIN_MAX);
    kv_str(b, "mx_address", a->addr, STORE_ADDR_STR_MAX);
    if (a->reply)
        kv_u64(b, "reply_code", a->reply);
    else
        buf_puts(b, "\"reply_code\":null,");
    kv_str(b, "enhanced_code", a->enhanced, sizeof a->enhanced);
    kv_str(b, "reply", a->text, STORE_REPLY_MAX);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

/* The MTA's routes that concern d (sources.postfix.transport_maps): those whose domains go
 * through d, and the one keyed by d itself, as [{"domains":KEY,"via":DEST}] ("" for the
 * domains' own MX records). */
static void smtp_routes(struct buf *b, const struct snapshot *s, const struct dest_view *d)
{
    key(b, "smtp_routes");
    buf_append(b, "[", 1);
    for (size_t i = 0; s->routes && i < s->routes->n; i++) {
        const struct store_route *r = &s->routes->r[i];
        if (strcasecmp(r->dest, d->domain) && strcasecmp(r->key, d->domain))
            continue;
        buf_append(b, "{", 1);
        kv_str(b, "domains", r->key, STORE_DOMAIN_MAX);
        kv_str(b, "via", r->dest, STORE_DOMAIN_MAX);
        close_with(b, '}');
        buf_append(b, ",", 1);
    }
    close_with(b, ']');
    buf_append(b, ",", 1);
}

/* The fields both documents share. */
static void dest_common(struct buf *b, const struct snapshot *s, const struct dest_view *d)
{
    kv_str(b, "domain", d->domain, STORE_DOMAIN_MAX);
    kv_str(b, "origin", d->origin == ORIGIN_CONFIG ? "config" : "discovered", 16);
    kv_u64(b, "index", d->index);
    kv_str(b, "status", store_status_name(d->status), 16);
    kv_str(b, "reason", store_dest_reason_text(d), STORE_REASON_MAX);
    kv_str(b, "status_signal", store_signal_name(d->status_signal), 16);
    kv_opt(b, "status_changed", d->status_changed, 1);
    kv_opt(b, "last_probe", d->last_probe, 1);
    kv_u64(b, "consecutive_failures", d->consecutive_failures);
    bool probed = d->last_probe > 0; /* DNS figures exist once probed */
    kv_opt(b, "dns_lookup_duration_seconds", probed ? d->dns_s : -1.0, 0);
    kv_opt(b, "dns_ttl_seconds", probed ? (double)d->dns_ttl : -1.0, 0);
    probes(b, d);
    mx_hosts(b, d);
    tls_policy(b, d->tls_policy, d->tls_checked_at);
    transaction(b, d->txn);
    mta(b, &d->mta, s->agent.n_sources > 0);
}

void api_render_destination(const struct snapshot *s, const struct dest_view *d, struct buf *out)
{
    buf_append(out, "{", 1);
    dest_common(out, s, d);
    attempt(out, "last_delivery", d->delivery);
    attempt(out, "latest_error_reply", d->last_error);
    smtp_routes(out, s, d);
    history(out, d);
    key(out, "transcript");
    char *text = store_transcript_text(d->transcript);
    expfmt_json_string(out, text);
    free(text);
    buf_append(out, "}\n", 2);
}

static void agent(struct buf *b, const struct snapshot *s)
{
    const struct agent_figures *a = &s->agent;
    key(b, "agent");
    buf_append(b, "{", 1);
    kv_str(b, "version", MXW_VERSION, 64);
    kv_str(b, "revision", MXW_REVISION, 64);
    kv_bool(b, "ready", a->first_round_done);
    kv_num(b, "start_time", a->start_time);
    kv_num(b, "probe_loop_lag_seconds", a->loop_lag_s);
    kv_u64(b, "dns_in_flight", a->dns_in_flight);
    kv_u64(b, "smtp_in_flight", a->smtp_in_flight);
    kv_bool(b, "config_last_reload_successful", a->config_reload_ok);
    kv_opt(b, "config_last_reload_success_timestamp", a->config_reload_time, 1);
    kv_bool(b, "agentx_connected", a->agentx_connected);
    key(b, "sources");
    buf_append(b, "[", 1);
    for (size_t i = 0; i < a->n_sources && i < STORE_SOURCES_MAX; i++) {
        const struct source_status *src = &a->sources[i];
        buf_append(b, "{", 1);
        kv_str(b, "name", src->name, sizeof src->name);
        kv_bool(b, "up", src->up);
        kv_u64(b, "errors", src->errors);
        kv_num(b, "last_duration_seconds", src->last_duration_s);
        kv_opt(b, "last_success", src->last_success, 1);
        close_with(b, '}');
        buf_append(b, ",", 1);
    }
    close_with(b, ']');
    buf_append(b, "},", 2);
}

/* ---- the sender's reputation ---- */

static const char *const fcrdns_names[] = {"unknown", "ok", "fail"};
static const char *const dnsbl_names[] = {"unknown", "clean", "listed", "error"};

static void sender_zone(struct buf *b, const struct sender_zone *z)
{
    buf_append(b, "{", 1);
    kv_str(b, "zone", z->zone, sizeof z->zone);
    kv_str(b, "state", dnsbl_names[(unsigned)z->state < 4 ? z->state : 0], 16);
    kv_bool(b, "listed", z->state == DNSBL_LISTED);
    kv_str(b, "code", z->code, sizeof z->code);
    kv_str(b, "text", z->text, sizeof z->text);
    kv_opt(b, "checked_at", z->checked_at, 1);
    close_with(b, '}');
    buf_append(b, ",", 1);
}

/* "sender": the sending addresses' PTR, FCrDNS and DNSBL listings; addresses [] when none
 * is checked (global.sending_addresses). */
static void sender(struct buf *b, const struct snapshot *s)
{
    const struct sender_view *v = s->sender;
    key(b, "sender");
    buf_puts(b, "{\"addresses\":[");
    for (size_t i = 0; v && i < v->n; i++) {
        const struct sender_address *a = &v->a[i];
        buf_append(b, "{", 1);
        kv_str(b, "address", a->addr, sizeof a->addr);
        kv_str(b, "ptr", a->ptr, sizeof a->ptr);
        kv_str(b, "fcrdns", fcrdns_names[(unsigned)a->fcrdns < 3 ? a->fcrdns : 0], 16);
        kv_str(b, "fcrdns_detail", a->detail, sizeof a->detail);
        kv_opt(b, "checked_at", a->checked_at, 1);
        key(b, "dnsbl");
        buf_append(b, "[", 1);
        for (size_t k = 0; k < a->n_zones && k < STORE_ZONES_MAX; k++)
            sender_zone(b, &a->zones[k]);
        close_with(b, ']');
        buf_append(b, "},", 2);
    }
    close_with(b, ']');
    buf_append(b, "},", 2);
}

void api_render_list(const struct snapshot *s, struct buf *out)
{
    buf_reserve(out, 4096 + s->n * 2600);
    buf_append(out, "{", 1);
    kv_u64(out, "generation", s->generation);
    kv_num(out, "taken_at", s->taken_at);
    agent(out, s);
    sender(out, s);
    key(out, "destinations");
    buf_append(out, "[", 1);
    for (size_t i = 0; i < s->n; i++) {
        buf_append(out, "{", 1);
        dest_common(out, s, store_snapshot_dest(s, i));
        close_with(out, '}');
        buf_append(out, ",", 1);
    }
    close_with(out, ']');
    buf_append(out, "}\n", 2);
}

/* ---- the debug view ---- */

static void utc(char *out, size_t cap, double t)
{
    if (t <= 0) {
        mxw_strlcpy(out, "never", cap);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void api_render_debug(const struct dest_view *d, struct buf *out)
{
    char when[32];
    utc(when, sizeof when, d->last_probe);
    buf_puts(out, "# destination ");
    expfmt_text(out, d->domain);
    buf_printf(out, ": %s (%s), last probe %s\n", store_status_name(d->status),
               store_dest_reason_text(d), when);
    for (size_t h = 0; h < d->n_hosts; h++) {
        const struct mx_host *mh = &d->hosts[h];
        for (size_t k = 0; k < mh->n_addrs; k++) {
            const struct mx_addr_result *a = &mh->addrs[k];
            buf_puts(out, "# MX ");
            expfmt_text(out, mh->name);
            buf_printf(out, " preference %u address ", mh->preference);
            expfmt_text(out, a->addr_str);
            buf_printf(out, ": %s, code %d\n#   banner: ", store_outcome_name(a->outcome),
                       a->smtp_code);
            expfmt_text(out, store_addr_banner(a));
            buf_puts(out, "\n#   ehlo: ");
            expfmt_text(out, store_addr_ehlo(a));
            buf_puts(out, "\n");
        }
    }
    buf_puts(out, "# last SMTP conversation:\n");
    char *text = store_transcript_text(d->transcript);
    if (text)
        expfmt_text(out, text);
    else
        buf_puts(out, "(none recorded yet)\n");
    free(text);
}

/* ---- lookup and handlers ---- */

const struct dest_view *api_find(const struct snapshot *s, const char *name)
{
    char key_[STORE_DOMAIN_MAX];
    size_t len = strlen(name);
    if (len > 1 && name[len - 1] == '.')
        len--;
    if (!s || len == 0 || len >= sizeof key_)
        return NULL;
    memcpy(key_, name, len);
    key_[len] = '\0';
    return store_snapshot_find(s, mxw_lower(key_));
}

void api_handle_destinations(const struct http_request *rq, const struct snapshot *snap,
                             struct http_response *rs)
{
    (void)rq;
    if (!snap) {
        http_error(rs, 503, "no snapshot yet");
        return;
    }
    rs->content_type = "application/json";
    api_render_list(snap, &rs->body);
}

void api_handle_destination(const struct http_request *rq, const struct snapshot *snap,
                            struct http_response *rs)
{
    const struct dest_view *d = api_find(snap, rq->path + strlen(API_DEST_PREFIX));
    if (!d) {
        rs->status = 404;
        rs->content_type = "application/json";
        buf_puts(&rs->body, "{\"error\":\"no such destination\"}\n");
        return;
    }
    rs->content_type = "application/json";
    api_render_destination(snap, d, &rs->body);
}

void api_handle_debug(const struct http_request *rq, const struct snapshot *snap,
                      struct http_response *rs)
{
    const struct dest_view *d = api_find(snap, rq->path + strlen(API_DEBUG_PREFIX));
    if (!d) {
        http_error(rs, 404, "no such destination");
        return;
    }
    rs->content_type = "text/plain; charset=utf-8";
    api_render_debug(d, &rs->body);
}
