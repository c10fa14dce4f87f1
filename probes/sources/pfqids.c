/*
 * pfqids.c - queue id -> waiting recipients (see pfqids.h): a string map of messages, each
 * with a small array of (address hash, destination), and a list from most to least recently
 * deferred message for eviction. Loop thread; pure.
 */
#include "pfqids.h"

#include "list.h"
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

struct rcpt {
    uint64_t hash;
    char *dest;
};

struct msg {
    char qid[32]; /* the map's key; Postfix queue ids are at most 31 characters (pflog.h) */
    struct rcpt *r;
    size_t n, cap;
    struct list_node node; /* most recently deferred first */
};

struct pfqids {
    struct strmap map;
    struct list recent;
    size_t max;
    uint64_t dropped;
};

struct pfqids *pfqids_new(size_t max_messages)
{
    struct pfqids *q = calloc(1, sizeof *q);
    q->max = max_messages ? max_messages : 1;
    return q;
}

static struct msg *msg_of(struct list_node *n)
{
    return LIST_ENTRY(n, struct msg, node);
}

static void free_msg(struct pfqids *q, struct msg *m)
{
    strmap_del(&q->map, m->qid);
    list_unlink(&m->node);
    for (size_t i = 0; i < m->n; i++)
        free(m->r[i].dest);
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
    free(q);
}

static struct msg *get_msg(struct pfqids *q, const char *qid)
{
    struct msg *m = strmap_get(&q->map, qid);
    if (m) {
        list_unlink(&m->node);
        list_push_front(&q->recent, &m->node);
        return m;
    }
    if (strlen(qid) >= sizeof m->qid)
        return NULL;
    if (q->map.n >= q->max) {
        struct msg *oldest = msg_of(q->recent.tail);
        q->dropped += oldest->n;
        free_msg(q, oldest);
    }
    m = calloc(1, sizeof *m);
    strcpy(m->qid, qid);
    strmap_put(&q->map, m->qid, m);
    list_push_front(&q->recent, &m->node);
    return m;
}

static struct rcpt *find_rcpt(struct msg *m, uint64_t hash)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].hash == hash)
            return &m->r[i];
    return NULL;
}

void pfqids_deferred(struct pfqids *q, const char *qid, uint64_t rcpt, const char *dest)
{
    struct msg *m = get_msg(q, qid);
    if (!m || find_rcpt(m, rcpt))
        return;
    if (m->n == PFQIDS_RCPTS_MAX) {
        q->dropped++;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 2;
        m->r = realloc(m->r, m->cap * sizeof *m->r);
    }
    m->r[m->n++] = (struct rcpt){rcpt, strdup(dest)};
}

void pfqids_done(struct pfqids *q, const char *qid, uint64_t rcpt)
{
    struct msg *m = strmap_get(&q->map, qid);
    struct rcpt *r = m ? find_rcpt(m, rcpt) : NULL;
    if (!r)
        return;
    free(r->dest);
    *r = m->r[--m->n];
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
        fn(m->r[i].dest, arg);
    free_msg(q, m);
    return n;
}

size_t pfqids_count(const struct pfqids *q)
{
    return q->map.n;
}

uint64_t pfqids_dropped(const struct pfqids *q)
{
    return q->dropped;
}
