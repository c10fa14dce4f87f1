/*
 * test_pfdefer.c - which `postqueue -j` records are deferred mail to a destination
 * (probes/sources/pfdefer.c): queue names, transport-mapped domains, hostile records and
 * the line splitter's bound.
 */
#include "pfdefer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *same(const char *domain, void *arg)
{
    (void)arg;
    return domain;
}

/* The transport map of a test: sub.a.test counts under a.test. */
static const char *mapped(const char *domain, void *arg)
{
    (void)arg;
    return !strcmp(domain, "sub.a.test") ? "a.test" : domain;
}

static int match(const char *line, const char *dest, pfdefer_dest_fn *fn, char *id)
{
    return pfdefer_match(line, strlen(line), dest, fn, NULL, id, PFDEFER_ID_MAX);
}

static void test_records(void **state)
{
    (void)state;
    char id[PFDEFER_ID_MAX] = "";
    const char *deferred = "{\"queue_name\": \"deferred\", \"queue_id\": \"ABEF8A76233\", "
                           "\"arrival_time\": 1, \"recipients\": [{\"address\": \"x@b.test\"}, "
                           "{\"address\": \"U1@A.Test.\", \"delay_reason\": \"refused\"}]}";
    assert_int_equal(match(deferred, "a.test", same, id), 1);
    assert_string_equal(id, "ABEF8A76233");
    assert_int_equal(match(deferred, "c.test", same, id), 0);
    const char *active = "{\"queue_name\": \"active\", \"queue_id\": \"B1\", \"recipients\": "
                         "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(active, "a.test", same, id), 0);
    const char *hold = "{\"queue_name\": \"hold\", \"queue_id\": \"B2\", \"recipients\": "
                       "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(hold, "a.test", same, id), 0);
    const char *sub = "{\"queue_name\": \"deferred\", \"queue_id\": \"C3\", \"recipients\": "
                      "[{\"address\": \"u@sub.a.test\"}]}";
    assert_int_equal(match(sub, "a.test", same, id), 0);
    assert_int_equal(match(sub, "a.test", mapped, id), 1);
}

static void test_hostile_records(void **state)
{
    (void)state;
    char id[PFDEFER_ID_MAX];
    /* A queue id that is not letters and digits never reaches postqueue's argv. */
    const char *option = "{\"queue_name\": \"deferred\", \"queue_id\": \"-f\", \"recipients\": "
                         "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(option, "a.test", same, id), -1);
    const char *longid = "{\"queue_name\": \"deferred\", \"queue_id\": "
                         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"recipients\": []}";
    assert_int_equal(match(longid, "a.test", same, id), -1);
    assert_int_equal(match("not json", "a.test", same, id), -1);
    assert_int_equal(match("[1,2]", "a.test", same, id), -1);
    assert_int_equal(
        match("{\"queue_name\": \"deferred\", \"queue_id\": \"A1\"}", "a.test", same, id), -1);
    const char *odd = "{\"queue_name\": \"deferred\", \"queue_id\": \"A2\", \"recipients\": "
                      "[7, {\"address\": 5}, {\"address\": \"no-at\"}, {\"address\": \"x@\"}, "
                      "{\"address\": \"x@a b.test\"}]}";
    assert_int_equal(match(odd, "a.test", same, id), 0);
}

struct lines {
    size_t n;
    size_t lens[8];
};

static void on_line(void *arg, const char *line, size_t len)
{
    (void)line;
    struct lines *l = arg;
    if (l->n < 8)
        l->lens[l->n] = len;
    l->n++;
}

static void test_line_splitter_and_its_bound(void **state)
{
    (void)state;
    struct pfdefer_lines p = {0};
    struct lines got = {0};
    pfdefer_feed(&p, "ab", 2, on_line, &got);
    pfdefer_feed(&p, "c\nde\n\nf", 7, on_line, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.lens[0], 3);
    assert_int_equal(got.lens[1], 2);
    /* A record longer than the bound is skipped, the next one read. */
    size_t big = PFDEFER_RECORD_MAX + 10;
    char *huge = malloc(big);
    memset(huge, 'x', big);
    pfdefer_feed(&p, "\n", 1, on_line, &got); /* ends "f" */
    pfdefer_feed(&p, huge, big, on_line, &got);
    pfdefer_feed(&p, "\nlast", 5, on_line, &got);
    pfdefer_end(&p, on_line, &got);
    free(huge);
    assert_int_equal(got.n, 4);
    assert_int_equal(got.lens[2], 1);
    assert_int_equal(got.lens[3], 4);
    assert_int_equal(p.skipped, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_line_splitter_and_its_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
