/*
 * Unit tests of one SMTP session (probes/smtp_session.c) against a scripted server on
 * loopback: the session's own state machine decides what each reply answers, so a reply cut
 * into many TCP segments is read whole, a stall is blamed on the step it happens in (the
 * trace and the transcript name that state), bytes pipelined behind the STARTTLS 220 are
 * refused before any TLS byte is sent, a handshake answered in plain text fails in the
 * handshake, a full STARTTLS session reads its TLS facts and keeps the EHLO given over TLS,
 * HELO follows a refused EHLO unless TLS is required, total_timeout ends the step it falls
 * in, and long lines stay within the banner's and the transcript's bounds.
 *
 * The server runs on its own thread with blocking sockets, one connection per test, from a
 * script of steps: "S<bytes>" send, "P<ms>" pause, "R" read one client line, "T" TLS accept,
 * "H" hold until the client closes (recording how many bytes it sent meanwhile), "D" read a
 * message up to its "." line (recording its size); the end of the script closes the
 * connection. The transaction tests (MAIL, RCPT, RSET or DATA and the message) check each
 * phase's reply code, enhanced code and first line, and where a refusal ends it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "curlm.h"
#include "loop.h"
#include "smtp_session.h"

#define CERT_NOT_AFTER 2000000000 /* 2033-05-18, the scripted server's certificate */
#define MX_NAME        "mx.session.test."
#define EHLO_NAME      "probe.session.test"

/* ---- the scripted server ---- */

struct server {
    int lfd, fd;
    unsigned port;
    const char *const *script;
    SSL_CTX *tls;
    SSL *ssl;
    char got[4096]; /* client lines and events, each followed by '|' */
    size_t got_len;
    pthread_t thread;
};

static void got_add(struct server *s, const char *text)
{
    s->got_len += (size_t)snprintf(s->got + s->got_len, sizeof s->got - s->got_len, "%s|", text);
}

static long srv_recv(struct server *s, char *buf, size_t n)
{
    return s->ssl ? SSL_read(s->ssl, buf, (int)n) : recv(s->fd, buf, n, 0);
}

static void srv_send(struct server *s, const char *text)
{
    size_t n = strlen(text);
    if (s->ssl)
        SSL_write(s->ssl, text, (int)n);
    else
        send(s->fd, text, n, MSG_NOSIGNAL);
}

static void srv_read_line(struct server *s)
{
    char line[512], ch;
    size_t n = 0;
    while (srv_recv(s, &ch, 1) == 1 && ch != '\n')
        if (ch != '\r' && n + 1 < sizeof line)
            line[n++] = ch;
    line[n] = '\0';
    got_add(s, line);
}

/* Reads the message up to the line ".", noting its bytes (stuffing included) as "D<n>". */
static void srv_read_data(struct server *s)
{
    char line[1024], note[32], ch;
    long total = 0;
    for (;;) {
        size_t n = 0;
        while (srv_recv(s, &ch, 1) == 1 && ch != '\n')
            if (n + 1 < sizeof line)
                line[n++] = ch;
        line[n] = '\0';
        if (!strcmp(line, ".\r") || n == 0)
            break;
        total += (long)n + 1;
        assert_true(n <= 80); /* 78 characters, a stuffing dot, the CR */
    }
    snprintf(note, sizeof note, "D%ld", total);
    got_add(s, note);
}

static void srv_hold(struct server *s)
{
    char buf[512], note[32];
    long n, total = 0;
    while ((n = srv_recv(s, buf, sizeof buf)) > 0)
        total += n;
    snprintf(note, sizeof note, "H%ld", total);
    got_add(s, note);
}

static void srv_tls_accept(struct server *s)
{
    s->ssl = SSL_new(s->tls);
    SSL_set_fd(s->ssl, s->fd);
    if (SSL_accept(s->ssl) != 1) {
        got_add(s, "TLS failed");
        return;
    }
    const char *sni = SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name);
    char note[300];
    snprintf(note, sizeof note, "SNI=%s", sni ? sni : "");
    got_add(s, note);
}

static void *srv_run(void *arg)
{
    struct server *s = arg;
    s->fd = accept(s->lfd, NULL, NULL);
    if (s->fd < 0)
        return NULL;
    int one = 1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (const char *const *step = s->script; *step; step++) {
        const char *st = *step;
        if (st[0] == 'S') {
            srv_send(s, st + 1);
        } else if (st[0] == 'P') {
            long ms = atol(st + 1);
            struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};
            nanosleep(&ts, NULL);
        } else if (st[0] == 'R') {
            srv_read_line(s);
        } else if (st[0] == 'T') {
            srv_tls_accept(s);
        } else if (st[0] == 'H') {
            srv_hold(s);
        } else if (st[0] == 'D') {
            srv_read_data(s);
        }
    }
    SSL_free(s->ssl);
    close(s->fd);
    return NULL;
}

