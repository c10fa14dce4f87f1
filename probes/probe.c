/*
 * probe.c - one destination's probe (probe.h), an explicit state machine. The callbacks
 * (DNS answers, SMTP results) only record what they got and call step(), the one place
 * that switches on the state and moves the probe on:
 *   RESOLVE_MX     MX query. NXDOMAIN: permanent failure. SERVFAIL/REFUSED/timeout:
 *                  temporary. NODATA: the implicit MX (the domain itself, preference 0,
 *                  RFC 5321 5.1). A single "0 ." record: null MX, the domain accepts no mail
 *                  (RFC 7505).
 *   RESOLVE_ADDRS  A and AAAA of every MX host (capped), all in parallel; with
 *                  rq->tls_policy each host's TLSA records (_25._tcp.HOST, RFC 7672) are
 *                  asked for too, and answered while the sessions run.
 *   SESSIONS       banner checks of the addresses in preference order: all of them in
 *                  parallel (mx_policy all), or one after another until one answers
 *                  (mx_policy first).
 *   TLSA           the sessions are done: the TLSA answers still out are waited for, then
 *                  every answering address's chain is matched against them (dane.c).
 * With rq->mxptr each address gets the PTR name the agent's cache holds (mxptr.c), never
 * waited for.
 *   VERDICT        the reason and the primary outcome are known; finish() hands them to
 *                  the caller, the one exit.
 * A phase that cannot go on (no MX, no address, a silent resolver) goes straight to
 * VERDICT with its reason. DNS and SMTP callbacks never run from inside the call that
 * started them (dns.h, smtp.h), so step() is never re-entered. Loop thread only; never logs.
 */
#include "probe.h"

#include "dane.h"
#include "mxptr.h"
#include "util.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

enum probe_state { P_RESOLVE_MX, P_RESOLVE_ADDRS, P_SESSIONS, P_TLSA, P_VERDICT };

struct addr_query {
    struct probe *p;
    size_t host;
    int family;
    struct dns_query *q;
    enum dns_rcode rcode;
    size_t n;
    struct dns_addr addrs[DNS_ADDRS_MAX];
};

/* One MX host's TLSA lookup and the records it gave, for the matcher. */
struct tlsa_query {
    struct probe *p;
    size_t host;
    struct dns_query *q;
    size_t n;
    struct dane_tlsa rec[DNS_RECORDS_MAX];
};

struct addr_check {
    struct probe *p;
    size_t host, addr;
    struct smtp_session *ss;
    bool started, done;
};

struct probe {
    struct dns *dns;
    struct smtp *smtp;
    char domain[STORE_DOMAIN_MAX];
    struct probe_params params;
    char ehlo[256], source[64];
    unsigned max_mx, max_addrs;
    int64_t fresh_after_us;
    bool resolve_only;
    probe_done_fn *fn;
    void *arg;
    enum probe_state state;
    enum dest_reason reason; /* with VERDICT */
    enum mx_outcome primary; /* with VERDICT */
    enum dns_rcode mx_rcode; /* the MX answer's */
    bool null_mx;            /* the MX answer was a lone "0 ." */
    bool mx_cached;          /* the MX answer came from the DNS cache */
    double mx_age_s;
    int64_t start_us;
    struct dns_query *mxq;
    struct mx_host *hosts;
    size_t n_hosts;
    struct addr_query *aq; /* two per host: A, AAAA */
    bool tls_policy;       /* look up TLSA records and judge the chains */
    struct tlsa_query *tq; /* one per host with tls_policy: n_tq of them */
    size_t n_tq;           /* kept apart from n_hosts, which finish() clears first */
    size_t tlsa_pending;   /* TLSA answers still out */
    struct mxptr *mxptr;   /* the agent's PTR names, or NULL */
    size_t dns_pending;
    unsigned ttl;
    double dns_s;
    const char *detail;
    struct addr_check *checks;
    size_t n_checks, next_check, smtp_pending;
    struct store_transcript_builder transcript; /* bounded by the request's transcript_max */
};

/* ---- the verdict ---- */

