/*
 * test_agentx_index.c - the SNMP subagent's tables without net-snmp sessions: rows come out
 * in OID order (a string index sorts by its length first, unlike the store's strcmp order),
 * a GETNEXT walk of every region visits each instance once in strictly increasing order,
 * GET answers instances and tells missing objects from missing instances, and the bounds
 * (96-octet names, 255-octet banners, 32 error codes) hold. Run by tests/run.sh.
 */
#include "agentx_int.h"
#include "mxw_mib.h"
#include "util.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const oid dest_entry[] = {MXW_MIB_DESTINATION_ENTRY};
static const oid mx_entry[] = {MXW_MIB_MX_ENTRY};
#define DEST_ENTRY_LEN (sizeof dest_entry / sizeof(oid))
#define MX_ENTRY_LEN   (sizeof mx_entry / sizeof(oid))

static struct mx_addr_result addr(const char *ip, enum mx_outcome o)
{
    struct mx_addr_result a = {.outcome = o,
                               .connect_s = 0.002,
                               .banner_s = 0.010,
                               .ehlo_s = -1,
                               .tls_s = -1,
                               .smtp_code = 220};
    a.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    inet_pton(a.family, ip, a.addr);
    snprintf(a.addr_str, sizeof a.addr_str, "%s", ip);
    char banner[STORE_BANNER_MAX];
    snprintf(banner, sizeof banner, "220 %s ESMTP", ip);
    a.text = store_text_new(banner, "", "");
    return a;
}

/* Hosts: {name, preference, addresses...}, ownership moves to the store. */
static void set_hosts(const char *domain, size_t n, const char *const *names, const unsigned *prefs,
                      const char *const addrs[][4])
{
    struct mx_host *h = calloc(n, sizeof *h);
    for (size_t i = 0; i < n; i++) {
        store_host_set_name(&h[i], names[i]);
        h[i].preference = prefs[i];
        h[i].addrs = calloc(4, sizeof *h[i].addrs);
        for (size_t k = 0; k < 4 && addrs[i][k]; k++)
            h[i].addrs[h[i].n_addrs++] = addr(addrs[i][k], OUT_OK);
    }
    enum dest_status o, s;
    store_dest_set_probe(store_dest_add(domain, ORIGIN_CONFIG), h, n, 0.004, 300, REASON_OK, OUT_OK,
                         2, &o, &s);
}

static char long_name[MXW_MIB_DEST_NAME_MAX + 2];
static char bound_name[MXW_MIB_DEST_NAME_MAX + 1];

static int setup(void **state)
{
    (void)state;
    store_init();
    static const char *const plain[] = {"example.com", "b.io", "aaaa.org", "a.b", "zz"};
    for (size_t i = 0; i < 5; i++)
        store_dest_add(plain[i], ORIGIN_CONFIG);
    /* x.y: two MX names of preference 10 share 10.0.0.1 (one row, the first name's). */
    static const char *const names[] = {"mx1.x.y", "mx1b.x.y", "mx2.x.y"};
    static const unsigned prefs[] = {10, 10, 20};
    static const char *const addrs[][4] = {
        {"10.0.0.9", "10.0.0.1", "::1", NULL}, {"10.0.0.1", NULL}, {"10.0.0.2", NULL}};
    set_hosts("x.y", 3, names, prefs, addrs);
    memset(long_name, 'a', MXW_MIB_DEST_NAME_MAX + 1);
    long_name[MXW_MIB_DEST_NAME_MAX - 3] = '.';
    store_dest_add(long_name, ORIGIN_DISCOVERED); /* 97 octets: no row */
    memset(bound_name, 'b', MXW_MIB_DEST_NAME_MAX);
    bound_name[MXW_MIB_DEST_NAME_MAX - 3] = '.';
    static const char *const bnames[] = {"mx.b"};
    static const unsigned bprefs[] = {65535};
    static const char *const baddrs[][4] = {{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL}};
    set_hosts(bound_name, 1, bnames, bprefs, baddrs); /* 96 octets: the longest OID there is */
    store_publish();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_shutdown();
    return 0;
}

static const struct ax_region *region(const char *name)
{
    for (size_t i = 0; i < ax_n_regions; i++)
        if (!strcmp(ax_regions[i].name, name))
            return &ax_regions[i];
    fail_msg("no region %s", name);
    return NULL;
}

