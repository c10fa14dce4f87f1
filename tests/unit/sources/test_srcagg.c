/* Unit tests of the sources' aggregation (probes/sources/srcagg.c) against the real state store:
 * queue gauges for configured destinations, discovery of the busiest queued destinations
 * within max_destinations, leaving when pushed out or idle, transport maps with a bad
 * entry, the queue's shape (ages, queues, hold) into the store, error codes kept sorted and
 * bounded, and the bound on destinations seen only in the log (the store's are never
 * forgotten). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pfqueue.h"
#include "srcagg.h"
#include "store.h"

static struct config *cfg;

static int setup(void **state)
{
    (void)state;
    const char *yml = "destinations: [conf.test]\n"
                      "sources:\n"
                      "  postfix:\n"
                      "    transport_maps: [\"alias.test=conf.test\", \"bad entry\"]\n"
                      "  discovery: {enabled: true, max_destinations: 2, idle: 10s}\n";
    char err[CONFIG_ERR_MAX];
    cfg = config_parse("test.yml", yml, strlen(yml), err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    store_init();
    store_dest_add("conf.test", ORIGIN_CONFIG);
    char why[512] = "";
    assert_int_equal(srcagg_configure(cfg, why, sizeof why), -1);
    assert_non_null(strstr(why, "transport_maps[1]"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    srcagg_shutdown();
    store_shutdown();
    config_free(cfg);
    return 0;
}

/* A tally from "dest=active/attempted/oldest" items. */
static void tally_of(struct pfqueue_tally *t, const char *const *items)
{
    pfqueue_tally_init(t);
    for (size_t i = 0; items[i]; i++) {
        char name[64];
        unsigned long long a, b;
        long long oldest;
        assert_int_equal(sscanf(items[i], "%63[^=]=%llu/%llu/%lld", name, &a, &b, &oldest), 4);
        struct pfqueue_item *it = calloc(1, sizeof *it);
        it->dest = strdup(name);
        it->active = a;
        it->attempted = b;
        it->oldest_arrival = oldest;
        t->items = realloc(t->items, (t->n + 1) * sizeof *t->items);
        t->items[t->n++] = it;
        strmap_put(&t->map, it->dest, it);
    }
}

static void apply(double now, const char *const *items)
{
    struct pfqueue_tally t;
    tally_of(&t, items);
    srcagg_apply_queue(&t, now);
    srcagg_publish();
    pfqueue_tally_free(&t);
}

static const struct mta_figures *fig(const char *d)
{
    struct dest *x = store_dest_find(d);
    return x ? &store_dest_view(x)->mta : NULL;
}

static enum dest_origin origin(const char *d)
{
    return store_dest_origin(store_dest_find(d));
}

static void test_gauges_and_discovery(void **state)
{
    (void)state;
    assert_string_equal(srcagg_destination("alias.test"), "conf.test");
    assert_string_equal(srcagg_destination("other.test"), "other.test");
    const char *const scan1[] = {"conf.test=3/1/900", "a.test=5/5/950", "b.test=1/0/990",
                                 "c.test=7/2/800", NULL};
    apply(1000, scan1);
    const struct mta_figures *m = fig("conf.test");
    assert_true(m->present);
    assert_int_equal(m->active, 3);
    assert_int_equal(m->attempted, 1);
    assert_int_equal(m->unattempted, 2);
    assert_true(m->oldest_age_s == 100.0);
    assert_int_equal(origin("conf.test"), ORIGIN_CONFIG);
    assert_int_equal(origin("c.test"), ORIGIN_DISCOVERED);
    assert_int_equal(origin("a.test"), ORIGIN_DISCOVERED);
    assert_null(store_dest_find("b.test")); /* over max_destinations */
    assert_int_equal(fig("c.test")->active, 7);
    assert_int_equal(store_count(), 3);

    /* b.test gets busier than a.test, which has nothing queued any more: a.test is pushed
     * out although it is not idle yet. */
    const char *const scan2[] = {"b.test=9/0/990", "c.test=7/2/800", NULL};
    apply(1005, scan2);
    assert_null(store_dest_find("a.test"));
    assert_int_equal(origin("b.test"), ORIGIN_DISCOVERED);
    assert_int_equal(fig("conf.test")->active, 0); /* nothing queued: zero, still present */
    assert_true(fig("conf.test")->present);

    /* Only c.test is queued: b.test stays while not idle for 10 s ... */
    const char *const scan3[] = {"c.test=1/1/800", NULL};
    apply(1010, scan3);
    assert_non_null(store_dest_find("b.test"));
    assert_int_equal(fig("b.test")->active, 0);
    /* ... and leaves once it is; configured destinations always stay. */
    const char *const none[] = {NULL};
    apply(1016, none);
    assert_null(store_dest_find("b.test"));
    assert_non_null(store_dest_find("c.test"));
    apply(1030, none);
    assert_null(store_dest_find("c.test"));
    assert_non_null(store_dest_find("conf.test"));
}

