/*
 * reputation.c - the sender reputation checks (reputation.h). A round is a queue of jobs,
 * at most REP_IN_FLIGHT_MAX of them asking at once: per address a PTR lookup (whose names
 * then each get an A or AAAA lookup: forward-confirmed reverse DNS) and one A lookup per
 * DNSBL zone (followed by a TXT lookup for a listing's reason). When the last job of a
 * round ends, the results become a new sender view in the store. The answers but the TXT
 * reasons are cached by the resolver for their TTLs, so a round inside a TTL asks the network
 * little.
 * Loop thread only; logs listings and FCrDNS changes (subsys=reputation).
 */
#include "reputation.h"

#include "list.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum job_kind { JOB_PTR, JOB_FORWARD, JOB_ZONE, JOB_REASON };

struct job {
    struct reputation *r;
    enum job_kind kind;
    size_t addr, zone; /* indexes into the round's addresses and zones */
    char name[256];    /* the name asked */
    struct dns_query *q;
    struct list_node node; /* waiting, or in flight */
};

/* FCrDNS bookkeeping of one address during a round. */
struct fwd {
    int family;
    unsigned char bin[16];
    unsigned pending; /* forward lookups not yet answered */
    bool matched, unsure;
};

struct reputation {
    struct loop *loop;
    struct dns *dns;
    struct loop_timer *timer;
    int64_t interval_ms;
    struct list waiting, flying;
    unsigned in_flight;
    bool running; /* a round is under way */
    size_t n_addrs, n_zones;
    struct sender_address work[STORE_SENDERS_MAX]; /* the round's results so far */
    struct fwd fwd[STORE_SENDERS_MAX];
    struct sender_address last[STORE_SENDERS_MAX]; /* the previous round's, for the logs */
};

/* ---- pure helpers ---- */

int rep_query_name(const char *addr, const char *zone, char *out, size_t cap)
{
    unsigned char b[16];
    size_t n = 0;
    int w;
    if (inet_pton(AF_INET, addr, b) == 1) {
        w = snprintf(out, cap, "%u.%u.%u.%u.%s", b[3], b[2], b[1], b[0],
                     zone ? zone : "in-addr.arpa");
        return w > 0 && (size_t)w < cap ? 0 : -1;
    }
    if (inet_pton(AF_INET6, addr, b) != 1)
        return -1;
    static const char hex[] = "0123456789abcdef";
    if (cap < 65)
        return -1;
    for (int i = 15; i >= 0; i--) {
        out[n++] = hex[b[i] & 0xf];
        out[n++] = '.';
        out[n++] = hex[b[i] >> 4];
        out[n++] = '.';
    }
    w = snprintf(out + n, cap - n, "%s", zone ? zone : "ip6.arpa");
    return w > 0 && (size_t)w < cap - n ? 0 : -1;
}

enum dnsbl_state rep_classify(const struct dns_addr_answer *a, char *code, size_t cap,
                              const char **why)
{
    code[0] = '\0';
    *why = "";
    if (a->rcode == DNS_NXDOMAIN || a->rcode == DNS_NODATA)
        return DNSBL_CLEAN;
    if (a->rcode != DNS_OK) {
        *why = a->detail ? a->detail : "lookup failed";
        return DNSBL_UNKNOWN;
    }
    const struct dns_addr *err = NULL;
    for (size_t i = 0; i < a->n; i++) {
        const unsigned char *b = a->addrs[i].addr;
        if (a->addrs[i].family != AF_INET || b[0] != 127) {
            err = err ? err : &a->addrs[i];
            *why = "answer outside 127.0.0.0/8 (a resolver rewriting NXDOMAIN?)";
            continue;
        }
        if (b[1] == 255 && b[2] == 255) {
            err = &a->addrs[i]; /* the list's own code, rather than a foreign answer */
            *why = "the list answered an error code (127.255.255.0/24): queries refused";
            continue;
        }
        inet_ntop(AF_INET, b, code, (socklen_t)cap);
        *why = "";
        return DNSBL_LISTED;
    }
    if (!err) {
        *why = "empty answer";
        return DNSBL_ERROR;
    }
    inet_ntop(err->family, err->addr, code, (socklen_t)cap);
    return DNSBL_ERROR;
}

