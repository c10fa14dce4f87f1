/*
 * web.h - the HTTP server (libmicrohttpd, its own internal epoll thread): routes requests
 * to handlers that read the state store's latest snapshot and never wait on the probes.
 * web_start/web_stop run on the main thread; handlers run on the HTTP thread.
 */
#ifndef MXW_WEB_H
#define MXW_WEB_H

#include "config.h"
#include "http.h"

#include <stdbool.h>
#include <stdint.h>

int web_start(const struct config *cfg, const struct http_actions *act, char *err, size_t errlen);
void web_stop(void);

/* Whether an Accept-Encoding header value allows a gzip body (q-values honoured). Pure. */
bool web_accepts_gzip(const char *accept_encoding);

/* Splits "host:port", "[v6]:port" or ":port" (host empty = every address). 0 or -1. */
int web_split_address(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