static void test_discovery_off_removes_discovered(void **state)
{
    (void)state;
    const char *const scan[] = {"d.test=2/0/1", NULL};
    apply(2000, scan);
    assert_non_null(store_dest_find("d.test"));
    cfg->discovery_enabled = false;
    char err[256];
    srcagg_configure(cfg, err, sizeof err);
    apply(2001, scan);
    assert_null(store_dest_find("d.test"));
    cfg->discovery_enabled = true;
    srcagg_configure(cfg, err, sizeof err);
}

/* With global.shard, discovery adds only the destinations this agent's shard owns, and
 * each of them: the queue's destinations split among N agents like the configured ones. */
static void test_discovery_keeps_to_its_shard(void **state)
{
    (void)state;
    char err[256], names[40][16];
    const char *scan[41];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "q%d.test=1/0/1", i);
        scan[i] = names[i];
    }
    scan[40] = NULL;
    cfg->discovery_max_destinations = 100;
    cfg->shard = (struct shard){1, 3};
    srcagg_configure(cfg, err, sizeof err);
    apply(3000, scan);
    size_t owned = 0;
    for (int i = 0; i < 40; i++) {
        char d[16];
        snprintf(d, sizeof d, "q%d.test", i);
        bool mine = shard_of(d, 3) == 1;
        owned += mine;
        assert_int_equal(store_dest_find(d) != NULL, mine);
    }
    assert_true(owned > 5 && owned < 25);
    cfg->discovery_max_destinations = 2;
    cfg->shard = SHARD_ALL;
    srcagg_configure(cfg, err, sizeof err);
    const char *const none[] = {NULL};
    apply(5000, none); /* idle: the discovered ones leave */
    assert_int_equal(store_count(), 1);
}

/* The queue's shape reaches the store: ages and queues as tallied (saturated at 32 bits),
 * the newest age; a change of the shape alone is published; a destination with only held
 * mail has its hold figure and no ages, and is not discovered for it. */
