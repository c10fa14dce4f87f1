/*
 * dns.c - c-ares on the probe loop (dns.h). c-ares tells us which sockets to watch through
 * ARES_OPT_SOCK_STATE_CB; the loop calls ares_process_fd for the ready one, and one loop
 * timer follows ares_timeout(). ARES_FLAG_NOCHECKRESP keeps SERVFAIL and REFUSED visible
 * instead of hidden behind retries of other servers. Queries are started from a FIFO so
 * the number in flight stays under the configured cap, and callbacks always run later
 * than the call that asked (never re-entrantly). Loop thread only; never logs.
 */
#include "dns.h"

#include "util.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum qtype { Q_MX, Q_A, Q_AAAA };

struct dns_query {
    struct dns *d;
    enum qtype type;
    char name[256];
    union {
        dns_mx_fn *mx;
        dns_addr_fn *addr;
    } fn;
    void *arg;
    bool cancelled; /* started, then cancelled: c-ares will still call back; drop it there */
    bool started;
    struct dns_query *next, *prev; /* FIFO while waiting */
};

struct dns {
    struct loop *loop;
    ares_channel channel;
    struct loop_timer *timer;
    struct loop_timer *kick; /* starts waiting queries on the next loop turn */
    struct dns_query *wait_head, *wait_tail;
    unsigned in_flight, max_in_flight;
    bool freeing;
};

const char *dns_rcode_name(enum dns_rcode r)
{
    static const char *const names[] = {"ok", "nodata", "nxdomain", "temporary", "local"};
    return (unsigned)r < MXW_ARRAY_LEN(names) ? names[r] : "unknown";
}

/* ---- socket and timer plumbing ---- */

