/*
 * test_web.c - the pure parser of the HTTP server (exporters/web/web.c): Accept-Encoding
 * with its q-values.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
