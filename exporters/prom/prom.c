/*
 * prom.c - the /metrics exposition (prom.h): every family with HELP and TYPE, its samples
 * grouped together, label values escaped (destination and MX names are outside input).
 *
 * For speed the label sets are escaped once per render into one arena (one string per
 * destination and per MX address) and each family is then a pass over those strings: a
 * sample is a few memcpy calls and a printf-free number, so rendering is
 * O(families x rows) with no per-sample allocation or formatting of names.
 * Runs on the HTTP thread (or a test, or the bench) on an immutable snapshot; never
 * touches the working store and never blocks on the probe loop.
 */
#include "prom.h"

#include "expfmt.h"
#include "prom_gateway.h"
#include "prom_sender.h"
#include "prom_txn.h"
#include "promtext.h"
#include "util.h"
#include "xalloc.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A label set, escaped, as "k=\"v\",k2=\"v2\"" inside the render's arena. */
struct span {
    size_t off, len;
};

/* Every figure a destination contributes, copied out of its (large, cache-cold) view in
 * one pass, so each family pass below reads a compact array instead of touching every
 * view again: at 10,000 destinations that is the difference between cache misses per
 * sample and a linear scan. */
enum dest_col {
    DC_UP,
    DC_S_UP,
    DC_S_DOWN,
    DC_S_UNKNOWN,
    DC_CHANGED,
    DC_MX,
    DC_DNS,
    DC_TTL,
    DC_CACHED,
    DC_AGE,
    DC_LAST,
    DC_DELIV_TS,
    DC_DELIV_OK,
    DC_ACTIVE,
    DC_UNATT,
    DC_ATT,
    DC_CONN_CUR,
    DC_CONN_PEND,
    DC_DELIV,
    DC_COMPL,
    DC_SOFT,
    DC_HARD_DNS,
    DC_HARD_5XX,
    DC_HARD_FILTER,
    DC_HARD_EXPIRED,
    DC_HARD_OTHER,
    DC_DEL,
    DC_OLDEST,
    DC_STS_NONE,
    DC_STS_TESTING,
    DC_STS_ENFORCE,
    DC_STS_AGE,
    DC_STS_EXPIRY,
    DC_STS_FAILING,
    DC_STS_ERROR,
    DC_RPT,
    DC_DANE_AUTH,
    DC_DANE_MATCH,
    DC_DANE_FAIL,
    DC__COUNT
};

struct drow {
    struct span labels; /* destination="..." */
    uint64_t has;       /* bit per dest_col: the sample exists */
    double v[DC__COUNT];
    _Static_assert(DC__COUNT <= 64, "has holds a bit per column");
    const char *reason;              /* a constant of the store */
    const struct mta_delays *delays; /* the view's histogram (the snapshot holds it), or NULL */
    size_t res_off, n_res;           /* probe results in rows.res_slot / res_count */
};

enum addr_col { AC_UP, AC_CONN, AC_BANNER, AC_EHLO, AC_STLS, AC_TLS, AC_EXP, AC__COUNT };

struct arow {
    struct span labels; /* destination,mx,address,preference */
    struct span tls;    /* version="..." (empty when no TLS was negotiated) */
    uint64_t has;
    double v[AC__COUNT];
};

struct rows {
    struct buf arena; /* every label set of this render */
    struct drow *d;
    size_t n;
    struct arow *a;
    size_t n_addr;
    size_t *res_slot; /* probe results of every destination, non-zero ones */
    uint64_t *res_count;
    size_t dest_bytes, addr_bytes; /* total lengths of the label sets, to size the output */
    bool mta_configured;           /* a source is configured: MTA families for every destination */
    uint64_t any_has;              /* the columns some destination has: a family none has is
                                      left out without a pass over 100,000 rows */
};

static const char *span_p(const struct rows *r, struct span sp)
{
    return r->arena.p + sp.off;
}

/* A sample without a row's label set (agent-wide families). */
static void sample_plain(struct buf *b, const char *name, const char *labels, double v)
{
    promtext_sample(b, name, strlen(name), labels ? labels : "", labels ? strlen(labels) : 0, "", 0,
                    v);
}

/* ---- per-destination families ---- */

/* A family of up to five samples per destination, each a column with a constant extra
 * label (empty for a plain per-destination gauge). */
struct dest_family {
    const char *name, *type, *help;
    size_t n;
    struct {
        enum dest_col col;
        const char *extra;
    } s[5];
};

