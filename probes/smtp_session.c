/*
 * smtp_session.c - one SMTP session to one MX address (smtp_session.h), on libcurl's multi
 * interface. The scheduler (smtp.c) decides when an address gets a session and fans the
 * result out; this file only speaks SMTP.
 *
 * One session is an explicit state machine:
 *   CURL     libcurl connects (CURLOPT_CONNECT_TO pins the address c-ares found), reads the
 *            greeting, sends EHLO and, with STARTTLS "try", upgrades to TLS; CONNECT_ONLY
 *            makes the transfer end right there
 *   QUIT     we send QUIT ourselves (curl_easy_send) and wait for the reply on the loop, so
 *            the remote MTA logs a clean end; then the socket is shut down, which makes
 *            libcurl's own disconnect-time QUIT fail at once instead of blocking the loop
 *            on a reply (libcurl waits for that reply synchronously)
 *   DONE     result handed to the caller
 * Every path to the caller goes through finish(), which carries the outcome class. A
 * failure on this side (no descriptor left, a deadline the loop itself missed) is
 * OUT_LOCAL_ERROR, never the address's fault.
 * Server lines come from the header callback, client lines from the debug callback, both
 * into a bounded transcript. Loop thread only; never logs.
 */
#include "smtp_session.h"

#include "curlm.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
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

enum sess_state { SS_CURL, SS_QUIT, SS_DONE };

/* Which reply the next complete server reply answers. */
enum reply_for { R_GREETING, R_EHLO, R_HELO, R_STARTTLS, R_EHLO_TLS, R_QUIT, R_OTHER };

struct smtp_conn {
    struct loop *loop;
    struct curlm *curlm;
    struct smtp_figures *fig; /* the scheduler's: local failures by cause */
    enum sess_state state;
    struct smtp_check_params p;
    char mx_name[256], ehlo_name[256], source[64];
    smtp_done_fn *fn;
    void *arg;
    CURL *h;
    struct curl_slist *connect_to;
    int fd;                      /* during QUIT */
    struct loop_timer *deadline; /* TCP connect, then each reply: see on_deadline */
    int64_t deadline_due_us;     /* when it should fire; much later means the loop fell behind */
    int open_errno;              /* why our socket() failed: libcurl reports no errno for it */
    bool awaiting_reply;         /* the deadline is a reply's, not the TCP connect's */
    struct loop_timer *quit_timer;
    int64_t start_us, greeting_us, tls_start_us;
    enum reply_for expect;
    struct smtp_seen seen;
    struct mx_addr_result r;
    struct buf_t {
        char *p;
        size_t len, cap;
    } transcript;
    char line[1024]; /* partial server line (QUIT phase) */
    size_t line_len;
};

static const char *const state_names[] = {"curl", "quit", "done"};

/* ---- transcript ---- */

static void transcript_add(struct smtp_conn *ss, const char *who, const char *text, size_t n)
{
    struct buf_t *t = &ss->transcript;
    if (t->len >= ss->p.transcript_max)
        return;
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    char head[48];
    double at = (double)(mxw_now_us() - ss->start_us) / 1e6;
    int hl = snprintf(head, sizeof head, "+%.4f %s: ", at, who);
    size_t need = (size_t)hl + n + 2, room = ss->p.transcript_max - t->len;
    if (need > room)
        n = room > (size_t)hl + 2 ? room - (size_t)hl - 2 : 0;
    if (t->cap < t->len + (size_t)hl + n + 2) {
        t->cap = t->len + (size_t)hl + n + 256;
        t->p = realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, head, (size_t)hl);
    t->len += (size_t)hl;
    for (size_t i = 0; i < n; i++) /* control bytes from strangers become '.' */
        t->p[t->len++] = (unsigned char)text[i] < 0x20 && text[i] != '\t' ? '.' : text[i];
    t->p[t->len++] = '\n';
    t->p[t->len] = '\0';
}

/* ---- reading replies ---- */

static void read_tls_facts(struct smtp_conn *ss);