enum dest_reason probe_verdict(const struct mx_host *hosts, size_t n_hosts,
                               enum mx_outcome *primary)
{
    bool any = false;
    *primary = OUT_NOT_PROBED;
    for (size_t h = 0; h < n_hosts; h++)
        for (size_t a = 0; a < hosts[h].n_addrs; a++) {
            enum mx_outcome o = hosts[h].addrs[a].outcome;
            if (o == OUT_OK) {
                *primary = OUT_OK;
                return REASON_OK;
            }
            if (o == OUT_NOT_PROBED || o == OUT_LOCAL_ERROR)
                continue;
            if (!any)
                *primary = o;
            any = true;
        }
    if (any)
        return REASON_ALL_FAILED;
    *primary = OUT_LOCAL_ERROR;
    return REASON_LOCAL;
}

/* An answering address a DANE client would use: its host has no authenticated TLSA records
 * it can use (RFC 7672 2.2: then DANE does not apply), or one matched the chain. */
static bool dane_allows(const struct mx_host *h, const struct mx_addr_result *a)
{
    if (h->tlsa != TLSA_RECORDS || !h->tlsa_authenticated || a->dane == DANE_UNUSABLE)
        return true;
    return a->dane == DANE_MATCH;
}

enum dest_reason probe_dane_verdict(const struct mx_host *hosts, size_t n_hosts)
{
    bool answered = false;
    for (size_t h = 0; h < n_hosts; h++)
        for (size_t a = 0; a < hosts[h].n_addrs; a++) {
            if (hosts[h].addrs[a].outcome != OUT_OK)
                continue;
            if (dane_allows(&hosts[h], &hosts[h].addrs[a]))
                return REASON_OK;
            answered = true;
        }
    return answered ? REASON_DANE : REASON_OK;
}

/* ---- the one exit ---- */

static void free_work(struct probe *p)
{
    if (p->mxq)
        dns_cancel(p->dns, p->mxq);
    for (size_t i = 0; p->aq && i < 2 * p->n_hosts; i++)
        if (p->aq[i].q)
            dns_cancel(p->dns, p->aq[i].q);
    for (size_t i = 0; i < p->n_tq; i++) /* a verdict may come before their answers */
        if (p->tq[i].q)
            dns_cancel(p->dns, p->tq[i].q);
    free(p->tq);

    for (size_t i = 0; i < p->n_checks; i++)
        if (p->checks[i].started && !p->checks[i].done)
            smtp_cancel(p->smtp, p->checks[i].ss);
    free(p->aq);
    free(p->checks);
}

static void finish(struct probe *p)
{
    struct probe_result res = {
        .reason = p->reason,
        .primary = p->primary,
        .hosts = p->hosts,
        .n_hosts = p->n_hosts,
        .dns_s = p->dns_s,
        .dns_ttl = p->ttl,
        .dns_cached = p->mx_cached,
        .dns_age_s = p->mx_age_s,
        .transcript = store_tb_finish(&p->transcript),
        .detail = p->detail,
    };
    p->hosts = NULL;
    p->n_hosts = 0;
    p->mxq = NULL;
    free_work(p);
    probe_done_fn *fn = p->fn;
    void *arg = p->arg;
    free(p);
    fn(arg, &res);
}

/* ---- SMTP ---- */

static void step(struct probe *p);

static void note(struct probe *p, const char *text)
{
    store_tb_line(&p->transcript, text);
}

static void on_smtp_done(void *arg, const struct mx_addr_result *r)
{
    struct addr_check *c = arg;
    struct probe *p = c->p;
    struct mx_host *h = &p->hosts[c->host];
    c->done = true;
    const struct store_name *ptr = h->addrs[c->addr].ptr; /* the probe's, not the session's */
    h->addrs[c->addr] = *r;
    h->addrs[c->addr].ptr = ptr;
    store_text_ref(r->text); /* shared with every destination behind the address */
    char head[400];
    snprintf(head, sizeof head, "== %s [%s]:%u (preference %u)", h->name, r->addr_str,
             p->params.smtp_port, h->preference);
    note(p, head);
    /* The session's own text, by reference: the same for every destination behind it. */
    store_tb_session(&p->transcript, r->text);
    p->smtp_pending--;
    step(p);
}

