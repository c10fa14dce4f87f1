/* Unit tests of how the store derives a destination's status from its two signals, its
 * probes and the MTA's delivery attempts (global.status_source, global.throttled_is_down,
 * global.delivery_fresh; docs/CONFIGURATION.md), of the vote of each kind of attempt, and
 * of the attempt block: bounded, safe text, shared between views, kept by old snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

struct seen {
    unsigned calls;
    enum dest_status from, to;
    enum dest_signal signal; /* as the observer reads it from the view */
};

static void on_status(struct dest *d, enum dest_status from, enum dest_status to, void *arg)
{
    struct seen *c = arg;
    c->calls++;
    c->from = from;
    c->to = to;
    c->signal = store_dest_view(d)->status_signal;
}

static struct seen seen;

static int setup(void **state)
{
    (void)state;
    store_init();
    memset(&seen, 0, sizeof seen);
    store_subscribe_status(on_status, &seen);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_shutdown();
    return 0;
}

static void policy(enum status_source src, bool throttled_is_down, double fresh_s)
{
    store_set_status_policy(&(struct store_status_policy){src, throttled_is_down, fresh_s});
}

static enum dest_status probe(struct dest *d, enum dest_reason r, enum mx_outcome o)
{
    enum dest_status old_s, new_s;
    store_dest_set_probe(d, NULL, 0, 0.01, 300, r, o, 1, &old_s, &new_s);
    return new_s;
}

/* A delivery attempt read age_s seconds ago. */
static enum dest_status deliver(struct dest *d, enum delivery_class cls, enum delivery_cmd cmd,
                                enum mx_outcome o, unsigned reply, const char *text, double age_s)
{
    store_dest_set_delivery(d, store_delivery_new(&(struct delivery_fields){
                                   .at = mxw_wall_time() - age_s,
                                   .cls = cls,
                                   .cmd = cmd,
                                   .outcome = o,
                                   .reply = reply,
                                   .enhanced = reply >= 500 ? "5.7.1" : "4.7.1",
                                   .host = "mx1.t.test",
                                   .addr = "127.0.0.61",
                                   .text = text,
                               }));
    return store_dest_status(d);
}

static enum dest_status throttle(struct dest *d, double age_s)
{
    return deliver(d, DELIV_REPLY, DCMD_RCPT, OUT_PROTOCOL_ERROR, 451, "451 4.7.1 slow down",
                   age_s);
}

static enum dest_status sent(struct dest *d)
{
    return deliver(d, DELIV_SENT, DCMD_END_OF_DATA, OUT_OK, 250, "250 2.0.0 Ok", 0);
}

static const char *reason(struct dest *d)
{
    return store_dest_reason_text(store_dest_view(d));
}

static enum dest_signal signal_of(struct dest *d)
{
    return store_dest_view(d)->status_signal;
}

static void votes_of_each_kind_of_attempt(void **state)
{
    (void)state;
    static const struct {
        enum delivery_class cls;
        enum delivery_cmd cmd;
        unsigned reply;
        enum delivery_vote vote;
    } c[] = {
        {DELIV_SENT, DCMD_END_OF_DATA, 250, VOTE_UP},
        {DELIV_CONNECT, DCMD_CONNECT, 0, VOTE_DOWN},
        {DELIV_GREETING, DCMD_GREETING, 421, VOTE_DOWN},
        {DELIV_TLS, DCMD_STARTTLS, 0, VOTE_DOWN},
        {DELIV_REPLY, DCMD_EHLO, 421, VOTE_DOWN},
        {DELIV_REPLY, DCMD_MAIL, 451, VOTE_THROTTLED},
        {DELIV_REPLY, DCMD_RCPT, 450, VOTE_THROTTLED},
        {DELIV_REPLY, DCMD_DATA, 421, VOTE_THROTTLED},
        {DELIV_REPLY, DCMD_END_OF_DATA, 452, VOTE_THROTTLED},
        {DELIV_REPLY, DCMD_RCPT, 550, VOTE_NONE}, /* one recipient refused: the host is fine */
        {DELIV_REPLY, DCMD_OTHER, 451, VOTE_NONE},
        {DELIV_LOST, DCMD_GREETING, 0, VOTE_DOWN},
        {DELIV_LOST, DCMD_RCPT, 0, VOTE_NONE},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct delivery_attempt a = {.cls = c[i].cls, .cmd = c[i].cmd, .reply = c[i].reply};
        assert_int_equal(store_delivery_vote(&a), c[i].vote);
    }
}

/* The case: the MX greets the probe, but defers real mail at RCPT. */
static void throttled_holds_against_a_probe_that_greets(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_int_equal(throttle(d, 0), DEST_DOWN); /* throttled_is_down by default */
    assert_string_equal(reason(d), "throttled");
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.to, DEST_DOWN);
    assert_int_equal(seen.signal, SIGNAL_DELIVERY);
    /* a newer probe that greets cannot see RCPT: still throttled */
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_DOWN);
    assert_string_equal(reason(d), "throttled");
    /* a newer probe that fails does: the host stopped answering */
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED), DEST_DOWN);
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_string_equal(reason(d), "refused");
    /* then a delivery goes through: up, by the delivery, whatever the probe says */
    assert_int_equal(sent(d), DEST_UP);
    assert_int_equal(seen.to, DEST_UP);
    assert_int_equal(seen.signal, SIGNAL_DELIVERY);
    assert_string_equal(reason(d), "ok");
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_DELIVERY);
    assert_int_equal(store_dest_view(d)->history->n, 3); /* up, down, up: each change sampled */
}