static void test_queue_shape(void **state)
{
    (void)state;
    struct pfqueue_tally t;
    tally_of(&t, (const char *const[]){"conf.test=3/1/900", "held.test=0/0/1", NULL});
    struct pfqueue_item *c = strmap_get(&t.map, "conf.test"), *h = strmap_get(&t.map, "held.test");
    c->newest_arrival = 990;
    c->by_age[MTA_AGE_5M] = 1;
    c->by_age[MTA_AGE_1H] = 2;
    c->by_queue[MTA_Q_ACTIVE] = 2;
    c->by_queue[MTA_Q_DEFERRED] = 1;
    c->by_queue[MTA_Q_HOLD] = 5000000000ULL;
    h->by_queue[MTA_Q_HOLD] = 2;
    srcagg_apply_queue(&t, 1000);
    srcagg_publish();
    const struct mta_figures *m = fig("conf.test");
    assert_true(m->oldest_age_s == 100.0 && m->newest_age_s == 10.0);
    const uint32_t ages[MTA_AGE__COUNT] = {1, 2, 0, 0, 0};
    const uint32_t queues[MTA_Q__COUNT] = {2, 1, UINT32_MAX, 0};
    assert_memory_equal(m->queued_age, ages, sizeof ages);
    assert_memory_equal(m->queued_in, queues, sizeof queues);
    assert_null(store_dest_find("held.test"));
    c->by_age[MTA_AGE_5M] = 0;
    c->by_age[MTA_AGE_1H] = 3;
    srcagg_apply_queue(&t, 1000);
    srcagg_publish();
    assert_int_equal(fig("conf.test")->queued_age[MTA_AGE_1H], 3);
    pfqueue_tally_free(&t);

    tally_of(&t, (const char *const[]){"conf.test=0/0/500", NULL});
    ((struct pfqueue_item *)strmap_get(&t.map, "conf.test"))->by_queue[MTA_Q_HOLD] = 2;
    srcagg_apply_queue(&t, 1000);
    srcagg_publish();
    m = fig("conf.test");
    assert_int_equal(m->active, 0);
    assert_true(m->oldest_age_s == 0 && m->newest_age_s == 0);
    assert_int_equal(m->queued_in[MTA_Q_HOLD], 2);
    assert_int_equal(m->queued_age[MTA_AGE_1H], 0);
    pfqueue_tally_free(&t);
}

static void test_error_codes(void **state)
{
    (void)state;
    struct mta_figures *m = srcagg_figures("conf.test");
    uint32_t codes[] = {5001001, 4004001, 5001001, 4007000, 4004001, 5001001};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        srcagg_count_error(m, codes[i]);
    assert_int_equal(m->n_errors, 3);
    assert_int_equal(m->errors[0].code, 4004001);
    assert_int_equal(m->errors[0].count, 2);
    assert_int_equal(m->errors[1].code, 4007000);
    assert_int_equal(m->errors[2].code, 5001001);
    assert_int_equal(m->errors[2].count, 3);
    for (uint32_t c = 0; c < STORE_ERROR_CODES_MAX + 5; c++)
        srcagg_count_error(m, 5002000 + c);
    assert_int_equal(m->n_errors, STORE_ERROR_CODES_MAX);
    for (size_t i = 1; i < m->n_errors; i++)
        assert_true(m->errors[i - 1].code < m->errors[i].code);
    srcagg_publish();
    assert_int_equal(fig("conf.test")->n_errors, STORE_ERROR_CODES_MAX);
}

/* Destinations seen only in the log are forgotten least recently changed first, within
 * configured + max_destinations + SRCAGG_SPARE; the store's keep their counts. */
static void test_log_only_destinations_are_bounded(void **state)
{
    (void)state;
    srcagg_figures("conf.test")->delivered = 42;
    char name[64];
    size_t cap = cfg->n_dests + cfg->discovery_max_destinations + SRCAGG_SPARE;
    for (size_t i = 0; i < cap + 100; i++) {
        snprintf(name, sizeof name, "log%zu.test", i);
        srcagg_figures(name)->delivered++;
        assert_true(srcagg_count() <= cap);
    }
    srcagg_publish();
    assert_int_equal(fig("conf.test")->delivered, 42);
    assert_int_equal(srcagg_figures("conf.test")->delivered, 42);
    assert_int_equal(srcagg_figures("log0.test")->delivered, 0); /* forgotten, new again */
    snprintf(name, sizeof name, "log%zu.test", cap + 99);
    assert_int_equal(srcagg_figures(name)->delivered, 1); /* recent: kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauges_and_discovery),
        cmocka_unit_test(test_discovery_off_removes_discovered),
        cmocka_unit_test(test_discovery_keeps_to_its_shard),
        cmocka_unit_test(test_queue_shape),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_log_only_destinations_are_bounded),
    };
    return cmocka_run_group_tests_name("srcagg", tests, setup, teardown);
}