static const struct dest_family dest_families[] = {
    {"mxwatch_destination_up",
     "gauge",
     "Whether the destination's status is up (1): an MX address accepted SMTP at the last probe.",
     1,
     {{DC_UP, ""}}},
    {"mxwatch_destination_status",
     "gauge",
     "Status of the destination as a state set: up, down or unknown.",
     3,
     {{DC_S_UP, "status=\"up\""},
      {DC_S_DOWN, "status=\"down\""},
      {DC_S_UNKNOWN, "status=\"unknown\""}}},
    {"mxwatch_destination_status_change_timestamp_seconds",
     "gauge",
     "When the destination's status last changed, seconds since 1970.",
     1,
     {{DC_CHANGED, ""}}},
    {"mxwatch_destination_mx_records",
     "gauge",
     "MX records of the destination at the last probe (an implicit MX counts as one).",
     1,
     {{DC_MX, ""}}},
    {"mxwatch_dns_lookup_duration_seconds",
     "gauge",
     "Time the last DNS resolution of the destination took (MX and addresses).",
     1,
     {{DC_DNS, ""}}},
    {"mxwatch_dns_ttl_seconds",
     "gauge",
     "Smallest TTL of the destination's MX answer.",
     1,
     {{DC_TTL, ""}}},
    {"mxwatch_dns_answer_cached",
     "gauge",
     "Whether the last probe's MX answer came from the agent's cache (global.dns_cache), as the "
     "MTA's caching resolver would give it.",
     1,
     {{DC_CACHED, ""}}},
    {"mxwatch_dns_answer_age_seconds",
     "gauge",
     "Age of the last probe's MX answer: 0 when the resolver was asked, else how long ago it "
     "was cached.",
     1,
     {{DC_AGE, ""}}},
    {"mxwatch_last_probe_timestamp_seconds",
     "gauge",
     "When the destination was last probed, seconds since 1970.",
     1,
     {{DC_LAST, ""}}},
    {"mxwatch_destination_last_delivery_timestamp_seconds",
     "gauge",
     "When the agent read the MTA's last delivery attempt to the destination from the mail log, "
     "seconds since 1970 (only for destinations with a recorded attempt).",
     1,
     {{DC_DELIV_TS, ""}}},
    {"mxwatch_destination_last_delivery_success",
     "gauge",
     "Whether the MTA's last delivery attempt to the destination was sent (1) or failed (0); "
     "its reply is in the JSON API and hoststatus, never in a label.",
     1,
     {{DC_DELIV_OK, ""}}},
    {"mxwatch_mta_sts_mode",
     "gauge",
     "Mode of the destination's MTA-STS policy in force (RFC 8461) as a state set; absent when "
     "no policy is in force.",
     3,
     {{DC_STS_NONE, "mode=\"none\""},
      {DC_STS_TESTING, "mode=\"testing\""},
      {DC_STS_ENFORCE, "mode=\"enforce\""}}},
    {"mxwatch_mta_sts_policy_age_seconds",
     "gauge",
     "Age of the MTA-STS policy in force: time since it was fetched.",
     1,
     {{DC_STS_AGE, ""}}},
    {"mxwatch_mta_sts_policy_expiry_timestamp_seconds",
     "gauge",
     "When the MTA-STS policy in force expires (its fetch plus max_age), seconds since 1970.",
     1,
     {{DC_STS_EXPIRY, ""}}},
    {"mxwatch_mta_sts_mx_failing",
     "gauge",
     "MX hosts failing the MTA-STS policy in force (not listed in its mx patterns, or an "
     "answering address without TLS or with a certificate not valid for the host); in enforce "
     "mode the MTA will not use them.",
     1,
     {{DC_STS_FAILING, ""}}},
    {"mxwatch_mta_sts_check_error",
     "gauge",
     "Whether the latest MTA-STS check found a fault (record, policy host, fetch or policy "
     "text; the words are in the JSON API and hoststatus).",
     1,
     {{DC_STS_ERROR, ""}}},
    {"mxwatch_tls_rpt_published",
     "gauge",
     "Whether the destination publishes one well-formed SMTP TLS reporting record (RFC 8460).",
     1,
     {{DC_RPT, ""}}},
    {"mxwatch_dane_authenticated",
     "gauge",
     "Whether every TLSA answer of the destination's MX hosts carried the resolver's AD bit "
     "(DNSSEC-validated by the resolver; mxwatch does not validate); only with TLSA records.",
     1,
     {{DC_DANE_AUTH, ""}}},
    {"mxwatch_dane_match_addresses",
     "gauge",
     "Answering MX addresses whose TLS chain matched a usable TLSA record.",
     1,
     {{DC_DANE_MATCH, ""}}},
    {"mxwatch_dane_failing_addresses",
     "gauge",
     "Answering MX addresses with usable TLSA records that no record matched, or without TLS: "
     "a DANE client does not deliver to them.",
     1,
     {{DC_DANE_FAIL, ""}}},
};

/* The MTA families: present for every destination once a source is configured. */
static const struct dest_family mta_families[] = {
    {"mxwatch_active_recipients",
     "gauge",
     "Recipients queued for the destination now.",
     1,
     {{DC_ACTIVE, ""}}},
    {"mxwatch_unattempted_recipients",
     "gauge",
     "Queued recipients for the destination not yet tried.",
     1,
     {{DC_UNATT, ""}}},
    {"mxwatch_attempted_recipients",
     "gauge",
     "Queued recipients for the destination tried at least once (deferred).",
     1,
     {{DC_ATT, ""}}},
    {"mxwatch_outbound_connections",
     "gauge",
     "Outbound SMTP connections to the destination: current (established) or pending.",
     2,
     {{DC_CONN_CUR, "state=\"current\""}, {DC_CONN_PEND, "state=\"pending\""}}},
    {"mxwatch_delivered_recipients_total",
     "counter",
     "Recipients delivered to the destination.",
     1,
     {{DC_DELIV, ""}}},
    {"mxwatch_completed_recipients_total",
     "counter",
     "Recipients completed for the destination (delivered, hard-bounced or deleted).",
     1,
     {{DC_COMPL, ""}}},
    {"mxwatch_soft_bounce_events_total",
     "counter",
     "Temporary delivery failures (deferrals) to the destination.",
     1,
     {{DC_SOFT, ""}}},
    {"mxwatch_hard_bounced_recipients_total",
     "counter",
     "Recipients hard-bounced for the destination, by class.",
     5,
     {{DC_HARD_DNS, "reason=\"dns\""},
      {DC_HARD_5XX, "reason=\"5xx\""},
      {DC_HARD_FILTER, "reason=\"filter\""},
      {DC_HARD_EXPIRED, "reason=\"expired\""},
      {DC_HARD_OTHER, "reason=\"other\""}}},
    {"mxwatch_deleted_recipients_total",
     "counter",
     "Recipients for the destination removed from the queue by an administrator.",
     1,
     {{DC_DEL, ""}}},
    {"mxwatch_oldest_message_age_seconds",
     "gauge",
     "Age of the oldest queued message for the destination.",
     1,
     {{DC_OLDEST, ""}}},
};

