/*
 * pfqueue.c - streaming parser of `postqueue -j` output and the per-destination tally (see
 * pfqueue.h). json-c's tokener is fed chunk by chunk and returns one message object at a
 * time; the object is read, counted and freed at once. Loop thread (or a bench); pure.
 *
 * What Postfix 3.7 writes, one line per message:
 *   {"queue_name": "deferred", "queue_id": "06FCFA724BD", "arrival_time": 1795971579,
 *    "message_size": 302, "forced_expire": false, "sender": "a@origin.test",
 *    "recipients": [{"address": "x@down.test", "delay_reason": "connect to ..."}]}
 * A recipient never tried has no delay_reason. JSON strings never hold a raw newline, so a
 * newline always ends a record: that is where a bad or oversized record is skipped to.
 */
#include "pfqueue.h"
#include "xalloc.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define PFQUEUE_DOMAIN_MAX 254

struct pfqueue_parser {
    json_tokener *tok;
    size_t rec_bytes; /* fed to the tokener since the current record began */
    bool in_record;   /* a record has begun (a non-space byte was fed) */
    bool skipping;    /* dropping bytes up to the end of a bad record */
};

void pfqueue_tally_init(struct pfqueue_tally *t)
{
    memset(t, 0, sizeof *t);
}

void pfqueue_tally_free(struct pfqueue_tally *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i]->dest);
        free(t->items[i]);
    }
    free(t->items);
    strmap_free(&t->map);
    memset(t, 0, sizeof *t);
}

int pfqueue_domain(const char *address, char *out, size_t cap)
{
    const char *at = strrchr(address, '@');
    if (!at || !at[1])
        return -1;
    const char *d = at + 1;
    size_t n = strlen(d);
    if (n > 1 && d[n - 1] == '.')
        n--;
    if (n >= cap || n >= PFQUEUE_DOMAIN_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c <= ' ' || c == 0x7f)
            return -1;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    out[n] = '\0';
    return 0;
}

/* dest's item, created when absent; NULL when PFQUEUE_TALLY_MAX destinations are tallied. */
static struct pfqueue_item *tally_item(struct pfqueue_tally *t, const char *dest)
{
    struct pfqueue_item *it = strmap_get(&t->map, dest);
    if (it || t->n >= PFQUEUE_TALLY_MAX)
        return it;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->items = xrealloc(t->items, t->cap * sizeof *t->items);
    }
    it = xcalloc(1, sizeof *it);
    it->dest = xstrdup(dest);
    t->items[t->n++] = it;
    strmap_put(&t->map, it->dest, it);
    return it;
}

/* The age bucket (enum mta_age) of a message that arrived at arrival, seen at now. arrival
 * is outside input: it is compared with now - bound, so that no value of it can overflow,
 * and one in the future (a clock step, a forged queue file) counts as fresh. */
static enum mta_age age_bucket(int64_t now, int64_t arrival)
{
    static const int64_t bounds[] = {MTA_AGE_BOUNDS_S};
    _Static_assert(sizeof bounds / sizeof bounds[0] == MTA_AGE_OLDER, "one bound per bucket");
    unsigned b = 0;
    while (b < MTA_AGE_OLDER && arrival <= now - bounds[b])
        b++;
    return (enum mta_age)b;
}

/* One recipient for dest, in queue (enum mta_queue, or -1 for an unknown queue_name). */
static void tally_add(struct pfqueue_tally *t, const char *dest, int queue, bool attempted,
                      int64_t arrival)
{
    struct pfqueue_item *it = tally_item(t, dest);
    if (!it) {
        t->overflow_recipients++;
        return;
    }
    if (queue >= 0)
        it->by_queue[queue]++;
    if (queue == MTA_Q_HOLD)
        return;
    if (!it->active || arrival < it->oldest_arrival)
        it->oldest_arrival = arrival;
    if (!it->active || arrival > it->newest_arrival)
        it->newest_arrival = arrival;
    it->active++;
    it->attempted += attempted;
    it->by_age[age_bucket(t->now, arrival)]++;
}

/* enum mta_queue of a queue_name, -1 when missing or unknown. */
static int queue_of(const char *name)
{
    static const struct {
        const char *name;
        enum mta_queue q;
    } queues[] = {{"active", MTA_Q_ACTIVE},
                  {"deferred", MTA_Q_DEFERRED},
                  {"hold", MTA_Q_HOLD},
                  {"incoming", MTA_Q_INCOMING},
                  {"maildrop", MTA_Q_INCOMING}};
    for (size_t i = 0; name && i < sizeof queues / sizeof queues[0]; i++)
        if (!strcmp(name, queues[i].name))
            return (int)queues[i].q;
    return -1;
}

