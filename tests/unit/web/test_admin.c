/*
 * test_admin.c - the pure parts of POST /api/v1/delivernow (exporters/web/admin.c): the
 * forgery checks, the lifecycle endpoint's checks, request parsing and a job's JSON.
 */
#include "admin.h"

#include <json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_forgery_checks(void **state)
{
    (void)state;
    char why[160];
    const char *json = "application/json";
    assert_int_equal(admin_check_forgery(json, "1", NULL, NULL, "h:1", why, sizeof why), 0);
    assert_int_equal(admin_check_forgery("application/json; charset=utf-8", "1", "http://h:1",
                                         "same-origin", "h:1", why, sizeof why),
                     0);
    assert_int_equal(admin_check_forgery(json, NULL, NULL, NULL, "h:1", why, sizeof why), 403);
    assert_non_null(strstr(why, ADMIN_REQUEST_HEADER));
    assert_int_equal(admin_check_forgery(json, "", NULL, NULL, "h:1", why, sizeof why), 403);
    assert_int_equal(admin_check_forgery(json, "1", "http://evil:1", NULL, "h:1", why, sizeof why),
                     403);
    assert_int_equal(admin_check_forgery(json, "1", "null", NULL, "h:1", why, sizeof why), 403);
    assert_int_equal(admin_check_forgery(json, "1", NULL, "cross-site", "h:1", why, sizeof why),
                     403);
    assert_int_equal(admin_check_forgery(json, "1", NULL, "same-site", "h:1", why, sizeof why),
                     403);
    assert_int_equal(admin_check_forgery("text/plain", "1", NULL, NULL, "h:1", why, sizeof why),
                     415);
    assert_int_equal(
        admin_check_forgery("application/jsonp", "1", NULL, NULL, "h", why, sizeof why), 415);
    assert_int_equal(admin_check_forgery(NULL, "1", NULL, NULL, "h", why, sizeof why), 415);
}

/* The lifecycle endpoint takes a plain `curl -X POST` (no marker, no Content-Type) and
 * refuses what a page on another site can send. */
static void test_lifecycle_checks(void **state)
{
    (void)state;
    char why[160];
    assert_int_equal(admin_check_lifecycle(NULL, NULL, NULL, "h:1", why, sizeof why), 0);
    assert_int_equal(
        admin_check_lifecycle("application/json", "http://h:1", "same-origin", "h:1", why, 160), 0);
    assert_int_equal(admin_check_lifecycle(NULL, NULL, "none", "h:1", why, sizeof why), 0);
    assert_int_equal(admin_check_lifecycle(NULL, "http://evil:1", NULL, "h:1", why, 160), 403);
    assert_int_equal(admin_check_lifecycle(NULL, NULL, "cross-site", "h:1", why, 160), 403);
    assert_int_equal(admin_check_lifecycle(NULL, NULL, "same-site", "h:1", why, 160), 403);
    assert_int_equal(admin_check_lifecycle("application/x-www-form-urlencoded", NULL, NULL, "h:1",
                                           why, sizeof why),
                     415);
    assert_int_equal(admin_check_lifecycle("multipart/form-data; boundary=x", NULL, NULL, "h:1",
                                           why, sizeof why),
                     415);
    assert_int_equal(admin_check_lifecycle("TEXT/PLAIN", NULL, NULL, "h:1", why, 160), 415);
}

static int parse(const char *body, char *dest, bool *all)
{
    char err[160];
    return admin_parse_request(body, body ? strlen(body) : 0, dest, STORE_DOMAIN_MAX, all, err,
                               sizeof err);
}

static void test_request_bodies(void **state)
{
    (void)state;
    char dest[STORE_DOMAIN_MAX];
    bool all = true;
    assert_int_equal(parse("{\"destination\": \"Example.COM.\"}", dest, &all), 0);
    assert_string_equal(dest, "example.com");
    assert_false(all);
    assert_int_equal(parse("{\"all\": true}", dest, &all), 0);
    assert_true(all);
    assert_string_equal(dest, "");
    assert_int_equal(parse("{\"all\": false}", dest, &all), -1);
    assert_int_equal(parse("{\"all\": true, \"destination\": \"a.test\"}", dest, &all), -1);
    assert_int_equal(parse("{}", dest, &all), -1);
    assert_int_equal(parse("{\"destination\": \"a b\"}", dest, &all), -1);
    assert_int_equal(parse("{\"destination\": \"a.test..\"}", dest, &all), -1); /* one dot only */
    assert_int_equal(parse("{\"destination\": \"-f\"}", dest, &all), 0); /* a label, never argv */
    assert_int_equal(parse("{\"destination\": \"<x>.test\"}", dest, &all), -1);
    assert_int_equal(parse("{\"destination\": 5}", dest, &all), -1);
    assert_int_equal(parse("[]", dest, &all), -1);
    assert_int_equal(parse("{\"destination\": \"a.test\"", dest, &all), -1);
    assert_int_equal(parse(NULL, dest, &all), -1);
    char longname[400];
    memset(longname, 'a', sizeof longname);
    snprintf(longname + 300, 100, "\"}");
    char body[420] = "{\"destination\": \"";
    strncat(body, longname, sizeof body - strlen(body) - 1);
    assert_int_equal(parse(body, dest, &all), -1); /* longer than a domain name may be */
}

static void test_job_json(void **state)
{
    (void)state;
    struct delivernow_job j = {.id = 7,
                               .state = DELIVERNOW_FAILED,
                               .messages = 3,
                               .rescheduled = 2,
                               .failed = 1,
                               .requested = 1800000000.5};
    strcpy(j.destination, "a.test");
    strcpy(j.who, "al\"ice");
    strcpy(j.error, "postqueue -j exited with status 1: \"bad\"");
    struct buf b = {0};
    admin_render_job(&b, &j);
    buf_append(&b, "", 1);
    struct json_object *o = json_tokener_parse(b.p), *v;
    assert_non_null(o);
    json_object_object_get_ex(o, "state", &v);
    assert_string_equal(json_object_get_string(v), "failed");
    json_object_object_get_ex(o, "who", &v);
    assert_string_equal(json_object_get_string(v), "al\"ice");
    json_object_object_get_ex(o, "finished", &v);
    assert_null(v);
    json_object_put(o);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forgery_checks),
        cmocka_unit_test(test_lifecycle_checks),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_job_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
