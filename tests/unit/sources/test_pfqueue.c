/* Unit tests of the `postqueue -j` parser and tally (probes/sources/pfqueue.c): one record to the
 * tally (active, attempted, oldest, hold, bad recipients), records split at every byte
 * across chunks, garbage and oversized records skipped to the next line, output cut inside
 * a record, the PFQUEUE_TALLY_MAX bound, and the queue's shape: age buckets at their exact
 * bounds, hold and deferred apart, hostile arrival times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfqueue.h"

#define NOW 1800000000LL

/* Real shapes from a private Postfix 3.7 (tests/lib/postfix.sh). */
#define REC_DEFERRED                                                                               \
    "{\"queue_name\": \"deferred\", \"queue_id\": \"06FCFA724BD\", \"arrival_time\": "             \
    "1795971579, \"message_size\": 302, \"forced_expire\": false, \"sender\": "                    \
    "\"a@origin.test\", \"recipients\": [{\"address\": \"x@down.test\", \"delay_reason\": "        \
    "\"connect to 127.0.0.32[127.0.0.32]:39633: Connection refused\"}, {\"address\": "             \
    "\"y@Down.Test\", \"delay_reason\": \"connect to 127.0.0.32[127.0.0.32]:39633: Connection "    \
    "refused\"}]}\n"
#define REC_ACTIVE                                                                                 \
    "{\"queue_name\": \"active\", \"queue_id\": \"09601A724B9\", \"arrival_time\": 1795971500, "   \
    "\"message_size\": 302, \"forced_expire\": false, \"sender\": \"b@origin.test\", "             \
    "\"recipients\": [{\"address\": \"q@down.test\"}, {\"address\": \"r@alias.test\"}]}\n"
#define REC_HOLD                                                                                   \
    "{\"queue_name\": \"hold\", \"queue_id\": \"1A\", \"arrival_time\": 1, \"recipients\": "       \
    "[{\"address\": \"h@down.test\"}]}\n"

static const char *dest_fn(const char *domain, void *arg)
{
    (void)arg;
    return strcmp(domain, "alias.test") == 0 ? "down.test" : domain;
}

static const struct pfqueue_item *item(const struct pfqueue_tally *t, const char *dest)
{
    const struct pfqueue_item *it = strmap_get(&t->map, dest);
    if (!it)
        fail_msg("no tally for %s", dest);
    return it;
}

static void feed_str(struct pfqueue_parser *p, struct pfqueue_tally *t, const char *s)
{
    pfqueue_feed(p, s, strlen(s), t, dest_fn, NULL);
}

static void test_one_record_to_tally(void **state)
{
    (void)state;
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    json_object *o = json_tokener_parse(REC_DEFERRED);
    assert_int_equal(pfqueue_record(&t, o, dest_fn, NULL), 0);
    json_object_put(o);
    const struct pfqueue_item *it = item(&t, "down.test");
    assert_int_equal(it->active, 2);
    assert_int_equal(it->attempted, 2);
    assert_int_equal(it->oldest_arrival, 1795971579);
    o = json_tokener_parse(REC_ACTIVE);
    assert_int_equal(pfqueue_record(&t, o, dest_fn, NULL), 0);
    json_object_put(o);
    it = item(&t, "down.test"); /* alias.test counts under down.test via dest_fn */
    assert_int_equal(it->active, 4);
    assert_int_equal(it->attempted, 2);
    assert_int_equal(it->oldest_arrival, 1795971500);
    assert_int_equal(t.messages, 2);
    assert_int_equal(t.recipients, 4);
    assert_int_equal(t.n, 1);
    pfqueue_tally_free(&t);
}

