/*
 * smtp_session.h - one SMTP session to one MX address, private to the SMTP scheduler
 * (smtp.c) and its unit test: connect to the pinned address, greeting, EHLO (HELO when EHLO
 * is refused), STARTTLS when asked, TLS EHLO, QUIT, each step an explicit state. It starts at
 * once (the scheduler has already applied its caps) and ends through the callback, exactly
 * once, never from inside smtp_conn_start. Loop thread only; never logs: its steps go to the
 * trace hook of its environment.
 */
#ifndef MXW_SMTP_SESSION_H
#define MXW_SMTP_SESSION_H

#include "loop.h"
#include "smtp_check.h"

struct smtp_conn;
struct curlm;
struct ssl_ctx_st;
struct bio_method_st;

/* What every session of one scheduler shares. The scheduler owns it (smtp_conn_env_init,
 * smtp_conn_env_free after its last session) and sessions only read it. */
struct smtp_conn_env {
    struct loop *loop;         /* the probe loop */
    struct curlm *curlm;       /* its libcurl multi handle, which makes the TCP connects */
    struct smtp_figures *fig;  /* the scheduler's: local failures by cause */
    struct ssl_ctx_st *tls;    /* OpenSSL client context for STARTTLS; NULL: none could be
                                  made, and a STARTTLS session fails as this side's */
    struct bio_method_st *bio; /* TLS records through curl_easy_send/recv */
    smtp_trace_fn *trace;      /* each step, for debug traces; NULL: none */
    void *trace_arg;
};

/* Fills e; the TLS context is made here, once for all sessions. */
void smtp_conn_env_init(struct smtp_conn_env *e, struct loop *l, struct curlm *cm,
                        struct smtp_figures *fig);
/* Adds the certificates of ca_file (global.tls_ca_file) to those tls_verified trusts. */
void smtp_conn_env_trust(struct smtp_conn_env *e, const char *ca_file);
void smtp_conn_env_free(struct smtp_conn_env *e);

/* Starts a session on the environment's multi handle; NULL when it cannot even start (no
 * memory, libcurl refused the handle, or a transaction's addresses are no addresses:
 * txn_addr_ok, which callers check first): that is this side's failure, not the address's.
 * A session that fails on this side counts its cause in env->fig. After the callback
 * returns, the session is freed by itself. */
struct smtp_conn *smtp_conn_start(const struct smtp_conn_env *env,
                                  const struct smtp_check_params *p, smtp_done_fn *fn, void *arg);
/* Closes a running session; its callback is not called. */
void smtp_conn_abort(struct smtp_conn *c);

#endif
