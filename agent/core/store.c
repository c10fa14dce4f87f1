/*
 * store.c - the destination state store (see store.h for the concurrency contract).
 *
 * Working records live on the loop thread. Each holds a pointer to a dest_view; once a view
 * has been published in a snapshot it is frozen, and the next write clones it first
 * (copy-on-write), so readers holding an old snapshot are never disturbed. Records are kept
 * in a hash map (find by domain, O(1)) and in an array sorted by domain (publish walks it
 * in order, so snapshots come out sorted without a sort per publish).
 */
#include "store.h"

#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ERRORS_BLOCK(errs) ((struct mta_errors *)((char *)(errs)-offsetof(struct mta_errors, e)))

struct dest {
    struct dest_view *v; /* working view; frozen when published */
    bool frozen;         /* v is shared with a snapshot: clone before writing */
    bool dirty;          /* changed since the last publish */
    bool mark;
    size_t pos; /* in st.sorted, as of the last publish (exact while !set_changed) */
    const struct probe_params *params; /* store_dest_set_params */
    const struct txn_config *txn;      /* store_dest_set_txn_config */
    void *handle;                      /* store_dest_set_handle */
    char domain[]; /* the map's key, as long as it is: stable while views are replaced */
};

/* Bytes of a view of that domain, the domain included. */
static size_t view_size(const char *domain)
{
    return sizeof(struct dest_view) + strlen(domain) + 1;
}

static struct {
    struct dest **sorted; /* by domain */
    size_t n, cap;
    struct strmap by_domain;
    unsigned next_index;
    bool set_changed;    /* a destination came or went since the last publish */
    struct dest **dirty; /* destinations changed since the last publish */
    size_t n_dirty, cap_dirty;
    struct store_chunk **chunks; /* the published runs of views */
    bool *chunk_dirty;           /* a destination of the run changed since */
    size_t n_chunks;
    /* Published snapshots not yet freed, oldest first (linked by ->newer), and the views and
     * runs that left the published set, each with the generation of the last snapshot that
     * may show it (oldest first, from retired_first): store_publish frees a snapshot once
     * it is released and every older one is, and a retired thing once no snapshot that may
     * show it is left. So readers never touch a count on a view or a run, and a publish
     * costs what changed. */
    struct snapshot *oldest, *newest;
    struct retired *retired;
    size_t retired_first, n_retired, cap_retired;
    struct agent_figures agent;
    struct gateway_view **gateways; /* the store's own references */
    size_t n_gateways;
    bool gateways_dirty;
    struct jobs_view *jobs; /* the store's own reference */
    bool jobs_dirty;
    struct routes_view *routes; /* the store's own reference */
    bool routes_dirty;
    struct sender_view *sender; /* the store's own reference */
    bool sender_dirty;
    uint64_t generation;
    uint64_t content_generation; /* generation of the last publish that changed content */
} st;

struct retired {
    uint64_t generation;
    void *p;
    bool chunk; /* a struct store_chunk, else a struct dest_view */
};

static struct observer {
    store_status_fn *fn;
    void *arg;
} observers[STORE_OBSERVERS_MAX];
static size_t n_observers;

static struct member_observer {
    store_member_fn *fn;
    void *arg;
} member_observers[STORE_OBSERVERS_MAX];
static size_t n_member_observers;

static void tell_members(const char *domain, bool added)
{
    for (size_t i = 0; i < n_member_observers; i++)
        member_observers[i].fn(domain, added, member_observers[i].arg);
}

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snap_current; /* guarded by snap_lock */

/* ---- names ---- */

static const char *const status_names[] = {"unknown", "up", "down"};
static const char *const outcome_names[OUT__COUNT] = {
    "not_probed", "ok",         "refused",       "unreachable", "connect_timeout", "banner_timeout",
    "banner_4xx", "banner_5xx", "ehlo_rejected", "tls_failed",  "protocol_error",  "local_error",
};
static const char *const reason_names[REASON__COUNT] = {
    "not_probed", "ok",         "dns_nxdomain", "dns_temporary", "null_mx",
    "no_address", "all_failed", "local",        "mta_sts",       "dane",
};

const char *store_status_name(enum dest_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "unknown";
}

const char *store_outcome_name(enum mx_outcome o)
{
    return (unsigned)o < OUT__COUNT ? outcome_names[o] : "unknown";
}

const char *store_reason_name(enum dest_reason r)
{
    return (unsigned)r < REASON__COUNT ? reason_names[r] : "unknown";
}

static const char *const class_names[DELIV__COUNT] = {
    "none", "sent", "connect", "greeting", "tls", "reply", "lost",
};
static const char *const cmd_names[DCMD__COUNT] = {
    "none", "connect", "greeting", "ehlo",        "starttls",
    "mail", "rcpt",    "data",     "end_of_data", "other",
};
static const char *const signal_names[] = {"none", "probe", "delivery", "transaction"};
static const char *const vote_names[] = {"none", "up", "down", "throttled", "rejected"};

const char *store_delivery_class_name(enum delivery_class c)
{
    return (unsigned)c < DELIV__COUNT ? class_names[c] : "unknown";
}

const char *store_delivery_cmd_name(enum delivery_cmd c)
{
    return (unsigned)c < DCMD__COUNT ? cmd_names[c] : "unknown";
}

const char *store_signal_name(enum dest_signal s)
{
    return (unsigned)s < 4 ? signal_names[s] : "unknown";
}

const char *store_vote_name(enum delivery_vote v)
{
    return (unsigned)v < 5 ? vote_names[v] : "unknown";
}

const char *store_sts_mode_name(enum sts_mode m)
{
    static const char *const names[] = {"none", "testing", "enforce"};
    return (unsigned)m < 3 ? names[m] : "none";
}

const char *store_txt_policy_name(enum txt_policy t)
{
    static const char *const names[] = {"absent", "ok", "malformed", "multiple", "failed"};
    return (unsigned)t < 5 ? names[t] : "failed";
}

const char *store_dane_name(enum dane_state s)
{
    static const char *const names[DANE__COUNT] = {"none", "match", "mismatch", "no_tls",
                                                   "unusable"};
    return (unsigned)s < DANE__COUNT ? names[s] : "none";
}

const char *store_tlsa_name(enum tlsa_lookup t)
{
    static const char *const names[] = {"none", "records", "failed"};
    return (unsigned)t < 3 ? names[t] : "failed";
}

const char *store_sts_host_name(enum sts_host s)
{
    static const char *const names[STS_HOST__COUNT] = {"none", "ok", "not_listed", "bad_cert"};
    return (unsigned)s < STS_HOST__COUNT ? names[s] : "none";
}

