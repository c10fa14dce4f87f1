/*
 * listener.c: binds one listening TCP socket per --listen of mxw-smtpd and accepts on it,
 * passing each client to sess_accept() with the listener's settings; a backlog-mode listener
 * instead never accepts and keeps its accept queue full.
 *
 * Called by main.c (open, close) and by the loop (accept), on the one thread. Accepting
 * never blocks; when the process runs out of descriptors the listener pauses for a moment
 * instead of spinning on a level-triggered event it cannot clear.
 */
#include "listener.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

#define LSN_BACKLOG      4096
#define LSN_ACCEPT_BATCH 64  /* accepts per event, so other clients get their turn */
#define LSN_PAUSE_MS     100 /* back-off after EMFILE/ENFILE */
#define LSN_FILLERS      4   /* backlog mode: connections of our own that fill the queue */

struct lsn {
    struct loop_io io;
    struct loop_timer resume;
    const struct conf_listener *lc;
    struct sess_server *srv;
    int fillers[LSN_FILLERS]; /* backlog mode; -1 when unused */
};

static void on_accept(struct loop *lp, struct loop_io *io, uint32_t events)
{
    (void)events;
    struct lsn *l = io->data;
    for (int i = 0; i < LSN_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            /* Replies and TLS records go out at once: with Nagle, a reply written in two
             * parts waits for the client's delayed ACK (40 ms on Linux). */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            sess_accept(l->srv, l->lc, fd, (struct sockaddr *)&peer, plen);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            loop_io_set(lp, io, 0);
            loop_timer_arm(lp, &l->resume, loop_now(lp) + LSN_PAUSE_MS);
        }
        if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
            return; /* EAGAIN: all taken */
    }
}

static void on_resume(struct loop *lp, struct loop_timer *t)
{
    struct lsn *l = t->data;
    loop_io_set(lp, &l->io, EPOLLIN);
}

static int bind_listen(const struct conf_listener *lc, int backlog, char *err, size_t errlen)
{
    int fd = socket(lc->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "--listen %s: socket: %s", lc->name, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lc->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&lc->addr, lc->addrlen) < 0 || listen(fd, backlog) < 0) {
        snprintf(err, errlen, "--listen %s: %s", lc->name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* backlog mode: listen(fd, 0) queues one connection and nobody accepts it, so the first
 * filler fills the queue and every later SYN, the other fillers' and the clients', is dropped:
 * those connects stay SYN-SENT and time out, as towards an overloaded host. */
static int fill_queue(struct lsn *l, char *err, size_t errlen)
{
    const struct conf_listener *lc = l->lc;
    for (int i = 0; i < LSN_FILLERS; i++) {
        int fd = socket(lc->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        l->fillers[i] = fd;
        if (fd < 0 || (connect(fd, (const struct sockaddr *)&lc->addr, lc->addrlen) < 0 &&
                       errno != EINPROGRESS)) {
            snprintf(err, errlen, "--listen %s: filling the queue: %s", lc->name, strerror(errno));
            return -1;
        }
    }
    evlog_line(l->srv->log, "listener=%s mode=%s event=queue_full fillers=%d", lc->name,
               conf_mode_name(lc->mode), LSN_FILLERS);
    return 0;
}

struct lsn *lsn_open(const struct conf_listener *lc, struct sess_server *srv, char *err,
                     size_t errlen)
{
    struct lsn *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errlen, "--listen %s: out of memory", lc->name);
        return NULL;
    }
    l->lc = lc;
    l->srv = srv;
    l->io.proc = on_accept;
    l->io.data = l;
    l->resume = (struct loop_timer){.slot = LOOP_UNARMED, .proc = on_resume, .data = l};
    for (int i = 0; i < LSN_FILLERS; i++)
        l->fillers[i] = -1;
    bool backlog = lc->mode == MODE_BACKLOG;
    l->io.fd = bind_listen(lc, backlog ? 0 : LSN_BACKLOG, err, errlen);
    if (l->io.fd < 0) {
        free(l);
        return NULL;
    }
    int rc = backlog ? fill_queue(l, err, errlen) : loop_io_add(srv->loop, &l->io, EPOLLIN);
    if (rc < 0) {
        if (!backlog)
            snprintf(err, errlen, "--listen %s: epoll: %s", lc->name, strerror(errno));
        lsn_close(l);
        return NULL;
    }
    return l;
}

void lsn_close(struct lsn *l)
{
    if (l == NULL)
        return;
    loop_timer_cancel(l->srv->loop, &l->resume);
    loop_io_del(l->srv->loop, &l->io); /* harmless for a backlog listener, never added */
    close(l->io.fd);
    for (int i = 0; i < LSN_FILLERS; i++)
        if (l->fillers[i] >= 0)
            close(l->fillers[i]);
    free(l);
}
