/*
 * smtp.c - SMTP banner checks of MX addresses, shared per address (smtp.h). A check belongs
 * to an address, not to a destination: the thousands of domains a large provider hosts
 * resolve to a handful of MX addresses, and one session to such an address answers all of
 * them. The session itself is smtp_session.c; this file decides when an address gets one.
 *
 * Per address (struct addr, keyed by address, port and STARTTLS mode):
 *   - at most one session at a time, and at most per_minute sessions in any 60 s (a ring of
 *     the latest sessions' end times), so the agent is never why a provider throttles the
 *     mail host;
 *   - the latest result and the monotonic time its session started; a check accepts it when
 *     that session started at or after the check's fresh_after_us (each destination asks for
 *     a result newer than the one it already has);
 *   - the checks waiting for the next result, which fans out to all of them at once.
 * Globally at most max_in_flight sessions; addresses ready beyond that wait in a FIFO.
 * Every event costs O(1) (a hash look-up, a list splice) or O(log n) (one loop timer):
 * nothing rescans a list. Callbacks never run inside smtp_check: a check served from the
 * cache is answered on the next loop turn. Loop thread only; never logs.
 *
 * Transaction probes (smtp_transaction, issue 16) bypass all of that sharing: each has its
 * own session, since its MAIL and RCPT speak for one sender and one recipient only. They
 * still count in the global cap, waiting in a FIFO of their own beyond it.
 */
#include "smtp.h"

#include "list.h"
#include "smtp_session.h"
#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_WINDOW_US (60 * 1000000LL)
#define SWEEP_MS       60000              /* how often idle addresses are looked for */
#define IDLE_FORGET_US (3600 * 1000000LL) /* an address unused this long is forgotten */
#define SMTP_RATE_MAX  600

/* One check: the handle smtp_check returns. */
struct smtp_session {
    struct addr *a;
    struct list_node node;      /* in its address's waiting list, or in the answer list */
    struct smtp_check_params p; /* strings point into the copies below */
    char mx_name[256], ehlo_name[256], source[64];
    smtp_done_fn *fn;
    void *arg;
    bool local_fail; /* answered with this side's failure: no session could start */
};

struct addr {
    struct smtp *s;
    char key[INET6_ADDRSTRLEN + 16];
    struct smtp_conn *conn; /* the running session */
    int64_t conn_start_us;
    bool have_result;
    struct mx_addr_result result; /* holds a reference to its text (and transcript) */
    int64_t result_start_us;      /* when the session that gave the result started */
    /* Ring of the latest per_minute sessions: each one's start, replaced by its end when it
     * ends, so the bound holds as the mail host counts (its connect comes after our start). */
    int64_t *starts;
    unsigned n_starts, next_start, conn_slot;
    struct loop_timer *rate_timer; /* waits for the rate window to allow a session */
    struct list_node ready_node;   /* in the FIFO of addresses waiting for a global slot */
    struct list waiting;           /* checks waiting for the next session */
    int64_t last_used_us;
    struct list_node all_node; /* every address, for the sweep */
};

/* One transaction probe: the handle smtp_transaction returns. */
struct smtp_txn {
    struct smtp *s;
    struct list_node node; /* in s->txn_ready while it waits for a slot or its answer, then
                              in s->txn_running */
    struct smtp_check_params p;
    char mx_name[256], ehlo_name[256], source[64], from[TXN_ADDR_MAX], to[TXN_ADDR_MAX];
    struct smtp_conn *conn;
    smtp_done_fn *fn;
    void *arg;
    bool local_fail; /* no session could start: answered so on the next turn */
};

struct smtp {
    struct loop *loop;
    struct curlm *curlm;      /* the loop's multi handle, shared with other libcurl users */
    struct smtp_conn_env env; /* what the sessions share: ours, freed after the last one */
    unsigned in_flight, max_in_flight, per_minute;
    struct strmap addrs;
    struct list all, ready;
    struct list answer;      /* checks answered from the cache on the next turn */
    struct list txn_ready;   /* transactions waiting for a global slot (or their failure) */
    struct list txn_running; /* and those with a session */
    struct loop_timer *kick, *sweep;
    struct smtp_figures fig;
};