/* Walks a region by GETNEXT from its root; checks strict order and the OID bound. Returns
 * the number of instances; calls each(oid, len) for each. */
static size_t walk(struct ax_view *v, const struct ax_region *rg,
                   void (*each)(const oid *o, size_t len, const struct ax_value *val))
{
    oid cur[MAX_OID_LEN], out[MAX_OID_LEN];
    size_t cur_len = rg->root_len, out_len, n = 0;
    memcpy(cur, rg->root, cur_len * sizeof *cur);
    struct ax_value val;
    while (ax_next(v, rg, cur, cur_len, false, out, &out_len, &val) == AX_FOUND) {
        assert_true(ax_oid_cmp(cur, cur_len, out, out_len) < 0);
        assert_true(out_len <= MAX_OID_LEN);
        assert_true(ax_oid_cmp(out, out_len, rg->root, rg->root_len) > 0);
        assert_int_equal(ax_get(v, rg, out, out_len, &val), AX_FOUND);
        if (each)
            each(out, out_len, &val);
        memcpy(cur, out, out_len * sizeof *cur);
        cur_len = out_len;
        n++;
    }
    return n;
}

static char seen_names[16][MXW_MIB_DEST_NAME_MAX + 1];
static size_t n_seen;

/* Collects the destination names of column mxwDestStatus, decoded from the index. */
static void collect_dest(const oid *o, size_t len, const struct ax_value *val)
{
    (void)val;
    if (len <= DEST_ENTRY_LEN + 1 || memcmp(o, dest_entry, sizeof dest_entry) ||
        o[DEST_ENTRY_LEN] != MXW_DEST_STATUS)
        return;
    const oid *idx = o + DEST_ENTRY_LEN + 1;
    assert_int_equal(idx[0], len - DEST_ENTRY_LEN - 2);
    for (size_t i = 0; i < idx[0]; i++)
        seen_names[n_seen][i] = (char)idx[i + 1];
    seen_names[n_seen][idx[0]] = '\0';
    n_seen++;
}

static void dest_rows_sort_by_length_then_bytes(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    n_seen = 0;
    walk(&v, region("mxwObjects"), collect_dest);
    static const char *const want[] = {"zz", "a.b", "x.y", "b.io", "aaaa.org", "example.com"};
    assert_int_equal(n_seen, 7); /* the 96-octet name too; the 97-octet one has no row */
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(seen_names[i], want[i]);
    assert_string_equal(seen_names[6], bound_name);
    ax_view_clear(&v);
}

static size_t n_mx_host_names;
static char mx_host_names[8][64];
static oid mx_first_idx[MAX_OID_LEN];
static size_t mx_first_len;

static void collect_mx(const oid *o, size_t len, const struct ax_value *val)
{
    if (len <= MX_ENTRY_LEN + 1 || memcmp(o, mx_entry, sizeof mx_entry) ||
        o[MX_ENTRY_LEN] != MXW_MX_HOST_NAME)
        return;
    if (!n_mx_host_names) {
        mx_first_len = len - MX_ENTRY_LEN - 1;
        memcpy(mx_first_idx, o + MX_ENTRY_LEN + 1, mx_first_len * sizeof(oid));
    }
    snprintf(mx_host_names[n_mx_host_names++], 64, "%.*s", (int)val->len, (const char *)val->ptr);
}

