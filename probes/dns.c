/*
 * dns.c - c-ares on the probe loop (dns.h). c-ares tells us which sockets to watch through
 * ARES_OPT_SOCK_STATE_CB; the loop calls ares_process_fd for the ready one, and one loop
 * timer per channel follows ares_timeout(). ARES_FLAG_NOCHECKRESP keeps SERVFAIL and
 * REFUSED visible instead of hidden behind retries of other servers.
 *
 * A lost answer must not stall everyone (scale issue). So c-ares tries each query once:
 *   - first tries go round-robin over DNS_FIRST_CHANNELS channels (each with its own UDP
 *     socket and a receive buffer sized for the cap) with the short dns_first_timeout, under
 *     max_dns_in_flight;
 *   - a query that timed out is retried by us on the retry channel with the full dns_timeout,
 *     under a cap of its own, so retries never hold the slots of first tries.
 * A query that finally timed out while the resolver answered nobody since it was asked is
 * the agent's trouble (DNS_LOCAL), not the destination's. Queries wait in FIFOs; callbacks
 * always run later than the call that asked (never re-entrantly). Loop thread only; never
 * logs.
 *
 * With global.dns_cache (the default) answers are kept as the MTA's caching resolver keeps
 * them (dns_cache.c): a query whose answer is still fresh is not sent; it waits on the ready
 * list and is answered from the cache on the next loop turn.
 */
#include "dns.h"

#include "dns_cache.h"
#include "list.h"
#include "util.h"
#include "xalloc.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_FIRST_CHANNELS 4
#define DNS_SOCKETS_MAX    32     /* sockets watched for drops; c-ares opens one per server */
#define DNS_RCVBUF_MIN     262144 /* bytes */
#define DNS_RCVBUF_PER_Q   1024   /* bytes of receive buffer per query the cap allows */

enum qtype { Q_MX, Q_A, Q_AAAA, Q_REC };

struct chan {
    struct dns *d;
    ares_channel ch;
    struct loop_timer *timer;
};

struct dns_query {
    struct dns *d;
    enum qtype type;
    char name[256];
    union {
        dns_mx_fn *mx;
        dns_addr_fn *addr;
        dns_records_fn *rec;
    } fn;
    unsigned rtype; /* Q_REC: the record type */
    void *arg;
    struct chan *chan;     /* started on this channel; NULL while waiting */
    struct list_node node; /* in the FIFO it waits in */
    bool cancelled;        /* started, then cancelled: c-ares will still call back; drop it there */
    unsigned attempt;
    int64_t born_us;
    void *answer; /* on the ready list: its dns_*_answer, from the cache (or a refusal) */
};

struct dns {
    struct loop *loop;
    struct chan first[DNS_FIRST_CHANNELS], retry;
    unsigned next_first;
    struct loop_timer *kick; /* starts waiting queries on the next loop turn */
    struct list wait_first, wait_retry;
    struct list ready;       /* answered from the cache, to be delivered on the next turn */
    struct dns_cache *cache; /* NULL: global.dns_cache off */
    unsigned in_flight, max_in_flight, retry_in_flight, max_retry_in_flight, tries;
    int64_t last_answer_us; /* when the resolver last answered anything */
    int socks[DNS_SOCKETS_MAX];
    size_t n_socks;
    struct dns_figures fig;
    bool freeing;
};

const char *dns_rcode_name(enum dns_rcode r)
{
    static const char *const names[] = {"ok", "nodata", "nxdomain", "temporary", "local"};
    return (unsigned)r < MXW_ARRAY_LEN(names) ? names[r] : "unknown";
}

/* ---- socket and timer plumbing ---- */

static int64_t timeout_ms(struct chan *c)
{
    struct timeval max = {1, 0}, tv;
    struct timeval *t = ares_timeout(c->ch, &max, &tv);
    return (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000 + 1;
}

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    struct chan *c = arg;
    ares_socket_t r = (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(c->ch, r, w);
    loop_timer_reset(c->d->loop, c->timer, timeout_ms(c));
}

/* Datagrams the kernel dropped on a socket of ours because its buffer was full. */
static uint64_t socket_drops(int fd)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 || len <= SK_MEMINFO_DROPS * 4)
        return 0;
    return mem[SK_MEMINFO_DROPS];
}