static void render_dest_family(struct buf *b, const struct rows *r, const struct dest_family *f)
{
    uint64_t mask = 0;
    for (size_t k = 0; k < f->n; k++)
        mask |= 1ull << f->s[k].col;
    size_t i = 0;
    if (!(r->any_has & mask))
        return;
    while (i < r->n && !(r->d[i].has & mask))
        i++;
    if (i == r->n)
        return; /* no samples: leave the family out */
    promtext_family(b, f->name, f->type, f->help);
    size_t nlen = strlen(f->name), elen[MXW_ARRAY_LEN(f->s)] = {0};
    for (size_t k = 0; k < f->n; k++)
        elen[k] = strlen(f->s[k].extra);
    for (; i < r->n; i++) {
        const struct drow *d = &r->d[i];
        for (size_t k = 0; k < f->n; k++)
            if (d->has & (1ull << f->s[k].col))
                promtext_sample(b, f->name, nlen, span_p(r, d->labels), d->labels.len,
                                f->s[k].extra, elen[k], d->v[f->s[k].col]);
    }
}

/* mxwatch_delivery_delay_seconds: one histogram per destination with final deliveries. */
static void render_delays(struct buf *b, const struct rows *r)
{
    static const char name[] = "mxwatch_delivery_delay_seconds";
    bool any = false;
    for (size_t i = 0; i < r->n && !any; i++)
        any = r->d[i].delays != NULL;
    if (!any)
        return;
    promtext_family(b, name, "histogram",
                    "Time from arrival to the final delivery attempt (sent or bounced) of "
                    "recipients for the destination, from the MTA's log.");
    char le[EXPFMT_DOUBLE_MAX + 8];
    for (size_t i = 0; i < r->n; i++) {
        const struct drow *d = &r->d[i];
        const struct mta_delays *h = d->delays;
        if (!h)
            continue;
        const char *labels = span_p(r, d->labels);
        for (size_t k = 0; k <= h->n; k++) {
            size_t n = 4;
            memcpy(le, "le=\"", 4);
            n += k < h->n ? expfmt_format_double(le + n, h->b[k].le)
                          : (memcpy(le + n, "+Inf", 4), 4);
            le[n++] = '"';
            promtext_sample(b, "mxwatch_delivery_delay_seconds_bucket", sizeof name + 6, labels,
                            d->labels.len, le, n, (double)(k < h->n ? h->b[k].count : h->count));
        }
        promtext_sample(b, "mxwatch_delivery_delay_seconds_sum", sizeof name + 3, labels,
                        d->labels.len, "", 0, h->sum);
        promtext_sample(b, "mxwatch_delivery_delay_seconds_count", sizeof name + 5, labels,
                        d->labels.len, "", 0, (double)h->count);
    }
}

static void render_reason(struct buf *b, const struct rows *r)
{
    static const char name[] = "mxwatch_destination_status_reason_info";
    if (!r->n)
        return;
    promtext_family(
        b, name, "gauge",
        "Why the destination has its status: the latest probe's outcome class (always 1).");
    for (size_t i = 0; i < r->n; i++) {
        const struct drow *d = &r->d[i];
        char extra[STORE_REASON_MAX + 16] = "reason=\"";
        size_t len = strlen(extra);
        len += mxw_strlcpy(extra + len, d->reason, STORE_REASON_MAX);
        extra[len++] = '"';
        promtext_sample(b, name, sizeof name - 1, span_p(r, d->labels), d->labels.len, extra, len,
                        1);
    }
}

/* probes[] slots whose names coincide ("ok", "local_error", "not_probed" exist both as an
 * address outcome and a destination reason) are one series: each slot maps to the first
 * slot of its name. Computed once (the names are constants of the store), on whichever
 * thread renders first. */
static size_t result_first[PROM_RESULTS_MAX];
static pthread_once_t result_once = PTHREAD_ONCE_INIT;

static void result_slot_map(void)
{
    for (size_t k = 0; k < PROM_RESULTS_MAX; k++) {
        result_first[k] = k;
        for (size_t j = 0; j < k && result_first[k] == k; j++)
            if (!strcmp(store_result_name(j), store_result_name(k)))
                result_first[k] = j;
    }
}