void store_tls_summary(const struct dest_view *d, struct store_tls_summary *out)
{
    *out = (struct store_tls_summary){.tlsa_authenticated = true};
    for (size_t i = 0; i < d->n_hosts; i++) {
        const struct mx_host *mh = &d->hosts[i];
        out->sts_failing += mh->sts == STS_HOST_NOT_LISTED || mh->sts == STS_HOST_BAD_CERT;
        if (mh->tlsa != TLSA_RECORDS)
            continue;
        out->tlsa = true;
        out->tlsa_authenticated &= mh->tlsa_authenticated;
        for (size_t k = 0; k < mh->n_addrs; k++) {
            out->dane_match += mh->addrs[k].dane == DANE_MATCH;
            out->dane_failing +=
                mh->addrs[k].dane == DANE_MISMATCH || mh->addrs[k].dane == DANE_NO_TLS;
        }
    }
    out->tlsa_authenticated &= out->tlsa;
}

const struct store_tls_policy *store_tls_policy_new(const struct store_tls_policy *p,
                                                    const char *sts_mx, const char *sts_error,
                                                    const char *rpt_rua)
{
    size_t nm = strnlen(sts_mx, STORE_POLICY_TEXT - 1),
           ne = strnlen(sts_error, STORE_POLICY_TEXT - 1);
    size_t nr = strnlen(rpt_rua, STORE_POLICY_TEXT - 1);
    struct store_tls_policy *b = xmalloc(sizeof *b + nm + ne + nr + 3);
    memcpy(b, p, sizeof *b);
    atomic_init(&b->refs, 1);
    char *d = b->data;
    b->sts_mx = memcpy(d, sts_mx, nm);
    d[nm] = '\0';
    b->sts_error = memcpy(d += nm + 1, sts_error, ne);
    d[ne] = '\0';
    b->rpt_rua = memcpy(d += ne + 1, rpt_rua, nr);
    d[nr] = '\0';
    return b;
}

const struct store_tls_policy *store_tls_policy_ref(const struct store_tls_policy *p)
{
    if (p)
        atomic_fetch_add(&((struct store_tls_policy *)p)->refs, 1);
    return p;
}

void store_tls_policy_unref(const struct store_tls_policy *cp)
{
    struct store_tls_policy *p = (struct store_tls_policy *)cp;
    if (p && atomic_fetch_sub(&p->refs, 1) == 1)
        free(p);
}

const char *store_dest_reason_text(const struct dest_view *d)
{
    if (d->status_signal == SIGNAL_DELIVERY || d->status_signal == SIGNAL_TRANSACTION)
        return d->vote == VOTE_UP          ? reason_names[REASON_OK]
               : d->vote == VOTE_THROTTLED ? "throttled"
               : d->vote == VOTE_REJECTED  ? "rejected"
                                           : store_outcome_name(d->vote_outcome);
    if (d->reason == REASON_ALL_FAILED)
        return store_outcome_name(d->addr_outcome);
    return store_reason_name(d->reason);
}

size_t store_result_slots(void)
{
    return OUT__COUNT + REASON__COUNT;
}

const char *store_result_name(size_t slot)
{
    if (slot < OUT__COUNT)
        return outcome_names[slot];
    if (slot < OUT__COUNT + REASON__COUNT)
        return reason_names[slot - OUT__COUNT];
    return "unknown";
}

/* ---- SMTP texts ---- */

const struct smtp_text *store_text_new(const char *banner, const char *ehlo, const char *transcript)
{
    return store_text_new_tls(banner, ehlo, transcript, NULL);
}

const struct smtp_text *store_text_new_tls(const char *banner, const char *ehlo,
                                           const char *transcript,
                                           const struct store_tls_chain *chain)
{
    size_t nb = strnlen(banner, STORE_BANNER_MAX - 1), ne = strnlen(ehlo, STORE_EHLO_MAX - 1);
    size_t nt = strlen(transcript), nc = chain ? sizeof *chain : 0;
    struct smtp_text *t = xmalloc(sizeof *t + nc + nb + ne + nt + 3);
    atomic_init(&t->refs, 1);
    char *p = t->data;
    t->chain = NULL;
    if (chain) { /* bytes only: any address is aligned for it */
        t->chain = memcpy(p, chain, nc);
        p += nc;
    }
    t->banner = p;
    memcpy(p, banner, nb);
    p[nb] = '\0';
    t->ehlo = p += nb + 1;
    memcpy(p, ehlo, ne);
    p[ne] = '\0';
    t->transcript = p += ne + 1;
    memcpy(p, transcript, nt + 1);
    return t;
}

const struct store_name *store_name_new(const char *name, size_t len)
{
    struct store_name *n = xmalloc(sizeof *n + len + 1);
    atomic_init(&n->refs, 1);
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    return n;
}

const struct store_name *store_name_ref(const struct store_name *n)
{
    if (n)
        atomic_fetch_add(&((struct store_name *)n)->refs, 1);
    return n;
}

void store_name_unref(const struct store_name *cn)
{
    struct store_name *n = (struct store_name *)cn;
    if (n && atomic_fetch_sub(&n->refs, 1) == 1)
        free(n);
}

const struct smtp_text *store_text_ref(const struct smtp_text *ct)
{
    if (ct)
        atomic_fetch_add(&((struct smtp_text *)ct)->refs, 1);
    return ct;
}

void store_text_unref(const struct smtp_text *ct)
{
    struct smtp_text *t = (struct smtp_text *)ct;
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        free(t);
}

/* ---- delivery attempts ---- */

const struct delivery_attempt *store_delivery_new(const struct delivery_fields *f)
{
    const char *host = f->host ? f->host : "", *text = f->text ? f->text : "";
    size_t nh = strnlen(host, STORE_DOMAIN_MAX - 1), nt = strnlen(text, STORE_REPLY_MAX - 1);
    struct delivery_attempt *a = xcalloc(1, sizeof *a + nh + nt + 2);
    atomic_init(&a->refs, 1);
    a->at = f->at;
    a->cls = f->cls;
    a->cmd = f->cmd;
    a->outcome = f->outcome;
    a->reply = f->reply;
    const char *enhanced = f->enhanced ? f->enhanced : "", *addr = f->addr ? f->addr : "";
    mxw_strncpy_printable(a->enhanced, sizeof a->enhanced, enhanced,
                          strnlen(enhanced, sizeof a->enhanced));
    mxw_strncpy_printable(a->addr, sizeof a->addr, addr, strnlen(addr, sizeof a->addr));
    char *p = a->data;
    a->host = p;
    mxw_strncpy_printable(p, nh + 1, host, nh);
    a->text = p += nh + 1;
    mxw_strncpy_printable(p, nt + 1, text, nt);
    return a;
}

