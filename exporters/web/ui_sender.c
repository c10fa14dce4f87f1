/*
 * ui_sender.c - the status page's "Sending addresses" section (ui_page.h): per sending
 * address its PTR name, forward-confirmed reverse DNS and DNSBL listings, as the sender
 * reputation check last found them. Called by ui_list.c; pure, any thread. Zone names, PTR
 * names and TXT reasons are outside data: escaped.
 */
#include "html.h"
#include "ui_page.h"

#include <stdio.h>

static void fcrdns_cell(struct buf *b, const struct sender_address *a)
{
    static const char *const cls[] = {"unknown", "up", "down"};
    static const char *const word[] = {"? unknown", "\xe2\x9c\x94 ok", "\xe2\x9c\x96 fails"};
    unsigned f = (unsigned)a->fcrdns < 3 ? a->fcrdns : 0;
    buf_printf(b, "<td data-label=\"FCrDNS\"><span class=\"st st-%s\" title=\"", cls[f]);
    html_textn(b, a->detail, sizeof a->detail);
    buf_printf(b, "\">%s</span></td>", word[f]);
}

static void zone_item(struct buf *b, const struct sender_zone *z)
{
    static const char *const cls[] = {"unknown", "up", "down", "unknown"};
    static const char *const word[] = {"unknown", "not listed", "listed", "zone error"};
    unsigned s = (unsigned)z->state < 4 ? z->state : 0;
    buf_puts(b, "<li>");
    html_textn(b, z->zone, sizeof z->zone);
    buf_printf(b, ": <span class=\"st st-%s\">%s</span>", cls[s], word[s]);
    if (z->code[0]) {
        buf_puts(b, " ");
        html_textn(b, z->code, sizeof z->code);
    }
    if (z->text[0] && z->state != DNSBL_CLEAN) {
        buf_puts(b, " <span class=\"why\">");
        html_textn(b, z->text, sizeof z->text);
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</li>");
}

void ui_render_sender(struct buf *b, const struct snapshot *s)
{
    const struct sender_view *v = s->sender;
    if (!v || !v->n)
        return;
    buf_puts(b, "<section id=\"sender\" class=\"sender\"><h2>Sending addresses</h2>"
                "<div class=\"tablewrap\"><table class=\"senders\"><thead><tr>"
                "<th scope=\"col\">Address</th><th scope=\"col\">PTR</th>"
                "<th scope=\"col\">FCrDNS</th><th scope=\"col\">DNSBL</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < v->n; i++) {
        const struct sender_address *a = &v->a[i];
        buf_puts(b, "<tr><td class=\"addr\" data-label=\"Address\">");
        html_textn(b, a->addr, sizeof a->addr);
        buf_puts(b, "</td><td data-label=\"PTR\">");
        if (a->ptr[0])
            html_textn(b, a->ptr, sizeof a->ptr);
        else
            buf_puts(b, "\xe2\x80\x94");
        buf_puts(b, "</td>");
        fcrdns_cell(b, a);
        buf_puts(b, "<td data-label=\"DNSBL\"><ul class=\"zones\">");
        for (size_t k = 0; k < a->n_zones && k < STORE_ZONES_MAX; k++)
            zone_item(b, &a->zones[k]);
        if (!a->n_zones)
            buf_puts(b, "<li>no DNSBL zone configured</li>");
        buf_puts(b, "</ul></td></tr>\n");
    }
    buf_puts(b, "</tbody></table></div></section>\n");
}