static SSL_CTX *server_tls(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    ASN1_TIME_set(X509_getm_notAfter(x), CERT_NOT_AFTER);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mx.session.test",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

static void server_start(struct server *s, const char *const *script)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->tls = server_tls();
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    getsockname(s->lfd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, srv_run, s);
}

static void server_stop(struct server *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
    SSL_CTX_free(s->tls);
}

/* ---- the session ---- */

struct run {
    struct loop *loop;
    int calls;
    struct mx_addr_result r; /* text NULL: its texts are copied into banner and ehlo */
    char banner[STORE_BANNER_MAX], ehlo[STORE_EHLO_MAX];
    char transcript[8192];
    char trace[512];   /* "connect>greeting>ehlo>...>done" */
    bool trace_broken; /* a step's from was not the previous step's to */
    char outcome[32];  /* from the step to done */
    struct txn_result txn;
};

static void on_done(void *arg, const struct mx_addr_result *r)
{
    struct run *run = arg;
    run->calls++;
    run->r = *r;
    run->r.text = NULL; /* the session drops its block after this call */
    snprintf(run->banner, sizeof run->banner, "%s", store_addr_banner(r));
    snprintf(run->ehlo, sizeof run->ehlo, "%s", store_addr_ehlo(r));
    snprintf(run->transcript, sizeof run->transcript, "%s", store_addr_transcript(r));
    loop_stop(run->loop);
}

static void on_trace(void *arg, const struct smtp_step *st)
{
    struct run *run = arg;
    size_t n = strlen(run->trace);
    const char *last = strrchr(run->trace, '>');
    last = last ? last + 1 : run->trace;
    if (n && strcmp(last, st->from) != 0)
        run->trace_broken = true;
    if (!n)
        n += (size_t)snprintf(run->trace, sizeof run->trace, "%s", st->from);
    snprintf(run->trace + n, sizeof run->trace - n, ">%s", st->to);
    if (st->outcome)
        snprintf(run->outcome, sizeof run->outcome, "%s", st->outcome);
}

static int64_t on_guard(struct loop *l, void *arg)
{
    *(bool *)arg = true;
    loop_stop(l);
    return -1;
}

struct opts {
    enum starttls_mode starttls;
    enum txn_mode txn_mode;
    size_t msg_size;
    int64_t banner_ms, total_ms;
    size_t transcript_max;
};

/* Runs one session against the script; the server's record is left in srv->got. */
static void run_session(const char *const *script, const struct opts *o, struct run *run,
                        struct server *srv)
{
    memset(run, 0, sizeof *run);
    server_start(srv, script);
    struct loop *l = run->loop = loop_new();
    char err[128];
    struct curlm *cm = curlm_new(l, err, sizeof err);
    assert_non_null(cm);
    struct smtp_figures fig = {0};
    struct smtp_conn_env env;
    smtp_conn_env_init(&env, l, cm, &fig);
    env.trace = on_trace;
    env.trace_arg = run;
    struct smtp_check_params p = {
        .family = AF_INET,
        .port = srv->port,
        .mx_name = MX_NAME,
        .ehlo_name = EHLO_NAME,
        .starttls = o->starttls,
        .connect_timeout_ms = 1000,
        .banner_timeout_ms = o->banner_ms ? o->banner_ms : 300,
        .total_timeout_ms = o->total_ms ? o->total_ms : 4000,
        .transcript_max = o->transcript_max ? o->transcript_max : 4096,
        .txn_mode = o->txn_mode,
        .mail_from = "probe@session.test",
        .rcpt_to = "canary@session.test",
        .msg_size = o->msg_size,
        .txn = &run->txn,
    };
    inet_pton(AF_INET, "127.0.0.1", p.addr);
    struct smtp_conn *c = smtp_conn_start(&env, &p, on_done, run);
    assert_non_null(c);
    bool guard_fired = false;
    struct loop_timer *guard = loop_timer_add(l, 10000, on_guard, &guard_fired);
    loop_run(l);
    if (!guard_fired)
        loop_timer_del(l, guard);
    if (!run->calls)
        smtp_conn_abort(c);
    smtp_conn_env_free(&env);
    curlm_free(cm);
    loop_free(l);
    server_stop(srv);
    assert_int_equal(run->calls, 1);
    assert_false(run->trace_broken);
    assert_string_equal(run->outcome, store_outcome_name(run->r.outcome));
    assert_true(strlen(run->transcript) < p.transcript_max);
}

