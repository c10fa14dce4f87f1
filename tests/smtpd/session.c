/*
 * session.c: the life of one mxw-smtpd client connection: greeting according to the
 * listener's mode, moving bytes between the socket and the SMTP dialogue (smtp.c), pacing
 * (slow mode), garbage, STARTTLS handshake (or badtls's plain-text answer to the ClientHello),
 * timers, and the one exit, sess_end().
 *
 * Called by listener.c (sess_accept), by the loop (socket events, timers) and by main.c
 * (sess_close_all), all on the one thread. It must never block and never let a client grow
 * a buffer past its stated bound: input lines stop at SESS_LINE_MAX, queued output at
 * SESS_OUT_HIGH (reading pauses) and CONN_OUT_MAX (the client is dropped).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sess_priv.h"
#include "tls.h"

#define GARBAGE_CHUNK    1024 /* bytes per garbage burst */
#define GARBAGE_EVERY_MS 100  /* between bursts */
#define HUGE_LINE        80   /* bytes per line of the huge greeting */

static const char *const end_names[] = {
    [END_QUIT] = "quit",         [END_EOF] = "eof",           [END_IO] = "io_error",
    [END_TLS] = "tls_error",     [END_IDLE] = "idle_timeout", [END_ERRORS] = "too_many_errors",
    [END_OVERFLOW] = "overflow", [END_GREETING] = "greeting", [END_GARBAGE] = "garbage_sent",
    [END_SHUTDOWN] = "shutdown",
};

static void on_io(struct loop *lp, struct loop_io *io, uint32_t events);
static void on_timer(struct loop *lp, struct loop_timer *t);

