/*
 * dns_answer.h - a DNS answer as the probes use it: how the lookup ended in mail-routing
 * terms, and the MX records, addresses or generic records (TXT, PTR, TLSA) with their TTLs. Plain
 * data shared by the resolver (dns.c) and its cache (dns_cache.c); any thread.
 */
#ifndef MXW_DNS_ANSWER_H
#define MXW_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_MX_MAX    64 /* MX records kept from one answer */
#define DNS_ADDRS_MAX 64 /* addresses kept from one answer */

/* How a lookup ended, in mail-routing terms (RFC 5321 5.1, RFC 7505). */
enum dns_rcode {
    DNS_OK = 0,    /* answer records present */
    DNS_NODATA,    /* the name exists but has no record of this type */
    DNS_NXDOMAIN,  /* the name does not exist: permanent */
    DNS_TEMPORARY, /* SERVFAIL, REFUSED, timeout, unreachable server: try later */
    DNS_LOCAL,     /* could not even ask (out of memory, bad name) */
};

struct dns_mx {
    unsigned preference;
    unsigned ttl;
    char host[256]; /* "" for the null MX target "." */
};

struct dns_mx_answer {
    enum dns_rcode rcode;
    const char *detail; /* c-ares's words for a failure, static */
    bool cached;        /* from the agent's cache (global.dns_cache), not the resolver */
    double age_s;       /* then: how long ago the resolver gave it; TTLs are reduced by it */
    size_t n;
    struct dns_mx mx[DNS_MX_MAX];
};

struct dns_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned ttl;
};

struct dns_addr_answer {
    enum dns_rcode rcode;
    const char *detail;
    bool cached; /* as in dns_mx_answer */
    double age_s;
    size_t n;
    struct dns_addr addrs[DNS_ADDRS_MAX];
};

/* Generic records (dns_query_records): TXT (16), PTR (12) and TLSA (52). */
#define DNS_RECORDS_MAX   16  /* records kept from one answer; more are dropped */
#define DNS_TEXT_MAX      512 /* TXT strings joined / a PTR name; longer is cut, flagged */
#define DNS_TLSA_DATA_MAX 64  /* SHA-512 size; full certs (matching type 0) are flagged */

struct dns_record {
    unsigned ttl;
    bool truncated; /* text or data did not fit: the record is not whole */
    /* TXT: its character-strings concatenated (RFC 7208 3.3 style), bytes as-is but NUL-free
     * (NUL bytes are dropped); PTR: the name, lower case, no trailing dot, bytes that are not
     * printable escaped as c-ares does (\DDD). Always NUL-terminated. */
    char text[DNS_TEXT_MAX];
    unsigned char usage, selector, mtype; /* TLSA (RFC 6698 2.1) */
    size_t data_len;                      /* TLSA: the bytes held in data, never above its size */
    unsigned char data[DNS_TLSA_DATA_MAX];
};

struct dns_records_answer {
    enum dns_rcode rcode;
    const char *detail;
    bool cached; /* as in dns_mx_answer */
    double age_s;
    bool authenticated; /* the AD bit of the answer (a validating resolver vouched for it) */
    unsigned type;      /* the record type asked for */
    size_t n;
    struct dns_record rec[DNS_RECORDS_MAX];
};

#endif
