/*
 * ui.c - the status page's table logic and HTTP handlers (ui.h): the query (sort, filter,
 * paging) parsed from the URL, the selection and sort of the snapshot's destinations, the
 * page frame with its security headers, the compact JSON table for the CLI, and the
 * static files. Handlers run on the HTTP thread and read only the snapshot they are given;
 * the rest is pure.
 *
 * Why server-side paging: at 10,000 destinations a full table is megabytes of HTML that a
 * phone renders slowly; one page of 100 rows is ~40 KB, sorting 10,000 pointers costs
 * about a millisecond, and the URL holds the whole view, so a refresh or a shared link
 * shows the same rows.
 */
#include "ui.h"

#include "admin.h"
#include "api.h"
#include "expfmt.h"
#include "fmt.h"
#include "html.h"
#include "routes.h"
#include "ui_priv.h"
#include "util.h"
#include "web.h"

#include <stdlib.h>
#include <string.h>

/* script-src 'self' and no 'unsafe-inline' anywhere: a banner that smuggles <script> or an
 * onerror= attribute past the escaping still cannot run. */
#define UI_CSP                                                                                     \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

static const char *const sort_names[UI_SORT__COUNT] = {
    "domain",       "status",       "active", "conn_out", "delivered",
    "soft_bounced", "hard_bounced", "mx",     "changed",
};

const char *ui_sort_name(enum ui_sort s)
{
    return (unsigned)s < UI_SORT__COUNT ? sort_names[s] : "active";
}

int ui_sort_parse(const char *s)
{
    for (int i = 0; s && i < UI_SORT__COUNT; i++)
        if (!strcmp(s, sort_names[i]))
            return i;
    return -1;
}

bool ui_sort_desc_default(enum ui_sort s)
{
    return s != UI_SORT_DOMAIN;
}

/* A whole number in 1..max, or def. */
static size_t arg_size(const char *s, size_t def, size_t max)
{
    if (!s || !*s)
        return def;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v == 0 || s[0] == '-')
        return def;
    return v > max ? max : (size_t)v;
}

void ui_query_parse(struct ui_query *q, ui_arg_fn *arg, void *ctx)
{
    memset(q, 0, sizeof *q);
    int sort = ui_sort_parse(arg(ctx, "sort"));
    q->sort = sort < 0 ? UI_SORT_ACTIVE : (enum ui_sort)sort;
    const char *order = arg(ctx, "order");
    q->desc = order && !strcmp(order, "asc")    ? false
              : order && !strcmp(order, "desc") ? true
                                                : ui_sort_desc_default(q->sort);
    const char *f = arg(ctx, "q");
    if (f) {
        f += strspn(f, " \t");
        mxw_strlcpy(q->filter, f, sizeof q->filter);
        size_t n = strlen(q->filter);
        while (n && (q->filter[n - 1] == ' ' || q->filter[n - 1] == '\t'))
            q->filter[--n] = '\0';
        mxw_lower(q->filter);
    }
    const char *st = arg(ctx, "status");
    q->status = -1;
    for (int i = 0; st && i < 3; i++)
        if (!strcmp(st, store_status_name((enum dest_status)i)))
            q->status = i;
    q->page = arg_size(arg(ctx, "page"), 1, (size_t)1 << 30);
    q->per = arg_size(arg(ctx, "per"), UI_PER_PAGE, UI_PER_PAGE_MAX);
}

uint64_t ui_hard_bounced(const struct mta_figures *m)
{
    return m->hard_dns + m->hard_5xx + m->hard_filter + m->hard_expired + m->hard_other;
}

/* Worst first when descending: down, unknown, up. */
static int status_rank(enum dest_status s)
{
    return s == DEST_DOWN ? 2 : s == DEST_UNKNOWN ? 1 : 0;
}

static double sort_key(const struct dest_view *d, enum ui_sort s)
{
    const struct mta_figures *m = &d->mta;
    switch (s) {
    case UI_SORT_STATUS: return status_rank(d->status);
    case UI_SORT_ACTIVE: return (double)m->active;
    case UI_SORT_CONN_OUT: return (double)m->conn_current;
    case UI_SORT_DELIVERED: return (double)m->delivered;
    case UI_SORT_SOFT: return (double)m->soft_bounce;
    case UI_SORT_HARD: return (double)ui_hard_bounced(m);
    case UI_SORT_MX: return (double)d->n_hosts;
    case UI_SORT_CHANGED: return d->status_changed;
    default: return 0;
    }
}

