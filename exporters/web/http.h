/*
 * http.h - one HTTP exchange as the handlers see it: the request (method, path, body, who
 * is asking), the response they fill in, the helpers to read headers and arguments and to
 * answer an error, and the actions a handler may ask of the rest of the agent. The server
 * (web.c) builds the request, dispatches to a handler (routes.h) and sends the response.
 * HTTP thread; the types are plain data.
 */
#ifndef MXW_HTTP_H
#define MXW_HTTP_H

#include "buf.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define HTTP_BODY_MAX ((size_t)64 * 1024) /* request bodies (POST) larger than this are refused */

struct http_request {
    const char *method;
    const char *path; /* without the query string */
    const char *body; /* POST body, NUL-terminated, or NULL */
    size_t body_len;
    const char *user; /* authenticated basic-auth user, or NULL */
    bool auth_admin;  /* may use delivernow */
    void *conn;       /* the libmicrohttpd connection, for http_header() */
};

struct http_response {
    unsigned status;
    const char *content_type;
    struct buf body;
    bool no_gzip;            /* small or already-compressed bodies */
    char extra_headers[512]; /* "Name: value\n" lines */
};

/* Handlers: fill rs from rq and the snapshot (may be NULL before the first publish). */
typedef void http_handler(const struct http_request *rq, const struct snapshot *snap,
                          struct http_response *rs);

/* A request header (case-insensitive), or NULL. HTTP thread. */
const char *http_header(const struct http_request *rq, const char *name);
/* A query-string argument, or NULL. HTTP thread. */
const char *http_query(const struct http_request *rq, const char *name);
/* Convenience: a plain-text or JSON error body. */
void http_error(struct http_response *rs, unsigned status, const char *msg);
void http_add_header(struct http_response *rs, const char *name, const char *value);

/* What the HTTP thread may ask of the rest of the agent, given by the daemon (the web knows
 * nothing above the store). Each call hands the work to the loop and returns at once: 0, or
 * -1 when it could not be handed over. The outcome reaches readers through the snapshot. */
struct http_actions {
    int (*reload)(void *arg);
    /* Queues delivernow job `id` (jobs.h) for destination, or for all when NULL. */
    int (*delivernow)(void *arg, uint64_t id, const char *destination, const char *who);
    void *arg;
};

#endif