size_t rep_addresses(const struct config *cfg, const char **out, size_t max)
{
    size_t n = 0;
    char why[64];
    for (size_t i = 0; i < cfg->n_sending_addresses && n < max; i++)
        out[n++] = cfg->sending_addresses[i];
    if (!n && cfg->source_address && max &&
        config_check_ip_address(cfg->source_address, why, sizeof why) == 0)
        out[n++] = cfg->source_address;
    return n;
}

/* Outside text (a TXT reason) kept printable: control bytes become '?'. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* ---- the job queue ---- */

static void on_records(void *arg, const struct dns_records_answer *a);
static void on_addrs(void *arg, const struct dns_addr_answer *a);
static void round_end(struct reputation *r);

static void job_add(struct reputation *r, enum job_kind kind, size_t addr, size_t zone,
                    const char *name)
{
    struct job *j = xcalloc(1, sizeof *j);
    *j = (struct job){.r = r, .kind = kind, .addr = addr, .zone = zone};
    mxw_strlcpy(j->name, name, sizeof j->name);
    list_push_back(&r->waiting, &j->node);
}

static void pump(struct reputation *r)
{
    struct list_node *n;
    while (r->in_flight < REP_IN_FLIGHT_MAX && (n = list_pop_front(&r->waiting))) {
        struct job *j = LIST_ENTRY(n, struct job, node);
        list_push_back(&r->flying, &j->node);
        r->in_flight++;
        if (j->kind == JOB_PTR)
            j->q = dns_query_records(r->dns, j->name, DNS_T_PTR, on_records, j);
        else if (j->kind == JOB_REASON)
            j->q = dns_query_records(r->dns, j->name, DNS_T_TXT, on_records, j);
        else
            j->q = dns_query_addr(r->dns, j->name,
                                  j->kind == JOB_FORWARD ? r->fwd[j->addr].family : AF_INET,
                                  on_addrs, j);
    }
    if (r->running && !r->in_flight && !r->waiting.head)
        round_end(r);
}

/* A job answered: off the flying list, freed, and the next ones started. */
static void job_done(struct job *j)
{
    struct reputation *r = j->r;
    list_unlink(&j->node);
    r->in_flight--;
    free(j);
    pump(r);
}

/* ---- answers ---- */

static void fcrdns_settle(struct reputation *r, size_t i)
{
    struct fwd *f = &r->fwd[i];
    struct sender_address *s = &r->work[i];
    if (f->pending)
        return;
    if (f->matched) {
        s->fcrdns = FCRDNS_OK;
        snprintf(s->detail, sizeof s->detail, "the PTR name resolves back to the address");
    } else if (f->unsure) {
        s->fcrdns = FCRDNS_UNKNOWN;
        snprintf(s->detail, sizeof s->detail, "the PTR name's addresses could not be looked up");
    } else {
        s->fcrdns = FCRDNS_FAIL;
        snprintf(s->detail, sizeof s->detail,
                 "no PTR name resolves back to the address (forward-confirmed reverse DNS "
                 "fails)");
    }
}

static void on_ptr(struct reputation *r, struct job *j, const struct dns_records_answer *a)
{
    size_t i = j->addr;
    struct sender_address *s = &r->work[i];
    if (a->rcode == DNS_NXDOMAIN || a->rcode == DNS_NODATA) {
        s->fcrdns = FCRDNS_FAIL;
        snprintf(s->detail, sizeof s->detail, "no PTR record");
        return;
    }
    if (a->rcode != DNS_OK || !a->n) {
        s->fcrdns = FCRDNS_UNKNOWN;
        snprintf(s->detail, sizeof s->detail, "PTR lookup failed: %s",
                 a->detail ? a->detail : dns_rcode_name(a->rcode));
        return;
    }
    mxw_strlcpy(s->ptr, a->rec[0].text, sizeof s->ptr);
    for (size_t k = 0; k < a->n && k < REP_PTR_NAMES_MAX; k++) {
        r->fwd[i].pending++;
        job_add(r, JOB_FORWARD, i, 0, a->rec[k].text);
    }
}