static void track_socket(struct dns *d, int fd, bool open)
{
    for (size_t i = 0; i < d->n_socks; i++)
        if (d->socks[i] == fd) {
            if (!open) { /* c-ares closes it right after: keep what it dropped */
                d->fig.socket_drops_closed += socket_drops(fd);
                d->socks[i] = d->socks[--d->n_socks];
            }
            return;
        }
    if (open && d->n_socks < DNS_SOCKETS_MAX)
        d->socks[d->n_socks++] = fd;
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct chan *c = data;
    track_socket(c->d, fd, readable || writable);
    if (!readable && !writable) {
        loop_fd_del(c->d->loop, fd);
        return;
    }
    unsigned ev = (readable ? LOOP_READ : 0u) | (writable ? LOOP_WRITE : 0u);
    loop_fd_set(c->d->loop, fd, ev, on_fd, c);
}

static int64_t on_timer(struct loop *l, void *arg)
{
    (void)l;
    struct chan *c = arg;
    ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    return timeout_ms(c);
}

/* ---- answers ---- */

static enum dns_rcode map_status(int status, const char **detail)
{
    *detail = ares_strerror(status);
    switch (status) {
    case ARES_SUCCESS: return DNS_OK;
    case ARES_ENODATA: return DNS_NODATA;
    case ARES_ENOTFOUND: return DNS_NXDOMAIN;
    case ARES_EBADNAME:
    case ARES_ENOMEM:
    case ARES_EBADFAMILY: return DNS_LOCAL;
    default: return DNS_TEMPORARY; /* SERVFAIL, REFUSED, timeouts, bad responses */
    }
}

static void lower_host(char *dst, size_t cap, const char *src)
{
    mxw_strlcpy(dst, src, cap);
    mxw_lower(dst);
    size_t n = strlen(dst);
    if (n > 0 && dst[n - 1] == '.')
        dst[n - 1] = '\0';
}

static int read_u16(const unsigned char *p, const unsigned char *end, unsigned *v)
{
    if (end - p < 2)
        return -1;
    *v = (unsigned)p[0] << 8 | p[1];
    return 0;
}

/* Skips a (possibly compressed) name; returns its encoded length or -1. */
static long skip_name(const unsigned char *p, const unsigned char *abuf, int alen)
{
    char *s = NULL;
    long enclen = 0;
    if (ares_expand_name(p, abuf, alen, &s, &enclen) != ARES_SUCCESS)
        return -1;
    ares_free_string(s);
    return enclen;
}

static int parse_mx_record(const unsigned char *rd, unsigned rdlen, unsigned ttl,
                           const unsigned char *abuf, int alen, struct dns_mx_answer *out)
{
    unsigned pref;
    if (rdlen < 3 || read_u16(rd, rd + rdlen, &pref) < 0)
        return -1;
    char *s = NULL;
    long enclen;
    if (ares_expand_name(rd + 2, abuf, alen, &s, &enclen) != ARES_SUCCESS)
        return -1;
    if (out->n < DNS_MX_MAX) {
        struct dns_mx *m = &out->mx[out->n++];
        m->preference = pref;
        m->ttl = ttl;
        lower_host(m->host, sizeof m->host, s);
    }
    ares_free_string(s);
    return 0;
}

/* A walk over the resource records of a raw message, after its question section. */
struct rr_walk {
    const unsigned char *abuf, *p, *end;
    int alen;
    unsigned left[3]; /* answer, authority, additional records still to read */
};

struct rr {
    unsigned section; /* 0 answer, 1 authority, 2 additional */
    unsigned type, cls, ttl, rdlen;
    const unsigned char *rdata;
};

static int rr_begin(struct rr_walk *w, const unsigned char *abuf, int alen)
{
    if (alen < 12)
        return -1;
    *w = (struct rr_walk){.abuf = abuf, .p = abuf + 12, .end = abuf + alen, .alen = alen};
    unsigned qd = (unsigned)abuf[4] << 8 | abuf[5];
    for (unsigned i = 0; i < 3; i++)
        w->left[i] = (unsigned)abuf[6 + 2 * i] << 8 | abuf[7 + 2 * i];
    for (unsigned i = 0; i < qd; i++) {
        long n = skip_name(w->p, abuf, alen);
        if (n < 0 || w->end - w->p < n + 4)
            return -1;
        w->p += n + 4;
    }
    return 0;
}

