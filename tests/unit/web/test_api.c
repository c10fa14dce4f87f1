/*
 * test_api.c - the JSON API and the debug view (exporters/web/api.c) on snapshots built
 * through the store's writer API: the documents parse (json-c in strict UTF-8 mode, and
 * python3 -m json.tool as an independent parser), hostile names, banners, EHLO replies and
 * transcripts round-trip escaped, and unknown destinations are a 404.
 */
#include "api.h"
#include "routes.h"
#include "snapfix.h"

#include <json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#define HOSTILE_DOMAIN "ev\"il\\dom\nain"
#define HOSTILE_MX     "mx\"1\\x\ny.test"
#define HOSTILE_BANNER "220 \x1b[31mred\x01 \"q\" \\ caf\xc3\xa9 \xff end"

static void build(void)
{
    snapfix_source("postfix_queue", false);
    struct dest *up = store_dest_add("up.test", ORIGIN_CONFIG);
    snapfix_probe(up, 2, 1, OUT_OK);
    snapfix_mta(up, 7);
    struct mta_figures *m = store_dest_mta(up);
    store_mta_count_error(m, 5, 1, 1, 2);
    store_mta_count_error(m, 4, 7, 0, 3);
    struct dest *d = store_dest_add(HOSTILE_DOMAIN, ORIGIN_DISCOVERED);
    struct mx_host *h = calloc(1, sizeof *h);
    snapfix_host(h, HOSTILE_MX, 5, 1, OUT_OK);
    snapfix_text(&h->addrs[0], HOSTILE_BANNER, "250-a\"b\n250-\xfe\n250 STARTTLS");
    /* A TLS version filling its whole field, no terminator: read within the bound. */
    memset(h->addrs[0].tls_version, 'V', sizeof h->addrs[0].tls_version);
    enum dest_status o, n;
    store_dest_set_probe(d, h, 1, 0.002, 60, REASON_OK, OUT_OK, 1, &o, &n);
    store_dest_set_transcript(d,
                              snapfix_transcript("S: 220 hi\r\nC: EHLO \"x\"\r\nS: \x07\xff\r\n"));
    store_dest_add("never.test", ORIGIN_CONFIG);
    store_publish();
}

static json_object *parse_strict(const char *text)
{
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    if (!o)
        fail_msg("json-c: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
    json_tokener_free(tok);
    return o;
}

static void python_parses(const char *text)
{
    char path[] = "/tmp/mxw-json-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "python3 -m json.tool < %s > /dev/null 2>&1", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no key '%s'", key);
    return v;
}

static json_object *find_dest(json_object *list, const char *domain)
{
    json_object *arr = get(list, "destinations");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *d = json_object_array_get_idx(arr, i);
        if (!strcmp(json_object_get_string(get(d, "domain")), domain))
            return d;
    }
    fail_msg("destination %s not in the list", domain);
    return NULL;
}

static void test_list_parses_and_round_trips_hostile_strings(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    struct buf b = {0};
    api_render_list(s, &b);
    python_parses(b.p);
    json_object *o = parse_strict(b.p);
    assert_int_equal(json_object_array_length(get(o, "destinations")), 3);
    json_object *d = find_dest(o, HOSTILE_DOMAIN);
    assert_string_equal(json_object_get_string(get(d, "origin")), "discovered");
    json_object *mx = json_object_array_get_idx(get(d, "mx"), 0);
    assert_string_equal(json_object_get_string(get(mx, "name")), HOSTILE_MX);
    json_object *a = json_object_array_get_idx(get(mx, "addresses"), 0);
    assert_string_equal(json_object_get_string(get(a, "banner")),
                        "220 \x1b[31mred\x01 \"q\" \\ caf\xc3\xa9 \xef\xbf\xbd end");
    json_object *ehlo = get(a, "ehlo");
    assert_int_equal(json_object_array_length(ehlo), 3);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(ehlo, 0)), "250-a\"b");
    assert_string_equal(json_object_get_string(get(a, "tls_version")),
                        "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV");
    /* The list leaves out transcripts and history; the single document has them. */
    assert_false(json_object_object_get_ex(d, "transcript", NULL));
    json_object_put(o);
    buf_free(&b);
    store_snapshot_release(s);
}

