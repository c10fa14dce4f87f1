/* Unit tests of how a transaction probe's result feeds a destination's status (store.c,
 * issue 16): the vote of each kind of result (success up, 4xx at the envelope after a 220
 * throttled, 5xx there rejected, the agent's own trouble and early failures no vote), that it
 * counts like a delivery attempt under global.status_source and delivery_fresh with the
 * signal "transaction", and that the result block is shared between views and kept by old
 * snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "txn.h"
#include "util.h"

static int setup(void **state)
{
    (void)state;
    store_init();
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

static enum dest_status probe(struct dest *d, enum dest_reason r)
{
    enum dest_status old_s, new_s;
    store_dest_set_probe(d, NULL, 0, 0.01, 300, r, r == REASON_OK ? OUT_OK : OUT_REFUSED, 1, &old_s,
                         &new_s);
    return new_s;
}

/* A rcpt-mode result: greeted with greeting, then code at phase (0: success), age_s ago. */
static struct txn_result result(int greeting, enum txn_phase phase, int code, double age_s)
{
    struct txn_result r = {.mode = TXN_MODE_RCPT, .at = mxw_wall_time() - age_s};
    r.step[TXN_CONNECT].reached = true;
    r.step[TXN_GREETING] = (struct txn_step){.reached = true, .s = 0.01, .code = greeting};
    if (greeting / 100 != 2) {
        r.failed = r.last = TXN_GREETING;
        return r;
    }
    enum txn_phase order[] = {TXN_EHLO, TXN_MAIL, TXN_RCPT, TXN_RSET, TXN_QUIT};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        bool here = code && order[i] == phase;
        r.step[order[i]] = (struct txn_step){.reached = true, .s = 0.01, .code = here ? code : 250};
        r.last = order[i];
        if (here) {
            r.failed = order[i];
            snprintf(r.step[order[i]].text, TXN_TEXT_MAX, "%d %d.7.1 no", code, code / 100);
            snprintf(r.step[order[i]].enhanced, TXN_ENHANCED_MAX, "%d.7.1", code / 100);
            return r;
        }
    }
    r.success = true;
    return r;
}

static enum dest_status txn(struct dest *d, struct txn_result r, enum mx_outcome o)
{
    store_dest_set_transaction(
        d, store_txn_new(&r, o, "probe@agent.test", "canary@t.test", "mx1.t.test"));
    return store_dest_status(d);
}

static const char *reason(struct dest *d)
{
    return store_dest_reason_text(store_dest_view(d));
}

static enum dest_signal signal_of(struct dest *d)
{
    return store_dest_view(d)->status_signal;
}

static void votes_of_each_kind_of_result(void **state)
{
    (void)state;
    static const struct {
        int greeting;
        enum txn_phase phase;
        int code;
        enum mx_outcome outcome;
        enum delivery_vote vote;
    } c[] = {
        {220, TXN_QUIT, 0, OUT_OK, VOTE_UP},
        {220, TXN_MAIL, 451, OUT_OK, VOTE_THROTTLED},
        {220, TXN_RCPT, 450, OUT_OK, VOTE_THROTTLED},
        {220, TXN_MAIL, 550, OUT_OK, VOTE_REJECTED},
        {220, TXN_RCPT, 554, OUT_OK, VOTE_REJECTED},
        {220, TXN_EHLO, 421, OUT_EHLO_REJECTED, VOTE_NONE}, /* the banner probe's business */
        {421, TXN_GREETING, 0, OUT_BANNER_4XX, VOTE_NONE},
        {0, TXN_GREETING, 0, OUT_LOCAL_ERROR, VOTE_NONE}, /* the agent's own trouble */
        {0, TXN_GREETING, 0, OUT_BANNER_TIMEOUT, VOTE_NONE},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct txn_result r = result(c[i].greeting, c[i].phase, c[i].code, 0);
        const struct store_txn *t = store_txn_new(&r, c[i].outcome, "", "a@b.test", "");
        assert_int_equal(store_txn_vote(t), c[i].vote);
        store_txn_unref(t);
    }
}

/* The greylist case: throttled (down by default) against a probe that greets, then up when
 * the retry is admitted; the signal is the transaction's. */
static void greylisted_then_admitted(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK), DEST_UP);
    assert_int_equal(txn(d, result(220, TXN_RCPT, 451, 0), OUT_OK), DEST_DOWN);
    assert_string_equal(reason(d), "throttled");
    assert_int_equal(signal_of(d), SIGNAL_TRANSACTION);
    assert_string_equal(store_signal_name(signal_of(d)), "transaction");
    assert_int_equal(probe(d, REASON_OK), DEST_DOWN); /* a greeting says nothing of RCPT */
    assert_int_equal(txn(d, result(220, TXN_QUIT, 0, 0), OUT_OK), DEST_UP);
    assert_string_equal(reason(d), "ok");
    assert_int_equal(signal_of(d), SIGNAL_TRANSACTION);
}

