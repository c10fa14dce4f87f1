/*
 * tlspolicy.c - MTA-STS and TLS-RPT checks per destination (tlspolicy.h). One check is a
 * small state machine over its outstanding lookups (pending counts them):
 *   TXT _mta-sts.D and TXT _smtp._tls.D, at once;
 *   when the STS record names an id other than the cached policy's, or the cached policy is
 *   past half its max_age: A of mta-sts.D through our own resolver (glibc would ask port 53 only),
 * then GET https://mta-sts.D/.well-known/mta-sts.txt pinned to that address (CURLOPT_CONNECT_TO, so
 * the URL, the Host header, SNI and the certificate's name stay mta-sts.D): no redirects,
 * certificate and name verified, at most STS_BODY_MAX bytes, text/plain; when nothing is pending:
 * the block is published into the destination's view. A policy that was fetched stays in force
 * until max_age after the fetch, also when a later TXT lookup or fetch fails (RFC 8461 5.1); faults
 * are shown, never a crash. Loop thread only; never logs.
 */
#include "tlspolicy.h"

#include "buf.h"
#include "mtasts.h"
#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define FETCH_TIMEOUT_MS 15000
/* New checks a second at most, over all destinations (a bucket of CHECKS_BURST): a fresh
 * agent of 100,000 destinations asks for their policies over half an hour, never in one
 * storm of TXT queries at its resolver; one not started now is at the destination's next
 * probe. */
#define CHECKS_PER_S 50
#define CHECKS_BURST 100
#define STS_ERR(e)   (e)->run->sts_error, sizeof(e)->run->sts_error

/* A check while it runs (freed at its end, so a destination at rest costs only its entry). */
struct run {
    size_t pending;
    struct dns_query *q_sts, *q_rpt, *q_addr;
    CURL *h;
    struct curl_slist *connect_to;
    struct buf body;
    bool body_over;
    char curl_err[CURL_ERROR_SIZE];
    char txt_id[STS_ID_MAX];     /* the id the TXT record names in this check */
    struct store_tls_policy out; /* its scalars, being found */
    char sts_error[STORE_POLICY_TEXT], rpt_rua[STORE_POLICY_TEXT];
};

/* A domain with a check in flight or a policy held; one that publishes nothing has no entry
 * between checks (its caller keeps when it was last checked), so 100,000 destinations
 * without MTA-STS cost nothing here. */
struct entry {
    struct tlspolicy *tp;
    struct run *run;            /* the check in flight, or NULL */
    struct sts_policy *policy;  /* the policy in force, or NULL */
    char policy_id[STS_ID_MAX]; /* its id */
    double fetched_at;          /* its fetch, wall time */
    char domain[];
};

struct tlspolicy {
    struct dns *dns;
    struct curlm *curlm;
    int64_t interval_ms;
    char *ca_file;
    unsigned port;
    struct strmap entries;
    const struct store_tls_policy *nothing; /* the findings of a check that found nothing */
    double tokens;                          /* checks that may start now (CHECKS_PER_S) */
    int64_t tokens_at_us;                   /* when tokens was last topped up */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool in_force(const struct entry *e, double now)
{
    return e->policy && e->fetched_at + e->policy->max_age > now;
}

/* ---- the end of a check ---- */

/* Ends the check in flight, if any, without publishing. */
static void stop_work(struct entry *e)
{
    struct run *r = e->run;
    if (!r)
        return;
    struct dns *dns = e->tp->dns;
    if (r->q_sts)
        dns_cancel(dns, r->q_sts);
    if (r->q_rpt)
        dns_cancel(dns, r->q_rpt);
    if (r->q_addr)
        dns_cancel(dns, r->q_addr);
    if (r->h) {
        curlm_remove(e->tp->curlm, r->h);
        curl_easy_cleanup(r->h);
    }
    curl_slist_free_all(r->connect_to);
    buf_free(&r->body);
    free(r);
    e->run = NULL;
}

/* The mx: patterns of p, space-separated, cut to fit. */
static void patterns_text(const struct sts_policy *p, char *out, size_t cap)
{
    size_t have = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->n_mx && have + 1 < cap; i++)
        have += (size_t)snprintf(out + have, cap - have, "%s%s", i ? " " : "", p->mx[i]);
}

