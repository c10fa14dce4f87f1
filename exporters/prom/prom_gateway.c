/*
 * prom_gateway.c - the gateway appliances' families of /metrics (prom_gateway.h).
 *
 * While an appliance's latest poll fails, only mxwatch_gateway_up (0), the reason
 * (mxwatch_gateway_last_error_info), the poll's duration and the time of the last good poll
 * are shown: its figures are left out, not shown with their old values, so no graph or
 * alert can read a stale figure as current (Prometheus marks the series stale, graphs show
 * a gap). The SNMP table keeps them, as MXWATCH-MIB says, beside mxwGwUp and
 * mxwGwLastSuccess.
 *
 * Runs on the HTTP thread on an immutable snapshot. Item names and the status word come
 * from the appliance: every label value is escaped.
 */
#include "prom_gateway.h"

#include "expfmt.h"
#include "promtext.h"
#include "util.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* appliance="NAME" for each gateway of the snapshot. */
struct glabels {
    const struct snapshot *s;
    char **l;
};

/* name{labels[,extra]} value\n; extra is already escaped, or NULL. */
static void sample(struct buf *b, const char *name, const char *labels, const char *extra, double v)
{
    promtext_sample(b, name, strlen(name), labels, strlen(labels), extra ? extra : "",
                    extra ? strlen(extra) : 0, v);
}

/* key="value" with value escaped, into a fresh buffer the caller frees (buf_free). */
static void label_pair(struct buf *b, const char *key, const char *value)
{
    b->len = 0;
    buf_puts(b, key);
    buf_puts(b, "=\"");
    promtext_label_value(b, value);
    buf_puts(b, "\"");
}

static bool shown(const struct gateway_view *g)
{
    return g->polled && g->up && g->has_status;
}

/* ---- the mxwatch_gateway_* families ---- */

typedef void rows_fn(struct buf *b, const char *name, const struct gateway_view *g,
                     const char *labels);

/* A family with rows from every gateway that has some: HELP and TYPE only when one has. */
static void render_family(struct buf *b, const struct glabels *gl, const char *name,
                          const char *type, const char *help, rows_fn *rows)
{
    struct buf tmp = {0};
    for (size_t i = 0; i < gl->s->n_gateways; i++)
        rows(&tmp, name, gl->s->gateways[i], gl->l[i]);
    if (tmp.len) {
        promtext_family(b, name, type, help);
        buf_append(b, tmp.p, tmp.len);
    }
    buf_free(&tmp);
}

static void rows_up(struct buf *b, const char *name, const struct gateway_view *g, const char *l)
{
    if (g->polled)
        sample(b, name, l, NULL, g->up);
}

static void rows_error(struct buf *b, const char *name, const struct gateway_view *g, const char *l)
{
    if (!g->polled || g->up)
        return;
    struct buf e = {0};
    label_pair(&e, "reason", g->reason);
    sample(b, name, l, e.p, 1);
    buf_free(&e);
}

static void rows_duration(struct buf *b, const char *name, const struct gateway_view *g,
                          const char *l)
{
    if (g->polled)
        sample(b, name, l, NULL, g->scrape_duration_s);
}

static void rows_success(struct buf *b, const char *name, const struct gateway_view *g,
                         const char *l)
{
    if (g->last_success > 0)
        sample(b, name, l, NULL, g->last_success);
}

static void rows_info(struct buf *b, const char *name, const struct gateway_view *g, const char *l)
{
    if (!shown(g))
        return;
    struct buf e = {0}, h = {0};
    label_pair(&e, "hostname", g->status.hostname);
    label_pair(&h, "build", g->status.build);
    buf_append(&e, ",", 1);
    buf_append(&e, h.p, h.len);
    sample(b, name, l, e.p, 1);
    buf_free(&e);
    buf_free(&h);
}

/* A state set: "online" always, so `== 0` alerts on any other word, and the word the
 * appliance reports when it is another. */
static void rows_system(struct buf *b, const char *name, const struct gateway_view *g,
                        const char *l)
{
    if (!shown(g) || !g->status.system_status[0])
        return;
    bool online = !strcmp(g->status.system_status, "online");
    sample(b, name, l, "status=\"online\"", online);
    if (online)
        return;
    struct buf e = {0};
    label_pair(&e, "status", g->status.system_status);
    sample(b, name, l, e.p, 1);
    buf_free(&e);
}

static void rows_oldest(struct buf *b, const char *name, const struct gateway_view *g,
                        const char *l)
{
    if (shown(g) && g->status.has_oldest)
        sample(b, name, l, NULL, g->status.oldest_message_secs);
}

/* Seconds left per feature; "Perpetual" never runs out (+Inf); other words (a dormant
 * feature) have no figure. */