static int reply_code(const char *line, size_t n, bool *final)
{
    if (n < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return -1;
    *final = n == 3 || line[3] != '-';
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static void append_text(char *dst, size_t cap, const char *src, size_t n)
{
    size_t have = strlen(dst);
    if (have && have + 1 < cap)
        dst[have++] = '\n';
    for (size_t i = 0; i < n && have + 1 < cap; i++)
        dst[have++] = (unsigned char)src[i] < 0x20 ? '.' : src[i];
    dst[have] = '\0';
}

static void on_final_reply(struct smtp_conn *ss, int code)
{
    int64_t now = mxw_now_us();
    switch (ss->expect) {
    case R_GREETING:
        ss->seen.greeting_code = code;
        ss->r.smtp_code = code;
        ss->greeting_us = now;
        ss->r.banner_s = (double)(now - ss->start_us) / 1e6;
        break;
    case R_EHLO:
        ss->seen.ehlo_code = code;
        ss->r.ehlo_s = (double)(now - ss->greeting_us) / 1e6;
        break;
    case R_HELO: ss->seen.helo_code = code; break;
    case R_STARTTLS:
        ss->seen.tls_started = code == 220;
        ss->tls_start_us = now;
        break;
    default: break;
    }
}

static void on_server_line(struct smtp_conn *ss, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    transcript_add(ss, "S", line, n);
    bool final = false;
    int code = reply_code(line, n, &final);
    if (code < 0)
        return;
    const char *text = n > 4 ? line + 4 : "";
    size_t tn = n > 4 ? n - 4 : 0;
    if (ss->expect == R_GREETING)
        append_text(ss->r.banner, sizeof ss->r.banner, line, n);
    if (ss->expect == R_EHLO_TLS && !ss->r.tls_negotiated) {
        /* The first line after the handshake: the connection is still attached to the
         * handle here (after the transfer it is not), so the TLS facts are read now. The
         * EHLO reply kept is the one given over TLS. */
        read_tls_facts(ss);
        ss->r.ehlo[0] = '\0';
    }
    if (ss->expect == R_EHLO || ss->expect == R_EHLO_TLS) {
        append_text(ss->r.ehlo, sizeof ss->r.ehlo, line, n);
        if (ss->expect == R_EHLO && tn >= 8 && !strncasecmp(text, "STARTTLS", 8))
            ss->r.starttls_offered = true;
    }
    if (final)
        on_final_reply(ss, code);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    on_server_line(userdata, buf, size * nitems);
    return size * nitems;
}

static int64_t on_deadline(struct loop *l, void *arg);

/* (Re)arms the phase deadline ms from now. */
static void arm_deadline(struct smtp_conn *ss, int64_t ms)
{
    ss->deadline_due_us = mxw_now_us() + ms * 1000;
    if (ss->deadline)
        loop_timer_reset(ss->loop, ss->deadline, ms);
    else
        ss->deadline = loop_timer_add(ss->loop, ms, on_deadline, ss);
}

/* Client lines: libcurl reports what it sends as CURLINFO_HEADER_OUT. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
    (void)h;
    struct smtp_conn *ss = userp;
    if (type != CURLINFO_HEADER_OUT)
        return 0;
    transcript_add(ss, "C", data, size);
    if (ss->deadline && ss->state == SS_CURL) {
        ss->awaiting_reply = true;
        arm_deadline(ss, ss->p.banner_timeout_ms);
    }
    if (size >= 4 && !strncasecmp(data, "EHLO", 4))
        ss->expect = ss->seen.tls_started ? R_EHLO_TLS : R_EHLO;
    else if (size >= 4 && !strncasecmp(data, "HELO", 4))
        ss->expect = R_HELO;
    else if (size >= 8 && !strncasecmp(data, "STARTTLS", 8))
        ss->expect = R_STARTTLS;
    else
        ss->expect = R_OTHER;
    return 0;
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

/* ---- TLS facts ---- */

static void read_tls_facts(struct smtp_conn *ss)
{
    struct curl_tlssessioninfo *ti = NULL;
    if (curl_easy_getinfo(ss->h, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
        ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
        return;
    SSL *ssl = ti->internals;
    ss->r.tls_negotiated = true;
    mxw_strlcpy(ss->r.tls_version, SSL_get_version(ssl), sizeof ss->r.tls_version);
    ss->r.tls_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
        struct tm tm;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
            ss->r.tls_cert_expiry = (double)timegm(&tm);
        X509_free(cert);
    }
    if (ss->tls_start_us)
        ss->r.tls_s = (double)(mxw_now_us() - ss->tls_start_us) / 1e6;
}

/* ---- ending a session ---- */

static void release(struct smtp_conn *ss)
{
    loop_timer_del(ss->loop, ss->deadline);
    loop_timer_del(ss->loop, ss->quit_timer);
    if (ss->fd >= 0) {
        loop_fd_del(ss->loop, ss->fd);
        shutdown(ss->fd, SHUT_RDWR); /* libcurl's own QUIT now fails fast, see top */
    }
    if (ss->h) {
        curlm_remove(ss->curlm, ss->h);
        curl_easy_cleanup(ss->h);
    }
    curl_slist_free_all(ss->connect_to);
    free(ss->transcript.p);
    free(ss);
}

/* The one exit: the caller learns the outcome, then the session is freed. */
static void finish(struct smtp_conn *ss, enum mx_outcome outcome)
{
    ss->r.outcome = outcome;
    ss->r.probed_at = mxw_wall_time();
    if (outcome == OUT_LOCAL_ERROR && ss->seen.late)
        ss->fig->local_late++;
    else if (outcome == OUT_LOCAL_ERROR)
        ss->fig->local_resources++;
    char note[96];
    snprintf(note, sizeof note, "outcome=%s state=%s", store_outcome_name(outcome),
             state_names[ss->state]);
    transcript_add(ss, "#", note, strlen(note));
    ss->state = SS_DONE;
    ss->fn(ss->arg, &ss->r, ss->transcript.p ? ss->transcript.p : "");
    release(ss);
}

/* ---- QUIT ---- */

static void on_quit_readable(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    (void)fd;
    (void)events;
    struct smtp_conn *ss = arg;
    for (;;) {
        size_t n = 0, room = sizeof ss->line - ss->line_len - 1;
        CURLcode rc = curl_easy_recv(ss->h, ss->line + ss->line_len, room, &n);
        if (rc == CURLE_AGAIN)
            return;
        if (rc != CURLE_OK || n == 0)
            break; /* closed or failed: nothing more to wait for */
        ss->line_len += n;
        char *eol = memchr(ss->line, '\n', ss->line_len);
        if (eol || ss->line_len == sizeof ss->line - 1) {
            on_server_line(ss, ss->line, eol ? (size_t)(eol - ss->line) : ss->line_len);
            break;
        }
    }
    finish(ss, OUT_OK);
}

static int64_t on_quit_timeout(struct loop *l, void *arg)
{
    (void)l;
    struct smtp_conn *ss = arg;
    transcript_add(ss, "#", "no reply to QUIT", 16);
    ss->quit_timer = NULL; /* freed by the loop when we return -1 */
    finish(ss, OUT_OK);
    return -1;
}

static void start_quit(struct smtp_conn *ss)
{
    curl_socket_t fd = CURL_SOCKET_BAD;
    size_t sent = 0;
    CURLcode rc = curl_easy_getinfo(ss->h, CURLINFO_ACTIVESOCKET, &fd);
    if (rc == CURLE_OK && fd != CURL_SOCKET_BAD)
        rc = curl_easy_send(ss->h, "QUIT\r\n", 6, &sent);
    if (rc != CURLE_OK || fd == CURL_SOCKET_BAD || sent != 6) {
        char msg[128];
        snprintf(msg, sizeof msg, "QUIT not sent: %s",
                 fd == CURL_SOCKET_BAD ? "no connection" : curl_easy_strerror(rc));
        transcript_add(ss, "#", msg, strlen(msg));
        finish(ss, OUT_OK);
        return;
    }
    ss->state = SS_QUIT;
    ss->expect = R_QUIT;
    ss->fd = fd;
    transcript_add(ss, "C", "QUIT", 4);
    int64_t wait =
        ss->p.banner_timeout_ms < QUIT_WAIT_MAX_MS ? ss->p.banner_timeout_ms : QUIT_WAIT_MAX_MS;
    ss->quit_timer = loop_timer_add(ss->loop, wait, on_quit_timeout, ss);
    loop_fd_set(ss->loop, fd, LOOP_READ, on_quit_readable, ss);
}

/* libcurl finished the connect phase (or failed in it). */
/* Whether the TCP connection is up, and its connect time into the result. */
static bool note_connect(struct smtp_conn *ss)
{
    curl_off_t connect_us = 0;
    curl_easy_getinfo(ss->h, CURLINFO_CONNECT_TIME_T, &connect_us);
    ss->seen.connected = connect_us > 0 || ss->seen.greeting_code;
    if (ss->seen.connected)
        ss->r.connect_s = (double)connect_us / 1e6;
    return ss->seen.connected;
}

static void on_curl_done(void *arg, CURL *h, CURLcode rc)
{
    (void)h;
    struct smtp_conn *ss = arg;
    if (ss->state != SS_CURL)
        return;
    loop_timer_del(ss->loop, ss->deadline);
    ss->deadline = NULL;
    long os_errno = 0;
    curl_easy_getinfo(ss->h, CURLINFO_OS_ERRNO, &os_errno);
    if (!os_errno)
        os_errno = ss->open_errno;
    ss->seen.rc = (int)rc;
    ss->seen.os_errno = os_errno;
    note_connect(ss);
    if (rc != CURLE_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "libcurl: %s (errno %ld)", curl_easy_strerror(rc), os_errno);
        transcript_add(ss, "#", msg, strlen(msg));
    }
    enum mx_outcome o = smtp_classify(&ss->seen);
    if (o == OUT_OK && rc == CURLE_OK)
        start_quit(ss);
    else
        finish(ss, o);
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
    struct smtp_conn *ss = arg;
    (void)purpose;
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        ss->open_errno = errno;
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static void setup_handle(struct smtp_conn *ss)
{
    char addr[INET6_ADDRSTRLEN], url[600], connect_to[600];
    inet_ntop(ss->p.family, ss->p.addr, addr, sizeof addr);
    const char *host = url_safe(ss->mx_name) ? ss->mx_name : "mx.invalid";
    const char *ehlo = url_safe(ss->ehlo_name) ? ss->ehlo_name : "localhost";
    snprintf(url, sizeof url, "smtp://%s:%u/%s", host, ss->p.port, ehlo);
    snprintf(connect_to, sizeof connect_to,
             ss->p.family == AF_INET6 ? "%s:%u:[%s]:%u" : "%s:%u:%s:%u", host, ss->p.port, addr,
             ss->p.port);
    CURL *h = ss->h;
    ss->r.connect_s = ss->r.banner_s = ss->r.ehlo_s = ss->r.tls_s = -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    struct curl_slist *ct = curl_slist_append(NULL, connect_to);
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, ct);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, ss);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    /* No FORBID_REUSE: it closes the connection at the end of the connect phase, before
     * our QUIT; a connect-only connection is never reused anyway. */
    /* libcurl's connect timeout covers its whole connect phase, which for SMTP includes
     * the greeting, EHLO and STARTTLS: with CONNECT_ONLY that is the whole session. It gets
     * the total budget; the phase deadlines are our own (on_deadline). */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ss->p.total_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ss->p.total_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     (long)((ss->p.banner_timeout_ms + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ss);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, ss);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L); /* recorded, not enforced: see tls_verified */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     ss->p.starttls == STARTTLS_NEVER     ? (long)CURLUSESSL_NONE
                     : ss->p.starttls == STARTTLS_REQUIRE ? (long)CURLUSESSL_ALL
                                                          : (long)CURLUSESSL_TRY);
    if (ss->source[0])
        curl_easy_setopt(h, CURLOPT_INTERFACE, ss->source);
    /* CONNECT_TO's list must outlive the transfer: libcurl reads it during the connect. */
    ss->connect_to = ct;
}

