/*
 * Unit tests of the string map (agent/lib/strmap.c): insert, replace, get and delete; keys that
 * collide on one home slot, runs that wrap around the end of the table, and backward-shift
 * deletion keeping every run gap-free; growth; a long random sequence checked against a
 * plain array after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strmap.h"

/* The map's hash (FNV-1a), to build keys that collide; checked against the map below. */
static size_t fnv(const char *s)
{
    return (size_t)hash_fnv1a_str(s);
}

static size_t slot_of(const struct strmap *m, const char *key)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && !strcmp(m->slots[i].key, key))
            return i;
    fail_msg("key %s not in any slot", key);
    return 0;
}

/* Linear probing's invariant: every slot from a key's home to its position is taken. */
static void assert_runs_gap_free(const struct strmap *m)
{
    size_t mask = m->cap - 1, n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        n++;
        for (size_t j = fnv(m->slots[i].key) & mask; j != i; j = (j + 1) & mask)
            if (!m->slots[j].key)
                fail_msg("gap at %zu between home and slot %zu of %s", j, i, m->slots[i].key);
    }
    assert_int_equal(n, m->n);
    assert_true(m->n * 4 <= m->cap * 3);
}

/* Fills keys[] with n distinct keys whose home slot (in a 64-slot table) is home. */
static void keys_with_home(char keys[][16], size_t n, size_t home)
{
    size_t found = 0;
    for (unsigned i = 0; found < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", i);
        if ((fnv(k) & 63) == home)
            memcpy(keys[found++], k, sizeof k);
    }
}

static void insert_replace_get_delete(void **state)
{
    (void)state;
    struct strmap m = {0};
    int a = 1, b = 2;
    assert_null(strmap_get(&m, "x"));
    assert_null(strmap_del(&m, "x"));
    strmap_put(&m, "x", &a);
    assert_ptr_equal(strmap_get(&m, "x"), &a);
    strmap_put(&m, "x", &b);
    assert_int_equal(m.n, 1);
    assert_ptr_equal(strmap_get(&m, "x"), &b);
    assert_null(strmap_get(&m, "y"));
    assert_ptr_equal(strmap_del(&m, "x"), &b);
    assert_null(strmap_get(&m, "x"));
    assert_int_equal(m.n, 0);
    assert_null(strmap_del(&m, "x"));
    strmap_free(&m);
    assert_int_equal(m.cap, 0);
}

static void hash_matches_the_map(void **state)
{
    (void)state;
    struct strmap m = {0};
    strmap_put(&m, "alpha.test", "v");
    assert_int_equal(slot_of(&m, "alpha.test"), fnv("alpha.test") & (m.cap - 1));
    strmap_free(&m);
}

static void colliding_keys_shift_back_on_delete(void **state)
{
    (void)state;
    char same[3][16], next[1][16];
    keys_with_home(same, 3, 10);
    keys_with_home(next, 1, 11);
    struct strmap m = {0};
    strmap_put(&m, same[0], same[0]);
    strmap_put(&m, same[1], same[1]);
    strmap_put(&m, same[2], same[2]);
    strmap_put(&m, next[0], next[0]); /* home 11, pushed to 13 by the run */
    assert_int_equal(m.cap, 64);
    assert_int_equal(slot_of(&m, same[0]), 10);
    assert_int_equal(slot_of(&m, next[0]), 13);

    assert_ptr_equal(strmap_del(&m, same[0]), same[0]);
    assert_runs_gap_free(&m);
    assert_int_equal(slot_of(&m, same[1]), 10);
    assert_int_equal(slot_of(&m, same[2]), 11);
    assert_int_equal(slot_of(&m, next[0]), 12);
    assert_ptr_equal(strmap_get(&m, next[0]), next[0]);

    assert_ptr_equal(strmap_del(&m, same[2]), same[2]); /* from the middle */
    assert_runs_gap_free(&m);
    assert_int_equal(slot_of(&m, next[0]), 11);
    assert_ptr_equal(strmap_get(&m, same[1]), same[1]);
    strmap_free(&m);
}

static void a_key_at_its_home_is_not_moved_before_it(void **state)
{
    (void)state;
    char a[2][16], b[1][16];
    keys_with_home(a, 2, 20);
    keys_with_home(b, 1, 22);
    struct strmap m = {0};
    strmap_put(&m, a[0], a[0]); /* 20 */
    strmap_put(&m, a[1], a[1]); /* 21 */
    strmap_put(&m, b[0], b[0]); /* 22, its own home */
    strmap_del(&m, a[0]);
    assert_runs_gap_free(&m);
    assert_int_equal(slot_of(&m, a[1]), 20);
    assert_int_equal(slot_of(&m, b[0]), 22); /* must not move above its home */
    strmap_free(&m);
}

