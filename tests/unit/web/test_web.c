/*
 * test_web.c - the pure parsers of the HTTP server (exporters/web/web.c): Accept-Encoding
 * with its q-values, and the Host check of web.allowed_hosts.
 */
#include "web.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_accepts_gzip(void **state)
{
    (void)state;
    assert_true(web_accepts_gzip("gzip"));
    assert_true(web_accepts_gzip("gzip, deflate, br"));
    assert_true(web_accepts_gzip("deflate, GZIP;q=0.5"));
    assert_true(web_accepts_gzip("*"));
    assert_true(web_accepts_gzip("x-gzip"));
    assert_false(web_accepts_gzip(NULL));
    assert_false(web_accepts_gzip(""));
    assert_false(web_accepts_gzip("identity"));
    assert_false(web_accepts_gzip("gzip;q=0"));
    assert_false(web_accepts_gzip("gzip;q=0.0, *"));
    assert_false(web_accepts_gzip("br, gzipx"));
    assert_false(web_accepts_gzip("*;q=0"));
}

static void test_host_allowed(void **state)
{
    (void)state;
    char *loop[] = {"localhost:9725", "127.0.0.1:9725", "[::1]:9725"};
    assert_true(web_host_allowed("127.0.0.1:9725", loop, 3));
    assert_true(web_host_allowed("LocalHost:9725", loop, 3));
    assert_true(web_host_allowed("[::1]:9725", loop, 3));
    assert_true(web_host_allowed(NULL, loop, 3));
    assert_true(web_host_allowed("anything", NULL, 0));
    assert_false(web_host_allowed("evil.test:9725", loop, 3));
    assert_false(web_host_allowed("127.0.0.1", loop, 3));
    assert_false(web_host_allowed("127.0.0.1:9726", loop, 3));
    assert_false(web_host_allowed("localhost.evil.test:9725", loop, 3));
    assert_false(web_host_allowed("[::1]", loop, 3));
    assert_false(web_host_allowed("", loop, 3));
    char *named[] = {"mx.example.com", "10.0.0.5:9725", "[2001:db8::1]"};
    assert_true(web_host_allowed("mx.example.com", named, 3));
    assert_true(web_host_allowed("MX.example.com:443", named, 3));
    assert_true(web_host_allowed("10.0.0.5:9725", named, 3));
    assert_false(web_host_allowed("10.0.0.5", named, 3));
    assert_true(web_host_allowed("[2001:db8::1]:9725", named, 3));
    assert_false(web_host_allowed("[2001:db8::2]:9725", named, 3));
    assert_false(web_host_allowed("example.com", named, 3));
    char *any[] = {"*"};
    assert_true(web_host_allowed("whatever:1", any, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
        cmocka_unit_test(test_host_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
