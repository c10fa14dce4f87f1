/*
 * libFuzzer target for the Postfix queue reader (probes/sources/pfqueue.c): the input is the
 * output of `postqueue -j`, fed in pieces as the pipe hands it over, then ended. Besides the
 * sanitizers' checks it holds the promises of pfqueue.h: every recipient counted lands in one
 * destination or in overflow, a destination appears once, at most PFQUEUE_TALLY_MAX of them,
 * attempted never above active, the age buckets sum to active and the queues (hold aside)
 * to at most active, and a queue that stops inside a record says so.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "pfqueue.h"

static const char *pfqueue_same(const char *domain, void *arg)
{
    (void)arg;
    return domain;
}

static void pfqueue_check_tally(const struct pfqueue_tally *t)
{
    uint64_t active = 0, held = 0;
    FUZZ_CHECK(t->n <= PFQUEUE_TALLY_MAX && t->n == t->map.n);
    for (size_t i = 0; i < t->n; i++) {
        const struct pfqueue_item *it = t->items[i];
        uint64_t aged = 0, queued = 0;
        for (size_t k = 0; k < MTA_AGE__COUNT; k++)
            aged += it->by_age[k];
        for (size_t k = 0; k < MTA_Q__COUNT; k++)
            queued += k == MTA_Q_HOLD ? 0 : it->by_queue[k];
        FUZZ_CHECK(it->active + it->by_queue[MTA_Q_HOLD] > 0 && it->attempted <= it->active);
        FUZZ_CHECK(aged == it->active && queued <= it->active);
        FUZZ_CHECK(!it->active || it->oldest_arrival <= it->newest_arrival);
        FUZZ_CHECK(strmap_get((struct strmap *)&t->map, it->dest) == it);
        active += it->active;
        held += it->by_queue[MTA_Q_HOLD];
    }
    FUZZ_CHECK(active + held + t->overflow_recipients == t->recipients + t->held_recipients);
}

FUZZ_ENTRY(pfqueue)
{
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    struct pfqueue_parser *p = pfqueue_parser_new();
    uint32_t seed = (uint32_t)size;
    for (size_t at = 0, n; at < size; at += n) {
        n = fuzz_chunk(&seed, size - at, 4096);
        pfqueue_feed(p, (const char *)data + at, n, &t, pfqueue_same, NULL);
    }
    int rc = pfqueue_end(p, &t);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc == 0 || t.skipped_records > 0);
    pfqueue_check_tally(&t);
    pfqueue_parser_free(p);
    pfqueue_tally_free(&t);
    return 0;
}
