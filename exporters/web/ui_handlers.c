/*
 * ui_handlers.c - the status page's HTTP handlers (ui.h): the list and detail pages with
 * their security headers, the compact JSON table for the CLI, and the static files. The
 * query and the selection are ui_query.c's, the page frame ui_page.c's. Handlers run on the
 * HTTP thread and read only the snapshot they are given.
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
#include "ui_page.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* script-src 'self' and no 'unsafe-inline' anywhere: a banner that smuggles <script> or an
 * onerror= attribute past the escaping still cannot run. */
#define UI_CSP                                                                                     \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* ---- the compact table for the CLI ---- */

static void tophosts_row(struct buf *b, const struct dest_view *d)
{
    const struct mta_figures *m = &d->mta;
    buf_puts(b, "{\"domain\":");
    expfmt_json_stringn(b, d->domain, STORE_DOMAIN_MAX);
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
    buf_puts(b, ",\"latency_seconds\":");
    expfmt_json_double(b, ui_mean_delay(m));
    buf_puts(b, ",\"oldest_message_age_seconds\":");
    expfmt_json_double(b, m->oldest_age_s);
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
    return http_query(ctx, name);
}

/* The headers every page and script is sent with. */
static void secure(struct http_response *rs)
{
    http_add_header(rs, "Content-Security-Policy", UI_CSP);
    http_add_header(rs, "X-Frame-Options", "DENY");
    http_add_header(rs, "Referrer-Policy", "same-origin");
}

static void page_ctx(const struct http_request *rq, struct ui_ctx *c)
{
    c->can_retry = admin_may_retry(rq);
    c->user = rq->user;
    c->now = mxw_wall_time();
}

static bool no_snapshot(const struct snapshot *snap, struct http_response *rs)
{
    if (snap)
        return false;
    http_error(rs, 503, "no snapshot yet");
    return true;
}

void ui_handle_index(const struct http_request *rq, const struct snapshot *snap,
                     struct http_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_query q;
    struct ui_ctx c;
    ui_query_parse(&q, query_arg, (void *)rq);
    page_ctx(rq, &c);
    rs->content_type = "text/html; charset=utf-8";
    secure(rs);
    http_add_header(rs, "Cache-Control", "no-store");
    ui_render_list(snap, &q, &c, &rs->body);
}

void ui_handle_destination(const struct http_request *rq, const struct snapshot *snap,
                           struct http_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_ctx c;
    page_ctx(rq, &c);
    rs->content_type = "text/html; charset=utf-8";
    secure(rs);
    http_add_header(rs, "Cache-Control", "no-store");
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

void ui_handle_tophosts(const struct http_request *rq, const struct snapshot *snap,
                        struct http_response *rs)
{
    if (no_snapshot(snap, rs))
        return;
    struct ui_query q;
    ui_query_parse(&q, query_arg, (void *)rq);
    rs->content_type = "application/json";
    ui_render_tophosts(snap, &q, &rs->body);
}

void ui_handle_static(const struct http_request *rq, const struct snapshot *snap,
                      struct http_response *rs)
{
    (void)snap;
    const struct ui_asset *a = ui_asset_find(rq->path + strlen(UI_STATIC_PREFIX));
    if (!a) {
        http_error(rs, 404, "not found");
        return;
    }
    rs->content_type = a->content_type;
    secure(rs);
    /* The pages name each file with its hash (?v=), so a new build is fetched at once. */
    http_add_header(rs, "Cache-Control", "public, max-age=86400");
    buf_append(&rs->body, (const char *)a->data, a->len);
}
