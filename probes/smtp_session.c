/*
 * smtp_session.c - one SMTP session to one MX address (smtp_session.h). The scheduler
 * (smtp.c) decides when an address gets a session and fans the result out; this file only
 * speaks SMTP. Loop thread only; never logs: each step goes to the environment's trace hook
 * (smtp_set_trace) and into the bounded transcript, which the caller shows or logs.
 *
 * Transport. libcurl makes the TCP connection on the loop's multi handle: CONNECT_ONLY on an
 * http:// URL (a scheme whose connect phase is the TCP connect and nothing else; proxies
 * off), CURLOPT_CONNECT_TO pinning the address c-ares found, and our own socket()
 * (CURLOPT_OPENSOCKETFUNCTION) so that EMFILE, ENFILE or ENOBUFS is known as this side's
 * failure. Once connected, every byte goes through curl_easy_send and curl_easy_recv, with
 * the socket watched on the loop; libcurl owns the socket and closes it.
 *
 * TLS. libcurl 7.88 cannot start TLS on a CONNECT_ONLY connection midway: its STARTTLS lives
 * inside its own SMTP handler, which drove the whole dialogue and left this file to guess
 * which reply answered what. So after a 220 to STARTTLS, OpenSSL runs the handshake itself
 * on the same connection, through a BIO whose reads and writes are curl_easy_recv and
 * curl_easy_send: one owner for the socket, no SIGPIPE, and the TLS facts come from our own
 * SSL object. The context (smtp_conn_env_init, one per scheduler) is set up as libcurl 7.88
 * set up its own with VERIFYPEER and VERIFYHOST off (OpenSSL's defaults, SNI from the MX
 * name), except that the system's certificate store is loaded and the MX name set, so that
 * tls_verified tells whether the chain and the name would pass a verifying client; with
 * libcurl, which loads no store when VERIFYPEER is off, it was false for every chain.
 *
 * One session is an explicit state machine; the state says what the next reply answers:
 *   CONNECT        libcurl's TCP connect, within connect_timeout
 *   GREETING       the greeting, banner_timeout after the connect; not 2xx: the end
 *   EHLO           2xx: STARTTLS when offered and asked for, else the end (QUIT), or
 *                  a TLS failure when STARTTLS is required; refused: HELO, unless
 *                  STARTTLS is required
 *   HELO           2xx: the end (QUIT)
 *   STARTTLS       220: handshake; refused: plain text on (try) or the end (require).
 *                  Bytes pipelined behind the 220 are refused: they would pass for TLS data
 *   TLS_HANDSHAKE  OpenSSL's handshake, within the STARTTLS reply's deadline
 *   TLS_EHLO       EHLO again over TLS; refused: HELO over TLS
 *   MAIL           only with a transaction (p.txn_mode, issue 16): MAIL FROM; 2xx: RCPT
 *   RCPT           RCPT TO; 2xx: RSET (rcpt mode) or DATA (data mode)
 *   DATA           354: BODY
 *   BODY           the test message (smtp_msg.c) in pieces and its ".", then its reply
 *   RSET           rcpt mode: the transaction is dropped, no mail sent; then QUIT
 *                  A refusal at MAIL, RCPT, DATA or BODY ends the transaction there (QUIT);
 *                  the address answered, so the banner outcome stays ok
 *   QUIT           QUIT and its reply, so the remote MTA logs a clean end
 *   DONE           result handed to the caller
 * enter_state() sends, response() decides, on_io() moves bytes. Each command's reply must be
 * complete banner_timeout after it was sent, and the whole dialogue total_timeout after the
 * start. Every path to the caller goes through finish(), with smtp_classify()'s outcome
 * class; the steps fail in libcurl's terms (CURLcode), so that classification is the one the
 * libcurl-driven session had. A failure on this side (no descriptor left, a deadline the loop
 * itself missed) is OUT_LOCAL_ERROR, never the address's fault.
 * Server lines are hostile: a line is kept up to SMTP_LINE_KEPT bytes (smtp_reply.c), the rest
 * dropped, and control bytes reach the transcript, the banner and the EHLO text only as '.'.
 * Every phase's duration (from its command to the complete reply), reply code, enhanced code
 * and first line (TXN_TEXT_MAX) are kept in c->txn, handed to the caller when p.txn is set.
 */
#include "smtp_session.h"

#include "buf.h"
#include "curlm.h"
#include "dane.h"
#include "smtp_msg.h"
#include "smtp_reply.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define QUIT_WAIT_MAX_MS 5000 /* a 221 that takes longer is not worth waiting for */
/* A deadline that fires this much later than due was missed by the agent, not the server. */
#define SMTP_LATE_US 500000
#define READ_CHUNK   4096
#define READS_MAX    16    /* chunks read per readiness event, so a flood cannot hold the loop */
#define CMD_MAX      300   /* "EHLO " + a 255-byte name + CRLF; "MAIL FROM:<255 bytes>" + CRLF */
#define SEND_PIECE   16384 /* bytes handed to one send: the message goes out in pieces */

enum sess_state {
    SS_CONNECT,
    SS_GREETING,
    SS_EHLO,
    SS_HELO,
    SS_STARTTLS,
    SS_TLS_HANDSHAKE,
    SS_TLS_EHLO,
    SS_MAIL,
    SS_RCPT,
    SS_DATA,
    SS_BODY,
    SS_RSET,
    SS_QUIT,
    SS_DONE
};

static const char *const state_names[] = {
    "connect", "greeting", "ehlo", "helo", "starttls", "tls_handshake", "tls_ehlo",
    "mail",    "rcpt",     "data", "body", "rset",     "quit",          "done",
};

/* What each state waits for, in the words of a timeout. */
static const char *const state_waits[] = {
    "TCP connect",
    "greeting",
    "EHLO reply",
    "HELO reply",
    "STARTTLS reply",
    "TLS handshake",
    "EHLO reply over TLS",
    "MAIL reply",
    "RCPT reply",
    "DATA reply",
    "reply to the end of data",
    "RSET reply",
    "QUIT reply",
    "nothing",
};

