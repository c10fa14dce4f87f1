/*
 * web.h - the HTTP server (libmicrohttpd, its own internal epoll thread): routes requests
 * to handlers that read the state store's latest snapshot and never wait on the probes.
 * web_start/web_stop run on the main thread; handlers run on the HTTP thread.
 */
#ifndef MXW_WEB_H
#define MXW_WEB_H

#include "buf.h"
#include "config.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define WEB_BODY_MAX (64 * 1024) /* request bodies (POST) larger than this are refused */

struct web_request {
    const char *method;
    const char *path; /* without the query string */
    const char *body; /* POST body, NUL-terminated, or NULL */
    size_t body_len;
    const char *user; /* authenticated basic-auth user, or NULL */
    bool auth_admin;  /* may use delivernow */
    void *conn;       /* the libmicrohttpd connection, for web_header() */
};

struct web_response {
    unsigned status;
    const char *content_type;
    struct buf body;
    bool no_gzip;            /* small or already-compressed bodies */
    char extra_headers[512]; /* "Name: value\n" lines */
};

/* Handlers: fill rs from rq and the snapshot (may be NULL before the first publish). */
typedef void web_handler(const struct web_request *rq, const struct snapshot *snap,
                         struct web_response *rs);

/* A request header (case-insensitive), or NULL. HTTP thread. */
const char *web_header(const struct web_request *rq, const char *name);
/* A query-string argument, or NULL. HTTP thread. */
const char *web_query(const struct web_request *rq, const char *name);
/* Convenience: a plain-text or JSON error body. */
void web_error(struct web_response *rs, unsigned status, const char *msg);
void web_add_header(struct web_response *rs, const char *name, const char *value);

/* What the HTTP thread may ask of the rest of the agent, given by the daemon (the web knows
 * nothing above the store). Each call hands the work to the loop and returns at once: 0, or
 * -1 when it could not be handed over. The outcome reaches readers through the snapshot. */
struct web_actions {
    int (*reload)(void *arg);
    /* Queues delivernow job `id` (jobs.h) for destination, or for all when NULL. */
    int (*delivernow)(void *arg, uint64_t id, const char *destination, const char *who);
    void *arg;
};

int web_start(const struct config *cfg, const struct web_actions *act, char *err, size_t errlen);
void web_stop(void);

/* Whether an Accept-Encoding header value allows a gzip body (q-values honoured). Pure. */
bool web_accepts_gzip(const char *accept_encoding);

/* Splits "host:port", "[v6]:port" or ":port" (host empty = every address). 0 or -1. */
int web_split_address(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