void sess_log(struct session *s, const char *fmt, ...)
{
    if (!evlog_on(s->srv->log))
        return;
    char body[EVLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    evlog_line(s->srv->log, "conn=%llu listener=%s mode=%s peer=%s %s", (unsigned long long)s->id,
               s->lc->name, conf_mode_name(s->lc->mode), s->peer, body);
}

void sess_queue(struct session *s, const char *p, size_t n)
{
    if (conn_queue(&s->conn, p, n) < 0)
        s->failed = true;
}

void sess_reply(struct session *s, int code, const char *text)
{
    char buf[SESS_LINE_MAX];
    int n = snprintf(buf, sizeof(buf), "%d %s\r\n", code, text);
    sess_queue(s, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    s->last_code = code;
}

void sess_replyf(struct session *s, int code, const char *fmt, ...)
{
    char text[SESS_LINE_MAX - 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sess_reply(s, code, text);
}

void sess_close_after(struct session *s, enum sess_end why)
{
    s->state = SS_CLOSING;
    s->closing_why = why;
}

const char *sess_banner_text(const struct session *s)
{
    return s->lc->banner[0] != '\0' ? s->lc->banner : NULL;
}

/* The greeting's final line, "220 ...\r\n", into buf; returns its length. */
static size_t banner_line(const struct session *s, char *buf, size_t len)
{
    const char *text = sess_banner_text(s);
    int n = text != NULL ? snprintf(buf, len, "220 %s\r\n", text)
                         : snprintf(buf, len, "220 %s ESMTP mxw-smtpd\r\n", s->srv->hostname);
    return (size_t)n < len ? (size_t)n : len - 1; /* conf bounds banner= and --hostname */
}

void sess_banner(struct session *s)
{
    char line[SESS_LINE_MAX];
    sess_queue(s, line, banner_line(s, line, sizeof(line)));
    s->last_code = 220;
}

/* The one exit: logs why, releases everything. The session is freed on return. */
static void sess_end(struct session *s, enum sess_end why)
{
    struct sess_server *srv = s->srv;
    sess_log(s, "event=close reason=%s state=%s tls=%d secs=%.3f", end_names[why],
             smtp_strstate(s->state), s->tls, (double)(loop_now(srv->loop) - s->started_ms) / 1e3);
    loop_timer_cancel(srv->loop, &s->timer);
    /* No loop_io_del(): closing the only descriptor of the socket takes it out of epoll,
     * and saves a system call per session. */
    conn_close(&s->conn, false);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        srv->all = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    srv->live--;
    free(s);
}

static bool paced(const struct session *s)
{
    return s->lc->mode == MODE_SLOW;
}

/* Whether the session reads from the socket now. */
static bool reading(const struct session *s)
{
    switch (s->state) {
    case SS_TLS_START:
    case SS_TLS_HANDSHAKE:
    case SS_CLOSING: return false;
    default: return !s->paused;
    }
}

/* badtls: what a server that never began TLS says to a ClientHello, once; the rest of the
 * client's TLS records are dropped unread. */
static void not_tls(struct session *s)
{
    size_t n = s->conn.in_len - s->conn.in_off;
    conn_discard_input(&s->conn);
    if (s->not_tls_said)
        return;
    s->not_tls_said = true;
    sess_log(s, "event=tls_hello bytes=%zu", n);
    sess_reply(s, 500, "5.5.2 Error: this is not TLS");
}

/* Takes the complete lines out of the input buffer, bounding each at SESS_LINE_MAX. */
static void consume(struct session *s)
{
    struct conn *c = &s->conn;
    while (c->in_off < c->in_len && !s->failed) {
        if (s->state == SS_DELAY || s->state == SS_GARBAGE) {
            s->pregreet |= s->state == SS_DELAY;
            conn_discard_input(c);
            return;
        }
        if (s->state == SS_NOT_TLS) {
            not_tls(s);
            return;
        }
        if (!reading(s))
            return;
        if (conn_pending(c) > SESS_OUT_HIGH) {
            if (!s->paused)
                sess_log(s, "event=paused queued=%zu", conn_pending(c));
            s->paused = true;
            return;
        }
        char *p = c->in + c->in_off;
        size_t avail = c->in_len - c->in_off;
        char *nl = memchr(p, '\n', avail);
        if (nl == NULL) {
            if (avail >= SESS_LINE_MAX) { /* drop it, and the rest up to the next LF */
                s->overlong = true;
                s->msg_bytes += s->state == SS_DATA ? avail : 0;
                c->in_off = c->in_len;
            }
            return;
        }
        size_t n = (size_t)(nl - p) + 1, len = n - 1;
        c->in_off += n;
        bool too_long = s->overlong || n > SESS_LINE_MAX;
        s->overlong = false;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        smtp_line(s, p, len, too_long);
    }
}

/* Reads and handles input until the socket has no more or the session stops reading.
 * -1 when the session ended. */
static int pump(struct session *s)
{
    for (;;) {
        consume(s);
        if (s->failed) {
            sess_end(s, END_OVERFLOW);
            return -1;
        }
        if (!reading(s))
            return 0;
        enum conn_status st = conn_fill(&s->conn);
        switch (st) {
        case CONN_OK: break;
        case CONN_SHORT:
            consume(s);
            if (!s->failed)
                return 0;
            sess_end(s, END_OVERFLOW);
            return -1;
        case CONN_AGAIN: return 0;
        case CONN_EOF:
            /* Replies to what came with the EOF still go out before we close. */
            if (conn_pending(&s->conn) > 0 && s->state != SS_MUTE) {
                sess_close_after(s, END_EOF);
                return 0;
            }
            sess_end(s, END_EOF);
            return -1;
        case CONN_ERR: sess_end(s, END_IO); return -1;
        }
    }
}

static int begin_tls(struct session *s)
{
    char err[256];
    if (conn_start_tls(&s->conn, s->srv->tls, err, sizeof(err)) < 0) {
        sess_log(s, "event=tls_error error=\"%s\"", err);
        sess_end(s, END_TLS);
        return -1;
    }
    s->state = SS_TLS_HANDSHAKE;
    return 0;
}

/* Sends what may go now, then moves on from states that wait for the output to drain.
 * -1 when the session ended. */
static int drain(struct session *s)
{
    if (s->failed) {
        sess_end(s, END_OVERFLOW);
        return -1;
    }
    if (!paced(s)) {
        enum conn_status st = conn_flush(&s->conn, SIZE_MAX);
        if (st == CONN_ERR || st == CONN_EOF) {
            sess_end(s, END_IO);
            return -1;
        }
    }
    if (conn_pending(&s->conn) > 0)
        return 0;
    if (s->state == SS_CLOSING) {
        sess_end(s, s->closing_why);
        return -1;
    }
    return s->state == SS_TLS_START ? begin_tls(s) : 0;
}

/* One handshake step; -1 when the session ended. */
static int handshake(struct session *s)
{
    char err[256];
    switch (conn_handshake(&s->conn, err, sizeof(err))) {
    case CONN_OK:
        s->tls = true;
        s->state = SS_GREETED; /* RFC 3207: the client must say EHLO again */
        sess_log(s, "event=tls version=%s cipher=%s", tls_version(s->conn.ssl),
                 tls_cipher(s->conn.ssl));
        return 0;
    case CONN_AGAIN: return 0;
    default:
        sess_log(s, "event=tls_error error=\"%s\"", err);
        sess_end(s, END_TLS);
        return -1;
    }
}

/* The earliest moment the timer must look at this session. */
static int64_t next_due(const struct session *s)
{
    int64_t t = s->last_active_ms + s->lc->idle_ms;
    bool waiting =
        s->state == SS_DELAY || s->state == SS_GARBAGE || (paced(s) && conn_pending(&s->conn) > 0);
    return waiting && s->due_ms < t ? s->due_ms : t;
}

/* Registers the interest and the deadline the session needs now. */
static void settle(struct session *s)
{
    bool want_out = !paced(s) && s->state != SS_TLS_HANDSHAKE;
    if (loop_io_set(s->srv->loop, &s->conn.io, conn_interest(&s->conn, reading(s), want_out)) < 0) {
        sess_end(s, END_IO);
        return;
    }
    int64_t due = next_due(s);
    /* Later deadlines are left alone: the timer re-arms itself when it fires early. */
    if (s->timer.slot == LOOP_UNARMED || due < s->timer.when_ms)
        if (loop_timer_arm(s->srv->loop, &s->timer, due) < 0)
            sess_end(s, END_IO);
}

/* Runs the session until it must wait for the socket or a timer. */
static void drive(struct session *s)
{
    for (;;) {
        if (s->state == SS_TLS_HANDSHAKE) {
            if (handshake(s) < 0)
                return;
            if (s->state == SS_TLS_HANDSHAKE)
                break;
        }
        if (pump(s) < 0 || drain(s) < 0)
            return;
        if (s->state == SS_TLS_HANDSHAKE)
            continue;
        if (!s->paused || conn_pending(&s->conn) >= SESS_OUT_LOW)
            break;
        s->paused = false;
    }
    settle(s);
}

static void on_io(struct loop *lp, struct loop_io *io, uint32_t events)
{
    struct session *s = io->data;
    s->last_active_ms = loop_now(lp);
    /* A hang-up while we do not read would be reported again and again; while we read,
     * recv() tells the same more precisely. */
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
        sess_end(s, END_IO);
        return;
    }
    drive(s);
}

/* Idle for idle=: a well-behaved server says 421 (best effort) before it closes; the
 * misbehaving modes, and a client that does not read, just lose the connection. */
static void idle_timeout(struct session *s)
{
    bool talks = !paced(s) && s->state != SS_MUTE && s->state != SS_GARBAGE &&
                 s->state != SS_CLOSING && s->state != SS_TLS_HANDSHAKE && s->state != SS_NOT_TLS;
    if (talks) {
        sess_replyf(s, 421, "4.4.2 %s Error: timeout exceeded", s->srv->hostname);
        conn_flush(&s->conn, SIZE_MAX);
    }
    sess_end(s, END_IDLE);
}

static uint64_t rng_next(struct sess_server *srv)
{
    uint64_t x = srv->rng; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    srv->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* One burst of random bytes, with NULs and never a CR or LF, so no client can read a line
 * out of it; the last burst closes the session. */
static void garbage_burst(struct session *s, int64_t now)
{
    s->due_ms = now + GARBAGE_EVERY_MS;
    if (conn_pending(&s->conn) > 0)
        return; /* the client is not reading: no point queueing more */
    char buf[GARBAGE_CHUNK];
    size_t n = s->garbage_left < sizeof(buf) ? s->garbage_left : sizeof(buf);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)(rng_next(s->srv) >> 56);
        buf[i] = b == '\r' || b == '\n' || i % 64 == 0 ? '\0' : (char)b;
    }
    sess_queue(s, buf, n);
    s->garbage_left -= n;
    if (s->garbage_left == 0)
        sess_close_after(s, END_GARBAGE);
}

/* The size= byte greeting: "220-" lines of HUGE_LINE bytes (the last one longer, to land
 * on the exact size), then the usual banner as the final "220 " line. */
static void huge_greeting(struct session *s)
{
    char fin[SESS_LINE_MAX];
    size_t fl = banner_line(s, fin, sizeof(fin));
    size_t left = s->lc->huge_size - fl; /* conf: size >= 1024 > a banner */
    char line[2 * HUGE_LINE];
    for (unsigned no = 1; left > 0; no++) {
        size_t n = left >= 2 * HUGE_LINE ? HUGE_LINE : left;
        int h = snprintf(line, sizeof(line), "220-mxw-smtpd huge greeting line %06u ", no);
        memset(line + h, 'x', n - 2 - (size_t)h);
        memcpy(line + n - 2, "\r\n", 2);
        sess_queue(s, line, n);
        left -= n;
    }
    sess_queue(s, fin, fl);
    s->last_code = 220;
}

static void on_timer(struct loop *lp, struct loop_timer *t)
{
    struct session *s = t->data;
    int64_t now = loop_now(lp);
    if (now >= s->last_active_ms + s->lc->idle_ms) {
        idle_timeout(s);
        return;
    }
    if (now >= s->due_ms) {
        if (s->state == SS_DELAY) {
            sess_banner(s);
            s->state = SS_GREETED;
            if (s->pregreet)
                sess_log(s, "event=pregreet");
        } else if (s->state == SS_GARBAGE) {
            garbage_burst(s, now);
        } else if (paced(s) && conn_pending(&s->conn) > 0) {
            if (conn_flush(&s->conn, 1) == CONN_ERR) {
                sess_end(s, END_IO);
                return;
            }
            s->due_ms = now + s->lc->interval_ms;
            s->last_active_ms = now;
        }
    }
    drive(s);
}

static void greet(struct session *s)
{
    int64_t now = loop_now(s->srv->loop);
    const char *host = s->srv->hostname;
    switch (s->lc->mode) {
    case MODE_OK:
    case MODE_RCPT5XX:
    case MODE_RCPT4XX:
    case MODE_MAIL4XX:
    case MODE_MAIL5XX:
    case MODE_GREYLIST:
    case MODE_NOQUIT:
    case MODE_BADTLS:
    case MODE_SLOW:
        s->due_ms = now; /* slow: the first byte goes at once */
        sess_banner(s);
        s->state = SS_GREETED;
        break;
    case MODE_DELAY:
        s->due_ms = now + s->lc->delay_ms;
        s->state = SS_DELAY;
        break;
    case MODE_421:
        sess_replyf(s, 421, "4.3.2 %s service not available, try later", host);
        sess_close_after(s, END_GREETING);
        break;
    case MODE_554:
        sess_replyf(s, 554, "5.7.1 %s no SMTP service here", host);
        s->state = SS_REFUSING;
        break;
    case MODE_GARBAGE:
        s->garbage_left = s->lc->garbage_size;
        s->state = SS_GARBAGE;
        garbage_burst(s, now);
        break;
    case MODE_HUGE:
        huge_greeting(s);
        s->state = SS_GREETED;
        break;
    case MODE_NOEHLO: sess_banner(s); /* fall through */
    case MODE_SILENT:
    case MODE_RESET:   /* turned away before a session exists */
    case MODE_BACKLOG: /* never accepted */
    case MODE_COUNT: s->state = SS_MUTE; break;
    }
}

static void format_peer(char *buf, size_t len, const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
    }
}