static void test_hold_and_bad_records(void **state)
{
    (void)state;
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    const char *recs[] = {
        REC_HOLD,
        "[1, 2]",
        "{\"queue_name\": \"active\", \"arrival_time\": 5}",
        "{\"queue_name\": \"active\", \"recipients\": []}",
        "{\"arrival_time\": \"soon\", \"recipients\": []}",
        "{\"arrival_time\": 7, \"recipients\": [{\"address\": \"nodomain\"}, {\"address\": 5}, "
        "7, {}, {\"address\": \"a@\"}, {\"address\": \"a@sp ace.test\"}, {\"address\": "
        "\"ok@ok.test\", \"delay_reason\": \"\"}]}",
    };
    int want[] = {0, -1, -1, -1, -1, 0};
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        json_object *o = json_tokener_parse(recs[i]);
        assert_non_null(o);
        assert_int_equal(pfqueue_record(&t, o, dest_fn, NULL), want[i]);
        json_object_put(o);
    }
    assert_int_equal(t.held, 1);
    assert_int_equal(t.skipped_records, 4);
    assert_int_equal(t.bad_recipients, 6);
    assert_int_equal(t.recipients, 1);
    assert_int_equal(t.held_recipients, 1);
    /* The held recipient counts in its queue only: not active, no age, no arrival. */
    const struct pfqueue_item *held = item(&t, "down.test");
    assert_int_equal(held->by_queue[MTA_Q_HOLD], 1);
    assert_int_equal(held->active, 0);
    assert_int_equal(held->by_age[MTA_AGE_OLDER], 0);
    /* An empty delay_reason is not an attempt. */
    assert_int_equal(item(&t, "ok.test")->attempted, 0);
    pfqueue_tally_free(&t);
}

static void test_domain_extraction(void **state)
{
    (void)state;
    char d[254];
    assert_int_equal(pfqueue_domain("\"a@b\"@Example.COM.", d, sizeof d), 0);
    assert_string_equal(d, "example.com");
    assert_int_equal(pfqueue_domain("root", d, sizeof d), -1);
    char addr[300] = "a@";
    memset(addr + 2, 'x', 253);
    addr[255] = '\0';
    assert_int_equal(pfqueue_domain(addr, d, sizeof d), 0); /* 253 bytes: the limit */
    addr[255] = 'x';
    addr[256] = '\0';
    assert_int_equal(pfqueue_domain(addr, d, sizeof d), -1);
    assert_int_equal(pfqueue_domain("a@x\x01y", d, sizeof d), -1);
}

/* Every split of a two-record stream into two chunks gives the same tally. */
static void test_split_at_every_byte(void **state)
{
    (void)state;
    const char *s = REC_DEFERRED REC_ACTIVE;
    size_t len = strlen(s);
    struct pfqueue_parser *p = pfqueue_parser_new();
    for (size_t cut = 0; cut <= len; cut++) {
        struct pfqueue_tally t;
        pfqueue_tally_init(&t);
        pfqueue_feed(p, s, cut, &t, dest_fn, NULL);
        pfqueue_feed(p, s + cut, len - cut, &t, dest_fn, NULL);
        assert_int_equal(pfqueue_end(p, &t), 0);
        assert_int_equal(t.messages, 2);
        assert_int_equal(item(&t, "down.test")->active, 4);
        assert_int_equal(t.skipped_records, 0);
        pfqueue_tally_free(&t);
    }
    /* One byte at a time. */
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    for (size_t i = 0; i < len; i++)
        pfqueue_feed(p, s + i, 1, &t, dest_fn, NULL);
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.messages, 2);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

static void test_garbage_is_skipped_to_the_next_line(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    feed_str(p, &t, "postqueue: warning: garbage {\n" REC_DEFERRED "{\"a\": ]\n\n" REC_ACTIVE);
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.messages, 2);
    assert_int_equal(t.skipped_records, 2);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

static void test_output_cut_inside_a_record(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    feed_str(p, &t, REC_DEFERRED "{\"queue_name\": \"act");
    assert_int_equal(pfqueue_end(p, &t), -1);
    assert_int_equal(t.messages, 1);
    /* The parser is reusable after end. */
    feed_str(p, &t, REC_ACTIVE);
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.messages, 2);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

