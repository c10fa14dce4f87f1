/* pflog: a parser for one Postfix mail-log line, turning delivery-status lines into events.
 *
 * Pure and reentrant: no allocation, no I/O, no global state, so any thread may call it
 * (the Postfix log source calls it on the loop thread for every line it reads). It never
 * reads past `len` and never writes past the fixed buffers of `struct pflog_event`.
 * It must never be used to decide anything about a line beyond its return value: lines
 * are outside data, and a malformed line only ever yields -1.
 *
 * Accepted line shapes (the part before the program tag is not interpreted, so every
 * timestamp style works): traditional syslog `Nov 29 16:37:52 host postfix/smtp[123]: `,
 * RFC 3339 `2026-11-29T16:37:52.123456+00:00 host postfix/smtp[123]: `, and Postfix's own
 * `maillog_file` (postlogd in Postfix 3.7 writes `Nov 09 16:37:52 host postfix/smtp[123]: `:
 * strftime "%b %d %H:%M:%S", day zero-padded, no year or fraction, host = first label of
 * myhostname).
 * The tag is `NAME/.../SERVICE[PID]`, so multi-instance names (`postfix-out/smtp`) and
 * per-service names (`postfix/submission/smtpd`) work; a tag without `/` is not Postfix.
 */
#ifndef MXW_PFLOG_H
#define MXW_PFLOG_H

#include <stddef.h>

enum pflog_kind {
    PFLOG_NONE,
    PFLOG_SENT,     /* a recipient delivered (status=sent) */
    PFLOG_DEFERRED, /* a soft bounce: one failed attempt for a recipient */
    PFLOG_BOUNCED,  /* a hard bounce of a recipient */
    PFLOG_EXPIRED,  /* status=expired: the qmgr line is per message (see pflog.c) */
    PFLOG_REMOVED,  /* postsuper deleted a message (queue_id and service only) */
    PFLOG_CONNFAIL, /* `connect to HOST[ADDR]:PORT: REASON`: one failed outbound connection
                       (smtp, lmtp); no queue id: the next status line of the same pid names
                       the delivery it belongs to */
};

enum pflog_hard_class {
    PFLOG_HARD_NONE, /* not a hard bounce (sent, deferred, removed) */
    PFLOG_HARD_DNS,
    PFLOG_HARD_5XX,
    PFLOG_HARD_FILTER,
    PFLOG_HARD_EXPIRED,
    PFLOG_HARD_OTHER,
};

/* Every string is NUL-terminated and empty when the line does not carry it. */
struct pflog_event {
    enum pflog_kind kind;
    char queue_id[32];     /* [0-9A-Za-z]{1,31}; a longer one makes the line malformed */
    char rcpt_domain[254]; /* to= domain, ASCII lower-cased; > 253 bytes is malformed;
                              empty for to=<>, a missing @ and the per-message expired line */
    char relay_host[256];  /* relay=HOST[...] or relay=none/local/...; cut at 255 bytes */
    char relay_addr[46];   /* the part in brackets (IPv4, IPv6, or a socket path); cut at 45 */
    unsigned relay_port;   /* 0 when the relay has no port */
    char dsn[12];          /* "5.1.1" as logged; empty when the line has no dsn= */
    unsigned dsn_code;     /* 5.1.1 -> 5001001, 0 when none */
    unsigned smtp_reply;   /* 550 from "said: 550" or "refused to talk to me: 550", else 0 */
    double delay_s;        /* delay= (seconds from arrival to this attempt), -1 when absent */
    enum pflog_hard_class hard_class; /* set for BOUNCED and EXPIRED, NONE otherwise */
    char service[32];                 /* smtp, lmtp, error, local, cleanup, qmgr...; cut at 31 */
    unsigned pid;                     /* the [PID] of the program tag (cut at 9 digits) */
    /* Spans of the parsed line (valid while the line is; len 0 when absent): the to=<...>
     * address as logged (a recipient's identity within its message), and the reason: the
     * text in parentheses after status=, or the whole `connect to ...` text. */
    const char *rcpt, *reason;
    size_t rcpt_len, reason_len;
    const char *why; /* on -1: a static text naming the malformed field */
};

/* Parses one line (with or without its trailing newline). Returns 1 and fills *ev for a
 * delivery event, 0 for a line of no interest (ev is then unspecified), and -1 for a
 * delivery-status line (`QUEUEID: to=<...`) that is malformed, with ev->why set. O(len). */
int pflog_parse_line(const char *line, size_t len, struct pflog_event *ev);

/* Stable lower-case names ("sent", "5xx", ...) for logs, labels and test output. */
const char *pflog_kind_name(enum pflog_kind kind);
const char *pflog_hard_class_name(enum pflog_hard_class hard_class);

#endif