/* The next record: 1, 0 at the end, -1 when the message is malformed. */
static int rr_next(struct rr_walk *w, struct rr *r)
{
    unsigned sec = 0;
    while (sec < 3 && w->left[sec] == 0)
        sec++;
    if (sec == 3)
        return 0;
    w->left[sec]--;
    long n = skip_name(w->p, w->abuf, w->alen);
    if (n < 0 || w->end - w->p < n + 10)
        return -1;
    const unsigned char *p = w->p + n;
    r->section = sec;
    r->type = (unsigned)p[0] << 8 | p[1];
    r->cls = (unsigned)p[2] << 8 | p[3];
    r->ttl = (unsigned)p[4] << 24 | (unsigned)p[5] << 16 | (unsigned)p[6] << 8 | p[7];
    r->rdlen = (unsigned)p[8] << 8 | p[9];
    r->rdata = p + 10;
    if ((unsigned long)(w->end - r->rdata) < r->rdlen)
        return -1;
    w->p = r->rdata + r->rdlen;
    return 1;
}

int dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx_answer *out)
{
    struct rr_walk w;
    struct rr r;
    int rc;
    out->n = 0;
    if (rr_begin(&w, abuf, alen) < 0)
        return -1;
    w.left[1] = w.left[2] = 0; /* the answer section only */
    while ((rc = rr_next(&w, &r)) == 1)
        if (r.type == 15 && r.cls == 1 &&
            parse_mx_record(r.rdata, r.rdlen, r.ttl, abuf, alen, out) < 0)
            return -1;
    return rc;
}

int dns_negative_ttl(const unsigned char *abuf, int alen, unsigned *ttl)
{
    struct rr_walk w;
    struct rr r;
    if (rr_begin(&w, abuf, alen) < 0)
        return -1;
    w.left[2] = 0;
    while (rr_next(&w, &r) == 1) {
        if (r.section != 1 || r.type != 6 || r.cls != 1 || r.rdlen < 22)
            continue; /* SOA: two names, then five 32-bit fields; MINIMUM is the last */
        const unsigned char *m = r.rdata + r.rdlen - 4;
        unsigned minimum = (unsigned)m[0] << 24 | (unsigned)m[1] << 16 | (unsigned)m[2] << 8 | m[3];
        *ttl = r.ttl < minimum ? r.ttl : minimum;
        return 0;
    }
    return -1;
}

/* TXT: the character-strings joined, NUL bytes dropped, cut to the buffer. */
static int parse_txt(const struct rr *r, struct dns_record *rec)
{
    const unsigned char *p = r->rdata, *end = r->rdata + r->rdlen;
    size_t n = 0;
    while (p < end) {
        size_t len = *p++;
        if ((size_t)(end - p) < len)
            return -1;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '\0')
                continue;
            if (n + 1 < sizeof rec->text)
                rec->text[n++] = (char)p[i];
            else
                rec->truncated = true;
        }
        p += len;
    }
    rec->text[n] = '\0';
    return 0;
}

/* PTR: one name, which must lie within the record's data. */
static int parse_ptr(const struct rr *r, const unsigned char *abuf, int alen,
                     struct dns_record *rec)
{
    char *s = NULL;
    long enclen;
    if (ares_expand_name(r->rdata, abuf, alen, &s, &enclen) != ARES_SUCCESS)
        return -1;
    if (enclen != (long)r->rdlen) {
        ares_free_string(s);
        return -1;
    }
    rec->truncated = strlen(s) >= sizeof rec->text;
    lower_host(rec->text, sizeof rec->text, s);
    ares_free_string(s);
    return 0;
}

/* TLSA: usage, selector, matching type, then the data; longer data is cut and flagged. */
static int parse_tlsa(const struct rr *r, struct dns_record *rec)
{
    if (r->rdlen < 3)
        return -1;
    rec->usage = r->rdata[0];
    rec->selector = r->rdata[1];
    rec->mtype = r->rdata[2];
    size_t len = r->rdlen - 3u;
    rec->truncated = len > sizeof rec->data;
    rec->data_len = rec->truncated ? sizeof rec->data : len;
    memcpy(rec->data, r->rdata + 3, rec->data_len);
    return 0;
}