/* A record over PFQUEUE_RECORD_MAX is dropped up to its newline; the next one counts. */
static void test_record_bound(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    const char *head = "{\"arrival_time\": 1, \"recipients\": [{\"address\": \"a@big.test\", "
                       "\"delay_reason\": \"";
    feed_str(p, &t, head);
    char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (size_t fed = 0; fed < PFQUEUE_RECORD_MAX + sizeof chunk; fed += sizeof chunk)
        pfqueue_feed(p, chunk, sizeof chunk, &t, dest_fn, NULL);
    feed_str(p, &t, "\"}]}\n" REC_ACTIVE);
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.skipped_records, 1);
    assert_int_equal(t.messages, 1);
    assert_null(strmap_get(&t.map, "big.test"));
    /* Just under the bound is fine. */
    pfqueue_tally_free(&t);
    pfqueue_tally_init(&t);
    feed_str(p, &t, head);
    size_t room = PFQUEUE_RECORD_MAX - strlen(head) - 8;
    for (size_t fed = 0; fed < room; fed += sizeof chunk)
        pfqueue_feed(p, chunk, room - fed < sizeof chunk ? room - fed : sizeof chunk, &t, dest_fn,
                     NULL);
    feed_str(p, &t, "\"}]}\n");
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.skipped_records, 0);
    assert_int_equal(item(&t, "big.test")->attempted, 1);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