/* The transaction phase each state's reply belongs to (HELO counts as EHLO). */
static const enum txn_phase state_phase[] = {
    TXN_CONNECT, TXN_GREETING, TXN_EHLO, TXN_EHLO, TXN_STARTTLS, TXN_TLS,  TXN_TLS_EHLO,
    TXN_MAIL,    TXN_RCPT,     TXN_DATA, TXN_BODY, TXN_RSET,     TXN_QUIT, TXN_QUIT,
};

struct smtp_conn {
    const struct smtp_conn_env *env;
    enum sess_state state;
    struct smtp_check_params p;
    char host[256];      /* for the URL, CONNECT_TO and SNI */
    char ehlo_name[256]; /* sent in EHLO and HELO */
    char source[64];
    smtp_done_fn *fn;
    void *arg;
    CURL *h;
    struct curl_slist *connect_to;
    int fd;                      /* the connection's socket once connected: watched by us */
    unsigned watching;           /* loop events asked for on fd */
    SSL *ssl;                    /* from the STARTTLS 220 on */
    CURLcode io_rc;              /* why the latest read or write through libcurl failed */
    bool tls_wants_write;        /* OpenSSL must write before it can read on */
    struct loop_timer *deadline; /* TCP connect, then each reply: see on_deadline */
    int64_t deadline_due_us;     /* when it should fire; much later means the loop fell behind */
    int64_t total_due_us;        /* the end of total_timeout */
    int open_errno;              /* why our socket() failed: libcurl reports no errno for it */
    struct loop_timer *quit_timer;
    int64_t start_us, greeting_us, tls_start_us;
    struct smtp_seen seen;
    struct store_tls_chain chain;  /* the presented chain's digests, with TLS (dane.c) */
    struct mx_addr_result r;       /* its text is made at the end from the two below */
    char banner[STORE_BANNER_MAX]; /* the greeting's lines */
    char ehlo[STORE_EHLO_MAX];     /* the EHLO reply kept: over TLS when there was TLS */
    struct buf transcript;         /* bounded by p.transcript_max: see transcript_add */
    char out[CMD_MAX];             /* the command being sent */
    const char *out_p;             /* what is being sent: out, or body.p (the message) */
    size_t out_len, out_off;
    /* The transaction (p.txn_mode): its addresses, the message, what each phase saw. */
    char mail_from[TXN_ADDR_MAX], rcpt_to[TXN_ADDR_MAX];
    struct buf body;          /* data mode: the message, bounded by TXN_SIZE_MAX */
    struct txn_result txn;    /* copied to *p.txn at the end */
    int64_t phase_us;         /* when the current phase began (its command went out) */
    bool txn_done, txn_fault; /* the transaction went through; or the phase where it failed
                                 is in txn.failed */
    struct smtp_lines lines;  /* the server line being read */
    size_t rx_left;           /* bytes read behind the line being handled */
};

static void on_io(struct loop *l, int fd, unsigned events, void *arg);
static int64_t on_deadline(struct loop *l, void *arg);
static void enter_state(struct smtp_conn *c, enum sess_state next, int reply, const char *why);

/* ---- transcript ---- */

/* Appends "+SECONDS WHO: TEXT\n"; the transcript never exceeds transcript_max - 1 bytes (and
 * its NUL): a line that does not fit is cut, and nothing follows it. */
static void transcript_add(struct smtp_conn *c, const char *who, const char *text, size_t n)
{
    struct buf *t = &c->transcript;
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    char head[48];
    double at = (double)(mxw_now_us() - c->start_us) / 1e6;
    int hl = snprintf(head, sizeof head, "+%.4f %s: ", at, who);
    if (hl < 0 || t->len + (size_t)hl + 2 > c->p.transcript_max)
        return;
    size_t room = c->p.transcript_max - t->len - (size_t)hl - 2;
    if (n > room)
        n = room;
    buf_append(t, head, (size_t)hl);
    buf_reserve(t, n + 1);
    for (size_t i = 0; i < n; i++) /* control bytes from strangers become '.' */
        t->p[t->len++] = (char)((unsigned char)text[i] < 0x20 && text[i] != '\t' ? '.' : text[i]);
    t->p[t->len++] = '\n';
    t->p[t->len] = '\0';
}

static void transcript_note(struct smtp_conn *c, const char *msg)
{
    transcript_add(c, "#", msg, strlen(msg));
}

/* ---- the phases: durations and replies, for the transaction probe ---- */

/* The phase of the state just entered begins now (its command goes out). */
static void phase_begin(struct smtp_conn *c, enum txn_phase ph, int64_t since_us)
{
    struct txn_step *st = &c->txn.step[ph];
    *st = (struct txn_step){.reached = true, .s = -1};
    c->phase_us = since_us;
}

/* A reply line in the current state: the first line's text and enhanced code, and on the
 * final line the code and the duration. */
static void phase_reply(struct smtp_conn *c, int code, bool final, const char *line, size_t n)
{
    enum txn_phase ph = state_phase[c->state];
    struct txn_step *st = &c->txn.step[ph];
    if (!st->text[0]) {
        smtp_reply_append(st->text, sizeof st->text, line, n);
        txn_enhanced(line, n, st->enhanced, sizeof st->enhanced);
    }
    if (!final)
        return;
    st->code = code;
    st->s = (double)(mxw_now_us() - c->phase_us) / 1e6;
    c->txn.last = ph;
}

/* The transaction went wrong in phase ph (the first fault is the one kept). */
static void txn_fault(struct smtp_conn *c, enum txn_phase ph)
{
    if (c->txn_fault)
        return;
    c->txn_fault = true;
    c->txn.failed = ph;
}

/* The caller's copy of the transaction's result, at the end. */
static void txn_report(struct smtp_conn *c)
{
    if (!c->p.txn)
        return;
    if (!c->txn_done)
        txn_fault(c, state_phase[c->state]); /* a failure the replies did not name */
    c->txn.mode = c->p.txn_mode;
    c->txn.success = c->txn_done && c->p.txn_mode != TXN_MODE_NONE;
    mxw_strlcpy(c->txn.address, c->r.addr_str, sizeof c->txn.address);
    *c->p.txn = c->txn;
}

