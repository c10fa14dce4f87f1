/*
 * webauth.h - the web configuration file in the Prometheus exporter-toolkit format
 * (--web.config.file): TLS certificate and key, basic-auth users with bcrypt hashes, extra
 * response headers. Loaded on the main thread at start; read on the HTTP thread afterwards
 * (only the cache of verified credentials changes, under its own lock).
 *
 *   tls_server_config:
 *     cert_file: FILE        # relative paths are relative to the web config file
 *     key_file: FILE         # (or cert: / key: with the PEM inline)
 *     min_version: TLS12     # TLS10..TLS13; default TLS12, as in the toolkit
 *     max_version: TLS13
 *   http_server_config:
 *     headers: { Strict-Transport-Security: max-age=31536000 }
 *   basic_auth_users: { alice: $2y$10$... }   # bcrypt only
 *
 * Who among the users may use delivernow is said in the main configuration
 * (web.delivernow.admin_users, exporters/web/admin.h), not here.
 *
 * Settings mxwatch cannot honour (client certificates, cipher and curve lists) are refused
 * with an error rather than ignored, so nobody believes a protection is on when it is not.
 */
#ifndef MXW_WEBAUTH_H
#define MXW_WEBAUTH_H

#include "http.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

#define WEBAUTH_USERS_MAX       256
#define WEBAUTH_HEADERS_MAX     16
#define WEBAUTH_FILE_MAX        (1u << 20) /* the config file and each PEM file */
#define WEBAUTH_TLS_OPTIONS_MAX 4          /* slots webauth_tls_options fills */
#define WEBAUTH_CACHE_SLOTS     32         /* credentials remembered after a bcrypt check */
/* Failed checks of a client address (IPv6: its /64) are counted over a window; a client
 * with more waits behind those with fewer for its next bcrypt check (authq.h), so guessing
 * cannot crowd out others, yet a right password is never refused for it. */
#define WEBAUTH_THROTTLE_WINDOW_MS 10000
#define WEBAUTH_THROTTLE_SLOTS     64

struct webauth;

/* Loads and validates path. NULL with err filled in ("FILE:LINE: what") on any fault. */
struct webauth *webauth_load(const char *path, char *err, size_t errlen);
/* The same for the file's text (len bytes) already read; path names it in errors and is
 * where relative PEM file names are looked up. */
struct webauth *webauth_parse(const char *path, const char *text, size_t len, char *err,
                              size_t errlen);
void webauth_free(struct webauth *a);
/* Whether TLS is configured (false for a == NULL). */
bool webauth_tls(const struct webauth *a);
/* Number of basic-auth users (0 for a == NULL: no authentication). */
size_t webauth_users(const struct webauth *a);
/* Whether name is one of them (false for a == NULL). */
bool webauth_has_user(const struct webauth *a, const char *name);
/* Fills opts (WEBAUTH_TLS_OPTIONS_MAX slots) with the TLS options for MHD_OPTION_ARRAY,
 * ending with MHD_OPTION_END; a == NULL or no TLS gives just the end marker. The option
 * values point into a, which must outlive the daemon. */
void webauth_tls_options(const struct webauth *a, struct MHD_OptionItem *opts);
/* Adds the configured http_server_config headers to a response. */
void webauth_add_headers(const struct webauth *a, struct MHD_Response *r);
/* The cheap part of checking a request's credentials (user NULL: none given), on the
 * HTTP thread: WEBAUTH_PASS (no users, or remembered credentials: p->user is the user,
 * NULL without users), WEBAUTH_FAIL (no credentials), or WEBAUTH_CHECK: the password must
 * go through bcrypt against p->hash (off this thread: authq.h), p->fails saying how often
 * the client failed lately; then webauth_finish. A bcrypt check costs tens of
 * milliseconds, so good credentials are remembered (a SHA-256 digest of user, password and
 * hash, never the password); a request without credentials costs none. */
enum webauth_verdict { WEBAUTH_PASS, WEBAUTH_FAIL, WEBAUTH_CHECK };
struct webauth_pending {
    const char *user; /* the webauth's copy of the name, NULL for an unknown user */
    const char *hash; /* the user's hash (an unknown user: the first one, same cost) */
    bool known;
    unsigned fails;           /* the client's recent failures */
    unsigned char key[8];     /* the client address (its /64 for IPv6), zero if unknown */
    unsigned char digest[32]; /* of the credentials, remembered when they pass */
};
enum webauth_verdict webauth_begin(const struct webauth *a, const char *user, const char *password,
                                   const struct sockaddr *client, struct webauth_pending *p);
/* Records the outcome of the bcrypt check (remembered, or counted as the client's failure)
 * and returns whether the request passes. Any thread. */
bool webauth_finish(const struct webauth *a, struct webauth_pending *p, bool password_ok);
/* The whole decision at once, bcrypt inline: for tests. */
bool webauth_check_credentials(const struct webauth *a, const char *user, const char *password,
                               const struct sockaddr *client, const char **user_out);
/* Fills rs with the 401 and its challenge. */
void webauth_refuse(struct http_response *rs);
/* Verifies a password against a crypt(3) hash (bcrypt and the other libxcrypt methods),
 * comparing in constant time. Any thread. */
bool webauth_verify_password(const char *password, const char *hash);

#endif