static void start_check(struct addr_check *c)
{
    struct probe *p = c->p; /* NOLINT(clang-analyzer-core.NullDereference): c is in p->checks */
    const struct mx_host *h = &p->hosts[c->host];
    const struct mx_addr_result *a = &h->addrs[c->addr];
    struct smtp_check_params sp = {
        .family = a->family,
        .port = p->params.smtp_port,
        .mx_name = h->name,
        .ehlo_name = p->ehlo,
        .source_address = p->source[0] ? p->source : NULL,
        .starttls = p->params.starttls,
        .connect_timeout_ms = p->params.connect_timeout_ms,
        .banner_timeout_ms = p->params.banner_timeout_ms,
        .total_timeout_ms = p->params.total_timeout_ms,
        .transcript_max = p->transcript.max,
        .fresh_after_us = p->fresh_after_us,
    };
    memcpy(sp.addr, a->addr, sizeof sp.addr);
    c->started = true;
    p->smtp_pending++;
    c->ss = smtp_check(p->smtp, &sp, on_smtp_done, c);
}

/* Enters SESSIONS: one check per address, in preference order. */
static void enter_sessions(struct probe *p)
{
    p->state = P_SESSIONS;
    size_t n = 0;
    for (size_t h = 0; h < p->n_hosts; h++)
        n += p->hosts[h].n_addrs;
    p->checks = xcalloc(n, sizeof *p->checks);
    for (size_t h = 0; h < p->n_hosts; h++)
        for (size_t a = 0; a < p->hosts[h].n_addrs; a++)
            p->checks[p->n_checks++] = (struct addr_check){.p = p, .host = h, .addr = a};
    size_t first = p->params.mx_policy == MX_POLICY_FIRST ? 1 : p->n_checks;
    while (p->next_check < first)
        start_check(&p->checks[p->next_check++]);
}

/* SESSIONS with no check running: with mx_policy first and no answer yet, the next
 * address; otherwise the verdict. */
static void sessions_done(struct probe *p)
{
    const struct addr_check *last = p->next_check ? &p->checks[p->next_check - 1] : NULL;
    bool answered = last && p->hosts[last->host].addrs[last->addr].outcome == OUT_OK;
    if (p->params.mx_policy == MX_POLICY_FIRST && !answered && p->next_check < p->n_checks) {
        start_check(&p->checks[p->next_check++]);
        return;
    }
    p->state = P_TLSA;
}

/* Every answering address's presented chain against its host's TLSA records. */
static void match_tlsa(struct probe *p)
{
    for (size_t h = 0; p->tq && h < p->n_hosts; h++)
        for (size_t k = 0; k < p->hosts[h].n_addrs; k++) {
            struct mx_addr_result *a = &p->hosts[h].addrs[k];
            if (a->outcome == OUT_OK)
                a->dane = (uint8_t)dane_match(a->text ? a->text->chain : NULL, p->tq[h].rec,
                                              p->tq[h].n, NULL);
        }
}

/* TLSA with every answer in: the verdict. */
static void tlsa_done(struct probe *p)
{
    match_tlsa(p);
    p->state = P_VERDICT;
    p->reason = probe_verdict(p->hosts, p->n_hosts, &p->primary);
    if (p->reason == REASON_OK && p->tls_policy)
        p->reason = probe_dane_verdict(p->hosts, p->n_hosts);
    if (p->reason == REASON_DANE)
        p->detail = "every answering address failed its authenticated TLSA records";
    if (p->reason == REASON_LOCAL)
        p->detail = "no SMTP session could run from here (see the transcript)";
}

/* ---- addresses ---- */