const struct delivery_attempt *store_delivery_ref(const struct delivery_attempt *a)
{
    if (a)
        atomic_fetch_add(&((struct delivery_attempt *)a)->refs, 1);
    return a;
}

void store_delivery_unref(const struct delivery_attempt *ca)
{
    struct delivery_attempt *a = (struct delivery_attempt *)ca;
    if (a && atomic_fetch_sub(&a->refs, 1) == 1)
        free(a);
}

enum delivery_vote store_delivery_vote(const struct delivery_attempt *a)
{
    switch (a->cls) {
    case DELIV_SENT: return VOTE_UP;
    case DELIV_CONNECT:
    case DELIV_GREETING:
    case DELIV_TLS: return VOTE_DOWN;
    case DELIV_REPLY:
        if (a->cmd == DCMD_EHLO || a->cmd == DCMD_STARTTLS)
            return VOTE_DOWN;
        if (a->reply >= 400 && a->reply < 500 &&
            (a->cmd == DCMD_MAIL || a->cmd == DCMD_RCPT || a->cmd == DCMD_DATA ||
             a->cmd == DCMD_END_OF_DATA))
            return VOTE_THROTTLED;
        return VOTE_NONE;
    case DELIV_LOST: return a->cmd <= DCMD_STARTTLS ? VOTE_DOWN : VOTE_NONE;
    default: return VOTE_NONE;
    }
}

/* ---- transaction probes ---- */

const struct store_txn *store_txn_new(const struct txn_result *r, enum mx_outcome outcome,
                                      const char *from, const char *to, const char *mx)
{
    const char *in[3] = {from ? from : "", to ? to : "", mx ? mx : ""};
    size_t n[3] = {strnlen(in[0], TXN_ADDR_MAX - 1), strnlen(in[1], TXN_ADDR_MAX - 1),
                   strnlen(in[2], STORE_DOMAIN_MAX - 1)};
    struct store_txn *t = xcalloc(1, sizeof *t + n[0] + n[1] + n[2] + 3);
    atomic_init(&t->refs, 1);
    t->outcome = outcome;
    t->r = *r;
    t->signal = txn_signal_of(r);
    const char **out[3] = {&t->from, &t->to, &t->mx};
    char *p = t->data;
    for (int i = 0; i < 3; i++) {
        mxw_strncpy_printable(p, n[i] + 1, in[i], n[i]);
        *out[i] = p;
        p += n[i] + 1;
    }
    return t;
}

const struct store_txn *store_txn_ref(const struct store_txn *t)
{
    if (t)
        atomic_fetch_add(&((struct store_txn *)t)->refs, 1);
    return t;
}

void store_txn_unref(const struct store_txn *ct)
{
    struct store_txn *t = (struct store_txn *)ct;
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        free(t);
}

enum delivery_vote store_txn_vote(const struct store_txn *t)
{
    switch (t->signal) {
    case TXN_SIG_OK: return VOTE_UP;
    case TXN_SIG_THROTTLED: return VOTE_THROTTLED;
    case TXN_SIG_REJECTED: return VOTE_REJECTED;
    default: return VOTE_NONE;
    }
}

/* ---- transcripts ---- */

/* The own bytes of a built transcript: after its parts. */
static const char *transcript_own(const struct store_transcript *t)
{
    return (const char *)&t->part[t->n];
}

static void tb_part(struct store_transcript_builder *b, struct store_transcript_part part)
{
    if (!b->part || b->n == b->cap) {
        b->cap = b->n ? 2 * b->n : 4;
        b->part = xreallocarray(b->part, b->cap, sizeof *b->part);
    }
    b->part[b->n++] = part;
    b->len += part.len;
}

/* Bytes of n that still fit. */
static size_t tb_room(const struct store_transcript_builder *b, size_t n)
{
    size_t room = b->max > b->len ? b->max - b->len : 0;
    return n < room ? n : room;
}

void store_tb_line(struct store_transcript_builder *b, const char *line)
{
    size_t n = strlen(line);
    if (b->len + n + 1 < b->max) {
        store_tb_own(b, line, n);
        store_tb_own(b, "\n", 1);
    }
}

void store_tb_own(struct store_transcript_builder *b, const char *s, size_t n)
{
    n = tb_room(b, n);
    if (!n)
        return;
    struct store_transcript_part *last = b->n ? &b->part[b->n - 1] : NULL;
    if (last && !last->session) { /* own bytes next to own bytes: one part */
        last->len += (uint32_t)n;
        b->len += n;
    } else {
        tb_part(b, (struct store_transcript_part){.off = (uint32_t)b->own.len, .len = (uint32_t)n});
    }
    buf_append(&b->own, s, n);
}

void store_tb_session(struct store_transcript_builder *b, const struct smtp_text *t)
{
    size_t n = t ? tb_room(b, strlen(t->transcript)) : 0;
    if (n)
        tb_part(b,
                (struct store_transcript_part){.session = store_text_ref(t), .len = (uint32_t)n});
}

const struct store_transcript *store_tb_finish(struct store_transcript_builder *b)
{
    struct store_transcript *t = NULL;
    if (b->len) {
        t = xmalloc(sizeof *t + b->n * sizeof *t->part + b->own.len);
        atomic_init(&t->refs, 1);
        t->n = (uint32_t)b->n;
        t->len = (uint32_t)b->len;
        memcpy(t->part, b->part, b->n * sizeof *t->part);
        if (b->own.len)
            memcpy((char *)transcript_own(t), b->own.p, b->own.len);
        b->n = 0; /* the sessions' references moved into t */
    }
    store_tb_free(b);
    return t;
}

void store_tb_free(struct store_transcript_builder *b)
{
    for (size_t i = 0; i < b->n; i++)
        store_text_unref(b->part[i].session);
    free(b->part);
    buf_free(&b->own);
    *b = (struct store_transcript_builder){.max = b->max};
}

const struct store_transcript *store_transcript_ref(const struct store_transcript *t)
{
    if (t)
        atomic_fetch_add(&((struct store_transcript *)t)->refs, 1);
    return t;
}

void store_transcript_unref(const struct store_transcript *ct)
{
    struct store_transcript *t = (struct store_transcript *)ct;
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    for (size_t i = 0; i < t->n; i++)
        store_text_unref(t->part[i].session);
    free(t);
}

char *store_transcript_text(const struct store_transcript *t)
{
    if (!t)
        return NULL;
    char *s = xmalloc((size_t)t->len + 1), *p = s;
    for (size_t i = 0; i < t->n; i++) {
        const struct store_transcript_part *part = &t->part[i];
        const char *from =
            part->session ? part->session->transcript : transcript_own(t) + part->off;
        memcpy(p, from, part->len);
        p += part->len;
    }
    *p = '\0';
    return s;
}

/* ---- views ---- */