/* One record of the asked type into *rec, which starts zeroed. */
static int parse_record(const struct rr *r, unsigned type, const unsigned char *abuf, int alen,
                        struct dns_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->ttl = r->ttl;
    if (type == DNS_T_TXT)
        return parse_txt(r, rec);
    if (type == DNS_T_PTR)
        return parse_ptr(r, abuf, alen, rec);
    return parse_tlsa(r, rec);
}

int dns_parse_records(const unsigned char *abuf, int alen, unsigned type,
                      struct dns_records_answer *out)
{
    struct rr_walk w;
    struct rr r;
    int rc;
    out->n = 0;
    out->type = type;
    out->authenticated = false;
    if (type != DNS_T_TXT && type != DNS_T_PTR && type != DNS_T_TLSA)
        return -1;
    if (rr_begin(&w, abuf, alen) < 0)
        return -1;
    out->authenticated = (abuf[3] & 0x20) != 0;
    w.left[1] = w.left[2] = 0; /* the answer section only */
    while ((rc = rr_next(&w, &r)) == 1) {
        if (r.type != type || r.cls != 1)
            continue;
        if (out->n < DNS_RECORDS_MAX) {
            if (parse_record(&r, type, abuf, alen, &out->rec[out->n]) < 0)
                return -1;
            out->n++;
            continue;
        }
        struct dns_record beyond; /* still checked: a malformed message is malformed */
        if (parse_record(&r, type, abuf, alen, &beyond) < 0)
            return -1;
    }
    return rc;
}

static void parse_addrs(const unsigned char *abuf, int alen, int family,
                        struct dns_addr_answer *out)
{
    int n = DNS_ADDRS_MAX, rc;
    if (family == AF_INET) {
        struct ares_addrttl t[DNS_ADDRS_MAX];
        rc = ares_parse_a_reply(abuf, alen, NULL, t, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
            out->addrs[i] = (struct dns_addr){.family = AF_INET, .ttl = (unsigned)t[i].ttl};
            memcpy(out->addrs[i].addr, &t[i].ipaddr, 4);
        }
    } else {
        struct ares_addr6ttl t[DNS_ADDRS_MAX];
        rc = ares_parse_aaaa_reply(abuf, alen, NULL, t, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
            out->addrs[i] = (struct dns_addr){.family = AF_INET6, .ttl = (unsigned)t[i].ttl};
            memcpy(out->addrs[i].addr, &t[i].ip6addr, 16);
        }
    }
    if (rc == ARES_SUCCESS) {
        out->n = (size_t)n;
        if (n == 0)
            out->rcode = DNS_NODATA;
    } else {
        out->rcode = rc == ARES_ENODATA ? DNS_NODATA : DNS_TEMPORARY;
        out->detail = ares_strerror(rc);
    }
}

/* ---- the FIFOs and the caps ---- */

static struct dns_query *first_waiting(struct list *l)
{
    return l->head ? LIST_ENTRY(l->head, struct dns_query, node) : NULL;
}

static void release_slot(struct dns_query *q)
{
    struct dns *d = q->d;
    if (q->chan == &d->retry)
        d->retry_in_flight--;
    else
        d->in_flight--;
    q->chan = NULL;
    if (!d->freeing && (d->wait_first.head || d->wait_retry.head))
        loop_timer_reset(d->loop, d->kick, 0);
}

/* How long an answer may be cached: a positive one its smallest record TTL (min_ttl), a
 * negative one by its SOA (RFC 2308); temporary failures never. */
static bool cache_ttl(enum dns_rcode rc, unsigned min_ttl, const unsigned char *abuf, int alen,
                      unsigned *ttl)
{
    if (rc == DNS_OK && min_ttl != UINT32_MAX) {
        *ttl = min_ttl;
        return true;
    }
    return (rc == DNS_NODATA || rc == DNS_NXDOMAIN) && abuf &&
           dns_negative_ttl(abuf, alen, ttl) == 0;
}