/* ---- classification ---- */

/* Whether an error number says this side ran out of something, not that the address
 * failed: no descriptor, no buffer, no memory, no local port. */
static bool local_errno(long e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM || e == EADDRNOTAVAIL;
}

enum mx_outcome smtp_classify(const struct smtp_seen *x)
{
    int g = x->greeting_code / 100, e = x->ehlo_code / 100, h = x->helo_code / 100;
    if (x->greeting_code && g == 4)
        return OUT_BANNER_4XX;
    if (x->greeting_code && g == 5)
        return OUT_BANNER_5XX;
    if (x->greeting_code && g != 2)
        return OUT_PROTOCOL_ERROR; /* RFC 5321 4.3.1: a greeting is 220 or 554 */
    if (x->late)
        return OUT_LOCAL_ERROR; /* the agent missed its own deadline: nothing learnt */
    if (x->rc != CURLE_OK && !x->connected && local_errno(x->os_errno))
        return OUT_LOCAL_ERROR;
    if (x->rc == CURLE_OK)
        return (e == 2 || h == 2) ? OUT_OK : OUT_EHLO_REJECTED;
    switch (x->rc) {
    case CURLE_COULDNT_CONNECT:
        switch (x->os_errno) {
        case ECONNREFUSED: return OUT_REFUSED;
        case ETIMEDOUT: return OUT_CONNECT_TIMEOUT;
        case ECONNRESET: /* accepted, then reset before libcurl saw the connect complete */
        case ECONNABORTED:
        case EPIPE: return OUT_PROTOCOL_ERROR;
        default: return OUT_UNREACHABLE;
        }
    case CURLE_OPERATION_TIMEDOUT:
        if (!x->connected)
            return OUT_CONNECT_TIMEOUT;
        if (!x->greeting_code)
            return OUT_BANNER_TIMEOUT;
        /* After a 2xx to EHLO (or HELO) the only step left is STARTTLS. */
        return x->tls_started || e == 2 || h == 2 ? OUT_TLS_FAILED : OUT_EHLO_REJECTED;
    case CURLE_INTERFACE_FAILED:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_COULDNT_RESOLVE_HOST: return OUT_LOCAL_ERROR;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: return OUT_TLS_FAILED;
    default: break;
    }
    if (x->greeting_code && x->ehlo_code && e != 2 && h != 2)
        return OUT_EHLO_REJECTED;
    if (x->tls_started)
        return OUT_TLS_FAILED;
    return OUT_PROTOCOL_ERROR; /* garbage, a reset, a reply that is not SMTP */
}

/* ---- ending a session ---- */

static void trace(const struct smtp_conn *c, enum sess_state to, int reply, const char *why,
                  const char *outcome)
{
    if (!c->env->trace)
        return;
    struct smtp_step st = {
        .address = c->r.addr_str,
        .port = c->p.port,
        .from = state_names[c->state],
        .to = state_names[to],
        .reply = reply,
        .why = why,
        .outcome = outcome,
    };
    c->env->trace(c->env->trace_arg, &st);
}

static void release(struct smtp_conn *c)
{
    loop_timer_del(c->env->loop, c->deadline);
    loop_timer_del(c->env->loop, c->quit_timer);
    SSL_free(c->ssl); /* and its BIO; no close_notify: QUIT said goodbye */
    if (c->fd >= 0)
        loop_fd_del(c->env->loop, c->fd);
    if (c->h) {
        curlm_remove(c->env->curlm, c->h); /* closes a CONNECT_ONLY connection */
        curl_easy_cleanup(c->h);
    }
    curl_slist_free_all(c->connect_to);
    buf_free(&c->transcript);
    buf_free(&c->body);
    free(c);
}

/* The one exit: the caller learns the outcome. The session is freed by settle() once the
 * event that ended it has unwound. */
static void finish(struct smtp_conn *c, enum mx_outcome outcome, const char *why)
{
    c->r.outcome = outcome;
    c->r.probed_at = mxw_wall_time();
    if (outcome == OUT_LOCAL_ERROR && c->seen.late)
        c->env->fig->local_late++;
    else if (outcome == OUT_LOCAL_ERROR)
        c->env->fig->local_resources++;
    char note[96];
    snprintf(note, sizeof note, "outcome=%s state=%s", store_outcome_name(outcome),
             state_names[c->state]);
    transcript_note(c, note);
    trace(c, SS_DONE, 0, why, store_outcome_name(outcome));
    txn_report(c);
    c->state = SS_DONE;
    /* One block for every destination the result reaches: the callee keeps a reference. */
    const struct smtp_text *t =
        store_text_new_tls(c->banner, c->ehlo, c->transcript.p ? c->transcript.p : "",
                           c->r.tls_negotiated ? &c->chain : NULL);
    c->r.text = t;
    c->fn(c->arg, &c->r);
    store_text_unref(t);
}

/* Every event handler ends here: a session that finished meanwhile is freed. */
static void settle(struct smtp_conn *c)
{
    if (c->state == SS_DONE)
        release(c);
}

/* A step failed with rc (in libcurl's terms): the session ends with its class. */
static void fail(struct smtp_conn *c, CURLcode rc, const char *msg)
{
    c->seen.rc = (int)rc;
    transcript_note(c, msg);
    finish(c, smtp_classify(&c->seen), msg);
}

/* The greeting dialogue is complete: QUIT when it went well (after the transaction, when
 * one was asked for), else the end. */
static void succeed(struct smtp_conn *c, int reply)
{
    c->seen.rc = CURLE_OK;
    enum mx_outcome o = smtp_classify(&c->seen);
    if (o == OUT_OK && c->p.txn_mode != TXN_MODE_NONE)
        enter_state(c, SS_MAIL, reply, "dialogue complete: transaction");
    else if (o == OUT_OK)
        enter_state(c, SS_QUIT, reply, "dialogue complete");
    else
        finish(c, o, "dialogue complete");
}

