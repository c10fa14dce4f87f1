/*
 * smtp_session.h - one SMTP session to one MX address, private to the SMTP scheduler
 * (smtp.c): connect to the pinned address, greeting, EHLO, STARTTLS when asked, QUIT. It
 * starts at once (the scheduler has already applied its caps) and ends through the callback,
 * exactly once, never from inside smtp_conn_start. Loop thread only; never logs.
 */
#ifndef MXW_SMTP_SESSION_H
#define MXW_SMTP_SESSION_H

#include "smtp.h"

struct smtp_conn;
struct curlm;

/* Starts a session on the loop's multi handle; NULL when it cannot even start (no memory,
 * libcurl refused the handle): that is this side's failure, not the address's. After the
 * callback returns, the session is freed by itself. */
/* A session that fails on this side counts its cause in *fig. */
struct smtp_conn *smtp_conn_start(struct loop *l, struct curlm *cm,
                                  const struct smtp_check_params *p, struct smtp_figures *fig,
                                  smtp_done_fn *fn, void *arg);
/* Closes a running session; its callback is not called. */
void smtp_conn_abort(struct smtp_conn *c);

#endif
