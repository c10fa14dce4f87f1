/*
 * conn.c: moves bytes for one mxw-smtpd connection: reads into the fixed input buffer,
 * writes the growable (but capped) output queue, over plain TCP or OpenSSL (tls.c).
 *
 * Called by session.c on the program's only thread. The socket is non-blocking; nothing
 * here ever waits, and nothing logs: results come back as a conn_status.
 */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

#define CONN_OUT_FIRST 2048 /* first output allocation: a banner, an EHLO reply */

void conn_init(struct conn *c, int fd)
{
    c->io.fd = fd;
    c->io.events = 0;
    c->ssl = NULL;
    c->tls_want_in = c->tls_want_out = false;
    c->out = NULL;
    c->out_off = c->out_len = c->out_cap = 0;
    c->in_off = c->in_len = 0;
}

void conn_close(struct conn *c, bool rst)
{
    if (rst) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else if (c->ssl != NULL && SSL_is_init_finished(c->ssl)) {
        SSL_shutdown(c->ssl); /* one close_notify, best effort: the socket won't block */
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->io.fd);
    c->io.fd = -1;
    free(c->out);
    c->out = NULL;
}

size_t conn_pending(const struct conn *c)
{
    return c->out_len - c->out_off;
}

int conn_queue(struct conn *c, const void *p, size_t n)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (conn_pending(c) + n > CONN_OUT_MAX)
        return -1;
    if (c->out_len + n > c->out_cap) {
        if (c->out_off > 0) {
            memmove(c->out, c->out + c->out_off, conn_pending(c));
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        size_t cap = c->out_cap ? c->out_cap : CONN_OUT_FIRST;
        while (cap < c->out_len + n)
            cap *= 2;
        if (cap != c->out_cap) {
            char *nb = realloc(c->out, cap);
            if (nb == NULL)
                return -1;
            c->out = nb;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static enum conn_status from_tls(struct conn *c, enum tls_status st)
{
    c->tls_want_in = st == TLS_WANT_READ;
    c->tls_want_out = st == TLS_WANT_WRITE;
    switch (st) {
    case TLS_OK: return CONN_OK;
    case TLS_WANT_READ:
    case TLS_WANT_WRITE: return CONN_AGAIN;
    case TLS_EOF: return CONN_EOF;
    default: return CONN_ERR;
    }
}

/* One write of up to len bytes; *n is what went. */
static enum conn_status write_some(struct conn *c, const char *p, size_t len, size_t *n)
{
    if (c->ssl != NULL)
        return from_tls(c, tls_write(c->ssl, p, len, n));
    ssize_t w = send(c->io.fd, p, len, MSG_NOSIGNAL);
    if (w >= 0) {
        *n = (size_t)w;
        return CONN_OK;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_AGAIN;
    return CONN_ERR;
}

enum conn_status conn_flush(struct conn *c, size_t max)
{
    while (max > 0 && conn_pending(c) > 0) {
        size_t len = conn_pending(c) < max ? conn_pending(c) : max, n = 0;
        enum conn_status st = write_some(c, c->out + c->out_off, len, &n);
        if (st != CONN_OK)
            return st;
        c->out_off += n;
        max -= n;
        if (n < len && c->ssl == NULL)
            return CONN_AGAIN; /* the socket buffer is full */
    }
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    return CONN_OK;
}

enum conn_status conn_fill(struct conn *c)
{
    if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    size_t room = CONN_IN_CAP - c->in_len;
    if (c->ssl != NULL) {
        size_t n = 0;
        enum conn_status st = from_tls(c, tls_read(c->ssl, c->in + c->in_len, room, &n));
        c->in_len += n;
        return st;
    }
    ssize_t r = recv(c->io.fd, c->in + c->in_len, room, 0);
    if (r > 0) {
        c->in_len += (size_t)r;
        /* Level-triggered epoll reports anything that arrives later: skip the read that
         * would only say EAGAIN. */
        return (size_t)r < room ? CONN_SHORT : CONN_OK;
    }
    if (r == 0)
        return CONN_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_AGAIN;
    return CONN_ERR;
}

void conn_discard_input(struct conn *c)
{
    c->in_off = c->in_len = 0;
}

int conn_start_tls(struct conn *c, SSL_CTX *ctx, char *err, size_t errlen)
{
    c->ssl = tls_wrap(ctx, c->io.fd, err, errlen);
    return c->ssl != NULL ? 0 : -1;
}

enum conn_status conn_handshake(struct conn *c, char *err, size_t errlen)
{
    return from_tls(c, tls_accept(c->ssl, err, errlen));
}

uint32_t conn_interest(const struct conn *c, bool reading, bool writing)
{
    uint32_t ev = 0;
    if (reading || c->tls_want_in)
        ev |= EPOLLIN;
    if ((writing && conn_pending(c) > 0) || c->tls_want_out)
        ev |= EPOLLOUT;
    return ev;
}
