/*
 * ui_detail.c - one destination in detail (/destinations/{domain}): the hoststatus view in
 * the gateway's sections and words (host up/down, counters, gauges), the history chart,
 * the MX records with preference and TTL, every address with its outcome, timings,
 * banner, STARTTLS and certificate facts, the TLS policy (ui_tls.c), the last transaction
 * probe (ui_txn.c), the latest failure
 * and the last SMTP conversation. Every string here except our own labels came from DNS, an SMTP
 * server or the MTA and goes through html.h. Pure; any thread.
 */
#include "fmt.h"
#include "html.h"
#include "ui_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DASH "\xe2\x80\x93"

static const char *const status_meaning[] = {
    [DEST_UNKNOWN] = "not probed yet, or the probe could not run from here (a local error)",
    [DEST_UP] = "reachable and actively accepting messages: an MX host answered with 220",
    [DEST_DOWN] = ("down: no MX host could be reached (connection refused, no route to host), "
                   "the SMTP conversation timed out or was refused, or DNS has no usable MX"),
};

/* A duration in seconds as milliseconds, or a dash when the phase was not reached. */
static void ms(struct buf *b, double s)
{
    if (s < 0)
        buf_puts(b, DASH);
    else if (s < 10)
        buf_printf(b, "%.1f ms", s * 1000);
    else
        buf_printf(b, "%.2f s", s);
}

static void kv_count(struct buf *b, const char *label, uint64_t v, bool known, int indent)
{
    buf_printf(b, "<tr class=\"i%d\"><th scope=\"row\">%s</th><td class=\"num\">", indent, label);
    if (known)
        ui_count(b, v);
    else
        buf_puts(b, DASH);
    buf_puts(b, "</td></tr>\n");
}

static void kv_group(struct buf *b, const char *label)
{
    buf_printf(b, "<tr class=\"grp\"><th colspan=\"2\" scope=\"rowgroup\">%s</th></tr>\n", label);
}

static void counters(struct buf *b, const struct mta_figures *m, bool known)
{
    buf_puts(b, "<section class=\"card\"><h2>Counters</h2><table class=\"kv\">\n");
    kv_group(b, "Queue");
    kv_count(b, "Soft Bounced Events", m->soft_bounce, known, 1);
    kv_group(b, "Completion");
    kv_count(b, "Completed Recipients", m->completed, known, 1);
    kv_count(b, "Hard Bounced Recipients", ui_hard_bounced(m), known, 1);
    kv_count(b, "DNS Hard Bounces", m->hard_dns, known, 2);
    kv_count(b, "5XX Hard Bounces", m->hard_5xx, known, 2);
    kv_count(b, "Filter Hard Bounces", m->hard_filter, known, 2);
    kv_count(b, "Expired Hard Bounces", m->hard_expired, known, 2);
    kv_count(b, "Other Hard Bounces", m->hard_other, known, 2);
    kv_count(b, "Delivered Recipients", m->delivered, known, 1);
    kv_count(b, "Deleted Recipients", m->deleted, known, 1);
    buf_puts(b, "</table></section>\n");
}

