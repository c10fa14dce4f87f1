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

/* Binds the HTTP listener of cfg (web.listen_address), and nothing else: the one step that
 * may need root (a port below 1024), so the daemon can drop privileges right after it.
 * 0, or -1 with err. web_unlisten closes it if web_start never took it. Main thread. */
int web_listen(const struct config *cfg, char *err, size_t errlen);
void web_unlisten(void);
/* Serves on the bound listener (libmicrohttpd's thread), which it then owns. */
int web_start(const struct config *cfg, const struct http_actions *act, char *err, size_t errlen);
void web_stop(void);
/* What web_start would refuse in cfg's files (the web config file, the delivernow token file,
 * admin users who are not basic-auth users), checked and forgotten: check-config and every
 * reload run it. 0, or -1 with err. Any thread; reads files, starts nothing. */
int web_check(const struct config *cfg, char *err, size_t errlen);

/* Whether a Host header value is one of allowed (n entries: "name", "name:port",
 * "[v6]:port" or "*"; an entry without a port takes any). allowed NULL (no check) and host
 * NULL (HTTP/1.0 without Host) pass. Case-insensitive. Pure. */
bool web_host_allowed(const char *host, char *const *allowed, size_t n);

/* Whether an Accept-Encoding header value allows a gzip body (q-values honoured). Pure. */
bool web_accepts_gzip(const char *accept_encoding);

#endif
