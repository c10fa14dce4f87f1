/*
 * ui_page.c - the frame of every status page and the small pieces they share (ui_page.h):
 * head and foot, status badges, counts, links to a destination. HTTP thread (and tests);
 * pure, writes only the buffer it is given. Outside data goes through html.c.
 */
#include "ui_page.h"

#include "fmt.h"
#include "html.h"

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