static void gauges(struct buf *b, const struct dest_view *d, bool known, double now)
{
    const struct mta_figures *m = &d->mta;
    char t[FMT_DURATION_MAX], w[FMT_TIME_MAX];
    buf_puts(b, "<section class=\"card\"><h2>Gauges</h2><table class=\"kv\">\n");
    kv_group(b, "Queue");
    kv_count(b, "Active Recipients", m->active, known, 1);
    kv_count(b, "Unattempted Recipients", m->unattempted, known, 1);
    kv_count(b, "Attempted Recipients", m->attempted, known, 1);
    kv_group(b, "Connections");
    kv_count(b, "Current Outbound Connections", m->conn_current, known, 1);
    kv_count(b, "Pending Outbound Connections", m->conn_pending, known, 1);
    buf_puts(b, "<tr class=\"i0\"><th scope=\"row\">Oldest Message</th><td class=\"num\">");
    buf_puts(b, !known           ? DASH
                : m->active == 0 ? "No Messages"
                                 : fmt_duration(t, sizeof t, m->oldest_age_s));
    buf_puts(b, "</td></tr>\n<tr class=\"i0\"><th scope=\"row\">Last Activity</th>"
                "<td class=\"num\">");
    if (d->last_probe > 0)
        buf_printf(b, "<time title=\"%s\">%s ago</time> (probe)",
                   fmt_time(w, sizeof w, d->last_probe),
                   fmt_duration(t, sizeof t, now - d->last_probe));
    else
        buf_puts(b, "never");
    buf_puts(b, "</td></tr>\n</table>");
    if (!known)
        buf_puts(b, "<p class=\"note\">No MTA source is configured: the counters and gauges "
                    "come from the Postfix queue and log (<code>sources.postfix</code>).</p>");
    buf_puts(b, "</section>\n");
}

static void host_status(struct buf *b, const struct dest_view *d, double now)
{
    char t[FMT_DURATION_MAX], w[FMT_TIME_MAX];
    buf_puts(b, "<section class=\"card\"><h2>Host status</h2><p class=\"hs\">");
    ui_status_badge(b, d->status);
    buf_printf(b, "</p><p>%s.</p><table class=\"kv\">",
               status_meaning[(unsigned)d->status < 3 ? d->status : 0]);
    buf_puts(b, "<tr><th scope=\"row\">Reason</th><td><code>");
    html_text(b, store_dest_reason_text(d));
    buf_puts(b, "</code></td></tr><tr><th scope=\"row\">Set by</th><td>");
    buf_puts(b, d->status_signal == SIGNAL_DELIVERY      ? "the MTA's last delivery attempt"
                : d->status_signal == SIGNAL_TRANSACTION ? "the agent's transaction probe"
                : d->status_signal == SIGNAL_PROBE       ? "the agent's SMTP probe"
                                                         : "nothing yet");
    buf_puts(b, "</td></tr><tr><th scope=\"row\">Since</th><td>");
    if (d->status_changed > 0)
        buf_printf(b, "%s (%s ago)", fmt_time(w, sizeof w, d->status_changed),
                   fmt_duration(t, sizeof t, now - d->status_changed));
    else
        buf_puts(b, "never changed");
    buf_printf(b, "</td></tr><tr><th scope=\"row\">Last probe</th><td>%s</td></tr>",
               fmt_time(w, sizeof w, d->last_probe));
    buf_printf(b, "<tr><th scope=\"row\">Failed probes in a row</th><td>%u</td></tr>",
               d->consecutive_failures);
    buf_printf(b, "<tr><th scope=\"row\">Origin</th><td>%s</td></tr></table></section>\n",
               d->origin == ORIGIN_CONFIG ? "configured" : "discovered in the queue");
}

static const char *const host_dns[] = {"ok", "no such name", "no address", "temporary failure"};

static void mx_table(struct buf *b, const struct dest_view *d)
{
    char ttl[FMT_DURATION_MAX];
    buf_printf(b,
               "<section><h2>MX records</h2><p class=\"sub\">DNS lookup %.1f ms; smallest TTL "
               "%s.</p><div class=\"tablewrap\"><table class=\"grid\"><thead><tr>"
               "<th class=\"num\">Preference</th><th>Host</th><th class=\"num\">TTL</th>"
               "<th>Address lookup</th><th class=\"num\">Addresses</th></tr></thead><tbody>\n",
               d->last_probe > 0 ? d->dns_s * 1000 : 0.0,
               fmt_duration(ttl, sizeof ttl, d->last_probe > 0 ? d->dns_ttl : -1.0));
    for (size_t h = 0; h < d->n_hosts; h++) {
        const struct mx_host *mh = &d->hosts[h];
        buf_printf(b,
                   "<tr><td class=\"num\" data-label=\"Preference\">%u</td>"
                   "<td data-label=\"Host\"><code>",
                   mh->preference);
        html_textn(b, mh->name, STORE_DOMAIN_MAX);
        buf_printf(b,
                   "</code>%s</td><td class=\"num\" data-label=\"TTL\">%s</td>"
                   "<td data-label=\"Address lookup\">%s</td>"
                   "<td class=\"num\" data-label=\"Addresses\">%zu</td></tr>\n",
                   mh->implicit ? " <span class=\"tag\">implicit MX</span>" : "",
                   fmt_duration(ttl, sizeof ttl, mh->ttl),
                   (unsigned)mh->dns < 4 ? host_dns[mh->dns] : "?", mh->n_addrs);
    }
    if (d->n_hosts == 0)
        buf_puts(b, "<tr class=\"empty\"><td colspan=\"5\">No MX host.</td></tr>\n");
    buf_puts(b, "</tbody></table></div></section>\n");
}

