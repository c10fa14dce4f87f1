/*
 * webauth.h - the web configuration file in the Prometheus exporter-toolkit format
 * (--web.config.file): TLS certificate and key, and basic-auth users with bcrypt hashes.
 * Loaded on the main thread at start; checked on the HTTP thread (read-only afterwards).
 *
 *   tls_server_config: { cert_file: FILE, key_file: FILE }
 *   basic_auth_users: { alice: $2y$10$... }
 *   mxwatch_admin_users: [ alice ]      # who may use delivernow (mxwatch's own key)
 */
#ifndef MXW_WEBAUTH_H
#define MXW_WEBAUTH_H

#include "web.h"

#include <microhttpd.h>
#include <stdbool.h>

struct webauth;

struct webauth *webauth_load(const char *path, char *err, size_t errlen);
void webauth_free(struct webauth *a);
bool webauth_tls(const struct webauth *a);
/* Fills opts (3 slots) with the TLS options for MHD_OPTION_ARRAY, ending with MHD_OPTION_END;
 * a == NULL or no TLS gives just the end marker. */
void webauth_tls_options(const struct webauth *a, struct MHD_OptionItem *opts);
/* Checks the request's credentials. Returns true and sets rq->user / rq->auth_admin when
 * they are good (or none are required); false with a 401 in rs otherwise. HTTP thread. */
bool webauth_check(const struct webauth *a, struct MHD_Connection *c, struct web_request *rq,
                   struct web_response *rs);
/* Verifies a password against a crypt(3) hash (bcrypt and the other libxcrypt methods),
 * comparing in constant time. Any thread. */
bool webauth_verify_password(const char *password, const char *hash);

#endif
