/*
 * pfqids.c - queue id -> waiting recipients (see pfqids.h): a string map of messages, each
 * with a small array of (address hash, destination name), a string map of the interned names
 * with their reference counts, and a list from most to least recently deferred message for
 * eviction. Every allocation is added to `bytes` when made and taken off when freed. Loop
 * thread; pure.
 */
#include "pfqids.h"

#include "list.h"
#include "strmap.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A destination name, stored once for every recipient that waits for it. */
struct name {
    size_t refs;
    char s[]; /* the names map's key */
};

struct rcpt {
    uint64_t hash;
    struct name *dest;
};

struct msg {
    char qid[32]; /* the map's key; Postfix queue ids are at most 31 characters (pflog.h) */
    struct rcpt *r;
    size_t n, cap;
    struct list_node node; /* most recently deferred first */
};

struct pfqids {
    struct strmap map;   /* queue id -> struct msg */
    struct strmap names; /* destination -> struct name */
    struct list recent;
    struct pfqids_limits lim;
    size_t rcpts, bytes;
    uint64_t dropped;
};

static size_t at_least_1(size_t v)
{
    return v ? v : 1;
}

struct pfqids *pfqids_new(const struct pfqids_limits *lim)
{
    struct pfqids *q = xcalloc(1, sizeof *q);
    q->lim.messages = at_least_1(lim->messages);
    q->lim.rcpts = at_least_1(lim->rcpts);
    q->lim.bytes = at_least_1(lim->bytes);
    return q;
}

/* ---- interned names ---- */

static size_t name_size(const char *s)
{
    return sizeof(struct name) + strlen(s) + 1;
}

/* The name s, with one more reference. */
static struct name *name_ref(struct pfqids *q, const char *s)
{
    struct name *nm = strmap_get(&q->names, s);
    if (!nm) {
        size_t size = name_size(s);
        nm = xmalloc(size);
        nm->refs = 0;
        memcpy(nm->s, s, size - sizeof *nm);
        strmap_put(&q->names, nm->s, nm);
        q->bytes += size;
    }
    nm->refs++;
    return nm;
}

static void name_unref(struct pfqids *q, struct name *nm)
{
    if (--nm->refs)
        return;
    strmap_del(&q->names, nm->s);
    q->bytes -= name_size(nm->s);
    free(nm);
}

/* ---- messages ---- */

static struct msg *msg_of(struct list_node *n)
{
    return LIST_ENTRY(n, struct msg, node);
}

static void free_msg(struct pfqids *q, struct msg *m)
{
    strmap_del(&q->map, m->qid);
    list_unlink(&m->node);
    for (size_t i = 0; i < m->n; i++)
        name_unref(q, m->r[i].dest);
    q->rcpts -= m->n;
    q->bytes -= sizeof *m + m->cap * sizeof *m->r;
    free(m->r);
    free(m);
}

void pfqids_free(struct pfqids *q)
{
    if (!q)
        return;
    while (q->recent.head)
        free_msg(q, msg_of(q->recent.head));
    strmap_free(&q->map);
    strmap_free(&q->names);
    free(q);
}

/* Forgets the least recently deferred messages, never keep, until msgs more messages, rcpts
 * more recipients and bytes more bytes fit. Returns whether they fit. */
static bool make_room(struct pfqids *q, const struct msg *keep, size_t msgs, size_t rcpts,
                      size_t bytes)
{
    while (q->map.n + msgs > q->lim.messages || q->rcpts + rcpts > q->lim.rcpts ||
           q->bytes + bytes > q->lim.bytes) {
        struct list_node *oldest = q->recent.tail;
        if (!oldest || msg_of(oldest) == keep)
            return false;
        q->dropped += msg_of(oldest)->n;
        free_msg(q, msg_of(oldest));
    }
    return true;
}

/* The message qid, made the most recently deferred; created when absent. NULL when qid is
 * too long, or a new message does not fit. */
static struct msg *get_msg(struct pfqids *q, const char *qid)
{
    struct msg *m = strmap_get(&q->map, qid);
    if (m) {
        list_unlink(&m->node);
        list_push_front(&q->recent, &m->node);
        return m;
    }
    if (strlen(qid) >= sizeof m->qid || !make_room(q, NULL, 1, 0, sizeof *m))
        return NULL;
    m = xcalloc(1, sizeof *m);
    memcpy(m->qid, qid, strlen(qid) + 1); /* fits: measured above */
    strmap_put(&q->map, m->qid, m);
    list_push_front(&q->recent, &m->node);
    q->bytes += sizeof *m;
    return m;
}

static struct rcpt *find_rcpt(struct msg *m, uint64_t hash)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].hash == hash)
            return &m->r[i];
    return NULL;
}

/* Adds a recipient to m, making room for it (and for its name, even when the name is held
 * already: forgetting other messages may free it). Returns whether it was added. */
static bool add_rcpt(struct pfqids *q, struct msg *m, uint64_t hash, const char *dest)
{
    size_t more = m->n < m->cap ? 0 : m->cap ? m->cap : 2; /* slots the array grows by */
    if (m->n == PFQIDS_RCPTS_MAX || !make_room(q, m, 0, 1, more * sizeof *m->r + name_size(dest)))
        return false;
    if (more) {
        struct rcpt *r = xrealloc(m->r, (m->cap + more) * sizeof *r);
        m->r = r;
        m->cap += more;
        q->bytes += more * sizeof *r;
    }
    struct name *nm = name_ref(q, dest);
    m->r[m->n++] = (struct rcpt){hash, nm};
    q->rcpts++;
    return true;
}

void pfqids_deferred(struct pfqids *q, const char *qid, uint64_t rcpt, const char *dest)
{
    struct msg *m = get_msg(q, qid);
    if (m && find_rcpt(m, rcpt))
        return;
    if (m && add_rcpt(q, m, rcpt, dest))
        return;
    q->dropped++;
    if (m && m->n == 0)
        free_msg(q, m);
}

void pfqids_done(struct pfqids *q, const char *qid, uint64_t rcpt)
{
    struct msg *m = strmap_get(&q->map, qid);
    struct rcpt *r = m ? find_rcpt(m, rcpt) : NULL;
    if (!r)
        return;
    name_unref(q, r->dest);
    *r = m->r[--m->n];
    q->rcpts--;
    if (m->n == 0)
        free_msg(q, m);
}

size_t pfqids_finish(struct pfqids *q, const char *qid, pfqids_fn *fn, void *arg)
{
    struct msg *m = strmap_get(&q->map, qid);
    if (!m)
        return 0;
    size_t n = m->n;
    for (size_t i = 0; i < n; i++)
        fn(m->r[i].dest->s, arg);
    free_msg(q, m);
    return n;
}

size_t pfqids_count(const struct pfqids *q)
{
    return q->map.n;
}

size_t pfqids_rcpts(const struct pfqids *q)
{
    return q->rcpts;
}

size_t pfqids_names(const struct pfqids *q)
{
    return q->names.n;
}

size_t pfqids_bytes(const struct pfqids *q)
{
    return q->bytes;
}

uint64_t pfqids_dropped(const struct pfqids *q)
{
    return q->dropped;
}