void store_host_set_name(struct mx_host *h, const char *name)
{
    size_t n = strnlen(name, STORE_DOMAIN_MAX - 1);
    free(h->name);
    h->name = xmalloc(n + 1);
    memcpy(h->name, name, n);
    h->name[n] = '\0';
}

void store_hosts_free(struct mx_host *hosts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(hosts[i].name);
        for (size_t j = 0; j < hosts[i].n_addrs; j++) {
            store_text_unref(hosts[i].addrs[j].text);
            store_name_unref(hosts[i].addrs[j].ptr);
        }
        free(hosts[i].addrs);
    }
    free(hosts);
}

/* The views of one probe result share its hosts (they are replaced whole, never edited):
 * the last view to go frees them. */
struct store_hosts_refs {
    atomic_int n;
};

static void hosts_unref(struct dest_view *v)
{
    if (v->hosts_refs && atomic_fetch_sub(&v->hosts_refs->n, 1) == 1) {
        store_hosts_free(v->hosts, v->n_hosts);
        free(v->hosts_refs);
    }
}

static void history_unref(const struct store_history *ch)
{
    struct store_history *h = (struct store_history *)ch;
    if (h && atomic_fetch_sub(&h->refs, 1) == 1)
        free(h);
}

static void view_free(struct dest_view *v)
{
    if (!v)
        return;
    hosts_unref(v);
    store_transcript_unref(v->transcript);
    history_unref(v->history);
    store_delivery_unref(v->delivery);
    store_delivery_unref(v->last_error);
    store_tls_policy_unref(v->tls_policy);
    store_txn_unref(v->txn);
    store_mta_clear(&v->mta);
    free(v);
}

/* One more reference to the blocks m shares (errors, delays): for a copy of m. */
static void mta_ref_blocks(const struct mta_figures *m)
{
    if (m->errors)
        atomic_fetch_add(&ERRORS_BLOCK(m->errors)->refs, 1);
    if (m->delays)
        atomic_fetch_add(&((struct mta_delays *)m->delays)->refs, 1);
}

/* Puts a published view or run aside until no snapshot that may show it is held. */
static void retire(void *p, bool chunk)
{
    if (st.retired_first + st.n_retired == st.cap_retired) {
        if (st.retired_first > st.cap_retired / 2) { /* slide the live part down */
            memmove(st.retired, st.retired + st.retired_first, st.n_retired * sizeof *st.retired);
            st.retired_first = 0;
        } else {
            st.cap_retired = st.cap_retired ? st.cap_retired * 2 : 256;
            st.retired = xreallocarray(st.retired, st.cap_retired, sizeof *st.retired);
        }
    }
    st.retired[st.retired_first + st.n_retired++] = (struct retired){st.generation, p, chunk};
}

/* Makes d->v private to the loop again before a write. */
static struct dest_view *writable(struct dest *d)
{
    if (!d->dirty) {
        if (st.n_dirty == st.cap_dirty) {
            st.cap_dirty = st.cap_dirty ? st.cap_dirty * 2 : 64;
            st.dirty = xreallocarray(st.dirty, st.cap_dirty, sizeof *st.dirty);
        }
        st.dirty[st.n_dirty++] = d;
    }
    d->dirty = true;
    if (!st.set_changed && d->pos / STORE_CHUNK < st.n_chunks)
        st.chunk_dirty[d->pos / STORE_CHUNK] = true;
    if (!d->frozen)
        return d->v;
    struct dest_view *old = d->v, *v = xmalloc(view_size(old->domain));
    memcpy(v, old, view_size(old->domain));
    if (v->hosts_refs)
        atomic_fetch_add(&v->hosts_refs->n, 1); /* shared, not copied */
    store_transcript_ref(v->transcript);        /* shared, not copied */
    store_delivery_ref(v->delivery);            /* shared, not copied */
    store_delivery_ref(v->last_error);
    store_tls_policy_ref(v->tls_policy);
    store_txn_ref(v->txn);
    if (v->history)
        atomic_fetch_add(&((struct store_history *)v->history)->refs, 1);
    mta_ref_blocks(&v->mta);
    retire(old, false);
    d->v = v;
    d->frozen = false;
    return v;
}

/* ---- the index: hash table and sorted array ---- */

struct dest *store_dest_find(const char *domain)
{
    return strmap_get(&st.by_domain, domain);
}

/* Position of domain in the sorted array (where it is, or where it would go). */
static size_t sorted_pos(const char *domain)
{
    size_t lo = 0, hi = st.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(st.sorted[mid]->v->domain, domain) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct dest *store_dest_add(const char *domain, enum dest_origin origin)
{
    struct dest *d = store_dest_find(domain);
    if (d) {
        if (origin == ORIGIN_CONFIG && d->v->origin != ORIGIN_CONFIG)
            writable(d)->origin = ORIGIN_CONFIG;
        return d;
    }
    size_t len = strnlen(domain, STORE_DOMAIN_MAX - 1);
    d = xcalloc(1, sizeof *d + len + 1);
    memcpy(d->domain, domain, len);
    d->v = xcalloc(1, view_size(d->domain));
    memcpy(d->v->domain, d->domain, len + 1);
    d->v->origin = origin;
    d->v->index = ++st.next_index;
    d->dirty = true;
    if (st.n == st.cap) {
        st.cap = st.cap ? st.cap * 2 : 64;
        st.sorted = xrealloc(st.sorted, st.cap * sizeof *st.sorted);
    }
    size_t pos = sorted_pos(domain);
    memmove(&st.sorted[pos + 1], &st.sorted[pos], (st.n - pos) * sizeof *st.sorted);
    st.sorted[pos] = d;
    st.n++;
    strmap_put(&st.by_domain, d->domain, d);
    st.set_changed = true;
    tell_members(d->domain, true);
    return d;
}

void store_mark(struct dest *d, bool mark)
{
    d->mark = mark;
}

void store_unmark_all(void)
{
    for (size_t i = 0; i < st.n; i++)
        st.sorted[i]->mark = false;
}

size_t store_sweep_unmarked(enum dest_origin origin)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < st.n; i++) {
        struct dest *d = st.sorted[i];
        if (!d->mark && d->v->origin == origin) {
            tell_members(d->domain, false);
            strmap_del(&st.by_domain, d->domain);
            if (d->frozen)
                retire(d->v, false);
            else
                view_free(d->v); /* never published */
            free(d);
            removed++;
        } else {
            st.sorted[kept++] = d;
        }
    }
    st.n = kept;
    if (removed)
        st.set_changed = true;
    return removed;
}

size_t store_count(void)
{
    return st.n;
}

void store_foreach(void (*fn)(struct dest *d, void *arg), void *arg)
{
    for (size_t i = 0; i < st.n; i++)
        fn(st.sorted[i], arg);
}