static void runs_wrap_around_the_end(void **state)
{
    (void)state;
    char last[3][16], first[1][16];
    keys_with_home(last, 3, 63);
    keys_with_home(first, 1, 0);
    struct strmap m = {0};
    for (int i = 0; i < 3; i++)
        strmap_put(&m, last[i], last[i]); /* 63, 0, 1 */
    strmap_put(&m, first[0], first[0]);   /* home 0, lands at 2 */
    assert_int_equal(slot_of(&m, last[2]), 1);
    assert_int_equal(slot_of(&m, first[0]), 2);
    strmap_del(&m, last[0]);
    assert_runs_gap_free(&m);
    assert_int_equal(slot_of(&m, last[1]), 63);
    assert_int_equal(slot_of(&m, last[2]), 0);
    assert_int_equal(slot_of(&m, first[0]), 1);
    for (int i = 1; i < 3; i++)
        assert_ptr_equal(strmap_get(&m, last[i]), last[i]);
    strmap_free(&m);
}

static void growth_keeps_every_key(void **state)
{
    (void)state;
    static char keys[5000][16];
    struct strmap m = {0};
    for (size_t i = 0; i < 5000; i++) {
        snprintf(keys[i], sizeof keys[i], "d%zu.test", i);
        strmap_put(&m, keys[i], keys[i]);
    }
    assert_int_equal(m.n, 5000);
    assert_int_equal(m.cap & (m.cap - 1), 0);
    assert_runs_gap_free(&m);
    for (size_t i = 0; i < 5000; i += 2)
        assert_ptr_equal(strmap_del(&m, keys[i]), keys[i]);
    assert_runs_gap_free(&m);
    for (size_t i = 0; i < 5000; i++)
        assert_ptr_equal(strmap_get(&m, keys[i]), i % 2 ? keys[i] : NULL);
    strmap_free(&m);
}

static void random_operations_match_a_plain_array(void **state)
{
    (void)state;
    enum { KEYS = 300, STEPS = 20000 };
    static char keys[KEYS][16];
    static void *ref[KEYS];
    static int vals[KEYS];
    struct strmap m = {0};
    srand(12345);
    for (size_t i = 0; i < KEYS; i++)
        snprintf(keys[i], sizeof keys[i], "r%zu", i);
    for (int step = 0; step < STEPS; step++) {
        size_t k = (size_t)rand() % KEYS;
        if (rand() % 3) {
            strmap_put(&m, keys[k], &vals[k]);
            ref[k] = &vals[k];
        } else {
            assert_ptr_equal(strmap_del(&m, keys[k]), ref[k]);
            ref[k] = NULL;
        }
        if (step % 500 == 0) {
            assert_runs_gap_free(&m);
            for (size_t i = 0; i < KEYS; i++)
                assert_ptr_equal(strmap_get(&m, keys[i]), ref[i]);
        }
    }
    strmap_free(&m);
}

struct visit {
    char keys[12][16];
    int seen[12];
};

/* Removes the even-numbered keys; counts every visit. */
static bool drop_even(void *val, void *arg)
{
    struct visit *v = arg;
    int i = *(int *)val;
    v->seen[i]++;
    return i % 2 == 0;
}

static void sweep_sees_each_entry_once_across_a_wrapping_run(void **state)
{
    (void)state;
    static int idx[12];
    struct visit v = {0};
    struct strmap m = {0};
    keys_with_home(v.keys, 8, 61); /* a run 61..63 that wraps to 0..4 */
    for (int i = 8; i < 12; i++)
        snprintf(v.keys[i], sizeof v.keys[i], "other%d", i);
    for (int i = 0; i < 12; i++) {
        idx[i] = i;
        strmap_put(&m, v.keys[i], &idx[i]);
    }
    assert_int_equal(m.cap, 64);
    assert_non_null(m.slots[0].key); /* the run did wrap */
    strmap_sweep(&m, drop_even, &v);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(v.seen[i], 1);
        if (i % 2)
            assert_ptr_equal(strmap_get(&m, v.keys[i]), &idx[i]);
        else
            assert_null(strmap_get(&m, v.keys[i]));
    }
    assert_int_equal(m.n, 6);
    assert_runs_gap_free(&m);
    size_t it = 0, n = 0;
    int sum = 0;
    for (int *p; (p = strmap_next(&m, &it)); n++)
        sum += *p;
    assert_int_equal(n, 6);
    assert_int_equal(sum, 1 + 3 + 5 + 7 + 9 + 11);
    strmap_clear(&m, NULL);
    assert_int_equal(m.n, 0);
    assert_null(strmap_get(&m, v.keys[1]));
}

static int freed;
static void count_free(void *val)
{
    (void)val;
    freed++;
}

static void clear_frees_every_value(void **state)
{
    (void)state;
    struct strmap m = {0};
    static char keys[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "c%d", i);
        strmap_put(&m, keys[i], keys[i]);
    }
    strmap_clear(&m, count_free);
    assert_int_equal(freed, 100);
    assert_int_equal(m.n, 0);
    assert_int_equal(m.cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_replace_get_delete),
        cmocka_unit_test(hash_matches_the_map),
        cmocka_unit_test(colliding_keys_shift_back_on_delete),
        cmocka_unit_test(a_key_at_its_home_is_not_moved_before_it),
        cmocka_unit_test(runs_wrap_around_the_end),
        cmocka_unit_test(growth_keeps_every_key),
        cmocka_unit_test(random_operations_match_a_plain_array),
        cmocka_unit_test(sweep_sees_each_entry_once_across_a_wrapping_run),
        cmocka_unit_test(clear_frees_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
