/*
 * Unit tests of dns_parse_records (probes/dns.c) on DNS answers built by hand: a TXT record
 * of several character-strings joined, NUL bytes dropped, text cut at DNS_TEXT_MAX and
 * flagged; a PTR name behind compression pointers, lower-cased; TLSA records with a digest
 * and with a whole certificate longer than DNS_TLSA_DATA_MAX; the AD bit; more records than
 * DNS_RECORDS_MAX; every truncation of a good message, strings and names that overrun their
 * record, and types the parser does not know. Also the cache keeping records by type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "dnsmsg.h"
#include "dns_cache.h"

/* A header (flags 0x8180 plus ad), one question of qtype, an answer count. */
static void begin(struct msg *m, const char *qname, unsigned qtype, unsigned an, bool ad)
{
    m->n = 0;
    put16(m, 0x1234);
    put16(m, ad ? 0x81a0 : 0x8180);
    put16(m, 1);
    put16(m, an);
    put16(m, 0);
    put16(m, 0);
    put_name(m, qname, -1);
    put16(m, qtype);
    put16(m, 1);
}

/* A record owned by the question name; its data follows, then end_rr sets its length. */
static void rr(struct msg *m, unsigned type, unsigned long ttl)
{
    put16(m, 0xc00c);
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    m->rdlen_at = m->n;
    put16(m, 0);
    m->rd_start = m->n;
}

static void end_rr(struct msg *m)
{
    size_t len = m->n - m->rd_start;
    m->b[m->rdlen_at] = (unsigned char)(len >> 8);
    m->b[m->rdlen_at + 1] = (unsigned char)(len & 0xff);
}

static void put_string(struct msg *m, const char *s, size_t len)
{
    put8(m, (unsigned)len);
    for (size_t i = 0; i < len; i++)
        put8(m, (unsigned char)s[i]);
}

static int parse(const struct msg *m, unsigned type, struct dns_records_answer *a)
{
    memset(a, 0x5a, sizeof *a);
    return dns_parse_records(m->b, (int)m->n, type, a);
}

static void txt_strings_are_joined_without_nul(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "2.0.0.127.bl.test", DNS_T_TXT, 1, false);
    rr(&m, DNS_T_TXT, 900);
    put_string(&m, "v=spf1 ip4:192.0.2.0/24 ", 24);
    put_string(&m, "", 0);
    put_string(&m, "-a\0ll", 5);
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_TXT, &a), 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.type, DNS_T_TXT);
    assert_false(a.authenticated);
    assert_int_equal(a.rec[0].ttl, 900);
    assert_false(a.rec[0].truncated);
    assert_string_equal(a.rec[0].text, "v=spf1 ip4:192.0.2.0/24 -all");
}

static void txt_longer_than_the_bound_is_cut_and_flagged(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    char s255[255];
    memset(s255, 'x', sizeof s255);
    begin(&m, "long.test", DNS_T_TXT, 2, false);
    rr(&m, DNS_T_TXT, 60);
    put_string(&m, s255, 255);
    put_string(&m, s255, 255);
    end_rr(&m); /* 510 bytes: fits with its NUL */
    rr(&m, DNS_T_TXT, 60);
    for (int i = 0; i < 3; i++)
        put_string(&m, s255, 255);
    end_rr(&m); /* 765 bytes: cut */
    assert_int_equal(parse(&m, DNS_T_TXT, &a), 0);
    assert_int_equal(a.n, 2);
    assert_false(a.rec[0].truncated);
    assert_int_equal(strlen(a.rec[0].text), 510);
    assert_true(a.rec[1].truncated);
    assert_int_equal(strlen(a.rec[1].text), DNS_TEXT_MAX - 1);
}

static void txt_string_overrunning_its_record_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "bad.test", DNS_T_TXT, 1, false);
    rr(&m, DNS_T_TXT, 60);
    put_string(&m, "abc", 3);
    end_rr(&m);
    m.b[m.rd_start] = 9;          /* the string claims 9 bytes of 3 */
    put_string(&m, "padding", 7); /* bytes of the message, but not of the record */
    assert_int_equal(parse(&m, DNS_T_TXT, &a), -1);
}

