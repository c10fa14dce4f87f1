/*
 * txn.h - the plain types of one SMTP transaction probe (issue 16): its mode, its phases and
 * what each phase saw (duration, reply code, enhanced status code, the first reply line).
 * Shared by the SMTP session that runs it (probes/smtp_session.c), `mxwatch smtpping`, the
 * engine, the store and the exporters. Pure data and names; no I/O; any thread.
 */
#ifndef MXW_TXN_H
#define MXW_TXN_H

#include <stdbool.h>
#include <stddef.h>

/* What a session does after EHLO: nothing more (the banner probe), MAIL and RCPT then RSET
 * (no mail is sent), or a whole message (DATA and its end). */
enum txn_mode { TXN_MODE_NONE = 0, TXN_MODE_RCPT, TXN_MODE_DATA };

/* The steps of a transaction, in the order a session takes them. */
enum txn_phase {
    TXN_CONNECT,  /* TCP connect */
    TXN_GREETING, /* from the connect to the complete greeting */
    TXN_EHLO,     /* EHLO (or the HELO fallback) */
    TXN_STARTTLS, /* STARTTLS and its reply */
    TXN_TLS,      /* the TLS handshake */
    TXN_TLS_EHLO, /* EHLO again over TLS */
    TXN_MAIL,
    TXN_RCPT,
    TXN_DATA,
    TXN_BODY, /* the message and its end ".", up to the reply */
    TXN_RSET, /* rcpt mode: instead of DATA */
    TXN_QUIT,
    TXN__PHASES
};

#define TXN_TEXT_MAX     128 /* first reply line kept per phase, terminator included */
#define TXN_ENHANCED_MAX 16  /* "5.7.1" and room: three parts of at most three digits */
#define TXN_MSGID_MAX    128
#define TXN_ADDR_MAX     256         /* a mail address, as given to MAIL FROM / RCPT TO */
#define TXN_SIZE_MAX     (10u << 20) /* the largest test message */

struct txn_step {
    bool reached;                    /* the phase ran (sent, or for connect: tried) */
    double s;                        /* its duration, seconds; negative = not complete */
    int code;                        /* reply code, 0 = none */
    char enhanced[TXN_ENHANCED_MAX]; /* RFC 3463 code of the reply, "" = none */
    char text[TXN_TEXT_MAX];         /* its first line, control bytes as '.', cut */
};

/* One transaction's result. */
struct txn_result {
    enum txn_mode mode;
    bool success;                   /* every phase of the mode answered as hoped */
    enum txn_phase last;            /* the last phase that got a reply (or tried, for connect) */
    enum txn_phase failed;          /* with !success: where it went wrong */
    char message_id[TXN_MSGID_MAX]; /* data mode: the Message-ID sent, without <> */
    char address[64];               /* the MX address, as text */
    double at;                      /* wall time of the start */
    struct txn_step step[TXN__PHASES];
};

/* "connect", "greeting", "ehlo", "starttls", "tls", "tls_ehlo", "mail", "rcpt", "data",
 * "body", "rset", "quit"; "?" out of range. */
const char *txn_phase_name(enum txn_phase p);
/* "none", "rcpt", "data"; txn_mode_parse: -1 for anything else. */
const char *txn_mode_name(enum txn_mode m);
int txn_mode_parse(const char *s);

/* How a finished transaction speaks of the destination's delivery (the status rules):
 * TXN_SIG_NONE when it says nothing (it never got past the greeting: the banner probe
 * speaks of that), OK when it succeeded, THROTTLED for a 4xx and REJECTED for a 5xx at
 * MAIL, RCPT, DATA or the end of data, after a 2xx greeting. */
enum txn_signal { TXN_SIG_NONE = 0, TXN_SIG_OK, TXN_SIG_THROTTLED, TXN_SIG_REJECTED };
enum txn_signal txn_signal_of(const struct txn_result *r);

/* Whether a is fit for MAIL FROM:<a> or RCPT TO:<a>: 1..TXN_ADDR_MAX-1 printable ASCII
 * bytes without space, '<', '>' or '"', one '@' with something on each side; the empty
 * (null) sender too when null_ok. The session refuses anything else. */
bool txn_addr_ok(const char *a, bool null_ok);

/* The RFC 3463 enhanced status code at the start of a reply line's text ("250 2.1.0 Ok"
 * gives "2.1.0"): class as the reply's first digit (2, 4 or 5), subject and detail of one to
 * three digits each, then a space or the end of the line. out gets "" when there is none.
 * Reads at most n bytes of line (outside input); out holds at least TXN_ENHANCED_MAX. */
void txn_enhanced(const char *line, size_t n, char *out, size_t cap);

#endif
