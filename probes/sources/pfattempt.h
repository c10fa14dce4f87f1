/* pfattempt: what one smtp/lmtp delivery-status line of the Postfix log says about the
 * remote server: the outcome class of the attempt, the MX host and address, the reply code,
 * the enhanced status code, the SMTP command answered and the reply text.
 *
 * Called by the Postfix log source (src_postfix_log.c, loop thread) on every parsed
 * status line. Pure and reentrant: no allocation, no I/O, no global state. The line is
 * outside data: everything copied out is cut to the fixed buffers of struct pfattempt and
 * the text has every control or non-ASCII byte replaced with '?', so it can go to logs,
 * JSON, HTML and SNMP DisplayStrings as it is. It never reads outside the event's spans.
 */
#ifndef MXW_PFATTEMPT_H
#define MXW_PFATTEMPT_H

#include "pflog.h"
#include "store.h"

struct pfattempt {
    enum delivery_class cls;
    enum delivery_cmd cmd;
    enum mx_outcome outcome;       /* the class in the probe's terms (refused, banner_4xx, ...) */
    unsigned reply;                /* 250, 451, 550...; 0 when the server said nothing */
    char enhanced[12];             /* "4.7.1" after the reply code; "" when none */
    char host[STORE_DOMAIN_MAX];   /* the MX host name (relay=, or from the text); cut */
    char addr[STORE_ADDR_STR_MAX]; /* its address as logged, brackets removed; cut */
    char text[STORE_REPLY_MAX];    /* the reply ("451 4.7.1 ...") or the reason; cut, safe */
};

/* Fills *a from a parsed event. Returns 1 for the outcome of a delivery attempt to a
 * remote server (sent, deferred or bounced by smtp or lmtp, with a shape this knows), 0
 * otherwise (*a is then unspecified): local transports, qmgr's "delivery temporarily
 * suspended" (no attempt was made), DNS failures (the probe sees those), unknown texts.
 * O(reason length). */
int pfattempt_from_event(const struct pflog_event *ev, struct pfattempt *a);

#endif