/* Connections that get no session: reset mode, and those over --max-conns. */
static void turn_away(struct sess_server *srv, const struct conf_listener *lc, int fd,
                      const char *peer)
{
    unsigned long long id = (unsigned long long)++srv->next_id;
    const char *why = "reset";
    if (lc->mode == MODE_RESET) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else {
        char msg[SESS_LINE_MAX];
        int n = snprintf(msg, sizeof(msg), "421 4.7.0 %s Error: too many connections\r\n",
                         srv->hostname);
        ssize_t w = send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* best effort: the client gets the 421 or just the close */
        why = "max_conns";
    }
    close(fd);
    evlog_line(srv->log, "conn=%llu listener=%s mode=%s peer=%s event=connect", id, lc->name,
               conf_mode_name(lc->mode), peer);
    evlog_line(srv->log, "conn=%llu listener=%s mode=%s peer=%s event=close reason=%s", id,
               lc->name, conf_mode_name(lc->mode), peer, why);
}

void sess_accept(struct sess_server *srv, const struct conf_listener *lc, int fd,
                 const struct sockaddr *peer, socklen_t peerlen)
{
    (void)peerlen;
    char peername[64] = "";
    if (evlog_on(srv->log))
        format_peer(peername, sizeof(peername), peer);
    if (lc->mode == MODE_RESET || srv->live >= srv->max_live) {
        turn_away(srv, lc, fd, peername);
        return;
    }
    struct session *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(fd);
        return;
    }
    s->srv = srv;
    s->lc = lc;
    s->id = ++srv->next_id;
    s->started_ms = s->last_active_ms = loop_now(srv->loop);
    memcpy(s->peer, peername, sizeof(peername));
    conn_init(&s->conn, fd);
    s->conn.io.proc = on_io;
    s->conn.io.data = s;
    s->timer = (struct loop_timer){.slot = LOOP_UNARMED, .proc = on_timer, .data = s};
    if (loop_io_add(srv->loop, &s->conn.io, EPOLLIN) < 0) {
        close(fd);
        free(s);
        return;
    }
    s->next = srv->all;
    if (srv->all != NULL)
        srv->all->prev = s;
    srv->all = s;
    srv->live++;
    sess_log(s, "event=connect");
    greet(s);
    if (drain(s) == 0) /* the client has said nothing yet: no read */
        settle(s);
}

void sess_close_all(struct sess_server *srv)
{
    while (srv->all != NULL)
        sess_end(srv->all, END_SHUTDOWN);
}