/* ---- lists ---- */

static struct smtp_session *pop_check(struct list *l)
{
    struct list_node *n = list_pop_front(l);
    return n ? LIST_ENTRY(n, struct smtp_session, node) : NULL;
}

/* ---- addresses ---- */

static void addr_key(const struct smtp_check_params *p, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(p->family, p->addr, ip, sizeof ip);
    snprintf(out, cap, p->family == AF_INET6 ? "[%s]:%u/%d" : "%s:%u/%d", ip, p->port,
             (int)p->starttls);
}

static struct addr *addr_get(struct smtp *s, const struct smtp_check_params *p)
{
    char key[sizeof((struct addr *)0)->key];
    addr_key(p, key, sizeof key);
    struct addr *a = strmap_get(&s->addrs, key);
    if (a)
        return a;
    a = xcalloc(1, sizeof *a);
    int64_t *ring = xcalloc(s->per_minute, sizeof *ring);
    a->starts = ring;
    a->s = s;
    memcpy(a->key, key, sizeof key);
    strmap_put(&s->addrs, a->key, a);
    list_push_back(&s->all, &a->all_node);
    return a;
}

static void addr_free(struct addr *a)
{
    struct smtp *s = a->s;
    smtp_conn_abort(a->conn);
    loop_timer_del(s->loop, a->rate_timer);
    strmap_del(&s->addrs, a->key);
    list_unlink(&a->all_node);
    list_unlink(&a->ready_node);
    store_text_unref(a->result.text);
    free(a->starts);
    free(a);
}

/* Microseconds until the rate window allows another session (0: now). */
static int64_t rate_wait_us(const struct addr *a, int64_t now)
{
    if (a->n_starts < a->s->per_minute)
        return 0;
    int64_t oldest = a->starts[a->next_start]; /* the ring is full: next_start is the oldest */
    int64_t wait = oldest + RATE_WINDOW_US - now;
    return wait > 0 ? wait : 0;
}

static void note_start(struct addr *a, int64_t now)
{
    a->conn_slot = a->next_start;
    a->starts[a->next_start] = now;
    a->next_start = (a->next_start + 1) % a->s->per_minute;
    if (a->n_starts < a->s->per_minute)
        a->n_starts++;
}

static void on_conn_done(void *arg, const struct mx_addr_result *r);
static void addr_try_start(struct addr *a);

static int64_t on_rate_timer(struct loop *l, void *arg)
{
    (void)l;
    struct addr *a = arg;
    a->rate_timer = NULL; /* freed by the loop when we return -1 */
    addr_try_start(a);
    return -1;
}

/* Answers every waiting check with this side's failure (no session could start). */
static void fail_waiting(struct addr *a)
{
    for (struct smtp_session *c; (c = pop_check(&a->waiting));) {
        c->local_fail = true;
        list_push_back(&a->s->answer, &c->node);
    }
    loop_timer_reset(a->s->loop, a->s->kick, 0);
}

/* Starts a session for a's waiting checks when the address, its rate and the global cap
 * allow; otherwise arranges to be called again when they do. */
static void addr_try_start(struct addr *a)
{
    struct smtp *s = a->s;
    if (a->conn || !a->waiting.n || list_linked(&a->ready_node) || a->rate_timer)
        return;
    int64_t now = mxw_now_us(), wait = rate_wait_us(a, now);
    if (wait > 0) {
        a->rate_timer = loop_timer_add(s->loop, wait / 1000 + 1, on_rate_timer, a);
        s->fig.rate_waits++;
        return;
    }
    if (s->in_flight >= s->max_in_flight) {
        list_push_back(&s->ready, &a->ready_node);
        return;
    }
    /* The session uses the settings of the oldest waiting check. */
    const struct smtp_session *oldest = LIST_ENTRY(a->waiting.head, struct smtp_session, node);
    a->conn = smtp_conn_start(&s->env, &oldest->p, on_conn_done, a);
    if (!a->conn) {
        s->fig.local_resources++;
        fail_waiting(a);
        return;
    }
    a->conn_start_us = now;
    note_start(a, now);
    s->in_flight++;
    s->fig.sessions++;
}

