/*
 * Unit tests of dns_parse_mx (probes/dns.c) on DNS answers built by hand: plain and
 * compressed names, every truncation of a good answer, compression loops, more records
 * than DNS_MX_MAX, the null MX, records of other types and classes, hostile label bytes,
 * and a header that promises more than the message holds.
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

static void header(struct msg *m, unsigned qd, unsigned an)
{
    m->n = 0;
    put16(m, 0x1234);
    put16(m, 0x8180); /* response, recursion desired and available, NOERROR */
    put16(m, qd);
    put16(m, an);
    put16(m, 0);
    put16(m, 0);
}

static void question(struct msg *m, const char *name)
{
    put_name(m, name, -1);
    put16(m, 15);
    put16(m, 1);
}

/* An MX record whose owner is a pointer to the question name (offset 12). */
static void mx_record(struct msg *m, unsigned pref, unsigned long ttl, const char *host, int ptr)
{
    put16(m, 0xc00c);
    put16(m, 15);
    put16(m, 1);
    put32(m, ttl);
    size_t rdlen_at = m->n;
    put16(m, 0);
    size_t start = m->n;
    put16(m, pref);
    put_name(m, host, ptr);
    size_t rdlen = m->n - start;
    m->b[rdlen_at] = (unsigned char)(rdlen >> 8);
    m->b[rdlen_at + 1] = (unsigned char)(rdlen & 0xff);
}

static int parse(const struct msg *m, struct dns_mx_answer *a)
{
    memset(a, 0x5a, sizeof *a);
    return dns_parse_mx(m->b, (int)m->n, a);
}

static void one_plain_record_lower_cased(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    mx_record(&m, 10, 3600, "MX1.Example.COM", -1);
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.mx[0].preference, 10);
    assert_int_equal(a.mx[0].ttl, 3600);
    assert_string_equal(a.mx[0].host, "mx1.example.com");
}

static void compression_pointers_followed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 2);
    question(&m, "example.com"); /* "example.com" at 12, "com" at 20 */
    mx_record(&m, 20, 60, "mx2", 12);
    mx_record(&m, 5, 70, "mx1.other", 20);
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.mx[0].host, "mx2.example.com");
    assert_int_equal(a.mx[0].preference, 20);
    assert_string_equal(a.mx[1].host, "mx1.other.com");
    assert_int_equal(a.mx[1].ttl, 70);
}

static void every_truncation_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 2);
    question(&m, "example.com");
    mx_record(&m, 10, 300, "mx1", 12);
    mx_record(&m, 20, 300, "mx2.example.net", -1);
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 2);
    size_t full = m.n;
    for (size_t cut = 0; cut < full; cut++) {
        m.n = cut;
        if (parse(&m, &a) != -1)
            fail_msg("a message cut to %zu of %zu bytes was accepted", cut, full);
        assert_true(a.n <= 2);
    }
}

static void rdlength_beyond_the_message_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    size_t rec = m.n;
    mx_record(&m, 10, 300, "mx", 12);
    assert_int_equal(m.b[rec + 11], 7);
    m.b[rec + 10] = 0x40; /* rdlength 0x4007: far past the end */
    assert_int_equal(parse(&m, &a), -1);
}

static void rdlength_too_short_for_an_mx_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    put16(&m, 0xc00c);
    put16(&m, 15);
    put16(&m, 1);
    put32(&m, 300);
    put16(&m, 2); /* a preference and no name */
    put16(&m, 10);
    assert_int_equal(parse(&m, &a), -1);
}

static void compression_loop_to_itself_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    put16(&m, 0xc00c);
    put16(&m, 15);
    put16(&m, 1);
    put32(&m, 300);
    put16(&m, 4);
    put16(&m, 10);
    size_t self = m.n;
    put16(&m, 0xc000u | (unsigned)self); /* the exchange points at itself */
    assert_int_equal(parse(&m, &a), -1);
}

static void compression_loop_between_two_names_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    put16(&m, 0xc00c);
    put16(&m, 15);
    put16(&m, 1);
    put32(&m, 300);
    size_t rd = m.n;
    put16(&m, 0);
    put16(&m, 10);
    size_t a_at = m.n; /* "x" then a pointer to b; b is "y" then a pointer to a */
    put8(&m, 1);
    put8(&m, 'x');
    size_t a_ptr = m.n;
    put16(&m, 0);
    size_t b_at = m.n;
    put8(&m, 1);
    put8(&m, 'y');
    put16(&m, 0xc000u | (unsigned)a_at);
    m.b[a_ptr] = (unsigned char)(0xc0 | b_at >> 8);
    m.b[a_ptr + 1] = (unsigned char)(b_at & 0xff);
    size_t rdlen = m.n - rd - 2;
    m.b[rd] = (unsigned char)(rdlen >> 8);
    m.b[rd + 1] = (unsigned char)(rdlen & 0xff);
    assert_int_equal(parse(&m, &a), -1);
}