/* The session's own deadlines. libcurl checks its server-response timeout only when
 * data arrives, so a silent server would hold a session until the total timeout; and its
 * connect timeout covers the greeting and EHLO too (see setup_handle). So: connect_timeout
 * after the start the TCP connection must be up; banner_timeout after the connect the
 * greeting must be complete; banner_timeout after each command its reply (on_debug
 * re-arms). A STARTTLS handshake counts against the STARTTLS reply's deadline. */
static int64_t on_deadline(struct loop *l, void *arg)
{
    (void)l;
    struct smtp_conn *ss = arg;
    int64_t now = mxw_now_us(), late_us = now - ss->deadline_due_us;
    if (!ss->awaiting_reply && note_connect(ss)) {
        ss->awaiting_reply = true;
        int64_t left =
            ss->start_us + (int64_t)(ss->r.connect_s * 1e6) + ss->p.banner_timeout_ms * 1000 - now;
        if (left > 0) {
            ss->deadline_due_us = now + left;
            return left / 1000 + 1;
        }
    }
    const char *what = !ss->awaiting_reply       ? "TCP connect"
                       : !ss->seen.greeting_code ? "greeting"
                                                 : "reply";
    char msg[128];
    ss->seen.late = late_us > SMTP_LATE_US;
    if (ss->seen.late)
        snprintf(msg, sizeof msg, "%s deadline seen %.3f s late: the agent fell behind", what,
                 (double)late_us / 1e6);
    else
        snprintf(msg, sizeof msg, "%s not complete within its timeout", what);
    transcript_add(ss, "#", msg, strlen(msg));
    ss->deadline = NULL; /* freed by the loop when we return -1 */
    ss->seen.rc = CURLE_OPERATION_TIMEDOUT;
    note_connect(ss);
    finish(ss, smtp_classify(&ss->seen));
    return -1;
}