/* The session of a ended: keep its result (unless this side failed), answer every check it
 * satisfies, and start again for any that wants a newer one. Runs inside the session's own
 * callback; a callback of ours may add or cancel checks, so the list is taken first. */
static void on_conn_done(void *arg, const struct mx_addr_result *r)
{
    struct addr *a = arg;
    struct smtp *s = a->s;
    int64_t started = a->conn_start_us;
    a->conn = NULL;
    s->in_flight--;
    a->last_used_us = mxw_now_us();
    a->starts[a->conn_slot] = a->last_used_us;
    if (r->outcome != OUT_LOCAL_ERROR) {
        a->have_result = true;
        store_text_unref(a->result.text);
        a->result = *r;
        store_text_ref(a->result.text);
        a->result_start_us = started;
    }
    struct list batch = {0}, later = {0};
    for (struct smtp_session *c; (c = pop_check(&a->waiting));)
        list_push_back(&batch, &c->node);
    for (struct smtp_session *c; (c = pop_check(&batch));) {
        if (r->outcome != OUT_LOCAL_ERROR && started < c->p.fresh_after_us) {
            list_push_back(&later, &c->node); /* it wants a result newer than this session */
            continue;
        }
        s->fig.answers++;
        c->fn(c->arg, r);
        free(c);
    }
    for (struct smtp_session *c; (c = pop_check(&later));)
        list_push_back(&a->waiting, &c->node);
    addr_try_start(a);
    loop_timer_reset(s->loop, s->kick, 0); /* a global slot is free */
}

/* The result of a check or transaction no session could even start for (this side's
 * trouble: no descriptor, memory): local_error, never the address's fault. The caller drops
 * the reference to r->text. */
static void local_result(const struct smtp_check_params *p, struct mx_addr_result *r)
{
    *r = (struct mx_addr_result){.family = p->family, .outcome = OUT_LOCAL_ERROR};
    memcpy(r->addr, p->addr, sizeof r->addr);
    inet_ntop(p->family, p->addr, r->addr_str, sizeof r->addr_str);
    r->connect_s = r->banner_s = r->ehlo_s = r->tls_s = -1;
    r->probed_at = mxw_wall_time();
    r->text = store_text_new("", "", "+0.0000 #: no session could start on this side\n");
}

/* ---- transactions ---- */

static void txn_answer_local(struct smtp_txn *t)
{
    struct mx_addr_result r;
    local_result(&t->p, &r);
    if (t->p.txn) {
        *t->p.txn = (struct txn_result){.mode = t->p.txn_mode, .at = r.probed_at};
        mxw_strlcpy(t->p.txn->address, r.addr_str, sizeof t->p.txn->address);
    }
    t->fn(t->arg, &r);
    store_text_unref(r.text);
}

static void on_txn_done(void *arg, const struct mx_addr_result *r)
{
    struct smtp_txn *t = arg;
    struct smtp *s = t->s;
    s->in_flight--;
    t->conn = NULL;
    list_unlink(&t->node);
    t->fn(t->arg, r);
    free(t);
    loop_timer_reset(s->loop, s->kick, 0); /* a global slot is free */
}

/* Starts t's session now (a slot is free); false when it could not start. */
static bool txn_start(struct smtp_txn *t)
{
    struct smtp *s = t->s;
    t->conn = smtp_conn_start(&s->env, &t->p, on_txn_done, t);
    if (!t->conn) {
        s->fig.local_resources++;
        return false;
    }
    s->in_flight++;
    s->fig.sessions++;
    list_push_back(&s->txn_running, &t->node);
    return true;
}