/* A read or write failed: OpenSSL's words, else libcurl's (c->io_rc), else the server
 * closed. During QUIT that is no failure: nothing more was wanted. */
static void fail_io(struct smtp_conn *c, CURLcode as, const char *what)
{
    char msg[200], why[120];
    long os_errno = 0;
    curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &os_errno);
    c->seen.os_errno = os_errno;
    unsigned long err = c->ssl ? ERR_peek_error() : 0;
    ERR_clear_error(); /* the thread's queue is shared with libcurl's own TLS */
    if (err)
        ERR_error_string_n(err, why, sizeof why);
    else if (c->io_rc != CURLE_OK && c->io_rc != CURLE_AGAIN)
        snprintf(why, sizeof why, "%s (errno %ld)", curl_easy_strerror(c->io_rc), os_errno);
    else
        snprintf(why, sizeof why, "the server closed the connection");
    snprintf(msg, sizeof msg, "%s: %s", what, why);
    if (c->state != SS_QUIT) {
        fail(c, as, msg);
        return;
    }
    transcript_note(c, msg);
    finish(c, OUT_OK, msg);
}

/* ---- the socket ---- */

static void watch(struct smtp_conn *c, unsigned events)
{
    if (events == c->watching)
        return;
    c->watching = events;
    loop_fd_set(c->env->loop, c->fd, events, on_io, c);
}

