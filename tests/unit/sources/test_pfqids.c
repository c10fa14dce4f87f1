/* Unit tests of the queue id -> waiting recipients map (probes/sources/pfqids.c): a recipient
 * deferred many times counts once, sent and bounced ones are forgotten, expiry reports who
 * is left, every bound (messages, recipients per message and in all, bytes) holds and what
 * it drops is counted, and a destination name is stored once for all its recipients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "pfqids.h"

struct seen {
    char text[1024];
    size_t n;
};

static void note(const char *dest, void *arg)
{
    struct seen *s = arg;
    size_t used = strlen(s->text);
    if (used + strlen(dest) + 2 <= sizeof s->text)
        snprintf(s->text + used, sizeof s->text - used, "%s|", dest);
    s->n++;
}

static uint64_t h(const char *addr)
{
    return hash_fnv1a(addr, strlen(addr));
}

/* A map bounded in messages only (the other bounds far away). */
static struct pfqids *new_map(size_t messages)
{
    return pfqids_new(&(struct pfqids_limits){messages, 1u << 20, 1u << 30});
}

static void test_expiry_names_who_is_left(void **state)
{
    (void)state;
    struct pfqids *q = new_map(10);
    /* Three recipients deferred twice each (two attempts), then one is delivered. */
    for (int attempt = 0; attempt < 2; attempt++) {
        pfqids_deferred(q, "ABC", h("x@down.test"), "down.test");
        pfqids_deferred(q, "ABC", h("y@down.test"), "down.test");
        pfqids_deferred(q, "ABC", h("z@other.test"), "other.test");
    }
    pfqids_done(q, "ABC", h("z@other.test"));
    pfqids_done(q, "ABC", h("nobody@down.test")); /* unknown: no effect */
    pfqids_done(q, "NOPE", h("x@down.test"));
    struct seen s = {0};
    assert_int_equal(pfqids_finish(q, "ABC", note, &s), 2);
    assert_string_equal(s.text, "down.test|down.test|");
    assert_int_equal(pfqids_count(q), 0);
    assert_int_equal(pfqids_finish(q, "ABC", note, &s), 0); /* forgotten */
    pfqids_free(q);
}

static void test_message_forgotten_when_all_done(void **state)
{
    (void)state;
    struct pfqids *q = new_map(10);
    pfqids_deferred(q, "A1", h("a@x.test"), "x.test");
    pfqids_deferred(q, "A1", h("b@x.test"), "x.test");
    pfqids_done(q, "A1", h("a@x.test"));
    assert_int_equal(pfqids_count(q), 1);
    pfqids_done(q, "A1", h("b@x.test"));
    assert_int_equal(pfqids_count(q), 0);
    pfqids_free(q);
}

static void test_bounds(void **state)
{
    (void)state;
    struct pfqids *q = new_map(3);
    char qid[16], addr[32];
    for (int i = 0; i < 5; i++) {
        snprintf(qid, sizeof qid, "Q%d", i);
        pfqids_deferred(q, qid, h(qid), "d.test");
    }
    assert_int_equal(pfqids_count(q), 3);
    assert_int_equal(pfqids_dropped(q), 2);
    struct seen s = {0};
    assert_int_equal(pfqids_finish(q, "Q0", note, &s), 0); /* the oldest went first */
    assert_int_equal(pfqids_finish(q, "Q4", note, &s), 1);
    /* A deferral refreshes a message: Q2 survives, Q3 goes. */
    pfqids_deferred(q, "Q2", h("again"), "d.test");
    pfqids_deferred(q, "Q5", h("q5"), "d.test");
    pfqids_deferred(q, "Q6", h("q6"), "d.test");
    assert_int_equal(pfqids_finish(q, "Q3", note, &s), 0);
    assert_int_equal(pfqids_finish(q, "Q2", note, &s), 2);
    pfqids_free(q);

    q = new_map(3);
    for (int i = 0; i < PFQIDS_RCPTS_MAX + 4; i++) {
        snprintf(addr, sizeof addr, "u%d@big.test", i);
        pfqids_deferred(q, "BIG", h(addr), "big.test");
    }
    assert_int_equal(pfqids_dropped(q), 4);
    memset(&s, 0, sizeof s);
    assert_int_equal(pfqids_finish(q, "BIG", note, &s), PFQIDS_RCPTS_MAX);
    /* Queue ids longer than Postfix's 31 characters are not remembered. */
    pfqids_deferred(q, "0123456789012345678901234567890123", h("a"), "x.test");
    assert_int_equal(pfqids_count(q), 0);
    pfqids_free(q);
}

/* Many recipients of few destinations: each name is stored once, and everything taken is
 * given back when the messages go. */
