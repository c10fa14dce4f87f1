/*
 * Unit tests of the sender reputation's pure helpers (probes/reputation.c): the DNSBL and
 * reverse-DNS query names (IPv4 octets and IPv6 nibbles reversed, names that do not fit,
 * things that are not addresses), the classification of a DNSBL's A answer (listed, not
 * listed, the 127.255.255.0/24 error codes, answers outside 127.0.0.0/8, failed lookups
 * that say nothing), and which addresses are checked (sending_addresses, else
 * source_address).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "reputation.h"

static void ipv4_octets_reversed(void **state)
{
    (void)state;
    char n[256];
    assert_int_equal(rep_query_name("192.0.2.99", "zen.example", n, sizeof n), 0);
    assert_string_equal(n, "99.2.0.192.zen.example");
    assert_int_equal(rep_query_name("127.0.0.2", NULL, n, sizeof n), 0);
    assert_string_equal(n, "2.0.0.127.in-addr.arpa");
}

static void ipv6_nibbles_reversed(void **state)
{
    (void)state;
    char n[256];
    assert_int_equal(rep_query_name("2001:db8::567:89ab", "bl.example", n, sizeof n), 0);
    assert_string_equal(
        n, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
    assert_int_equal(rep_query_name("2001:db8::25", NULL, n, sizeof n), 0);
    assert_string_equal(n,
                        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

static void bad_addresses_and_small_buffers_refused(void **state)
{
    (void)state;
    char n[256], small[20];
    assert_int_equal(rep_query_name("mail.example", "bl.example", n, sizeof n), -1);
    assert_int_equal(rep_query_name("192.0.2.300", "bl.example", n, sizeof n), -1);
    assert_int_equal(rep_query_name("", "bl.example", n, sizeof n), -1);
    assert_int_equal(rep_query_name("192.0.2.99", "zen.example", small, sizeof small), -1);
    assert_int_equal(rep_query_name("2001:db8::1", "x", small, sizeof small), -1);
    char v6[70]; /* room for the nibbles, not for the zone */
    assert_int_equal(rep_query_name("2001:db8::1", "longer.zone", v6, sizeof v6), -1);
}

static struct dns_addr_answer answer(enum dns_rcode rc, const char *const *addrs, size_t n)
{
    struct dns_addr_answer a;
    memset(&a, 0, sizeof a);
    a.rcode = rc;
    for (size_t i = 0; i < n; i++) {
        bool v6 = strchr(addrs[i], ':') != NULL;
        a.addrs[i].family = v6 ? AF_INET6 : AF_INET;
        assert_int_equal(inet_pton(a.addrs[i].family, addrs[i], a.addrs[i].addr), 1);
    }
    a.n = n;
    return a;
}

static void listing_classified(void **state)
{
    (void)state;
    char code[46];
    const char *why;
    const char *listed[] = {"127.0.0.2"}, *several[] = {"127.255.255.254", "127.0.0.11"};
    struct dns_addr_answer a = answer(DNS_OK, listed, 1);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_LISTED);
    assert_string_equal(code, "127.0.0.2");
    a = answer(DNS_OK, several, 2);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_LISTED);
    assert_string_equal(code, "127.0.0.11");
    a = answer(DNS_NXDOMAIN, NULL, 0);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_CLEAN);
    assert_string_equal(code, "");
    a = answer(DNS_NODATA, NULL, 0);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_CLEAN);
}

static void error_codes_and_foreign_answers_are_zone_errors(void **state)
{
    (void)state;
    char code[46];
    const char *why;
    const char *refused[] = {"127.255.255.254"}, *foreign[] = {"198.51.100.7"};
    struct dns_addr_answer a = answer(DNS_OK, refused, 1);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_ERROR);
    assert_string_equal(code, "127.255.255.254");
    assert_non_null(strstr(why, "127.255.255.0/24"));
    a = answer(DNS_OK, foreign, 1);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_ERROR);
    assert_string_equal(code, "198.51.100.7");
    a = answer(DNS_OK, NULL, 0);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_ERROR);
}

static void failed_lookups_say_nothing(void **state)
{
    (void)state;
    char code[46];
    const char *why;
    struct dns_addr_answer a = answer(DNS_TEMPORARY, NULL, 0);
    a.detail = "Timeout while contacting DNS servers";
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_UNKNOWN);
    assert_string_equal(why, "Timeout while contacting DNS servers");
    a = answer(DNS_LOCAL, NULL, 0);
    assert_int_equal(rep_classify(&a, code, sizeof code, &why), DNSBL_UNKNOWN);
}

static void addresses_default_to_the_source_address(void **state)
{
    (void)state;
    struct config *cfg = config_defaults();
    const char *out[STORE_SENDERS_MAX];
    assert_int_equal(rep_addresses(cfg, out, STORE_SENDERS_MAX), 0);
    cfg->source_address = strdup("192.0.2.25");
    assert_int_equal(rep_addresses(cfg, out, STORE_SENDERS_MAX), 1);
    assert_string_equal(out[0], "192.0.2.25");
    char *list[] = {"198.51.100.1", "2001:db8::1", NULL};
    cfg->sending_addresses = list;
    cfg->n_sending_addresses = 2;
    assert_int_equal(rep_addresses(cfg, out, STORE_SENDERS_MAX), 2);
    assert_string_equal(out[1], "2001:db8::1");
    cfg->sending_addresses = NULL;
    cfg->n_sending_addresses = 0;
    free(cfg->source_address);
    cfg->source_address = strdup("mail.example"); /* a name is not checked */
    assert_int_equal(rep_addresses(cfg, out, STORE_SENDERS_MAX), 0);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_octets_reversed),
        cmocka_unit_test(ipv6_nibbles_reversed),
        cmocka_unit_test(bad_addresses_and_small_buffers_refused),
        cmocka_unit_test(listing_classified),
        cmocka_unit_test(error_codes_and_foreign_answers_are_zone_errors),
        cmocka_unit_test(failed_lookups_say_nothing),
        cmocka_unit_test(addresses_default_to_the_source_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
