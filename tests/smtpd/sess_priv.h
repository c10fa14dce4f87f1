/*
 * sess_priv.h: what session.c (transport, timers, modes) and smtp.c (the SMTP dialogue) share
 * about one session: its state enum, its struct, and the few calls between the two files.
 *
 * Private to the session module; nothing else includes it. One thread.
 */
#ifndef MXW_SMTPD_SESS_PRIV_H
#define MXW_SMTPD_SESS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conn.h"
#include "loop.h"
#include "session.h"

#define SESS_LINE_MAX   1000        /* longest line, CRLF included (RFC 5321 4.5.3.1.6) */
#define SESS_OUT_HIGH   (64u << 10) /* stop reading commands while this much output waits */
#define SESS_OUT_LOW    (16u << 10) /* ... and resume below this */
#define SESS_MAX_RCPT   1000        /* recipients per transaction */
#define SESS_MAX_ERRORS 50          /* 5xx replies before the session is closed with 421 */
#define SESS_HDR_MAX    128         /* a logged header's value, cut */

enum sess_state {
    SS_DELAY,         /* delay mode: banner not sent yet; input is discarded */
    SS_GREETED,       /* banner sent (or TLS just began): HELO/EHLO expected */
    SS_READY,         /* HELO/EHLO done, no transaction */
    SS_MAIL,          /* MAIL accepted, no recipient yet */
    SS_RCPT,          /* at least one RCPT accepted */
    SS_DATA,          /* reading the message up to the lone dot */
    SS_TLS_START,     /* "220 Ready to start TLS" queued; handshake once it is sent */
    SS_TLS_HANDSHAKE, /* TLS handshake under way */
    SS_REFUSING,      /* 554 mode: 503 to everything but QUIT */
    SS_MUTE,          /* silent and noehlo modes, noquit after QUIT: commands are read and
                         logged, never answered */
    SS_NOT_TLS,       /* badtls mode after "220 Ready to start TLS": the first bytes (the
                         ClientHello) get one plain-text reply; all input is dropped */
    SS_GARBAGE,       /* garbage mode: sending random bytes; input is discarded */
    SS_CLOSING,       /* last reply queued; the session ends once it is sent */
};

/* Why a session ended: the one exit, sess_end(), logs it as reason=. */
enum sess_end {
    END_QUIT,     /* the client sent QUIT */
    END_EOF,      /* the client closed */
    END_IO,       /* reset by the peer, or a socket error */
    END_TLS,      /* the TLS handshake failed */
    END_IDLE,     /* idle= timeout */
    END_ERRORS,   /* too many bad commands */
    END_OVERFLOW, /* the client does not read its replies */
    END_GREETING, /* 421 mode: closed after the greeting */
    END_GARBAGE,  /* garbage mode: all bytes sent */
    END_SHUTDOWN, /* the server is stopping */
};

enum data_fault { DATA_FINE, DATA_TOO_BIG, DATA_LINE_TOO_LONG };

struct session {
    struct conn conn;
    struct loop_timer timer;
    struct sess_server *srv;
    const struct conf_listener *lc;
    struct session *prev, *next; /* srv->all */
    enum sess_state state;
    enum sess_end closing_why; /* set with SS_CLOSING */
    bool failed;               /* output overflow: end the session at the next check */
    bool tls, paused, overlong, pregreet;
    bool not_tls_said; /* badtls: the plain-text answer to the ClientHello is queued */
    uint64_t id;
    int64_t started_ms;
    int64_t last_active_ms; /* last byte moved either way */
    int64_t due_ms;         /* delay: banner time; garbage: next chunk; slow: next byte */
    size_t garbage_left;
    unsigned rcpts, errors;
    uint64_t msg_bytes; /* message size so far, after dot-unstuffing */
    enum data_fault data_fault;
    int last_code;      /* of the last reply, for the log; 0 when none was sent */
    uint64_t from_hash; /* of MAIL's argument, for greylist mode */
    bool in_headers;    /* DATA: before the blank line that ends the headers */
    char msgid[SESS_HDR_MAX], probe_hdr[SESS_HDR_MAX]; /* the message's headers, logged */
    char peer[64]; /* "addr:port", filled only when the log is on */
};

/* session.c */
void sess_reply(struct session *s, int code, const char *text);
void sess_replyf(struct session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sess_queue(struct session *s, const char *p, size_t n);
void sess_close_after(struct session *s, enum sess_end why);
void sess_log(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sess_banner(struct session *s);
/* The listener's banner= text, or NULL when it greets as usual. */
const char *sess_banner_text(const struct session *s);

/* smtp.c */
/* One complete line (CRLF removed), or a too-long one (line holds its tail). */
void smtp_line(struct session *s, const char *line, size_t len, bool too_long);
const char *smtp_strstate(enum sess_state st);

#endif
