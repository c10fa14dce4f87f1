/*
 * tlspolicy.h - the destinations' published TLS policies: MTA-STS (RFC 8461: the _mta-sts
 * TXT record, the policy file fetched over HTTPS, cached by max_age and id) and SMTP TLS
 * reporting (RFC 8460: the _smtp._tls TXT record). The engine asks for a check when a
 * destination's probe starts (at most once per global.tls_policy_interval) and, when the
 * probe ends, has the MX hosts judged against the policy in force before the result is
 * stored. Each check publishes a struct store_tls_policy into the destination's view.
 * Loop thread only: c-ares through dns.c, libcurl through the loop's multi handle. Never
 * logs; faults are in the published block.
 */
#ifndef MXW_TLSPOLICY_H
#define MXW_TLSPOLICY_H

#include "config.h"
#include "curlm.h"
#include "dns.h"
#include "mtasts.h"
#include "store.h"

struct tlspolicy;

struct tlspolicy *tlspolicy_new(struct dns *dns, struct curlm *cm, const struct config *cfg);
/* Stops every check in flight and frees the cache. */
void tlspolicy_free(struct tlspolicy *tp);
/* A new config (interval, CA file, fetch port) and resolver: checks in flight on the old
 * resolver are stopped (they run again when next due); cached policies stay. */
void tlspolicy_configure(struct tlspolicy *tp, struct dns *dns, const struct config *cfg);

/* Starts a check of domain when none ran within the interval (*checked_us: the monotonic
 * start of its latest check, 0 = never; the caller keeps it and it is set here) and none is
 * running. */
void tlspolicy_due(struct tlspolicy *tp, const char *domain, int64_t *checked_us);
/* Forgets domain (it left the store): its check in flight is stopped. */
void tlspolicy_forget(struct tlspolicy *tp, const char *domain);

/* Judges hosts (a probe's result) against domain's MTA-STS policy in force: sets each host's
 * sts (enum sts_host). When the policy is enforced and no host whose addresses answered
 * passes, *reason (REASON_OK so far) becomes REASON_MTA_STS: the MTA will not deliver. */
void tlspolicy_judge(struct tlspolicy *tp, const char *domain, struct mx_host *hosts,
                     size_t n_hosts, enum dest_reason *reason);

/* The rule of tlspolicy_judge for one host, pure (exposed for the unit test). */
enum sts_host tlspolicy_host_verdict(const struct sts_policy *p, const struct mx_host *h);

#endif
