/*
 * test_expfmt.c - the shared text encoders (agent/lib/expfmt.c): numbers as Prometheus and
 * JSON read them, UTF-8 validation, JSON strings and debug text from hostile bytes.
 */
#include "expfmt.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void check_double(double v, const char *want)
{
    char out[EXPFMT_DOUBLE_MAX];
    size_t n = expfmt_format_double(out, v);
    assert_int_equal(n, strlen(out));
    if (strcmp(out, want))
        fail_msg("%.17g: expected '%s', got '%s'", v, want, out);
}

static void test_doubles_integers_exact(void **state)
{
    (void)state;
    check_double(0, "0");
    check_double(-0.0, "0");
    check_double(1, "1");
    check_double(-42, "-42");
    check_double(1830000000, "1830000000");
    check_double(9007199254740991.0, "9007199254740991");
    check_double(18446744073709551615.0, "1.8446744073709552e+19");
    check_double(0.1 + 0.2 - 0.3, "5.551115123125783e-17");
}

static void test_doubles_fractions_short(void **state)
{
    (void)state;
    check_double(0.005, "0.005");
    check_double(0.0123, "0.0123");
    check_double(0.000412, "0.000412");
    check_double(115.5, "115.5");
    check_double(-0.25, "-0.25");
    check_double(1795970955.5392547, "1795970955.53925");
    check_double(0.9999999999, "1");
    check_double(1e-9, "0.000000001");
    check_double(1.5e-12, "1.5e-12");
    check_double(1.5e15, "1500000000000000");
    check_double(1.25e300, "1.25e+300");
}

static void test_doubles_special(void **state)
{
    (void)state;
    check_double(NAN, "NaN");
    check_double(INFINITY, "+Inf");
    check_double(-INFINITY, "-Inf");
    struct buf b = {0};
    expfmt_json_double(&b, NAN);
    buf_puts(&b, ",");
    expfmt_json_double(&b, INFINITY);
    buf_puts(&b, ",");
    expfmt_json_double(&b, 2.5);
    assert_string_equal(b.p, "null,null,2.5");
    buf_free(&b);
}

static void test_utf8_lengths(void **state)
{
    (void)state;
    struct {
        const char *s;
        size_t want;
    } cases[] = {
        {"a", 1},
        {"\xc3\xa9", 2},
        {"\xe2\x82\xac", 3},
        {"\xf0\x9f\x98\x80", 4},
        {"\x80", 0},             /* stray continuation */
        {"\xc0\xaf", 0},         /* overlong '/' */
        {"\xe0\x80\xaf", 0},     /* overlong, three bytes */
        {"\xed\xa0\x80", 0},     /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 0},
        {"\xff", 0},
        {"\xe2\x82", 0}, /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = expfmt_utf8_len((const unsigned char *)cases[i].s, strlen(cases[i].s));
        if (got != cases[i].want)
            fail_msg("case %zu: expected %zu, got %zu", i, cases[i].want, got);
    }
}

static void test_json_string_escapes_everything_hostile(void **state)
{
    (void)state;
    struct buf b = {0};
    expfmt_json_string(&b, "q\"b\\n\n\r\t\x01\x1f\x7f \xc3\xa9\xff</x>");
    assert_string_equal(b.p, "\"q\\\"b\\\\n\\n\\r\\t\\u0001\\u001f\x7f \xc3\xa9\xef\xbf\xbd</x>\"");
    b.len = 0;
    expfmt_json_string(&b, NULL);
    assert_string_equal(b.p, "null");
    b.len = 0;
    /* The bounded variant stops at n bytes, for fields that might lack a terminator. */
    char field[4] = {'a', 'b', 'c', 'd'};
    expfmt_json_stringn(&b, field, sizeof field);
    assert_string_equal(b.p, "\"abcd\"");
    buf_free(&b);
}

/* Text for humans, from hostile bytes: what a terminal would obey (C0, DEL, the C1 controls
 * with CSI as UTF-8 c2 9b and as the raw byte 9b, cut and overlong sequences) shows as \xNN;
 * valid text, U+00A0 (the first character after C1) and U+FFFD included, passes unchanged.
 * expfmt_text keeps line feeds and tabs and drops a CR before a line feed; expfmt_text_line
 * shows every control and holds its bound (a sequence it cuts shows as bytes). */
static void test_text(void **state)
{
    (void)state;
    static const struct {
        bool one_line;
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {false, "220 hi\r\nEHLO x\r\n\x1b[31mred\x7f\tend\xfe\n", SIZE_MAX,
         "220 hi\nEHLO x\n\\x1b[31mred\\x7f\tend\\xfe\n"},
        {false,
         "220 \xc2\x9b"
         "31mred\xc2\x80 \x9b"
         "2J caf\xc3\xa9 \xc2\xa0 \xef\xbf\xbd \xc0\xaf \xe2\x82 end",
         SIZE_MAX,
         "220 \\xc2\\x9b31mred\\xc2\\x80 \\x9b2J caf\xc3\xa9 \xc2\xa0 \xef\xbf\xbd "
         "\\xc0\\xaf \\xe2\\x82 end"},
        {false, "x\r", SIZE_MAX, "x\\x0d"},
        {true, "a\tb\r\nc\xc2\x9b", 100, "a\\x09b\\x0d\\x0ac\\xc2\\x9b"},
        {true, "caf\xc3\xa9", 4, "caf\\xc3"},
        {true, "ab\0cd", 5, "ab"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = {0};
        if (cases[i].one_line)
            expfmt_text_line(&b, cases[i].in, cases[i].n);
        else
            expfmt_text(&b, cases[i].in);
        assert_string_equal(b.p ? b.p : "", cases[i].want);
        buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_integers_exact),
        cmocka_unit_test(test_doubles_fractions_short),
        cmocka_unit_test(test_doubles_special),
        cmocka_unit_test(test_utf8_lengths),
        cmocka_unit_test(test_json_string_escapes_everything_hostile),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
