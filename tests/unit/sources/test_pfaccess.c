/* Unit tests of the start-up access check's reading of main.cf (probes/sources/pfaccess.c):
 * Postfix's default queue directory, the last assignment winning, values that need Postfix's
 * own expansion, continuation and comment lines, and a line longer than
 * PFACCESS_MAINCF_LINE_MAX skipped whole. The permission side runs in
 * tests/integration/run_least_privilege.sh (as root, with real users). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfaccess.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_pfaccess.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/main.cf", dir);
    unlink(path);
    return rmdir(dir);
}

static void write_main_cf(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/main.cf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_default_and_last_wins(void **state)
{
    (void)state;
    char out[256];
    write_main_cf("# queue_directory = /nope\nmyhostname = a.test\n");
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 0);
    assert_string_equal(out, "/var/spool/postfix");
    write_main_cf("queue_directory = /first\n  queue_directory = /continuation\n"
                  "queue_directory=/srv/spool  \nqueue_directory_x = /other\n");
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 0);
    assert_string_equal(out, "/srv/spool");
}

static void test_unknown_without_postfix(void **state)
{
    (void)state;
    char out[256];
    write_main_cf("queue_directory = $data_directory/q\n");
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 1);
    write_main_cf("queue_directory = relative\n");
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 1);
    assert_int_equal(pfaccess_queue_directory("/nonexistent/postfix", out, sizeof out), 1);
    write_main_cf("queue_directory = /a/long/enough/path\n");
    assert_int_equal(pfaccess_queue_directory(dir, out, 8), -1);
}

/* A line longer than the bound is skipped as a whole: neither its head nor its tail counts. */
static void test_line_over_the_bound(void **state)
{
    (void)state;
    size_t n = PFACCESS_MAINCF_LINE_MAX * 2;
    char *text = malloc(n + 200), out[256];
    assert_non_null(text);
    int k = snprintf(text, n + 200, "queue_directory = /head");
    memset(text + k, 'x', n - (size_t)k);
    strcpy(text + n, "\nqueue_directory = /tail\n");
    write_main_cf(text);
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 0);
    assert_string_equal(out, "/tail");
    /* A piece that starts exactly at a read's boundary (fgets takes the bound less one)
     * would read as an assignment if the skip ended too soon. */
    snprintf(text, n + 200, "myhostname = %0*d", PFACCESS_MAINCF_LINE_MAX - 1 - 13, 0);
    assert_int_equal(strlen(text), PFACCESS_MAINCF_LINE_MAX - 1);
    strcat(text, "queue_directory = /inside\n");
    write_main_cf(text);
    assert_int_equal(pfaccess_queue_directory(dir, out, sizeof out), 0);
    assert_string_equal(out, "/var/spool/postfix");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_and_last_wins),
        cmocka_unit_test(test_unknown_without_postfix),
        cmocka_unit_test(test_line_over_the_bound),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