/* Whether q's answer goes through the cache. TXT answers do not: their askers come at
 * their own pace (a destination's MTA-STS and TLS-RPT records once per
 * tls_policy_interval, a DNSBL's reason once per reputation round), so a cached TXT answer
 * would only hold memory, two entries for each of 100,000 destinations. */
static bool cacheable(const struct dns_query *q)
{
    return q->d->cache && !(q->type == Q_REC && q->rtype == DNS_T_TXT);
}

static void deliver_records(struct dns_query *q, enum dns_rcode rc, const char *detail,
                            const unsigned char *abuf, int alen)
{
    struct dns_records_answer *a = xcalloc(1, sizeof *a);
    a->rcode = rc;
    a->detail = detail;
    a->type = q->rtype;
    if (abuf && dns_parse_records(abuf, alen, q->rtype, a) < 0) {
        a->n = 0;
        if (a->rcode == DNS_OK) {
            a->rcode = DNS_TEMPORARY;
            a->detail = "malformed answer";
        }
    } else if (a->rcode == DNS_OK && a->n == 0) {
        a->rcode = DNS_NODATA; /* e.g. only a CNAME chain */
    }
    unsigned ttl = UINT32_MAX;
    for (size_t i = 0; i < a->n; i++)
        ttl = a->rec[i].ttl < ttl ? a->rec[i].ttl : ttl;
    if (cacheable(q) && cache_ttl(a->rcode, ttl, abuf, alen, &ttl))
        dns_cache_put_records(q->d->cache, q->name, a, ttl, mxw_now_us());
    q->fn.rec(q->arg, a);
    free(a);
}

static void deliver(struct dns_query *q, int status, unsigned char *abuf, int alen)
{
    const char *detail;
    enum dns_rcode rc = map_status(status, &detail);
    if ((status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED) &&
        q->d->last_answer_us < q->born_us) {
        rc = DNS_LOCAL; /* the resolver answered nobody since this was asked */
        detail = "the resolver answered no query meanwhile";
        q->d->fig.resolver_silent++;
    }
    if (q->type == Q_REC) {
        deliver_records(q, rc, detail, abuf, alen);
    } else if (q->type == Q_MX) {
        struct dns_mx_answer *a = xcalloc(1, sizeof *a);
        a->rcode = rc;
        a->detail = detail;
        if (a->rcode == DNS_OK && dns_parse_mx(abuf, alen, a) < 0) {
            a->rcode = DNS_TEMPORARY;
            a->detail = "malformed MX answer";
        } else if (a->rcode == DNS_OK && a->n == 0) {
            a->rcode = DNS_NODATA; /* e.g. only a CNAME chain without MX */
        }
        unsigned ttl = UINT32_MAX;
        for (size_t i = 0; i < a->n; i++)
            ttl = a->mx[i].ttl < ttl ? a->mx[i].ttl : ttl;
        if (q->d->cache && cache_ttl(a->rcode, ttl, abuf, alen, &ttl))
            dns_cache_put_mx(q->d->cache, q->name, a, ttl, mxw_now_us());
        q->fn.mx(q->arg, a);
        free(a);
    } else {
        struct dns_addr_answer *a = xcalloc(1, sizeof *a);
        int family = q->type == Q_A ? AF_INET : AF_INET6;
        a->rcode = rc;
        a->detail = detail;
        if (a->rcode == DNS_OK)
            parse_addrs(abuf, alen, family, a);
        unsigned ttl = UINT32_MAX;
        for (size_t i = 0; i < a->n; i++)
            ttl = a->addrs[i].ttl < ttl ? a->addrs[i].ttl : ttl;
        if (q->d->cache && cache_ttl(a->rcode, ttl, abuf, alen, &ttl))
            dns_cache_put_addr(q->d->cache, q->name, family, a, ttl, mxw_now_us());
        q->fn.addr(q->arg, a);
        free(a);
    }
}

