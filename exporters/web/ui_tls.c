/*
 * ui_tls.c - the "TLS policy" section of a destination's page (ui_detail.c calls it): the
 * MTA-STS policy in force and the latest check's fault, where TLS reports go, and each MX
 * host against the policy and its TLSA records with every address's DANE verdict. The
 * texts came from DNS and the destination's web server and go through html.h. Pure; any
 * thread.
 */
#include "fmt.h"
#include "html.h"
#include "ui_page.h"

#include <stdio.h>

/* Words for the verdicts, a CSS class saying whether it is trouble. */
static void verdict(struct buf *b, const char *word, bool bad)
{
    buf_printf(b, "<span class=\"%s\">", bad ? "bad" : "");
    html_text(b, word);
    buf_puts(b, "</span>");
}

static void sts_rows(struct buf *b, const struct store_tls_policy *p, double now)
{
    char when[FMT_TIME_MAX], ago[FMT_DURATION_MAX];
    buf_puts(b, "<tr><th>MTA-STS</th><td>");
    if (p->sts_in_force) {
        verdict(b, store_sts_mode_name(p->sts_mode), false);
        buf_puts(b, " (id <code>");
        html_textn(b, p->sts_id, sizeof p->sts_id);
        buf_printf(b, "</code>, fetched %s ago, expires %s); mx <code>",
                   fmt_duration(ago, sizeof ago, now - p->sts_fetched_at),
                   fmt_time(when, sizeof when, p->sts_fetched_at + p->sts_max_age));
        html_textn(b, p->sts_mx, STORE_POLICY_TEXT);
        buf_puts(b, "</code>");
    } else {
        buf_puts(b, "no policy in force (record ");
        html_text(b, store_txt_policy_name(p->sts_txt));
        buf_puts(b, ")");
    }
    buf_puts(b, "</td></tr>\n");
    if (p->sts_error[0]) {
        buf_puts(b, "<tr><th>Policy fault</th><td class=\"bad\">");
        html_textn(b, p->sts_error, STORE_POLICY_TEXT);
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "<tr><th>TLS reports</th><td>");
    if (p->rpt_rua[0])
        html_textn(b, p->rpt_rua, STORE_POLICY_TEXT);
    else
        html_text(b, store_txt_policy_name(p->rpt_txt));
    buf_puts(b, "</td></tr>\n");
}

static void host_row(struct buf *b, const struct mx_host *mh)
{
    enum sts_host sts = (enum sts_host)mh->sts;
    buf_puts(b, "<tr><td data-label=\"MX host\"><code>");
    html_textn(b, mh->name, STORE_DOMAIN_MAX);
    buf_puts(b, "</code></td><td data-label=\"MTA-STS\">");
    verdict(b, store_sts_host_name(sts), sts == STS_HOST_NOT_LISTED || sts == STS_HOST_BAD_CERT);
    buf_puts(b, "</td><td data-label=\"TLSA\">");
    if (mh->tlsa == TLSA_RECORDS)
        buf_printf(b, "%u records, %u usable, %s", mh->n_tlsa, mh->n_tlsa_usable,
                   mh->tlsa_authenticated ? "authenticated" : "not authenticated");
    else
        html_text(b, store_tlsa_name((enum tlsa_lookup)mh->tlsa));
    buf_puts(b, "</td><td data-label=\"DANE\">");
    for (size_t k = 0; k < mh->n_addrs; k++) {
        enum dane_state s = (enum dane_state)mh->addrs[k].dane;
        buf_puts(b, k ? "<br><code>" : "<code>");
        html_textn(b, mh->addrs[k].addr_str, sizeof mh->addrs[k].addr_str);
        buf_puts(b, "</code> ");
        verdict(b, store_dane_name(s), s == DANE_MISMATCH || s == DANE_NO_TLS);
    }
    buf_puts(b, "</td></tr>\n");
}

void ui_render_tls_policy(const struct dest_view *d, double now, struct buf *b)
{
    const struct store_tls_policy *p = d->tls_policy;
    bool tlsa = false;
    for (size_t h = 0; h < d->n_hosts; h++)
        tlsa |= d->hosts[h].tlsa != TLSA_NONE;
    if (!p && !tlsa)
        return; /* global.tls_policy off, or nothing checked yet */
    buf_puts(b, "<section><h2>TLS policy</h2>");
    if (p) {
        buf_puts(b, "<table class=\"kv\">\n");
        sts_rows(b, p, now);
        buf_puts(b, "</table>\n");
    }
    buf_puts(b, "<div class=\"tablewrap\"><table class=\"grid\"><thead><tr><th>MX host</th>"
                "<th>MTA-STS</th><th>TLSA</th><th>DANE</th></tr></thead><tbody>\n");
    for (size_t h = 0; h < d->n_hosts; h++)
        host_row(b, &d->hosts[h]);
    buf_puts(b, "</tbody></table></div></section>\n");
}