static void ptr_behind_compression_is_lower_cased(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "26.0.0.127.in-addr.arpa", DNS_T_PTR, 2, true); /* "in-addr.arpa" at 24 */
    rr(&m, DNS_T_PTR, 3600);
    put_name(&m, "CB-in-F26.1E100.Net", -1);
    end_rr(&m);
    size_t first = m.rd_start;
    rr(&m, DNS_T_PTR, 300);
    put_name(&m, "alias", (int)first + 10); /* "alias" + "1e100.net" of the first name */
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_PTR, &a), 0);
    assert_true(a.authenticated);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.rec[0].text, "cb-in-f26.1e100.net");
    assert_string_equal(a.rec[1].text, "alias.1e100.net");
    assert_int_equal(a.rec[1].ttl, 300);
}

static void ptr_name_past_its_record_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "1.0.0.127.in-addr.arpa", DNS_T_PTR, 1, false);
    rr(&m, DNS_T_PTR, 60);
    put_name(&m, "host.test", -1);
    end_rr(&m);
    m.b[m.rdlen_at + 1] = 3; /* the record says 3 bytes; the name is longer */
    assert_int_equal(parse(&m, DNS_T_PTR, &a), -1);
}

static void ptr_compression_loop_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "1.0.0.127.in-addr.arpa", DNS_T_PTR, 1, false);
    rr(&m, DNS_T_PTR, 60);
    put16(&m, 0xc000u | (unsigned)m.n);
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_PTR, &a), -1);
}

static void tlsa_digest_and_long_certificate(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "_25._tcp.mx.test", DNS_T_TLSA, 2, true);
    rr(&m, DNS_T_TLSA, 600);
    put8(&m, 3);
    put8(&m, 1);
    put8(&m, 1);
    for (unsigned i = 0; i < 32; i++)
        put8(&m, i);
    end_rr(&m);
    rr(&m, DNS_T_TLSA, 600);
    put8(&m, 3);
    put8(&m, 0);
    put8(&m, 0);
    for (unsigned i = 0; i < 900; i++) /* a whole certificate */
        put8(&m, i & 0xff);
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_TLSA, &a), 0);
    assert_true(a.authenticated);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.rec[0].usage, 3);
    assert_int_equal(a.rec[0].selector, 1);
    assert_int_equal(a.rec[0].mtype, 1);
    assert_int_equal(a.rec[0].data_len, 32);
    assert_false(a.rec[0].truncated);
    assert_int_equal(a.rec[0].data[31], 31);
    assert_int_equal(a.rec[1].mtype, 0);
    assert_true(a.rec[1].truncated);
    assert_int_equal(a.rec[1].data_len, DNS_TLSA_DATA_MAX);
}

static void tlsa_shorter_than_its_fields_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "_25._tcp.mx.test", DNS_T_TLSA, 1, false);
    rr(&m, DNS_T_TLSA, 600);
    put8(&m, 3);
    put8(&m, 1);
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_TLSA, &a), -1);
}

static void every_truncation_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "2.0.0.127.bl.test", DNS_T_TXT, 2, false);
    rr(&m, DNS_T_TXT, 60);
    put_string(&m, "listed", 6);
    end_rr(&m);
    rr(&m, DNS_T_TXT, 60);
    put_string(&m, "see https://bl.test/", 20);
    end_rr(&m);
    size_t full = m.n;
    assert_int_equal(parse(&m, DNS_T_TXT, &a), 0);
    for (size_t cut = 0; cut < full; cut++) {
        m.n = cut;
        if (parse(&m, DNS_T_TXT, &a) != -1)
            fail_msg("a message cut to %zu of %zu bytes was accepted", cut, full);
        assert_true(a.n <= 2);
    }
}

