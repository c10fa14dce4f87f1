/*
 * test_hostport.c - the address forms of the configuration (agent/lib/hostport.c): the
 * listener's host:port, [v6]:port and :port, and a DNS server's ip, ip:port, [v6]:port or
 * bare IPv6, with their bounds.
 */
#include "hostport.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_split_address(void **state)
{
    (void)state;
    char host[64];
    unsigned port;
    assert_int_equal(hostport_split(":9725", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 9725);
    assert_int_equal(hostport_split("127.0.0.1:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(hostport_split("[::1]:9725", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(hostport_split("[::]:1", host, sizeof host, &port), 0);
    assert_string_equal(host, "::");
    assert_int_equal(hostport_split("127.0.0.1", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("[::1]9725", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("h:65536", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("h:", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("h:12x", host, sizeof host, &port), -1);
    /* A host longer than the buffer is refused, never cut to fit. */
    char longer[80];
    memset(longer, 'a', sizeof longer);
    memcpy(longer + 64, ":80", 4);
    assert_int_equal(hostport_split(longer, host, sizeof host, &port), -1);
    memcpy(longer + 60, ":80", 4);
    assert_int_equal(hostport_split(longer, host, sizeof host, &port), 0);
    assert_int_equal(strlen(host), 60);
}

static void test_ip_port(void **state)
{
    (void)state;
    char host[64];
    unsigned port;
    assert_int_equal(hostport_ip_port("127.0.0.1", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_int_equal(hostport_ip_port("127.0.0.1:5353", host, sizeof host, &port), 0);
    assert_int_equal(port, 5353);
    assert_int_equal(hostport_ip_port("[::1]:53", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(hostport_ip_port("fe80::1", host, sizeof host, &port), 0);
    assert_int_equal(port, 0);
    assert_int_equal(hostport_ip_port("bogus", host, sizeof host, &port), -1);
    assert_int_equal(hostport_ip_port("dns.example:53", host, sizeof host, &port), -1);
    assert_int_equal(hostport_ip_port("127.0.0.1:99999", host, sizeof host, &port), -1);
    assert_int_equal(hostport_ip_port("127.0.0.1:", host, sizeof host, &port), -1);
    assert_int_equal(hostport_ip_port("[::1]", host, sizeof host, &port), -1);
    assert_int_equal(hostport_ip_port("", host, sizeof host, &port), -1);
    assert_true(hostport_is_ip("10.0.0.1"));
    assert_false(hostport_is_ip("localhost"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_address),
        cmocka_unit_test(test_ip_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
