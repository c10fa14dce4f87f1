/*
 * shard.h - which agent owns a destination when N agents split one list (`--shard=I/N`,
 * `global.shard`, docs/SCALING.md). Plain data and pure functions, any thread: the config
 * loader and the flags parse a shard, the daemon and the discovery ask whether a domain is
 * this agent's, the exporters print the shard the agent runs as.
 *
 * The rule, which every agent of a set applies alone, with no coordination:
 *   owner(domain) = (FNV-1a-64(lower-cased domain) >> 32) mod N,  shard indexes 0-based.
 * The upper half of the hash, because the lower bits already place the domain in the
 * agent's own hash tables (agent/lib/strmap.c masks them): owning only the domains whose
 * lower bits are fixed would leave an agent's tables using one slot in N.
 */
#ifndef MXW_SHARD_H
#define MXW_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#define SHARD_COUNT_MAX 1000 /* agents in one set */

/* Shard index of count, 0 <= index < count. {0, 1} owns everything: no sharding. */
struct shard {
    unsigned index, count;
};

#define SHARD_ALL ((struct shard){.index = 0, .count = 1})

/* Parses "I/N" (decimal, 0-based index, 1 <= N <= SHARD_COUNT_MAX, I < N). Returns 0, or -1
 * with err saying what is wrong with the text (the caller names the key or flag). */
int shard_parse(const char *text, struct shard *out, char *err, size_t errlen);

/* The index of the shard that owns domain among count (count >= 1). Case-insensitive;
 * domains are at most 253 octets, longer input is judged by its first 253. */
unsigned shard_of(const char *domain, unsigned count);

/* Whether s owns domain. */
bool shard_owns(struct shard s, const char *domain);

#endif
