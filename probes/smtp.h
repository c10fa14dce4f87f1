/*
 * smtp.h - SMTP banner checks of MX addresses on libcurl's multi interface, driven by the
 * probe loop. A check is the manual `telnet host 25` made precise: connect to the pinned
 * address, read the greeting, EHLO, STARTTLS when offered (mode try), then QUIT and close.
 * Checks are shared per address: one session answers every check of that address that
 * accepts its result (fresh_after_us), at most one session per address at a time and
 * per_minute in any minute, and a global cap on sessions in flight. Loop thread only; never
 * logs (the transcript and the result say what happened).
 */
#ifndef MXW_SMTP_H
#define MXW_SMTP_H

#include "config.h"
#include "loop.h"
#include "smtp_check.h"

#include <stddef.h>
#include <stdint.h>

struct smtp;
struct smtp_session;

struct curlm;
/* Checks run on the given multi handle (owned by the caller, freed after smtp_free). */
struct smtp *smtp_new(struct loop *l, struct curlm *curlm, const struct config *cfg);
/* Aborts every session (their callbacks are not called) and frees the client. */
void smtp_free(struct smtp *s);

/* Queues a check; the callback runs exactly once, later, on the loop (with outcome
 * OUT_LOCAL_ERROR when this side could not start a session). */
struct smtp_session *smtp_check(struct smtp *s, const struct smtp_check_params *p, smtp_done_fn *fn,
                                void *arg);
/* The callback of the check will not be called. A session it caused runs on: its result
 * serves the address's other checks. */
void smtp_cancel(struct smtp *s, struct smtp_session *ss);

/* A transaction probe (p->txn_mode is not TXN_MODE_NONE): a session of its own, never shared
 * with another check and never answered from an address's latest result, started as soon as
 * the global cap allows (it counts in it). The per-address rate ring is the banner checks';
 * a transaction's own bound is its caller's (one in flight per destination, at most one a
 * minute: config.c). The callback runs exactly once, later, on the loop (OUT_LOCAL_ERROR
 * when no session could start); p->txn is filled before it. */
struct smtp_txn;
struct smtp_txn *smtp_transaction(struct smtp *s, const struct smtp_check_params *p,
                                  smtp_done_fn *fn, void *arg);
/* Ends a transaction (its session, if running, is closed); its callback is not called. */
void smtp_transaction_cancel(struct smtp *s, struct smtp_txn *t);

unsigned smtp_in_flight(const struct smtp *s);
void smtp_figures(const struct smtp *s, struct smtp_figures *out);
/* New caps (on reload): sessions over a lowered cap run to their end; a raised cap starts
 * waiting addresses on the next loop turn. */
void smtp_set_limits(struct smtp *s, unsigned max_in_flight, unsigned per_minute);
/* Every session step goes to fn (NULL: none), on the loop thread: the caller decides
 * whether and how to log it (the scheduler and the sessions never log). */
void smtp_set_trace(struct smtp *s, smtp_trace_fn *fn, void *arg);

#endif
