/*
 * listener.c: binds one listening TCP socket per --listen of mxw-smtpd and accepts on it,
 * passing each client to sess_accept() with the listener's settings.
 *
 * Called by main.c (open, close) and by the loop (accept), on the one thread. Accepting
 * never blocks; when the process runs out of descriptors the listener pauses for a moment
 * instead of spinning on a level-triggered event it cannot clear.
 */
#include "listener.h"

#include <errno.h>
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

struct lsn {
    struct loop_io io;
    struct loop_timer resume;
    const struct conf_listener *lc;
    struct sess_server *srv;
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

static int bind_listen(const struct conf_listener *lc, char *err, size_t errlen)
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
    if (bind(fd, (const struct sockaddr *)&lc->addr, lc->addrlen) < 0 ||
        listen(fd, LSN_BACKLOG) < 0) {
        snprintf(err, errlen, "--listen %s: %s", lc->name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct lsn *lsn_open(const struct conf_listener *lc, struct sess_server *srv, char *err,
                     size_t errlen)
{
    struct lsn *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errlen, "--listen %s: out of memory", lc->name);
        return NULL;
    }
    l->io.fd = bind_listen(lc, err, errlen);
    if (l->io.fd < 0) {
        free(l);
        return NULL;
    }
    l->lc = lc;
    l->srv = srv;
    l->io.proc = on_accept;
    l->io.data = l;
    l->resume = (struct loop_timer){.slot = LOOP_UNARMED, .proc = on_resume, .data = l};
    if (loop_io_add(srv->loop, &l->io, EPOLLIN) < 0) {
        snprintf(err, errlen, "--listen %s: epoll: %s", lc->name, strerror(errno));
        close(l->io.fd);
        free(l);
        return NULL;
    }
    return l;
}

void lsn_close(struct lsn *l)
{
    if (l == NULL)
        return;
    loop_timer_cancel(l->srv->loop, &l->resume);
    loop_io_del(l->srv->loop, &l->io);
    close(l->io.fd);
    free(l);
}