static void rows_license(struct buf *b, const char *name, const struct gateway_view *g,
                         const char *l)
{
    if (!shown(g))
        return;
    struct buf e = {0};
    for (size_t i = 0; i < g->status.nfeatures; i++) {
        const struct gw_feature *f = &g->status.features[i];
        bool perpetual = !f->has_seconds && !strcasecmp(f->word, "perpetual");
        if (!f->has_seconds && !perpetual)
            continue;
        label_pair(&e, "feature", f->name);
        sample(b, name, l, e.p, perpetual ? INFINITY : f->seconds);
    }
    buf_free(&e);
}

static void rows_counters(struct buf *b, const char *name, const struct gateway_view *g,
                          const char *l)
{
    if (!shown(g))
        return;
    struct buf e = {0};
    for (size_t i = 0; i < g->status.ncounters; i++) {
        label_pair(&e, "name", g->status.counters[i].name);
        sample(b, name, l, e.p, g->status.counters[i].lifetime);
    }
    buf_free(&e);
}

static void rows_gauges(struct buf *b, const char *name, const struct gateway_view *g,
                        const char *l)
{
    if (!shown(g))
        return;
    struct buf e = {0};
    for (size_t i = 0; i < g->status.ngauges; i++) {
        label_pair(&e, "name", g->status.gauges[i].name);
        sample(b, name, l, e.p, g->status.gauges[i].current);
    }
    buf_free(&e);
}

static void rows_rates(struct buf *b, const char *name, const struct gateway_view *g, const char *l)
{
    if (!shown(g))
        return;
    struct buf e = {0};
    for (size_t i = 0; i < g->status.nrates; i++) {
        const struct gw_rate *r = &g->status.rates[i];
        const double v[3] = {r->m1, r->m5, r->m15};
        static const char *const windows[3] = {",window=\"1m\"", ",window=\"5m\"",
                                               ",window=\"15m\""};
        for (size_t w = 0; w < 3; w++) {
            label_pair(&e, "name", r->name);
            buf_puts(&e, windows[w]);
            sample(b, name, l, e.p, v[w]);
        }
    }
    buf_free(&e);
}

struct gw_family {
    const char *name, *type, *help;
    rows_fn *rows;
};

static const struct gw_family gw_families[] = {
    {"mxwatch_gateway_up", "gauge",
     "Whether the latest poll of the appliance's status page succeeded.", rows_up},
    {"mxwatch_gateway_last_error_info", "gauge",
     "Why the latest poll of the appliance failed (present only while it fails).", rows_error},
    {"mxwatch_gateway_scrape_duration_seconds", "gauge",
     "How long the latest poll of the appliance took, failed or not.", rows_duration},
    {"mxwatch_gateway_last_success_timestamp_seconds", "gauge",
     "When the appliance was last polled successfully, seconds since 1970.", rows_success},
    {"mxwatch_gateway_info", "gauge", "Host name and build the appliance reports (always 1).",
     rows_info},
    {"mxwatch_gateway_system_status", "gauge",
     "The appliance's system status as a state set: online, or the word it reports instead.",
     rows_system},
    {"mxwatch_gateway_oldest_message_age_seconds", "gauge",
     "Age of the oldest message in the appliance's queue.", rows_oldest},
    {"mxwatch_gateway_feature_license_seconds_remaining", "gauge",
     "Time left on the appliance's feature licence; negative once expired, +Inf if perpetual.",
     rows_license},
    {"mxwatch_gateway_counter_total", "counter",
     "The appliance's counters by name, lifetime values.", rows_counters},
    {"mxwatch_gateway_gauge", "gauge", "The appliance's gauges by name (K/M/G/T applied).",
     rows_gauges},
    {"mxwatch_gateway_rate", "gauge",
     "The appliance's rates by name and averaging window, as the appliance reports them.",
     rows_rates},
};

/* ---- destination-style families ---- */

enum item_kind { IT_GAUGE, IT_COUNTER };

/* One sample per appliance: the appliance's item under a name the destinations use too. */
struct shared_sample {
    const char *family, *type, *help;
    const char *extra; /* constant extra label, or NULL */
    enum item_kind kind;
    const char *item;
};