static int compare(const void *a, const void *b, void *arg)
{
    const struct ui_query *q = arg;
    const struct dest_view *x = *(const struct dest_view *const *)a;
    const struct dest_view *y = *(const struct dest_view *const *)b;
    int c = 0;
    if (q->sort != UI_SORT_DOMAIN) {
        double kx = sort_key(x, q->sort), ky = sort_key(y, q->sort);
        c = (kx > ky) - (kx < ky);
    }
    if (c == 0)
        return strcmp(x->domain, y->domain) * (q->sort == UI_SORT_DOMAIN && q->desc ? -1 : 1);
    return q->desc ? -c : c;
}

size_t ui_select(const struct snapshot *s, const struct ui_query *q, const struct dest_view ***out)
{
    const struct dest_view **v = malloc((s->n ? s->n : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < s->n; i++) {
        const struct dest_view *d = s->dests[i];
        if (q->status >= 0 && (int)d->status != q->status)
            continue;
        if (q->filter[0] && !strstr(d->domain, q->filter))
            continue;
        v[n++] = d;
    }
    if (n > 1)
        qsort_r(v, n, sizeof *v, compare, (void *)q);
    *out = v;
    return v ? n : 0;
}

bool ui_mta_known(const struct snapshot *s, const struct dest_view *d)
{
    return d->mta.present || s->agent.n_sources > 0;
}

void ui_count(struct buf *b, uint64_t v)
{
    char t[FMT_COUNT_MAX];
    buf_puts(b, fmt_count(t, sizeof t, v));
}

void ui_status_badge(struct buf *b, enum dest_status st)
{
    static const char *const sym[] = {"?", "\xe2\x9c\x94", "\xe2\x9c\x96"}; /* ? ✔ ✖ */
    const char *name = store_status_name(st);
    buf_printf(
        b, "<span class=\"st st-%s\"><span class=\"sym\" aria-hidden=\"true\">%s</span> %s</span>",
        name, sym[(unsigned)st < 3 ? st : 0], name);
}

void ui_dest_href(struct buf *b, const char *domain)
{
    buf_puts(b, UI_DEST_PREFIX);
    html_urlenc(b, domain);
}

static void asset_ref(struct buf *b, const char *name)
{
    const struct ui_asset *a = ui_asset_find(name);
    buf_printf(b, "%s%s?v=%s", UI_STATIC_PREFIX, name, a ? ui_asset_version(a) : "0");
}

void ui_page_head(struct buf *b, const char *title, const struct ui_ctx *c)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>");
    html_text(b, title);
    buf_puts(b, " \xc2\xb7 mxwatch</title><link rel=\"icon\" href=\"");
    asset_ref(b, "favicon.svg");
    buf_puts(b, "\"><link rel=\"stylesheet\" href=\"");
    asset_ref(b, "style.css");
    buf_puts(b, "\"><script src=\"");
    asset_ref(b, "app.js");
    buf_printf(b, "\" defer></script></head>\n<body data-refresh=\"%d\">\n", UI_REFRESH_SECONDS);
    buf_puts(b, "<header class=\"top\"><a class=\"brand\" href=\"/\">mxwatch</a><nav>"
                "<a href=\"/\">Destinations</a><a href=\"/metrics\">Metrics</a>"
                "<a href=\"/api/v1/destinations\">JSON</a></nav>");
    if (c->user) {
        buf_puts(b, "<span class=\"who\">");
        html_text(b, c->user);
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</header>\n<main id=\"main\">\n");
}

void ui_page_foot(struct buf *b, const struct snapshot *s)
{
    char when[FMT_TIME_MAX];
    buf_printf(b,
               "</main>\n<footer>mxwatch %s (%s) \xc2\xb7 snapshot %llu of %s</footer>\n"
               "</body></html>\n",
               MXW_VERSION, MXW_REVISION, (unsigned long long)(s ? s->generation : 0),
               fmt_time(when, sizeof when, s ? s->taken_at : 0));
}

/* ---- the compact table for the CLI ---- */

static void tophosts_row(struct buf *b, const struct dest_view *d)
{
    const struct mta_figures *m = &d->mta;
    buf_puts(b, "{\"domain\":");
    expfmt_json_stringn(b, d->domain, sizeof d->domain);
    buf_printf(b, ",\"status\":\"%s\",\"reason\":", store_status_name(d->status));
    expfmt_json_string(b, store_dest_reason_text(d));
    buf_printf(b,
               ",\"mta_reported\":%s,\"active\":%llu,\"connections_out\":%llu,"
               "\"delivered\":%llu,\"soft_bounced\":%llu,\"hard_bounced\":%llu,"
               "\"mx_records\":%zu,\"status_changed\":",
               m->present ? "true" : "false", (unsigned long long)m->active,
               (unsigned long long)m->conn_current, (unsigned long long)m->delivered,
               (unsigned long long)m->soft_bounce, (unsigned long long)ui_hard_bounced(m),
               d->n_hosts);
    if (d->status_changed > 0)
        expfmt_json_double(b, d->status_changed);
    else
        buf_puts(b, "null");
    buf_puts(b, "}");
}