static void publish(struct entry *e)
{
    struct store_tls_policy *out = &e->run->out;
    char mx[STORE_POLICY_TEXT] = "";
    double now = wall_now();
    out->sts_in_force = in_force(e, now);
    if (out->sts_in_force) {
        out->sts_mode = e->policy->mode;
        out->sts_max_age = e->policy->max_age;
        out->sts_fetched_at = e->fetched_at;
        mxw_strlcpy(out->sts_id, e->policy_id, sizeof out->sts_id);
        patterns_text(e->policy, mx, sizeof mx);
    }
    struct dest *d = store_dest_find(e->domain);
    bool nothing = out->sts_txt == TXT_POLICY_ABSENT && out->rpt_txt == TXT_POLICY_ABSENT &&
                   !out->sts_in_force && !e->run->sts_error[0];
    if (d && nothing)
        store_dest_set_tls_policy(d, store_tls_policy_ref(e->tp->nothing), now);
    else if (d)
        store_dest_set_tls_policy(
            d, store_tls_policy_new(out, mx, e->run->sts_error, e->run->rpt_rua), now);
    stop_work(e);
    if (!e->policy) /* nothing held between checks */
        free(strmap_del(&e->tp->entries, e->domain));
}

static void settle(struct entry *e)
{
    if (--e->run->pending == 0)
        publish(e);
}

/* ---- the policy file ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct entry *e = arg;
    size_t len = size * n;
    if (e->run->body.len + len > STS_BODY_MAX) {
        e->run->body_over = true;
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    buf_append(&e->run->body, p, len);
    return len;
}

/* Whether the response's media type is text/plain (parameters aside). */
static bool text_plain(CURL *h)
{
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

/* Takes a fetched body: the new policy in force, or the fault. */
static void take_policy(struct entry *e)
{
    struct sts_policy *p = xmalloc(sizeof *p);
    char err[STS_ERR_MAX];
    if (sts_parse_policy(e->run->body.p ? e->run->body.p : "", e->run->body.len, p, err,
                         sizeof err) < 0) {
        snprintf(STS_ERR(e), "policy of mta-sts.%s: %s", e->domain, err);
        free(p);
        return;
    }
    free(e->policy);
    e->policy = p;
    e->fetched_at = wall_now();
    mxw_strlcpy(e->policy_id, e->run->txt_id, sizeof e->policy_id);
}

static void on_fetched(void *arg, CURL *h, CURLcode rc)
{
    struct entry *e = arg;
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    char where[STORE_POLICY_TEXT];
    snprintf(where, sizeof where, "https://mta-sts.%s/.well-known/mta-sts.txt", e->domain);
    if (e->run->body_over)
        snprintf(STS_ERR(e), "%.160s: over %d bytes", where, STS_BODY_MAX);
    else if (rc != CURLE_OK)
        snprintf(STS_ERR(e), "%.160s: %.90s", where,
                 e->run->curl_err[0] ? e->run->curl_err : curl_easy_strerror(rc));
    else if (code != 200)
        snprintf(STS_ERR(e), "%.160s: HTTP status %ld%s", where, code,
                 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
    else if (!text_plain(h))
        snprintf(STS_ERR(e), "%.160s: media type is not text/plain", where);
    else
        take_policy(e);
    curlm_remove(e->tp->curlm, e->run->h);
    curl_easy_cleanup(e->run->h);
    e->run->h = NULL;
    settle(e);
}

static void start_fetch(struct entry *e, const struct dns_addr *a)
{
    char url[STORE_DOMAIN_MAX + 64], pin[STORE_DOMAIN_MAX + 96], ip[64];
    inet_ntop(a->family, a->addr, ip, sizeof ip);
    snprintf(url, sizeof url, "https://mta-sts.%s/.well-known/mta-sts.txt", e->domain);
    snprintf(pin, sizeof pin, "mta-sts.%s:443:%s%s%s:%u", e->domain,
             a->family == AF_INET6 ? "[" : "", ip, a->family == AF_INET6 ? "]" : "", e->tp->port);
    e->run->h = curl_easy_init();
    e->run->connect_to = curl_slist_append(NULL, pin);
    if (!e->run->h || !e->run->connect_to) {
        snprintf(STS_ERR(e), "policy fetch: out of memory on this side");
        return;
    }
    CURL *h = e->run->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, e->run->connect_to);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FETCH_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)STS_BODY_MAX);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mxwatch/" MXW_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, e);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, e->run->curl_err);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (e->tp->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, e->tp->ca_file);
    e->run->curl_err[0] = '\0';
    e->run->body_over = false;
    if (curlm_add(e->tp->curlm, h, on_fetched, e) < 0) {
        snprintf(STS_ERR(e), "policy fetch: libcurl refused the transfer on this side");
        curl_easy_cleanup(h);
        e->run->h = NULL;
        return;
    }
    e->run->pending++;
}