static void rearm_timer(struct dns *d)
{
    struct timeval max = {1, 0}, tv;
    struct timeval *t = ares_timeout(d->channel, &max, &tv);
    loop_timer_reset(d->loop, d->timer, (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000 + 1);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    struct dns *d = arg;
    ares_socket_t r = (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(d->channel, r, w);
    rearm_timer(d);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns *d = data;
    if (!readable && !writable) {
        loop_fd_del(d->loop, fd);
        return;
    }
    unsigned ev = (readable ? LOOP_READ : 0u) | (writable ? LOOP_WRITE : 0u);
    loop_fd_set(d->loop, fd, ev, on_fd, d);
}

static int64_t on_timer(struct loop *l, void *arg)
{
    (void)l;
    struct dns *d = arg;
    ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    struct timeval max = {1, 0}, tv;
    struct timeval *t = ares_timeout(d->channel, &max, &tv);
    return (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000 + 1;
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

int dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx_answer *out)
{
    const unsigned char *end = abuf + alen, *p = abuf + 12;
    out->n = 0;
    if (alen < 12)
        return -1;
    unsigned qd = (unsigned)abuf[4] << 8 | abuf[5], an = (unsigned)abuf[6] << 8 | abuf[7];
    for (unsigned i = 0; i < qd; i++) {
        long n = skip_name(p, abuf, alen);
        if (n < 0 || end - p < n + 4)
            return -1;
        p += n + 4;
    }
    for (unsigned i = 0; i < an; i++) {
        long n = skip_name(p, abuf, alen);
        if (n < 0 || end - p < n + 10)
            return -1;
        p += n;
        unsigned type = (unsigned)p[0] << 8 | p[1], cls = (unsigned)p[2] << 8 | p[3];
        unsigned ttl = (unsigned)p[4] << 24 | (unsigned)p[5] << 16 | (unsigned)p[6] << 8 | p[7];
        unsigned rdlen = (unsigned)p[8] << 8 | p[9];
        p += 10;
        if ((unsigned long)(end - p) < rdlen)
            return -1;
        if (type == 15 && cls == 1 && parse_mx_record(p, rdlen, ttl, abuf, alen, out) < 0)
            return -1;
        p += rdlen;
    }
    return 0;
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

static void start_waiting(struct dns *d);

static void finish(struct dns_query *q)
{
    struct dns *d = q->d;
    d->in_flight--;
    free(q);
    if (!d->freeing && d->wait_head)
        loop_timer_reset(d->loop, d->kick, 0);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct dns_query *q = arg;
    if (q->cancelled || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
        finish(q);
        return;
    }
    if (q->type == Q_MX) {
        struct dns_mx_answer *a = calloc(1, sizeof *a);
        a->rcode = map_status(status, &a->detail);
        if (a->rcode == DNS_OK && dns_parse_mx(abuf, alen, a) < 0) {
            a->rcode = DNS_TEMPORARY;
            a->detail = "malformed MX answer";
        } else if (a->rcode == DNS_OK && a->n == 0) {
            a->rcode = DNS_NODATA; /* e.g. only a CNAME chain without MX */
        }
        q->fn.mx(q->arg, a);
        free(a);
    } else {
        struct dns_addr_answer *a = calloc(1, sizeof *a);
        a->rcode = map_status(status, &a->detail);
        if (a->rcode == DNS_OK)
            parse_addrs(abuf, alen, q->type == Q_A ? AF_INET : AF_INET6, a);
        q->fn.addr(q->arg, a);
        free(a);
    }
    finish(q);
}

/* ---- the FIFO and the cap ---- */

static void unlink_waiting(struct dns *d, struct dns_query *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        d->wait_head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    else
        d->wait_tail = q->prev;
    q->next = q->prev = NULL;
}

static void start_waiting(struct dns *d)
{
    static const int types[] = {[Q_MX] = ns_t_mx, [Q_A] = ns_t_a, [Q_AAAA] = ns_t_aaaa};
    while (d->wait_head && d->in_flight < d->max_in_flight) {
        struct dns_query *q = d->wait_head;
        unlink_waiting(d, q);
        q->started = true;
        d->in_flight++;
        ares_query(d->channel, q->name, ns_c_in, types[q->type], on_answer, q);
    }
    rearm_timer(d);
}

static int64_t on_kick(struct loop *l, void *arg)
{
    (void)l;
    start_waiting(arg);
    return 3600 * 1000; /* idle until the next dns_query_* resets it */
}

static struct dns_query *enqueue(struct dns *d, enum qtype type, const char *name, void *arg)
{
    struct dns_query *q = calloc(1, sizeof *q);
    q->d = d;
    q->type = type;
    q->arg = arg;
    mxw_strlcpy(q->name, name, sizeof q->name);
    q->prev = d->wait_tail;
    if (d->wait_tail)
        d->wait_tail->next = q;
    else
        d->wait_head = q;
    d->wait_tail = q;
    loop_timer_reset(d->loop, d->kick, 0);
    return q;
}

struct dns_query *dns_query_mx(struct dns *d, const char *domain, dns_mx_fn *fn, void *arg)
{
    struct dns_query *q = enqueue(d, Q_MX, domain, arg);
    q->fn.mx = fn;
    return q;
}

struct dns_query *dns_query_addr(struct dns *d, const char *host, int family, dns_addr_fn *fn,
                                 void *arg)
{
    struct dns_query *q = enqueue(d, family == AF_INET6 ? Q_AAAA : Q_A, host, arg);
    q->fn.addr = fn;
    return q;
}

void dns_cancel(struct dns *d, struct dns_query *q)
{
    if (!q)
        return;
    if (q->started) {
        q->cancelled = true;
        return;
    }
    unlink_waiting(d, q);
    free(q);
}

unsigned dns_in_flight(const struct dns *d)
{
    return d->in_flight;
}

/* ---- set-up ---- */

/* Turns "ip", "ip:port" and "[v6]:port" into c-ares's CSV form. */
static int servers_csv(const struct config *cfg, char *out, size_t cap, char *err, size_t errlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < cfg->n_dns_servers; i++) {
        const char *s = cfg->dns_servers[i];
        unsigned char tmp[16];
        char host[64];
        const char *colon = strrchr(s, ':');
        bool bracket = s[0] == '[';
        if (bracket) {
            const char *close = strchr(s, ']');
            mxw_strncpy0(host, sizeof host, s + 1, close ? (size_t)(close - s - 1) : 0);
        } else if (colon && strchr(s, ':') == colon) {
            mxw_strncpy0(host, sizeof host, s, (size_t)(colon - s));
        } else {
            mxw_strlcpy(host, s, sizeof host);
        }
        if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1) {
            snprintf(err, errlen, "global.dns_servers: '%s' is not ip, ip:port or [ipv6]:port", s);
            return -1;
        }
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? "," : "", s);
    }
    return 0;
}

struct dns *dns_new(struct loop *l, const struct config *cfg, char *err, size_t errlen)
{
    char csv[1024];
    if (servers_csv(cfg, csv, sizeof csv, err, errlen) < 0)
        return NULL;
    struct dns *d = calloc(1, sizeof *d);
    d->loop = l;
    d->max_in_flight = cfg->max_dns_in_flight;
    struct ares_options o = {0};
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
    o.timeout = (int)cfg->defaults.dns_timeout_ms;
    o.tries = (int)cfg->dns_tries;
    o.sock_state_cb = on_sock_state;
    o.sock_state_cb_data = d;
    o.lookups = (char *)"b"; /* DNS only: never /etc/hosts for mail routing */
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_LOOKUPS;
    int rc = ares_init_options(&d->channel, &o, mask);
    if (rc == ARES_SUCCESS && csv[0])
        rc = ares_set_servers_ports_csv(d->channel, csv);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns: cannot set up the resolver: %s", ares_strerror(rc));
        if (d->channel)
            ares_destroy(d->channel);
        free(d);
        return NULL;
    }
    d->timer = loop_timer_add(l, 1000, on_timer, d);
    d->kick = loop_timer_add(l, 3600 * 1000, on_kick, d);
    return d;
}

void dns_free(struct dns *d)
{
    if (!d)
        return;
    d->freeing = true;
    while (d->wait_head) {
        struct dns_query *q = d->wait_head;
        unlink_waiting(d, q);
        free(q);
    }
    ares_destroy(d->channel); /* calls back every started query with ARES_EDESTRUCTION */
    loop_timer_del(d->loop, d->timer);
    loop_timer_del(d->loop, d->kick);
    free(d);
}