static void test_names_stored_once(void **state)
{
    (void)state;
    struct pfqids *q = new_map(1000);
    static const char *const dests[] = {"a.test", "b.test", "c.test"};
    char qid[16], addr[32];
    for (int m = 0; m < 100; m++) {
        snprintf(qid, sizeof qid, "M%d", m);
        for (int r = 0; r < 10; r++) {
            snprintf(addr, sizeof addr, "u%d@x", r);
            pfqids_deferred(q, qid, h(addr), dests[(m + r) % 3]);
        }
    }
    assert_int_equal(pfqids_rcpts(q), 1000);
    assert_int_equal(pfqids_names(q), 3);
    /* 100 messages of 16 recipient slots (16 bytes each); the names are a rounding error. */
    assert_true(pfqids_bytes(q) < 100 * (128 + 16 * 16) + 3 * 64);
    for (int m = 0; m < 100; m++) {
        struct seen s = {0};
        snprintf(qid, sizeof qid, "M%d", m);
        assert_int_equal(pfqids_finish(q, qid, note, &s), 10);
    }
    assert_int_equal(pfqids_names(q), 0);
    assert_int_equal(pfqids_rcpts(q), 0);
    assert_int_equal(pfqids_bytes(q), 0);
    assert_int_equal(pfqids_dropped(q), 0);
    pfqids_free(q);
}

/* The recipients of all messages together: the least recently deferred message goes first;
 * one message alone never pushes itself out. */
static void test_recipient_cap_is_global(void **state)
{
    (void)state;
    struct pfqids *q = pfqids_new(&(struct pfqids_limits){1000, 10, 1u << 30});
    char qid[16], addr[32];
    for (int m = 0; m < 4; m++) {
        snprintf(qid, sizeof qid, "Q%d", m);
        for (int r = 0; r < 4; r++) {
            snprintf(addr, sizeof addr, "u%d@x", r);
            pfqids_deferred(q, qid, h(addr), "d.test");
            assert_true(pfqids_rcpts(q) <= 10);
        }
    }
    assert_int_equal(pfqids_rcpts(q) + pfqids_dropped(q), 16);
    struct seen s = {0};
    assert_int_equal(pfqids_finish(q, "Q0", note, &s), 0);
    assert_int_equal(pfqids_finish(q, "Q3", note, &s), 4);
    pfqids_free(q);

    q = pfqids_new(&(struct pfqids_limits){1000, 10, 1u << 30});
    for (int r = 0; r < 20; r++) {
        snprintf(addr, sizeof addr, "u%d@x", r);
        pfqids_deferred(q, "ONE", h(addr), "d.test");
    }
    assert_int_equal(pfqids_rcpts(q), 10);
    assert_int_equal(pfqids_dropped(q), 10);
    pfqids_free(q);
}

/* The flood of the review (docs/RELIABILITY.md), scaled down: every recipient of a new
 * 250-character destination. The bytes never pass the bound, the newest message is kept
 * whole, and the accounting comes back to zero. */
static void test_bytes_bounded_under_a_flood(void **state)
{
    (void)state;
    const size_t bound = 1u << 20;
    struct pfqids *q = pfqids_new(&(struct pfqids_limits){50000, 100000, bound});
    char qid[16], addr[32], dest[251];
    memset(dest, 'x', 250);
    dest[250] = '\0';
    size_t peak = 0;
    for (int m = 0; m < 256; m++) {
        snprintf(qid, sizeof qid, "F%d", m);
        for (int r = 0; r < PFQIDS_RCPTS_MAX; r++) {
            snprintf(addr, sizeof addr, "u%d@x", r);
            snprintf(dest + 240, 11, ".d%08d", m * PFQIDS_RCPTS_MAX + r);
            pfqids_deferred(q, qid, h(addr), dest);
            peak = pfqids_bytes(q) > peak ? pfqids_bytes(q) : peak;
        }
    }
    assert_true(peak <= bound);
    assert_true(peak > bound / 2); /* the bound, not something else, was what held */
    assert_int_equal(pfqids_names(q), pfqids_rcpts(q));
    assert_int_equal(pfqids_rcpts(q) + pfqids_dropped(q), 256 * PFQIDS_RCPTS_MAX);
    struct seen s = {0};
    assert_int_equal(pfqids_finish(q, "F255", note, &s), PFQIDS_RCPTS_MAX);
    assert_int_equal(pfqids_finish(q, "F0", note, &s), 0);
    for (int m = 0; m < 255; m++) {
        snprintf(qid, sizeof qid, "F%d", m);
        pfqids_finish(q, qid, note, &s);
    }
    assert_int_equal(pfqids_bytes(q), 0);
    assert_int_equal(pfqids_names(q), 0);
    pfqids_free(q);

    /* A bound smaller than one message: nothing is remembered, everything is counted. */
    q = pfqids_new(&(struct pfqids_limits){10, 10, 16});
    pfqids_deferred(q, "TINY", h("a@x"), "x.test");
    assert_int_equal(pfqids_count(q), 0);
    assert_int_equal(pfqids_dropped(q), 1);
    pfqids_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_names_who_is_left),
        cmocka_unit_test(test_message_forgotten_when_all_done),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_names_stored_once),
        cmocka_unit_test(test_recipient_cap_is_global),
        cmocka_unit_test(test_bytes_bounded_under_a_flood),
    };
    return cmocka_run_group_tests_name("pfqids", tests, NULL, NULL);
}
