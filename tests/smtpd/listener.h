/*
 * listener.h: the listening sockets of mxw-smtpd, one per --listen, each handing accepted
 * clients to the session module with its mode.
 *
 * Interface only. Used by main.c at start-up and shutdown, on the one thread.
 */
#ifndef MXW_SMTPD_LISTENER_H
#define MXW_SMTPD_LISTENER_H

#include <stddef.h>

#include "conf.h"
#include "session.h"

struct lsn;

/* Binds and listens on lc->addr and registers with srv->loop. NULL with err naming the
 * listener on failure. lc and srv must outlive the listener. */
struct lsn *lsn_open(const struct conf_listener *lc, struct sess_server *srv, char *err,
                     size_t errlen);
void lsn_close(struct lsn *l);

#endif