static void on_policy_host(void *arg, const struct dns_addr_answer *a)
{
    struct entry *e = arg;
    e->run->q_addr = NULL;
    if (a->rcode == DNS_OK && a->n)
        start_fetch(e, &a->addrs[0]);
    else
        snprintf(STS_ERR(e), "mta-sts.%s: no address (%s)", e->domain, dns_rcode_name(a->rcode));
    settle(e);
}

/* ---- the TXT records ---- */

/* The TXT verdict of a lookup that did not answer with records; the texts of one that did. */
static enum txt_policy txt_texts(const struct dns_records_answer *a, const char **txt, size_t *n)
{
    *n = 0;
    if (a->rcode == DNS_NXDOMAIN || a->rcode == DNS_NODATA)
        return TXT_POLICY_ABSENT;
    if (a->rcode != DNS_OK)
        return TXT_POLICY_FAILED;
    for (size_t i = 0; i < a->n; i++)
        txt[(*n)++] = a->rec[i].text;
    return TXT_POLICY_OK;
}

static void on_sts_txt(void *arg, const struct dns_records_answer *a)
{
    struct entry *e = arg;
    const char *txt[DNS_RECORDS_MAX];
    size_t n;
    char err[STS_ERR_MAX] = "";
    e->run->q_sts = NULL;
    e->run->out.sts_txt = txt_texts(a, txt, &n);
    if (e->run->out.sts_txt == TXT_POLICY_OK)
        e->run->out.sts_txt = sts_parse_txt(txt, n, e->run->txt_id, err, sizeof err);
    if (e->run->out.sts_txt == TXT_POLICY_MALFORMED)
        snprintf(STS_ERR(e), "_mta-sts.%s: %s", e->domain, err);
    else if (e->run->out.sts_txt == TXT_POLICY_FAILED)
        snprintf(STS_ERR(e), "_mta-sts.%s: %s", e->domain, dns_rcode_name(a->rcode));
    else if (e->run->out.sts_txt == TXT_POLICY_MULTIPLE)
        snprintf(STS_ERR(e), "_mta-sts.%s: more than one STSv1 record", e->domain);
    /* Refreshed at half its max_age (RFC 8461 5.1 asks for refreshing before expiry), so a
     * fetch that fails has the other half to succeed in. */
    double now = wall_now();
    bool fresh = in_force(e, now) && strcmp(e->policy_id, e->run->txt_id) == 0 &&
                 now - e->fetched_at < e->policy->max_age / 2.0;
    if (e->run->out.sts_txt == TXT_POLICY_OK && !fresh) {
        char host[STORE_DOMAIN_MAX + 16];
        snprintf(host, sizeof host, "mta-sts.%s", e->domain);
        e->run->pending++;
        e->run->q_addr = dns_query_addr(e->tp->dns, host, AF_INET, on_policy_host, e);
    }
    settle(e);
}

static void on_rpt_txt(void *arg, const struct dns_records_answer *a)
{
    struct entry *e = arg;
    const char *txt[DNS_RECORDS_MAX];
    size_t n;
    char err[STS_ERR_MAX] = "";
    e->run->q_rpt = NULL;
    e->run->out.rpt_txt = txt_texts(a, txt, &n);
    if (e->run->out.rpt_txt == TXT_POLICY_OK)
        e->run->out.rpt_txt = tlsrpt_parse_txt(txt, n, e->run->rpt_rua, err, sizeof err);
    if (e->run->out.rpt_txt == TXT_POLICY_MALFORMED)
        snprintf(e->run->rpt_rua, sizeof e->run->rpt_rua, "malformed: %s", err);
    settle(e);
}

/* ---- the cache and the checks ---- */

static void start_check(struct entry *e)
{
    char name[STORE_DOMAIN_MAX + 16];
    e->run = xcalloc(1, sizeof *e->run);
    e->run->pending = 2;
    snprintf(name, sizeof name, "_mta-sts.%s", e->domain);
    e->run->q_sts = dns_query_records(e->tp->dns, name, DNS_T_TXT, on_sts_txt, e);
    snprintf(name, sizeof name, "_smtp._tls.%s", e->domain);
    e->run->q_rpt = dns_query_records(e->tp->dns, name, DNS_T_TXT, on_rpt_txt, e);
}

