/*
 * dns_cache.h - the agent's cache of DNS answers, as the MTA's caching resolver would hold
 * them: a positive answer for its smallest record TTL, a negative one (NXDOMAIN, NODATA) for
 * the SOA's negative TTL (RFC 2308), each clamped to the configured minimum and maximum.
 * Temporary failures are never kept. Answers come back with their TTLs reduced by their age,
 * marked as cached, with that age. Used by dns.c on the loop thread only; never logs.
 *
 * Memory: one entry per (type, name) asked, holding only the records (an MX answer of two
 * records is about 200 bytes). Expired entries are dropped when met, and every lookup and
 * store also looks at the next DNS_CACHE_SWEEP_SLOTS slots of the table for expired ones: a
 * sweep whose cost per probe does not grow with the number of destinations.
 */
#ifndef MXW_DNS_CACHE_H
#define MXW_DNS_CACHE_H

#include "dns_answer.h"

#include <stddef.h>
#include <stdint.h>

struct dns_cache;

#define DNS_CACHE_SWEEP_SLOTS 4

/* A cache clamping every TTL into [min_ttl_s, max_ttl_s]. */
struct dns_cache *dns_cache_new(unsigned min_ttl_s, unsigned max_ttl_s);
void dns_cache_free(struct dns_cache *c);

/* Keep an answer for ttl_s seconds (before clamping) from now_us: rcode DNS_OK, DNS_NODATA
 * or DNS_NXDOMAIN only; anything else, or a ttl of 0 after clamping, is not kept. */
void dns_cache_put_mx(struct dns_cache *c, const char *name, const struct dns_mx_answer *a,
                      unsigned ttl_s, int64_t now_us);
void dns_cache_put_addr(struct dns_cache *c, const char *name, int family,
                        const struct dns_addr_answer *a, unsigned ttl_s, int64_t now_us);

/* A fresh entry into *out (cached set, age_s and the TTLs as of now): 1; else 0. */
int dns_cache_get_mx(struct dns_cache *c, const char *name, int64_t now_us,
                     struct dns_mx_answer *out);
int dns_cache_get_addr(struct dns_cache *c, const char *name, int family, int64_t now_us,
                       struct dns_addr_answer *out);
/* Generic records (TXT, PTR, TLSA), keyed by their type as well; the AD bit is kept. */
void dns_cache_put_records(struct dns_cache *c, const char *name,
                           const struct dns_records_answer *a, unsigned ttl_s, int64_t now_us);
int dns_cache_get_records(struct dns_cache *c, const char *name, unsigned type, int64_t now_us,
                          struct dns_records_answer *out);

/* Drops every expired entry. O(entries). */
size_t dns_cache_count(const struct dns_cache *c);

#endif