size_t prom_probe_results(const struct dest_view *d, size_t *slots, uint64_t *counts)
{
    uint64_t sum[PROM_RESULTS_MAX] = {0};
    size_t out = 0;
    pthread_once(&result_once, result_slot_map);
    for (size_t k = 0; k < PROM_RESULTS_MAX; k++)
        sum[result_first[k]] += d->probes[k];
    for (size_t k = 0; k < PROM_RESULTS_MAX; k++)
        if (sum[k]) {
            slots[out] = k;
            counts[out++] = sum[k];
        }
    return out;
}

static void render_probes_total(struct buf *b, const struct rows *r)
{
    static const char name[] = "mxwatch_probes_total";
    char extra[PROM_RESULTS_MAX][48];
    size_t elen[PROM_RESULTS_MAX];
    for (size_t k = 0; k < PROM_RESULTS_MAX; k++) {
        int n = snprintf(extra[k], sizeof extra[k], "result=\"%s\"", store_result_name(k));
        elen[k] = n > 0 ? (size_t)n : 0;
    }
    bool header = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct drow *d = &r->d[i];
        if (d->n_res && !header)
            promtext_family(b, name, "counter", "Probes of the destination, by result.");
        header = header || d->n_res;
        for (size_t k = d->res_off; k < d->res_off + d->n_res; k++)
            promtext_sample(b, name, sizeof name - 1, span_p(r, d->labels), d->labels.len,
                            extra[r->res_slot[k]], elen[r->res_slot[k]], (double)r->res_count[k]);
    }
}

/* ---- the queue's shape per destination: by age, by queue, the newest message ---- */

/* A destination's queue shape, copied out of its view in one pass, as fill_drow does for
 * the other figures, so that each family below is a linear scan of a compact array. */
#define QCOLS (MTA_AGE__COUNT + MTA_Q__COUNT)
struct qrow {
    bool mta; /* the MTA families exist for it (a source is configured, or it reported) */
    double newest;
    uint32_t v[QCOLS]; /* the age buckets, then the queues */
};

/* The extra label of each column of qrow.v: age="5m", ..., queue="active", ... */
struct qlabels {
    char s[QCOLS][32];
    size_t len[QCOLS];
};

/* One family of the columns [first, first + n) of qrow.v, a sample per column and
 * destination. */
static void render_qcounts(struct buf *b, const struct rows *r, const struct qrow *q,
                           const struct qlabels *l, const char *name, const char *help,
                           size_t first, size_t n)
{
    size_t nlen = strlen(name);
    promtext_family(b, name, "gauge", help);
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = first; k < first + n && q[i].mta; k++)
            promtext_sample(b, name, nlen, span_p(r, r->d[i].labels), r->d[i].labels.len, l->s[k],
                            l->len[k], (double)q[i].v[k]);
}

/* One more pass over the views (rows and snapshot are in the same order), for three
 * families; nothing when no destination has MTA figures. */
static void render_queue_shape(struct buf *b, const struct rows *r, const struct snapshot *s)
{
    static const char *const names[] = {MTA_AGE_LABELS, MTA_QUEUE_LABELS};
    _Static_assert(MXW_ARRAY_LEN(names) == QCOLS, "a label per age bucket and per queue");
    struct qlabels l;
    for (size_t k = 0; k < QCOLS; k++) {
        int len = snprintf(l.s[k], sizeof l.s[k], "%s=\"%s\"", k < MTA_AGE__COUNT ? "age" : "queue",
                           names[k]);
        l.len[k] = len > 0 ? (size_t)len : 0;
    }
    struct qrow *q = xmalloc((r->n ? r->n : 1) * sizeof *q);
    bool any = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_figures *m = &store_snapshot_dest(s, i)->mta;
        q[i].mta = r->mta_configured || m->present;
        q[i].newest = m->newest_age_s;
        memcpy(q[i].v, m->queued_age, sizeof m->queued_age);
        memcpy(q[i].v + MTA_AGE__COUNT, m->queued_in, sizeof m->queued_in);
        any |= q[i].mta;
    }
    if (any) {
        static const char newest[] = "mxwatch_newest_message_age_seconds";
        promtext_family(b, newest, "gauge",
                        "Age of the newest queued message for the destination (hold excluded).");
        for (size_t i = 0; i < r->n; i++)
            if (q[i].mta)
                promtext_sample(b, newest, sizeof newest - 1, span_p(r, r->d[i].labels),
                                r->d[i].labels.len, "", 0, q[i].newest);
        render_qcounts(b, r, q, &l, "mxwatch_queued_recipients",
                       "Recipients queued for the destination by age, hold excluded: age is the "
                       "bucket's upper bound (5m: younger than 5 minutes, 1h: 5 minutes to 1 "
                       "hour, ..., older: 1 day or more).",
                       0, MTA_AGE__COUNT);
        render_qcounts(b, r, q, &l, "mxwatch_queued_recipients_by_queue",
                       "Recipients queued for the destination by Postfix queue (maildrop counts "
                       "as incoming; hold is what an operator parked).",
                       MTA_AGE__COUNT, MTA_Q__COUNT);
    }
    free(q);
}

/* ---- per-address families (only addresses that were probed) ---- */

struct addr_family {
    const char *name, *help;
    enum addr_col col;
};

