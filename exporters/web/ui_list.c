/*
 * ui_list.c - the "Outgoing destinations" page (/): a summary, the controls (filter,
 * status, rows per page, auto-refresh, "Retry all delivery"), one page of the table and
 * the pager. Everything the refresh replaces lives in <div id="results">, so the filter
 * box keeps its text and focus while the rows change. Pure; any thread.
 */
#include "fmt.h"
#include "html.h"
#include "ui_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct column {
    enum ui_sort sort;
    const char *title;
    bool num;
};

/* The gateway's columns, then mxwatch's own two. */
static const struct column columns[] = {
    {UI_SORT_DOMAIN, "Destination", false},
    {UI_SORT_STATUS, "Latest Host Status", false},
    {UI_SORT_ACTIVE, "Active Recipients", true},
    {UI_SORT_CONN_OUT, "Connections Out", true},
    {UI_SORT_DELIVERED, "Delivered Recipients", true},
    {UI_SORT_SOFT, "Soft Bounced", true},
    {UI_SORT_HARD, "Hard Bounced", true},
    {UI_SORT_MX, "MX", true},
    {UI_SORT_CHANGED, "Since Change", true},
};

/* "?sort=..&order=..&q=..&status=..&per=..&page=.." for a view differing from q. */
static void view_href(struct buf *b, const struct ui_query *q, enum ui_sort sort, bool desc,
                      size_t page)
{
    buf_printf(b, "/?sort=%s&amp;order=%s", ui_sort_name(sort), desc ? "desc" : "asc");
    if (q->filter[0]) {
        buf_puts(b, "&amp;q=");
        html_urlenc(b, q->filter);
    }
    if (q->status >= 0)
        buf_printf(b, "&amp;status=%s", store_status_name((enum dest_status)q->status));
    if (q->per != UI_PER_PAGE)
        buf_printf(b, "&amp;per=%zu", q->per);
    if (page > 1)
        buf_printf(b, "&amp;page=%zu", page);
}

static void table_head(struct buf *b, const struct ui_query *q)
{
    buf_puts(b, "<thead><tr>");
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        const struct column *col = &columns[i];
        bool on = q->sort == col->sort;
        bool desc = on ? !q->desc : ui_sort_desc_default(col->sort);
        buf_printf(b, "<th scope=\"col\"%s%s><a data-nav href=\"", col->num ? " class=\"num\"" : "",
                   on ? (q->desc ? " aria-sort=\"descending\"" : " aria-sort=\"ascending\"") : "");
        view_href(b, q, col->sort, desc, 1);
        buf_printf(b, "\">%s<span class=\"arrow\" aria-hidden=\"true\">%s</span></a></th>",
                   col->title, on ? (q->desc ? "\xe2\x96\xbc" : "\xe2\x96\xb2") : "");
    }
    buf_puts(b, "</tr></thead>\n");
}

static void num_cell(struct buf *b, const char *label, uint64_t v, bool known)
{
    buf_printf(b, "<td class=\"num\" data-label=\"%s\">", label);
    if (known)
        ui_count(b, v);
    else
        buf_puts(b, "<span class=\"na\" title=\"no MTA source configured\">\xe2\x80\x93</span>");
    buf_puts(b, "</td>");
}