#define assert_contains(hay, needle) assert_non_null(strstr((hay), (needle)))

/* ---- the tests ---- */

static void replies_cut_into_segments_are_read_whole(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 mx.sess",
        "P3",
        "Sion.test ESMTP\r",
        "P3",
        "S\n",
        "R",
        "S250-mx.sess",
        "P3",
        "Sion.test\r\n250-STAR",
        "P3",
        "STTLS\r",
        "P3",
        "S\n250 8BIT",
        "P3",
        "SMIME\r\n",
        "R",
        "S454 4.7.0 not now\r\n",
        "R",
        "S221 bye\r\n",
        NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_string_equal(run.trace, "connect>greeting>ehlo>starttls>quit>done");
    assert_string_equal(run.banner, "220 mx.session.test ESMTP");
    assert_string_equal(run.ehlo, "250-mx.session.test\n250-STARTTLS\n250 8BITMIME");
    assert_true(run.r.starttls_offered);
    assert_false(run.r.tls_negotiated);
    assert_int_equal(run.r.smtp_code, 220);
    assert_true(run.r.connect_s >= 0 && run.r.banner_s >= 0 && run.r.ehlo_s >= 0);
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|STARTTLS|QUIT|");
}

static void a_stall_inside_the_ehlo_reply_is_blamed_on_ehlo(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n", "R", "S250-first\r\n", "P3", "S250-sec", "H", NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ehlo_rejected");
    assert_string_equal(run.trace, "connect>greeting>ehlo>done");
    assert_contains(run.transcript, "#: EHLO reply not complete within its timeout");
    assert_contains(run.transcript, "#: outcome=ehlo_rejected state=ehlo");
    assert_true(run.r.ehlo_s < 0);
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|H0|");
}

static void bytes_pipelined_behind_the_starttls_220_are_refused(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n",
        "R",
        "S250-mx\r\n250 STARTTLS\r\n",
        "R",
        "S220 go ahead\r\n250 injected\r\n",
        "H",
        NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "tls_failed");
    assert_string_equal(run.trace, "connect>greeting>ehlo>starttls>done");
    assert_contains(run.transcript, "pipelined behind the STARTTLS reply");
    /* not one TLS byte went out */
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|STARTTLS|H0|");
}

static void a_plain_text_answer_to_the_handshake_fails_in_the_handshake(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n",
        "R",
        "S250 STARTTLS\r\n",
        "R",
        "S220 go ahead\r\n",
        "P20",
        "Snot TLS at all\r\n",
        "H",
        NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "tls_failed");
    assert_string_equal(run.trace, "connect>greeting>ehlo>starttls>tls_handshake>done");
    assert_contains(run.transcript, "#: TLS handshake failed: ");
    assert_contains(run.transcript, "state=tls_handshake");
    assert_false(run.r.tls_negotiated);
}

static void a_starttls_session_reads_tls_facts_and_keeps_the_ehlo_over_tls(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n",     "R",  "S250-mx\r\n250 STARTTLS\r\n", "R", "S220 go ahead\r\n", "T",  "R",
        "S250-mx.tls\r\n", "P3", "S250 SIZE 100\r\n",           "R", "S221 bye\r\n",      NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_string_equal(run.trace,
                        "connect>greeting>ehlo>starttls>tls_handshake>tls_ehlo>quit>done");
    assert_true(run.r.starttls_offered);
    assert_true(run.r.tls_negotiated);
    assert_string_equal(run.r.tls_version, "TLSv1.3");
    assert_false(run.r.tls_verified); /* no certificate store, as with libcurl's VERIFYPEER 0 */
    assert_true(run.r.tls_cert_expiry == (double)CERT_NOT_AFTER);
    assert_true(run.r.tls_s >= 0);
    assert_string_equal(run.ehlo, "250-mx.tls\n250 SIZE 100");
    /* SNI is the MX name without its trailing dot */
    assert_string_equal(srv.got,
                        "EHLO " EHLO_NAME "|STARTTLS|SNI=mx.session.test|EHLO " EHLO_NAME "|QUIT|");
}