static const struct addr_family addr_families[] = {
    {"mxwatch_mx_up",
     "Whether the MX address answered the SMTP check (greeting, EHLO, STARTTLS when asked).",
     AC_UP},
    {"mxwatch_smtp_connect_duration_seconds", "TCP connect time to the MX address.", AC_CONN},
    {"mxwatch_smtp_banner_duration_seconds", "Time from connect to the complete 220 greeting.",
     AC_BANNER},
    {"mxwatch_smtp_ehlo_duration_seconds", "Time the EHLO command took to be answered.", AC_EHLO},
    {"mxwatch_smtp_starttls_offered", "Whether the MX address offered STARTTLS in its EHLO reply.",
     AC_STLS},
    {"mxwatch_tls_handshake_duration_seconds", "Time the STARTTLS handshake took.", AC_TLS},
    {"mxwatch_tls_cert_expiry_timestamp_seconds",
     "When the MX address's TLS certificate expires, seconds since 1970.", AC_EXP},
};

static void render_addr_family(struct buf *b, const struct rows *r, const struct addr_family *f)
{
    uint64_t bit = 1ull << f->col;
    size_t i = 0;
    while (i < r->n_addr && !(r->a[i].has & bit))
        i++;
    if (i == r->n_addr)
        return;
    promtext_family(b, f->name, "gauge", f->help);
    size_t nlen = strlen(f->name);
    for (; i < r->n_addr; i++)
        if (r->a[i].has & bit)
            promtext_sample(b, f->name, nlen, span_p(r, r->a[i].labels), r->a[i].labels.len, "", 0,
                            r->a[i].v[f->col]);
}

static void render_tls_version(struct buf *b, const struct rows *r)
{
    static const char name[] = "mxwatch_tls_version_info";
    bool header = false;
    for (size_t i = 0; i < r->n_addr; i++) {
        const struct arow *a = &r->a[i];
        if (!a->tls.len)
            continue;
        if (!header)
            promtext_family(b, name, "gauge",
                            "TLS version negotiated with the MX address (always 1).");
        header = true;
        promtext_sample(b, name, sizeof name - 1, span_p(r, a->labels), a->labels.len,
                        span_p(r, a->tls), a->tls.len, 1);
    }
}

/* ---- the agent itself ---- */

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double open_fds(void)
{
    size_t n = 0;
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return 0;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n >= 3 ? (double)(n - 3) : 0; /* ".", ".." and the directory's own descriptor */
}

static double rlimit_of(int resource)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) < 0)
        return 0;
    /* Unlimited as client_golang reports it: the largest unsigned 64-bit value. */
    return rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur;
}

static void render_process(struct buf *b, const struct snapshot *s)
{
    long vsz = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    char line[128];
    if (f) {
        char *p = fgets(line, sizeof line, f), *end = p;
        if (p) {
            vsz = strtol(p, &end, 10);
            rss = end != p ? strtol(end, NULL, 10) : 0;
        }
        fclose(f);
    }
    double page = (double)sysconf(_SC_PAGESIZE);
    promtext_family(b, "process_cpu_seconds_total", "counter",
                    "Total user and system CPU time spent in seconds.");
    sample_plain(b, "process_cpu_seconds_total", NULL, cpu_seconds());
    promtext_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    sample_plain(b, "process_open_fds", NULL, open_fds());
    promtext_family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    sample_plain(b, "process_max_fds", NULL, rlimit_of(RLIMIT_NOFILE));
    promtext_family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sample_plain(b, "process_virtual_memory_bytes", NULL, (double)vsz * page);
    promtext_family(b, "process_virtual_memory_max_bytes", "gauge",
                    "Maximum amount of virtual memory available in bytes.");
    sample_plain(b, "process_virtual_memory_max_bytes", NULL, rlimit_of(RLIMIT_AS));
    promtext_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample_plain(b, "process_resident_memory_bytes", NULL, (double)rss * page);
    promtext_family(b, "process_start_time_seconds", "gauge",
                    "Start time of the process since unix epoch in seconds.");
    sample_plain(b, "process_start_time_seconds", NULL, s->agent.start_time);
}

/* One family with one sample per source: source="name". */
static void render_sources(struct buf *b, const struct agent_figures *a, const char *name,
                           const char *type, const char *help, int which)
{
    promtext_family(b, name, type, help);
    struct buf l = {0};
    for (size_t i = 0; i < a->n_sources; i++) {
        const struct source_status *src = &a->sources[i];
        l.len = 0;
        buf_puts(&l, "source=\"");
        promtext_label_value_n(&l, src->name, sizeof src->name);
        buf_puts(&l, "\"");
        double v = which == 0 ? src->up : which == 1 ? (double)src->errors : src->last_duration_s;
        sample_plain(b, name, l.p, v);
    }
    buf_free(&l);
}