static void throttled_is_up_when_configured_so(void **state)
{
    (void)state;
    policy(STATUS_SOURCE_BOTH, false, 900);
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(txn(d, result(220, TXN_MAIL, 451, 0), OUT_OK), DEST_UP);
    assert_string_equal(reason(d), "throttled");
}

/* A 5xx is "rejected", down, and holds against a probe that greets until a newer result. */
static void rejected_is_down_and_holds(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(txn(d, result(220, TXN_RCPT, 550, 0), OUT_OK), DEST_DOWN);
    assert_string_equal(reason(d), "rejected");
    assert_int_equal(probe(d, REASON_OK), DEST_DOWN);
    assert_string_equal(reason(d), "rejected");
    assert_int_equal(probe(d, REASON_ALL_FAILED), DEST_DOWN);
    assert_int_equal(signal_of(d), SIGNAL_PROBE); /* the host stopped answering: the probe's */
}

/* No vote from the agent's own trouble: the status stays the probe's. */
static void own_trouble_never_votes(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_OK), DEST_UP);
    assert_int_equal(txn(d, result(0, TXN_GREETING, 0, 0), OUT_LOCAL_ERROR), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_PROBE);
    assert_non_null(store_dest_view(d)->txn); /* shown all the same */
    assert_int_equal(store_dest_view(d)->vote, VOTE_NONE);
}

/* A stale result gives way to the probe; with status_source probe it never counts; with
 * delivery it is the only signal besides the MTA's attempts. */
static void policies_and_freshness(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    policy(STATUS_SOURCE_BOTH, true, 60);
    assert_int_equal(txn(d, result(220, TXN_RCPT, 451, 120), OUT_OK), DEST_UNKNOWN);
    assert_int_equal(probe(d, REASON_OK), DEST_UP);
    policy(STATUS_SOURCE_PROBE, true, 900);
    assert_int_equal(txn(d, result(220, TXN_RCPT, 550, 0), OUT_OK), DEST_UP);
    policy(STATUS_SOURCE_DELIVERY, true, 900);
    struct dest *e = store_dest_add("e.test", ORIGIN_CONFIG);
    assert_int_equal(probe(e, REASON_ALL_FAILED), DEST_UNKNOWN);
    assert_int_equal(txn(e, result(220, TXN_QUIT, 0, 0), OUT_OK), DEST_UP);
    assert_int_equal(signal_of(e), SIGNAL_TRANSACTION);
}

/* A delivery attempt and a transaction share one vote: the later one stands, and names its
 * signal. */
static void deliveries_and_transactions_share_the_vote(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("t.test", ORIGIN_CONFIG);
    assert_int_equal(txn(d, result(220, TXN_RCPT, 451, 0), OUT_OK), DEST_DOWN);
    store_dest_set_delivery(d, store_delivery_new(&(struct delivery_fields){
                                   .at = mxw_wall_time(),
                                   .cls = DELIV_SENT,
                                   .cmd = DCMD_END_OF_DATA,
                                   .outcome = OUT_OK,
                                   .reply = 250,
                               }));
    assert_int_equal(store_dest_status(d), DEST_UP);
    assert_int_equal(signal_of(d), SIGNAL_DELIVERY);
}

/* The block: bounded, safe texts, shared between views, kept by an old snapshot; clearing
 * it leaves the vote. */
static void blocks_are_bounded_shared_and_kept(void **state)
{
    (void)state;
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '\n';
    struct dest *d = store_dest_add("c.test", ORIGIN_CONFIG);
    struct txn_result r = result(220, TXN_RCPT, 451, 0);
    store_dest_set_transaction(d, store_txn_new(&r, OUT_OK, big, big, big));
    const struct store_txn *t = store_dest_view(d)->txn;
    assert_int_equal(strlen(t->from), TXN_ADDR_MAX - 1);
    assert_int_equal(strlen(t->mx), STORE_DOMAIN_MAX - 1);
    assert_null(strchr(t->to, '\n'));
    assert_int_equal(t->signal, TXN_SIG_THROTTLED);
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    store_dest_set_transaction(d, NULL);
    assert_int_equal(store_dest_status(d), DEST_DOWN); /* the vote stays until it goes stale */
    store_publish();
    const struct snapshot *s2 = store_snapshot_acquire();
    assert_int_equal(store_snapshot_find(s1, "c.test")->txn->r.step[TXN_RCPT].code, 451);
    assert_null(store_snapshot_find(s2, "c.test")->txn);
    store_snapshot_release(s1);
    store_snapshot_release(s2);
    store_publish();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(votes_of_each_kind_of_result),
        T(greylisted_then_admitted),
        T(throttled_is_up_when_configured_so),
        T(rejected_is_down_and_holds),
        T(own_trouble_never_votes),
        T(policies_and_freshness),
        T(deliveries_and_transactions_share_the_vote),
        T(blocks_are_bounded_shared_and_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