/* Waiting transactions first (they wait for nothing else), while slots are free. */
static void txn_kick(struct smtp *s)
{
    for (struct list_node *n = s->txn_ready.head, *next; n; n = next) {
        next = n->next;
        struct smtp_txn *t = LIST_ENTRY(n, struct smtp_txn, node);
        if (!t->local_fail && s->in_flight >= s->max_in_flight)
            continue;
        list_unlink(&t->node);
        if (t->local_fail || !txn_start(t)) {
            txn_answer_local(t);
            free(t);
        }
    }
}

/* ---- the loop's turn: cached answers, then addresses waiting for a slot ---- */

static int64_t on_kick(struct loop *l, void *arg)
{
    (void)l;
    struct smtp *s = arg;
    for (struct smtp_session *c; (c = pop_check(&s->answer));) {
        struct addr *a = c->a;
        if (c->local_fail) {
            struct mx_addr_result r;
            local_result(&c->p, &r);
            c->fn(c->arg, &r);
            store_text_unref(r.text);
        } else {
            s->fig.answers++;
            s->fig.shared++;
            c->fn(c->arg, &a->result);
        }
        free(c);
    }
    txn_kick(s);
    for (struct list_node *n; s->in_flight < s->max_in_flight && (n = list_pop_front(&s->ready));)
        addr_try_start(LIST_ENTRY(n, struct addr, ready_node));
    return MXW_HOUR_MS;
}

static int64_t on_sweep(struct loop *l, void *arg)
{
    (void)l;
    struct smtp *s = arg;
    int64_t now = mxw_now_us();
    for (struct list_node *n = s->all.head, *next; n; n = next) {
        next = n->next;
        struct addr *a = LIST_ENTRY(n, struct addr, all_node);
        if (!a->conn && !a->waiting.n && !list_linked(&a->ready_node) && !a->rate_timer &&
            now - a->last_used_us > IDLE_FORGET_US)
            addr_free(a);
    }
    return SWEEP_MS;
}

/* ---- the interface ---- */

struct smtp_session *smtp_check(struct smtp *s, const struct smtp_check_params *p, smtp_done_fn *fn,
                                void *arg)
{
    struct smtp_session *c = xcalloc(1, sizeof *c);
    c->p = *p;
    mxw_strlcpy(c->mx_name, p->mx_name ? p->mx_name : "", sizeof c->mx_name);
    mxw_strlcpy(c->ehlo_name, p->ehlo_name ? p->ehlo_name : "", sizeof c->ehlo_name);
    mxw_strlcpy(c->source, p->source_address ? p->source_address : "", sizeof c->source);
    c->p.mx_name = c->mx_name;
    c->p.ehlo_name = c->ehlo_name;
    c->p.source_address = c->source[0] ? c->source : NULL;
    c->fn = fn;
    c->arg = arg;
    struct addr *a = c->a = addr_get(s, p);
    if (!a) {
        c->local_fail = true;
        list_push_back(&s->answer, &c->node);
        loop_timer_reset(s->loop, s->kick, 0);
        return c;
    }
    a->last_used_us = mxw_now_us();
    if (a->have_result && a->result_start_us >= p->fresh_after_us) {
        list_push_back(&s->answer, &c->node);
        loop_timer_reset(s->loop, s->kick, 0);
        return c;
    }
    list_push_back(&a->waiting, &c->node);
    addr_try_start(a);
    return c;
}

void smtp_cancel(struct smtp *s, struct smtp_session *c)
{
    (void)s;
    if (!c)
        return;
    list_unlink(&c->node);
    free(c);
}

struct smtp_txn *smtp_transaction(struct smtp *s, const struct smtp_check_params *p,
                                  smtp_done_fn *fn, void *arg)
{
    struct smtp_txn *t = xcalloc(1, sizeof *t);
    t->s = s;
    t->p = *p;
    mxw_strlcpy(t->mx_name, p->mx_name ? p->mx_name : "", sizeof t->mx_name);
    mxw_strlcpy(t->ehlo_name, p->ehlo_name ? p->ehlo_name : "", sizeof t->ehlo_name);
    mxw_strlcpy(t->source, p->source_address ? p->source_address : "", sizeof t->source);
    mxw_strlcpy(t->from, p->mail_from ? p->mail_from : "", sizeof t->from);
    mxw_strlcpy(t->to, p->rcpt_to ? p->rcpt_to : "", sizeof t->to);
    t->p.mx_name = t->mx_name;
    t->p.ehlo_name = t->ehlo_name;
    t->p.source_address = t->source[0] ? t->source : NULL;
    t->p.mail_from = t->from;
    t->p.rcpt_to = t->to;
    t->fn = fn;
    t->arg = arg;
    /* Never started here: the callback must not run inside this call. */
    list_push_back(&s->txn_ready, &t->node);
    loop_timer_reset(s->loop, s->kick, 0);
    return t;
}

