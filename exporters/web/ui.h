/*
 * ui.h - the operator's status page: "Outgoing destinations" (/), one destination in
 * detail (/destinations/{domain}, the hoststatus view with its history chart), the compact
 * table for the CLI (/api/v1/tophosts) and the page's static files (/static/), compiled
 * into the binary from exporters/web/ui/. Server-rendered HTML; the script only refreshes,
 * filters and asks for retries. Everything from outside is escaped (html.h), and every
 * page is sent with a Content-Security-Policy that allows no inline script.
 *
 * The render functions are pure (any thread: tests, bench); the handlers (routes.h) run on
 * the HTTP thread and read only the snapshot they are given.
 */
#ifndef MXW_UI_H
#define MXW_UI_H

#include "buf.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>

#define UI_DEST_PREFIX     "/destinations/"
#define UI_STATIC_PREFIX   "/static/"
#define UI_TOPHOSTS_PATH   "/api/v1/tophosts"
#define UI_PER_PAGE        100  /* rows per page unless ?per= says otherwise */
#define UI_PER_PAGE_MAX    1000 /* the most rows one page or one tophosts answer holds */
#define UI_FILTER_MAX      128  /* bytes of the filter text kept */
#define UI_REFRESH_SECONDS 10   /* the page's auto-refresh period */

/* The columns the table sorts by; names as in ?sort= and `mxwatch tophosts --sort`. */
enum ui_sort {
    UI_SORT_DOMAIN,
    UI_SORT_STATUS,
    UI_SORT_ACTIVE,
    UI_SORT_CONN_OUT,
    UI_SORT_DELIVERED,
    UI_SORT_SOFT,
    UI_SORT_HARD,
    UI_SORT_MX,
    UI_SORT_CHANGED,
    UI_SORT_LATENCY, /* mean time to the final delivery attempt (the delay histogram's) */
    UI_SORT_OLDEST,  /* age of the oldest queued message */
    UI_SORT__COUNT
};

/* One view of the table: ?sort=&order=&q=&status=&page=&per=. */
struct ui_query {
    enum ui_sort sort;          /* default UI_SORT_ACTIVE */
    bool desc;                  /* default: the column's natural order */
    char filter[UI_FILTER_MAX]; /* lower-case substring of the destination, "" = all */
    int status;                 /* -1 = any, else an enum dest_status */
    size_t page;                /* 1-based */
    size_t per;                 /* rows per page, 1..UI_PER_PAGE_MAX */
};

/* What the page may offer the reader. */
struct ui_ctx {
    bool can_retry;   /* delivernow is enabled and the reader has the admin role */
    const char *user; /* the signed-in user, or NULL */
    double now;       /* wall time the page is rendered at */
};

/* A query argument by name, NULL when absent (http_query, or a test's table). */
typedef const char *ui_arg_fn(void *ctx, const char *name);

/* Fills q from the arguments; unknown or bad values fall back to the defaults. */
void ui_query_parse(struct ui_query *q, ui_arg_fn *arg, void *ctx);
const char *ui_sort_name(enum ui_sort s);
/* The column named s, or -1. The vendor CLI's names active_rcpts and deliv_rcpts name
 * active and delivered. */
int ui_sort_parse(const char *s);
/* Whether the column sorts descending when first chosen (counts: largest first). */
bool ui_sort_desc_default(enum ui_sort s);

/* The destinations matching q (filter and status), sorted by q's column then by domain.
 * Returns how many match; *out (malloc'd, caller frees) holds them all. O(N log N). */
size_t ui_select(const struct snapshot *s, const struct ui_query *q, const struct dest_view ***out);

void ui_render_list(const struct snapshot *s, const struct ui_query *q, const struct ui_ctx *c,
                    struct buf *out);
void ui_render_destination(const struct snapshot *s, const struct dest_view *d,
                           const struct ui_ctx *c, struct buf *out);
/* The history of active recipients and status as an inline SVG (no script, no style). */
void ui_render_chart(const struct dest_view *d, double now, struct buf *out);
/* {"taken_at":..,"total":..,"matched":..,"destinations":[{...}]}: one page of the table. */
void ui_render_tophosts(const struct snapshot *s, const struct ui_query *q, struct buf *out);

/* A compiled-in static file by name ("app.js"), or NULL. */
struct ui_asset {
    const char *name, *content_type;
    const unsigned char *data;
    size_t len;
};
const struct ui_asset *ui_asset_find(const char *name);
/* A short hash of the file's bytes, for cache-busting URLs ("?v=..."). */
const char *ui_asset_version(const struct ui_asset *a);

/* The recipients hard-bounced for any reason. */
uint64_t ui_hard_bounced(const struct mta_figures *m);
/* The mean time from arrival to the final delivery attempt, seconds; 0 before one. */
double ui_mean_delay(const struct mta_figures *m);

#endif
