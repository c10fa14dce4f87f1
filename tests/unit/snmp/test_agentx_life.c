/*
 * test_agentx_life.c - the SNMP subagent's life cycle without a master: agentx_start
 * returns at once when no snmpd listens (the subagent keeps trying in the background), a
 * second start and a second stop change nothing, a status change while running is taken
 * without blocking, and a start after a stop is refused (net-snmp's subagent code cannot be
 * set up twice in one process). Run by tests/run.sh.
 */
#include "agentx.h"
#include "store.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void starts_and_stops_once_without_a_master(void **state)
{
    (void)state;
    store_init();
    store_dest_add("a.test", ORIGIN_CONFIG);
    store_publish();
    struct config *cfg = config_defaults();
    free(cfg->agentx_socket);
    cfg->agentx_socket = strdup("/nonexistent/mxwatch-test/agentx");
    char err[256] = "";
    int64_t t0 = mxw_now_ms();
    assert_int_equal(agentx_start(cfg, err, sizeof err), 0);
    assert_true(mxw_now_ms() - t0 < 2000);
    assert_false(agentx_connected());
    assert_int_equal(agentx_start(cfg, err, sizeof err), 0); /* idempotent */

    /* A destination going down reaches the subagent's queue from this (loop) thread. */
    struct mx_host *none = NULL;
    enum dest_status o, s;
    store_dest_set_probe(store_dest_find("a.test"), none, 0, 0.001, 0, REASON_DNS_NXDOMAIN,
                         OUT_NOT_PROBED, 1, &o, &s);
    assert_int_equal(s, DEST_DOWN);

    agentx_stop();
    agentx_stop(); /* idempotent */
    assert_false(agentx_connected());
    assert_int_equal(agentx_start(cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    config_free(cfg);
    store_shutdown();
}

static void disabled_does_nothing(void **state)
{
    (void)state;
    struct config *cfg = config_defaults();
    cfg->snmp_enabled = false;
    char err[64];
    assert_int_equal(agentx_start(cfg, err, sizeof err), 0);
    assert_false(agentx_connected());
    agentx_stop();
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disabled_does_nothing),
        cmocka_unit_test(starts_and_stops_once_without_a_master),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