static void outcome(struct buf *b, enum mx_outcome o)
{
    bool ok = o == OUT_OK;
    buf_printf(
        b, "<span class=\"st st-%s\"><span class=\"sym\" aria-hidden=\"true\">%s</span> %s</span>",
        ok                    ? "up"
        : o == OUT_NOT_PROBED ? "unknown"
                              : "down",
        ok                    ? "\xe2\x9c\x94"
        : o == OUT_NOT_PROBED ? "?"
                              : "\xe2\x9c\x96",
        store_outcome_name(o));
}

static void tls_facts(struct buf *b, const struct mx_addr_result *a, double now)
{
    char when[FMT_TIME_MAX], left[FMT_DURATION_MAX];
    buf_printf(b, "<td data-label=\"STARTTLS\">%s</td><td data-label=\"TLS\">",
               a->starttls_offered ? "offered"
               : a->smtp_code      ? "not offered"
                                   : DASH);
    if (a->tls_negotiated) {
        html_textn(b, a->tls_version, sizeof a->tls_version);
        buf_printf(b, ", %s, ", a->tls_verified ? "verified" : "not verified");
        ms(b, a->tls_s);
    } else {
        buf_puts(b, DASH);
    }
    buf_puts(b, "</td><td data-label=\"Certificate expires\">");
    if (a->tls_cert_expiry > 0) {
        bool past = a->tls_cert_expiry < now;
        fmt_time(when, sizeof when, a->tls_cert_expiry);
        when[strcspn(when, " ")] = '\0'; /* the date is enough here */
        buf_printf(b, "<span class=\"%s\">%s (%s%s)</span>", past ? "bad" : "", when,
                   past ? "expired " : "in ",
                   fmt_duration(left, sizeof left,
                                past ? now - a->tls_cert_expiry : a->tls_cert_expiry - now));
    } else {
        buf_puts(b, DASH);
    }
    buf_puts(b, "</td>");
}