static void a_refused_ehlo_falls_back_to_helo_unless_tls_is_required(void **state)
{
    (void)state;
    static const char *const helo[] = {
        "S220 hi\r\n",    "R", "S502 5.5.1 no EHLO\r\n", "R",
        "S250 hello\r\n", "R", "S221 bye\r\n",           NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(helo, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_string_equal(run.trace, "connect>greeting>ehlo>helo>quit>done");
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|HELO " EHLO_NAME "|QUIT|");

    static const char *const required[] = {
        "S220 hi\r\n", "R", "S502 5.5.1 no EHLO\r\n", "H", NULL,
    };
    o.starttls = STARTTLS_REQUIRE;
    run_session(required, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ehlo_rejected");
    assert_string_equal(run.trace, "connect>greeting>ehlo>done");
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|H0|");
}

static void required_tls_without_a_starttls_offer_fails_as_tls(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n", "R", "S250-mx\r\n250 8BITMIME\r\n", "H", NULL,
    };
    struct opts o = {.starttls = STARTTLS_REQUIRE};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "tls_failed");
    assert_string_equal(run.trace, "connect>greeting>ehlo>done");
    assert_false(run.r.starttls_offered);
}

static void total_timeout_ends_the_step_it_falls_in(void **state)
{
    (void)state;
    /* each reply within banner_timeout (1 s), the STARTTLS reply past total_timeout (1.5 s) */
    static const char *const script[] = {
        "S220 hi\r\n", "R", "P800", "S250 STARTTLS\r\n", "R", "P900", "S220 late\r\n", "H", NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY, .banner_ms = 1000, .total_ms = 1500};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "tls_failed");
    assert_string_equal(run.trace, "connect>greeting>ehlo>starttls>done");
    assert_contains(run.transcript, "#: STARTTLS reply not complete within total_timeout");
}

static void a_4xx_greeting_ends_the_session_before_ehlo(void **state)
{
    (void)state;
    static const char *const script[] = {"S421 4.3.2 busy\r\n", "H", NULL};
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "banner_4xx");
    assert_string_equal(run.trace, "connect>greeting>done");
    assert_int_equal(run.r.smtp_code, 421);
    assert_string_equal(srv.got, "H0|");
}

static void a_close_after_the_greeting_is_a_protocol_error_in_ehlo(void **state)
{
    (void)state;
    static const char *const script[] = {"S220 hi\r\n", "R", NULL};
    struct opts o = {.starttls = STARTTLS_TRY};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "protocol_error");
    assert_string_equal(run.trace, "connect>greeting>ehlo>done");
    assert_contains(run.transcript, "the server closed the connection");
}

static void an_unanswered_quit_still_ends_ok(void **state)
{
    (void)state;
    static const char *const script[] = {"S220 hi\r\n", "R", "S250 ok\r\n", "R", "H", NULL};
    struct opts o = {.starttls = STARTTLS_NEVER};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_string_equal(run.trace, "connect>greeting>ehlo>quit>done");
    assert_contains(run.transcript, "#: no reply to QUIT");
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|QUIT|H0|");
}

static void long_lines_stay_within_the_banner_and_transcript_bounds(void **state)
{
    (void)state;
    static char greeting[12000], ehlo[4000];
    memset(greeting, 'x', sizeof greeting);
    memcpy(greeting, "S220-", 5);
    memcpy(greeting + sizeof greeting - 13, "\r\n220 end\r\n", 12);
    size_t n = (size_t)snprintf(ehlo, sizeof ehlo, "S");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(ehlo + n, sizeof ehlo - n, "250-EXTENSION%02d\r\n", i);
    snprintf(ehlo + n, sizeof ehlo - n, "250 LAST\r\n");
    const char *const script[] = {greeting, "R", ehlo, "R", "S221 bye\r\n", NULL};
    struct opts o = {.starttls = STARTTLS_TRY, .transcript_max = 400};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_true(strlen(run.banner) < STORE_BANNER_MAX);
    assert_true(strlen(run.banner) >= STORE_BANNER_MAX - 2);
    assert_true(strlen(run.ehlo) < STORE_EHLO_MAX);
    assert_true(strlen(run.transcript) < 400); /* also checked for every run */
    assert_string_equal(srv.got, "EHLO " EHLO_NAME "|QUIT|");
}

