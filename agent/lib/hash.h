/*
 * hash.h - FNV-1a, 64-bit: the one string hash of the agent (hash maps, probe phases, log
 * file fingerprints, Postfix queue-id memory). Not for anything an attacker may choose to
 * collide with on purpose at scale; fine for keys that are configured or bounded. Pure, any
 * thread.
 */
#ifndef MXW_HASH_H
#define MXW_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_BASIS 14695981039346656037ull
#define HASH_FNV1A_PRIME 1099511628211ull

/* n bytes of p. */
static inline uint64_t hash_fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = HASH_FNV1A_BASIS;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * HASH_FNV1A_PRIME;
    return h;
}

/* A NUL-terminated string. */
static inline uint64_t hash_fnv1a_str(const char *s)
{
    uint64_t h = HASH_FNV1A_BASIS;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * HASH_FNV1A_PRIME;
    return h;
}

#endif
