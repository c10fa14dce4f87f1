/*
 * test_ui.c - the status page (exporters/web/ui*.c, html.c, agent/lib/fmt.c) on snapshots built
 * through the store's writer API: escaping of everything strangers write, the query's
 * bounds and defaults, sorting and filtering, paging at 10,000 destinations (with the
 * render time), the chart's bounds, and the CLI's JSON table.
 */
#include "fmt.h"
#include "html.h"
#include "snapfix.h"
#include "ui.h"

#include <json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

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

static const struct ui_ctx ctx = {.can_retry = false, .user = NULL, .now = 1800000100.0};

/* Fails when s contains a tag or handler that strangers could have written. */
static void assert_inert(const char *s)
{
    static const char *const bad[] = {"<script>alert", "<img", "<svg/", "\x01", "\x1b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(s, bad[i]))
            fail_msg("output contains '%s'", bad[i]);
}

static char *esc(const char *s, size_t n)
{
    static struct buf b;
    b.len = 0;
    html_textn(&b, s, n);
    buf_append(&b, "", 1);
    return b.p;
}

static void test_html_escaping(void **state)
{
    (void)state;
    assert_string_equal(esc("<script>\"a\" & 'b'</script>", 100),
                        "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    assert_string_equal(esc("220 ok\r\nline\tx\x01\x7f", 100), "220 ok\nline\tx\\x01\\x7f");
    assert_string_equal(esc("caf\xc3\xa9 \xff\xfe", 100), "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(esc("abc<def", 4), "abc&lt;");       /* the bound cuts the input */
    assert_string_equal(esc("ab\xc3", 3), "ab\xef\xbf\xbd"); /* a sequence cut by the bound */
    struct buf b = {0};
    html_urlenc(&b, "a.b-c_d~e/<x> \"%");
    buf_append(&b, "", 1);
    assert_string_equal(b.p, "a.b-c_d~e%2F%3Cx%3E%20%22%25");
    buf_free(&b);
}

static void test_fmt(void **state)
{
    (void)state;
    char t[FMT_COUNT_MAX], d[FMT_DURATION_MAX], w[FMT_TIME_MAX];
    assert_string_equal(fmt_count(t, sizeof t, 0), "0");
    assert_string_equal(fmt_count(t, sizeof t, 999), "999");
    assert_string_equal(fmt_count(t, sizeof t, 1234567), "1,234,567");
    assert_string_equal(fmt_count(t, sizeof t, UINT64_MAX), "18,446,744,073,709,551,615");
    assert_string_equal(fmt_duration(d, sizeof d, 0), "0s");
    assert_string_equal(fmt_duration(d, sizeof d, 59.9), "59s");
    assert_string_equal(fmt_duration(d, sizeof d, 192), "3m 12s");
    assert_string_equal(fmt_duration(d, sizeof d, 3600), "1h");
    assert_string_equal(fmt_duration(d, sizeof d, 4 * 86400 + 3 * 3600 + 5), "4d 3h");
    assert_string_equal(fmt_duration(d, sizeof d, -1), "-");
    assert_string_equal(fmt_time(w, sizeof w, 0), "never");
    assert_string_equal(fmt_time(w, sizeof w, 1800000000), "2027-01-15 08:00:00 UTC");
}

/* ---- queries ---- */

struct args {
    const char *const *kv; /* name, value, ... NULL */
};

static const char *arg(void *p, const char *name)
{
    const struct args *a = p;
    for (size_t i = 0; a->kv[i]; i += 2)
        if (!strcmp(a->kv[i], name))
            return a->kv[i + 1];
    return NULL;
}

static void test_query_defaults_and_bounds(void **state)
{
    (void)state;
    struct ui_query q;
    const char *none[] = {NULL};
    ui_query_parse(&q, arg, &(struct args){none});
    assert_int_equal(q.sort, UI_SORT_ACTIVE);
    assert_true(q.desc);
    assert_int_equal(q.status, -1);
    assert_int_equal(q.page, 1);
    assert_int_equal(q.per, UI_PER_PAGE);
    char longf[600];
    memset(longf, 'A', sizeof longf - 1);
    longf[sizeof longf - 1] = '\0';
    const char *bad[] = {"sort",   "nope",   "order", "sideways", "page", "-3", "per",
                         "999999", "status", "maybe", "q",        longf,  NULL};
    ui_query_parse(&q, arg, &(struct args){bad});
    assert_int_equal(q.sort, UI_SORT_ACTIVE);
    assert_int_equal(q.page, 1);
    assert_int_equal(q.per, UI_PER_PAGE_MAX);
    assert_int_equal(q.status, -1);
    assert_int_equal(strlen(q.filter), UI_FILTER_MAX - 1); /* the bound, lower-cased */
    assert_int_equal(q.filter[0], 'a');
    const char *good[] = {"sort", "domain", "q", "  Al ", "status", "down", "per", "25", NULL};
    ui_query_parse(&q, arg, &(struct args){good});
    assert_int_equal(q.sort, UI_SORT_DOMAIN);
    assert_false(q.desc); /* names ascend by default */
    assert_string_equal(q.filter, "al");
    assert_int_equal(q.status, DEST_DOWN);
    assert_int_equal(q.per, 25);
    for (int i = 0; i < UI_SORT__COUNT; i++)
        assert_int_equal(ui_sort_parse(ui_sort_name((enum ui_sort)i)), i);
}

static struct dest *add(const char *domain, uint64_t active, enum mx_outcome out)
{
    struct dest *d = store_dest_add(domain, ORIGIN_CONFIG);
    snapfix_probe(d, 1, 1, out);
    store_dest_mta(d)->present = true;
    store_dest_mta(d)->active = active;
    return d;
}

static void test_select_sorts_and_filters(void **state)
{
    (void)state;
    add("b.test", 5, OUT_OK);
    add("a.test", 5, OUT_REFUSED);
    add("c.test", 9, OUT_OK);
    add("alpha.test", 0, OUT_OK);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    struct ui_query q;
    const char *none[] = {NULL};
    ui_query_parse(&q, arg, &(struct args){none});
    const struct dest_view **v;
    size_t n = ui_select(s, &q, &v);
    assert_int_equal(n, 4);
    /* Largest first; ties by name. */
    assert_string_equal(v[0]->domain, "c.test");
    assert_string_equal(v[1]->domain, "a.test");
    assert_string_equal(v[2]->domain, "b.test");
    assert_string_equal(v[3]->domain, "alpha.test");
    free(v);
    const char *f[] = {"q", "A", "status", "up", NULL};
    ui_query_parse(&q, arg, &(struct args){f});
    n = ui_select(s, &q, &v);
    assert_int_equal(n, 1);
    assert_string_equal(v[0]->domain, "alpha.test");
    free(v);
    const char *st[] = {"sort", "status", NULL};
    ui_query_parse(&q, arg, &(struct args){st});
    n = ui_select(s, &q, &v);
    assert_string_equal(v[0]->domain, "a.test"); /* down first */
    free(v);
    store_snapshot_release(s);
}

/* ---- pages ---- */

#define HOSTILE_DOMAIN "<script>alert(1)</script>\".evil"
#define HOSTILE_BANNER "220 <img src=x onerror=alert(2)> \x1b[31m\x01 caf\xc3\xa9 \xff"

static char *render_list(const struct snapshot *s, const char *const *kv, struct ui_ctx c)
{
    struct ui_query q;
    ui_query_parse(&q, arg, &(struct args){kv});
    struct buf b = {0};
    ui_render_list(s, &q, &c, &b);
    buf_append(&b, "", 1);
    return b.p;
}

static void test_pages_escape_strangers_text(void **state)
{
    (void)state;
    struct dest *d = store_dest_add(HOSTILE_DOMAIN, ORIGIN_DISCOVERED);
    snapfix_probe(d, 1, 1, OUT_OK);
    struct mx_host *h = (struct mx_host *)store_dest_view(d)->hosts;
    store_host_set_name(&h[0], "<svg/onload=alert(3)>.mx");
    snapfix_text(&h[0].addrs[0], HOSTILE_BANNER, "250-<script>alert(4)</script>\n250 OK");
    store_dest_set_transcript(d, snapfix_transcript("S: " HOSTILE_BANNER "\nC: EHLO x\n"));
    mxw_strlcpy(store_dest_mta(d)->last_failure, "<script>alert(5)</script>",
                sizeof store_dest_mta(d)->last_failure);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    const char *q[] = {"q", "<SCRIPT>", NULL}; /* matches, lower-cased */
    char *list = render_list(s, q, ctx);
    assert_inert(list);
    assert_non_null(strstr(list, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;.evil"));
    assert_non_null(strstr(list, "value=\"&lt;script&gt;\""));
    /* The link to the detail page is percent-encoded. */
    assert_non_null(strstr(list, "/destinations/%3Cscript%3Ealert%281%29"));
    free(list);
    struct buf b = {0};
    struct ui_ctx c = ctx;
    c.can_retry = true;
    c.user = "<b>eve</b>";
    ui_render_destination(s, store_snapshot_dest(s, 0), &c, &b);
    buf_append(&b, "", 1);
    assert_inert(b.p);
    assert_non_null(strstr(b.p, "220 &lt;img src=x onerror=alert(2)&gt; \\x1b[31m\\x01 caf"));
    assert_non_null(strstr(b.p, "&lt;svg/onload=alert(3)&gt;.mx"));
    assert_non_null(strstr(b.p, "250-&lt;script&gt;alert(4)"));
    assert_non_null(strstr(b.p, "&lt;script&gt;alert(5)"));
    assert_non_null(strstr(b.p, "data-retry=\"&lt;script&gt;"));
    assert_non_null(strstr(b.p, "&lt;b&gt;eve&lt;/b&gt;"));
    buf_free(&b);
    store_snapshot_release(s);
}

static void test_retry_buttons_only_for_admins(void **state)
{
    (void)state;
    add("a.test", 1, OUT_OK);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    const char *none[] = {NULL};
    char *list = render_list(s, none, ctx);
    assert_null(strstr(list, "data-retry"));
    free(list);
    struct ui_ctx admin = ctx;
    admin.can_retry = true;
    list = render_list(s, none, admin);
    assert_non_null(strstr(list, "data-retry-all"));
    free(list);
    store_snapshot_release(s);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* 10,000 destinations: one page of rows, the pager, and the cost of a render. */
static void test_ten_thousand_destinations_are_paged(void **state)
{
    (void)state;
    for (int i = 0; i < 10000; i++) {
        char name[64];
        snprintf(name, sizeof name, "d%05d.test", i);
        struct dest *d = store_dest_add(name, ORIGIN_CONFIG);
        snapfix_probe(d, 2, 2, i % 7 ? OUT_OK : OUT_REFUSED);
        snapfix_mta(d, (uint64_t)(i * 37 % 1000));
    }
    snapfix_source("postfix_queue", true);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    const char *p3[] = {"page", "3", NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *list = render_list(s, p3, ctx);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("# list page 3 of 10,000 destinations: %zu bytes in %.2f ms\n", strlen(list), ms);
    assert_int_equal(count_of(list, "<tr class=\"row-"), UI_PER_PAGE);
    assert_non_null(strstr(list, "Showing 201\xe2\x80\x93"
                                 "300 of 10,000"));
    assert_non_null(strstr(list, "Page 3 of 100"));
    assert_true(strlen(list) < 200 * 1024);
    free(list);
    const char *beyond[] = {"page", "999", NULL};
    list = render_list(s, beyond, ctx);
    assert_non_null(strstr(list, "Page 100 of 100")); /* a page past the end shows the last */
    free(list);
    store_snapshot_release(s);
}

static void test_chart_is_bounded_svg(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("flap.test", ORIGIN_CONFIG);
    for (int i = 0; i < STORE_HISTORY_MAX + 50; i++) {
        store_dest_mta(d)->active = (uint64_t)(i * 13 % 700);
        snapfix_probe(d, 1, 1, (i / 3) % 2 ? OUT_OK : OUT_REFUSED);
    }
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    const struct dest_view *v = store_snapshot_dest(s, 0);
    assert_int_equal(v->history->n, STORE_HISTORY_MAX);
    struct buf b = {0};
    ui_render_chart(v, v->history->s[STORE_HISTORY_MAX - 1].t + 1, &b);
    buf_append(&b, "", 1);
    assert_non_null(strstr(b.p, "<svg class=\"chart\""));
    assert_non_null(strstr(b.p, "<span>1,000</span>")); /* the axis: peak 699, rounded up */
    assert_true(count_of(b.p, "<rect ") >= 2 && count_of(b.p, "<rect ") <= STORE_HISTORY_MAX);
    assert_non_null(strstr(b.p, "class=\"c-down\""));
    assert_null(strstr(b.p, "style="));
    assert_null(strstr(b.p, "<script"));
    assert_true(b.len < 64 * 1024);
    buf_free(&b);
    struct dest_view empty = {0};
    ui_render_chart(&empty, 1, &b);
    buf_append(&b, "", 1);
    assert_non_null(strstr(b.p, "No history yet"));
    buf_free(&b);
    store_snapshot_release(s);
}

static void test_tophosts_json(void **state)
{
    (void)state;
    add("a.test", 3, OUT_OK);
    struct dest *d = add("\"q\\.test", 7, OUT_REFUSED);
    store_dest_mta(d)->hard_dns = 2;
    store_dest_mta(d)->hard_other = 1;
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    struct ui_query q;
    const char *kv[] = {"per", "1", NULL};
    ui_query_parse(&q, arg, &(struct args){kv});
    struct buf b = {0};
    ui_render_tophosts(s, &q, &b);
    buf_append(&b, "", 1);
    struct json_object *doc = json_tokener_parse(b.p);
    assert_non_null(doc);
    struct json_object *rows, *r, *v;
    assert_true(json_object_object_get_ex(doc, "destinations", &rows));
    assert_int_equal(json_object_array_length(rows), 1);
    r = json_object_array_get_idx(rows, 0);
    json_object_object_get_ex(r, "domain", &v);
    assert_string_equal(json_object_get_string(v), "\"q\\.test");
    json_object_object_get_ex(r, "hard_bounced", &v);
    assert_int_equal(json_object_get_int(v), 3);
    json_object_object_get_ex(doc, "matched", &v);
    assert_int_equal(json_object_get_int(v), 2);
    json_object_put(doc);
    buf_free(&b);
    store_snapshot_release(s);
}

/* The vendor CLI's sort keys: active_rcpts and deliv_rcpts are active and delivered;
 * latency sorts by the mean delay of final deliveries, oldest by the oldest message. */
static void test_tophosts_vendor_sort_keys(void **state)
{
    (void)state;
    assert_int_equal(ui_sort_parse("active_rcpts"), UI_SORT_ACTIVE);
    assert_int_equal(ui_sort_parse("deliv_rcpts"), UI_SORT_DELIVERED);
    assert_int_equal(ui_sort_parse("latency"), UI_SORT_LATENCY);
    assert_int_equal(ui_sort_parse("oldest"), UI_SORT_OLDEST);
    assert_int_equal(ui_sort_parse("latency_rcpts"), -1);
    static const double le[] = {60};
    struct dest *slow = add("slow.test", 1, OUT_OK), *fast = add("fast.test", 9, OUT_OK);
    store_mta_observe_delay(store_dest_mta(slow), le, 1, 300);
    store_mta_observe_delay(store_dest_mta(slow), le, 1, 100);
    store_mta_observe_delay(store_dest_mta(fast), le, 1, 2);
    store_dest_mta(fast)->oldest_age_s = 7200;
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    struct ui_query q;
    const char *by_latency[] = {"sort", "latency", NULL}, *by_oldest[] = {"sort", "oldest", NULL};
    const struct dest_view **v = NULL;
    ui_query_parse(&q, arg, &(struct args){by_latency});
    assert_int_equal(ui_select(s, &q, &v), 2);
    assert_string_equal(v[0]->domain, "slow.test"); /* 200 s mean, largest first */
    assert_true(ui_mean_delay(&v[0]->mta) == 200);
    free(v);
    ui_query_parse(&q, arg, &(struct args){by_oldest});
    assert_int_equal(ui_select(s, &q, &v), 2);
    assert_string_equal(v[0]->domain, "fast.test");
    free(v);
    store_snapshot_release(s);
}

static void test_assets_are_compiled_in(void **state)
{
    (void)state;
    const struct ui_asset *js = ui_asset_find("app.js"), *css = ui_asset_find("style.css");
    assert_non_null(js);
    assert_non_null(css);
    assert_non_null(ui_asset_find("favicon.svg"));
    assert_null(ui_asset_find("../ui.c"));
    assert_true(js->len > 1000 && css->len > 1000);
    assert_int_equal(strlen(ui_asset_version(js)), 16);
    assert_string_not_equal(ui_asset_version(js), ui_asset_version(css));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_query_defaults_and_bounds),
        cmocka_unit_test_setup_teardown(test_select_sorts_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_escape_strangers_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_buttons_only_for_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ten_thousand_destinations_are_paged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chart_is_bounded_svg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tophosts_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tophosts_vendor_sort_keys, setup, teardown),
        cmocka_unit_test(test_assets_are_compiled_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