static void an_rcpt_transaction_ends_with_rset_and_records_every_phase(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n",          "R",  "S250 mx\r\n",       "R", "S250 2.1.0 Ok\x01\r\n", "R",
        "S250-2.1.5 first\r\n", "P3", "S250 2.1.5 Ok\r\n", "R", "S250 2.0.0 Ok\r\n",     "R",
        "S221 bye\r\n",         NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY, .txn_mode = TXN_MODE_RCPT};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok");
    assert_string_equal(run.trace, "connect>greeting>ehlo>mail>rcpt>rset>quit>done");
    assert_string_equal(srv.got, "EHLO " EHLO_NAME
                                 "|MAIL FROM:<probe@session.test>|RCPT TO:<canary@session.test>"
                                 "|RSET|QUIT|");
    assert_true(run.txn.success);
    assert_int_equal(run.txn.step[TXN_MAIL].code, 250);
    assert_string_equal(run.txn.step[TXN_MAIL].enhanced, "2.1.0");
    assert_string_equal(run.txn.step[TXN_MAIL].text, "250 2.1.0 Ok.");   /* control byte */
    assert_string_equal(run.txn.step[TXN_RCPT].text, "250-2.1.5 first"); /* the first line */
    assert_true(run.txn.step[TXN_RCPT].s >= 0.003);
    assert_false(run.txn.step[TXN_DATA].reached);
    assert_int_equal(run.txn.step[TXN_QUIT].code, 221);
}

static void a_4xx_at_rcpt_fails_the_transaction_there_and_quits(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n",
        "R",
        "S250 mx\r\n",
        "R",
        "S250 ok\r\n",
        "R",
        "S451 4.7.1 greylisted\r\n",
        "R",
        "S221 bye\r\n",
        NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY, .txn_mode = TXN_MODE_DATA};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(store_outcome_name(run.r.outcome), "ok"); /* the address answered */
    assert_string_equal(run.trace, "connect>greeting>ehlo>mail>rcpt>quit>done");
    assert_false(run.txn.success);
    assert_int_equal(run.txn.failed, TXN_RCPT);
    assert_string_equal(run.txn.step[TXN_RCPT].enhanced, "4.7.1");
    assert_int_equal(txn_signal_of(&run.txn), TXN_SIG_THROTTLED);
}

static void a_data_transaction_sends_a_stuffed_message_larger_than_a_command(void **state)
{
    (void)state;
    static const char *const script[] = {
        "S220 hi\r\n", "R", "S250 mx\r\n",           "R", "S250 ok\r\n",  "R",  "S250 ok\r\n", "R",
        "S354 go\r\n", "D", "S250 2.0.0 queued\r\n", "R", "S221 bye\r\n", NULL,
    };
    struct opts o = {.starttls = STARTTLS_TRY, .txn_mode = TXN_MODE_DATA, .msg_size = 100000};
    struct run run;
    struct server srv;
    run_session(script, &o, &run, &srv);
    assert_string_equal(run.trace, "connect>greeting>ehlo>mail>rcpt>data>body>quit>done");
    assert_true(run.txn.success);
    assert_int_equal(run.txn.step[TXN_BODY].code, 250);
    assert_true(run.txn.message_id[0] != '\0');
    assert_contains(srv.got, "DATA|D");
    long got = atol(strstr(srv.got, "DATA|D") + 6);
    assert_true(got >= 100000 && got < 100200); /* the whole message, padded to the size */
    assert_contains(srv.got, "|QUIT|");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_cut_into_segments_are_read_whole),
        cmocka_unit_test(a_stall_inside_the_ehlo_reply_is_blamed_on_ehlo),
        cmocka_unit_test(bytes_pipelined_behind_the_starttls_220_are_refused),
        cmocka_unit_test(a_plain_text_answer_to_the_handshake_fails_in_the_handshake),
        cmocka_unit_test(a_starttls_session_reads_tls_facts_and_keeps_the_ehlo_over_tls),
        cmocka_unit_test(a_refused_ehlo_falls_back_to_helo_unless_tls_is_required),
        cmocka_unit_test(required_tls_without_a_starttls_offer_fails_as_tls),
        cmocka_unit_test(total_timeout_ends_the_step_it_falls_in),
        cmocka_unit_test(a_4xx_greeting_ends_the_session_before_ehlo),
        cmocka_unit_test(a_close_after_the_greeting_is_a_protocol_error_in_ehlo),
        cmocka_unit_test(an_unanswered_quit_still_ends_ok),
        cmocka_unit_test(long_lines_stay_within_the_banner_and_transcript_bounds),
        cmocka_unit_test(an_rcpt_transaction_ends_with_rset_and_records_every_phase),
        cmocka_unit_test(a_4xx_at_rcpt_fails_the_transaction_there_and_quits),
        cmocka_unit_test(a_data_transaction_sends_a_stuffed_message_larger_than_a_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
