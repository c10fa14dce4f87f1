/*
 * test_client.c - the client commands' credentials file (agent/cli/client.c): the forms it
 * takes, and the bounds on its size and on a secret.
 */
#include "client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_auth_file(void **state)
{
    (void)state;
    struct client_auth a;
    char err[160];
    assert_int_equal(
        client_parse_auth("# who\nusername: alice\n password : s3 cret:x \n", &a, err, sizeof err),
        0);
    assert_string_equal(a.user, "alice");
    assert_string_equal(a.password, "s3 cret:x");
    assert_int_equal(client_parse_auth("token: abc\n", &a, err, sizeof err), 0);
    assert_string_equal(a.token, "abc");
    assert_int_equal(client_parse_auth("username: alice\n", &a, err, sizeof err), -1);
    assert_int_equal(client_parse_auth("user alice\n", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(client_parse_auth("colour: blue\n", &a, err, sizeof err), -1);
    char big[CLIENT_AUTH_FILE_MAX + 10];
    memset(big, '#', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(client_parse_auth(big, &a, err, sizeof err), -1);
    char longpw[CLIENT_SECRET_MAX + 40] = "password: ";
    memset(longpw + 10, 'p', CLIENT_SECRET_MAX + 10);
    longpw[CLIENT_SECRET_MAX + 20] = '\0';
    assert_int_equal(client_parse_auth(longpw, &a, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
