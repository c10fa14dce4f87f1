/*
 * test_agentx_gateway.c - mxwGatewayTable without net-snmp sessions: one row per gateway
 * view in OID order (a 64-octet name, the longest the config allows, has one), Counter64
 * beyond 32 bits, the licence column clamped to Integer32 and taken from the soonest
 * expiry, the figures of a failed poll kept, and an appliance never polled showing only its
 * up, duration and last-success columns. Run by tests/run.sh.
 */
#include "agentx_int.h"
#include "mxw_mib.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const oid gw_entry[] = {MXW_MIB_GATEWAY_ENTRY};
#define GW_ENTRY_LEN (sizeof gw_entry / sizeof(oid))

static char long_name[MXW_MIB_GW_NAME_MAX + 1];

/* What the gateway source would have parsed from a status page (exporters only read the
 * plain data, so the test builds it by hand): a "receiving suspended" appliance with a
 * counter beyond 32 bits and licence features of both kinds. */
static void fill_status(struct gw_status *st)
{
    memset(st, 0, sizeof *st);
    strcpy(st->system_status, "receiving suspended");
    st->counters = calloc(2, sizeof *st->counters);
    st->ncounters = 2;
    st->counters[0] = (struct gw_counter){"delivered_recips", 1, 2, 5000000000.0};
    st->counters[1] = (struct gw_counter){"inj_msgs", 1, 2, 7};
    st->gauges = calloc(1, sizeof *st->gauges);
    st->ngauges = 1;
    st->gauges[0] = (struct gw_gauge){"active_recips", 4};
    st->features = calloc(2, sizeof *st->features);
    st->nfeatures = 2;
    st->features[0] = (struct gw_feature){.name = "a", .has_seconds = 1, .seconds = 1e12};
    st->features[1] = (struct gw_feature){.name = "b", .word = "Perpetual"};
}

static struct gateway_view *view(const char *name, bool polled, bool up, bool has_status)
{
    struct gateway_view *v = store_gateway_view_new(name);
    v->polled = polled;
    v->up = up;
    v->scrape_duration_s = 0.0125;
    v->last_success = has_status ? 1700000000 : 0;
    if (has_status) {
        fill_status(&v->status);
        v->has_status = true;
    }
    return v;
}

static int setup(void **state)
{
    (void)state;
    store_init();
    memset(long_name, 'g', MXW_MIB_GW_NAME_MAX);
    struct gateway_view *v[3] = {view("gw1", true, false, true), view("bb", false, false, false),
                                 view(long_name, true, true, true)};
    store_set_gateways(v, 3);
    for (size_t i = 0; i < 3; i++)
        store_gateway_view_unref(v[i]);
    store_publish();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_shutdown();
    return 0;
}

static const struct ax_region *objects(void)
{
    for (size_t i = 0; i < ax_n_regions; i++)
        if (!strcmp(ax_regions[i].name, "mxwObjects"))
            return &ax_regions[i];
    fail_msg("no region mxwObjects");
    return NULL;
}

/* GET of column col of the row whose name is name. */
static enum ax_found get(struct ax_view *v, unsigned col, const char *name, struct ax_value *o)
{
    oid q[MAX_OID_LEN];
    size_t n = strlen(name), len = 0;
    memcpy(q, gw_entry, sizeof gw_entry);
    len = GW_ENTRY_LEN;
    q[len++] = col;
    q[len++] = n;
    for (size_t i = 0; i < n; i++)
        q[len++] = (unsigned char)name[i];
    return ax_get(v, objects(), q, len, o);
}

static void rows_in_oid_order(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    oid cur[MAX_OID_LEN] = {MXW_MIB_GATEWAY_ENTRY, MXW_GW_UP}, out[MAX_OID_LEN];
    size_t cur_len = GW_ENTRY_LEN + 1, out_len, lens[4], n = 0;
    struct ax_value val;
    while (n < 4 && ax_next(&v, objects(), cur, cur_len, false, out, &out_len, &val) == AX_FOUND &&
           out[GW_ENTRY_LEN] == MXW_GW_UP) {
        lens[n++] = out[GW_ENTRY_LEN + 1];
        memcpy(cur, out, out_len * sizeof *cur);
        cur_len = out_len;
    }
    assert_int_equal(n, 3); /* bb, gw1, then the 64-octet name: shorter first */
    assert_int_equal(lens[0], 2);
    assert_int_equal(lens[1], 3);
    assert_int_equal(lens[2], MXW_MIB_GW_NAME_MAX);
    ax_view_clear(&v);
}

static void values(void **state)
{
    (void)state;
    struct ax_view v = {0};
    struct ax_value o;
    ax_view_use(&v, store_snapshot_acquire());
    /* gw1's latest poll failed: up false(2), the last good figures kept. */
    assert_int_equal(get(&v, MXW_GW_UP, "gw1", &o), AX_FOUND);
    assert_int_equal(o.num, 2);
    assert_int_equal(get(&v, MXW_GW_DELIVERED_RECIPIENTS, "gw1", &o), AX_FOUND);
    assert_int_equal(o.type, ASN_COUNTER64);
    assert_int_equal(o.c64.high, 1);
    assert_int_equal(o.c64.low, 5000000000u - 4294967296u);
    assert_int_equal(get(&v, MXW_GW_LICENSE_SECONDS_REMAINING, "gw1", &o), AX_FOUND);
    assert_int_equal(o.num, 2147483647L);
    assert_int_equal(get(&v, MXW_GW_SYSTEM_STATUS, "gw1", &o), AX_FOUND);
    assert_memory_equal(o.ptr, "receiving suspended", o.len);
    assert_int_equal(get(&v, MXW_GW_SCRAPE_DURATION, "gw1", &o), AX_FOUND);
    assert_int_equal(o.num, 13); /* 12.5 ms, rounded */
    assert_int_equal(get(&v, MXW_GW_LAST_SUCCESS, "gw1", &o), AX_FOUND);
    assert_int_equal(o.num, 1700000000);
    /* An item the page lacks is a hole. */
    assert_int_equal(get(&v, MXW_GW_CONNECTIONS_OUT, "gw1", &o), AX_NO_SUCH_INSTANCE);
    assert_int_equal(get(&v, MXW_GW_UP, long_name, &o), AX_FOUND);
    assert_int_equal(o.num, 1);
    /* Never polled: up false, no figures. */
    assert_int_equal(get(&v, MXW_GW_UP, "bb", &o), AX_FOUND);
    assert_int_equal(o.num, 2);
    assert_int_equal(get(&v, MXW_GW_LAST_SUCCESS, "bb", &o), AX_FOUND);
    assert_int_equal(o.num, 0);
    assert_int_equal(get(&v, MXW_GW_ACTIVE_RECIPIENTS, "bb", &o), AX_NO_SUCH_INSTANCE);
    assert_int_equal(get(&v, MXW_GW_UP, "nope", &o), AX_NO_SUCH_INSTANCE);
    ax_view_clear(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_in_oid_order),
        cmocka_unit_test(values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
