/*
 * test_dns_cache.c - the DNS answer cache (probes/dns_cache.c) and the negative-caching TTL
 * reader (dns_negative_ttl in probes/dns.c): TTLs clamped and aged, expiry, temporary
 * failures never kept, names case-insensitive, the three record kinds apart, and the SOA
 * rule of RFC 2308 on crafted messages, malformed ones included.
 */
#include "dns.h"
#include "dns_cache.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define S 1000000LL /* a second in microseconds */

static struct dns_mx_answer mx_answer(unsigned ttl1, unsigned ttl2)
{
    struct dns_mx_answer a = {.rcode = DNS_OK, .n = 2};
    a.mx[0] = (struct dns_mx){10, ttl1, "mx1.a.test"};
    a.mx[1] = (struct dns_mx){20, ttl2, "mx2.a.test"};
    return a;
}

static void positive_answers_age_and_expire(void **state)
{
    (void)state;
    struct dns_cache *c = dns_cache_new(0, 86400);
    struct dns_mx_answer a = mx_answer(300, 600), out;
    dns_cache_put_mx(c, "A.Test", &a, 300, 1000 * S);
    assert_int_equal(dns_cache_get_mx(c, "a.test", 1100 * S, &out), 1);
    assert_true(out.cached);
    assert_int_equal((int)out.age_s, 100);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.mx[1].host, "mx2.a.test");
    assert_int_equal(out.mx[0].ttl, 200);
    assert_int_equal(out.mx[1].ttl, 500);
    assert_int_equal(dns_cache_get_mx(c, "a.test", 1300 * S, &out), 0); /* expired */
    assert_int_equal(dns_cache_count(c), 0);
    dns_cache_free(c);
}

static void clamps_failures_and_kinds(void **state)
{
    (void)state;
    struct dns_cache *c = dns_cache_new(60, 120);
    struct dns_mx_answer a = mx_answer(5, 5), out;
    dns_cache_put_mx(c, "short.test", &a, 5, 0); /* raised to 60 */
    assert_int_equal(dns_cache_get_mx(c, "short.test", 59 * S, &out), 1);
    dns_cache_put_mx(c, "long.test", &a, 86400, 0); /* lowered to 120 */
    assert_int_equal(dns_cache_get_mx(c, "long.test", 121 * S, &out), 0);
    struct dns_mx_answer fail = {.rcode = DNS_TEMPORARY};
    dns_cache_put_mx(c, "fail.test", &fail, 300, 0);
    assert_int_equal(dns_cache_get_mx(c, "fail.test", 1 * S, &out), 0);
    struct dns_addr_answer v4 = {.rcode = DNS_OK, .n = 1}, got;
    v4.addrs[0] = (struct dns_addr){.family = AF_INET, .addr = {192, 0, 2, 1}, .ttl = 90};
    dns_cache_put_addr(c, "mx.test", AF_INET, &v4, 90, 0);
    assert_int_equal(dns_cache_get_addr(c, "mx.test", AF_INET6, 1 * S, &got), 0);
    assert_int_equal(dns_cache_get_mx(c, "mx.test", 1 * S, &out), 0);
    assert_int_equal(dns_cache_get_addr(c, "mx.test", AF_INET, 30 * S, &got), 1);
    assert_int_equal(got.addrs[0].ttl, 60);
    assert_memory_equal(got.addrs[0].addr, v4.addrs[0].addr, 4);
    struct dns_addr_answer nx = {.rcode = DNS_NXDOMAIN};
    dns_cache_put_addr(c, "gone.test", AF_INET6, &nx, 300, 0);
    assert_int_equal(dns_cache_get_addr(c, "gone.test", AF_INET6, 100 * S, &got), 1);
    assert_int_equal(got.rcode, DNS_NXDOMAIN);
    assert_int_equal(got.n, 0);
    dns_cache_free(c);
    c = dns_cache_new(0, 300);
    dns_cache_put_mx(c, "zero.test", &a, 0, 0); /* a TTL of 0: not kept */
    assert_int_equal(dns_cache_count(c), 0);
    dns_cache_free(c);
}