static void address_row(struct buf *b, const struct mx_host *mh, const struct mx_addr_result *a,
                        double now)
{
    buf_puts(b, "<tr class=\"addr\"><td data-label=\"MX host\"><code>");
    html_textn(b, mh->name, STORE_DOMAIN_MAX);
    buf_puts(b, "</code></td><td data-label=\"Address\"><code>");
    html_textn(b, a->addr_str, sizeof a->addr_str);
    buf_puts(b, "</code>");
    if (a->ptr && a->ptr->name[0]) { /* the name telnet would say it connected to */
        buf_puts(b, "<br><span class=\"sub\">");
        html_textn(b, a->ptr->name, STORE_DOMAIN_MAX);
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</td><td data-label=\"Outcome\">");
    outcome(b, a->outcome);
    buf_puts(b, "</td><td class=\"num\" data-label=\"Code\">");
    if (a->smtp_code)
        buf_printf(b, "%d", a->smtp_code);
    else
        buf_puts(b, DASH);
    buf_puts(b, "</td><td class=\"num\" data-label=\"Connect\">");
    ms(b, a->connect_s);
    buf_puts(b, "</td><td class=\"num\" data-label=\"Banner\">");
    ms(b, a->banner_s);
    buf_puts(b, "</td><td class=\"num\" data-label=\"EHLO\">");
    ms(b, a->ehlo_s);
    buf_puts(b, "</td>");
    tls_facts(b, a, now);
    buf_puts(b,
             "</tr>\n<tr class=\"banner\"><td colspan=\"10\"><span class=\"lbl\">Banner</span> ");
    const char *banner = store_addr_banner(a), *ehlo = store_addr_ehlo(a);
    if (banner[0]) {
        buf_puts(b, "<code class=\"wrap\">");
        html_textn(b, banner, STORE_BANNER_MAX);
        buf_puts(b, "</code>");
    } else {
        buf_puts(b, "<span class=\"na\">none received</span>");
    }
    if (ehlo[0]) {
        buf_puts(b, "<details><summary>EHLO reply</summary><pre>");
        html_textn(b, ehlo, STORE_EHLO_MAX);
        buf_puts(b, "</pre></details>");
    }
    buf_puts(b, "</td></tr>\n");
}

static void addresses(struct buf *b, const struct dest_view *d, double now)
{
    buf_puts(b, "<section><h2>Addresses</h2><div class=\"tablewrap\"><table class=\"grid addrs\">"
                "<thead><tr><th>MX host</th><th>Address</th><th>Outcome</th>"
                "<th class=\"num\">Code</th><th class=\"num\">Connect</th>"
                "<th class=\"num\">Banner</th><th class=\"num\">EHLO</th><th>STARTTLS</th>"
                "<th>TLS</th><th>Certificate expires</th></tr></thead><tbody>\n");
    size_t n = 0;
    for (size_t h = 0; h < d->n_hosts; h++)
        for (size_t k = 0; k < d->hosts[h].n_addrs; k++, n++)
            address_row(b, &d->hosts[h], &d->hosts[h].addrs[k], now);
    if (!n)
        buf_puts(b, "<tr class=\"empty\"><td colspan=\"10\">No address probed.</td></tr>\n");
    buf_puts(b, "</tbody></table></div></section>\n");
}

static void failures(struct buf *b, const struct dest_view *d)
{
    const struct mta_figures *m = &d->mta;
    if (!m->last_failure[0] && !m->n_errors)
        return;
    buf_puts(b, "<section><h2>Latest delivery failure</h2>");
    if (m->last_failure[0]) {
        buf_puts(b, "<p><code class=\"wrap\">");
        html_textn(b, m->last_failure, sizeof m->last_failure);
        buf_puts(b, "</code></p>");
    }
    if (m->n_errors) {
        buf_puts(b, "<p class=\"codes\">By status code:");
        for (size_t i = 0; i < m->n_errors && i < STORE_ERROR_CODES_MAX; i++) {
            uint32_t c = m->errors[i].code;
            buf_printf(b, " <span class=\"tag\">%u.%u.%u \xc3\x97 ", c / 1000000, c / 1000 % 1000,
                       c % 1000);
            ui_count(b, m->errors[i].count);
            buf_puts(b, "</span>");
        }
        buf_puts(b, "</p>");
    }
    buf_puts(b, "</section>\n");
}