/* The probe engine's own work and trouble: counters of this side, never a destination's. */
static void render_probe_figures(struct buf *b, const struct probe_figures *p)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"mxwatch_dns_timeouts_total", "DNS query attempts that got no answer in time.",
         offsetof(struct probe_figures, dns_timeouts)},
        {"mxwatch_dns_retries_total", "DNS query attempts after a lost first one.",
         offsetof(struct probe_figures, dns_retries)},
        {"mxwatch_dns_socket_drops_total",
         "Answers the kernel dropped on the agent's DNS sockets (receive buffer full).",
         offsetof(struct probe_figures, dns_socket_drops)},
        {"mxwatch_dns_cache_hits_total", "DNS queries answered from the agent's cache.",
         offsetof(struct probe_figures, dns_cache_hits)},
        {"mxwatch_dns_cache_misses_total",
         "DNS queries the cache could not answer, sent to the resolver (cache on).",
         offsetof(struct probe_figures, dns_cache_misses)},
        {"mxwatch_smtp_sessions_total",
         "SMTP sessions started (one per MX address serves all "
         "destinations behind it).",
         offsetof(struct probe_figures, smtp_sessions)},
        {"mxwatch_smtp_shared_results_total",
         "Address checks answered by a session another destination's probe caused.",
         offsetof(struct probe_figures, smtp_shared)},
        {"mxwatch_smtp_address_rate_waits_total",
         "Times an MX address waited for its smtp_address_per_minute bound.",
         offsetof(struct probe_figures, smtp_rate_waits)},
    };
    for (size_t i = 0; i < MXW_ARRAY_LEN(counters); i++) {
        promtext_family(b, counters[i].name, "counter", counters[i].help);
        sample_plain(b, counters[i].name, NULL,
                     (double)*(const uint64_t *)((const char *)p + counters[i].off));
    }
    promtext_family(b, "mxwatch_dns_cache_entries", "gauge",
                    "DNS answers the agent's cache holds now.");
    sample_plain(b, "mxwatch_dns_cache_entries", NULL, (double)p->dns_cache_entries);
    promtext_family(b, "mxwatch_smtp_addresses", "gauge", "MX addresses the SMTP checks know now.");
    sample_plain(b, "mxwatch_smtp_addresses", NULL, (double)p->smtp_addresses);
    promtext_family(
        b, "mxwatch_local_failures_total", "counter",
        "Checks that failed on the agent's side, by cause: they leave destinations unknown "
        "with reason local, never down.");
    sample_plain(b, "mxwatch_local_failures_total", "cause=\"resolver\"",
                 (double)p->local_resolver);
    sample_plain(b, "mxwatch_local_failures_total", "cause=\"resources\"",
                 (double)p->local_resources);
    sample_plain(b, "mxwatch_local_failures_total", "cause=\"late\"", (double)p->local_late);
}

static void render_agent(struct buf *b, const struct snapshot *s)
{
    const struct agent_figures *a = &s->agent;
    promtext_family(b, "mxwatch_build_info", "gauge",
                    "Version and revision mxwatch was built from.");
    sample_plain(b, "mxwatch_build_info",
                 "version=\"" MXW_VERSION "\",revision=\"" MXW_REVISION "\"", 1);
    char shard[64];
    snprintf(shard, sizeof shard, "shard=\"%u\",shards=\"%u\"", a->shard.index, a->shard.count);
    promtext_family(b, "mxwatch_shard_info", "gauge",
                    "The share of the destinations this agent owns: shard (0-based) of shards.");
    sample_plain(b, "mxwatch_shard_info", shard, 1);
    size_t n_cfg = 0;
    for (size_t i = 0; i < s->n; i++)
        n_cfg += store_snapshot_dest(s, i)->origin == ORIGIN_CONFIG;
    promtext_family(b, "mxwatch_destinations", "gauge",
                    "Destinations watched, by where they came from.");
    sample_plain(b, "mxwatch_destinations", "origin=\"config\"", (double)n_cfg);
    sample_plain(b, "mxwatch_destinations", "origin=\"discovered\"", (double)(s->n - n_cfg));
    promtext_family(b, "mxwatch_probes_in_flight", "gauge",
                    "Probe operations running now, by kind.");
    sample_plain(b, "mxwatch_probes_in_flight", "kind=\"dns\"", a->dns_in_flight);
    sample_plain(b, "mxwatch_probes_in_flight", "kind=\"smtp\"", a->smtp_in_flight);
    render_probe_figures(b, &a->probe);
    promtext_family(b, "mxwatch_probe_loop_lag_seconds", "gauge",
                    "How late the probe loop ran its timers over the last second.");
    sample_plain(b, "mxwatch_probe_loop_lag_seconds", NULL, a->loop_lag_s);
    promtext_family(b, "mxwatch_config_last_reload_successful", "gauge",
                    "Whether the last configuration reload succeeded.");
    sample_plain(b, "mxwatch_config_last_reload_successful", NULL, a->config_reload_ok);
    promtext_family(b, "mxwatch_config_last_reload_success_timestamp_seconds", "gauge",
                    "When the configuration was last loaded successfully, seconds since 1970.");
    sample_plain(b, "mxwatch_config_last_reload_success_timestamp_seconds", NULL,
                 a->config_reload_time);
    if (a->n_sources) {
        render_sources(b, a, "mxwatch_source_up", "gauge",
                       "Whether the source's last collection succeeded.", 0);
        render_sources(b, a, "mxwatch_source_errors_total", "counter",
                       "Failed collections of the source.", 1);
        render_sources(b, a, "mxwatch_source_duration_seconds", "gauge",
                       "How long the source's last collection took.", 2);
    }
    promtext_family(b, "mxwatch_agentx_connected", "gauge",
                    "Whether the SNMP subagent is connected to its AgentX master.");
    sample_plain(b, "mxwatch_agentx_connected", NULL, a->agentx_connected);
    promtext_family(b, "mxwatch_delivernow_total", "counter",
                    "Requests to retry delivery, by trigger.");
    sample_plain(b, "mxwatch_delivernow_total", "trigger=\"manual\"", (double)a->delivernow_manual);
    sample_plain(b, "mxwatch_delivernow_total", "trigger=\"recovery\"",
                 (double)a->delivernow_recovery);
}