const char *store_dest_domain(const struct dest *d)
{
    return d->v->domain;
}

void store_dest_set_params(struct dest *d, const struct probe_params *p)
{
    d->params = p;
}

const struct probe_params *store_dest_params(const struct dest *d)
{
    return d->params;
}

void store_dest_set_txn_config(struct dest *d, const struct txn_config *c)
{
    d->txn = c;
}

const struct txn_config *store_dest_txn_config(const struct dest *d)
{
    return d->txn;
}

void store_dest_set_handle(struct dest *d, void *handle)
{
    d->handle = handle;
}

void *store_dest_handle(const struct dest *d)
{
    return d->handle;
}

enum dest_origin store_dest_origin(const struct dest *d)
{
    return d->v->origin;
}

enum dest_status store_dest_status(const struct dest *d)
{
    return d->v->status;
}

const struct mx_host *store_dest_hosts(const struct dest *d, size_t *n)
{
    *n = d->v->n_hosts;
    return d->v->hosts;
}

/* ---- writers ---- */

/* A new sample when the status or the active recipients changed since the last one: a
 * new immutable block (the old one may be shared with published views), the oldest sample
 * dropped at STORE_HISTORY_MAX. O(samples) per change, nothing when nothing changed. */
static void history_add(struct dest_view *v, double now)
{
    const struct store_history *old = v->history;
    size_t n = old ? old->n : 0;
    uint32_t active = v->mta.active > UINT32_MAX ? UINT32_MAX : (uint32_t)v->mta.active;
    if (n && old->s[n - 1].active == active && old->s[n - 1].status == (uint8_t)v->status)
        return;
    size_t keep = n == STORE_HISTORY_MAX ? n - 1 : n;
    struct store_history *h = xmalloc(sizeof *h + (keep + 1) * sizeof h->s[0]);
    atomic_init(&h->refs, 1);
    h->n = keep + 1;
    if (keep)
        memcpy(h->s, old->s + (n - keep), keep * sizeof h->s[0]);
    h->s[keep] = (struct history_sample){.t = now, .active = active, .status = (uint8_t)v->status};
    history_unref(old);
    v->history = h;
}

/* The status rule of the probe engine: up at the first success; down only after
 * down_after consecutive failures (flap damping). A local failure (the agent's own trouble:
 * its resolver silent, no descriptor left, a deadline it missed) says nothing about the
 * destination: "unknown", the seed's "could not connect from here", and the damping count
 * is left as it was. This is the probe's own status; status_pick combines it with the
 * deliveries'. */
static enum dest_status next_status(struct dest_view *v, enum dest_reason reason,
                                    unsigned down_after)
{
    if (reason == REASON_OK) {
        v->consecutive_failures = 0;
        return DEST_UP;
    }
    if (reason == REASON_LOCAL)
        return DEST_UNKNOWN;
    v->consecutive_failures++;
    if (v->consecutive_failures >= down_after)
        return DEST_DOWN;
    return v->probe_status;
}

static struct store_status_policy policy = {STATUS_SOURCE_BOTH, true, 900};

void store_set_status_policy(const struct store_status_policy *p)
{
    policy = *p;
}

struct status_pick {
    enum dest_status status;
    enum dest_signal signal;
};

/* A transaction's vote counts as a delivery attempt's does (the fresher of the two stands):
 * both are mail the destination was offered; only the signal named differs, so that the
 * operator sees which of them set the status. */
static struct status_pick delivery_pick(const struct dest_view *v)
{
    enum dest_signal sig = v->vote_signal ? v->vote_signal : SIGNAL_DELIVERY;
    if (v->vote == VOTE_UP)
        return (struct status_pick){DEST_UP, sig};
    if (v->vote == VOTE_THROTTLED)
        return (struct status_pick){policy.throttled_is_down ? DEST_DOWN : DEST_UP, sig};
    return (struct status_pick){DEST_DOWN, sig};
}

/* The status by the policy, at now. With both signals the fresher one wins, but:
 *  - a delivery's vote counts only while fresh (policy.delivery_fresh_s); then the probe's;
 *  - a fresh sent delivery is up whatever the probe says (real mail got through);
 *  - a probe's up does not undo a fresh throttled or rejected vote: the probe stops after
 *    EHLO and can never see a 4xx or 5xx to MAIL, RCPT or DATA; its down (the host stopped
 *    answering) does;
 *  - a probe result with reason local (unknown) never undoes a delivery's vote. */
static struct status_pick status_pick(const struct dest_view *v, double now)
{
    struct status_pick probe = {v->probe_status, v->last_probe > 0 ? SIGNAL_PROBE : SIGNAL_NONE};
    if (policy.source == STATUS_SOURCE_PROBE)
        return probe;
    if (policy.source == STATUS_SOURCE_DELIVERY)
        return v->vote ? delivery_pick(v) : (struct status_pick){DEST_UNKNOWN, SIGNAL_NONE};
    if (!v->vote || now - v->vote_at > policy.delivery_fresh_s)
        return probe;
    bool probe_newer = v->last_probe > v->vote_at && v->probe_status != DEST_UNKNOWN;
    if (v->vote == VOTE_UP || !probe_newer)
        return delivery_pick(v);
    if ((v->vote == VOTE_THROTTLED || v->vote == VOTE_REJECTED) && v->probe_status == DEST_UP)
        return delivery_pick(v);
    return probe;
}

/* Applies the status the policy gives now, telling the observers of a change. */
static void apply_status(struct dest *d, struct dest_view *v, double now,
                         enum dest_status *old_status, enum dest_status *new_status)
{
    struct status_pick pick = status_pick(v, now);
    enum dest_status old = v->status;
    *old_status = old;
    *new_status = pick.status;
    if (pick.status != old) {
        v->status = pick.status;
        v->status_changed = now;
        v->status_signal = pick.signal;
    } else if (pick.signal != v->status_signal && pick.signal != SIGNAL_NONE) {
        v->status_signal = pick.signal; /* the same status, now held by the other signal */
    }
    history_add(v, now);
    if (pick.status != old)
        for (size_t i = 0; i < n_observers; i++)
            observers[i].fn(d, old, pick.status, observers[i].arg);
    if (old != DEST_UNKNOWN)
        v->last_definite = old;
}

