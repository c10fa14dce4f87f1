/*
 * Unit tests of the growable buffer (agent/lib/buf.c), above all buf_double, which writes every
 * number of /metrics and the JSON API: integers without a fraction, the shortest of 15 or
 * 17 significant digits that reads back as the same double, NaN and infinities as
 * Prometheus spells them; buf_u64 at its extremes; growth and stealing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static const char *fmt(double v)
{
    static char out[64];
    struct buf b = {0};
    buf_double(&b, v);
    assert_true(b.len < sizeof out);
    memcpy(out, b.p, b.len + 1);
    buf_free(&b);
    return out;
}

static void integers_have_no_fraction(void **state)
{
    (void)state;
    assert_string_equal(fmt(0), "0");
    assert_string_equal(fmt(-0.0), "0");
    assert_string_equal(fmt(1), "1");
    assert_string_equal(fmt(-1), "-1");
    assert_string_equal(fmt(1795971615), "1795971615");
    assert_string_equal(fmt(123456789012345.0), "123456789012345");
    assert_string_equal(fmt(8999999999999999.0), "8999999999999999");
    assert_string_equal(fmt(9e15), "9e+15"); /* beyond: %g, still exact */
    assert_string_equal(fmt(1e20), "1e+20");
    assert_string_equal(fmt(-1e20), "-1e+20");
}

static void fractions_are_shortest_round_trip(void **state)
{
    (void)state;
    assert_string_equal(fmt(0.5), "0.5");
    assert_string_equal(fmt(0.1), "0.1");
    assert_string_equal(fmt(-0.25), "-0.25");
    assert_string_equal(fmt(0.0001234), "0.0001234");
    assert_string_equal(fmt(1e-9), "1e-09");
    assert_string_equal(fmt(1.0 / 3.0), "0.33333333333333331");
    assert_string_equal(fmt(DBL_MIN), "2.2250738585072014e-308");
    assert_string_equal(fmt(DBL_MAX), "1.7976931348623157e+308");
}

static void every_value_reads_back_exactly(void **state)
{
    (void)state;
    srand(7);
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = (uint64_t)rand() << 42 ^ (uint64_t)rand() << 21 ^ (uint64_t)rand();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        const char *s = fmt(v);
        if (strtod(s, NULL) != v)
            fail_msg("%s does not read back as %a", s, v);
    }
}

static void nan_and_infinities_as_prometheus_spells_them(void **state)
{
    (void)state;
    assert_string_equal(fmt(NAN), "NaN");
    assert_string_equal(fmt(INFINITY), "+Inf");
    assert_string_equal(fmt(-INFINITY), "-Inf");
}

static void u64_extremes(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_u64(&b, 0);
    buf_puts(&b, " ");
    buf_u64(&b, UINT64_MAX);
    assert_string_equal(b.p, "0 18446744073709551615");
    buf_free(&b);
}

static void growth_printf_and_steal(void **state)
{
    (void)state;
    struct buf b = {0};
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_printf(&b, "%s|%d", big, 42); /* longer than the first reservation */
    assert_int_equal(b.len, 999 + 3);
    assert_string_equal(b.p + 999, "|42");
    for (int i = 0; i < 10000; i++)
        buf_append(&b, "ab", 2);
    assert_int_equal(b.len, 1002 + 20000);
    assert_true(b.cap > b.len);
    size_t len;
    char *p = buf_steal(&b, &len);
    assert_int_equal(len, 21002);
    assert_int_equal(p[len], '\0');
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    free(p);
    p = buf_steal(&b, NULL); /* an empty buffer steals as "" */
    assert_string_equal(p, "");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_have_no_fraction),
        cmocka_unit_test(fractions_are_shortest_round_trip),
        cmocka_unit_test(every_value_reads_back_exactly),
        cmocka_unit_test(nan_and_infinities_as_prometheus_spells_them),
        cmocka_unit_test(u64_extremes),
        cmocka_unit_test(growth_printf_and_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
