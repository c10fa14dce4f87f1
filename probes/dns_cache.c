/*
 * dns_cache.c - cached DNS answers (dns_cache.h), in a strmap keyed by "m:name" (MX),
 * "4:name" (A), "6:name" (AAAA), "x:name" (TXT), "p:name" (PTR) and "t:name" (TLSA). An entry
 * holds only its records: MX hosts, TXT and PTR text as strings of their own length, addresses
 * and TLSA data as they are. Loop thread only.
 */
#include "dns_cache.h"

#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct cmx {
    unsigned preference, ttl;
    char *host;
};

struct crec {
    unsigned ttl;
    bool truncated;
    unsigned char usage, selector, mtype;
    size_t data_len;
    unsigned char data[DNS_TLSA_DATA_MAX];
    char *text;
};

/* 32 bytes and the key: a cache holds several entries for each of 100,000 destinations,
 * most of them negative answers with no records at all. */
struct entry {
    int64_t stored_us, expires_us;
    uint32_t n;
    uint8_t rcode;              /* enum dns_rcode */
    bool authenticated;         /* generic records: the answer's AD bit */
    union {                     /* by the key's kind (key[0]) */
        struct cmx *mx;         /* MX */
        struct dns_addr *addrs; /* A / AAAA */
        struct crec *recs;      /* TXT, PTR and TLSA */
    } u;
    char key[]; /* as long as it is: a cache of 100,000 names stays small */
};

struct dns_cache {
    struct strmap map;
    unsigned min_ttl_s, max_ttl_s;
    size_t sweep_at; /* where the spread sweep goes on */
};

static void entry_free(void *val)
{
    struct entry *e = val;
    if (e->key[0] == 'm') {
        for (size_t i = 0; e->u.mx && i < e->n; i++)
            free(e->u.mx[i].host);
        free(e->u.mx);
    } else if (e->key[0] == '4' || e->key[0] == '6') {
        free(e->u.addrs);
    } else {
        for (size_t i = 0; e->u.recs && i < e->n; i++)
            free(e->u.recs[i].text);
        free(e->u.recs);
    }
    free(e);
}

struct dns_cache *dns_cache_new(unsigned min_ttl_s, unsigned max_ttl_s)
{
    struct dns_cache *c = xcalloc(1, sizeof *c);
    c->min_ttl_s = min_ttl_s;
    c->max_ttl_s = max_ttl_s < min_ttl_s ? min_ttl_s : max_ttl_s;
    return c;
}

void dns_cache_free(struct dns_cache *c)
{
    if (!c)
        return;
    strmap_clear(&c->map, entry_free);
    free(c);
}

static void make_key(char *key, size_t cap, char kind, const char *name)
{
    snprintf(key, cap, "%c:%s", kind, name);
    mxw_lower(key);
}

static bool expired(void *val, void *arg)
{
    struct entry *e = val;
    if (*(const int64_t *)arg < e->expires_us)
        return false;
    entry_free(e);
    return true;
}

/* The spread sweep: a few more slots of the table at each lookup and store. */
static void sweep_some(struct dns_cache *c, int64_t now_us)
{
    strmap_sweep_some(&c->map, &c->sweep_at, DNS_CACHE_SWEEP_SLOTS, expired, &now_us);
}

/* A new entry replacing any old one under key, or NULL when nothing is to be kept. */
static struct entry *put(struct dns_cache *c, char kind, const char *name, enum dns_rcode rc,
                         unsigned ttl_s, int64_t now_us)
{
    sweep_some(c, now_us);
    if (rc != DNS_OK && rc != DNS_NODATA && rc != DNS_NXDOMAIN)
        return NULL;
    unsigned ttl = ttl_s < c->min_ttl_s   ? c->min_ttl_s
                   : ttl_s > c->max_ttl_s ? c->max_ttl_s
                                          : ttl_s;
    if (ttl == 0)
        return NULL;
    char key[260];
    make_key(key, sizeof key, kind, name);
    size_t klen = strlen(key) + 1;
    struct entry *e = xcalloc(1, sizeof *e + klen);
    memcpy(e->key, key, klen);
    e->rcode = (uint8_t)rc;
    e->stored_us = now_us;
    e->expires_us = now_us + (int64_t)ttl * 1000000;
    struct entry *old = strmap_get(&c->map, e->key);
    if (old) {
        strmap_del(&c->map, old->key);
        entry_free(old);
    }
    strmap_put(&c->map, e->key, e);
    return e;
}

void dns_cache_put_mx(struct dns_cache *c, const char *name, const struct dns_mx_answer *a,
                      unsigned ttl_s, int64_t now_us)
{
    struct entry *e = put(c, 'm', name, a->rcode, ttl_s, now_us);
    if (!e || !a->n)
        return;
    e->u.mx = xcalloc(a->n, sizeof *e->u.mx);
    for (size_t i = 0; i < a->n; i++)
        e->u.mx[i] = (struct cmx){a->mx[i].preference, a->mx[i].ttl, xstrdup(a->mx[i].host)};
    e->n = (uint32_t)a->n;
}

void dns_cache_put_addr(struct dns_cache *c, const char *name, int family,
                        const struct dns_addr_answer *a, unsigned ttl_s, int64_t now_us)
{
    struct entry *e = put(c, family == AF_INET6 ? '6' : '4', name, a->rcode, ttl_s, now_us);
    if (!e || !a->n)
        return;
    e->u.addrs = xmalloc(a->n * sizeof *e->u.addrs);
    if (e->u.addrs) {
        memcpy(e->u.addrs, a->addrs, a->n * sizeof *e->u.addrs);
        e->n = (uint32_t)a->n;
    }
}

