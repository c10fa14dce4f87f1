/*
 * api.h - the JSON API (GET /api/v1/destinations, GET /api/v1/destinations/{domain}) and the
 * debug view of a destination (/debug/destinations/{domain}: its banners and last SMTP
 * conversation as text). Everything the agent knows about a destination, read from one
 * immutable snapshot; the handlers (routes.h) run on the HTTP thread, the render functions
 * on any thread (tests, bench). The schema is documented in docs/METRICS.md.
 */
#ifndef MXW_API_H
#define MXW_API_H

#include "buf.h"
#include "store.h"

#define API_LIST_PATH    "/api/v1/destinations"
#define API_DEST_PREFIX  "/api/v1/destinations/"
#define API_DEBUG_PREFIX "/debug/destinations/"

/* {"generation":..,"taken_at":..,"agent":{..},"destinations":[..]}: every destination
 * without its transcript and history (those are in the per-destination document).
 * Cost O(destinations + addresses). */
void api_render_list(const struct snapshot *s, struct buf *out);
/* One destination with everything, including the transcript and the history. */
void api_render_destination(const struct snapshot *s, const struct dest_view *d, struct buf *out);
/* The MX hosts with their addresses and per-address results as a JSON array (the "mx"
 * member of a destination), also used by `mxwatch probe --json`. */
void api_render_mx(struct buf *b, const struct mx_host *hosts, size_t n);
/* The debug text of one destination: status, every address's banner and EHLO reply, the
 * last SMTP conversation. */
void api_render_debug(const struct dest_view *d, struct buf *out);
/* The destination named by the last path segment (case-insensitive, one trailing dot
 * allowed), or NULL when the name is too long or unknown. */
const struct dest_view *api_find(const struct snapshot *s, const char *name);

#endif
