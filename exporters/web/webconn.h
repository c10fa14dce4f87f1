/*
 * webconn.h - who may hold a connection to the HTTP server, and for how long before its
 * request header is complete. libmicrohttpd's own limits cannot keep a scrape going: its
 * per-address limit counts exact addresses (an IPv6 host owns a /64), its timeout is an idle
 * timeout that every byte resets (one header line every few seconds holds a slot for ever),
 * and at its total limit it stops accepting, so the scraper waits in the kernel's backlog
 * behind whoever filled the slots. So:
 *
 *   - libmicrohttpd's total limit sits above ours, so it always accepts and asks
 *     webconn_accept, which refuses (closes at once) a client key (an IPv4 address, or an IPv6
 *     /64) at its per-client limit, and past the total limit everyone but a client in good
 *     standing: one whose request completed within WEBCONN_STANDING_MS. Those get
 *     WEBCONN_RESERVE more slots, at most two each: a scraper's next connection gets in
 *     while slow or idle clients that never finish a request hold every ordinary slot;
 *   - a connection must complete each request header within the header deadline, counted
 *     from its start or from its previous response, not reset by the bytes that arrive; a
 *     reaper thread shuts the socket of one that does not (libmicrohttpd then closes it).
 *
 * Threads: webconn_start/webconn_stop on the main thread; the callbacks on libmicrohttpd's
 * thread; the reaper on its own. One lock guards the table of connections.
 */
#ifndef MXW_WEBCONN_H
#define MXW_WEBCONN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define WEBCONN_RESERVE       8 /* slots beyond the limit for good standing */
#define WEBCONN_RESERVE_EACH  2 /* of them, per client key */
#define WEBCONN_STANDING_MS   ((int64_t)10 * 60 * 1000) /* a completed request counts this long */
#define WEBCONN_STANDING_KEYS 64  /* client keys remembered in good standing */
#define WEBCONN_REAP_MS       200 /* how often the reaper looks */

struct webconn_limits {
    unsigned max_connections; /* web.max_connections */
    unsigned per_client;      /* web.max_connections_per_ip, per IPv4 address or IPv6 /64 */
    int64_t header_ms;        /* the header deadline (web.timeout) */
};

/* Starts the reaper. 0, or -1 with err. */
int webconn_start(const struct webconn_limits *l, char *err, size_t errlen);
/* Stops the reaper and forgets every connection (after libmicrohttpd has stopped). */
void webconn_stop(void);
/* The total for MHD_OPTION_CONNECTION_LIMIT: ours plus the reserve plus one, so that
 * libmicrohttpd never stops accepting before webconn_accept has decided. */
unsigned webconn_mhd_limit(void);

/* libmicrohttpd's accept policy (MHD_AcceptPolicyCallback) and connection notifier
 * (MHD_OPTION_NOTIFY_CONNECTION). */
enum MHD_Result webconn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void webconn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code);
/* A request's header is complete (its deadline no longer runs). */
void webconn_request_started(struct MHD_Connection *c);
/* Its response went out (ok: completely): the next header's deadline starts, and the
 * client is in good standing. */
void webconn_request_done(struct MHD_Connection *c, bool ok);

/* The client key of an address: IPv4 as is, IPv6 by its /64 (an IPv4-mapped IPv6 address
 * as the IPv4 one). false for other families. Pure. */
bool webconn_client_key(const struct sockaddr *sa, unsigned char key[8]);

#endif