void store_dest_set_probe(struct dest *d, struct mx_host *hosts, size_t n_hosts, double dns_s,
                          unsigned dns_ttl, enum dest_reason reason, enum mx_outcome primary,
                          unsigned down_after, enum dest_status *old_status,
                          enum dest_status *new_status)
{
    struct dest_view *v = writable(d);
    double now = mxw_wall_time();
    hosts_unref(v);
    v->hosts = hosts;
    v->n_hosts = n_hosts;
    v->hosts_refs = NULL;
    if (hosts) {
        v->hosts_refs = xmalloc(sizeof *v->hosts_refs);
        atomic_init(&v->hosts_refs->n, 1);
    }
    v->dns_s = dns_s;
    v->dns_ttl = dns_ttl;
    v->last_probe = now;
    v->probe_status = next_status(v, reason, down_after);
    /* The reason shown is the latest probe's, even while damping holds the status. */
    v->reason = reason;
    v->addr_outcome = primary;
    size_t slot = reason == REASON_ALL_FAILED ? (size_t)primary
                  : reason == REASON_OK       ? (size_t)OUT_OK
                                              : OUT__COUNT + (size_t)reason;
    v->probes[slot]++;
    apply_status(d, v, now, old_status, new_status);
}

void store_dest_set_delivery(struct dest *d, const struct delivery_attempt *a)
{
    struct dest_view *v = writable(d);
    store_delivery_unref(v->delivery);
    v->delivery = a;
    if (a->reply >= 400) {
        store_delivery_unref(v->last_error);
        v->last_error = store_delivery_ref(a);
    }
    enum delivery_vote vote = store_delivery_vote(a);
    if (vote == VOTE_NONE)
        return;
    v->vote = vote;
    v->vote_outcome = a->outcome;
    v->vote_at = a->at;
    v->vote_signal = SIGNAL_DELIVERY;
    enum dest_status old_s, new_s;
    apply_status(d, v, mxw_wall_time(), &old_s, &new_s);
}

void store_dest_set_transaction(struct dest *d, const struct store_txn *t)
{
    struct dest_view *v = writable(d);
    store_txn_unref(v->txn);
    v->txn = t;
    enum delivery_vote vote = t ? store_txn_vote(t) : VOTE_NONE;
    if (vote == VOTE_NONE)
        return;
    v->vote = vote;
    v->vote_outcome = t->outcome;
    v->vote_at = t->r.at;
    v->vote_signal = SIGNAL_TRANSACTION;
    enum dest_status old_s, new_s;
    apply_status(d, v, mxw_wall_time(), &old_s, &new_s);
}

bool store_back_from_down(const struct dest_view *v, enum dest_status old_status)
{
    return old_status == DEST_DOWN || (old_status == DEST_UNKNOWN && v->last_definite == DEST_DOWN);
}

void store_subscribe_status(store_status_fn *fn, void *arg)
{
    if (n_observers < STORE_OBSERVERS_MAX)
        observers[n_observers++] = (struct observer){fn, arg};
}

void store_subscribe_members(store_member_fn *fn, void *arg)
{
    if (n_member_observers < STORE_OBSERVERS_MAX)
        member_observers[n_member_observers++] = (struct member_observer){fn, arg};
}

const struct dest_view *store_dest_view(const struct dest *d)
{
    return d->v;
}

void store_dest_set_transcript(struct dest *d, const struct store_transcript *transcript)
{
    struct dest_view *v = writable(d);
    store_transcript_unref(v->transcript);
    v->transcript = transcript;
}

void store_dest_set_tls_policy(struct dest *d, const struct store_tls_policy *p, double checked_at)
{
    struct dest_view *v = writable(d);
    store_tls_policy_unref(v->tls_policy);
    v->tls_policy = p;
    v->tls_checked_at = checked_at;
}

void store_dest_set_dns_answer(struct dest *d, bool cached, double age_s)
{
    const struct dest_view *cur = d->v;
    if (cur->dns_cached == cached && cur->dns_age_s == age_s)
        return;
    struct dest_view *v = writable(d);
    v->dns_cached = cached;
    v->dns_age_s = age_s;
}

struct mta_figures *store_dest_mta(struct dest *d)
{
    return &writable(d)->mta;
}

void store_dest_set_mta(struct dest *d, const struct mta_figures *m)
{
    /* Copies made by memcpy from zeroed memory, padding included: compared as bytes. Equal
     * error pointers mean equal tables: a block changes in place only while unshared.
     * NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
    if (!memcmp(&d->v->mta, m, sizeof *m))
        return;
    store_mta_copy(&writable(d)->mta, m);
}

static void errors_drop(struct mta_figures *m)
{
    if (m->errors && atomic_fetch_sub(&ERRORS_BLOCK(m->errors)->refs, 1) == 1)
        free(ERRORS_BLOCK(m->errors));
    m->errors = NULL;
    m->n_errors = 0;
}

void store_mta_clear(struct mta_figures *m)
{
    errors_drop(m);
    struct mta_delays *d = (struct mta_delays *)m->delays;
    if (d && atomic_fetch_sub(&d->refs, 1) == 1)
        free(d);
    m->delays = NULL;
}

void store_mta_copy(struct mta_figures *dst, const struct mta_figures *src)
{
    mta_ref_blocks(src);
    store_mta_clear(dst);
    memcpy(dst, src, sizeof *dst); /* padding too: store_dest_set_mta compares bytes */
}

/* m's errors with room for n entries, as a block m alone holds: the old one itself when
 * unshared and big enough, else a copy (the old one dropped). */
static struct mta_error_count *errors_own(struct mta_figures *m, size_t n)
{
    struct mta_errors *old = m->errors ? ERRORS_BLOCK(m->errors) : NULL;
    if (old && n == m->n_errors && atomic_load(&old->refs) == 1)
        return old->e;
    struct mta_errors *b = xmalloc(sizeof *b + n * sizeof b->e[0]);
    atomic_init(&b->refs, 1);
    if (m->n_errors)
        memcpy(b->e, m->errors, m->n_errors * sizeof b->e[0]);
    size_t keep = m->n_errors;
    errors_drop(m);
    m->n_errors = keep;
    m->errors = b->e;
    return b->e;
}

void store_mta_observe_delay(struct mta_figures *m, const double *le, size_t n, double seconds)
{
    if (n > STORE_DELAY_BUCKETS_MAX || !(seconds >= 0))
        return; /* NaN and negative delays are not delays */
    struct mta_delays *d = (struct mta_delays *)m->delays;
    bool same = d && d->n == n;
    for (size_t i = 0; same && i < n; i++)
        same = d->b[i].le == le[i];
    if (!same || atomic_load(&d->refs) != 1) {
        struct mta_delays *c = xcalloc(1, sizeof *c + n * sizeof c->b[0]);
        atomic_init(&c->refs, 1);
        c->n = n;
        for (size_t i = 0; i < n; i++)
            c->b[i].le = le[i];
        if (same) { /* a shared block: go on from its counts */
            c->count = d->count;
            c->sum = d->sum;
            for (size_t i = 0; i < n; i++)
                c->b[i].count = d->b[i].count;
        }
        if (d && atomic_fetch_sub(&d->refs, 1) == 1)
            free(d);
        m->delays = d = c;
    }
    d->count++;
    d->sum += seconds;
    for (size_t i = 0; i < n; i++)
        if (seconds <= d->b[i].le)
            d->b[i].count++;
}

