/*
 * ui_txn.c - the "Transaction probe" section of a destination's page (ui_detail.c calls
 * it): the last transaction's mode, envelope, time and verdict, then each phase it reached
 * with its duration and reply. Replies come from a stranger's server and go through html.h.
 * Pure; any thread.
 */
#include "fmt.h"
#include "html.h"
#include "ui_page.h"

#include <stdio.h>

static void phase_row(struct buf *b, enum txn_phase p, const struct txn_step *s, bool failed)
{
    buf_puts(b, "<tr><td data-label=\"Phase\">");
    html_text(b, txn_phase_name(p));
    if (s->s >= 0)
        buf_printf(b, "</td><td data-label=\"Time\">%.1f ms", s->s * 1000);
    else
        buf_puts(b, "</td><td data-label=\"Time\">-");
    buf_puts(b, "</td><td data-label=\"Code\">");
    if (s->code)
        buf_printf(b, "%d", s->code);
    buf_puts(b, "</td><td data-label=\"Enhanced\"><code>");
    html_textn(b, s->enhanced, sizeof s->enhanced);
    buf_printf(b, "</code></td><td data-label=\"Reply\"%s><code>", failed ? " class=\"bad\"" : "");
    html_textn(b, s->text, sizeof s->text);
    buf_puts(b, "</code></td></tr>\n");
}

void ui_render_txn(const struct dest_view *d, double now, struct buf *b)
{
    const struct store_txn *t = d->txn;
    if (!t)
        return; /* no transaction probe configured, or none ran yet */
    char when[FMT_TIME_MAX], ago[FMT_DURATION_MAX];
    buf_puts(b, "<section><h2>Transaction probe</h2><table class=\"kv\">\n<tr><th>Mode</th><td>");
    html_text(b, txn_mode_name(t->r.mode));
    buf_puts(b, ", <code>MAIL FROM:&lt;");
    html_textn(b, t->from, TXN_ADDR_MAX);
    buf_puts(b, "&gt; RCPT TO:&lt;");
    html_textn(b, t->to, TXN_ADDR_MAX);
    buf_printf(b, "&gt;</code></td></tr>\n<tr><th>When</th><td>%s (%s ago) via <code>",
               fmt_time(when, sizeof when, t->r.at), fmt_duration(ago, sizeof ago, now - t->r.at));
    html_textn(b, t->mx, STORE_DOMAIN_MAX);
    buf_puts(b, " [");
    html_textn(b, t->r.address, sizeof t->r.address);
    buf_puts(b, "]</code></td></tr>\n<tr><th>Result</th><td>");
    if (t->r.success) {
        buf_puts(b, "succeeded");
    } else {
        buf_puts(b, "<span class=\"bad\">failed at ");
        html_text(b, txn_phase_name(t->r.failed));
        buf_puts(b, " (");
        html_text(b, store_outcome_name(t->outcome));
        buf_puts(b, ")</span>");
    }
    buf_puts(b, "</td></tr>\n</table><div class=\"tablewrap\"><table class=\"grid\"><thead><tr>"
                "<th>Phase</th><th>Time</th><th>Code</th><th>Enhanced</th><th>Reply</th></tr>"
                "</thead><tbody>\n");
    for (int p = 0; p < TXN__PHASES; p++)
        if (t->r.step[p].reached)
            phase_row(b, (enum txn_phase)p, &t->r.step[p], !t->r.success && (int)t->r.failed == p);
    buf_puts(b, "</tbody></table></div></section>\n");
}
