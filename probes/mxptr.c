/*
 * mxptr.c - the PTR names of MX addresses (mxptr.h). One entry per address: the name held
 * (a shared reference handed to every result that shows it), when it expires (the answer's
 * TTL, at least MXPTR_MIN_TTL_S so an address without a name is not asked about at every
 * probe) and the lookup in flight. Lookups go through dns.c like every other query (its
 * caps, retries and cache); at most MXPTR_IN_FLIGHT at once, more are simply asked again at
 * a later probe. A failed lookup (the resolver's trouble or ours) keeps the name held and is
 * tried again after MXPTR_RETRY_S. Loop thread only; never logs.
 */
#include "mxptr.h"

#include "reputation.h"
#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define MXPTR_IN_FLIGHT   64
#define MXPTR_MIN_TTL_S   300
#define MXPTR_RETRY_S     900
#define MXPTR_ENTRIES_MAX 200000 /* beyond this, new addresses get no name */

struct entry {
    struct mxptr *m;
    const struct store_name *name; /* NULL: not known yet */
    int64_t expires_us;            /* monotonic; 0: ask now */
    struct dns_query *q;
    char addr[];
};

struct mxptr {
    struct dns *dns;
    struct strmap entries;
    size_t n, in_flight;
};

static void on_ptr(void *arg, const struct dns_records_answer *a)
{
    struct entry *e = arg;
    e->q = NULL;
    e->m->in_flight--;
    int64_t now = mxw_now_us();
    if (a->rcode != DNS_OK && a->rcode != DNS_NXDOMAIN && a->rcode != DNS_NODATA) {
        e->expires_us = now + (int64_t)MXPTR_RETRY_S * 1000000;
        return; /* nothing learned: the name held stays */
    }
    const char *name = a->rcode == DNS_OK && a->n ? a->rec[0].text : "";
    unsigned ttl = a->rcode == DNS_OK && a->n ? a->rec[0].ttl : 0;
    if (!e->name || strcmp(e->name->name, name) != 0) {
        store_name_unref(e->name);
        e->name = store_name_new(name, strlen(name));
    }
    e->expires_us = now + (int64_t)(ttl > MXPTR_MIN_TTL_S ? ttl : MXPTR_MIN_TTL_S) * 1000000;
}

static void ask(struct mxptr *m, struct entry *e)
{
    char qname[80];
    if (e->q || m->in_flight >= MXPTR_IN_FLIGHT)
        return;
    if (rep_query_name(e->addr, NULL, qname, sizeof qname) < 0) {
        e->expires_us = INT64_MAX; /* not an address: never asked */
        return;
    }
    m->in_flight++;
    e->q = dns_query_records(m->dns, qname, DNS_T_PTR, on_ptr, e);
}

const struct store_name *mxptr_get(struct mxptr *m, const char *addr)
{
    struct entry *e = strmap_get(&m->entries, addr);
    if (!e) {
        if (m->n >= MXPTR_ENTRIES_MAX)
            return NULL;
        size_t len = strlen(addr);
        e = xcalloc(1, sizeof *e + len + 1);
        memcpy(e->addr, addr, len + 1);
        e->m = m;
        strmap_put(&m->entries, e->addr, e);
        m->n++;
    }
    if (mxw_now_us() >= e->expires_us)
        ask(m, e);
    return store_name_ref(e->name);
}

size_t mxptr_count(const struct mxptr *m)
{
    return m->n;
}

struct mxptr *mxptr_new(struct dns *dns)
{
    struct mxptr *m = xcalloc(1, sizeof *m);
    m->dns = dns;
    return m;
}

void mxptr_set_dns(struct mxptr *m, struct dns *fresh)
{
    struct entry *e;
    for (size_t it = 0; (e = strmap_next(&m->entries, &it));)
        if (e->q) {
            dns_cancel(m->dns, e->q);
            e->q = NULL;
            e->expires_us = 0;
        }
    m->in_flight = 0;
    m->dns = fresh;
}

static void entry_free(void *v)
{
    struct entry *e = v;
    if (e->q)
        dns_cancel(e->m->dns, e->q);
    store_name_unref(e->name);
    free(e);
}

void mxptr_free(struct mxptr *m)
{
    if (!m)
        return;
    strmap_clear(&m->entries, entry_free);
    free(m);
}