void ui_render_tophosts(const struct snapshot *s, const struct ui_query *q, struct buf *out)
{
    const struct dest_view **v;
    size_t n = ui_select(s, q, &v);
    size_t first = (q->page - 1) * q->per;
    buf_puts(out, "{\"taken_at\":");
    expfmt_json_double(out, s->taken_at);
    buf_printf(out,
               ",\"mta_sources\":%zu,\"total\":%zu,\"matched\":%zu,\"sort\":\"%s\","
               "\"order\":\"%s\",\"page\":%zu,\"per\":%zu,\"destinations\":[",
               s->agent.n_sources, s->n, n, ui_sort_name(q->sort), q->desc ? "desc" : "asc",
               q->page, q->per);
    for (size_t i = first; i < n && i < first + q->per; i++) {
        if (i > first)
            buf_puts(out, ",");
        tophosts_row(out, v[i]);
    }
    buf_puts(out, "]}\n");
    free(v);
}

/* ---- handlers ---- */

static const char *query_arg(void *ctx, const char *name)
{
    return web_query(ctx, name);
}

/* The headers every page and script is sent with. */
static void secure(struct web_response *rs)
{
    web_add_header(rs, "Content-Security-Policy", UI_CSP);
    web_add_header(rs, "X-Frame-Options", "DENY");
    web_add_header(rs, "Referrer-Policy", "same-origin");
}

static void page_ctx(const struct web_request *rq, struct ui_ctx *c)
{
    c->can_retry = admin_may_retry(rq);
    c->user = rq->user;
    c->now = mxw_wall_time();
}

static bool no_snapshot(const struct snapshot *snap, struct web_response *rs)
{
    if (snap)
        return false;
    web_error(rs, 503, "no snapshot yet");
    return true;
}

void ui_handle_index(const struct web_request *rq, const struct snapshot *snap,
                     struct web_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_query q;
    struct ui_ctx c;
    ui_query_parse(&q, query_arg, (void *)rq);
    page_ctx(rq, &c);
    rs->content_type = "text/html; charset=utf-8";
    secure(rs);
    web_add_header(rs, "Cache-Control", "no-store");
    ui_render_list(snap, &q, &c, &rs->body);
}

void ui_handle_destination(const struct web_request *rq, const struct snapshot *snap,
                           struct web_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_ctx c;
    page_ctx(rq, &c);
    rs->content_type = "text/html; charset=utf-8";
    secure(rs);
    web_add_header(rs, "Cache-Control", "no-store");
    const struct dest_view *d = api_find(snap, rq->path + strlen(UI_DEST_PREFIX));
    if (d) {
        ui_render_destination(snap, d, &c, &rs->body);
        return;
    }
    rs->status = 404;
    ui_page_head(&rs->body, "Unknown destination", &c);
    buf_puts(&rs->body, "<p class=\"crumbs\"><a href=\"/\">\xe2\x86\x90 All destinations</a></p>"
                        "<h1>Unknown destination</h1><p>mxwatch does not watch <code>");
    html_text(&rs->body, rq->path + strlen(UI_DEST_PREFIX));
    buf_puts(&rs->body, "</code>.</p>\n");
    ui_page_foot(&rs->body, snap);
}

void ui_handle_tophosts(const struct web_request *rq, const struct snapshot *snap,
                        struct web_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_query q;
    ui_query_parse(&q, query_arg, (void *)rq);
    rs->content_type = "application/json";
    ui_render_tophosts(snap, &q, &rs->body);
}

void ui_handle_static(const struct web_request *rq, const struct snapshot *snap,
                      struct web_response *rs)
{
    (void)snap;
    const struct ui_asset *a = ui_asset_find(rq->path + strlen(UI_STATIC_PREFIX));
    if (!a) {
        web_error(rs, 404, "not found");
        return;
    }
    rs->content_type = a->content_type;
    secure(rs);
    /* The pages name each file with its hash (?v=), so a new build is fetched at once. */
    web_add_header(rs, "Cache-Control", "public, max-age=86400");
    buf_append(&rs->body, (const char *)a->data, a->len);
}
