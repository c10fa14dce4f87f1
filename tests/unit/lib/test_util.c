/*
 * test_util.c - the bounded file read every loader shares (agent/lib/util.c,
 * mxw_read_bounded): the whole file, a file exactly at the bound, one byte over it, and a
 * missing file, each with its errno.
 */
#include "util.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Outside text: control and non-ASCII bytes (NUL included) become '?', the copy is cut at
 * cap - 1 and always terminated. */
static void test_strncpy_printable(void **state)
{
    (void)state;
    char out[8];
    mxw_strncpy_printable(out, sizeof out, "a\0b\x1b[\x7f\xc3\xa9zzz", 11);
    assert_string_equal(out, "a?b?[??");
    mxw_strncpy_printable(out, sizeof out, "ok", 2);
    assert_string_equal(out, "ok");
    out[0] = 'x';
    mxw_strncpy_printable(out, 0, "ok", 2); /* no room: nothing written */
    assert_int_equal(out[0], 'x');
}

static void test_read_bounded(void **state)
{
    (void)state;
    char path[] = "/tmp/mxw-test-util-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char buf[6];
    size_t n;

    write_file(path, "abc");
    assert_int_equal(mxw_read_bounded(path, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(buf, "abc");

    write_file(path, "abcde"); /* exactly cap - 1 bytes: whole */
    assert_int_equal(mxw_read_bounded(path, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(buf, "abcde");

    write_file(path, "abcdef"); /* one byte over: refused, never cut to fit */
    errno = 0;
    assert_int_equal(mxw_read_bounded(path, buf, sizeof buf, &n), -1);
    assert_int_equal(errno, EFBIG);
    assert_string_equal(buf, "abcde");

    write_file(path, "");
    assert_int_equal(mxw_read_bounded(path, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");

    unlink(path);
    errno = 0;
    assert_int_equal(mxw_read_bounded(path, buf, sizeof buf, &n), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_bounded),
        cmocka_unit_test(test_strncpy_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