/* The fresh entry under kind:name, or NULL (an expired one is dropped on the way). */
static struct entry *get(struct dns_cache *c, char kind, const char *name, int64_t now_us)
{
    sweep_some(c, now_us);
    char key[260];
    make_key(key, sizeof key, kind, name);
    struct entry *e = strmap_get(&c->map, key);
    if (e && now_us >= e->expires_us) {
        strmap_del(&c->map, e->key);
        entry_free(e);
        e = NULL;
    }
    return e;
}

/* A record's TTL as of now: what is left of it, never below 0. */
static unsigned aged(unsigned ttl, int64_t age_us)
{
    int64_t left = (int64_t)ttl - age_us / 1000000;
    return left > 0 ? (unsigned)left : 0;
}

/* What every cached answer says of itself, whatever its records. */
static void head_of(const struct entry *e, int64_t age_us, enum dns_rcode *rcode,
                    const char **detail, double *age_s)
{
    *rcode = (enum dns_rcode)e->rcode;
    *detail = e->rcode == DNS_NXDOMAIN ? "domain name not found (cached)" : NULL;
    *age_s = (double)age_us / 1e6;
}

int dns_cache_get_mx(struct dns_cache *c, const char *name, int64_t now_us,
                     struct dns_mx_answer *out)
{
    struct entry *e = get(c, 'm', name, now_us);
    if (!e)
        return 0;
    int64_t age = now_us - e->stored_us;
    head_of(e, age, &out->rcode, &out->detail, &out->age_s);
    out->cached = true;
    out->n = 0;
    for (size_t i = 0; i < e->n && out->n < DNS_MX_MAX; i++) {
        struct dns_mx *m = &out->mx[out->n++];
        m->preference = e->u.mx[i].preference;
        m->ttl = aged(e->u.mx[i].ttl, age);
        mxw_strlcpy(m->host, e->u.mx[i].host, sizeof m->host);
    }
    return 1;
}

int dns_cache_get_addr(struct dns_cache *c, const char *name, int family, int64_t now_us,
                       struct dns_addr_answer *out)
{
    struct entry *e = get(c, family == AF_INET6 ? '6' : '4', name, now_us);
    if (!e)
        return 0;
    int64_t age = now_us - e->stored_us;
    out->rcode = (enum dns_rcode)e->rcode;
    out->detail = NULL;
    out->cached = true;
    out->age_s = (double)age / 1e6;
    out->n = e->n < DNS_ADDRS_MAX ? e->n : DNS_ADDRS_MAX;
    for (size_t i = 0; i < out->n; i++) {
        out->addrs[i] = e->u.addrs[i];
        out->addrs[i].ttl = aged(e->u.addrs[i].ttl, age);
    }
    return 1;
}

size_t dns_cache_count(const struct dns_cache *c)
{
    return c ? c->map.n : 0;
}

static char record_kind(unsigned type)
{
    if (type == 16)
        return 'x';
    if (type == 12)
        return 'p';
    return 't';
}

void dns_cache_put_records(struct dns_cache *c, const char *name,
                           const struct dns_records_answer *a, unsigned ttl_s, int64_t now_us)
{
    struct entry *e = put(c, record_kind(a->type), name, a->rcode, ttl_s, now_us);
    if (!e)
        return;
    e->authenticated = a->authenticated;
    if (!a->n)
        return;
    e->u.recs = xcalloc(a->n, sizeof *e->u.recs);
    for (size_t i = 0; i < a->n; i++) {
        const struct dns_record *r = &a->rec[i];
        struct crec *cr = &e->u.recs[i];
        *cr = (struct crec){.ttl = r->ttl,
                            .truncated = r->truncated,
                            .usage = r->usage,
                            .selector = r->selector,
                            .mtype = r->mtype,
                            .text = xstrdup(r->text)};
        cr->data_len = r->data_len < sizeof cr->data ? r->data_len : sizeof cr->data;
        memcpy(cr->data, r->data, cr->data_len);
    }
    e->n = (uint32_t)a->n;
}

int dns_cache_get_records(struct dns_cache *c, const char *name, unsigned type, int64_t now_us,
                          struct dns_records_answer *out)
{
    struct entry *e = get(c, record_kind(type), name, now_us);
    if (!e)
        return 0;
    int64_t age = now_us - e->stored_us;
    head_of(e, age, &out->rcode, &out->detail, &out->age_s);
    out->cached = true;
    out->authenticated = e->authenticated;
    out->type = type;
    out->n = 0;
    for (size_t i = 0; i < e->n && out->n < DNS_RECORDS_MAX; i++) {
        const struct crec *cr = &e->u.recs[i];
        struct dns_record *r = &out->rec[out->n++];
        memset(r, 0, sizeof *r);
        r->ttl = aged(cr->ttl, age);
        r->truncated = cr->truncated;
        r->usage = cr->usage;
        r->selector = cr->selector;
        r->mtype = cr->mtype;
        r->data_len = cr->data_len;
        memcpy(r->data, cr->data, cr->data_len);
        mxw_strlcpy(r->text, cr->text, sizeof r->text);
    }
    return 1;
}
