/*
 * mtasts.h - the texts of a destination's TLS policy, read and judged: the MTA-STS TXT record
 * and policy file (RFC 8461), the MX patterns of a policy, and the SMTP TLS reporting record
 * (RFC 8460). Pure functions over bounded buffers, called by the policy checker
 * (tlspolicy.c) on the probe loop and by the unit and fuzz tests; any thread. The texts come
 * from DNS and from a web server the destination runs: hostile, never trusted for a length.
 */
#ifndef MXW_MTASTS_H
#define MXW_MTASTS_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>

#define STS_ID_MAX      33       /* 1 to 32 letters and digits, and the NUL */
#define STS_MX_MAX      16       /* mx: lines kept; more make the policy invalid */
#define STS_PATTERN_MAX 256      /* one mx: pattern, NUL included */
#define STS_MAX_AGE_MAX 31557600 /* RFC 8461 3.2: one year */
#define STS_BODY_MAX    65536    /* a policy file longer than this is refused */
#define TLSRPT_RUA_MAX  256      /* where reports go, as published; cut beyond */
#define STS_ERR_MAX     160

struct sts_policy {
    enum sts_mode mode;
    unsigned max_age; /* seconds */
    size_t n_mx;
    char mx[STS_MX_MAX][STS_PATTERN_MAX]; /* lower case, no trailing dot */
};

/* The outcomes of sts_parse_txt and tlsrpt_parse_txt are enum txt_policy (store.h): never
 * TXT_POLICY_FAILED, which is the lookup's. */
/* From the TXT strings of _mta-sts.DOMAIN (n records, each its strings joined), the policy
 * id. Records that do not start with "v=STSv1" are not MTA-STS records and are skipped. */
enum txt_policy sts_parse_txt(const char *const *txt, size_t n, char id[STS_ID_MAX], char *err,
                              size_t errlen);

/* Parses a policy file of len bytes (need not be NUL-terminated). 0, or -1 with err naming
 * the line and the fault: a missing or wrong version, mode, max_age, no mx in a mode that
 * needs one, more than STS_MX_MAX patterns, a line or pattern over its bound. Unknown keys
 * are ignored, as the RFC asks. */
int sts_parse_policy(const char *body, size_t len, struct sts_policy *p, char *err, size_t errlen);

/* Whether MX host name matches one of p's patterns (RFC 8461 4.1): equal ignoring case and a
 * trailing dot, or "*.rest" where the wildcard stands for exactly one leftmost label. */
bool sts_mx_matches(const struct sts_policy *p, const char *mx_host);

/* From the TXT strings of _smtp._tls.DOMAIN, the rua list as published (URIs separated by
 * commas, each mailto: or https:), cut at TLSRPT_RUA_MAX - 1 bytes. */
enum txt_policy tlsrpt_parse_txt(const char *const *txt, size_t n, char rua[TLSRPT_RUA_MAX],
                                 char *err, size_t errlen);

#endif
