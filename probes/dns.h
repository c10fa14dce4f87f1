/*
 * dns.h - asynchronous DNS for the probe engine: MX, address and generic record (TXT, PTR,
 * TLSA) lookups on c-ares, driven by
 * the probe loop through c-ares's socket-state callback (never fd_set calls: there may be
 * thousands of sockets). Answers keep their TTLs. A short first try, then retries with their
 * own cap, so lost answers never stall everyone; a cap bounds first tries in flight and
 * queries beyond it wait in a FIFO. A failure while the resolver answers nobody is
 * DNS_LOCAL: the agent's trouble. Loop thread only.
 */
#ifndef MXW_DNS_H
#define MXW_DNS_H

#include "config.h"
#include "dns_answer.h"
#include "loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_T_PTR  12
#define DNS_T_TXT  16
#define DNS_T_TLSA 52

struct dns;
typedef void dns_mx_fn(void *arg, const struct dns_mx_answer *a);
typedef void dns_addr_fn(void *arg, const struct dns_addr_answer *a);
typedef void dns_records_fn(void *arg, const struct dns_records_answer *a);

/* A resolver on the loop with the config's servers ("ip", "ip:port", "[v6]:port"; none =
 * the system's resolv.conf), timeout, tries and answer cache (global.dns_cache: a cached
 * answer is given without asking, on the next loop turn). NULL with err on failure. */
struct dns *dns_new(struct loop *l, const struct config *cfg, char *err, size_t errlen);
/* Cancels every pending query (their callbacks are not called) and frees the resolver. */
void dns_free(struct dns *d);

/* Starts a lookup (no search list, no host-file lookups); the callback runs exactly once on
 * the loop, later, never from inside this call. family is AF_INET or AF_INET6.
 * Returns a handle for dns_cancel. */
struct dns_query *dns_query_mx(struct dns *d, const char *domain, dns_mx_fn *fn, void *arg);
struct dns_query *dns_query_addr(struct dns *d, const char *host, int family, dns_addr_fn *fn,
                                 void *arg);
/* The records of one type (DNS_T_TXT, DNS_T_PTR or DNS_T_TLSA) under name, through the same
 * FIFOs, caps, retries and cache as the others. The query asks for the AD bit (RFC 6840 5.7),
 * so a validating resolver says in a->authenticated whether it vouches for the answer. Any
 * other type is answered DNS_LOCAL ("record type not supported"), on the loop, later. */
struct dns_query *dns_query_records(struct dns *d, const char *name, unsigned type,
                                    dns_records_fn *fn, void *arg);
/* The callback of a pending query will not be called. */
void dns_cancel(struct dns *d, struct dns_query *q);

unsigned dns_in_flight(const struct dns *d);

/* The resolver's own troubles, for the agent's self metrics. */
struct dns_figures {
    uint64_t timeouts;            /* query attempts that got no answer in time */
    uint64_t retries;             /* attempts after a first one was lost */
    uint64_t resolver_silent;     /* queries failed while the resolver answered nobody: local */
    uint64_t socket_drops_closed; /* datagrams the kernel dropped on our sockets */
    uint64_t cache_hits;          /* queries answered from the cache */
    uint64_t cache_misses;        /* queries the cache could not answer (cache on) */
    uint64_t cache_entries;       /* answers held now */
};
void dns_figures(const struct dns *d, struct dns_figures *out);

/* Parses the MX records out of a raw DNS answer (exposed for the unit tests and the fuzz
 * target). Returns 0, or -1 when the message is malformed. Bounded: at most DNS_MX_MAX
 * records, names truncated to 255 characters never overflow. */
int dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx_answer *out);
/* The negative-caching TTL of a raw answer (RFC 2308 5: the smaller of the SOA record's own
 * TTL and its MINIMUM field, from the authority section): 0 with *ttl set, or -1 when there
 * is no SOA (then the answer is not to be cached) or the message is malformed. */
int dns_negative_ttl(const unsigned char *abuf, int alen, unsigned *ttl);

/* Parses the records of one type (TXT, PTR or TLSA) out of the answer section of a raw DNS
 * answer (pure, for the unit tests and the fuzz target). Fills out->type, out->n, out->rec
 * and out->authenticated (the header's AD bit); leaves rcode, detail, cached and age_s alone.
 * Returns 0, or -1 when the message or a record of that type is malformed (or the type is
 * not one of the three). Bounded: at most DNS_RECORDS_MAX records, text and data cut to
 * their buffers with the record's truncated flag set. */
int dns_parse_records(const unsigned char *abuf, int alen, unsigned type,
                      struct dns_records_answer *out);

const char *dns_rcode_name(enum dns_rcode r);

#endif