void smtp_transaction_cancel(struct smtp *s, struct smtp_txn *t)
{
    if (!t)
        return;
    if (t->conn) {
        smtp_conn_abort(t->conn);
        s->in_flight--;
        loop_timer_reset(s->loop, s->kick, 0);
    }
    list_unlink(&t->node);
    free(t);
}

unsigned smtp_in_flight(const struct smtp *s)
{
    return s->in_flight;
}

void smtp_figures(const struct smtp *s, struct smtp_figures *out)
{
    *out = s->fig;
    out->addresses = s->all.n;
}

void smtp_set_limits(struct smtp *s, unsigned max_in_flight, unsigned per_minute)
{
    s->max_in_flight = max_in_flight;
    per_minute = per_minute < 1 ? 1 : per_minute > SMTP_RATE_MAX ? SMTP_RATE_MAX : per_minute;
    if (per_minute != s->per_minute) {
        /* Each ring is sized by the rate: addresses start afresh under a new one. */
        for (struct list_node *n = s->all.head; n; n = n->next) {
            struct addr *a = LIST_ENTRY(n, struct addr, all_node);
            int64_t *ring = xcalloc(per_minute, sizeof *ring);
            free(a->starts);
            a->starts = ring;
            a->n_starts = a->next_start = 0;
        }
        s->per_minute = per_minute;
    }
    loop_timer_reset(s->loop, s->kick, 0);
}

void smtp_set_trace(struct smtp *s, smtp_trace_fn *fn, void *arg)
{
    s->env.trace = fn;
    s->env.trace_arg = arg;
}

struct smtp *smtp_new(struct loop *l, struct curlm *curlm, const struct config *cfg)
{
    struct smtp *s = xcalloc(1, sizeof *s);
    s->loop = l;
    s->curlm = curlm;
    smtp_conn_env_init(&s->env, l, curlm, &s->fig);
    smtp_conn_env_trust(&s->env, cfg->tls_ca_file);
    s->max_in_flight = cfg->max_smtp_in_flight;
    s->per_minute = cfg->smtp_address_per_minute < 1               ? 1
                    : cfg->smtp_address_per_minute > SMTP_RATE_MAX ? SMTP_RATE_MAX
                                                                   : cfg->smtp_address_per_minute;
    s->kick = loop_timer_add(l, MXW_HOUR_MS, on_kick, s);
    s->sweep = loop_timer_add(l, SWEEP_MS, on_sweep, s);
    return s;
}

void smtp_free(struct smtp *s)
{
    if (!s)
        return;
    for (struct smtp_session *c; (c = pop_check(&s->answer));)
        free(c);
    for (struct list_node *n; (n = list_pop_front(&s->txn_ready));)
        free(LIST_ENTRY(n, struct smtp_txn, node));
    for (struct list_node *n; (n = list_pop_front(&s->txn_running));) {
        struct smtp_txn *t = LIST_ENTRY(n, struct smtp_txn, node);
        smtp_conn_abort(t->conn);
        free(t);
    }
    for (struct list_node *n; (n = s->all.head);) {
        struct addr *a = LIST_ENTRY(n, struct addr, all_node);
        for (struct smtp_session *c; (c = pop_check(&a->waiting));)
            free(c);
        addr_free(a);
    }
    strmap_free(&s->addrs);
    smtp_conn_env_free(&s->env); /* every session is gone */
    loop_timer_del(s->loop, s->kick);
    loop_timer_del(s->loop, s->sweep);
    free(s);
}
