/*
 * agentx_trap.c - the way from a destination's status change to a notification, minus the
 * sending itself (agentx.c): a bounded queue that carries status changes from the loop thread
 * (the store's status observer) to the SNMP thread, and the per-destination rate limiter
 * that keeps a flapping destination from flooding the NMS.
 *
 * Rules: mxwDestinationDown when a destination turns down and the NMS was not told it is
 * down; mxwDestinationUp when it comes back from down (not for the first "up" after start,
 * which would send one per destination). A change within trap_min_interval of the last
 * notification for the same destination is held; when the interval ends, the latest state
 * is sent if it still differs from what the NMS was told, and dropped if the flap ended
 * where it began. A notification that cannot go out (no master) is held and retried.
 *
 * Threads: ax_trapq_push on any thread (the loop thread in practice); everything else on
 * the SNMP thread. Never logs; never calls net-snmp.
 */
#include "agentx_int.h"
#include "xalloc.h"

#include "strmap.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- the queue ---- */

struct ax_trapq {
    pthread_mutex_t lock;
    struct ax_trap_event *ring;
    size_t cap, head, n;
    uint64_t dropped;
    int efd;
};

struct ax_trapq *ax_trapq_new(size_t cap)
{
    struct ax_trapq *q = xcalloc(1, sizeof *q);
    q->ring = xcalloc(cap, sizeof *q->ring);
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0) {
        ax_trapq_free(q);
        return NULL;
    }
    q->cap = cap;
    pthread_mutex_init(&q->lock, NULL);
    return q;
}

void ax_trapq_free(struct ax_trapq *q)
{
    if (!q)
        return;
    if (q->efd >= 0)
        close(q->efd);
    if (q->ring)
        pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
}

int ax_trapq_fd(const struct ax_trapq *q)
{
    return q->efd;
}

static void wake(int fd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the reader wakes anyway. */
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

int ax_trapq_push(struct ax_trapq *q, const struct ax_trap_event *ev)
{
    pthread_mutex_lock(&q->lock);
    if (q->n == q->cap) {
        q->dropped++;
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    q->ring[(q->head + q->n) % q->cap] = *ev;
    q->n++;
    pthread_mutex_unlock(&q->lock);
    wake(q->efd);
    return 0;
}

size_t ax_trapq_take(struct ax_trapq *q, struct ax_trap_event *out, size_t max, uint64_t *dropped)
{
    uint64_t counter;
    while (read(q->efd, &counter, sizeof counter) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&q->lock);
    size_t k = q->n < max ? q->n : max;
    for (size_t i = 0; i < k; i++)
        out[i] = q->ring[(q->head + i) % q->cap];
    q->head = (q->head + k) % q->cap;
    q->n -= k;
    bool more = q->n > 0;
    *dropped = q->dropped;
    q->dropped = 0;
    pthread_mutex_unlock(&q->lock);
    if (more)
        wake(q->efd);
    return k;
}

/* ---- the rate limiter ---- */

struct lim_entry {
    enum dest_status told; /* what the NMS was last told; DEST_UNKNOWN: nothing yet */
    bool has_sent;
    bool held;
    double last_sent, due;
    struct ax_trap_event latest; /* the latest state offered; its domain is the key */
};

struct ax_limiter {
    double interval;
    struct strmap entries; /* domain (latest.domain) -> struct lim_entry */
    double next_due;       /* earliest due time of a held entry, or negative */
};

/* The entry of domain, made if new. */
static struct lim_entry *entry_get(struct ax_limiter *l, const char *domain)
{
    struct lim_entry *e = strmap_get(&l->entries, domain);
    if (!e) {
        e = xcalloc(1, sizeof *e);
        mxw_strlcpy(e->latest.domain, domain, sizeof e->latest.domain);
        strmap_put(&l->entries, e->latest.domain, e);
    }
    return e;
}

struct ax_limiter *ax_limiter_new(double min_interval_s)
{
    struct ax_limiter *l = xcalloc(1, sizeof *l);
    l->interval = min_interval_s > 0 ? min_interval_s : 0;
    l->next_due = -1;
    return l;
}

void ax_limiter_free(struct ax_limiter *l)
{
    if (!l)
        return;
    strmap_clear(&l->entries, free);
    free(l);
}

size_t ax_limiter_count(const struct ax_limiter *l)
{
    return l->entries.n;
}

/* Whether a notification for state ev tells the NMS something new. */
static bool news(const struct lim_entry *e, const struct ax_trap_event *ev)
{
    if (ev->status == DEST_DOWN)
        return e->told != DEST_DOWN;
    return ev->status == DEST_UP && e->told == DEST_DOWN;
}

static void hold(struct ax_limiter *l, struct lim_entry *e, double due)
{
    e->held = true;
    e->due = due;
    if (l->next_due < 0 || due < l->next_due)
        l->next_due = due;
}

bool ax_limiter_offer(struct ax_limiter *l, const struct ax_trap_event *ev, double now)
{
    struct lim_entry *e = entry_get(l, ev->domain);
    e->latest = *ev;
    e->held = false;
    if (!news(e, ev))
        return false;
    if (!e->has_sent || now >= e->last_sent + l->interval)
        return true;
    hold(l, e, e->last_sent + l->interval);
    return false;
}

void ax_limiter_sent(struct ax_limiter *l, const struct ax_trap_event *ev, double now, bool ok,
                     double retry_s)
{
    struct lim_entry *e = entry_get(l, ev->domain);
    if (!ok) {
        hold(l, e, now + retry_s);
        return;
    }
    e->told = ev->status;
    e->has_sent = true;
    e->last_sent = now;
    e->held = false;
}

double ax_limiter_next_due(const struct ax_limiter *l)
{
    return l->next_due;
}

struct run_ctx {
    struct ax_limiter *l;
    double now, retry_s;
    bool (*send)(const struct ax_trap_event *ev, void *arg);
    void *arg;
};

static bool run_one(void *val, void *arg)
{
    struct run_ctx *c = arg;
    struct lim_entry *e = val;
    if (!e->held)
        return false;
    if (e->due > c->now) {
        hold(c->l, e, e->due);
        return false;
    }
    e->held = false;
    if (news(e, &e->latest))
        ax_limiter_sent(c->l, &e->latest, c->now, c->send(&e->latest, c->arg), c->retry_s);
    return false;
}

void ax_limiter_run(struct ax_limiter *l, double now, double retry_s,
                    bool (*send)(const struct ax_trap_event *ev, void *arg), void *arg)
{
    if (l->next_due < 0 || now < l->next_due)
        return;
    l->next_due = -1;
    struct run_ctx c = {l, now, retry_s, send, arg};
    strmap_sweep(&l->entries, run_one, &c);
}

/* An entry to forget: nothing held, and its destination gone from the snapshot. */
static bool prune_one(void *val, void *arg)
{
    const struct snapshot *s = arg;
    struct lim_entry *e = val;
    if (e->held || (s && store_snapshot_find(s, e->latest.domain)))
        return false;
    free(e);
    return true;
}

void ax_limiter_prune(struct ax_limiter *l, const struct snapshot *s)
{
    strmap_sweep(&l->entries, prune_one, (void *)s);
}
