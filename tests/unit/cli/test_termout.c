/*
 * Unit tests of what the client commands print from outside (agent/cli/termout.c, used by
 * `mxwatch probe`, `hoststatus`, `tophosts` and `delivernow`): a banner with C0 controls,
 * C1 controls (CSI as UTF-8 c2 9b), the raw 8-bit CSI byte 9b and other invalid UTF-8
 * reaches the terminal as \xNN only, on one line; valid text passes unchanged, and the
 * width returned is what was printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char *out;
static size_t out_len;

/* What cli_put_textn(s, n) prints, and the count it returns in *ret. */
static const char *printed(const char *s, size_t n, size_t *ret)
{
    free(out);
    FILE *f = open_memstream(&out, &out_len);
    assert_non_null(f);
    *ret = cli_put_textn(f, s, n);
    fclose(f);
    return out;
}

static void banner_cannot_drive_the_terminal(void **state)
{
    (void)state;
    size_t ret;
    const char *p = printed("220 \x1b[2J\xc2\x9b"
                            "31mred\x9b"
                            "0m\r\nnext\x07 caf\xc3\xa9 \xe2\x9c\x93",
                            SIZE_MAX, &ret);
    assert_string_equal(p, "220 \\x1b[2J\\xc2\\x9b31mred\\x9b0m\\x0d\\x0anext\\x07 caf\xc3\xa9 "
                           "\xe2\x9c\x93");
    assert_int_equal(ret, strlen(p));
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        assert_true(*c >= 0x20 && *c != 0x7f && *c != 0x9b);
}

static void spans_and_null(void **state)
{
    (void)state;
    size_t ret;
    assert_string_equal(printed("250-SIZE 10\n250 OK", 11, &ret), "250-SIZE 10");
    assert_int_equal(ret, 11);
    assert_string_equal(printed(NULL, 5, &ret), "");
    assert_int_equal(ret, 0);
    assert_int_equal(cli_put_text(stdout, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(banner_cannot_drive_the_terminal),
        cmocka_unit_test(spans_and_null),
    };
    int rc = cmocka_run_group_tests_name("termout", tests, NULL, NULL);
    free(out);
    return rc;
}