int store_mta_count_code(struct mta_figures *m, uint32_t code, uint64_t n)
{
    size_t lo = 0, hi = m->n_errors;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->errors[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->n_errors && m->errors[lo].code == code) {
        errors_own(m, m->n_errors)[lo].count += n;
        return 0;
    }
    if (m->n_errors == STORE_ERROR_CODES_MAX)
        return -1;
    struct mta_error_count *e = errors_own(m, m->n_errors + 1);
    memmove(&e[lo + 1], &e[lo], (m->n_errors - lo) * sizeof e[0]);
    e[lo] = (struct mta_error_count){.code = code, .count = n};
    m->n_errors++;
    return 0;
}

int store_mta_count_error(struct mta_figures *m, unsigned cls, unsigned subject, unsigned detail,
                          uint64_t n)
{
    if ((cls != 4 && cls != 5) || subject > 999 || detail > 999)
        return -1;
    return store_mta_count_code(m, (uint32_t)((cls * 1000 + subject) * 1000 + detail), n);
}

void store_dest_touch(struct dest *d)
{
    writable(d);
}

struct agent_figures *store_agent(void)
{
    return &st.agent;
}

/* ---- gateways ---- */

struct gateway_view *store_gateway_view_new(const char *name)
{
    struct gateway_view *v = xcalloc(1, sizeof *v);
    atomic_init(&v->refs, 1);
    mxw_strlcpy(v->name, name, sizeof v->name);
    return v;
}

void store_gateway_view_unref(struct gateway_view *v)
{
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
        return;
    gw_status_free(&v->status);
    free(v);
}

/* Takes a reference to each of views[0..n) into a new array (NULL when n is 0). */
static struct gateway_view **gateways_ref(struct gateway_view *const *views, size_t n)
{
    if (n == 0)
        return NULL;
    struct gateway_view **a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&views[i]->refs, 1);
        a[i] = views[i];
    }
    return a;
}

static void gateways_unref(struct gateway_view **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_gateway_view_unref(a[i]);
    free(a);
}

void store_set_gateways(struct gateway_view *const *views, size_t n)
{
    struct gateway_view **a = gateways_ref(views, n);
    gateways_unref(st.gateways, st.n_gateways);
    st.gateways = a;
    st.n_gateways = n;
    st.gateways_dirty = true;
}

/* ---- admin jobs ---- */

static void jobs_unref(const struct jobs_view *cv)
{
    struct jobs_view *v = (struct jobs_view *)cv;
    if (v && atomic_fetch_sub(&v->refs, 1) == 1)
        free(v);
}

static const struct jobs_view *jobs_ref(struct jobs_view *v)
{
    if (v)
        atomic_fetch_add(&v->refs, 1);
    return v;
}

void store_set_jobs(const struct delivernow_job *jobs, size_t n)
{
    struct jobs_view *v = xmalloc(sizeof *v + n * sizeof *jobs);
    atomic_init(&v->refs, 1);
    v->n = n;
    if (n)
        memcpy(v->jobs, jobs, n * sizeof *jobs);
    jobs_unref(st.jobs);
    st.jobs = v;
    st.jobs_dirty = true;
}

/* ---- routes ---- */

static void routes_unref(const struct routes_view *cv)
{
    struct routes_view *v = (struct routes_view *)cv;
    if (v && atomic_fetch_sub(&v->refs, 1) == 1)
        free(v);
}

static int route_cmp(const void *a, const void *b)
{
    return strcmp(((const struct store_route *)a)->key, ((const struct store_route *)b)->key);
}

void store_set_routes(const char *const *keys, const char *const *dests, size_t n)
{
    struct routes_view *v = NULL;
    if (n) {
        size_t bytes = sizeof *v + n * sizeof v->r[0];
        for (size_t i = 0; i < n; i++)
            bytes += strlen(keys[i]) + 1 + (dests[i] ? strlen(dests[i]) : 0) + 1;
        v = xmalloc(bytes);
        atomic_init(&v->refs, 1);
        v->n = n;
        char *p = (char *)&v->r[n];
        for (size_t i = 0; i < n; i++) {
            const char *d = dests[i] ? dests[i] : "";
            v->r[i].key = p;
            p = stpcpy(p, keys[i]) + 1;
            v->r[i].dest = p;
            p = stpcpy(p, d) + 1;
        }
        qsort(v->r, n, sizeof v->r[0], route_cmp);
    }
    routes_unref(st.routes);
    st.routes = v;
    st.routes_dirty = true;
}

/* ---- sender reputation ---- */

struct sender_view *store_sender_view_new(size_t n)
{
    n = n < STORE_SENDERS_MAX ? n : STORE_SENDERS_MAX;
    struct sender_view *v = xcalloc(1, sizeof *v + n * sizeof v->a[0]);
    atomic_init(&v->refs, 1);
    v->n = n;
    return v;
}

void store_sender_view_unref(const struct sender_view *cv)
{
    struct sender_view *v = (struct sender_view *)cv;
    if (v && atomic_fetch_sub(&v->refs, 1) == 1)
        free(v);
}

void store_set_sender(struct sender_view *v)
{
    store_sender_view_unref(st.sender);
    st.sender = v;
    st.sender_dirty = true;
}

