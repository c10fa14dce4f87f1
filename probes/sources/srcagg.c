/*
 * srcagg.c - the sources' per-destination figures, the transport map and discovery (see
 * srcagg.h). Destinations live in a string map and in a list ordered by last change, most
 * recent first. Every change moves a destination to the front and marks it dirty, so the
 * dirty ones are always a prefix of the list: publishing walks that prefix only, and
 * eviction takes from the back. Loop thread.
 */
#include "srcagg.h"

#include "list.h"
#include "log.h"
#include "shard.h"
#include "strmap.h"
#include "transport.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *name; /* the map's key */
    struct mta_figures fig;
    double last_queued; /* wall time of the last scan that found recipients queued for it */
    bool dirty;         /* changed since the last publish */
    const struct delivery_attempt *attempt; /* the last one seen, NULL before */
    bool attempt_new;                       /* not yet given to the store */
    struct list_node node;                  /* most recently changed first */
};

static struct {
    struct strmap map;
    struct list lru;
    size_t cap;
    struct transport_map *tm;
    bool discovery;
    unsigned max_discovered;
    double idle_s;
    struct shard shard; /* discovery adds only the destinations this agent owns */
    double delay_le[STORE_DELAY_BUCKETS_MAX]; /* sources.postfix.delay_buckets, seconds */
    size_t n_delay_le;
} ag;

/* ---- the list and the map ---- */

static struct entry *entry_of(struct list_node *n)
{
    return n ? LIST_ENTRY(n, struct entry, node) : NULL;
}

static void touch(struct entry *e)
{
    e->dirty = true;
    if (ag.lru.head == &e->node)
        return;
    list_unlink(&e->node);
    list_push_front(&ag.lru, &e->node);
}

static void free_entry(struct entry *e)
{
    strmap_del(&ag.map, e->name);
    list_unlink(&e->node);
    store_mta_clear(&e->fig);
    store_delivery_unref(e->attempt);
    free(e->name);
    free(e);
}

/* Forgets the least recently changed destination the store does not hold. Those it holds
 * go to the front (dirty, so the prefix rule holds; publishing them again is a compare). */
static void evict_one(void)
{
    for (size_t tries = ag.lru.n; tries > 0 && ag.lru.tail; tries--) {
        struct entry *e = entry_of(ag.lru.tail);
        if (!store_dest_find(e->name)) {
            free_entry(e);
            return;
        }
        touch(e);
    }
}

static struct entry *get_entry(const char *dest)
{
    struct entry *e = strmap_get(&ag.map, dest);
    if (e)
        return e;
    if (ag.lru.n >= ag.cap)
        evict_one();
    e = xcalloc(1, sizeof *e);
    e->name = xstrdup(dest);
    strmap_put(&ag.map, e->name, e);
    touch(e);
    return e;
}

/* ---- configuration ---- */

struct route_list {
    const char **keys, **dests;
    size_t n;
};

static void add_route(const char *key, const char *nexthop, void *arg)
{
    struct route_list *l = arg;
    l->keys[l->n] = key;
    l->dests[l->n++] = nexthop;
}

/* The transport map's entries, for hoststatus and the API (store_set_routes). */
static void publish_routes(void)
{
    size_t n = transport_count(ag.tm);
    struct route_list l = {xcalloc(n + 1, sizeof *l.keys), xcalloc(n + 1, sizeof *l.dests), 0};
    transport_each(ag.tm, add_route, &l);
    store_set_routes(l.keys, l.dests, l.n);
    free(l.keys);
    free(l.dests);
}

int srcagg_configure(const struct config *cfg, char *err, size_t errlen)
{
    transport_free(ag.tm);
    ag.tm = transport_new();
    int rc = 0;
    for (size_t i = 0; i < cfg->n_postfix_transport_maps; i++) {
        char why[200];
        if (transport_add(ag.tm, cfg->postfix_transport_maps[i], why, sizeof why) == 0 || rc < 0)
            continue;
        snprintf(err, errlen, "sources.postfix.transport_maps[%zu]: %s (entry skipped)", i, why);
        rc = -1;
    }
    ag.discovery = cfg->discovery_enabled;
    ag.max_discovered = cfg->discovery_max_destinations;
    ag.idle_s = (double)cfg->discovery_idle_ms / 1000.0;
    ag.shard = cfg->shard;
    ag.cap = cfg->n_dests + cfg->discovery_max_destinations + SRCAGG_SPARE;
    publish_routes();
    ag.n_delay_le = 0;
    for (size_t i = 0; i < cfg->n_postfix_delay_buckets && i < STORE_DELAY_BUCKETS_MAX; i++)
        ag.delay_le[ag.n_delay_le++] = (double)cfg->postfix_delay_buckets_ms[i] / 1000.0;
    return rc;
}

void srcagg_shutdown(void)
{
    while (ag.lru.head)
        free_entry(entry_of(ag.lru.head));
    strmap_free(&ag.map);
    transport_free(ag.tm);
    memset(&ag, 0, sizeof ag);
}

const char *srcagg_destination(const char *domain)
{
    return transport_lookup(ag.tm, domain);
}

struct mta_figures *srcagg_figures(const char *dest)
{
    struct entry *e = get_entry(dest);
    touch(e);
    e->fig.present = true;
    return &e->fig;
}

void srcagg_delivery(const char *dest, const struct delivery_attempt *a)
{
    struct entry *e = get_entry(dest);
    touch(e);
    store_delivery_unref(e->attempt);
    e->attempt = a;
    e->attempt_new = true;
}

void srcagg_observe_delay(struct mta_figures *m, double seconds)
{
    store_mta_observe_delay(m, ag.delay_le, ag.n_delay_le, seconds);
}

