/*
 * smtp_check.h - the plain types of one SMTP check, shared by the scheduler (smtp.c) and
 * the session that speaks SMTP (smtp_session.c): its parameters, the callback that takes
 * its result, the scheduler's figures, the trace of a session's steps, and the
 * classification of a finished session. No functions of a module but smtp_classify
 * (smtp_session.c); loop thread.
 */
#ifndef MXW_SMTP_CHECK_H
#define MXW_SMTP_CHECK_H

#include "config.h"
#include "store.h"
#include "txn.h"

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
    /* The transaction probe (issue 16); TXN_MODE_NONE (zero) is the banner probe, unchanged.
     * Otherwise, once EHLO (and STARTTLS) went well: MAIL FROM:<mail_from>, RCPT
     * TO:<rcpt_to>, then RSET (TXN_MODE_RCPT: no mail) or DATA and a msg_size-byte test message
     * (TXN_DATA), and QUIT. Such a session is never shared (smtp_transaction). */
    enum txn_mode txn_mode;
    const char *mail_from; /* copied by the session; "" = the null sender */
    const char *rcpt_to;   /* copied by the session */
    size_t msg_size;       /* data mode: bytes of the message, at most TXN_SIZE_MAX */
    /* Every phase's duration and reply, filled just before the callback; NULL: not wanted.
     * The caller's, and it must outlive the session. */
    struct txn_result *txn;
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

/* r is complete (outcome, timings, TLS facts, and in r->text the banner, the EHLO reply and
 * the bounded conversation, "+0.001 S: 220 ..." lines: store_addr_transcript). It is valid
 * during the call only: a callee that keeps a copy of r, or shows its transcript, takes a
 * reference to r->text (store_text_ref). */
typedef void smtp_done_fn(void *arg, const struct mx_addr_result *r);

/* One step of a session, for debug traces (smtp_set_trace): the state it left, the state it
 * entered and why. Valid during the call only. */
struct smtp_step {
    const char *address; /* the MX address, as text */
    unsigned port;
    const char *from, *to; /* state names: connect, greeting, ehlo, helo, starttls,
                              tls_handshake, tls_ehlo, mail, rcpt, data, body,
                              rset, quit, done */
    int reply;             /* the reply code that moved it, 0 = none */
    const char *why;       /* a few words: "reply", "connected", a failure, ... */
    const char *outcome;   /* the outcome class, on the step to done only (else NULL) */
};
typedef void smtp_trace_fn(void *arg, const struct smtp_step *step);

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