/* Between handshake and end: always the reply, and writability while bytes wait to go. */
static void watch_for_more(struct smtp_conn *c)
{
    bool w = c->out_off < c->out_len || c->tls_wants_write;
    watch(c, w ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

/* (Re)arms the step deadline ms from now, or at the end of total_timeout if sooner. */
static void arm_deadline(struct smtp_conn *c, int64_t ms)
{
    int64_t now = mxw_now_us(), due = now + ms * 1000;
    if (c->total_due_us && due > c->total_due_us)
        due = c->total_due_us;
    c->deadline_due_us = due;
    int64_t wait_ms = due > now ? (due - now + 999) / 1000 : 0;
    if (c->deadline)
        loop_timer_reset(c->env->loop, c->deadline, wait_ms);
    else
        c->deadline = loop_timer_add(c->env->loop, wait_ms, on_deadline, c);
}

/* Reads what has arrived: > 0 bytes, 0 nothing yet, -1 closed or failed (see fail_io). */
static long conn_read(struct smtp_conn *c, char *buf, size_t cap)
{
    if (c->ssl) {
        ERR_clear_error();
        c->io_rc = CURLE_OK;
        c->tls_wants_write = false;
        int n = SSL_read(c->ssl, buf, (int)cap);
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        c->tls_wants_write = e == SSL_ERROR_WANT_WRITE;
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    size_t n = 0;
    c->io_rc = curl_easy_recv(c->h, buf, cap, &n);
    if (c->io_rc == CURLE_AGAIN)
        return 0;
    return c->io_rc == CURLE_OK && n > 0 ? (long)n : -1;
}

/* Sends what is left of c->out; false when the connection failed (c->io_rc). */
static bool flush_out(struct smtp_conn *c)
{
    while (c->out_off < c->out_len) {
        const char *p = c->out_p + c->out_off;
        size_t left = c->out_len - c->out_off, sent = 0;
        if (left > SEND_PIECE)
            left = SEND_PIECE;
        if (c->ssl) {
            ERR_clear_error();
            c->io_rc = CURLE_OK;
            int n = SSL_write(c->ssl, p, (int)left);
            int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                break;
            if (e != SSL_ERROR_NONE)
                return false;
            sent = (size_t)n;
        } else {
            c->io_rc = curl_easy_send(c->h, p, left, &sent);
            if (c->io_rc == CURLE_AGAIN)
                break;
            if (c->io_rc != CURLE_OK)
                return false;
        }
        c->out_off += sent;
        if (c->state == SS_BODY && sent)
            arm_deadline(c, c->p.banner_timeout_ms); /* the message is moving: wait on */
    }
    watch_for_more(c);
    return true;
}

/* Sends one command line (without CRLF); false when the connection failed. */
static bool send_cmd(struct smtp_conn *c, const char *verb, const char *arg)
{
    int n = arg ? snprintf(c->out, sizeof c->out, "%s %s\r\n", verb, arg)
                : snprintf(c->out, sizeof c->out, "%s\r\n", verb);
    if (n < 0 || (size_t)n >= sizeof c->out)
        n = 0; /* cannot happen: names are at most 255 bytes */
    c->out_p = c->out;
    c->out_len = (size_t)n;
    c->out_off = 0;
    transcript_add(c, "C", c->out, c->out_len);
    c->io_rc = CURLE_OK;
    return flush_out(c);
}

/* ---- TLS ---- */

/* OpenSSL's bytes go through libcurl, which owns the connection. */
static int bio_write(BIO *b, const char *data, int len)
{
    struct smtp_conn *c = BIO_get_data(b);
    size_t sent = 0;
    BIO_clear_retry_flags(b);
    c->io_rc = curl_easy_send(c->h, data, (size_t)len, &sent);
    if (c->io_rc == CURLE_AGAIN) {
        BIO_set_retry_write(b);
        return -1;
    }
    return c->io_rc == CURLE_OK ? (int)sent : -1;
}

static int bio_read(BIO *b, char *data, int len)
{
    struct smtp_conn *c = BIO_get_data(b);
    size_t got = 0;
    BIO_clear_retry_flags(b);
    c->io_rc = curl_easy_recv(c->h, data, (size_t)len, &got);
    if (c->io_rc == CURLE_AGAIN) {
        BIO_set_retry_read(b);
        return -1;
    }
    return c->io_rc == CURLE_OK ? (int)got : -1; /* 0: the server closed */
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH; /* writes are never buffered here */
}

void smtp_conn_env_init(struct smtp_conn_env *e, struct loop *l, struct curlm *cm,
                        struct smtp_figures *fig)
{
    *e = (struct smtp_conn_env){.loop = l, .curlm = cm, .fig = fig};
    e->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mxw-curl");
    if (e->bio) {
        BIO_meth_set_write(e->bio, bio_write);
        BIO_meth_set_read(e->bio, bio_read);
        BIO_meth_set_ctrl(e->bio, bio_ctrl);
    }
    e->tls = SSL_CTX_new(TLS_client_method());
    if (!e->tls)
        return;
    /* As libcurl set up its own: workarounds on, no tickets, no compression; versions and
     * ciphers the library's (and the system's openssl.cnf) defaults; nothing verified. */
    SSL_CTX_set_options(e->tls, SSL_OP_ALL | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_verify(e->tls, SSL_VERIFY_NONE, NULL);
    /* The session goes on whatever the certificate (as an MTA's opportunistic TLS does), but
     * the chain is checked against the system's store (and SSL_CERT_FILE / SSL_CERT_DIR), so
     * tls_verified says whether it would pass a verifying client. */
    SSL_CTX_set_default_verify_paths(e->tls);
}

void smtp_conn_env_trust(struct smtp_conn_env *e, const char *ca_file)
{
    if (e->tls && ca_file && *ca_file)
        SSL_CTX_load_verify_locations(e->tls, ca_file, NULL);
}

void smtp_conn_env_free(struct smtp_conn_env *e)
{
    SSL_CTX_free(e->tls);
    BIO_meth_free(e->bio);
    e->tls = NULL;
    e->bio = NULL;
}

/* The name for SNI, as libcurl chose it: the URL's host unless it is an address literal,
 * without a trailing dot. */
static void tls_sni(const struct smtp_conn *c, char *out, size_t cap)
{
    unsigned char a[16];
    out[0] = '\0';
    if (inet_pton(AF_INET, c->host, a) == 1 || inet_pton(AF_INET6, c->host, a) == 1)
        return;
    mxw_strlcpy(out, c->host, cap);
    size_t n = strlen(out);
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0';
}

static void read_tls_facts(struct smtp_conn *c)
{
    SSL *ssl = c->ssl;
    c->txn.step[TXN_TLS].s = (double)(mxw_now_us() - c->phase_us) / 1e6;
    c->txn.last = TXN_TLS;
    c->r.tls_negotiated = true;
    mxw_strlcpy(c->r.tls_version, SSL_get_version(ssl), sizeof c->r.tls_version);
    c->r.tls_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    char name[256];
    tls_sni(c, name, sizeof name);
    dane_chain_read(ssl, name, &c->chain);
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
        struct tm tm;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
            c->r.tls_cert_expiry = (double)timegm(&tm);
        X509_free(cert);
    }
    c->r.tls_s = (double)(mxw_now_us() - c->tls_start_us) / 1e6;
}

/* One turn of the handshake: done, waiting for the socket, or failed. */
static void tls_step(struct smtp_conn *c)
{
    ERR_clear_error();
    c->io_rc = CURLE_OK;
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        read_tls_facts(c);
        enter_state(c, SS_TLS_EHLO, 0, "handshake done");
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        watch(c, e == SSL_ERROR_WANT_READ ? LOOP_READ : LOOP_READ | LOOP_WRITE);
        return;
    }
    fail_io(c, CURLE_SSL_CONNECT_ERROR, "TLS handshake failed");
}

static void tls_start(struct smtp_conn *c)
{
    BIO *b = NULL;
    if (c->env->tls && c->env->bio)
        c->ssl = SSL_new(c->env->tls);
    if (c->ssl)
        b = BIO_new(c->env->bio);
    if (!b) {
        fail(c, CURLE_OUT_OF_MEMORY, "no TLS session could be made on this side");
        return;
    }
    BIO_set_data(b, c);
    BIO_set_init(b, 1);
    SSL_set_bio(c->ssl, b, b);
    char sni[256];
    tls_sni(c, sni, sizeof sni);
    if (sni[0]) {
        SSL_set_tlsext_host_name(c->ssl, sni);
        SSL_set1_host(c->ssl, sni); /* "verified" means for this MX name, not any name */
    }
    SSL_set_connect_state(c->ssl);
    phase_begin(c, TXN_TLS, mxw_now_us());
    tls_step(c);
}

/* ---- replies ---- */

static void on_greeting(struct smtp_conn *c, int code)
{
    int64_t now = mxw_now_us();
    c->seen.greeting_code = code;
    c->r.smtp_code = code;
    c->greeting_us = now;
    c->r.banner_s = (double)(now - c->start_us) / 1e6;
    if (code / 100 != 2) {
        fail(c, CURLE_WEIRD_SERVER_REPLY, "the greeting is not 2xx: no session");
        return;
    }
    enter_state(c, SS_EHLO, code, "reply");
}

static void on_ehlo(struct smtp_conn *c, int code)
{
    c->seen.ehlo_code = code;
    c->r.ehlo_s = (double)(mxw_now_us() - c->greeting_us) / 1e6;
    if (code / 100 != 2 && c->p.starttls == STARTTLS_REQUIRE)
        fail(c, CURLE_REMOTE_ACCESS_DENIED, "EHLO refused, and TLS is required: no HELO");
    else if (code / 100 != 2)
        enter_state(c, SS_HELO, code, "EHLO refused");
    else if (c->p.starttls != STARTTLS_NEVER && c->r.starttls_offered)
        enter_state(c, SS_STARTTLS, code, "reply");
    else if (c->p.starttls == STARTTLS_REQUIRE)
        fail(c, CURLE_USE_SSL_FAILED, "STARTTLS is required, and not offered");
    else
        succeed(c, code);
}

static void on_starttls(struct smtp_conn *c, int code)
{
    c->seen.tls_started = code == 220;
    c->tls_start_us = mxw_now_us();
    if (c->rx_left) /* CVE-2021-22947's lesson, as libcurl had it */
        fail(c, CURLE_WEIRD_SERVER_REPLY, "bytes pipelined behind the STARTTLS reply: refused");
    else if (code == 220)
        enter_state(c, SS_TLS_HANDSHAKE, code, "reply");
    else if (c->p.starttls == STARTTLS_REQUIRE)
        fail(c, CURLE_USE_SSL_FAILED, "STARTTLS refused, and TLS is required");
    else
        succeed(c, code); /* try: plain text it is */
}

/* The server refused a step of the transaction: it ends there, politely (QUIT); the
 * address itself answered, so the banner outcome stays ok. */
static void txn_refused(struct smtp_conn *c, int code)
{
    char why[64];
    snprintf(why, sizeof why, "%s refused", state_names[c->state]);
    txn_fault(c, state_phase[c->state]);
    transcript_note(c, why);
    enter_state(c, SS_QUIT, code, why);
}

/* A reply to MAIL, RCPT, DATA, the end of data or RSET. */
static void on_transaction(struct smtp_conn *c, int code)
{
    bool ok = c->state == SS_DATA ? code == 354 : code / 100 == 2;
    if (c->state == SS_RSET)
        enter_state(c, SS_QUIT, code, "reply"); /* the transaction is over either way */
    else if (!ok)
        txn_refused(c, code);
    else if (c->state == SS_MAIL)
        enter_state(c, SS_RCPT, code, "reply");
    else if (c->state == SS_RCPT && c->p.txn_mode == TXN_MODE_RCPT) {
        c->txn_done = true;
        enter_state(c, SS_RSET, code, "recipient accepted: no mail");
    } else if (c->state == SS_RCPT)
        enter_state(c, SS_DATA, code, "reply");
    else if (c->state == SS_DATA)
        enter_state(c, SS_BODY, code, "reply");
    else {
        c->txn_done = true;
        enter_state(c, SS_QUIT, code, "message accepted");
    }
}

/* A complete reply: what it means depends on what it answers. */
static void response(struct smtp_conn *c, int code)
{
    switch (c->state) {
    case SS_GREETING: on_greeting(c, code); break;
    case SS_EHLO: on_ehlo(c, code); break;
    case SS_HELO:
        c->seen.helo_code = code;
        if (code / 100 == 2)
            succeed(c, code);
        else
            fail(c, CURLE_REMOTE_ACCESS_DENIED, "HELO refused");
        break;
    case SS_STARTTLS: on_starttls(c, code); break;
    case SS_TLS_EHLO:
        if (code / 100 == 2)
            succeed(c, code);
        else
            enter_state(c, SS_HELO, code, "EHLO over TLS refused");
        break;
    case SS_MAIL:
    case SS_RCPT:
    case SS_DATA:
    case SS_BODY:
    case SS_RSET: on_transaction(c, code); break;
    default: break; /* no reply is awaited: nothing to decide */
    }
}

/* Whether the session still reads plain-text replies (not the TLS handshake, not the end). */
static bool reading_replies(const struct smtp_conn *c)
{
    return c->state != SS_DONE && c->state != SS_TLS_HANDSHAKE;
}

/* One server line (smtp_line_fn); rest: the bytes read behind it. */
static bool on_server_line(void *arg, const char *line, size_t n, size_t rest)
{
    struct smtp_conn *c = arg;
    c->rx_left = rest;
    transcript_add(c, "S", line, n);
    bool final = false;
    int code = smtp_reply_code(line, n, &final);
    if (code >= 0)
        phase_reply(c, code, final, line, n);
    if (c->state == SS_QUIT) {
        finish(c, OUT_OK, "reply"); /* any answer to QUIT will do */
        return false;
    }
    if (code < 0)
        return true; /* not a reply line: the reply's deadline decides */
    if (c->state == SS_GREETING)
        smtp_reply_append(c->banner, sizeof c->banner, line, n);
    if (c->state == SS_EHLO || c->state == SS_TLS_EHLO)
        smtp_reply_append(c->ehlo, sizeof c->ehlo, line, n);
    if (c->state == SS_EHLO && n >= 12 && !strncasecmp(line + 4, "STARTTLS", 8))
        c->r.starttls_offered = true;
    if (final)
        response(c, code);
    return reading_replies(c);
}

/* Splits what was read into lines; stops when the session leaves the plain-text reply
 * states (TLS handshake, or the end). */
static void feed(struct smtp_conn *c, const char *p, size_t n)
{
    if (reading_replies(c))
        smtp_lines_feed(&c->lines, p, n, on_server_line, c);
}

/* ---- the states ---- */

static void start_greeting(struct smtp_conn *c)
{
    /* banner_timeout counts from the connect, not from now */
    int64_t due = c->start_us + (int64_t)(c->r.connect_s * 1e6) + c->p.banner_timeout_ms * 1000;
    int64_t left_ms = (due - mxw_now_us()) / 1000;
    watch(c, LOOP_READ);
    arm_deadline(c, left_ms > 0 ? left_ms : 0);
}

static int64_t on_quit_timeout(struct loop *l, void *arg)
{
    (void)l;
    struct smtp_conn *c = arg;
    transcript_note(c, "no reply to QUIT");
    c->quit_timer = NULL; /* freed by the loop when we return -1 */
    finish(c, OUT_OK, "no reply to QUIT");
    settle(c);
    return -1;
}

static void start_quit(struct smtp_conn *c)
{
    loop_timer_del(c->env->loop, c->deadline);
    c->deadline = NULL;
    if (!send_cmd(c, "QUIT", NULL)) {
        char msg[128];
        snprintf(msg, sizeof msg, "QUIT not sent: %s", curl_easy_strerror(c->io_rc));
        transcript_note(c, msg);
        finish(c, OUT_OK, msg);
        return;
    }
    int64_t wait =
        c->p.banner_timeout_ms < QUIT_WAIT_MAX_MS ? c->p.banner_timeout_ms : QUIT_WAIT_MAX_MS;
    c->quit_timer = loop_timer_add(c->env->loop, wait, on_quit_timeout, c);
}

/* A command whose reply gets banner_timeout. */
static void start_command(struct smtp_conn *c, const char *verb, const char *arg)
{
    arm_deadline(c, c->p.banner_timeout_ms);
    if (!send_cmd(c, verb, arg))
        fail_io(c, CURLE_SEND_ERROR, "send failed");
}

/* MAIL FROM:<from> or RCPT TO:<to>. */
static void start_envelope(struct smtp_conn *c, const char *verb, const char *key, const char *addr)
{
    char arg[TXN_ADDR_MAX + 8];
    snprintf(arg, sizeof arg, "%s:<%s>", key, addr);
    start_command(c, verb, arg);
}

/* The message after the 354: sent from c->body in pieces, and bounded (TXN_SIZE_MAX). */
static void start_body(struct smtp_conn *c)
{
    smtp_msg_id(c->txn.message_id, sizeof c->txn.message_id, c->ehlo_name);
    struct smtp_msg m = {
        .from = c->mail_from,
        .to = c->rcpt_to,
        .message_id = c->txn.message_id,
        .size = c->p.msg_size,
        .date = time(NULL),
    };
    c->body.len = 0;
    smtp_msg_build(&c->body, &m);
    char note[TXN_MSGID_MAX + 64];
    int n = snprintf(note, sizeof note, "<message of %zu bytes, Message-ID <%s>>", c->body.len,
                     c->txn.message_id);
    transcript_add(c, "C", note, n > 0 ? (size_t)n : 0);
    c->out_p = c->body.p;
    c->out_len = c->body.len;
    c->out_off = 0;
    c->io_rc = CURLE_OK;
    arm_deadline(c, c->p.banner_timeout_ms);
    if (!flush_out(c))
        fail_io(c, CURLE_SEND_ERROR, "send failed");
}

/* Moves to the next state and does what entering it means: usually, send its command. */
static void enter_state(struct smtp_conn *c, enum sess_state next, int reply, const char *why)
{
    trace(c, next, reply, why, NULL);
    c->state = next;
    if (next != SS_TLS_HANDSHAKE && next != SS_DONE && next != SS_CONNECT && next != SS_GREETING)
        phase_begin(c, state_phase[next], mxw_now_us());
    switch (next) {
    case SS_GREETING: start_greeting(c); break;
    case SS_EHLO: start_command(c, "EHLO", c->ehlo_name); break;
    case SS_HELO: start_command(c, "HELO", c->ehlo_name); break;
    case SS_STARTTLS: start_command(c, "STARTTLS", NULL); break;
    case SS_TLS_HANDSHAKE: tls_start(c); break; /* within the STARTTLS reply's deadline */
    case SS_TLS_EHLO:
        c->ehlo[0] = '\0'; /* the EHLO reply kept is the one given over TLS */
        start_command(c, "EHLO", c->ehlo_name);
        break;
    case SS_MAIL: start_envelope(c, "MAIL", "FROM", c->mail_from); break;
    case SS_RCPT: start_envelope(c, "RCPT", "TO", c->rcpt_to); break;
    case SS_DATA: start_command(c, "DATA", NULL); break;
    case SS_BODY: start_body(c); break;
    case SS_RSET: start_command(c, "RSET", NULL); break;
    case SS_QUIT: start_quit(c); break;
    case SS_CONNECT:
    case SS_DONE: break;
    }
}

/* ---- events ---- */

/* The server's bytes: lines, replies, decisions, until nothing more has arrived. */
static void read_input(struct smtp_conn *c)
{
    char buf[READ_CHUNK];
    for (int i = 0; i < READS_MAX; i++) {
        long n = conn_read(c, buf, sizeof buf);
        if (n == 0)
            return;
        if (n < 0) {
            fail_io(c, CURLE_RECV_ERROR, "receive failed");
            return;
        }
        feed(c, buf, (size_t)n);
        if (!reading_replies(c))
            return;
    }
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    (void)fd;
    struct smtp_conn *c = arg;
    if (c->state == SS_TLS_HANDSHAKE) {
        tls_step(c);
    } else {
        if (c->out_off < c->out_len && !flush_out(c))
            fail_io(c, CURLE_SEND_ERROR, "send failed");
        if (c->state != SS_DONE && (events & (LOOP_READ | LOOP_ERROR | LOOP_WRITE)))
            read_input(c);
        if (reading_replies(c))
            watch_for_more(c);
    }
    settle(c);
}

/* Whether the TCP connection is up, and its connect time into the result. */
static bool note_connect(struct smtp_conn *c)
{
    curl_off_t connect_us = 0;
    curl_easy_getinfo(c->h, CURLINFO_CONNECT_TIME_T, &connect_us);
    c->seen.connected = connect_us > 0 || c->seen.greeting_code;
    if (c->seen.connected)
        c->r.connect_s = (double)connect_us / 1e6;
    return c->seen.connected;
}

/* libcurl finished the TCP connect (or failed in it). */
static void on_curl_done(void *arg, CURL *h, CURLcode rc)
{
    (void)h;
    struct smtp_conn *c = arg;
    if (c->state != SS_CONNECT)
        return;
    long os_errno = 0;
    curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &os_errno);
    c->seen.os_errno = os_errno ? os_errno : c->open_errno;
    note_connect(c);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (rc == CURLE_OK && curl_easy_getinfo(c->h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK)
        fd = CURL_SOCKET_BAD;
    if (rc == CURLE_OK && fd == CURL_SOCKET_BAD)
        rc = CURLE_FAILED_INIT; /* cannot happen: connected, yet no socket */
    if (rc != CURLE_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "libcurl: %s (errno %ld)", curl_easy_strerror(rc),
                 c->seen.os_errno);
        fail(c, rc, msg);
    } else {
        c->fd = fd;
        c->seen.connected = 1;
        if (c->r.connect_s < 0)
            c->r.connect_s = 0; /* faster than libcurl's clock */
        c->txn.step[TXN_CONNECT].s = c->r.connect_s;
        c->txn.last = TXN_CONNECT;
        phase_begin(c, TXN_GREETING, c->start_us + (int64_t)(c->r.connect_s * 1e6));
        enter_state(c, SS_GREETING, 0, "connected");
    }
    settle(c);
}

/* The session's deadlines: connect_timeout after the start the TCP connection must be up;
 * banner_timeout after the connect the greeting must be complete; banner_timeout after each
 * command its reply (a STARTTLS handshake counts against the STARTTLS reply's); and all of it
 * within total_timeout of the start. A deadline seen long after it was due says the agent
 * fell behind, not the server. */
static int64_t on_deadline(struct loop *l, void *arg)
{
    (void)l;
    struct smtp_conn *c = arg;
    int64_t now = mxw_now_us(), late_us = now - c->deadline_due_us;
    if (c->state == SS_CONNECT && now < c->total_due_us && note_connect(c)) {
        /* connected, and libcurl has not said so yet: the greeting's deadline now */
        int64_t due = c->start_us + (int64_t)(c->r.connect_s * 1e6) + c->p.banner_timeout_ms * 1000;
        if (due > now) {
            c->deadline_due_us = due;
            return (due - now) / 1000 + 1;
        }
    }
    char msg[160];
    const char *what = state_waits[c->state];
    c->seen.late = late_us > SMTP_LATE_US;
    if (c->seen.late)
        snprintf(msg, sizeof msg, "%s deadline seen %.3f s late: the agent fell behind", what,
                 (double)late_us / 1e6);
    else if (c->deadline_due_us >= c->total_due_us)
        snprintf(msg, sizeof msg, "%s not complete within total_timeout", what);
    else
        snprintf(msg, sizeof msg, "%s not complete within its timeout", what);
    c->deadline = NULL; /* freed by the loop when we return -1 */
    if (c->state == SS_CONNECT)
        note_connect(c);
    fail(c, CURLE_OPERATION_TIMEDOUT, msg);
    settle(c);
    return -1;
}

/* ---- starting a session ---- */

static bool url_safe(const char *h)
{
    if (!*h)
        return false;
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
            return false;
    return true;
}

/* The session's socket, made here so that a failure (EMFILE: no descriptor left) is known
 * as this side's: libcurl turns it into CURLE_COULDNT_CONNECT without an errno. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct smtp_conn *c = arg;
    (void)purpose;
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        c->open_errno = errno;
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static bool setup_handle(struct smtp_conn *c)
{
    char addr[INET6_ADDRSTRLEN], url[600], connect_to[600];
    inet_ntop(c->p.family, c->p.addr, addr, sizeof addr);
    snprintf(url, sizeof url, "http://%s:%u/", c->host, c->p.port);
    snprintf(connect_to, sizeof connect_to,
             c->p.family == AF_INET6 ? "%s:%u:[%s]:%u" : "%s:%u:%s:%u", c->host, c->p.port, addr,
             c->p.port);
    /* CONNECT_TO's list must outlive the transfer: libcurl reads it during the connect. */
    c->connect_to = curl_slist_append(NULL, connect_to);
    if (!c->connect_to)
        return false;
    CURL *h = c->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never the environment's http_proxy */
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    /* Our deadline (on_deadline) ends the connect first; libcurl's is a backstop. */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->p.total_timeout_ms);
    if (c->source[0])
        curl_easy_setopt(h, CURLOPT_INTERFACE, c->source);
    return true;
}

