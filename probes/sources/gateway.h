/*
 * gateway.h - the "gateway" source: polls the XML status page (GET /xml/status) of the
 * commercial mail gateway appliances named in sources.gateways, each on its own interval,
 * over HTTPS with Basic auth, on the loop's libcurl multi handle (the daemon's, lent through
 * source_env). The body goes to gwxml while it arrives; each poll ends in an immutable gateway_view
 * handed to the store (store_set_gateways), so readers on other threads see whole polls only.
 *
 * Loop thread only, except the pure helpers at the end, which any thread (and the unit
 * tests) may call. Never blocks the loop (the password file is read at start and reload,
 * bounded, from a regular file only) and never logs or stores a password.
 */
#ifndef MXW_GATEWAY_H
#define MXW_GATEWAY_H

#include "source.h"

#include <stddef.h>

#define GATEWAY_STATUS_PATH  "/xml/status"
#define GATEWAY_PASSWORD_MAX 1024  /* bytes of a password file, trailing newline included */
#define GATEWAY_URL_MAX      512   /* the status page URL, terminator included */
#define GATEWAY_ADVISED_MS   60000 /* the vendor asks for no more than one poll a minute */

extern const struct source_ops gateway_source;

/* Why a poll failed: the reason="..." label of mxwatch_gateway_last_error_info and the
 * reason= field of the log line (docs/GATEWAYS.md explains each). */
enum gateway_reason {
    GW_OK = 0,
    GW_PASSWORD_FILE,   /* the password file cannot be read: no request was made */
    GW_CONNECT_FAILED,  /* name not resolved, connection refused or unreachable */
    GW_TLS_FAILED,      /* handshake or certificate verification failed */
    GW_TIMEOUT,         /* the whole poll took longer than the appliance's timeout */
    GW_CONNECTION_LOST, /* the connection broke, or closed before any answer */
    GW_PROTOCOL_ERROR,  /* the answer was not HTTP */
    GW_HTTP_401,        /* username or password refused */
    GW_HTTP_403,        /* the user may not read the page */
    GW_HTTP_5XX,
    GW_HTTP_STATUS,     /* any other status than 200, 3xx, 401, 403, 5xx */
    GW_REDIRECT,        /* 3xx: never followed */
    GW_NOT_STATUS_PAGE, /* HTML (a login page) or another XML document */
    GW_TRUNCATED,       /* the document or the body ended early, or was empty */
    GW_MALFORMED,       /* not well-formed XML, or entity declarations */
    GW_TOO_LARGE,       /* more than max_bytes */
    GW_TRANSFER_FAILED, /* any other libcurl failure */
    GW_LOCAL_ERROR,     /* out of memory and the like, on the agent's side */
    GW__COUNT
};

const char *gateway_reason_name(enum gateway_reason r);
/* The reason for an HTTP status code (GW_OK for 200). */
enum gateway_reason gateway_reason_of_http(long code);
/* The reason for a failed libcurl transfer (its CURLcode; GW_OK for CURLE_OK). */
enum gateway_reason gateway_reason_of_curl(int curl_code);
/* The reason for a gwxml error message (gwxml_parser_feed or _finish). */
enum gateway_reason gateway_reason_of_parse(const char *gwxml_err);

/* Reads a password from the regular file path into out[cap]: at most cap - 1 bytes after
 * trailing CR and LF characters are stripped. 0 ok; -1 with err filled (never with any
 * of the file's content) when the file cannot be opened, is not a regular file, is empty,
 * holds a NUL byte, or is longer than cap - 1 bytes before stripping. */
int gateway_read_password(const char *path, char *out, size_t cap, char *err, size_t errlen);

/* The status page URL of base ("https://host[:port]", an optional trailing '/') into
 * out[cap]. 0 ok; -1 with err filled when it does not fit. */
int gateway_status_url(const char *base, char *out, size_t cap, char *err, size_t errlen);

#endif
