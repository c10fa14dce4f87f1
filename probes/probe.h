/*
 * probe.h - one probe of one destination: the operator's manual steps as one asynchronous
 * operation. MX lookup (RFC 5321 5.1 and RFC 7505 semantics), A and AAAA of every MX host,
 * then SMTP checks of the addresses in preference order, then a verdict. Used by the
 * scheduler (engine.c) and by `mxwatch probe`. Loop thread only; never logs.
 */
#ifndef MXW_PROBE_H
#define MXW_PROBE_H

#include "config.h"
#include "dns.h"
#include "smtp.h"
#include "store.h"

struct mxptr;

struct probe_request {
    const char *domain;
    const struct probe_params *params;
    const char *ehlo_name;
    const char *source_address;
    unsigned max_mx_hosts;
    unsigned max_addresses; /* per host and address family */
    size_t transcript_max;  /* bytes of conversation kept for the whole probe */
    /* SMTP results of sessions started at or after this monotonic time (mxw_now_us) are
     * good enough, however many destinations share the address; 0: only a new session. */
    int64_t fresh_after_us;
    /* Look up each MX host's TLSA records and match every answering address's chain against
     * them (RFC 7672): mx_host.tlsa, mx_addr_result.dane. */
    bool tls_policy;
    /* PTR names of the MX addresses (mx_addr_result.ptr) from the agent's cache, never
     * waited for; NULL: none (mxwatch probe looks them up itself). */
    struct mxptr *mxptr;
    /* Stop once the addresses are known (reason REASON_OK when there is one): no SMTP check.
     * For the transaction probes (smtpping, the engine), which run their own sessions. */
    bool resolve_only;
    /* The MX host to use instead of the domain's MX records (smtpping --mx); NULL: ask. */
    const char *mx_host;
};

struct probe_result {
    enum dest_reason reason;
    enum mx_outcome primary; /* with REASON_ALL_FAILED: the most preferred address's class */
    struct mx_host *hosts;   /* owned by whoever takes the result */
    size_t n_hosts;
    double dns_s;
    unsigned dns_ttl;
    bool dns_cached;  /* the MX answer came from the DNS cache */
    double dns_age_s; /* and was this old */
    /* one reference, owned by whoever takes the result; NULL when nothing was said */
    const struct store_transcript *transcript;
    const char *detail; /* DNS failure words, static */
};

/* Frees what a result owns (hosts, transcript) and empties it. */
void probe_result_free(struct probe_result *res);

/* Called once; the callee takes ownership of res->hosts and res->transcript. */
typedef void probe_done_fn(void *arg, struct probe_result *res);

struct probe;
struct probe *probe_start(struct dns *dns, struct smtp *smtp, const struct probe_request *rq,
                          probe_done_fn *fn, void *arg);
/* Stops a running probe; its callback will not be called. */
void probe_cancel(struct probe *p);

/* The verdict rule, pure (exposed for unit tests): from the per-address outcomes in
 * preference order, the destination reason and the primary outcome. */
enum dest_reason probe_verdict(const struct mx_host *hosts, size_t n_hosts,
                               enum mx_outcome *primary);
/* The DANE rule, pure (exposed for unit tests): REASON_DANE when addresses answered but
 * none is one a DANE client would use (authenticated, usable TLSA records and no match, or
 * no TLS), else REASON_OK. */
enum dest_reason probe_dane_verdict(const struct mx_host *hosts, size_t n_hosts);

#endif
