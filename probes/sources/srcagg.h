/*
 * srcagg.h - where the MTA sources put their figures: one struct mta_figures per
 * destination, for every destination the sources have seen (the store's, and a bounded
 * number of others seen only in the mail log, so a destination that joins later already
 * has its counts), copied into the state store for the destinations the store holds. Also
 * the domain -> destination mapping (sources.postfix.transport_maps) and the discovery of
 * destinations from the queue (sources.discovery). Loop thread only; started and stopped
 * by the source registry (sources.c). Never logs except discovery's joins and leaves.
 */
#ifndef MXW_SRCAGG_H
#define MXW_SRCAGG_H

#include "config.h"
#include "pfqueue.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Destinations kept beyond the store's (configured + discovery cap): the least recently
 * changed one the store does not hold is forgotten first. */
#define SRCAGG_SPARE 4096

/* (Re)reads the transport maps and discovery settings. A bad transport_maps entry is
 * skipped; the first one is described in err and -1 returned, the rest still apply. */
int srcagg_configure(const struct config *cfg, char *err, size_t errlen);
void srcagg_shutdown(void);

/* The destination a lower-case recipient domain counts under. */
const char *srcagg_destination(const char *domain);
/* The figures of dest, created when absent; marks them changed and reported (present).
 * The pointer is valid until the next srcagg call that may create a destination. */
struct mta_figures *srcagg_figures(const char *dest);
/* One more error with this enhanced status code (5.1.1 = 5001001): errors[] stays sorted
 * and bounded (STORE_ERROR_CODES_MAX codes; later codes are not counted). */
void srcagg_count_error(struct mta_figures *m, uint32_t code);
/* One more final delivery (sent or bounced) that took seconds since the message arrived,
 * into m's histogram with the configured bounds (sources.postfix.delay_buckets). */
void srcagg_observe_delay(struct mta_figures *m, double seconds);

/* The last delivery attempt for dest (the caller's reference moves here): handed to the
 * store at the next srcagg_publish, or once the store holds dest. */
void srcagg_delivery(const char *dest, const struct delivery_attempt *a);

/* A finished queue scan: sets the queue gauges of every known destination (zero when not
 * queued), then, with discovery on, adds the top destinations by queued recipients to the
 * store (ORIGIN_DISCOVERED, at most max_destinations, only those global.shard owns: with
 * N agents each discovers its own share) and removes discovered ones idle for
 * discovery.idle or pushed out by busier ones. now: wall-clock seconds. */
void srcagg_apply_queue(const struct pfqueue_tally *t, double now);

/* Copies changed figures into the store, for the destinations it holds. O(changed). */
void srcagg_publish(void);

/* Counts for tests and the bench. */
size_t srcagg_count(void);

#endif