/* Moves the answers of host h into its address list: IPv4 first, then IPv6, each capped. */
static void collect_host(struct probe *p, size_t h)
{
    struct mx_host *mh = &p->hosts[h];
    struct addr_query *q4 = &p->aq[2 * h], *q6 = &p->aq[2 * h + 1];
    size_t n4 = q4->n < p->max_addrs ? q4->n : p->max_addrs;
    size_t n6 = q6->n < p->max_addrs ? q6->n : p->max_addrs;
    mh->addrs = (n4 + n6) ? xcalloc(n4 + n6, sizeof *mh->addrs) : NULL;
    for (size_t i = 0; i < n4 + n6; i++) {
        const struct dns_addr *da = i < n4 ? &q4->addrs[i] : &q6->addrs[i - n4];
        struct mx_addr_result *r = &mh->addrs[mh->n_addrs++];
        r->family = da->family;
        memcpy(r->addr, da->addr, sizeof r->addr);
        inet_ntop(da->family, da->addr, r->addr_str, sizeof r->addr_str);
        r->connect_s = r->banner_s = r->ehlo_s = r->tls_s = -1;
        r->ptr = p->mxptr ? mxptr_get(p->mxptr, r->addr_str) : NULL;
        if (mh->implicit && (p->ttl == 0 || da->ttl < p->ttl))
            p->ttl = da->ttl;
    }
    if (mh->n_addrs)
        mh->dns = MXH_OK;
    else if (q4->rcode == DNS_TEMPORARY || q6->rcode == DNS_TEMPORARY || q4->rcode == DNS_LOCAL ||
             q6->rcode == DNS_LOCAL)
        mh->dns = MXH_TEMPORARY;
    else if (q4->rcode == DNS_NXDOMAIN && q6->rcode == DNS_NXDOMAIN)
        mh->dns = MXH_NXDOMAIN;
    else
        mh->dns = MXH_NODATA;
}

/* The outcome of a phase that ends the probe early. */
static void verdict(struct probe *p, enum dest_reason reason, enum mx_outcome primary)
{
    p->state = P_VERDICT;
    p->reason = reason;
    p->primary = primary;
}

/* RESOLVE_ADDRS with every answer in: SESSIONS, or the verdict when no address is left. */
static void addresses_done(struct probe *p)
{
    p->dns_s = (double)(mxw_now_us() - p->start_us) / 1e6;
    size_t total = 0;
    bool temporary = false, local = false;
    for (size_t h = 0; h < p->n_hosts; h++) {
        local |= p->aq[2 * h].rcode == DNS_LOCAL || p->aq[2 * h + 1].rcode == DNS_LOCAL;
        collect_host(p, h);
        total += p->hosts[h].n_addrs;
        temporary |= p->hosts[h].dns == MXH_TEMPORARY;
        if (p->hosts[h].dns != MXH_OK) {
            char line[320];
            snprintf(line, sizeof line, "# MX %s has no usable address (%s)", p->hosts[h].name,
                     p->hosts[h].dns == MXH_NXDOMAIN ? "nxdomain"
                     : p->hosts[h].dns == MXH_NODATA ? "no A or AAAA record"
                                                     : "temporary DNS failure");
            note(p, line);
        }
    }
    if (total == 0 && local) {
        p->detail = "the resolver answered no query meanwhile";
        verdict(p, REASON_LOCAL, OUT_LOCAL_ERROR); /* our resolver, not their names */
        return;
    }
    if (total == 0) {
        verdict(p, temporary ? REASON_DNS_TEMPORARY : REASON_NO_ADDRESS, OUT_NOT_PROBED);
        return;
    }
    if (p->resolve_only) {
        verdict(p, REASON_OK, OUT_NOT_PROBED); /* the caller runs its own sessions */
        return;
    }
    enter_sessions(p);
}

static void on_tlsa(void *arg, const struct dns_records_answer *a)
{
    struct tlsa_query *t = arg;
    struct probe *p = t->p;
    struct mx_host *h = &p->hosts[t->host];
    t->q = NULL;
    h->tlsa = a->rcode == DNS_OK                                   ? TLSA_RECORDS
              : a->rcode == DNS_NXDOMAIN || a->rcode == DNS_NODATA ? TLSA_NONE
                                                                   : TLSA_FAILED;
    h->tlsa_authenticated = a->rcode == DNS_OK && a->authenticated;
    for (size_t i = 0; i < a->n && t->n < DNS_RECORDS_MAX; i++) {
        const struct dns_record *r = &a->rec[i];
        struct dane_tlsa *d = &t->rec[t->n++];
        *d = (struct dane_tlsa){.usage = r->usage,
                                .selector = r->selector,
                                .mtype = r->mtype,
                                .truncated = r->truncated,
                                .len = r->data_len};
        memcpy(d->data, r->data, r->data_len < DANE_DATA_MAX ? r->data_len : DANE_DATA_MAX);
        h->n_tlsa_usable += dane_usable(d);
    }
    h->n_tlsa = (uint8_t)t->n;
    if (h->tlsa == TLSA_RECORDS) {
        char line[360];
        snprintf(line, sizeof line, "# TLSA _25._tcp.%s: %zu records, %u usable, %s", h->name, t->n,
                 h->n_tlsa_usable, a->authenticated ? "authenticated (AD)" : "not authenticated");
        note(p, line);
    }
    p->tlsa_pending--;
    step(p);
}