/* What ares_query would have said of a whole answer that ares_send hands over as is. */
static int send_status(const unsigned char *abuf, int alen)
{
    if (!abuf || alen < 12)
        return ARES_EBADRESP;
    switch (abuf[3] & 0x0f) {
    case 0: return (abuf[6] << 8 | abuf[7]) > 0 ? ARES_SUCCESS : ARES_ENODATA;
    case 1: return ARES_EFORMERR;
    case 2: return ARES_ESERVFAIL;
    case 3: return ARES_ENOTFOUND;
    case 4: return ARES_ENOTIMP;
    case 5: return ARES_EREFUSED;
    default: return ARES_EBADRESP;
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct dns_query *q = arg;
    struct dns *d = q->d;
    if (q->type == Q_REC && status == ARES_SUCCESS)
        status = send_status(abuf, alen);
    release_slot(q);
    if (q->cancelled || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
        free(q);
        return;
    }
    bool lost = status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED;
    if (!lost)
        d->last_answer_us = mxw_now_us();
    else if (status == ARES_ETIMEOUT)
        d->fig.timeouts++;
    if (lost && q->attempt < d->tries && !d->freeing) {
        d->fig.retries++;
        list_push_back(&d->wait_retry, &q->node); /* its own queue and cap: first tries go on */
        loop_timer_reset(d->loop, d->kick, 0);
        return;
    }
    deliver(q, status, abuf, alen);
    free(q);
}

/* A record query goes out through ares_send so that its header can carry the AD bit
 * (RFC 6840 5.7): ares_query offers no way to set it. ares_send copies the message and gives
 * it an id of its own; on_answer reads the rcode that ares_query would have read. */
static void send_records(struct chan *c, struct dns_query *q)
{
    unsigned char *qbuf = NULL;
    int qlen = 0;
    int rc = ares_create_query(q->name, ns_c_in, (int)q->rtype, 0, 1, &qbuf, &qlen, 0);
    if (rc != ARES_SUCCESS) {
        on_answer(q, rc, 0, NULL, 0);
        return;
    }
    qbuf[3] |= 0x20; /* AD */
    ares_send(c->ch, qbuf, qlen, on_answer, q);
    ares_free_string(qbuf);
}

static void start_on(struct dns *d, struct dns_query *q, struct chan *c)
{
    static const int types[] = {[Q_MX] = ns_t_mx, [Q_A] = ns_t_a, [Q_AAAA] = ns_t_aaaa};
    list_unlink(&q->node);
    q->chan = c;
    q->attempt++;
    if (q->type == Q_REC)
        send_records(c, q);
    else
        ares_query(c->ch, q->name, ns_c_in, types[q->type], on_answer, q);
    loop_timer_reset(d->loop, c->timer, timeout_ms(c));
}

static void start_waiting(struct dns *d)
{
    while (d->wait_first.head && d->in_flight < d->max_in_flight) {
        d->in_flight++;
        struct chan *c = &d->first[d->next_first++ % DNS_FIRST_CHANNELS];
        start_on(d, first_waiting(&d->wait_first), c);
    }
    while (d->wait_retry.head && d->retry_in_flight < d->max_retry_in_flight) {
        d->retry_in_flight++;
        start_on(d, first_waiting(&d->wait_retry), &d->retry);
    }
}

/* The queries answered from the cache, in order; a callback may ask again, and a query it
 * asks that the cache answers is delivered in this same turn, after it returns. */
static void deliver_ready(struct dns *d)
{
    for (struct list_node *n; (n = list_pop_front(&d->ready));) {
        struct dns_query *q = LIST_ENTRY(n, struct dns_query, node);
        if (q->type == Q_REC)
            q->fn.rec(q->arg, q->answer);
        else if (q->type == Q_MX)
            q->fn.mx(q->arg, q->answer);
        else
            q->fn.addr(q->arg, q->answer);
        free(q->answer);
        free(q);
    }
}

static int64_t on_kick(struct loop *l, void *arg)
{
    (void)l;
    deliver_ready(arg);
    start_waiting(arg);
    return MXW_HOUR_MS; /* idle until the next dns_query_* resets it */
}

/* The cache's fresh answer for q, put on the ready list: true; else false (a miss). */
static bool from_cache(struct dns *d, struct dns_query *q)
{
    int64_t now = mxw_now_us();
    int hit;
    if (q->type == Q_REC) {
        struct dns_records_answer *a = xcalloc(1, sizeof *a);
        hit = dns_cache_get_records(d->cache, q->name, q->rtype, now, a);
        q->answer = a;
    } else if (q->type == Q_MX) {
        struct dns_mx_answer *a = xcalloc(1, sizeof *a);
        hit = dns_cache_get_mx(d->cache, q->name, now, a);
        q->answer = a;
    } else {
        struct dns_addr_answer *a = xcalloc(1, sizeof *a);
        hit = dns_cache_get_addr(d->cache, q->name, q->type == Q_A ? AF_INET : AF_INET6, now, a);
        q->answer = a;
    }
    if (!hit) {
        free(q->answer);
        q->answer = NULL;
        d->fig.cache_misses++;
        return false;
    }
    d->fig.cache_hits++;
    list_push_back(&d->ready, &q->node);
    return true;
}

static struct dns_query *enqueue(struct dns *d, enum qtype type, unsigned rtype, const char *name,
                                 void *arg)
{
    struct dns_query *q = xcalloc(1, sizeof *q);
    q->d = d;
    q->type = type;
    q->rtype = rtype;
    q->arg = arg;
    q->born_us = mxw_now_us();
    mxw_strlcpy(q->name, name, sizeof q->name);
    if (!cacheable(q) || !from_cache(d, q))
        list_push_back(&d->wait_first, &q->node);
    loop_timer_reset(d->loop, d->kick, 0);
    return q;
}

struct dns_query *dns_query_mx(struct dns *d, const char *domain, dns_mx_fn *fn, void *arg)
{
    struct dns_query *q = enqueue(d, Q_MX, 0, domain, arg);
    q->fn.mx = fn;
    return q;
}

struct dns_query *dns_query_addr(struct dns *d, const char *host, int family, dns_addr_fn *fn,
                                 void *arg)
{
    struct dns_query *q = enqueue(d, family == AF_INET6 ? Q_AAAA : Q_A, 0, host, arg);
    q->fn.addr = fn;
    return q;
}

/* A type we do not parse is refused on the ready list, so the callback still runs later. */
static struct dns_query *refuse_type(struct dns *d, unsigned type, dns_records_fn *fn, void *arg)
{
    struct dns_query *q = xcalloc(1, sizeof *q);
    struct dns_records_answer *a = xcalloc(1, sizeof *a);
    *q = (struct dns_query){.d = d, .type = Q_REC, .rtype = type, .arg = arg, .answer = a};
    q->fn.rec = fn;
    a->rcode = DNS_LOCAL;
    a->detail = "record type not supported";
    a->type = type;
    list_push_back(&d->ready, &q->node);
    loop_timer_reset(d->loop, d->kick, 0);
    return q;
}

struct dns_query *dns_query_records(struct dns *d, const char *name, unsigned type,
                                    dns_records_fn *fn, void *arg)
{
    if (type != DNS_T_TXT && type != DNS_T_PTR && type != DNS_T_TLSA)
        return refuse_type(d, type, fn, arg);
    struct dns_query *q = enqueue(d, Q_REC, type, name, arg);
    q->fn.rec = fn;
    return q;
}

void dns_cancel(struct dns *d, struct dns_query *q)
{
    (void)d;
    if (!q)
        return;
    if (q->chan) {
        q->cancelled = true;
        return;
    }
    list_unlink(&q->node); /* waiting for a slot, or on the ready list */
    free(q->answer);
    free(q);
}

unsigned dns_in_flight(const struct dns *d)
{
    return d->in_flight + d->retry_in_flight;
}

void dns_figures(const struct dns *d, struct dns_figures *out)
{
    *out = d->fig;
    out->cache_entries = dns_cache_count(d->cache);
    for (size_t i = 0; i < d->n_socks; i++)
        out->socket_drops_closed += socket_drops(d->socks[i]);
}

/* ---- set-up ---- */

/* Turns "ip", "ip:port" and "[v6]:port" into c-ares's CSV form. The values were checked
 * when the configuration was read (config_check_dns_server); checked again here, by the same
 * rule, for a configuration built some other way. */
static int servers_csv(const struct config *cfg, char *out, size_t cap, char *err, size_t errlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < cfg->n_dns_servers; i++) {
        const char *s = cfg->dns_servers[i];
        char why[128];
        if (config_check_dns_server(s, why, sizeof why) < 0) {
            snprintf(err, errlen, "global.dns_servers: '%s' %s", s, why);
            return -1;
        }
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? "," : "", s);
    }
    return 0;
}

