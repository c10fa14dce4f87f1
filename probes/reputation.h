/*
 * reputation.h - this sender's reputation (issue #16 item 4): for each sending address
 * (global.sending_addresses, else global.source_address) its PTR and forward-confirmed
 * reverse DNS, and its listing on each DNSBL zone (global.dnsbl_zones), asked through the
 * probe engine's resolver (so its caps, retries and TTL cache) every
 * global.reputation_interval, a few queries at a time. Each round's results go into the
 * store (store_set_sender). The agent's own DNS trouble leaves a state unknown, never
 * failed or listed. Created and freed by the probe engine (engine.c); loop thread only.
 */
#ifndef MXW_REPUTATION_H
#define MXW_REPUTATION_H

#include "config.h"
#include "dns.h"
#include "loop.h"
#include "store.h"

#include <stddef.h>

#define REP_IN_FLIGHT_MAX 4 /* reputation queries at once: DNSBLs ask to be queried gently */
#define REP_PTR_NAMES_MAX 4 /* PTR names of one address whose addresses are looked up */

struct reputation;

/* The sending addresses of cfg: sending_addresses, else source_address when it is an IP
 * address; returns how many (at most max) with pointers into cfg in out. */
size_t rep_addresses(const struct config *cfg, const char **out, size_t max);

/* A checker on the loop with the resolver d (which must outlive it); its first round starts
 * on the next loop turn. NULL when cfg names no sending address (nothing to check). */
struct reputation *rep_new(struct loop *l, struct dns *d, const struct config *cfg);
/* Cancels its queries (their answers are dropped) and frees it. NULL is fine. */
void rep_free(struct reputation *r);

/* ---- pure helpers (unit tests) ---- */

/* The name under which addr is looked up in zone: its octets reversed for IPv4
 * ("2.0.0.127.zone"), its 32 nibbles reversed for IPv6; zone NULL gives the reverse-DNS
 * name (in-addr.arpa or ip6.arpa). 0, or -1 when addr is not an address or it does not fit
 * in cap. */
int rep_query_name(const char *addr, const char *zone, char *out, size_t cap);
/* What a DNSBL's A answer says (RFC 5782 2.1): DNSBL_LISTED when an address is in
 * 127.0.0.0/8 outside 127.255.255.0/24 (that address into code), DNSBL_ERROR when the
 * addresses are the 127.255.255.0/24 error codes some lists give to refused queriers, or
 * lie outside 127.0.0.0/8 (a resolver rewriting NXDOMAIN), with the first such address in
 * code and why in *why; DNSBL_CLEAN for NXDOMAIN or NODATA; DNSBL_UNKNOWN when the lookup
 * failed (a temporary or local failure: nothing is known). */
enum dnsbl_state rep_classify(const struct dns_addr_answer *a, char *code, size_t cap,
                              const char **why);

#endif
