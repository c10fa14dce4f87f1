/*
 * admin.h - the admin role on the web, and the delivernow endpoints that need it:
 *
 *   POST /api/v1/delivernow        {"destination": "example.com"} or {"all": true}
 *                                  -> 202 {"job": {...}} (Location: /api/v1/delivernow/ID)
 *   GET  /api/v1/delivernow/{id}   -> 200 {"job": {...}}: queued, running, done or failed
 *
 * Who may: nobody unless web.delivernow.enabled; then the basic-auth users named in
 * web.delivernow.admin_users (the one place the admin list lives) and whoever presents the
 * bearer token of web.delivernow.token_file (Authorization: Bearer ..., compared in
 * constant time; it also passes basic auth, since it is a credential of its own).
 * Cross-site request forgery: a POST needs Content-Type: application/json and the header
 * X-Mxwatch-Request (neither can be sent cross-site without a CORS preflight, which is
 * never granted), and a browser's Origin / Sec-Fetch-Site must say same origin.
 *
 * The lifecycle endpoint POST (or PUT) /-/reload, as in Prometheus: refused ("Lifecycle API
 * is not enabled") unless --web.enable-lifecycle; then, when basic-auth users or a token
 * are configured, only for the admin role. Cross-site: a browser's Origin / Sec-Fetch-Site
 * must say same origin, and a form body (the one kind a page can POST cross-site without
 * Origin on old browsers) is refused; no marker header and no Content-Type are asked for,
 * so `curl -X POST URL/-/reload` works as with Prometheus. Many requests make at most one
 * reload queued (the daemon folds them, agent/daemon.c).
 *
 * Why 202 and a job id rather than waiting for the result: a retry lists the whole queue
 * and runs one postqueue per deferred message, which can take far longer than an HTTP
 * client waits, and the HTTP thread serves every scrape. The handler does not even wait
 * for the loop to accept the job: it hands the job over (http_actions) and answers; a
 * request the loop refuses (no MTA, the same retry already queued, too many waiting)
 * shows as a failed job whose error says why.
 *
 * admin_configure runs on the main thread before the HTTP server starts; the rest on the
 * HTTP thread. Never keeps the token itself, only its SHA-256 digest.
 */
#ifndef MXW_ADMIN_H
#define MXW_ADMIN_H

#include "config.h"
#include "jobs.h"
#include "http.h"
#include "webauth.h"

#include <stdbool.h>

#define ADMIN_DELIVERNOW_PATH "/api/v1/delivernow"
#define ADMIN_JOB_PREFIX      "/api/v1/delivernow/"
#define ADMIN_REQUEST_HEADER  "X-Mxwatch-Request"
#define ADMIN_TOKEN_MIN       16   /* characters; shorter tokens are refused at start */
#define ADMIN_TOKEN_MAX       1024 /* bytes of the token file */

/* Copies the delivernow settings and the action that queues a job, reads the token file and
 * checks that every admin user is a basic-auth user of the web config (auth may be NULL: no
 * users). 0, or -1 with err. */
int admin_configure(const struct config *cfg, const struct webauth *auth,
                    const struct http_actions *act, char *err, size_t errlen);
void admin_reset(void);
/* The same checks as admin_configure, keeping nothing: for check-config and reloads. */
int admin_check(const struct config *cfg, const struct webauth *auth, char *err, size_t errlen);

/* Whether the request carries the configured bearer token. */
bool admin_bearer(const struct http_request *rq);
/* The token of an Authorization header "Bearer TOKEN" (scheme in any case, spaces before the
 * token skipped), or NULL for another scheme or no header. Pure. */
const char *admin_bearer_token(const char *authorization);
/* Sets rq->auth_admin for a basic-auth user in the admin list (the server sets it before
 * for a request with the bearer token). */
void admin_identify(struct http_request *rq);
/* Whether the page may offer Retry buttons to this reader. */
bool admin_may_retry(const struct http_request *rq);

/* The forgery checks of a POST, pure: 0 when it may proceed, else the status to answer
 * (403, or 415 for a body that is not JSON) with why filled in. host is the Host header;
 * origin and fetch_site may be NULL (clients that are not browsers send neither). */
unsigned admin_check_forgery(const char *content_type, const char *marker, const char *origin,
                             const char *fetch_site, const char *host, char *why, size_t cap);
/* The browser checks alone, pure: 0, or 403 with why when Origin or Sec-Fetch-Site says the
 * request comes from another site. Any may be NULL. */
unsigned admin_check_cross_site(const char *origin, const char *fetch_site, const char *host,
                                char *why, size_t cap);
/* The checks of a lifecycle POST, pure: the cross-site ones, and 415 for a form body. */
unsigned admin_check_lifecycle(const char *content_type, const char *origin, const char *fetch_site,
                               const char *host, char *why, size_t cap);
/* Parses {"destination": "name"} or {"all": true}: 0 with dest filled (all: dest empty),
 * or -1 with err. The name is lower-cased, one trailing dot dropped, and must be a valid
 * domain name. Pure. */
int admin_parse_request(const char *body, size_t len, char *dest, size_t cap, bool *all, char *err,
                        size_t errlen);
/* {"id":..,"state":..,...} of a job. Pure. */
void admin_render_job(struct buf *b, const struct delivernow_job *job);

#endif