static const char *str_field(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void count_recipient(struct pfqueue_tally *t, json_object *r, int queue, int64_t arrival,
                            pfqueue_dest_fn *dest_fn, void *arg)
{
    char domain[PFQUEUE_DOMAIN_MAX];
    const char *address = json_object_is_type(r, json_type_object) ? str_field(r, "address") : 0;
    if (!address || pfqueue_domain(address, domain, sizeof domain) < 0) {
        t->bad_recipients++;
        return;
    }
    const char *reason = str_field(r, "delay_reason");
    if (queue == MTA_Q_HOLD)
        t->held_recipients++;
    else
        t->recipients++;
    tally_add(t, dest_fn(domain, arg), queue, reason && reason[0], arrival);
}

int pfqueue_record(struct pfqueue_tally *t, json_object *rec, pfqueue_dest_fn *dest_fn, void *arg)
{
    json_object *rcpts, *arr;
    if (!json_object_is_type(rec, json_type_object) ||
        !json_object_object_get_ex(rec, "recipients", &rcpts) ||
        !json_object_is_type(rcpts, json_type_array) ||
        !json_object_object_get_ex(rec, "arrival_time", &arr) ||
        !json_object_is_type(arr, json_type_int)) {
        t->skipped_records++;
        return -1;
    }
    int queue = queue_of(str_field(rec, "queue_name"));
    if (queue == MTA_Q_HOLD)
        t->held++;
    else
        t->messages++;
    int64_t arrival = json_object_get_int64(arr);
    size_t n = json_object_array_length(rcpts);
    for (size_t i = 0; i < n; i++)
        count_recipient(t, json_object_array_get_idx(rcpts, i), queue, arrival, dest_fn, arg);
    return 0;
}

struct pfqueue_parser *pfqueue_parser_new(void)
{
    struct pfqueue_parser *p = xcalloc(1, sizeof *p);
    p->tok = json_tokener_new();
    if (!p->tok) {
        free(p);
        return NULL;
    }
    return p;
}

void pfqueue_parser_free(struct pfqueue_parser *p)
{
    if (!p)
        return;
    json_tokener_free(p->tok);
    free(p);
}

static void start_skipping(struct pfqueue_parser *p, struct pfqueue_tally *t)
{
    json_tokener_reset(p->tok);
    t->skipped_records++;
    p->skipping = true;
    p->in_record = false;
    p->rec_bytes = 0;
}

/* Drops bytes up to and including the next newline; returns how many were dropped. */
static size_t skip_to_newline(struct pfqueue_parser *p, const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return len;
    p->skipping = false;
    return (size_t)(nl - buf) + 1;
}

/* One call of the tokener on at most the rest of the record's byte budget. Returns how many
 * bytes it took. */
static size_t feed_once(struct pfqueue_parser *p, const char *buf, size_t len,
                        struct pfqueue_tally *t, pfqueue_dest_fn *dest_fn, void *arg)
{
    size_t room = PFQUEUE_RECORD_MAX - p->rec_bytes;
    size_t n = len < room ? len : room;
    json_object *o = json_tokener_parse_ex(p->tok, buf, (int)n);
    enum json_tokener_error e = json_tokener_get_error(p->tok);
    if (o) {
        size_t used = json_tokener_get_parse_end(p->tok);
        pfqueue_record(t, o, dest_fn, arg);
        json_object_put(o);
        p->in_record = false;
        p->rec_bytes = 0;
        return used ? used : n;
    }
    if (e == json_tokener_continue) {
        p->rec_bytes += n;
        if (p->rec_bytes >= PFQUEUE_RECORD_MAX)
            start_skipping(p, t);
        return n;
    }
    size_t used = json_tokener_get_parse_end(p->tok);
    start_skipping(p, t);
    return used;
}

void pfqueue_feed(struct pfqueue_parser *p, const char *buf, size_t len, struct pfqueue_tally *t,
                  pfqueue_dest_fn *dest_fn, void *arg)
{
    while (len > 0) {
        size_t used;
        if (p->skipping) {
            used = skip_to_newline(p, buf, len);
        } else if (!p->in_record && memchr(" \t\r\n", *buf, 4)) {
            used = 1;
        } else {
            p->in_record = true;
            used = feed_once(p, buf, len, t, dest_fn, arg);
        }
        buf += used;
        len -= used;
    }
}

int pfqueue_end(struct pfqueue_parser *p, struct pfqueue_tally *t)
{
    bool cut = p->in_record;
    if (cut)
        t->skipped_records++;
    json_tokener_reset(p->tok);
    p->in_record = p->skipping = false;
    p->rec_bytes = 0;
    return cut ? -1 : 0;
}