/* One c-ares channel: one try per query (retries are ours), the given timeout. */
static int chan_init(struct dns *d, struct chan *c, const struct config *cfg, int64_t timeout,
                     const char *csv)
{
    c->d = d;
    struct ares_options o = {0};
    /* STAYOPEN: a socket per channel for the agent's lifetime, not one per burst of queries
     * (fewer system calls, and DNS goes on when descriptors run short). */
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_STAYOPEN;
    o.timeout = (int)timeout;
    o.tries = 1;
    o.sock_state_cb = on_sock_state;
    o.sock_state_cb_data = c;
    o.lookups = (char *)"b"; /* DNS only: never /etc/hosts for mail routing */
    /* Room for every answer the cap allows at once, so a burst is not dropped unread. */
    size_t rcv = (size_t)cfg->max_dns_in_flight * DNS_RCVBUF_PER_Q;
    o.socket_receive_buffer_size = (int)(rcv < DNS_RCVBUF_MIN ? DNS_RCVBUF_MIN : rcv);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_LOOKUPS | ARES_OPT_SOCK_RCVBUF;
    int rc = ares_init_options(&c->ch, &o, mask);
    if (rc == ARES_SUCCESS && csv[0])
        rc = ares_set_servers_ports_csv(c->ch, csv);
    if (rc != ARES_SUCCESS) {
        if (c->ch)
            ares_destroy(c->ch);
        c->ch = NULL;
        return rc;
    }
    c->timer = loop_timer_add(d->loop, 1000, on_timer, c);
    return ARES_SUCCESS;
}

