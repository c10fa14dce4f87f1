/*
 * test_agentx_trap.c - the notification rules of the SNMP subagent without net-snmp: which
 * status changes become mxwDestinationDown/Up, how the per-destination rate limit holds a
 * flapping destination's changes and what it sends when the interval ends, retries while
 * no master takes them, and the bounded queue from the loop thread. Run by tests/run.sh.
 */
#include "agentx_int.h"
#include "util.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define INTERVAL 60.0

static struct ax_trap_event ev(const char *domain, enum dest_status s)
{
    struct ax_trap_event e = {.status = s, .active = 7};
    snprintf(e.domain, sizeof e.domain, "%s", domain);
    snprintf(e.reason, sizeof e.reason, "%s", s == DEST_DOWN ? "refused" : "ok");
    return e;
}

static struct ax_trap_event sent[16];
static size_t n_sent;
static bool send_ok = true;

static bool record(const struct ax_trap_event *e, void *arg)
{
    (void)arg;
    if (!send_ok)
        return false;
    if (n_sent < MXW_ARRAY_LEN(sent))
        sent[n_sent] = *e;
    n_sent++;
    return true;
}

/* What agentx.c does with a status change: offer, and send when told to. */
static void change(struct ax_limiter *l, const char *domain, enum dest_status s, double now)
{
    struct ax_trap_event e = ev(domain, s);
    if (ax_limiter_offer(l, &e, now))
        ax_limiter_sent(l, &e, now, record(&e, NULL), 1.0);
}

static void first_up_is_no_news_first_down_is(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(INTERVAL);
    change(l, "a.test", DEST_UP, 0);
    assert_int_equal(n_sent, 0);
    change(l, "a.test", DEST_DOWN, 1);
    assert_int_equal(n_sent, 1);
    assert_int_equal(sent[0].status, DEST_DOWN);
    assert_string_equal(sent[0].reason, "refused");
    change(l, "a.test", DEST_UP, 100);
    assert_int_equal(n_sent, 2);
    assert_int_equal(sent[1].status, DEST_UP);
    ax_limiter_free(l);
}

static void a_flap_within_the_interval_sends_nothing_more(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(INTERVAL);
    change(l, "a.test", DEST_DOWN, 0);
    change(l, "a.test", DEST_UP, 5);
    change(l, "a.test", DEST_DOWN, 10);
    change(l, "a.test", DEST_UP, 15);
    change(l, "a.test", DEST_DOWN, 20);
    assert_int_equal(n_sent, 1);
    ax_limiter_run(l, INTERVAL + 1, 1.0, record, NULL);
    assert_int_equal(n_sent, 1); /* it ended down, which the NMS knows */
    assert_true(ax_limiter_next_due(l) < 0);
    ax_limiter_free(l);
}

static void the_latest_held_state_goes_out_when_the_interval_ends(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(INTERVAL);
    change(l, "a.test", DEST_DOWN, 0);
    change(l, "a.test", DEST_UP, 5);
    change(l, "b.test", DEST_DOWN, 6); /* another destination is not held back */
    assert_int_equal(n_sent, 2);
    assert_true(ax_limiter_next_due(l) == INTERVAL);
    ax_limiter_run(l, INTERVAL - 1, 1.0, record, NULL);
    assert_int_equal(n_sent, 2);
    ax_limiter_run(l, INTERVAL, 1.0, record, NULL);
    assert_int_equal(n_sent, 3);
    assert_string_equal(sent[2].domain, "a.test");
    assert_int_equal(sent[2].status, DEST_UP);
    /* the next change is limited from the time of that notification */
    change(l, "a.test", DEST_DOWN, INTERVAL + 10);
    assert_int_equal(n_sent, 3);
    ax_limiter_run(l, 2 * INTERVAL, 1.0, record, NULL);
    assert_int_equal(n_sent, 4);
    ax_limiter_free(l);
}

static void without_a_master_it_is_held_and_retried(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(INTERVAL);
    send_ok = false;
    change(l, "a.test", DEST_DOWN, 0);
    assert_int_equal(n_sent, 0);
    assert_true(ax_limiter_next_due(l) == 1.0);
    ax_limiter_run(l, 1.0, 1.0, record, NULL);
    assert_true(ax_limiter_next_due(l) == 2.0);
    send_ok = true;
    ax_limiter_run(l, 2.0, 1.0, record, NULL);
    assert_int_equal(n_sent, 1);
    assert_int_equal(sent[0].status, DEST_DOWN);
    ax_limiter_free(l);
}

static void no_interval_sends_every_change(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(0);
    for (int i = 0; i < 6; i++)
        change(l, "a.test", i % 2 ? DEST_UP : DEST_DOWN, i);
    assert_int_equal(n_sent, 6);
    ax_limiter_free(l);
}

static void many_destinations_and_pruning(void **state)
{
    (void)state;
    n_sent = 0;
    struct ax_limiter *l = ax_limiter_new(INTERVAL);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "d%d.test", i);
        change(l, name, DEST_DOWN, 0);
    }
    assert_int_equal(n_sent, 1000);
    assert_int_equal(ax_limiter_count(l), 1000);
    store_init();
    store_dest_add("d7.test", ORIGIN_CONFIG);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    ax_limiter_prune(l, s);
    store_snapshot_release(s);
    store_shutdown();
    assert_int_equal(ax_limiter_count(l), 1);
    change(l, "d7.test", DEST_UP, INTERVAL); /* still remembered as down */
    assert_int_equal(n_sent, 1001);
    ax_limiter_free(l);
}

static void queue_is_bounded_and_counts_losses(void **state)
{
    (void)state;
    struct ax_trapq *q = ax_trapq_new(4);
    struct pollfd p = {.fd = ax_trapq_fd(q), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    struct ax_trap_event e = ev("a.test", DEST_DOWN), out[8];
    for (int i = 0; i < 4; i++)
        assert_int_equal(ax_trapq_push(q, &e), 0);
    assert_int_equal(ax_trapq_push(q, &e), -1);
    assert_int_equal(poll(&p, 1, 0), 1);
    uint64_t dropped;
    assert_int_equal(ax_trapq_take(q, out, 3, &dropped), 3);
    assert_int_equal(dropped, 1);
    assert_int_equal(poll(&p, 1, 0), 1); /* one left: the reader is woken again */
    assert_int_equal(ax_trapq_take(q, out, 8, &dropped), 1);
    assert_int_equal(dropped, 0);
    assert_string_equal(out[0].domain, "a.test");
    assert_int_equal(poll(&p, 1, 0), 0);
    ax_trapq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_up_is_no_news_first_down_is),
        cmocka_unit_test(a_flap_within_the_interval_sends_nothing_more),
        cmocka_unit_test(the_latest_held_state_goes_out_when_the_interval_ends),
        cmocka_unit_test(without_a_master_it_is_held_and_retried),
        cmocka_unit_test(no_interval_sends_every_change),
        cmocka_unit_test(many_destinations_and_pruning),
        cmocka_unit_test(queue_is_bounded_and_counts_losses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
