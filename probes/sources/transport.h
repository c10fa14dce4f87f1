/*
 * transport.h - which destination a recipient domain's mail counts under: the domain
 * itself, or the next hop of a matching sources.postfix.transport_maps entry (for a domain
 * that Postfix's own transport_maps routes elsewhere). Built from the configuration by the
 * sources' aggregation (srcagg.c) and used by the Postfix queue and log sources, on the loop
 * thread. Pure: no I/O, no logging.
 *
 * An entry is "KEY=NEXTHOP". KEY is a domain (that domain only), ".domain" (its
 * subdomains) or "*" (every domain), the lookup order of Postfix's transport(5) without the
 * address forms. NEXTHOP may be written the way transport(5) writes it: an optional
 * "transport:" prefix, optional [brackets] and an optional :port are dropped, so
 * "smtp:[relay.example.net]:587" counts under relay.example.net; an empty next hop
 * ("example.com=smtp:") keeps the recipient's domain.
 */
#ifndef MXW_TRANSPORT_H
#define MXW_TRANSPORT_H

#include <stddef.h>

struct transport_map;

struct transport_map *transport_new(void);
void transport_free(struct transport_map *m);
/* Adds one entry; a later entry for the same key replaces the earlier one. Returns 0, or
 * -1 with err naming what is wrong with the entry (the map is then unchanged). */
int transport_add(struct transport_map *m, const char *entry, char *err, size_t errlen);
size_t transport_count(const struct transport_map *m);
/* The destination for a lower-case recipient domain: a next hop the map owns, or domain
 * itself. O(number of labels) hash lookups. */
const char *transport_lookup(const struct transport_map *m, const char *domain);
/* Calls fn for each entry: its key ("example.com", ".example.com" or "*") and the
 * destination its mail counts under (NULL: the recipient's own domain). In no order. */
typedef void transport_each_fn(const char *key, const char *nexthop, void *arg);
void transport_each(const struct transport_map *m, transport_each_fn *fn, void *arg);

#endif