static void chan_free(struct dns *d, struct chan *c)
{
    if (!c->ch)
        return;
    ares_destroy(c->ch); /* calls back every started query with ARES_EDESTRUCTION */
    loop_timer_del(d->loop, c->timer);
}

void dns_free(struct dns *d)
{
    if (!d)
        return;
    d->freeing = true;
    struct list *queues[] = {&d->wait_first, &d->wait_retry, &d->ready};
    for (size_t i = 0; i < MXW_ARRAY_LEN(queues); i++)
        for (struct list_node *n; (n = list_pop_front(queues[i]));) {
            struct dns_query *q = LIST_ENTRY(n, struct dns_query, node);
            free(q->answer);
            free(q);
        }
    for (size_t i = 0; i < DNS_FIRST_CHANNELS; i++)
        chan_free(d, &d->first[i]);
    chan_free(d, &d->retry);
    loop_timer_del(d->loop, d->kick);
    dns_cache_free(d->cache);
    free(d);
}

struct dns *dns_new(struct loop *l, const struct config *cfg, char *err, size_t errlen)
{
    char csv[1024];
    if (servers_csv(cfg, csv, sizeof csv, err, errlen) < 0)
        return NULL;
    struct dns *d = xcalloc(1, sizeof *d);
    d->loop = l;
    d->max_in_flight = cfg->max_dns_in_flight;
    d->max_retry_in_flight = cfg->max_dns_in_flight / 4 > 16 ? cfg->max_dns_in_flight / 4 : 16;
    d->tries = cfg->dns_tries ? cfg->dns_tries : 1;
    d->kick = loop_timer_add(l, MXW_HOUR_MS, on_kick, d);
    if (cfg->dns_cache == DNS_CACHE_TTL) {
        d->cache = dns_cache_new((unsigned)(cfg->dns_cache_min_ttl_ms / 1000),
                                 (unsigned)(cfg->dns_cache_max_ttl_ms / 1000));
    }
    int64_t full = cfg->defaults.dns_timeout_ms;
    int64_t first = cfg->dns_first_timeout_ms && cfg->dns_first_timeout_ms < full
                        ? cfg->dns_first_timeout_ms
                        : full;
    int rc = ARES_SUCCESS;
    for (size_t i = 0; rc == ARES_SUCCESS && i < DNS_FIRST_CHANNELS; i++)
        rc = chan_init(d, &d->first[i], cfg, first, csv);
    if (rc == ARES_SUCCESS)
        rc = chan_init(d, &d->retry, cfg, full, csv);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns: cannot set up the resolver: %s", ares_strerror(rc));
        dns_free(d);
        return NULL;
    }
    return d;
}