/* ---- rows: label sets and figures, gathered once per render ---- */

static void put(uint64_t *has, double *v, unsigned col, bool present, double value)
{
    if (present) {
        *has |= 1ull << col;
        v[col] = value;
    }
}

/* The TLS policy columns: MTA-STS from the latest check, DANE from the probe's hosts. */
static void fill_tls_policy(struct drow *row, const struct dest_view *d)
{
    uint64_t *h = &row->has;
    double *v = row->v;
    const struct store_tls_policy *p = d->tls_policy;
    bool sts = p && p->sts_in_force;
    put(h, v, DC_STS_NONE, sts, sts && p->sts_mode == STS_MODE_NONE);
    put(h, v, DC_STS_TESTING, sts, sts && p->sts_mode == STS_MODE_TESTING);
    put(h, v, DC_STS_ENFORCE, sts, sts && p->sts_mode == STS_MODE_ENFORCE);
    put(h, v, DC_STS_AGE, sts, sts ? d->tls_checked_at - p->sts_fetched_at : 0);
    put(h, v, DC_STS_EXPIRY, sts, sts ? p->sts_fetched_at + p->sts_max_age : 0);
    /* Only for a destination that publishes something or whose check found a fault: most
     * publish nothing, and 0 for each of them is two lines per destination of noise. */
    bool found = p && (p->sts_txt != TXT_POLICY_ABSENT || p->rpt_txt != TXT_POLICY_ABSENT ||
                       p->sts_in_force || p->sts_error[0]);
    put(h, v, DC_STS_ERROR, found, found && p->sts_error[0]);
    put(h, v, DC_RPT, found, found && p->rpt_txt == TXT_POLICY_OK);
    struct store_tls_summary t;
    store_tls_summary(d, &t);
    put(h, v, DC_STS_FAILING, sts && p->sts_mode != STS_MODE_NONE, t.sts_failing);
    put(h, v, DC_DANE_AUTH, t.tlsa, t.tlsa_authenticated);
    put(h, v, DC_DANE_MATCH, t.tlsa, t.dane_match);
    put(h, v, DC_DANE_FAIL, t.tlsa, t.dane_failing);
}

static void fill_drow(struct rows *r, const struct dest_view *d, struct drow *row)
{
    uint64_t *h = &row->has;
    double *v = row->v;
    put(h, v, DC_UP, true, d->status == DEST_UP);
    put(h, v, DC_S_UP, true, d->status == DEST_UP);
    put(h, v, DC_S_DOWN, true, d->status == DEST_DOWN);
    put(h, v, DC_S_UNKNOWN, true, d->status != DEST_UP && d->status != DEST_DOWN);
    put(h, v, DC_CHANGED, d->status_changed > 0, d->status_changed);
    bool probed = d->last_probe > 0;
    put(h, v, DC_MX, probed, (double)d->n_hosts);
    put(h, v, DC_DNS, probed, d->dns_s);
    put(h, v, DC_TTL, probed, d->dns_ttl);
    put(h, v, DC_CACHED, probed, d->dns_cached);
    put(h, v, DC_AGE, probed, d->dns_age_s);
    put(h, v, DC_LAST, probed, d->last_probe);
    const struct delivery_attempt *a = d->delivery;
    put(h, v, DC_DELIV_TS, a != NULL, a ? a->at : 0);
    put(h, v, DC_DELIV_OK, a != NULL, a && a->cls == DELIV_SENT);
    /* MTA figures appear for every destination once a source is configured (zero until it
     * reports), so alerts can compare them with the probe status from the start. */
    const struct mta_figures *m = &d->mta;
    bool mta = r->mta_configured || m->present;
    row->delays = m->delays;
    const double mv[] = {(double)m->active,       (double)m->unattempted,  (double)m->attempted,
                         (double)m->conn_current, (double)m->conn_pending, (double)m->delivered,
                         (double)m->completed,    (double)m->soft_bounce,  (double)m->hard_dns,
                         (double)m->hard_5xx,     (double)m->hard_filter,  (double)m->hard_expired,
                         (double)m->hard_other,   (double)m->deleted,      m->oldest_age_s};
    _Static_assert(MXW_ARRAY_LEN(mv) == DC_OLDEST - DC_ACTIVE + 1, "mv follows enum dest_col");
    for (unsigned k = 0; k < MXW_ARRAY_LEN(mv); k++)
        put(h, v, DC_ACTIVE + k, mta, mv[k]);
    fill_tls_policy(row, d);
    row->reason = store_dest_reason_text(d);
}

static void fill_arow(struct arow *row, const struct mx_addr_result *a)
{
    uint64_t *h = &row->has;
    double *v = row->v;
    put(h, v, AC_UP, true, a->outcome == OUT_OK);
    put(h, v, AC_CONN, a->connect_s >= 0, a->connect_s);
    put(h, v, AC_BANNER, a->banner_s >= 0, a->banner_s);
    put(h, v, AC_EHLO, a->ehlo_s >= 0, a->ehlo_s);
    /* STARTTLS is only known once EHLO was answered. */
    put(h, v, AC_STLS, a->ehlo_s >= 0, a->starttls_offered);
    put(h, v, AC_TLS, a->tls_s >= 0, a->tls_s);
    put(h, v, AC_EXP, a->tls_cert_expiry > 0, a->tls_cert_expiry);
}