static void mx_rows_sort_by_preference_type_address(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    n_mx_host_names = 0;
    walk(&v, region("mxwObjects"), collect_mx);
    /* x.y (shorter name) first: 10/ipv4/10.0.0.1 (mx1, not mx1b), 10/ipv4/10.0.0.9,
     * 10/ipv6/::1, 20/ipv4/10.0.0.2; then the 96-octet destination's one row. */
    assert_int_equal(n_mx_host_names, 5);
    static const char *const want[] = {"mx1.x.y", "mx1.x.y", "mx1.x.y", "mx2.x.y", "mx.b"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(mx_host_names[i], want[i]);
    static const oid idx[] = {3, 'x', '.', 'y', 10, 1, 4, 10, 0, 0, 1};
    assert_int_equal(mx_first_len, MXW_ARRAY_LEN(idx));
    assert_memory_equal(mx_first_idx, idx, sizeof idx);
    ax_view_clear(&v);
}

static void every_region_walks_each_instance_once(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    /* 6 scalars, 43 columns x 7 destinations, 12 columns x 5 MX rows. */
    assert_int_equal(walk(&v, region("mxwObjects"), NULL), 6 + 43 * 7 + 12 * 5);
    /* applTable: 8 columns of row 1. */
    assert_int_equal(walk(&v, region("applTable"), NULL), 8);
    /* mtaTable 2 columns; mtaGroupTable 8 columns x 8 destinations; no errors counted. */
    assert_int_equal(walk(&v, region("mtaMIB"), NULL), 2 + 8 * 8);
    ax_view_clear(&v);
}

static void regions_are_in_oid_order(void **state)
{
    (void)state;
    for (size_t i = 1; i < ax_n_regions; i++)
        assert_true(ax_oid_cmp(ax_regions[i - 1].root, ax_regions[i - 1].root_len,
                               ax_regions[i].root, ax_regions[i].root_len) < 0);
    for (size_t i = 0; i < ax_n_regions; i++)
        for (size_t k = 1; k < ax_regions[i].n_tables; k++) {
            const struct ax_table *a = &ax_regions[i].tables[k - 1], *b = &ax_regions[i].tables[k];
            assert_true(ax_oid_cmp(a->prefix, a->prefix_len, b->prefix, b->prefix_len) < 0);
            for (size_t c = 1; c < b->n_cols; c++)
                assert_true(b->cols[c - 1] < b->cols[c]);
        }
}

static void get_tells_object_from_instance(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    const struct ax_region *rg = region("mxwObjects");
    struct ax_value val;
    oid name[] = {MXW_MIB_DESTINATION_ENTRY, MXW_DEST_ORIGIN, 2, 'z', 'z'};
    assert_int_equal(ax_get(&v, rg, name, MXW_ARRAY_LEN(name), &val), AX_FOUND);
    assert_int_equal(val.type, ASN_INTEGER);
    assert_int_equal(val.num, 1); /* config */
    name[MXW_ARRAY_LEN(name) - 1] = 'y';
    assert_int_equal(ax_get(&v, rg, name, MXW_ARRAY_LEN(name), &val), AX_NO_SUCH_INSTANCE);
    name[DEST_ENTRY_LEN] = 99;
    assert_int_equal(ax_get(&v, rg, name, MXW_ARRAY_LEN(name), &val), AX_NO_SUCH_OBJECT);
    oid scalar[] = {MXW_MIB_AGENT, MXW_AGENT_DESTINATIONS, 0};
    assert_int_equal(ax_get(&v, rg, scalar, MXW_ARRAY_LEN(scalar), &val), AX_FOUND);
    assert_int_equal(val.type, ASN_GAUGE);
    assert_int_equal(val.num, 8);
    scalar[MXW_ARRAY_LEN(scalar) - 1] = 1;
    assert_int_equal(ax_get(&v, rg, scalar, MXW_ARRAY_LEN(scalar), &val), AX_NO_SUCH_INSTANCE);
    ax_view_clear(&v);
}

static void next_starts_before_and_ends_after(void **state)
{
    (void)state;
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    const struct ax_region *rg = region("mxwObjects");
    struct ax_value val;
    oid out[MAX_OID_LEN];
    size_t out_len;
    static const oid before[] = {1, 3, 6};
    assert_int_equal(ax_next(&v, rg, before, 3, false, out, &out_len, &val), AX_FOUND);
    static const oid first[] = {MXW_MIB_AGENT, MXW_AGENT_DESTINATIONS, 0};
    assert_int_equal(out_len, MXW_ARRAY_LEN(first));
    assert_memory_equal(out, first, sizeof first);
    /* inclusive: an existing instance is its own successor */
    assert_int_equal(ax_next(&v, rg, first, out_len, true, out, &out_len, &val), AX_FOUND);
    assert_memory_equal(out, first, sizeof first);
    static const oid after[] = {MXW_MIB_OBJECTS, 4};
    assert_int_equal(ax_next(&v, rg, after, MXW_ARRAY_LEN(after), false, out, &out_len, &val),
                     AX_END);
    /* a partial index lands on the next row: zz < {3} prefix < a.b */
    static const oid partial[] = {MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS, 3};
    assert_int_equal(ax_next(&v, rg, partial, MXW_ARRAY_LEN(partial), false, out, &out_len, &val),
                     AX_FOUND);
    static const oid ab[] = {MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS, 3, 'a', '.', 'b'};
    assert_int_equal(out_len, MXW_ARRAY_LEN(ab));
    assert_memory_equal(out, ab, sizeof ab);
    ax_view_clear(&v);
}

static void display_line_is_bounded_and_printable(void **state)
{
    (void)state;
    char in[600], out[AX_STRING_MAX + 1];
    memset(in, 'x', sizeof in);
    in[sizeof in - 1] = '\0';
    in[3] = '\t';
    in[4] = (char)0xe9;
    assert_int_equal(ax_display_line(in, out), AX_STRING_MAX);
    assert_int_equal(strlen(out), AX_STRING_MAX);
    assert_int_equal(out[3], '?');
    assert_int_equal(out[4], '?');
    assert_int_equal(ax_display_line("220 ok\r\n250 more", out), 6);
    assert_string_equal(out, "220 ok");
}

static void dest_index_bound(void **state)
{
    (void)state;
    oid idx[MXW_MIB_DEST_NAME_MAX + 2];
    assert_int_equal(ax_dest_index(bound_name, idx), MXW_MIB_DEST_NAME_MAX + 1);
    assert_int_equal(idx[0], MXW_MIB_DEST_NAME_MAX);
    assert_int_equal(ax_dest_index(long_name, idx), 0);
    assert_int_equal(ax_dest_index("", idx), 0);
}

static void error_codes_sorted_and_bounded(void **state)
{
    (void)state;
    struct mta_figures m = {0};
    assert_int_equal(store_mta_count_error(&m, 5, 1, 1, 2), 0);
    assert_int_equal(store_mta_count_error(&m, 4, 4, 1, 1), 0);
    assert_int_equal(store_mta_count_error(&m, 5, 1, 1, 3), 0);
    assert_int_equal(m.n_errors, 2);
    assert_int_equal(m.errors[0].code, 4004001);
    assert_int_equal(m.errors[1].code, 5001001);
    assert_int_equal(m.errors[1].count, 5);
    assert_int_equal(store_mta_count_error(&m, 2, 0, 0, 1), -1);
    assert_int_equal(store_mta_count_error(&m, 5, 1000, 0, 1), -1);
    for (unsigned i = 0; m.n_errors < STORE_ERROR_CODES_MAX; i++)
        assert_int_equal(store_mta_count_error(&m, 5, 7, i, 1), 0);
    assert_int_equal(store_mta_count_error(&m, 5, 9, 9, 1), -1);
    assert_int_equal(store_mta_count_error(&m, 5, 1, 1, 1), 0); /* a known code still counts */
    for (size_t i = 1; i < m.n_errors; i++)
        assert_true(m.errors[i - 1].code < m.errors[i].code);
    store_mta_clear(&m);
    assert_null(m.errors);
    assert_int_equal(m.n_errors, 0);
}

static void error_rows_follow_group_and_code(void **state)
{
    (void)state;
    struct dest *d = store_dest_find("b.io");
    struct mta_figures *m = store_dest_mta(d);
    m->present = true;
    store_mta_count_error(m, 5, 7, 1, 4);
    store_mta_count_error(m, 4, 2, 2, 1);
    store_publish();
    struct ax_view v = {0};
    ax_view_use(&v, store_snapshot_acquire());
    /* 2 + 8 x 8 group cells, one outbound-error column x 2 codes */
    assert_int_equal(walk(&v, region("mtaMIB"), NULL), 2 + 8 * 8 + 2);
    unsigned idx = store_dest_view(d)->index;
    oid name[] = {1, 3, 6, 1, 2, 1, 28, 5, 1, 3, 1, idx, 5007001};
    struct ax_value val;
    assert_int_equal(ax_get(&v, region("mtaMIB"), name, MXW_ARRAY_LEN(name), &val), AX_FOUND);
    assert_int_equal(val.type, ASN_COUNTER);
    assert_int_equal(val.num, 4);
    ax_view_clear(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dest_rows_sort_by_length_then_bytes),
        cmocka_unit_test(mx_rows_sort_by_preference_type_address),
        cmocka_unit_test(every_region_walks_each_instance_once),
        cmocka_unit_test(regions_are_in_oid_order),
        cmocka_unit_test(get_tells_object_from_instance),
        cmocka_unit_test(next_starts_before_and_ends_after),
        cmocka_unit_test(display_line_is_bounded_and_printable),
        cmocka_unit_test(dest_index_bound),
        cmocka_unit_test(error_codes_sorted_and_bounded),
        cmocka_unit_test(error_rows_follow_group_and_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
