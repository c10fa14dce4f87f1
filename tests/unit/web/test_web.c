/*
 * test_web.c - the pure parsers of the HTTP server (exporters/web/web.c): Accept-Encoding
 * with its q-values, the Host check of web.allowed_hosts, and the client key of the
 * per-client connection limit.
 */
#include "web.h"
#include "webconn.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

/* Per-client limits count an IPv4 address, or an IPv6 /64 (what one host owns). */
static void test_client_key(void **state)
{
    (void)state;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6}, b = a, m = a;
    inet_pton(AF_INET6, "2001:db8:1:2::1", &a.sin6_addr);
    inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &b.sin6_addr);
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &m.sin6_addr);
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
    unsigned char ka[8], kb[8], km[8], k4[8];
    assert_true(webconn_client_key((struct sockaddr *)&a, ka));
    assert_true(webconn_client_key((struct sockaddr *)&b, kb));
    assert_memory_equal(ka, kb, 8);
    inet_pton(AF_INET6, "2001:db8:1:3::1", &b.sin6_addr);
    assert_true(webconn_client_key((struct sockaddr *)&b, kb));
    assert_memory_not_equal(ka, kb, 8);
    assert_true(webconn_client_key((struct sockaddr *)&m, km));
    assert_true(webconn_client_key((struct sockaddr *)&v4, k4));
    assert_memory_equal(km, k4, 8);
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_false(webconn_client_key(&un, ka));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
        cmocka_unit_test(test_host_allowed),
        cmocka_unit_test(test_client_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
