/*
 * session.h: one SMTP conversation per accepted client of mxw-smtpd, in the behaviour its
 * listener's mode asks for (a well-behaved ESMTP server or one of the misbehaving ones).
 *
 * Interface only. listener.c hands each accepted socket to sess_accept(); main.c sets up the
 * shared struct sess_server and calls sess_close_all() at shutdown. One thread.
 */
#ifndef MXW_SMTPD_SESSION_H
#define MXW_SMTPD_SESSION_H

#include <stdint.h>
#include <sys/socket.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "evlog.h"
#include "loop.h"

struct session;

/* What every session shares; set up by main.c, read by sessions. */
struct sess_server {
    struct loop *loop;
    SSL_CTX *tls;         /* NULL: STARTTLS is not offered */
    const char *hostname; /* in banners and replies */
    struct evlog *log;    /* NULL: no event log */
    unsigned max_live;    /* sessions open at once; more are greeted with 421 and closed */
    unsigned live;        /* sessions open now */
    struct session *all;  /* every open session, so shutdown can close them */
    uint64_t next_id;     /* for the log's conn= and the queue id */
    uint64_t rng;         /* xorshift state for garbage mode; seeded by main.c, not 0 */
    /* greylist mode: hashes of the sender/recipient pairs seen, a ring of GREY_MAX */
#define GREY_MAX 4096
    uint64_t grey[GREY_MAX];
    int64_t grey_at[GREY_MAX]; /* when each pair was first tried, loop_now() scale */
    unsigned n_grey, next_grey;
};

/* Takes ownership of the accepted non-blocking socket fd from listener lc; the peer address
 * is for the log. Never fails towards the caller: every fault closes fd and is logged. */
void sess_accept(struct sess_server *srv, const struct conf_listener *lc, int fd,
                 const struct sockaddr *peer, socklen_t peerlen);

/* Closes every open session (shutdown), logging reason=shutdown. */
void sess_close_all(struct sess_server *srv);

#endif
