/* Unit tests of the queue id -> waiting recipients map (probes/sources/pfqids.c): a recipient
 * deferred many times counts once, sent and bounced ones are forgotten, expiry reports who
 * is left, and both bounds (messages, recipients per message) hold and are counted. */
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

static void test_expiry_names_who_is_left(void **state)
{
    (void)state;
    struct pfqids *q = pfqids_new(10);
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
    struct pfqids *q = pfqids_new(10);
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
    struct pfqids *q = pfqids_new(3);
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

    q = pfqids_new(3);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_names_who_is_left),
        cmocka_unit_test(test_message_forgotten_when_all_done),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests_name("pfqids", tests, NULL, NULL);
}