const struct delivernow_job *store_snapshot_job(const struct snapshot *s, uint64_t id)
{
    const struct jobs_view *v = s->jobs;
    size_t lo = 0, hi = v ? v->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->jobs[mid].id == id)
            return &v->jobs[mid];
        if (v->jobs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- snapshots ---- */

static void snapshot_free(struct snapshot *s)
{
    free(s->chunks);
    gateways_unref(s->gateways, s->n_gateways);
    jobs_unref(s->jobs);
    routes_unref(s->routes);
    store_sender_view_unref(s->sender);
    free(s);
}

/* Frees the snapshots released by every reader (in order: a newer one may be gone while an
 * older one is read), then what only they could show. Loop thread. */
static void reclaim(void)
{
    while (st.oldest && st.oldest != snap_current && atomic_load(&st.oldest->refs) == 0) {
        struct snapshot *s = st.oldest;
        st.oldest = s->newer;
        if (!st.oldest)
            st.newest = NULL;
        snapshot_free(s);
    }
    uint64_t shown_from = st.oldest ? st.oldest->generation : UINT64_MAX;
    while (st.n_retired && st.retired[st.retired_first].generation < shown_from) {
        struct retired *r = &st.retired[st.retired_first];
        if (r->chunk)
            free(r->p);
        else
            view_free(r->p);
        st.retired_first++;
        st.n_retired--;
    }
    if (!st.n_retired)
        st.retired_first = 0;
}

/* Run k anew from the working records: their views are frozen (shared from now on). */
static void chunk_build(size_t k)
{
    struct store_chunk *c = xmalloc(sizeof *c);
    size_t first = k * STORE_CHUNK;
    c->n = st.n - first < STORE_CHUNK ? st.n - first : STORE_CHUNK;
    for (size_t j = 0; j < c->n; j++) {
        struct dest *d = st.sorted[first + j];
        d->frozen = true;
        d->dirty = false;
        d->pos = first + j;
        c->v[j] = d->v;
    }
    if (st.chunks[k])
        retire(st.chunks[k], true);
    st.chunks[k] = c;
    st.chunk_dirty[k] = false;
}

/* The runs as of now: all of them when destinations came or went; else a copy of each run
 * with a changed destination, with only those views replaced. */
static void chunks_update(void)
{
    size_t n_chunks = (st.n + STORE_CHUNK - 1) / STORE_CHUNK;
    if (st.set_changed) {
        for (size_t k = n_chunks; k < st.n_chunks; k++)
            retire(st.chunks[k], true);
        st.chunks = xreallocarray(st.chunks, n_chunks ? n_chunks : 1, sizeof *st.chunks);
        st.chunk_dirty = xreallocarray(st.chunk_dirty, n_chunks ? n_chunks : 1, sizeof(bool));
        for (size_t k = st.n_chunks; k < n_chunks; k++)
            st.chunks[k] = NULL;
        st.n_chunks = n_chunks;
        for (size_t k = 0; k < n_chunks; k++)
            chunk_build(k);
        st.n_dirty = 0; /* every one is clean now; some of the list may be gone */
        return;
    }
    for (size_t i = 0; i < st.n_dirty; i++) {
        struct dest *d = st.dirty[i];
        size_t k = d->pos / STORE_CHUNK;
        if (st.chunk_dirty[k]) { /* the first change in this run: copy it */
            struct store_chunk *c =
                xmalloc(offsetof(struct store_chunk, v) + st.chunks[k]->n * sizeof c->v[0]);
            c->n = st.chunks[k]->n;
            memcpy(c->v, st.chunks[k]->v, c->n * sizeof c->v[0]);
            retire(st.chunks[k], true);
            st.chunks[k] = c;
            st.chunk_dirty[k] = false;
        }
        st.chunks[k]->v[d->pos % STORE_CHUNK] = d->v;
        d->frozen = true;
        d->dirty = false;
    }
    st.n_dirty = 0;
}

int store_publish(void)
{
    reclaim();
    bool content = st.set_changed || st.gateways_dirty || st.jobs_dirty || st.routes_dirty ||
                   st.sender_dirty || st.n_dirty;
    /* The agent figures are compared, not flagged: writers fill them freely, and only a
     * change of value makes a new snapshot. Both copies come from zeroed memory by struct
     * assignment, so their padding compares equal too. */
    /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
    if (!content && snap_current && !memcmp(&st.agent, &snap_current->agent, sizeof st.agent))
        return 0;
    chunks_update(); /* before the generation moves: what it retires, the current one shows */
    struct snapshot *s = xcalloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    s->generation = ++st.generation;
    if (content || !snap_current)
        st.content_generation = s->generation;
    s->content_generation = st.content_generation;
    s->taken_at = mxw_wall_time();
    s->n = st.n;
    s->n_chunks = st.n_chunks;
    s->chunks = st.n_chunks ? xmemdup(st.chunks, st.n_chunks * sizeof *s->chunks)
                            : xcalloc(1, sizeof *s->chunks);
    memcpy(&s->agent, &st.agent, sizeof s->agent); /* padding too: compared above */
    s->gateways = gateways_ref(st.gateways, st.n_gateways);
    s->n_gateways = st.n_gateways;
    s->jobs = jobs_ref(st.jobs);
    st.gateways_dirty = false;
    st.jobs_dirty = false;
    if (st.routes)
        atomic_fetch_add(&st.routes->refs, 1);
    s->routes = st.routes;
    st.routes_dirty = false;
    if (st.sender)
        atomic_fetch_add(&st.sender->refs, 1);
    s->sender = st.sender;
    st.sender_dirty = false;
    st.set_changed = false;
    if (st.newest)
        st.newest->newer = s;
    else
        st.oldest = s;
    st.newest = s;

    pthread_mutex_lock(&snap_lock);
    struct snapshot *old = snap_current;
    snap_current = s;
    pthread_mutex_unlock(&snap_lock);
    store_snapshot_release(old);
    return 1;
}

const struct snapshot *store_snapshot_acquire(void)
{
    pthread_mutex_lock(&snap_lock);
    struct snapshot *s = snap_current;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&snap_lock);
    return s;
}

void store_snapshot_release(const struct snapshot *cs)
{
    struct snapshot *s = (struct snapshot *)cs;
    if (s)
        atomic_fetch_sub(&s->refs, 1); /* the loop frees it (reclaim) */
}

const struct dest_view *store_snapshot_find(const struct snapshot *s, const char *domain)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct dest_view *v = store_snapshot_dest(s, mid);
        int c = strcmp(v->domain, domain);
        if (c == 0)
            return v;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void store_init(void)
{
    memset(&st, 0, sizeof st);
    st.agent.start_time = mxw_wall_time();
    st.agent.config_reload_ok = true;
    st.agent.shard = SHARD_ALL;
    store_publish();
}

void store_shutdown(void)
{
    pthread_mutex_lock(&snap_lock);
    struct snapshot *old = snap_current;
    snap_current = NULL;
    pthread_mutex_unlock(&snap_lock);
    store_snapshot_release(old);
    /* The readers have stopped, so every snapshot is released. */
    while (st.oldest) {
        struct snapshot *s = st.oldest;
        st.oldest = s->newer;
        snapshot_free(s);
    }
    st.newest = NULL;
    reclaim();
    for (size_t i = 0; i < st.n; i++) {
        view_free(st.sorted[i]->v);
        free(st.sorted[i]);
    }
    free(st.sorted);
    for (size_t k = 0; k < st.n_chunks; k++)
        free(st.chunks[k]);
    free(st.chunks);
    free(st.chunk_dirty);
    free(st.dirty);
    free(st.retired);
    gateways_unref(st.gateways, st.n_gateways);
    routes_unref(st.routes);
    store_sender_view_unref(st.sender);
    jobs_unref(st.jobs);
    strmap_free(&st.by_domain);
    memset(&st, 0, sizeof st);
    n_observers = 0;
    n_member_observers = 0;
    policy = (struct store_status_policy){STATUS_SOURCE_BOTH, true, 900};
}