/* Expired entries go without a sweep of the whole table: each lookup looks at a few more
 * slots, so asking for one name again and again empties a table of 1,000 expired ones. */
static void expired_entries_go_with_lookups(void **state)
{
    (void)state;
    struct dns_cache *c = dns_cache_new(0, 3600);
    struct dns_addr_answer v4 = {.rcode = DNS_OK, .n = 1}, got;
    v4.addrs[0] = (struct dns_addr){.family = AF_INET, .addr = {192, 0, 2, 1}, .ttl = 60};
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "mx%d.test", i);
        dns_cache_put_addr(c, name, AF_INET, &v4, 60, 0);
    }
    dns_cache_put_addr(c, "fresh.test", AF_INET, &v4, 3600, 0);
    assert_int_equal(dns_cache_count(c), 1001);
    size_t lookups = 0;
    while (dns_cache_count(c) > 1 && lookups < 4096) {
        assert_int_equal(dns_cache_get_addr(c, "fresh.test", AF_INET, 61 * S, &got), 1);
        lookups++;
    }
    assert_int_equal(dns_cache_count(c), 1);
    /* A table of 2,048 slots at DNS_CACHE_SWEEP_SLOTS a lookup: one pass, plus a few for the
     * entries a removal moved behind the cursor. */
    assert_true(lookups <= 2048 / DNS_CACHE_SWEEP_SLOTS + 16);
    dns_cache_free(c);
}

/* A message: header, question "x.test IN MX", no answer, one authority record. */
static size_t negative(unsigned char *m, unsigned type, unsigned ttl, unsigned minimum, bool cut)
{
    static const unsigned char head[] = {0, 1,   0x81, 0x83, 0,   1,   0,   0, 0, 1,  0, 0,
                                         1, 'x', 4,    't',  'e', 's', 't', 0, 0, 15, 0, 1};
    size_t n = sizeof head;
    memcpy(m, head, n);
    unsigned char rr[] = {
        0xc0, 14, (unsigned char)(type >> 8), (unsigned char)type, 0, 1, (unsigned char)(ttl >> 24),
        (unsigned char)(ttl >> 16), (unsigned char)(ttl >> 8), (unsigned char)ttl, 0, 29,
        /* mname ns.test (pointer to test), rname a.test */
        2, 'n', 's', 0xc0, 14, 1, 'a', 0xc0, 14,
        /* serial refresh retry expire minimum */
        0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128, (unsigned char)(minimum >> 24),
        (unsigned char)(minimum >> 16), (unsigned char)(minimum >> 8), (unsigned char)minimum};
    memcpy(m + n, rr, sizeof rr);
    return n + sizeof rr - (cut ? 3 : 0);
}

static void negative_ttl_is_the_soa_rule(void **state)
{
    (void)state;
    unsigned char m[128];
    unsigned ttl = 0;
    size_t n = negative(m, 6, 3600, 300, false);
    assert_int_equal(dns_negative_ttl(m, (int)n, &ttl), 0);
    assert_int_equal(ttl, 300); /* the smaller of the record's TTL and MINIMUM */
    n = negative(m, 6, 60, 300, false);
    assert_int_equal(dns_negative_ttl(m, (int)n, &ttl), 0);
    assert_int_equal(ttl, 60);
    n = negative(m, 2, 60, 300, false); /* an NS, not an SOA: not to be cached */
    assert_int_equal(dns_negative_ttl(m, (int)n, &ttl), -1);
    n = negative(m, 6, 60, 300, true); /* cut short */
    assert_int_equal(dns_negative_ttl(m, (int)n, &ttl), -1);
    assert_int_equal(dns_negative_ttl(m, 5, &ttl), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(positive_answers_age_and_expire),
        cmocka_unit_test(clamps_failures_and_kinds),
        cmocka_unit_test(expired_entries_go_with_lookups),
        cmocka_unit_test(negative_ttl_is_the_soa_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
