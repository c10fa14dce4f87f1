/*
 * pfqueue.h - Postfix's queue listing (`postqueue -j`: one JSON object per queued message,
 * one per line) turned into per-destination queue figures: a streaming parser fed with
 * chunks as they come from the pipe, and the tally it fills. Used by the Postfix queue
 * source (src_postfix_queue.c) on the loop thread and by the queue bench. Pure: no I/O, no
 * logging; JSON is parsed with json-c, one message at a time, so memory is bounded by one
 * message (PFQUEUE_RECORD_MAX) plus the tally (PFQUEUE_TALLY_MAX destinations), whatever
 * the size of the queue.
 *
 * Per recipient: destination = dest_fn(recipient domain); by_queue[its queue] += 1. Unless
 * its message is in the hold queue (parked by an operator, not delivered until released):
 * active += 1; attempted += 1 when it has a delay_reason (tried at least once);
 * by_age[bucket of the message's age at the tally's now] += 1; the oldest and newest
 * arrival_time are kept. A message without a known queue_name counts in active and by_age
 * but in no by_queue (Postfix always writes one of the five).
 */
#ifndef MXW_PFQUEUE_H
#define MXW_PFQUEUE_H

#include "store.h"
#include "strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFQUEUE_RECORD_MAX (4u << 20) /* bytes of one message's JSON; larger ones are skipped */
#define PFQUEUE_TALLY_MAX  65536      /* destinations per scan (hold too); the rest overflow */

struct json_object;

struct pfqueue_item {
    char *dest;
    uint64_t active, attempted;
    int64_t oldest_arrival, newest_arrival; /* seconds since 1970; meaningful when active */
    uint64_t by_age[MTA_AGE__COUNT];        /* active recipients by age (store.h's buckets) */
    uint64_t by_queue[MTA_Q__COUNT];        /* recipients by queue, hold included */
};

struct pfqueue_tally {
    struct strmap map; /* dest -> struct pfqueue_item */
    struct pfqueue_item **items;
    size_t n, cap;
    int64_t now; /* wall time (s) ages are bucketed at: set by the caller before feeding */
    uint64_t messages, recipients;  /* not in the hold queue */
    uint64_t held, held_recipients; /* in the hold queue */
    uint64_t skipped_records;       /* not JSON, not a queue record, or over PFQUEUE_RECORD_MAX */
    uint64_t bad_recipients;        /* no address, no '@' or a domain that cannot be a key */
    uint64_t overflow_recipients;   /* of destinations beyond PFQUEUE_TALLY_MAX, hold too */
};

/* Maps a lower-case recipient domain to its destination (the transport map). */
typedef const char *pfqueue_dest_fn(const char *domain, void *arg);

void pfqueue_tally_init(struct pfqueue_tally *t);
void pfqueue_tally_free(struct pfqueue_tally *t);
/* Adds one parsed message to the tally. Returns 0, or -1 (counted in skipped_records) when
 * rec is not a queue record (not an object, no recipients array, no arrival_time). */
int pfqueue_record(struct pfqueue_tally *t, struct json_object *rec, pfqueue_dest_fn *dest_fn,
                   void *arg);
/* The lower-case domain of address into out (cap >= 254). Returns 0, or -1 for an address
 * without '@' or a domain longer than 253 bytes or holding spaces or control bytes. */
int pfqueue_domain(const char *address, char *out, size_t cap);

struct pfqueue_parser;

struct pfqueue_parser *pfqueue_parser_new(void);
void pfqueue_parser_free(struct pfqueue_parser *p);
/* Feeds the next len bytes of `postqueue -j` output; every message completed by them goes
 * into the tally. A record that is not JSON or is too big is skipped up to its newline and
 * counted. Never fails: bad input is counted, not fatal. */
void pfqueue_feed(struct pfqueue_parser *p, const char *buf, size_t len, struct pfqueue_tally *t,
                  pfqueue_dest_fn *dest_fn, void *arg);
/* End of input. Returns 0, or -1 when the output stopped inside a record. */
int pfqueue_end(struct pfqueue_parser *p, struct pfqueue_tally *t);

#endif