static void test_list_figures(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    struct buf b = {0};
    api_render_list(s, &b);
    json_object *o = parse_strict(b.p);
    json_object *up = find_dest(o, "up.test");
    assert_string_equal(json_object_get_string(get(up, "status")), "up");
    assert_int_equal(json_object_get_int(get(get(up, "probes"), "ok")), 1);
    assert_int_equal(json_object_get_int(get(get(up, "mta"), "active")), 8);
    assert_int_equal(json_object_get_int(get(get(get(up, "mta"), "hard_bounced"), "5xx")), 18);
    json_object *errors = get(get(up, "mta"), "errors");
    assert_int_equal(json_object_array_length(errors), 2);
    json_object *e1 = json_object_array_get_idx(errors, 1);
    assert_string_equal(json_object_get_string(get(e1, "code")), "5.1.1");
    assert_int_equal(json_object_get_int(get(e1, "count")), 2);
    json_object *never = find_dest(o, "never.test");
    assert_string_equal(json_object_get_string(get(never, "status")), "unknown");
    assert_true(json_object_is_type(get(never, "last_probe"), json_type_null));
    assert_true(json_object_is_type(get(never, "dns_ttl_seconds"), json_type_null));
    /* A source is configured but has not reported it: zeros, flagged as not reported. */
    assert_false(json_object_get_boolean(get(get(never, "mta"), "reported")));
    json_object *src = json_object_array_get_idx(get(get(o, "agent"), "sources"), 0);
    assert_string_equal(json_object_get_string(get(src, "name")), "postfix_queue");
    assert_false(json_object_get_boolean(get(src, "up")));
    json_object_put(o);
    buf_free(&b);
    store_snapshot_release(s);
}

static void test_single_document_has_transcript_and_history(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    const struct dest_view *d = api_find(s, HOSTILE_DOMAIN);
    assert_non_null(d);
    struct buf b = {0};
    api_render_destination(s, d, &b);
    python_parses(b.p);
    json_object *o = parse_strict(b.p);
    assert_string_equal(json_object_get_string(get(o, "transcript")),
                        "S: 220 hi\r\nC: EHLO \"x\"\r\nS: \x07\xef\xbf\xbd\r\n");
    assert_int_equal(json_object_array_length(get(o, "history")), 1);
    json_object_put(o);
    buf_free(&b);
    store_snapshot_release(s);
}

static void test_find_is_case_insensitive_and_bounded(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    assert_non_null(api_find(s, "UP.Test."));
    assert_null(api_find(s, "up.test.."));
    assert_null(api_find(s, ""));
    char longname[STORE_DOMAIN_MAX + 10];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(api_find(s, longname));
    store_snapshot_release(s);
}

static void test_handlers_answer_404_for_unknown_destinations(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    struct http_request rq = {.method = "GET", .path = API_DEST_PREFIX "nope.test"};
    struct http_response rs = {.status = 200};
    api_handle_destination(&rq, s, &rs);
    assert_int_equal(rs.status, 404);
    json_object_put(parse_strict(rs.body.p));
    buf_free(&rs.body);
    rs = (struct http_response){.status = 200};
    rq.path = API_DEBUG_PREFIX "nope.test";
    api_handle_debug(&rq, s, &rs);
    assert_int_equal(rs.status, 404);
    buf_free(&rs.body);
    rs = (struct http_response){.status = 200};
    rq.path = API_DEST_PREFIX "Up.Test";
    api_handle_destination(&rq, s, &rs);
    assert_int_equal(rs.status, 200);
    assert_string_equal(rs.content_type, "application/json");
    json_object_put(parse_strict(rs.body.p));
    buf_free(&rs.body);
    store_snapshot_release(s);
}

static void test_debug_view_shows_banners_and_conversation(void **state)
{
    (void)state;
    build();
    const struct snapshot *s = store_snapshot_acquire();
    struct buf b = {0};
    api_render_debug(api_find(s, HOSTILE_DOMAIN), &b);
    assert_non_null(strstr(b.p, "# destination ev\"il\\dom\nain: up (ok)"));
    assert_non_null(strstr(b.p, "banner: 220 \\x1b[31mred\\x01 \"q\" \\ caf\xc3\xa9 \\xff end"));
    assert_non_null(strstr(b.p, "S: 220 hi\nC: EHLO \"x\"\nS: \\x07\\xff\n"));
    buf_free(&b);
    api_render_debug(api_find(s, "never.test"), &b);
    assert_non_null(strstr(b.p, "(none recorded yet)"));
    buf_free(&b);
    store_snapshot_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_parses_and_round_trips_hostile_strings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_figures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_document_has_transcript_and_history, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_find_is_case_insensitive_and_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handlers_answer_404_for_unknown_destinations, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_debug_view_shows_banners_and_conversation, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