static struct span close_span(const struct buf *arena, size_t start)
{
    return (struct span){start, arena->len - start};
}

/* One row per probed address of d; an address not probed (mx_policy "first" stopped
 * earlier) is neither up nor down, so it has no samples at all. */
static void build_addr_rows(struct rows *r, const struct dest_view *d, struct span dl)
{
    for (size_t h = 0; h < d->n_hosts; h++) {
        const struct mx_host *mh = &d->hosts[h];
        for (size_t k = 0; k < mh->n_addrs; k++) {
            const struct mx_addr_result *a = &mh->addrs[k];
            if (a->outcome == OUT_NOT_PROBED)
                continue;
            struct arow *row = &r->a[r->n_addr++];
            memset(row, 0, sizeof *row);
            size_t start = r->arena.len;
            buf_reserve(&r->arena, dl.len); /* the copy's source lives in the same arena */
            buf_append(&r->arena, r->arena.p + dl.off, dl.len);
            buf_puts(&r->arena, ",mx=\"");
            promtext_label_value_n(&r->arena, mh->name, STORE_DOMAIN_MAX);
            buf_puts(&r->arena, "\",address=\"");
            promtext_label_value_n(&r->arena, a->addr_str, sizeof a->addr_str);
            buf_puts(&r->arena, "\",preference=\"");
            buf_u64(&r->arena, mh->preference);
            buf_puts(&r->arena, "\"");
            row->labels = close_span(&r->arena, start);
            r->addr_bytes += row->labels.len;
            if (a->tls_version[0]) {
                start = r->arena.len;
                buf_puts(&r->arena, "version=\"");
                promtext_label_value_n(&r->arena, a->tls_version, sizeof a->tls_version);
                buf_puts(&r->arena, "\"");
                row->tls = close_span(&r->arena, start);
            }
            fill_arow(row, a);
        }
    }
}

static void build_rows(struct rows *r, const struct snapshot *s)
{
    r->mta_configured = false;
    for (size_t i = 0; i < s->agent.n_sources; i++)
        r->mta_configured |= s->agent.sources[i].per_destination;
    bool per_address = s->agent.metrics_per_address;
    size_t n_addr = 0;
    for (size_t i = 0; i < s->n && per_address; i++)
        for (size_t h = 0; h < store_snapshot_dest(s, i)->n_hosts; h++)
            n_addr += store_snapshot_dest(s, i)->hosts[h].n_addrs;
    r->d = xmalloc(s->n * sizeof *r->d);
    r->a = xmalloc(n_addr * sizeof *r->a);
    r->res_slot = xmalloc(s->n * PROM_RESULTS_MAX * sizeof *r->res_slot);
    r->res_count = xmalloc(s->n * PROM_RESULTS_MAX * sizeof *r->res_count);
    buf_reserve(&r->arena, s->n * 48 + n_addr * 128);
    size_t res_used = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = store_snapshot_dest(s, i);
        struct drow *row = &r->d[r->n++];
        memset(row, 0, sizeof *row);
        size_t start = r->arena.len;
        buf_puts(&r->arena, "destination=\"");
        promtext_label_value_n(&r->arena, d->domain, STORE_DOMAIN_MAX);
        buf_puts(&r->arena, "\"");
        row->labels = close_span(&r->arena, start);
        r->dest_bytes += row->labels.len;
        fill_drow(r, d, row);
        r->any_has |= row->has;
        row->res_off = res_used;
        row->n_res = prom_probe_results(d, r->res_slot + res_used, r->res_count + res_used);
        res_used += row->n_res;
        if (per_address)
            build_addr_rows(r, d, row->labels);
    }
}

static void free_rows(struct rows *r)
{
    buf_free(&r->arena);
    free(r->d);
    free(r->a);
    free(r->res_slot);
    free(r->res_count);
}

void prom_render(const struct snapshot *snap, struct buf *out)
{
    struct rows r = {0};
    build_rows(&r, snap);
    /* Each destination label set is written ~26 times, each address set ~8 times, and a
     * sample adds ~60 bytes of name and value: one allocation for the common case. */
    buf_reserve(out,
                16384 + r.dest_bytes * 26 + r.addr_bytes * 8 + (snap->n * 26 + r.n_addr * 8) * 60);
    render_dest_family(out, &r, &dest_families[0]);
    render_dest_family(out, &r, &dest_families[1]);
    render_reason(out, &r);
    for (size_t i = 2; i < MXW_ARRAY_LEN(dest_families); i++)
        render_dest_family(out, &r, &dest_families[i]);
    render_probes_total(out, &r);
    for (size_t i = 0; i < MXW_ARRAY_LEN(mta_families); i++)
        render_dest_family(out, &r, &mta_families[i]);
    render_delays(out, &r);
    render_queue_shape(out, &r, snap);
    for (size_t i = 0; i < MXW_ARRAY_LEN(addr_families) && snap->agent.metrics_per_address; i++)
        render_addr_family(out, &r, &addr_families[i]);
    if (snap->agent.metrics_per_address)
        render_tls_version(out, &r);
    prom_gateway_render(snap, out);
    prom_sender_render(snap, out);
    prom_txn_render(snap, out);
    render_agent(out, snap);
    render_process(out, snap);
    free_rows(&r);
}