static bool start_curl(struct smtp_conn *c)
{
    c->start_us = mxw_now_us();
    c->total_due_us = c->start_us + c->p.total_timeout_ms * 1000;
    c->txn.at = mxw_wall_time();
    phase_begin(c, TXN_CONNECT, c->start_us);
    c->h = curl_easy_init();
    if (!c->h || !setup_handle(c))
        return false;
    if (curlm_add(c->env->curlm, c->h, on_curl_done, c) < 0) {
        curl_easy_cleanup(c->h); /* never added: release must not remove it */
        c->h = NULL;
        return false;
    }
    arm_deadline(c, c->p.connect_timeout_ms);
    return true;
}

struct smtp_conn *smtp_conn_start(const struct smtp_conn_env *env,
                                  const struct smtp_check_params *p, smtp_done_fn *fn, void *arg)
{
    struct smtp_conn *c = xcalloc(1, sizeof *c);
    c->env = env;
    c->p = *p;
    c->fd = -1;
    c->fn = fn;
    c->arg = arg;
    c->state = SS_CONNECT;
    const char *mx = p->mx_name ? p->mx_name : "", *ehlo = p->ehlo_name ? p->ehlo_name : "";
    mxw_strlcpy(c->host, url_safe(mx) ? mx : "mx.invalid", sizeof c->host);
    mxw_strlcpy(c->ehlo_name, url_safe(ehlo) ? ehlo : "localhost", sizeof c->ehlo_name);
    mxw_strlcpy(c->source, p->source_address ? p->source_address : "", sizeof c->source);
    c->p.mx_name = c->p.ehlo_name = c->p.source_address = NULL; /* use the copies */
    if (p->txn_mode != TXN_MODE_NONE) {
        const char *from = p->mail_from ? p->mail_from : "", *to = p->rcpt_to ? p->rcpt_to : "";
        if (!txn_addr_ok(from, true) || !txn_addr_ok(to, false)) {
            free(c); /* the caller checks them first: nothing to clean up yet */
            return NULL;
        }
        mxw_strlcpy(c->mail_from, from, sizeof c->mail_from);
        mxw_strlcpy(c->rcpt_to, to, sizeof c->rcpt_to);
    }
    c->p.mail_from = c->p.rcpt_to = NULL;
    c->r.family = p->family;
    memcpy(c->r.addr, p->addr, sizeof c->r.addr);
    inet_ntop(p->family, p->addr, c->r.addr_str, sizeof c->r.addr_str);
    c->r.connect_s = c->r.banner_s = c->r.ehlo_s = c->r.tls_s = -1;
    if (!start_curl(c)) {
        release(c);
        return NULL;
    }
    return c;
}

void smtp_conn_abort(struct smtp_conn *c)
{
    if (c)
        release(c);
}