void tlspolicy_due(struct tlspolicy *tp, const char *domain, int64_t *checked_us)
{
    int64_t now = mxw_now_us();
    if (*checked_us && now - *checked_us < tp->interval_ms * 1000)
        return;
    struct entry *e = strmap_get(&tp->entries, domain);
    if (e && e->run)
        return;
    tp->tokens += (double)(now - tp->tokens_at_us) * CHECKS_PER_S / 1e6;
    tp->tokens = tp->tokens > CHECKS_BURST ? CHECKS_BURST : tp->tokens;
    tp->tokens_at_us = now;
    if (tp->tokens < 1)
        return;
    tp->tokens -= 1;
    if (!e) {
        size_t n = strlen(domain);
        e = xcalloc(1, sizeof *e + n + 1);
        memcpy(e->domain, domain, n + 1);
        e->tp = tp;
        strmap_put(&tp->entries, e->domain, e);
    }
    *checked_us = now;
    start_check(e);
}

static void entry_free(void *v)
{
    struct entry *e = v;
    stop_work(e);
    free(e->policy);
    free(e);
}

void tlspolicy_forget(struct tlspolicy *tp, const char *domain)
{
    struct entry *e = strmap_del(&tp->entries, domain);
    if (e)
        entry_free(e);
}

enum sts_host tlspolicy_host_verdict(const struct sts_policy *p, const struct mx_host *h)
{
    if (!sts_mx_matches(p, h->name))
        return STS_HOST_NOT_LISTED;
    for (size_t a = 0; a < h->n_addrs; a++) {
        const struct mx_addr_result *r = &h->addrs[a];
        if (r->outcome == OUT_OK && !(r->tls_negotiated && r->tls_verified))
            return STS_HOST_BAD_CERT;
    }
    return STS_HOST_OK;
}

void tlspolicy_judge(struct tlspolicy *tp, const char *domain, struct mx_host *hosts,
                     size_t n_hosts, enum dest_reason *reason)
{
    const struct entry *e = strmap_get(&tp->entries, domain);
    bool on = e && in_force(e, wall_now()) && e->policy->mode != STS_MODE_NONE;
    bool usable = false, answered = false;
    for (size_t h = 0; h < n_hosts; h++) {
        hosts[h].sts = on ? (uint8_t)tlspolicy_host_verdict(e->policy, &hosts[h]) : STS_HOST_NA;
        bool host_answered = false;
        for (size_t a = 0; a < hosts[h].n_addrs; a++)
            host_answered |= hosts[h].addrs[a].outcome == OUT_OK;
        answered |= host_answered;
        usable |= host_answered && hosts[h].sts == STS_HOST_OK;
    }
    if (on && e->policy->mode == STS_MODE_ENFORCE && *reason == REASON_OK && answered && !usable)
        *reason = REASON_MTA_STS;
}

/* ---- life ---- */

void tlspolicy_configure(struct tlspolicy *tp, struct dns *dns, const struct config *cfg)
{
    if (dns != tp->dns) {
        struct entry *e;
        for (size_t it = 0; (e = strmap_next(&tp->entries, &it));)
            if (e->run) {
                stop_work(e); /* due again at its next interval */
            }
        tp->dns = dns;
    }
    tp->interval_ms = cfg->tls_policy_interval_ms;
    tp->port = cfg->mta_sts_port;
    free(tp->ca_file);
    tp->ca_file = cfg->tls_ca_file ? xstrdup(cfg->tls_ca_file) : NULL;
}

struct tlspolicy *tlspolicy_new(struct dns *dns, struct curlm *cm, const struct config *cfg)
{
    struct tlspolicy *tp = xcalloc(1, sizeof *tp);
    tp->dns = dns;
    tp->curlm = cm;
    tp->nothing = store_tls_policy_new(&(struct store_tls_policy){0}, "", "", "");
    tp->tokens = CHECKS_BURST;
    tp->tokens_at_us = mxw_now_us();
    tlspolicy_configure(tp, dns, cfg);
    return tp;
}

void tlspolicy_free(struct tlspolicy *tp)
{
    if (!tp)
        return;
    strmap_clear(&tp->entries, entry_free);
    store_tls_policy_unref(tp->nothing);
    free(tp->ca_file);
    free(tp);
}
