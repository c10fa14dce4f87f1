/*
 * Unit tests of probe_verdict (probes/probe.c): a destination is up when any address
 * answered; when all failed, the class shown is the most preferred address's; addresses not
 * probed (mx_policy first) and local errors say nothing about the destination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "probe.h"

#define MAXA 4

/* Hosts in preference order, each with the given outcomes (OUT_NOT_PROBED ends a host). */
struct world {
    struct mx_host hosts[3];
    struct mx_addr_result addrs[3][MAXA];
};

static size_t build(struct world *w, const enum mx_outcome spec[3][MAXA], size_t n_hosts)
{
    memset(w, 0, sizeof *w);
    for (size_t h = 0; h < n_hosts; h++) {
        w->hosts[h].preference = (unsigned)(10 * (h + 1));
        w->hosts[h].addrs = w->addrs[h];
        for (size_t a = 0; a < MAXA && spec[h][a] != OUT__COUNT; a++)
            w->addrs[h][w->hosts[h].n_addrs++].outcome = spec[h][a];
    }
    return n_hosts;
}

#define END OUT__COUNT

static void verdict(const enum mx_outcome spec[3][MAXA], size_t n_hosts, enum dest_reason want,
                    enum mx_outcome want_primary)
{
    struct world w;
    enum mx_outcome primary = OUT__COUNT;
    build(&w, spec, n_hosts);
    enum dest_reason r = probe_verdict(w.hosts, n_hosts, &primary);
    assert_string_equal(store_reason_name(r), store_reason_name(want));
    assert_string_equal(store_outcome_name(primary), store_outcome_name(want_primary));
}

static void first_address_ok_is_up(void **state)
{
    (void)state;
    const enum mx_outcome s[3][MAXA] = {{OUT_OK, END}, {OUT_REFUSED, END}};
    verdict(s, 2, REASON_OK, OUT_OK);
}

static void a_later_address_ok_is_up(void **state)
{
    (void)state;
    const enum mx_outcome s[3][MAXA] = {
        {OUT_REFUSED, OUT_BANNER_TIMEOUT, END}, {OUT_BANNER_4XX, END}, {OUT_OK, END}};
    verdict(s, 3, REASON_OK, OUT_OK);
}

static void all_failed_reports_the_most_preferred_class(void **state)
{
    (void)state;
    const enum mx_outcome s[3][MAXA] = {{OUT_BANNER_TIMEOUT, OUT_REFUSED, END},
                                        {OUT_BANNER_5XX, END}};
    verdict(s, 2, REASON_ALL_FAILED, OUT_BANNER_TIMEOUT);
}

static void not_probed_addresses_are_skipped(void **state)
{
    (void)state;
    /* mx_policy first stopped after an answer, or never reached the rest */
    const enum mx_outcome s[3][MAXA] = {{OUT_NOT_PROBED, OUT_REFUSED, END}, {OUT_NOT_PROBED, END}};
    verdict(s, 2, REASON_ALL_FAILED, OUT_REFUSED);
}

static void local_errors_say_nothing_about_the_destination(void **state)
{
    (void)state;
    const enum mx_outcome only_local[3][MAXA] = {{OUT_LOCAL_ERROR, END}, {OUT_LOCAL_ERROR, END}};
    verdict(only_local, 2, REASON_LOCAL, OUT_LOCAL_ERROR);
    const enum mx_outcome mixed[3][MAXA] = {{OUT_LOCAL_ERROR, END}, {OUT_EHLO_REJECTED, END}};
    verdict(mixed, 2, REASON_ALL_FAILED, OUT_EHLO_REJECTED);
    const enum mx_outcome none[3][MAXA] = {{OUT_NOT_PROBED, END}};
    verdict(none, 1, REASON_LOCAL, OUT_LOCAL_ERROR);
}

static void no_hosts_is_a_local_error(void **state)
{
    (void)state;
    enum mx_outcome primary = OUT_OK;
    assert_int_equal(probe_verdict(NULL, 0, &primary), REASON_LOCAL);
    assert_int_equal(primary, OUT_LOCAL_ERROR);
}

static void reason_text_shows_the_class_for_all_failed(void **state)
{
    (void)state;
    struct dest_view v;
    memset(&v, 0, sizeof v);
    v.reason = REASON_ALL_FAILED;
    v.addr_outcome = OUT_CONNECT_TIMEOUT;
    assert_string_equal(store_dest_reason_text(&v), "connect_timeout");
    v.reason = REASON_NULL_MX;
    assert_string_equal(store_dest_reason_text(&v), "null_mx");
    v.reason = REASON_OK;
    assert_string_equal(store_dest_reason_text(&v), "ok");
}

/* DANE (RFC 7672): only authenticated, usable records that no answering address matches
 * make the destination unusable; one address a DANE client may use is enough. */
static void dane_only_authenticated_mismatches_count(void **state)
{
    (void)state;
    struct world w;
    const enum mx_outcome spec[3][MAXA] = {{OUT_OK, OUT_OK, END}, {OUT_OK, END}};
    build(&w, spec, 2);
    w.hosts[0].tlsa = w.hosts[1].tlsa = TLSA_RECORDS;
    w.hosts[0].tlsa_authenticated = w.hosts[1].tlsa_authenticated = true;
    w.addrs[0][0].dane = DANE_MISMATCH;
    w.addrs[0][1].dane = DANE_NO_TLS;
    w.addrs[1][0].dane = DANE_MISMATCH;
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_DANE);
    w.addrs[1][0].dane = DANE_MATCH;
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_OK);
    w.addrs[1][0].dane = DANE_UNUSABLE; /* no usable record: TLS without DANE */
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_OK);
    w.addrs[1][0].dane = DANE_MISMATCH;
    w.hosts[1].tlsa_authenticated = false; /* a DANE client ignores insecure records */
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_OK);
    w.hosts[1].tlsa = TLSA_NONE;
    w.hosts[1].tlsa_authenticated = true;
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_OK);
    /* mismatching addresses that did not answer say nothing */
    w.hosts[1].tlsa = TLSA_RECORDS;
    w.addrs[1][0].outcome = OUT_REFUSED;
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_DANE);
    w.addrs[0][0].outcome = w.addrs[0][1].outcome = OUT_REFUSED;
    assert_int_equal(probe_dane_verdict(w.hosts, 2), REASON_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_address_ok_is_up),
        cmocka_unit_test(a_later_address_ok_is_up),
        cmocka_unit_test(all_failed_reports_the_most_preferred_class),
        cmocka_unit_test(not_probed_addresses_are_skipped),
        cmocka_unit_test(local_errors_say_nothing_about_the_destination),
        cmocka_unit_test(no_hosts_is_a_local_error),
        cmocka_unit_test(reason_text_shows_the_class_for_all_failed),
        cmocka_unit_test(dane_only_authenticated_mismatches_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