static void row(struct buf *b, const struct snapshot *s, const struct dest_view *d, double now)
{
    const struct mta_figures *m = &d->mta;
    bool known = ui_mta_known(s, d);
    buf_printf(b, "<tr class=\"row-%s\"><th scope=\"row\" data-label=\"Destination\"><a href=\"",
               store_status_name(d->status));
    ui_dest_href(b, d->domain);
    buf_puts(b, "\">");
    html_textn(b, d->domain, STORE_DOMAIN_MAX);
    buf_puts(b, "</a></th><td data-label=\"Latest Host Status\">");
    ui_status_badge(b, d->status);
    if (d->status != DEST_UP && d->last_probe > 0) {
        buf_puts(b, " <span class=\"reason\">");
        html_text(b, store_dest_reason_text(d));
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</td>");
    num_cell(b, "Active Recipients", m->active, known);
    num_cell(b, "Connections Out", m->conn_current, known);
    num_cell(b, "Delivered Recipients", m->delivered, known);
    num_cell(b, "Soft Bounced", m->soft_bounce, known);
    num_cell(b, "Hard Bounced", ui_hard_bounced(m), known);
    num_cell(b, "MX", d->n_hosts, true);
    char age[FMT_DURATION_MAX];
    buf_printf(b, "<td class=\"num\" data-label=\"Since Change\">%s</td></tr>\n",
               d->status_changed > 0 ? fmt_duration(age, sizeof age, now - d->status_changed)
                                     : "\xe2\x80\x93");
}

static void pager(struct buf *b, const struct ui_query *q, size_t matched)
{
    size_t pages = matched ? (matched + q->per - 1) / q->per : 1;
    size_t page = q->page > pages ? pages : q->page;
    if (pages <= 1)
        return;
    buf_puts(b, "<nav class=\"pager\" aria-label=\"Pages\">");
    const struct {
        const char *label;
        size_t to;
        bool on;
    } links[] = {
        {"\xc2\xab First", 1, page > 1},
        {"\xe2\x80\xb9 Previous", page - 1, page > 1},
        {"Next \xe2\x80\xba", page + 1, page < pages},
        {"Last \xc2\xbb", pages, page < pages},
    };
    for (size_t i = 0; i < 4; i++) {
        if (i == 2)
            buf_printf(b, "<span class=\"where\">Page %zu of %zu</span>", page, pages);
        if (!links[i].on) {
            buf_printf(b, "<span class=\"off\">%s</span>", links[i].label);
            continue;
        }
        buf_puts(b, "<a data-nav href=\"");
        view_href(b, q, q->sort, q->desc, links[i].to);
        buf_printf(b, "\">%s</a>", links[i].label);
    }
    buf_puts(b, "</nav>\n");
}

static void summary(struct buf *b, const struct snapshot *s)
{
    size_t by[3] = {0};
    uint64_t active = 0;
    for (size_t i = 0; i < s->n; i++) {
        by[(unsigned)store_snapshot_dest(s, i)->status < 3 ? store_snapshot_dest(s, i)->status
                                                           : 0]++;
        active += store_snapshot_dest(s, i)->mta.active;
    }
    buf_puts(b, "<div id=\"summary\" class=\"summary\"><span class=\"big\">");
    ui_count(b, s->n);
    buf_printf(b, "</span> destination%s:", s->n == 1 ? "" : "s");
    static const enum dest_status order[] = {DEST_DOWN, DEST_UNKNOWN, DEST_UP};
    for (size_t i = 0; i < 3; i++) {
        buf_puts(b, " <span class=\"tally\">");
        ui_count(b, by[order[i]]);
        buf_puts(b, " ");
        ui_status_badge(b, order[i]);
        buf_puts(b, "</span>");
    }
    if (s->agent.n_sources) {
        buf_puts(b, " <span class=\"tally\"><strong>");
        ui_count(b, active);
        buf_puts(b, "</strong> active recipients</span>");
    }
    buf_puts(b, "</div>\n");
}

static void option(struct buf *b, const char *value, const char *label, bool selected)
{
    buf_printf(b, "<option value=\"%s\"%s>%s</option>", value, selected ? " selected" : "", label);
}

static void controls(struct buf *b, const struct ui_query *q, const struct ui_ctx *c)
{
    buf_puts(b, "<form id=\"controls\" class=\"controls\" method=\"get\" action=\"/\" "
                "role=\"search\"><input type=\"search\" id=\"filter\" name=\"q\" value=\"");
    html_text(b, q->filter);
    buf_puts(b, "\" placeholder=\"Filter destinations\" aria-label=\"Filter destinations\" "
                "autocomplete=\"off\" spellcheck=\"false\">"
                "<select name=\"status\" aria-label=\"Status\">");
    option(b, "", "Any status", q->status < 0);
    option(b, "down", "Down", q->status == DEST_DOWN);
    option(b, "unknown", "Unknown", q->status == DEST_UNKNOWN);
    option(b, "up", "Up", q->status == DEST_UP);
    buf_puts(b, "</select><select name=\"per\" aria-label=\"Rows per page\">");
    static const char *const pers[] = {"25", "100", "500", "1000"};
    for (size_t i = 0; i < 4; i++) {
        char label[32];
        snprintf(label, sizeof label, "%s rows", pers[i]);
        option(b, pers[i], label, q->per == strtoul(pers[i], NULL, 10));
    }
    buf_printf(b,
               "</select><input type=\"hidden\" name=\"sort\" value=\"%s\">"
               "<input type=\"hidden\" name=\"order\" value=\"%s\">"
               "<button type=\"submit\" class=\"apply\">Apply</button>",
               ui_sort_name(q->sort), q->desc ? "desc" : "asc");
    buf_puts(b, "<label class=\"auto\"><input type=\"checkbox\" id=\"autorefresh\" checked> "
                "Auto-refresh</label><span id=\"updated\" class=\"updated\" "
                "aria-live=\"polite\"></span>");
    if (c->can_retry)
        buf_puts(b, "<button type=\"button\" class=\"retry\" data-retry-all>"
                    "Retry all delivery</button>");
    buf_puts(b, "</form>\n<p id=\"retry-status\" class=\"retry-status\" role=\"status\"></p>\n");
}

void ui_render_list(const struct snapshot *s, const struct ui_query *q, const struct ui_ctx *c,
                    struct buf *out)
{
    const struct dest_view **v;
    size_t n = ui_select(s, q, &v);
    size_t pages = n ? (n + q->per - 1) / q->per : 1;
    size_t page = q->page > pages ? pages : q->page;
    size_t first = (page - 1) * q->per, last = first + q->per < n ? first + q->per : n;
    buf_reserve(out, 8192 + (last - first) * 900);
    ui_page_head(out, "Outgoing destinations", c);
    buf_puts(out, "<h1>Outgoing destinations</h1>\n");
    controls(out, q, c);
    buf_puts(out, "<div id=\"results\">\n");
    summary(out, s);
    buf_puts(out, "<p class=\"count\">");
    if (n) {
        buf_puts(out, "Showing ");
        ui_count(out, first + 1);
        buf_puts(out, "\xe2\x80\x93");
        ui_count(out, last);
        buf_puts(out, " of ");
    }
    ui_count(out, n);
    buf_printf(out, " %s</p>\n", q->filter[0] || q->status >= 0 ? "matching" : "destinations");
    buf_puts(out, "<div class=\"tablewrap\"><table class=\"dests\">");
    table_head(out, q);
    buf_puts(out, "<tbody>\n");
    for (size_t i = first; i < last; i++)
        row(out, s, v[i], c->now);
    if (!n)
        buf_puts(out, "<tr class=\"empty\"><td colspan=\"9\">No destination matches.</td></tr>\n");
    buf_puts(out, "</tbody></table></div>\n");
    pager(out, q, n);
    ui_render_sender(out, s);
    buf_puts(out, "</div>\n");
    ui_page_foot(out, s);
    free(v);
}