static void test_tally_bound(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    char rec[160];
    for (unsigned i = 0; i < PFQUEUE_TALLY_MAX + 10; i++) {
        snprintf(rec, sizeof rec,
                 "{\"arrival_time\": %u, \"recipients\": [{\"address\": \"u@d%u.test\"}]}\n", i, i);
        feed_str(p, &t, rec);
    }
    assert_int_equal(pfqueue_end(p, &t), 0);
    assert_int_equal(t.n, PFQUEUE_TALLY_MAX);
    assert_int_equal(t.overflow_recipients, 10);
    assert_int_equal(t.recipients, PFQUEUE_TALLY_MAX + 10);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

/* One message of queue q for address, arrived at arrival (a JSON number as text). */
static void feed_msg(struct pfqueue_parser *p, struct pfqueue_tally *t, const char *q,
                     const char *arrival, const char *address)
{
    char rec[512];
    snprintf(rec, sizeof rec,
             "{\"queue_name\": \"%s\", \"queue_id\": \"Q\", \"arrival_time\": %s, "
             "\"recipients\": [{\"address\": \"%s\", \"delay_reason\": \"4.4.1 later\"}]}\n",
             q, arrival, address);
    feed_str(p, t, rec);
}

static void feed_age(struct pfqueue_parser *p, struct pfqueue_tally *t, long long age)
{
    char arrival[32];
    snprintf(arrival, sizeof arrival, "%lld", NOW - age);
    feed_msg(p, t, "deferred", arrival, "u@age.test");
}

/* Each bucket is exclusive and labelled by its upper bound: a message exactly 5 minutes old
 * is in "1h", one a second younger in "5m"; one from the future is fresh. */
static void test_age_buckets_at_their_bounds(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    t.now = NOW;
    const long long ages[] = {0,     299,       -100, /* 5m */
                              300,   3599,            /* 1h */
                              3600,  14399,           /* 4h */
                              14400, 86399,           /* 1d */
                              86400, 1000000000};     /* older */
    for (size_t i = 0; i < sizeof ages / sizeof ages[0]; i++)
        feed_age(p, &t, ages[i]);
    assert_int_equal(pfqueue_end(p, &t), 0);
    const struct pfqueue_item *it = item(&t, "age.test");
    const uint64_t want[MTA_AGE__COUNT] = {3, 2, 2, 2, 2};
    for (size_t k = 0; k < MTA_AGE__COUNT; k++)
        assert_int_equal(it->by_age[k], want[k]);
    assert_int_equal(it->active, 11);
    assert_int_equal(it->by_queue[MTA_Q_DEFERRED], 11);
    assert_int_equal(it->oldest_arrival, NOW - 1000000000);
    assert_int_equal(it->newest_arrival, NOW + 100);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

/* Hold and deferred apart: held mail counts in its queue only, never in the ages or the
 * oldest and newest arrival; maildrop counts as incoming; a record without a queue_name
 * counts as waiting, in no queue. */
static void test_hold_and_deferred_apart(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    t.now = 1795971600;
    feed_str(p, &t, REC_DEFERRED REC_ACTIVE REC_HOLD); /* REC_HOLD arrived at 1 */
    feed_msg(p, &t, "hold", "1795971599", "h2@down.test");
    feed_msg(p, &t, "incoming", "1795971590", "i@down.test");
    feed_msg(p, &t, "maildrop", "1795971595", "m@down.test");
    feed_str(p, &t,
             "{\"arrival_time\": 1795971000, \"recipients\": [{\"address\": \"n@down.test\"}]}\n");
    assert_int_equal(pfqueue_end(p, &t), 0);
    const struct pfqueue_item *it = item(&t, "down.test");
    assert_int_equal(it->by_queue[MTA_Q_DEFERRED], 2);
    assert_int_equal(it->by_queue[MTA_Q_ACTIVE], 2); /* r@alias.test counts under down.test */
    assert_int_equal(it->by_queue[MTA_Q_HOLD], 2);
    assert_int_equal(it->by_queue[MTA_Q_INCOMING], 2);
    assert_int_equal(it->active, 7);
    assert_int_equal(it->attempted, 4); /* the deferred two and the two feed_msg gave a reason */
    assert_int_equal(it->by_age[MTA_AGE_5M], 6);
    assert_int_equal(it->by_age[MTA_AGE_1H], 1); /* the one without a queue_name: 600 s */
    assert_int_equal(it->oldest_arrival, 1795971000);
    assert_int_equal(it->newest_arrival, 1795971595); /* not the held 1795971599 */
    assert_int_equal(t.held, 2);
    assert_int_equal(t.held_recipients, 2);
    assert_int_equal(t.messages, 5);
    assert_int_equal(t.recipients, 7);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

/* arrival_time is outside input: missing or not an integer drops the record (counted);
 * any integer, the extremes included, lands in a bucket without overflow (the sanitizers
 * of `make check` would see one). */
static void test_hostile_arrival_time(void **state)
{
    (void)state;
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    t.now = NOW;
    feed_str(p, &t,
             "{\"queue_name\": \"deferred\", \"recipients\": [{\"address\": \"u@h.test\"}]}\n");
    feed_msg(p, &t, "deferred", "\"1800000000\"", "u@h.test");
    feed_msg(p, &t, "deferred", "1.8e9", "u@h.test");
    feed_msg(p, &t, "deferred", "null", "u@h.test");
    assert_int_equal(t.skipped_records, 4);
    assert_null(strmap_get(&t.map, "h.test"));
    feed_msg(p, &t, "deferred", "-9223372036854775808", "u@h.test"); /* older */
    feed_msg(p, &t, "deferred", "-1", "u@h.test");                   /* older */
    feed_msg(p, &t, "deferred", "9223372036854775807", "u@h.test");  /* future: 5m */
    feed_msg(p, &t, "deferred", "0", "u@h.test");                    /* older */
    assert_int_equal(pfqueue_end(p, &t), 0);
    const struct pfqueue_item *it = item(&t, "h.test");
    assert_int_equal(it->active, 4);
    assert_int_equal(it->by_age[MTA_AGE_OLDER], 3);
    assert_int_equal(it->by_age[MTA_AGE_5M], 1);
    assert_int_equal(it->oldest_arrival, INT64_MIN);
    assert_int_equal(it->newest_arrival, INT64_MAX);
    /* A number beyond 64 bits: json-c saturates or rejects it; either way no crash, and
     * whatever counted has a bucket. */
    feed_msg(p, &t, "deferred", "99999999999999999999999", "v@h.test");
    assert_int_equal(pfqueue_end(p, &t), 0);
    const struct pfqueue_item *v = strmap_get(&t.map, "h.test");
    uint64_t aged = 0;
    for (size_t k = 0; k < MTA_AGE__COUNT; k++)
        aged += v->by_age[k];
    assert_int_equal(aged, v->active);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_record_to_tally),
        cmocka_unit_test(test_hold_and_bad_records),
        cmocka_unit_test(test_domain_extraction),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_garbage_is_skipped_to_the_next_line),
        cmocka_unit_test(test_output_cut_inside_a_record),
        cmocka_unit_test(test_record_bound),
        cmocka_unit_test(test_tally_bound),
        cmocka_unit_test(test_age_buckets_at_their_bounds),
        cmocka_unit_test(test_hold_and_deferred_apart),
        cmocka_unit_test(test_hostile_arrival_time),
    };
    return cmocka_run_group_tests_name("pfqueue", tests, NULL, NULL);
}