static void on_addr(void *arg, const struct dns_addr_answer *a)
{
    struct addr_query *q = arg;
    struct probe *p = q->p;
    q->q = NULL;
    q->rcode = a->rcode;
    q->n = a->n;
    memcpy(q->addrs, a->addrs, a->n * sizeof a->addrs[0]);
    p->dns_pending--;
    step(p);
}

/* Enters RESOLVE_ADDRS: A and AAAA of every MX host at once. */
static void enter_addresses(struct probe *p)
{
    p->state = P_RESOLVE_ADDRS;
    p->aq = xcalloc(2 * p->n_hosts, sizeof *p->aq);
    p->dns_pending = 2 * p->n_hosts;
    for (size_t h = 0; h < p->n_hosts; h++)
        for (int k = 0; k < 2; k++) {
            struct addr_query *q = &p->aq[2 * h + (size_t)k];
            *q = (struct addr_query){.p = p, .host = h, .family = k ? AF_INET6 : AF_INET};
            q->q = dns_query_addr(p->dns, p->hosts[h].name, q->family, on_addr, q);
        }
    if (!p->tls_policy)
        return;
    p->tq = xcalloc(p->n_hosts, sizeof *p->tq);
    p->n_tq = p->n_hosts;
    p->tlsa_pending = p->n_hosts;
    for (size_t h = 0; h < p->n_hosts; h++) {
        char name[STORE_DOMAIN_MAX + 16];
        snprintf(name, sizeof name, "_25._tcp.%s", p->hosts[h].name);
        p->tq[h] = (struct tlsa_query){.p = p, .host = h};
        p->tq[h].q = dns_query_records(p->dns, name, DNS_T_TLSA, on_tlsa, &p->tq[h]);
    }
}

/* ---- MX ---- */

static int by_preference(const void *a, const void *b)
{
    const struct dns_mx *x = a, *y = b;
    if (x->preference != y->preference)
        return x->preference < y->preference ? -1 : 1;
    return strcmp(x->host, y->host);
}

static void use_mx_records(struct probe *p, const struct dns_mx_answer *a)
{
    struct dns_mx *sorted = xmalloc(a->n * sizeof *sorted);
    memcpy(sorted, a->mx, a->n * sizeof *sorted);
    qsort(sorted, a->n, sizeof *sorted, by_preference);
    p->hosts = xcalloc(a->n, sizeof *p->hosts);
    p->ttl = 0;
    for (size_t i = 0; i < a->n && p->n_hosts < p->max_mx; i++) {
        const struct dns_mx *m = &sorted[i];
        if (!m->host[0] || (p->n_hosts && !strcmp(p->hosts[p->n_hosts - 1].name, m->host)))
            continue; /* a "." among real records, or a duplicate */
        struct mx_host *h = &p->hosts[p->n_hosts++];
        store_host_set_name(h, m->host);
        h->preference = m->preference;
        h->ttl = m->ttl;
        if (p->ttl == 0 || m->ttl < p->ttl)
            p->ttl = m->ttl;
    }
    free(sorted);
}

static void on_mx(void *arg, const struct dns_mx_answer *a)
{
    struct probe *p = arg;
    p->mxq = NULL;
    p->detail = a->detail;
    p->mx_rcode = a->rcode;
    p->mx_cached = a->cached;
    p->mx_age_s = a->age_s;
    char line[320];
    snprintf(line, sizeof line, "# MX %s: %s (%zu records)", p->domain, dns_rcode_name(a->rcode),
             a->n);
    note(p, line);
    if (a->rcode == DNS_NODATA) {
        p->hosts = xcalloc(1, sizeof *p->hosts);
        p->n_hosts = 1;
        store_host_set_name(&p->hosts[0], p->domain);
        p->hosts[0].implicit = true;
    } else if (a->rcode == DNS_OK && a->n == 1 && a->mx[0].host[0] == '\0') {
        p->null_mx = true;
        p->ttl = a->mx[0].ttl;
    } else if (a->rcode == DNS_OK) {
        use_mx_records(p, a);
    }
    step(p);
}

