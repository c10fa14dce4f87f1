/*
 * libFuzzer target for the Postfix queue reader (probes/sources/pfqueue.c): the input is the
 * output of `postqueue -j`, fed in pieces as the pipe hands it over, then ended. Besides the
 * sanitizers' checks it holds the promises of pfqueue.h: every recipient counted lands in one
 * destination or in overflow, a destination appears once, at most PFQUEUE_TALLY_MAX of them,
 * attempted never above active, and a queue that stops inside a record says so.
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
    uint64_t active = 0;
    FUZZ_CHECK(t->n <= PFQUEUE_TALLY_MAX && t->n == t->map.n);
    for (size_t i = 0; i < t->n; i++) {
        const struct pfqueue_item *it = t->items[i];
        FUZZ_CHECK(it->active > 0 && it->attempted <= it->active);
        FUZZ_CHECK(strmap_get((struct strmap *)&t->map, it->dest) == it);
        active += it->active;
    }
    FUZZ_CHECK(active + t->overflow_recipients == t->recipients);
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
