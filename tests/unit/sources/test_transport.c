/* Unit tests of the transport map (probes/sources/transport.c): the lookup order (domain, .parent,
 * *), transport(5)-style next hops, replaced entries and every malformed entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "transport.h"

static struct transport_map *map_of(const char *const *entries)
{
    struct transport_map *m = transport_new();
    char err[256];
    for (size_t i = 0; entries[i]; i++)
        if (transport_add(m, entries[i], err, sizeof err) < 0)
            fail_msg("entry '%s' refused: %s", entries[i], err);
    return m;
}

static void test_lookup_order(void **state)
{
    (void)state;
    const char *const e[] = {"example.com=relay.example.net", ".example.com=sub.example.net",
                             "*=smarthost.test", "keep.test=smtp:", NULL};
    struct transport_map *m = map_of(e);
    assert_int_equal(transport_count(m), 4);
    assert_string_equal(transport_lookup(m, "example.com"), "relay.example.net");
    assert_string_equal(transport_lookup(m, "a.example.com"), "sub.example.net");
    assert_string_equal(transport_lookup(m, "a.b.example.com"), "sub.example.net");
    assert_string_equal(transport_lookup(m, "other.org"), "smarthost.test");
    /* An empty next hop keeps the recipient's domain, even under a wildcard. */
    assert_string_equal(transport_lookup(m, "keep.test"), "keep.test");
    assert_string_equal(transport_lookup(m, "xexample.com"), "smarthost.test");
    transport_free(m);
}

static void test_without_wildcard_domains_stay(void **state)
{
    (void)state;
    const char *const e[] = {"a.test=b.test", NULL};
    struct transport_map *m = map_of(e);
    assert_string_equal(transport_lookup(m, "c.test"), "c.test");
    assert_string_equal(transport_lookup(m, "x.a.test"), "x.a.test");
    transport_free(m);
    struct transport_map *empty = transport_new();
    assert_string_equal(transport_lookup(empty, "c.test"), "c.test");
    transport_free(empty);
    assert_string_equal(transport_lookup(NULL, "c.test"), "c.test");
}

static void test_postfix_style_nexthops(void **state)
{
    (void)state;
    const char *const e[] = {"a.test=smtp:[Relay.Example.NET]:587",
                             "b.test=relay:mx.b.test:2525",
                             "c.test=[127.0.0.31]:2525",
                             "d.test = lmtp:[lmtp.d.test]",
                             "E.Test.=mx.e.test.",
                             NULL};
    struct transport_map *m = map_of(e);
    assert_string_equal(transport_lookup(m, "a.test"), "relay.example.net");
    assert_string_equal(transport_lookup(m, "b.test"), "mx.b.test");
    assert_string_equal(transport_lookup(m, "c.test"), "127.0.0.31");
    assert_string_equal(transport_lookup(m, "d.test"), "lmtp.d.test");
    assert_string_equal(transport_lookup(m, "e.test"), "mx.e.test");
    transport_free(m);
}

static void test_later_entry_replaces(void **state)
{
    (void)state;
    const char *const e[] = {"a.test=one.test", "a.test=two.test", NULL};
    struct transport_map *m = map_of(e);
    assert_int_equal(transport_count(m), 1);
    assert_string_equal(transport_lookup(m, "a.test"), "two.test");
    transport_free(m);
}

static void test_bad_entries(void **state)
{
    (void)state;
    struct transport_map *m = transport_new();
    char err[256], long_name[300];
    memset(long_name, 'a', sizeof long_name);
    snprintf(long_name + 260, 40, "=x.test");
    const char *bad[] = {"no-equals-sign",  "=x.test",        "a b.test=x.test", "a.test=[x.test",
                         "a.test=bad host", "a..test=x.test", long_name,         NULL};
    for (size_t i = 0; bad[i]; i++) {
        err[0] = '\0';
        if (transport_add(m, bad[i], err, sizeof err) == 0)
            fail_msg("entry '%s' accepted", bad[i]);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(transport_count(m), 0);
    transport_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_order),
        cmocka_unit_test(test_without_wildcard_domains_stay),
        cmocka_unit_test(test_postfix_style_nexthops),
        cmocka_unit_test(test_later_entry_replaces),
        cmocka_unit_test(test_bad_entries),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