/* RESOLVE_MX with its answer in: RESOLVE_ADDRS, or the verdict. */
static void mx_done(struct probe *p)
{
    switch (p->mx_rcode) {
    case DNS_NXDOMAIN: verdict(p, REASON_DNS_NXDOMAIN, OUT_NOT_PROBED); return;
    case DNS_TEMPORARY: verdict(p, REASON_DNS_TEMPORARY, OUT_NOT_PROBED); return;
    case DNS_LOCAL: verdict(p, REASON_LOCAL, OUT_LOCAL_ERROR); return;
    case DNS_NODATA: break;
    case DNS_OK:
        if (p->null_mx) {
            verdict(p, REASON_NULL_MX, OUT_NOT_PROBED);
            return;
        }
        if (p->n_hosts == 0) {
            verdict(p, REASON_NO_ADDRESS, OUT_NOT_PROBED);
            return;
        }
        break;
    }
    enter_addresses(p);
}

/* ---- the driver ---- */

/* Moves the probe on as far as it can go now: each phase either still waits for answers
 * (return) or ends, and its end function enters the next phase. VERDICT is the end. */
static void step(struct probe *p)
{
    for (;;) {
        switch (p->state) {
        case P_RESOLVE_MX:
            if (p->mxq)
                return;
            mx_done(p);
            break;
        case P_RESOLVE_ADDRS:
            if (p->dns_pending)
                return;
            addresses_done(p);
            break;
        case P_SESSIONS:
            if (p->smtp_pending)
                return;
            sessions_done(p); /* mx_policy first may start the next address */
            break;
        case P_TLSA:
            if (p->tlsa_pending)
                return;
            tlsa_done(p);
            break;
        case P_VERDICT: finish(p); return;
        }
    }
}

struct probe *probe_start(struct dns *dns, struct smtp *smtp, const struct probe_request *rq,
                          probe_done_fn *fn, void *arg)
{
    struct probe *p = xcalloc(1, sizeof *p);
    p->dns = dns;
    p->smtp = smtp;
    mxw_strlcpy(p->domain, rq->domain, sizeof p->domain);
    p->params = *rq->params;
    mxw_strlcpy(p->ehlo, rq->ehlo_name ? rq->ehlo_name : "localhost", sizeof p->ehlo);
    mxw_strlcpy(p->source, rq->source_address ? rq->source_address : "", sizeof p->source);
    p->max_mx = rq->max_mx_hosts ? rq->max_mx_hosts : 10;
    p->max_addrs = rq->max_addresses ? rq->max_addresses : 4;
    p->transcript.max = rq->transcript_max;
    p->tls_policy = rq->tls_policy;
    p->mxptr = rq->mxptr;
    p->fn = fn;
    p->arg = arg;
    p->state = P_RESOLVE_MX;
    p->start_us = mxw_now_us();
    p->fresh_after_us = rq->fresh_after_us ? rq->fresh_after_us : p->start_us;
    p->resolve_only = rq->resolve_only;
    if (rq->mx_host) { /* the operator named the host: its addresses, as an MX's */
        p->hosts = xcalloc(1, sizeof *p->hosts);
        p->n_hosts = 1;
        store_host_set_name(&p->hosts[0], rq->mx_host);
        note(p, "# MX host given: no MX query");
        enter_addresses(p);
        return p;
    }
    p->mxq = dns_query_mx(dns, p->domain, on_mx, p);
    return p;
}

void probe_result_free(struct probe_result *res)
{
    store_hosts_free(res->hosts, res->n_hosts);
    store_transcript_unref(res->transcript);
    res->hosts = NULL;
    res->n_hosts = 0;
    res->transcript = NULL;
}

void probe_cancel(struct probe *p)
{
    if (!p)
        return;
    store_hosts_free(p->hosts, p->n_hosts);
    free_work(p);
    store_tb_free(&p->transcript);
    free(p);
}