void srcagg_count_error(struct mta_figures *m, uint32_t code)
{
    store_mta_count_code(m, code, 1); /* a code beyond the bound is not counted */
}

size_t srcagg_count(void)
{
    return ag.lru.n;
}

void srcagg_publish(void)
{
    for (struct entry *e = entry_of(ag.lru.head); e && e->dirty; e = entry_of(e->node.next)) {
        e->dirty = false;
        struct dest *d = store_dest_find(e->name);
        if (!d)
            continue;
        store_dest_set_mta(d, &e->fig); /* the error block is shared, not copied */
        if (e->attempt_new)
            store_dest_set_delivery(d, store_delivery_ref(e->attempt));
        e->attempt_new = false;
    }
}

/* ---- the queue: gauges and discovery ---- */

struct cand {
    const char *name;
    uint64_t active;
    double last_queued;
};

struct cands {
    struct cand *v;
    size_t n, cap;
    const struct pfqueue_tally *t;
    double now;
};

static void cand_push(struct cands *c, const char *name, uint64_t active, double last)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = (struct cand){name, active, last};
}

/* Busiest first; among equals the most recently queued, then by name (a stable order). */
static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->active != y->active)
        return x->active > y->active ? -1 : 1;
    if (x->last_queued != y->last_queued)
        return x->last_queued > y->last_queued ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Discovered destinations with nothing queued now stay candidates until they are idle. */
static void idle_candidate(struct dest *d, void *arg)
{
    struct cands *c = arg;
    if (store_dest_origin(d) != ORIGIN_DISCOVERED)
        return;
    const char *name = store_dest_domain(d);
    const struct pfqueue_item *it = strmap_get(&c->t->map, name);
    if (it && it->active)
        return;
    const struct entry *e = strmap_get(&ag.map, name);
    double last = e && e->last_queued > 0 ? e->last_queued : c->now;
    if (c->now - last < ag.idle_s)
        cand_push(c, name, 0, last);
}

static void collect_candidates(struct cands *c)
{
    for (size_t i = 0; i < c->t->n; i++) {
        const struct pfqueue_item *it = c->t->items[i];
        struct dest *d = store_dest_find(it->dest);
        if (!it->active || (d && store_dest_origin(d) == ORIGIN_CONFIG) ||
            mxw_valid_domain(it->dest) < 0 || !shard_owns(ag.shard, it->dest))
            continue;
        cand_push(c, it->dest, it->active, c->now);
    }
    store_foreach(idle_candidate, c);
}

static void discover(const struct pfqueue_tally *t, double now)
{
    struct cands c = {.t = t, .now = now};
    if (ag.discovery)
        collect_candidates(&c);
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, cand_cmp);
    size_t keep = c.n < ag.max_discovered ? c.n : ag.max_discovered, joined = 0;
    store_unmark_all();
    for (size_t i = 0; i < keep; i++) {
        joined += store_dest_find(c.v[i].name) == NULL;
        store_mark(store_dest_add(c.v[i].name, ORIGIN_DISCOVERED), true);
        srcagg_figures(c.v[i].name);
    }
    size_t left = store_sweep_unmarked(ORIGIN_DISCOVERED);
    if (joined || left)
        log_info("discovery", "destinations changed joined=%zu left=%zu candidates=%zu cap=%u",
                 joined, left, c.n, ag.max_discovered);
    free(c.v);
}

static void ensure_entry(struct dest *d, void *arg)
{
    (void)arg;
    srcagg_figures(store_dest_domain(d));
}

/* Seconds since arrival at now; 0 for an arrival in the future. */
static double age_at(double now, int64_t arrival)
{
    double age = now - (double)arrival;
    return age > 0 ? age : 0;
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The queue gauges of it (NULL: nothing queued) seen at now, into q's queue fields. */
static void queue_fields(struct mta_figures *q, const struct pfqueue_item *it, double now)
{
    static const struct pfqueue_item none;
    it = it ? it : &none;
    q->active = it->active;
    q->attempted = it->attempted;
    q->unattempted = it->active - it->attempted;
    q->oldest_age_s = it->active ? age_at(now, it->oldest_arrival) : 0;
    q->newest_age_s = it->active ? age_at(now, it->newest_arrival) : 0;
    for (size_t k = 0; k < MTA_AGE__COUNT; k++)
        q->queued_age[k] = sat32(it->by_age[k]);
    for (size_t k = 0; k < MTA_Q__COUNT; k++)
        q->queued_in[k] = sat32(it->by_queue[k]);
}

static bool queue_equal(const struct mta_figures *a, const struct mta_figures *b)
{
    return a->active == b->active && a->attempted == b->attempted &&
           a->oldest_age_s == b->oldest_age_s && a->newest_age_s == b->newest_age_s &&
           !memcmp(a->queued_age, b->queued_age, sizeof a->queued_age) &&
           !memcmp(a->queued_in, b->queued_in, sizeof a->queued_in);
}

static void set_queue(struct entry *e, const struct pfqueue_item *it, double now)
{
    struct mta_figures *m = &e->fig, q = {0};
    queue_fields(&q, it, now);
    if (q.active)
        e->last_queued = now;
    if (m->present && queue_equal(m, &q))
        return;
    m->present = true;
    queue_fields(m, it, now);
    touch(e);
}

void srcagg_apply_queue(const struct pfqueue_tally *t, double now)
{
    store_foreach(ensure_entry, NULL);
    discover(t, now);
    for (struct entry *e = entry_of(ag.lru.head), *next; e; e = next) {
        next = entry_of(e->node.next); /* set_queue may move e to the front */
        set_queue(e, strmap_get(&t->map, e->name), now);
    }
}