static void more_records_than_the_bound_are_dropped(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "many.test", DNS_T_TXT, 40, false);
    for (unsigned i = 0; i < 40; i++) {
        char s[8];
        int n = snprintf(s, sizeof s, "r%u", i);
        rr(&m, DNS_T_TXT, 60);
        put_string(&m, s, (size_t)n);
        end_rr(&m);
    }
    assert_int_equal(parse(&m, DNS_T_TXT, &a), 0);
    assert_int_equal(a.n, DNS_RECORDS_MAX);
    assert_string_equal(a.rec[DNS_RECORDS_MAX - 1].text, "r15");
}

static void other_types_are_skipped_and_unknown_types_refused(void **state)
{
    (void)state;
    struct msg m;
    static struct dns_records_answer a;
    begin(&m, "x.test", DNS_T_TXT, 2, false);
    rr(&m, 5, 60); /* a CNAME */
    put16(&m, 0xc00c);
    end_rr(&m);
    rr(&m, DNS_T_TXT, 60);
    put_string(&m, "ok", 2);
    end_rr(&m);
    assert_int_equal(parse(&m, DNS_T_TXT, &a), 0);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.rec[0].text, "ok");
    assert_int_equal(parse(&m, DNS_T_PTR, &a), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(parse(&m, 15, &a), -1);
    assert_int_equal(a.n, 0);
}

static void cache_keeps_records_by_type_with_the_ad_bit(void **state)
{
    (void)state;
    struct dns_cache *c = dns_cache_new(0, 86400);
    static struct dns_records_answer a, out;
    memset(&a, 0, sizeof a);
    a.rcode = DNS_OK;
    a.type = DNS_T_TLSA;
    a.authenticated = true;
    a.n = 1;
    a.rec[0] = (struct dns_record){
        .ttl = 300, .usage = 3, .selector = 1, .mtype = 1, .data_len = 2, .data = {0xab, 0xcd}};
    dns_cache_put_records(c, "_25._tcp.MX.test", &a, 300, 1000000000LL);
    assert_int_equal(dns_cache_get_records(c, "_25._tcp.mx.test", DNS_T_TXT, 1000000000LL, &out),
                     0);
    assert_int_equal(dns_cache_get_records(c, "_25._tcp.mx.test", DNS_T_TLSA, 1100000000LL, &out),
                     1);
    assert_true(out.cached);
    assert_true(out.authenticated);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.rec[0].ttl, 200);
    assert_int_equal(out.rec[0].data_len, 2);
    assert_int_equal(out.rec[0].data[1], 0xcd);
    a.rcode = DNS_NXDOMAIN;
    a.type = DNS_T_PTR;
    a.n = 0;
    dns_cache_put_records(c, "9.0.0.127.in-addr.arpa", &a, 60, 1000000000LL);
    assert_int_equal(
        dns_cache_get_records(c, "9.0.0.127.in-addr.arpa", DNS_T_PTR, 1000000000LL, &out), 1);
    assert_int_equal(out.rcode, DNS_NXDOMAIN);
    assert_int_equal(out.n, 0);
    dns_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(txt_strings_are_joined_without_nul),
        cmocka_unit_test(txt_longer_than_the_bound_is_cut_and_flagged),
        cmocka_unit_test(txt_string_overrunning_its_record_is_malformed),
        cmocka_unit_test(ptr_behind_compression_is_lower_cased),
        cmocka_unit_test(ptr_name_past_its_record_is_malformed),
        cmocka_unit_test(ptr_compression_loop_is_malformed),
        cmocka_unit_test(tlsa_digest_and_long_certificate),
        cmocka_unit_test(tlsa_shorter_than_its_fields_is_malformed),
        cmocka_unit_test(every_truncation_is_malformed),
        cmocka_unit_test(more_records_than_the_bound_are_dropped),
        cmocka_unit_test(other_types_are_skipped_and_unknown_types_refused),
        cmocka_unit_test(cache_keeps_records_by_type_with_the_ad_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
