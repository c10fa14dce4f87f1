/*
 * dane.h - DANE for SMTP (RFC 7672, RFC 7671): what an MX presented over TLS, kept as
 * digests (dane_chain_read, called by the SMTP session right after its handshake), and
 * whether the destination's TLSA records match it (dane_match, called by the TLS policy
 * checker when a probe ends). Usages 2 (DANE-TA) and 3 (DANE-EE), selectors 0 and 1,
 * matching types 0, 1 and 2; the PKIX usages 0 and 1 are unusable for SMTP (RFC 7672 3.1.3).
 * Loop thread for dane_chain_read (it holds the session's SSL); dane_match is pure. This
 * module does not validate DNSSEC: whether the records are authenticated is the resolver's
 * AD bit, carried by the caller.
 */
#ifndef MXW_DANE_H
#define MXW_DANE_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st;
struct stack_st_X509;

#define DANE_DATA_MAX 64 /* the longest digest, SHA-512; matching type 0 longer is unusable */

/* One TLSA record as the matcher takes it. */
struct dane_tlsa {
    uint8_t usage, selector, mtype;
    bool truncated; /* the data did not fit where it was read: unusable */
    size_t len;
    uint8_t data[DANE_DATA_MAX];
};

/* Fills out with the digests of the peer's chain (leaf first, at most STORE_CHAIN_MAX) and,
 * for each certificate above the leaf, whether the leaf chains up to it and is valid for
 * name (the MX host name, the TLSA base domain of RFC 7672 3.2.2). */
void dane_chain_read(struct ssl_st *ssl, const char *name, struct store_tls_chain *out);
/* The same from a chain, leaf first (for the unit test). */
void dane_chain_digest(struct stack_st_X509 *chain, const char *name, struct store_tls_chain *out);

/* The verdict of records rec[0..n) against chain (NULL: the session had no TLS). When
 * matched is not NULL it gets the index of the record that matched, or -1. */
enum dane_state dane_match(const struct store_tls_chain *chain, const struct dane_tlsa *rec,
                           size_t n, int *matched);

/* Whether a record can be used for SMTP at all (usage 2 or 3, known selector and matching
 * type, data of the digest's length, whole). */
bool dane_usable(const struct dane_tlsa *t);

#endif
