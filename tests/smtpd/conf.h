/*
 * conf.h: the command line of mxw-smtpd, parsed into a struct conf.
 *
 * Interface only. Called once from main.c before anything starts; pure (no sockets, no
 * files opened) so it never leaves anything behind on failure.
 */
#ifndef MXW_SMTPD_CONF_H
#define MXW_SMTPD_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* How a listener behaves towards every client it accepts (see usage in conf.c). */
enum conf_mode {
    MODE_OK,       /* a well-behaved ESMTP server */
    MODE_RCPT5XX,  /* like ok, every RCPT refused with 550 5.1.1 */
    MODE_DELAY,    /* banner only after delay=SECONDS, then like ok */
    MODE_SLOW,     /* like ok, every reply sent one byte per interval=SECONDS */
    MODE_421,      /* 421 greeting, then close */
    MODE_554,      /* 554 greeting, 503 to everything until QUIT */
    MODE_GARBAGE,  /* bytes=N random bytes (NUL, never CR/LF), then close */
    MODE_HUGE,     /* a size=N byte multi-line 220 greeting, then like ok */
    MODE_SILENT,   /* never writes */
    MODE_NOEHLO,   /* normal banner, then never answers */
    MODE_RESET,    /* accept, then close with RST */
    MODE_NOQUIT,   /* like ok, but QUIT (and anything after it) is never answered */
    MODE_BADTLS,   /* offers STARTTLS even without a certificate, says 220 to it, then
                      answers the client's TLS ClientHello in plain text */
    MODE_BACKLOG,  /* never accepts: the accept queue is kept full, so connects time out */
    MODE_RCPT4XX,  /* like ok, every RCPT deferred with 451 4.7.1 (a throttling MX: it greets
                      with 220 but defers real mail) */
    MODE_MAIL4XX,  /* like ok, every MAIL deferred with 451 4.7.1 */
    MODE_MAIL5XX,  /* like ok, every MAIL refused with 550 5.7.1 */
    MODE_GREYLIST, /* like ok, but RCPT gets 451 4.7.1 the first time its sender and
                      recipient are seen together (by any session), 250 afterwards */
    MODE_COUNT
};

#define CONF_NAME_MAX   64  /* "[v6 address]:port" as text */
#define CONF_BANNER_MAX 400 /* banner= text, so "220 " + text + CRLF fits one SMTP line */

struct conf_listener {
    char name[CONF_NAME_MAX];     /* ADDR:PORT as given, for the log */
    struct sockaddr_storage addr; /* where to bind */
    socklen_t addrlen;
    enum conf_mode mode;
    int64_t idle_ms;     /* idle=: close a client silent this long (all modes) */
    int64_t delay_ms;    /* delay=: banner delay (delay mode) */
    int64_t interval_ms; /* interval=: time between two bytes (slow mode) */
    int64_t wait_ms;     /* wait=: a pair is admitted this long after its first try (greylist) */
    size_t huge_size;    /* size=: whole greeting in bytes (huge mode) */
    size_t garbage_size; /* bytes=: garbage sent before closing (garbage mode) */
    size_t max_msg;      /* maxmsg=: message size limit, advertised in EHLO SIZE */
    char banner[CONF_BANNER_MAX + 1]; /* banner=: the text of the 220 greeting and of the
                                         first EHLO/HELO line; "" for the default */
};

struct conf {
    const char *tls_cert; /* --tls-cert: PEM chain; STARTTLS is offered only with both */
    const char *tls_key;  /* --tls-key: PEM private key */
    const char *hostname; /* --hostname: in the banner and replies */
    const char *log_path; /* --log: event log file, or NULL */
    const char *pidfile;  /* --pidfile: written once listening, or NULL */
    unsigned max_conns;   /* --max-conns: sessions open at once */
    struct conf_listener *listeners;
    size_t nlisteners;
};

/* Fills c from argv (strings point into argv). 0 on success, 1 when --help was asked
 * (usage written to err), -1 with err naming the faulty argument. */
int conf_parse(struct conf *c, int argc, char **argv, char *err, size_t errlen);
void conf_free(struct conf *c);

const char *conf_mode_name(enum conf_mode m);

#endif
