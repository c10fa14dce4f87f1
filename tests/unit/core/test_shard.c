/*
 * Unit tests of the shard rule (agent/core/shard.c): "I/N" is 0-based and every malformed or
 * out-of-range text is refused with a message saying why; every domain belongs to exactly
 * one shard of N, whatever its case, and N shards split a list evenly; the rule is pinned
 * (a change would move destinations between the agents of every deployed set); and the
 * owned domains of a shard do not share the low bits of their hash, which the agent's hash
 * tables use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "shard.h"

static void parses(const char *text, unsigned index, unsigned count)
{
    struct shard s = {99, 99};
    char err[128] = "";
    if (shard_parse(text, &s, err, sizeof err) < 0)
        fail_msg("'%s' refused: %s", text, err);
    assert_int_equal(s.index, index);
    assert_int_equal(s.count, count);
}

static void refuses(const char *text, const char *want)
{
    struct shard s = {7, 9};
    char err[128] = "";
    if (shard_parse(text, &s, err, sizeof err) == 0)
        fail_msg("'%s' accepted as %u/%u", text, s.index, s.count);
    if (strcmp(err, want))
        fail_msg("for '%s'\nwant: %s\ngot:  %s", text, want, err);
    assert_int_equal(s.index, 7); /* untouched */
}

static void index_is_0_based_and_below_the_count(void **state)
{
    (void)state;
    parses("0/1", 0, 1);
    parses("0/3", 0, 3);
    parses("2/3", 2, 3);
    parses("999/1000", 999, 1000);
    parses("007/010", 7, 10);
    refuses("3/3", "'3/3': the index 3 is not below the count (0-based: 0..2)");
    refuses("1/1", "'1/1': the index 1 is not below the count (0-based: 0..0)");
    refuses("0/0", "'0/0': the count 0 is out of range (1..1000)");
    refuses("0/1001", "'0/1001': the count 1001 is out of range (1..1000)");
}

static void malformed_text_is_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",      "3",    "/3",           "1/",          "-1/3",  "+1/3",
                         "1/-3",  " 1/3", "1/3 ",         "1 /3",        "1/3/5", "0x1/3",
                         "1.0/3", "a/b",  "1234567890/3", "1/1234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "'%s' is not INDEX/COUNT (e.g. 0/3; the index is 0-based)",
                 bad[i]);
        refuses(bad[i], want);
    }
    /* A long hostile text is not echoed whole. */
    char longer[300];
    memset(longer, '9', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    struct shard s;
    char err[128];
    assert_int_equal(shard_parse(longer, &s, err, sizeof err), -1);
    assert_true(strlen(err) < 100);
}

/* The rule as docs/SCALING.md states it, and a few pinned values. */
static void owner_is_the_upper_half_of_fnv1a_modulo_n(void **state)
{
    (void)state;
    const char *names[] = {"example.com", "example.net", "gmail.com", "d1.test", "d2.test"};
    for (size_t i = 0; i < 5; i++)
        for (unsigned n = 1; n <= 16; n++)
            assert_int_equal(shard_of(names[i], n), (hash_fnv1a_str(names[i]) >> 32) % n);
    assert_int_equal(shard_of("example.com", 3), 0);
    assert_int_equal(shard_of("example.net", 3), 1);
    assert_int_equal(shard_of("d1.test", 3), 2);
    assert_int_equal(shard_of("gmail.com", 7), 0);
    assert_int_equal(shard_of("d2.test", 7), 4);
    assert_int_equal(shard_of("Example.COM", 3), shard_of("example.com", 3));
    assert_int_equal(shard_of("D1.TEST", 7), shard_of("d1.test", 7));
}

static void every_domain_has_exactly_one_owner_and_shares_are_even(void **state)
{
    (void)state;
    const unsigned counts[] = {1, 2, 3, 4, 7};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        unsigned n = counts[k], owned[7] = {0};
        for (int i = 1; i <= 3000; i++) {
            char d[32];
            snprintf(d, sizeof d, "d%d.test", i);
            unsigned owners = 0;
            for (unsigned s = 0; s < n; s++) {
                bool mine = shard_owns((struct shard){s, n}, d);
                owners += mine;
                owned[s] += mine;
            }
            assert_int_equal(owners, 1);
        }
        for (unsigned s = 0; s < n; s++) { /* within 15 % of 3000 / n */
            assert_true(owned[s] * n * 100 >= 3000 * 85);
            assert_true(owned[s] * n * 100 <= 3000 * 115);
        }
    }
    assert_true(shard_owns(SHARD_ALL, "anything.example"));
}

/* Shard 0 of 4 by the low bits would own only hashes ending in binary 00, and fill one
 * slot in four of a power-of-two table; by the upper half it owns all four endings. */
static void owned_domains_spread_over_the_low_bits(void **state)
{
    (void)state;
    unsigned low[4] = {0}, total = 0;
    for (int i = 1; i <= 3000; i++) {
        char d[32];
        snprintf(d, sizeof d, "d%d.test", i);
        if (!shard_owns((struct shard){0, 4}, d))
            continue;
        low[hash_fnv1a_str(d) & 3]++;
        total++;
    }
    for (int b = 0; b < 4; b++)
        assert_true(low[b] * 100 >= total * 20); /* each ending at least a fifth */
}

/* Longer than any domain: judged by its first 253 octets, never read past. */
static void overlong_input_is_bounded(void **state)
{
    (void)state;
    char a[600], b[600];
    memset(a, 'a', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[400] = 'b';
    assert_int_equal(shard_of(a, 1000), shard_of(b, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_is_0_based_and_below_the_count),
        cmocka_unit_test(malformed_text_is_refused),
        cmocka_unit_test(owner_is_the_upper_half_of_fnv1a_modulo_n),
        cmocka_unit_test(every_domain_has_exactly_one_owner_and_shares_are_even),
        cmocka_unit_test(owned_domains_spread_over_the_low_bits),
        cmocka_unit_test(overlong_input_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
