/*
 * shard.c - the shard rule and the "I/N" syntax (shard.h). Pure; any thread; never logs.
 */
#include "shard.h"

#include "hash.h"
#include "util.h"

#include <stdio.h>

#define SHARD_DOMAIN_MAX 254 /* 253 octets and the terminator, as the store keeps them */

/* A run of 1 to 9 decimal digits at *p (so no overflow), moving *p past it. */
static int digits(const char **p, unsigned long *out)
{
    unsigned long v = 0;
    int n = 0;
    for (; **p >= '0' && **p <= '9' && n < 9; (*p)++, n++)
        v = v * 10 + (unsigned long)(**p - '0');
    *out = v;
    return n > 0 && !(**p >= '0' && **p <= '9') ? 0 : -1;
}

int shard_parse(const char *text, struct shard *out, char *err, size_t errlen)
{
    const char *p = text;
    unsigned long i, n;
    if (digits(&p, &i) < 0 || *p++ != '/' || digits(&p, &n) < 0 || *p) {
        snprintf(err, errlen, "'%.40s' is not INDEX/COUNT (e.g. 0/3; the index is 0-based)", text);
        return -1;
    }
    if (n < 1 || n > SHARD_COUNT_MAX) {
        snprintf(err, errlen, "'%s': the count %lu is out of range (1..%u)", text, n,
                 (unsigned)SHARD_COUNT_MAX);
        return -1;
    }
    if (i >= n) {
        snprintf(err, errlen, "'%s': the index %lu is not below the count (0-based: 0..%lu)", text,
                 i, n - 1);
        return -1;
    }
    *out = (struct shard){.index = (unsigned)i, .count = (unsigned)n};
    return 0;
}

unsigned shard_of(const char *domain, unsigned count)
{
    char lower[SHARD_DOMAIN_MAX];
    mxw_strlcpy(lower, domain, sizeof lower);
    return (unsigned)((hash_fnv1a_str(mxw_lower(lower)) >> 32) % (count ? count : 1));
}

bool shard_owns(struct shard s, const char *domain)
{
    return s.count <= 1 || shard_of(domain, s.count) == s.index;
}
