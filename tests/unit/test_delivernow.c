/*
 * test_delivernow.c - the pure parts of the remedy: which `postqueue -j` records are
 * deferred mail to a destination (probes/pfdefer.c, with its line bound), the forgery
 * checks and request parsing of POST /api/v1/delivernow (exporters/admin.c), the job's
 * JSON, and the CLI's credentials file (agent/client.c).
 */
#include "admin.h"
#include "client.h"
#include "pfdefer.h"

#include <json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *same(const char *domain, void *arg)
{
    (void)arg;
    return domain;
}

/* The transport map of a test: sub.a.test counts under a.test. */
static const char *mapped(const char *domain, void *arg)
{
    (void)arg;
    return !strcmp(domain, "sub.a.test") ? "a.test" : domain;
}

static int match(const char *line, const char *dest, pfdefer_dest_fn *fn, char *id)
{
    return pfdefer_match(line, strlen(line), dest, fn, NULL, id, PFDEFER_ID_MAX);
}

static void test_records(void **state)
{
    (void)state;
    char id[PFDEFER_ID_MAX] = "";
    const char *deferred = "{\"queue_name\": \"deferred\", \"queue_id\": \"ABEF8A76233\", "
                           "\"arrival_time\": 1, \"recipients\": [{\"address\": \"x@b.test\"}, "
                           "{\"address\": \"U1@A.Test.\", \"delay_reason\": \"refused\"}]}";
    assert_int_equal(match(deferred, "a.test", same, id), 1);
    assert_string_equal(id, "ABEF8A76233");
    assert_int_equal(match(deferred, "c.test", same, id), 0);
    const char *active = "{\"queue_name\": \"active\", \"queue_id\": \"B1\", \"recipients\": "
                         "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(active, "a.test", same, id), 0);
    const char *hold = "{\"queue_name\": \"hold\", \"queue_id\": \"B2\", \"recipients\": "
                       "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(hold, "a.test", same, id), 0);
    const char *sub = "{\"queue_name\": \"deferred\", \"queue_id\": \"C3\", \"recipients\": "
                      "[{\"address\": \"u@sub.a.test\"}]}";
    assert_int_equal(match(sub, "a.test", same, id), 0);
    assert_int_equal(match(sub, "a.test", mapped, id), 1);
}

static void test_hostile_records(void **state)
{
    (void)state;
    char id[PFDEFER_ID_MAX];
    /* A queue id that is not letters and digits never reaches postqueue's argv. */
    const char *option = "{\"queue_name\": \"deferred\", \"queue_id\": \"-f\", \"recipients\": "
                         "[{\"address\": \"u@a.test\"}]}";
    assert_int_equal(match(option, "a.test", same, id), -1);
    const char *longid = "{\"queue_name\": \"deferred\", \"queue_id\": "
                         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"recipients\": []}";
    assert_int_equal(match(longid, "a.test", same, id), -1);
    assert_int_equal(match("not json", "a.test", same, id), -1);
    assert_int_equal(match("[1,2]", "a.test", same, id), -1);
    assert_int_equal(
        match("{\"queue_name\": \"deferred\", \"queue_id\": \"A1\"}", "a.test", same, id), -1);
    const char *odd = "{\"queue_name\": \"deferred\", \"queue_id\": \"A2\", \"recipients\": "
                      "[7, {\"address\": 5}, {\"address\": \"no-at\"}, {\"address\": \"x@\"}, "
                      "{\"address\": \"x@a b.test\"}]}";
    assert_int_equal(match(odd, "a.test", same, id), 0);
}

struct lines {
    size_t n;
    size_t lens[8];
};

static void on_line(void *arg, const char *line, size_t len)
{
    (void)line;
    struct lines *l = arg;
    if (l->n < 8)
        l->lens[l->n] = len;
    l->n++;
}

static void test_line_splitter_and_its_bound(void **state)
{
    (void)state;
    struct pfdefer_lines p = {0};
    struct lines got = {0};
    pfdefer_feed(&p, "ab", 2, on_line, &got);
    pfdefer_feed(&p, "c\nde\n\nf", 7, on_line, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.lens[0], 3);
    assert_int_equal(got.lens[1], 2);
    /* A record longer than the bound is skipped, the next one read. */
    size_t big = PFDEFER_RECORD_MAX + 10;
    char *huge = malloc(big);
    memset(huge, 'x', big);
    pfdefer_feed(&p, "\n", 1, on_line, &got); /* ends "f" */
    pfdefer_feed(&p, huge, big, on_line, &got);
    pfdefer_feed(&p, "\nlast", 5, on_line, &got);
    pfdefer_end(&p, on_line, &got);
    free(huge);
    assert_int_equal(got.n, 4);
    assert_int_equal(got.lens[2], 1);
    assert_int_equal(got.lens[3], 4);
    assert_int_equal(p.skipped, 1);
}

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

static void test_auth_file(void **state)
{
    (void)state;
    struct client_auth a;
    char err[160];
    assert_int_equal(
        client_parse_auth("# who\nusername: alice\n password : s3 cret:x \n", &a, err, sizeof err),
        0);
    assert_string_equal(a.user, "alice");
    assert_string_equal(a.password, "s3 cret:x");
    assert_int_equal(client_parse_auth("token: abc\n", &a, err, sizeof err), 0);
    assert_string_equal(a.token, "abc");
    assert_int_equal(client_parse_auth("username: alice\n", &a, err, sizeof err), -1);
    assert_int_equal(client_parse_auth("user alice\n", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(client_parse_auth("colour: blue\n", &a, err, sizeof err), -1);
    char big[CLIENT_AUTH_FILE_MAX + 10];
    memset(big, '#', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(client_parse_auth(big, &a, err, sizeof err), -1);
    char longpw[CLIENT_SECRET_MAX + 40] = "password: ";
    memset(longpw + 10, 'p', CLIENT_SECRET_MAX + 10);
    longpw[CLIENT_SECRET_MAX + 20] = '\0';
    assert_int_equal(client_parse_auth(longpw, &a, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_line_splitter_and_its_bound),
        cmocka_unit_test(test_forgery_checks),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_job_json),
        cmocka_unit_test(test_auth_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