static void pointer_past_the_end_is_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    mx_record(&m, 10, 300, "mx", 0x3fff);
    assert_int_equal(parse(&m, &a), -1);
}

static void more_records_than_the_bound_are_dropped(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 100);
    question(&m, "example.com");
    for (unsigned i = 0; i < 100; i++) {
        char host[16];
        snprintf(host, sizeof host, "mx%u", i);
        mx_record(&m, i, 300, host, 12);
    }
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, DNS_MX_MAX);
    assert_string_equal(a.mx[DNS_MX_MAX - 1].host, "mx63.example.com");
    assert_int_equal(a.mx[DNS_MX_MAX - 1].preference, DNS_MX_MAX - 1);
}

static void null_mx_has_an_empty_host(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    mx_record(&m, 0, 3600, "", -1); /* exchange "." is the root label alone */
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.mx[0].preference, 0);
    assert_string_equal(a.mx[0].host, "");
}

static void other_types_and_classes_are_skipped(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 3);
    question(&m, "example.com");
    put16(&m, 0xc00c); /* CNAME */
    put16(&m, 5);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 2);
    put16(&m, 0xc00c);
    put16(&m, 0xc00c); /* MX in class CH */
    put16(&m, 15);
    put16(&m, 3);
    put32(&m, 60);
    put16(&m, 4);
    put16(&m, 1);
    put16(&m, 0xc00c);
    mx_record(&m, 7, 60, "mail", 12);
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.mx[0].host, "mail.example.com");
}

static void hostile_label_bytes_come_out_printable(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 1);
    question(&m, "example.com");
    mx_record(&m, 10, 300, "a\x01\x1b[2Jb\x7f.evil", -1);
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 1);
    for (const char *p = a.mx[0].host; *p; p++)
        assert_true(isprint((unsigned char)*p));
    assert_non_null(strstr(a.mx[0].host, ".evil"));
}

static void longest_name_fits(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    char name[300], label[64];
    memset(label, 'a', 63);
    label[63] = '\0';
    snprintf(name, sizeof name, "%s.%s.%s.%.61s", label, label, label, label);
    header(&m, 1, 1);
    question(&m, "example.com");
    mx_record(&m, 10, 300, name, -1); /* 255 bytes encoded: the DNS maximum */
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(strlen(a.mx[0].host), 253);
}

static void short_or_lying_headers_are_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_mx_answer a;
    header(&m, 1, 0);
    m.n = 11;
    assert_int_equal(parse(&m, &a), -1);
    assert_int_equal(a.n, 0);
    header(&m, 0xffff, 0xffff); /* promises 65535 questions, holds none */
    assert_int_equal(parse(&m, &a), -1);
    header(&m, 0, 0); /* an empty answer is well formed */
    assert_int_equal(parse(&m, &a), 0);
    assert_int_equal(a.n, 0);
}

static void rcode_names(void **state)
{
    (void)state;
    assert_string_equal(dns_rcode_name(DNS_OK), "ok");
    assert_string_equal(dns_rcode_name(DNS_NODATA), "nodata");
    assert_string_equal(dns_rcode_name(DNS_NXDOMAIN), "nxdomain");
    assert_string_equal(dns_rcode_name(DNS_TEMPORARY), "temporary");
    assert_string_equal(dns_rcode_name(DNS_LOCAL), "local");
    assert_string_equal(dns_rcode_name((enum dns_rcode)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_plain_record_lower_cased),
        cmocka_unit_test(compression_pointers_followed),
        cmocka_unit_test(every_truncation_is_malformed),
        cmocka_unit_test(rdlength_beyond_the_message_is_malformed),
        cmocka_unit_test(rdlength_too_short_for_an_mx_is_malformed),
        cmocka_unit_test(compression_loop_to_itself_is_malformed),
        cmocka_unit_test(compression_loop_between_two_names_is_malformed),
        cmocka_unit_test(pointer_past_the_end_is_malformed),
        cmocka_unit_test(more_records_than_the_bound_are_dropped),
        cmocka_unit_test(null_mx_has_an_empty_host),
        cmocka_unit_test(other_types_and_classes_are_skipped),
        cmocka_unit_test(hostile_label_bytes_come_out_printable),
        cmocka_unit_test(longest_name_fits),
        cmocka_unit_test(short_or_lying_headers_are_malformed),
        cmocka_unit_test(rcode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
