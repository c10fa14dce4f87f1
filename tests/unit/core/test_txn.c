/*
 * Unit tests of the transaction probe's plain rules (agent/core/txn.c): the enhanced status
 * code read from a reply line (only a well-formed one of the reply's class, never past the
 * line's end), the addresses a session accepts, and what a finished transaction says of
 * delivery (throttled for 4xx and rejected for 5xx at MAIL, RCPT, DATA or the end of data;
 * nothing before that; ok on success).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "txn.h"

static const char *enh(const char *line)
{
    static char out[TXN_ENHANCED_MAX];
    txn_enhanced(line, strlen(line), out, sizeof out);
    return out;
}

static void enhanced_codes_are_read_only_when_well_formed(void **state)
{
    (void)state;
    assert_string_equal(enh("250 2.1.0 Ok"), "2.1.0");
    assert_string_equal(enh("451-4.7.1 greylisted"), "4.7.1");
    assert_string_equal(enh("550 5.1.1"), "5.1.1");
    assert_string_equal(enh("552 5.3.400 x"), "5.3.400");
    assert_string_equal(enh("250 4.1.0 wrong class"), "");
    assert_string_equal(enh("220 mx.example ESMTP"), "");
    assert_string_equal(enh("550 5.1.1234 too long"), "");
    assert_string_equal(enh("550 5.1."), "");
    assert_string_equal(enh("550 5.1.1x"), "");
    assert_string_equal(enh("354 3.0.0 no class 3"), "");
    char out[TXN_ENHANCED_MAX];
    txn_enhanced("550 5.1.1 ok", 9, out, sizeof out); /* cut before the detail's end */
    assert_string_equal(out, "5.1.1");
    txn_enhanced("550 5.1.1 ok", 8, out, sizeof out);
    assert_string_equal(out, ""); /* no detail within the bound: none */
}

static void addresses_for_mail_and_rcpt(void **state)
{
    (void)state;
    assert_true(txn_addr_ok("canary@example.com", false));
    assert_true(txn_addr_ok("", true));
    assert_false(txn_addr_ok("", false));
    assert_false(txn_addr_ok("no-at", false));
    assert_false(txn_addr_ok("a@b@c", false));
    assert_false(txn_addr_ok("@b", false));
    assert_false(txn_addr_ok("a@", false));
    assert_false(txn_addr_ok("a b@c", false));
    assert_false(txn_addr_ok("a@c>\r\nRCPT TO:<x@y", false));
    char long_addr[TXN_ADDR_MAX + 1];
    memset(long_addr, 'a', sizeof long_addr - 1);
    long_addr[5] = '@';
    long_addr[TXN_ADDR_MAX] = '\0';
    assert_false(txn_addr_ok(long_addr, false));
}

static struct txn_result failed_at(enum txn_phase ph, int code)
{
    struct txn_result r = {.mode = TXN_MODE_DATA, .failed = ph};
    r.step[TXN_GREETING].code = 220;
    r.step[ph].code = code;
    return r;
}

static void the_delivery_signal_of_a_transaction(void **state)
{
    (void)state;
    struct txn_result r = failed_at(TXN_RCPT, 451);
    assert_int_equal(txn_signal_of(&r), TXN_SIG_THROTTLED);
    r = failed_at(TXN_MAIL, 550);
    assert_int_equal(txn_signal_of(&r), TXN_SIG_REJECTED);
    r = failed_at(TXN_BODY, 552);
    assert_int_equal(txn_signal_of(&r), TXN_SIG_REJECTED);
    r = failed_at(TXN_DATA, 421);
    assert_int_equal(txn_signal_of(&r), TXN_SIG_THROTTLED);
    r = failed_at(TXN_EHLO, 550); /* before MAIL: the banner probe's business */
    assert_int_equal(txn_signal_of(&r), TXN_SIG_NONE);
    r = failed_at(TXN_CONNECT, 0);
    r.step[TXN_GREETING].code = 0;
    assert_int_equal(txn_signal_of(&r), TXN_SIG_NONE);
    r = failed_at(TXN_GREETING, 421);
    assert_int_equal(txn_signal_of(&r), TXN_SIG_NONE);
    r = failed_at(TXN_RCPT, 451);
    r.step[TXN_GREETING].code = 554; /* no 220 greeting */
    assert_int_equal(txn_signal_of(&r), TXN_SIG_NONE);
    r = (struct txn_result){.success = true};
    assert_int_equal(txn_signal_of(&r), TXN_SIG_OK);
    assert_string_equal(txn_phase_name(TXN_BODY), "body");
    assert_int_equal(txn_mode_parse("rcpt"), TXN_MODE_RCPT);
    assert_int_equal(txn_mode_parse("bogus"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enhanced_codes_are_read_only_when_well_formed),
        cmocka_unit_test(addresses_for_mail_and_rcpt),
        cmocka_unit_test(the_delivery_signal_of_a_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