static void throttled_is_up_when_configured_so(void **state)
{
    (void)state;
    policy(STATUS_SOURCE_BOTH, false, 900);
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(throttle(d, 0), DEST_UP);
    assert_string_equal(reason(d), "throttled");
    assert_int_equal(signal_of(d), SIGNAL_DELIVERY);
    assert_int_equal(seen.calls, 1); /* no change of status, no notification */
}

/* Down at connect or greeting; a newer probe that succeeds is fresher and wins. */
static void the_fresher_signal_wins(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("r.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(deliver(d, DELIV_CONNECT, DCMD_CONNECT, OUT_REFUSED, 0,
                             "connect to mx1[127.0.0.61]:25: Connection refused", 0),
                     DEST_DOWN);
    assert_string_equal(reason(d), "refused");
    assert_int_equal(signal_of(d), SIGNAL_DELIVERY);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_int_equal(
        deliver(d, DELIV_GREETING, DCMD_GREETING, OUT_BANNER_4XX, 421, "421 4.3.2 bye", 0),
        DEST_DOWN);
    assert_string_equal(reason(d), "banner_4xx");
    /* a probe with the agent's own trouble is no signal about the destination */
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR), DEST_DOWN);
    assert_int_equal(signal_of(d), SIGNAL_DELIVERY);
}

/* A delivery's vote counts for delivery_fresh; older, the probe decides. */
static void stale_deliveries_give_way_to_the_probe(void **state)
{
    (void)state;
    policy(STATUS_SOURCE_BOTH, true, 60);
    struct dest *d = store_dest_add("s.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(throttle(d, 120), DEST_UP); /* read late: two minutes old already */
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_non_null(store_dest_view(d)->delivery); /* but recorded as the latest attempt */
    assert_int_equal(throttle(d, 0), DEST_DOWN);
}

static void a_5xx_to_rcpt_is_recorded_without_a_vote(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("u.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(throttle(d, 0), DEST_DOWN);
    assert_int_equal(
        deliver(d, DELIV_REPLY, DCMD_RCPT, OUT_PROTOCOL_ERROR, 550, "550 5.1.1 user unknown", 0),
        DEST_DOWN);
    assert_string_equal(reason(d), "throttled"); /* the vote that counts is the 451 */
    assert_int_equal(store_dest_view(d)->delivery->reply, 550);
}

static void probe_only_ignores_deliveries(void **state)
{
    (void)state;
    policy(STATUS_SOURCE_PROBE, true, 900);
    struct dest *d = store_dest_add("p.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UP);
    assert_int_equal(throttle(d, 0), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_string_equal(reason(d), "ok");
    assert_string_equal(store_dest_view(d)->delivery->text, "451 4.7.1 slow down");
}

static void delivery_only_ignores_probes(void **state)
{
    (void)state;
    policy(STATUS_SOURCE_DELIVERY, true, 900);
    struct dest *d = store_dest_add("q.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_UNKNOWN);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(throttle(d, 0), DEST_DOWN);
    assert_int_equal(probe(d, REASON_OK, OUT_OK), DEST_DOWN);
    assert_int_equal(sent(d), DEST_UP);
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED), DEST_UP);
    /* old enough does not matter without the probe to fall back on */
    assert_int_equal(throttle(d, 86400), DEST_DOWN);
}

/* The attempt is kept bounded and safe, shared by views, and old snapshots keep theirs. */
static void attempts_are_bounded_safe_and_copy_on_write(void **state)
{
    (void)state;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '\n';
    big[4] = '\x1b';
    const struct delivery_attempt *a = store_delivery_new(&(struct delivery_fields){
        .cls = DELIV_REPLY, .host = big, .addr = big, .enhanced = big, .text = big});
    assert_int_equal(strlen(a->text), STORE_REPLY_MAX - 1);
    assert_int_equal(strlen(a->host), STORE_DOMAIN_MAX - 1);
    assert_int_equal(strlen(a->addr), STORE_ADDR_STR_MAX - 1);
    assert_int_equal(strlen(a->enhanced), sizeof a->enhanced - 1);
    assert_memory_equal(a->text, "xxx??x", 6);
    store_delivery_unref(a);

    struct dest *d = store_dest_add("c.test", ORIGIN_CONFIG);
    throttle(d, 0);
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    sent(d);
    store_publish();
    const struct snapshot *s2 = store_snapshot_acquire();
    assert_string_equal(store_snapshot_find(s1, "c.test")->delivery->text, "451 4.7.1 slow down");
    assert_string_equal(store_snapshot_find(s2, "c.test")->delivery->text, "250 2.0.0 Ok");
    store_snapshot_release(s1);
    store_snapshot_release(s2);
    store_publish(); /* frees the first view and its attempt (ASan would see a leak) */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(votes_of_each_kind_of_attempt),
        T(throttled_holds_against_a_probe_that_greets),
        T(throttled_is_up_when_configured_so),
        T(the_fresher_signal_wins),
        T(stale_deliveries_give_way_to_the_probe),
        T(a_5xx_to_rcpt_is_recorded_without_a_vote),
        T(probe_only_ignores_deliveries),
        T(delivery_only_ignores_probes),
        T(attempts_are_bounded_safe_and_copy_on_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