static void on_forward(struct reputation *r, struct job *j, const struct dns_addr_answer *a)
{
    struct fwd *f = &r->fwd[j->addr];
    f->pending--;
    if (a->rcode == DNS_TEMPORARY || a->rcode == DNS_LOCAL)
        f->unsure = true;
    size_t len = f->family == AF_INET ? 4 : 16;
    for (size_t k = 0; k < a->n; k++)
        if (a->addrs[k].family == f->family && !memcmp(a->addrs[k].addr, f->bin, len))
            f->matched = true;
    fcrdns_settle(r, j->addr);
}

static void on_zone(struct reputation *r, struct job *j, const struct dns_addr_answer *a)
{
    struct sender_zone *z = &r->work[j->addr].zones[j->zone];
    const char *why;
    z->state = rep_classify(a, z->code, sizeof z->code, &why);
    mxw_strlcpy(z->text, why, sizeof z->text);
    if (z->state != DNSBL_UNKNOWN)
        z->checked_at = mxw_wall_time();
    if (z->state == DNSBL_LISTED)
        job_add(r, JOB_REASON, j->addr, j->zone, j->name);
}

/* A listing's reason: its TXT strings, records joined by a space, cut to the bound. */
static void on_reason(struct reputation *r, struct job *j, const struct dns_records_answer *a)
{
    struct sender_zone *z = &r->work[j->addr].zones[j->zone];
    size_t n = 0;
    z->text[0] = '\0';
    for (size_t k = 0; a->rcode == DNS_OK && k < a->n && n + 1 < sizeof z->text; k++) {
        int w = snprintf(z->text + n, sizeof z->text - n, "%s%s", k ? " " : "", a->rec[k].text);
        n = w < 0 ? n : n + (size_t)w < sizeof z->text ? n + (size_t)w : sizeof z->text - 1;
    }
    printable(z->text);
}

static void on_records(void *arg, const struct dns_records_answer *a)
{
    struct job *j = arg;
    if (j->kind == JOB_PTR)
        on_ptr(j->r, j, a);
    else
        on_reason(j->r, j, a);
    job_done(j);
}

static void on_addrs(void *arg, const struct dns_addr_answer *a)
{
    struct job *j = arg;
    if (j->kind == JOB_FORWARD)
        on_forward(j->r, j, a);
    else
        on_zone(j->r, j, a);
    job_done(j);
}

/* ---- rounds ---- */

static void log_changes(struct reputation *r)
{
    for (size_t i = 0; i < r->n_addrs; i++) {
        const struct sender_address *s = &r->work[i], *o = &r->last[i];
        if (s->fcrdns != o->fcrdns)
            log_msg(s->fcrdns == FCRDNS_FAIL ? LOG_LVL_WARN : LOG_LVL_INFO, "reputation",
                    "sending address FCrDNS address=%s ptr=\"%s\" fcrdns=%s detail=\"%s\"", s->addr,
                    s->ptr,
                    s->fcrdns == FCRDNS_OK     ? "ok"
                    : s->fcrdns == FCRDNS_FAIL ? "fail"
                                               : "unknown",
                    s->detail);
        for (size_t k = 0; k < s->n_zones; k++)
            if (s->zones[k].state != o->zones[k].state && s->zones[k].state != DNSBL_CLEAN)
                log_msg(s->zones[k].state == DNSBL_LISTED ? LOG_LVL_WARN : LOG_LVL_INFO,
                        "reputation",
                        "sending address DNSBL address=%s zone=%s state=%s "
                        "code=%s text=\"%s\"",
                        s->addr, s->zones[k].zone,
                        s->zones[k].state == DNSBL_LISTED  ? "listed"
                        : s->zones[k].state == DNSBL_ERROR ? "error"
                                                           : "unknown",
                        s->zones[k].code, s->zones[k].text);
    }
}

