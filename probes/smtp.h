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
#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct smtp_check_params {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned port;
    const char *mx_name;        /* for the URL and TLS SNI; the address is pinned anyway */
    const char *ehlo_name;      /* sent in EHLO */
    const char *source_address; /* bind here (CURLOPT_INTERFACE), NULL = any */
    enum starttls_mode starttls;
    int64_t connect_timeout_ms, banner_timeout_ms, total_timeout_ms;
    size_t transcript_max; /* bytes of conversation kept */
    /* Accept the result of a session that started at or after this monotonic time
     * (mxw_now_us); a result from an earlier session is not news to this check. */
    int64_t fresh_after_us;
};

/* The scheduler's own figures, for the agent's self metrics. */
struct smtp_figures {
    uint64_t sessions;   /* sessions started */
    uint64_t answers;    /* checks answered by a session (new or cached) */
    uint64_t shared;     /* of those, answered from a result another check caused */
    uint64_t rate_waits; /* times an address waited for its per-minute bound */
    size_t addresses;    /* addresses known now */
    /* Checks this side failed (OUT_LOCAL_ERROR), by cause: no descriptor, memory or port
     * (resources), or a deadline the loop saw long after it was due (late). */
    uint64_t local_resources, local_late;
};

/* r is complete (outcome, timings, banner, EHLO, TLS facts); transcript is the bounded
 * conversation ("+0.001 S: 220 ..." lines), valid during the call only. */
typedef void smtp_done_fn(void *arg, const struct mx_addr_result *r, const char *transcript);

/* One step of a session, for debug traces (smtp_set_trace): the state it left, the state it
 * entered and why. Valid during the call only. */
struct smtp_step {
    const char *address; /* the MX address, as text */
    unsigned port;
    const char *from, *to; /* state names: connect, greeting, ehlo, helo, starttls,
                              tls_handshake, tls_ehlo, quit, done */
    int reply;             /* the reply code that moved it, 0 = none */
    const char *why;       /* a few words: "reply", "connected", a failure, ... */
    const char *outcome;   /* the outcome class, on the step to done only (else NULL) */
};
typedef void smtp_trace_fn(void *arg, const struct smtp_step *step);

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

unsigned smtp_in_flight(const struct smtp *s);
void smtp_figures(const struct smtp *s, struct smtp_figures *out);
/* New caps (on reload): sessions over a lowered cap run to their end; a raised cap starts
 * waiting addresses on the next loop turn. */
void smtp_set_limits(struct smtp *s, unsigned max_in_flight, unsigned per_minute);
/* Every session step goes to fn (NULL: none), on the loop thread: the caller decides
 * whether and how to log it (the scheduler and the sessions never log). */
void smtp_set_trace(struct smtp *s, smtp_trace_fn *fn, void *arg);

/* Classifies a finished session (exposed for unit tests): rc is the CURLcode of the step
 * that ended it (libcurl's for the TCP connect, the session's own for the SMTP steps, in
 * libcurl's terms), os_errno CURLINFO_OS_ERRNO, the rest what the session saw. */
struct smtp_seen {
    int rc;
    long os_errno;
    int connected;     /* TCP connect completed */
    int greeting_code; /* 0 = no complete greeting */
    int ehlo_code;     /* 0 = EHLO not answered */
    int helo_code;     /* reply to the HELO fallback, 0 = none */
    int tls_started;   /* the server agreed to STARTTLS (220) */
    int late;          /* a deadline fired long after it was due: the agent fell behind */
};
enum mx_outcome smtp_classify(const struct smtp_seen *seen);

#endif
