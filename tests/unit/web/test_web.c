/*
 * test_web.c - the pure parsers of the HTTP server (exporters/web/web.c): Accept-Encoding
 * with its q-values, and the listen address forms.
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

static void test_split_address(void **state)
{
    (void)state;
    char host[64];
    unsigned port;
    assert_int_equal(web_split_address(":9725", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 9725);
    assert_int_equal(web_split_address("127.0.0.1:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(web_split_address("[::1]:9725", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(web_split_address("[::]:1", host, sizeof host, &port), 0);
    assert_string_equal(host, "::");
    assert_int_equal(web_split_address("127.0.0.1", host, sizeof host, &port), -1);
    assert_int_equal(web_split_address("[::1]9725", host, sizeof host, &port), -1);
    assert_int_equal(web_split_address("h:65536", host, sizeof host, &port), -1);
    assert_int_equal(web_split_address("h:", host, sizeof host, &port), -1);
    assert_int_equal(web_split_address("h:12x", host, sizeof host, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
        cmocka_unit_test(test_split_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