static bool start_curl(struct smtp_conn *ss)
{
    ss->start_us = mxw_now_us();
    ss->h = curl_easy_init();
    if (!ss->h)
        return false;
    setup_handle(ss);
    if (curlm_add(ss->curlm, ss->h, on_curl_done, ss) < 0)
        return false;
    arm_deadline(ss, ss->p.connect_timeout_ms);
    return true;
}

struct smtp_conn *smtp_conn_start(struct loop *l, struct curlm *cm,
                                  const struct smtp_check_params *p, struct smtp_figures *fig,
                                  smtp_done_fn *fn, void *arg)
{
    struct smtp_conn *ss = calloc(1, sizeof *ss);
    if (!ss)
        return NULL;
    ss->loop = l;
    ss->curlm = cm;
    ss->fig = fig;
    ss->p = *p;
    ss->fd = -1;
    ss->fn = fn;
    ss->arg = arg;
    ss->state = SS_CURL;
    mxw_strlcpy(ss->mx_name, p->mx_name ? p->mx_name : "", sizeof ss->mx_name);
    mxw_strlcpy(ss->ehlo_name, p->ehlo_name ? p->ehlo_name : "", sizeof ss->ehlo_name);
    mxw_strlcpy(ss->source, p->source_address ? p->source_address : "", sizeof ss->source);
    ss->p.mx_name = ss->p.ehlo_name = ss->p.source_address = NULL; /* use the copies */
    ss->r.family = p->family;
    memcpy(ss->r.addr, p->addr, sizeof ss->r.addr);
    inet_ntop(p->family, p->addr, ss->r.addr_str, sizeof ss->r.addr_str);
    if (!start_curl(ss)) {
        release(ss);
        return NULL;
    }
    return ss;
}

void smtp_conn_abort(struct smtp_conn *ss)
{
    if (ss)
        release(ss);
}