/* The MTA's last delivery attempt: outside text, escaped like every other (html_textn). */
static void last_delivery(struct buf *b, const struct dest_view *d, double now)
{
    const struct delivery_attempt *a = d->delivery, *e = d->last_error;
    if (!a)
        return;
    char t[FMT_DURATION_MAX], w[FMT_TIME_MAX];
    buf_printf(b,
               "<section><h2>Last delivery attempt</h2><table class=\"kv\">"
               "<tr><th scope=\"row\">When</th><td>%s (%s ago)</td></tr>"
               "<tr><th scope=\"row\">Outcome</th><td>%s</td></tr>",
               fmt_time(w, sizeof w, a->at), fmt_duration(t, sizeof t, now - a->at),
               a->cls == DELIV_SENT ? "sent" : store_delivery_class_name(a->cls));
    buf_puts(b, "<tr><th scope=\"row\">MX</th><td><code>");
    html_textn(b, a->host, STORE_DOMAIN_MAX);
    buf_puts(b, " [");
    html_textn(b, a->addr, sizeof a->addr);
    buf_printf(b, "]</code></td></tr><tr><th scope=\"row\">In reply to</th><td>%s</td></tr>",
               store_delivery_cmd_name(a->cmd));
    buf_puts(b, "<tr><th scope=\"row\">Reply</th><td><code class=\"wrap\">");
    html_textn(b, a->text, STORE_REPLY_MAX);
    buf_puts(b, "</code></td></tr>");
    if (e) { /* kept after later successes */
        buf_puts(b, "<tr><th scope=\"row\">Latest 4XX/5XX reply</th><td><code class=\"wrap\">");
        html_textn(b, e->text, STORE_REPLY_MAX);
        buf_printf(b, "</code> (%s, %s ago)</td></tr>", store_delivery_cmd_name(e->cmd),
                   fmt_duration(t, sizeof t, now - e->at));
    }
    buf_puts(b, "</table></section>\n");
}

static void title_block(struct buf *b, const struct dest_view *d, const struct ui_ctx *c)
{
    buf_puts(b, "<p class=\"crumbs\"><a href=\"/\">\xe2\x86\x90 All destinations</a></p>\n"
                "<div class=\"titlebar\"><h1>");
    html_textn(b, d->domain, STORE_DOMAIN_MAX);
    buf_puts(b, "</h1>");
    ui_status_badge(b, d->status);
    if (c->can_retry) {
        buf_puts(b, "<button type=\"button\" class=\"retry\" data-retry=\"");
        html_textn(b, d->domain, STORE_DOMAIN_MAX);
        buf_puts(b, "\">Retry delivery</button>");
    }
    buf_puts(b, "<span class=\"links\"><a href=\"/api/v1/destinations/");
    html_urlenc(b, d->domain);
    buf_puts(b, "\">JSON</a><a href=\"/debug/destinations/");
    html_urlenc(b, d->domain);
    buf_puts(b, "\">Debug text</a></span></div>\n"
                "<p id=\"retry-status\" class=\"retry-status\" role=\"status\"></p>\n");
}

/* The last SMTP conversation, put together from its parts (store_transcript_text). */
static void transcript(struct buf *out, const struct dest_view *d)
{
    buf_puts(out, "<section><h2>Last SMTP conversation</h2>");
    char *text = store_transcript_text(d->transcript);
    if (text) {
        buf_puts(out, "<pre class=\"transcript\">");
        html_text(out, text);
        buf_puts(out, "</pre>");
    } else {
        buf_puts(out, "<p class=\"na\">None recorded yet.</p>");
    }
    free(text);
    buf_puts(out, "</section>\n");
}

void ui_render_destination(const struct snapshot *s, const struct dest_view *d,
                           const struct ui_ctx *c, struct buf *out)
{
    bool known = ui_mta_known(s, d);
    ui_page_head(out, d->domain, c);
    title_block(out, d, c);
    buf_puts(out, "<div id=\"results\">\n<div class=\"cards\">\n");
    host_status(out, d, c->now);
    counters(out, &d->mta, known);
    gauges(out, d, known, c->now);
    buf_puts(out, "</div>\n<section><h2>History</h2>");
    ui_render_chart(d, c->now, out);
    buf_puts(out, "</section>\n");
    last_delivery(out, d, c->now);
    failures(out, d);
    mx_table(out, d);
    addresses(out, d, c->now);
    ui_render_tls_policy(d, c->now, out);
    ui_render_txn(d, c->now, out);
    transcript(out, d);
    buf_puts(out, "</div>\n");
    ui_page_foot(out, s);
}