static void publish(struct reputation *r)
{
    struct sender_view *v = store_sender_view_new(r->n_addrs);
    memcpy(v->a, r->work, r->n_addrs * sizeof v->a[0]);
    store_set_sender(v);
}

static void round_end(struct reputation *r)
{
    r->running = false;
    double now = mxw_wall_time();
    for (size_t i = 0; i < r->n_addrs; i++)
        r->work[i].checked_at = now;
    log_changes(r);
    memcpy(r->last, r->work, sizeof r->last);
    publish(r);
}

/* A round starts from what is known of nothing: every state unknown until answered. */
static void round_start(struct reputation *r)
{
    r->running = true;
    for (size_t i = 0; i < r->n_addrs; i++) {
        struct sender_address *s = &r->work[i];
        char name[256];
        s->fcrdns = FCRDNS_UNKNOWN;
        s->ptr[0] = '\0';
        snprintf(s->detail, sizeof s->detail, "not checked yet");
        r->fwd[i].pending = 0;
        r->fwd[i].matched = r->fwd[i].unsure = false;
        if (rep_query_name(s->addr, NULL, name, sizeof name) == 0)
            job_add(r, JOB_PTR, i, 0, name);
        for (size_t k = 0; k < s->n_zones; k++) {
            struct sender_zone *z = &s->zones[k];
            z->state = DNSBL_UNKNOWN;
            z->code[0] = '\0';
            snprintf(z->text, sizeof z->text, "not checked yet");
            if (rep_query_name(s->addr, z->zone, name, sizeof name) == 0)
                job_add(r, JOB_ZONE, i, k, name);
        }
    }
    pump(r);
}

static int64_t on_timer(struct loop *l, void *arg)
{
    (void)l;
    struct reputation *r = arg;
    if (r->running)
        log_warn("reputation", "previous round still running, skipping a turn");
    else
        round_start(r);
    return r->interval_ms;
}

struct reputation *rep_new(struct loop *l, struct dns *d, const struct config *cfg)
{
    const char *addrs[STORE_SENDERS_MAX];
    size_t n = rep_addresses(cfg, addrs, STORE_SENDERS_MAX);
    if (!n)
        return NULL;
    struct reputation *r = xcalloc(1, sizeof *r);
    r->loop = l;
    r->dns = d;
    r->interval_ms = cfg->reputation_interval_ms;
    r->n_addrs = n;
    r->n_zones = cfg->n_dnsbl_zones < STORE_ZONES_MAX ? cfg->n_dnsbl_zones : STORE_ZONES_MAX;
    for (size_t i = 0; i < n; i++) {
        struct sender_address *s = &r->work[i];
        mxw_strlcpy(s->addr, addrs[i], sizeof s->addr);
        struct fwd *f = &r->fwd[i];
        f->family = inet_pton(AF_INET, addrs[i], f->bin) == 1 ? AF_INET : AF_INET6;
        if (f->family == AF_INET6)
            inet_pton(AF_INET6, addrs[i], f->bin);
        s->n_zones = r->n_zones;
        for (size_t k = 0; k < r->n_zones; k++) {
            mxw_strlcpy(s->zones[k].zone, cfg->dnsbl_zones[k], sizeof s->zones[k].zone);
            mxw_lower(s->zones[k].zone);
        }
    }
    memcpy(r->last, r->work, sizeof r->last);
    r->timer = loop_timer_add(l, 0, on_timer, r);
    return r;
}

void rep_free(struct reputation *r)
{
    if (!r)
        return;
    for (struct list_node *n; (n = list_pop_front(&r->flying));) {
        struct job *j = LIST_ENTRY(n, struct job, node);
        dns_cancel(r->dns, j->q);
        free(j);
    }
    for (struct list_node *n; (n = list_pop_front(&r->waiting));)
        free(LIST_ENTRY(n, struct job, node));
    loop_timer_del(r->loop, r->timer);
    free(r);
}
