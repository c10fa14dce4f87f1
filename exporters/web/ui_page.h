/*
 * ui_page.h - what the status page's files (ui_handlers.c, ui_list.c, ui_detail.c) share
 * and nobody else uses: the page frame, status badges, counts (ui_page.c), the sending
 * addresses' section (ui_sender.c). Pure functions, any
 * thread.
 */
#ifndef MXW_UI_PAGE_H
#define MXW_UI_PAGE_H

#include "ui.h"

/* <!DOCTYPE html> up to the opening <main>; title is outside data (escaped here). */
void ui_page_head(struct buf *b, const char *title, const struct ui_ctx *c);
/* </main>, the footer and the end of the document. */
void ui_page_foot(struct buf *b, const struct snapshot *s);
/* A status as a word with a symbol ("✔ up", "✖ down", "? unknown"), coloured by class. */
void ui_status_badge(struct buf *b, enum dest_status st);
/* v with thousands separators. */
void ui_count(struct buf *b, uint64_t v);
/* Whether MTA figures mean anything for d: a source reported it, or sources are
 * configured at all (then absent means zero). Otherwise the columns show a dash. */
bool ui_mta_known(const struct snapshot *s, const struct dest_view *d);
/* The link to d's detail page, percent-encoded. */
void ui_dest_href(struct buf *b, const char *domain);
/* A destination's "TLS policy" section (ui_tls.c); nothing when there is nothing to show. */
void ui_render_tls_policy(const struct dest_view *d, double now, struct buf *b);
/* A destination's "Transaction probe" section (ui_txn.c); nothing before its first one. */
void ui_render_txn(const struct dest_view *d, double now, struct buf *b);
/* The "Sending addresses" section (ui_sender.c): nothing when no address is checked. */
void ui_render_sender(struct buf *b, const struct snapshot *s);

#endif