static const struct shared_sample shared[] = {
    {"mxwatch_active_recipients", "gauge", "Recipients queued now.", NULL, IT_GAUGE,
     "active_recips"},
    {"mxwatch_unattempted_recipients", "gauge", "Queued recipients not yet tried.", NULL, IT_GAUGE,
     "unattempted_recips"},
    {"mxwatch_attempted_recipients", "gauge", "Queued recipients tried at least once (deferred).",
     NULL, IT_GAUGE, "attempted_recips"},
    {"mxwatch_outbound_connections", "gauge", "Outbound SMTP connections.", "state=\"current\"",
     IT_GAUGE, "conn_out"},
    {"mxwatch_delivered_recipients_total", "counter", "Recipients delivered.", NULL, IT_COUNTER,
     "delivered_recips"},
    {"mxwatch_soft_bounce_events_total", "counter", "Temporary delivery failures (deferrals).",
     NULL, IT_COUNTER, "soft_bounced_evts"},
    {"mxwatch_hard_bounced_recipients_total", "counter", "Recipients hard-bounced, by class.",
     "reason=\"dns\"", IT_COUNTER, "dns_hard_bounced_recips"},
    {"mxwatch_hard_bounced_recipients_total", NULL, NULL, "reason=\"5xx\"", IT_COUNTER,
     "5xx_hard_bounced_recips"},
    {"mxwatch_hard_bounced_recipients_total", NULL, NULL, "reason=\"filter\"", IT_COUNTER,
     "filter_hard_bounced_recips"},
    {"mxwatch_hard_bounced_recipients_total", NULL, NULL, "reason=\"expired\"", IT_COUNTER,
     "expired_hard_bounced_recips"},
    {"mxwatch_hard_bounced_recipients_total", NULL, NULL, "reason=\"other\"", IT_COUNTER,
     "other_hard_bounced_recips"},
};

static void shared_row(struct buf *b, const struct shared_sample *sh, const struct gateway_view *g,
                       const char *l)
{
    if (!shown(g))
        return;
    if (sh->kind == IT_GAUGE) {
        const struct gw_gauge *x = gw_find_gauge(&g->status, sh->item);
        if (x)
            sample(b, sh->family, l, sh->extra, x->current);
    } else {
        const struct gw_counter *x = gw_find_counter(&g->status, sh->item);
        if (x)
            sample(b, sh->family, l, sh->extra, x->lifetime);
    }
}

static bool at_line_start(const struct buf *b, const char *p)
{
    return p == b->p || p[-1] == '\n';
}

/* The offset just past the last sample of family `name` in out, or -1 when out has no
 * such family. A label value never holds a raw newline, so "\n# TYPE " only starts a line.
 * O(bytes of out). */
static long family_end(const struct buf *out, const char *name)
{
    char type[128];
    size_t tl = (size_t)snprintf(type, sizeof type, "# TYPE %s ", name), nl = strlen(name);
    const char *p = out->p, *end = out->p + out->len;
    if (!out->len)
        return -1;
    while ((p = memmem(p, (size_t)(end - p), type, tl)) && !at_line_start(out, p))
        p += tl;
    if (!p)
        return -1;
    const char *line = memchr(p, '\n', (size_t)(end - p));
    line = line ? line + 1 : end;
    while ((size_t)(end - line) > nl && !memcmp(line, name, nl) &&
           (line[nl] == '{' || line[nl] == ' ')) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        line = eol ? eol + 1 : end;
    }
    return (long)(line - out->p);
}

static void insert_at(struct buf *out, size_t pos, const char *s, size_t n)
{
    buf_reserve(out, n);
    memmove(out->p + pos + n, out->p + pos, out->len - pos + 1);
    memcpy(out->p + pos, s, n);
    out->len += n;
}

/* Samples of one destination-style family (the consecutive entries of shared[] from i that
 * name it), put into out's group of that family or appended as a new one. Returns the
 * index after them. */
static size_t render_shared(struct buf *out, const struct glabels *gl, size_t i)
{
    const struct shared_sample *first = &shared[i];
    struct buf tmp = {0};
    size_t j = i;
    for (; j < MXW_ARRAY_LEN(shared) && !strcmp(shared[j].family, first->family); j++)
        for (size_t k = 0; k < gl->s->n_gateways; k++)
            shared_row(&tmp, &shared[j], gl->s->gateways[k], gl->l[k]);
    if (tmp.len) {
        long at = family_end(out, first->family);
        if (at >= 0) {
            insert_at(out, (size_t)at, tmp.p, tmp.len);
        } else {
            promtext_family(out, first->family, first->type, first->help);
            buf_append(out, tmp.p, tmp.len);
        }
    }
    buf_free(&tmp);
    return j;
}

void prom_gateway_render(const struct snapshot *snap, struct buf *out)
{
    if (!snap->n_gateways)
        return;
    struct glabels gl = {snap, xcalloc(snap->n_gateways, sizeof(char *))};
    if (!gl.l)
        abort();
    for (size_t i = 0; i < snap->n_gateways; i++) {
        struct buf l = {0};
        label_pair(&l, "appliance", snap->gateways[i]->name);
        gl.l[i] = buf_steal(&l, NULL);
    }
    for (size_t i = 0; i < MXW_ARRAY_LEN(gw_families); i++)
        render_family(out, &gl, gw_families[i].name, gw_families[i].type, gw_families[i].help,
                      gw_families[i].rows);
    for (size_t i = 0; i < MXW_ARRAY_LEN(shared);)
        i = render_shared(out, &gl, i);
    for (size_t i = 0; i < snap->n_gateways; i++)
        free(gl.l[i]);
    free(gl.l);
}
