/* Unit tests of the delivery-attempt parser (probes/sources/pfattempt.c): the reason texts
 * Postfix 3.7's smtp(8) logs (the shapes of a private instance, see pfattempt.c), each
 * parsed by pflog first as the log source does, then hostile ones: overlong, control and
 * non-ASCII bytes, missing parts, every prefix of each line from an exact-size copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfattempt.h"

#define HEAD  "Dec  7 19:20:01 mail postfix/smtp[4242]: 3F1A2B4C5D: to=<u@throttle.test>, "
#define RELAY "relay=mx1.throttle.test[127.0.0.61]:2525, delay=0.2, delays=0/0/0.1/0.1, "

static struct pflog_event ev;
static struct pfattempt at;

/* Parses the line as the log source does; returns pfattempt's answer (-1: pflog refused). */
static int attempt(const char *line)
{
    size_t len = strlen(line);
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, line, len);
    int rc = pflog_parse_line(copy, len, &ev);
    if (rc == 1)
        rc = pfattempt_from_event(&ev, &at);
    else
        rc = -1;
    free(copy);
    return rc;
}

static void test_sent(void **state)
{
    (void)state;
    assert_int_equal(attempt(HEAD RELAY "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4AB)"), 1);
    assert_int_equal(at.cls, DELIV_SENT);
    assert_int_equal(at.outcome, OUT_OK);
    assert_int_equal(at.reply, 250);
    assert_string_equal(at.enhanced, "2.0.0");
    assert_string_equal(at.host, "mx1.throttle.test");
    assert_string_equal(at.addr, "127.0.0.61");
    assert_string_equal(at.text, "250 2.0.0 Ok: queued as 4AB");
    assert_int_equal(store_delivery_vote(&(struct delivery_attempt){.cls = at.cls}), VOTE_UP);
}

static void test_rcpt_451(void **state)
{
    (void)state;
    assert_int_equal(attempt(HEAD RELAY "dsn=4.7.1, status=deferred (host mx1.throttle.test"
                                        "[127.0.0.61] said: 451 4.7.1 Throttled: too many "
                                        "messages, try again later (in reply to RCPT TO command))"),
                     1);
    assert_int_equal(at.cls, DELIV_REPLY);
    assert_int_equal(at.cmd, DCMD_RCPT);
    assert_int_equal(at.reply, 451);
    assert_string_equal(at.enhanced, "4.7.1");
    assert_string_equal(at.host, "mx1.throttle.test");
    assert_string_equal(at.addr, "127.0.0.61");
    assert_string_equal(at.text, "451 4.7.1 Throttled: too many messages, try again later");
}

static void test_every_command(void **state)
{
    (void)state;
    static const struct {
        const char *phrase;
        enum delivery_cmd cmd;
    } c[] = {
        {"EHLO", DCMD_EHLO},      {"HELO", DCMD_EHLO},
        {"LHLO", DCMD_EHLO},      {"STARTTLS", DCMD_STARTTLS},
        {"MAIL FROM", DCMD_MAIL}, {"RCPT TO", DCMD_RCPT},
        {"DATA", DCMD_DATA},      {"end of DATA", DCMD_END_OF_DATA},
        {"XFORWARD", DCMD_OTHER},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 HEAD RELAY "dsn=5.7.1, status=bounced (host mx1.throttle.test[127.0.0.61] "
                            "said: 554 5.7.1 No (in reply to %s command))",
                 c[i].phrase);
        assert_int_equal(attempt(line), 1);
        assert_int_equal(at.cmd, c[i].cmd);
        assert_int_equal(at.reply, 554);
        assert_string_equal(at.text, "554 5.7.1 No");
    }
}

static void test_greeting(void **state)
{
    (void)state;
    assert_int_equal(attempt(HEAD RELAY "dsn=4.3.2, status=deferred (host mx1.throttle.test"
                                        "[127.0.0.61] refused to talk to me: 421 4.3.2 "
                                        "Service shutting down)"),
                     1);
    assert_int_equal(at.cls, DELIV_GREETING);
    assert_int_equal(at.cmd, DCMD_GREETING);
    assert_int_equal(at.outcome, OUT_BANNER_4XX);
    assert_int_equal(at.reply, 421);
    assert_string_equal(at.text, "421 4.3.2 Service shutting down");
}

static void test_connect(void **state)
{
    (void)state;
    static const struct {
        const char *why;
        enum mx_outcome out;
    } c[] = {
        {"Connection refused", OUT_REFUSED},
        {"Connection timed out", OUT_CONNECT_TIMEOUT},
        {"No route to host", OUT_UNREACHABLE},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 HEAD "relay=none, delay=0.1, delays=0/0/0.1/0, dsn=4.4.1, status=deferred "
                      "(connect to mx1.refused.test[127.0.0.62]:25: %s)",
                 c[i].why);
        assert_int_equal(attempt(line), 1);
        assert_int_equal(at.cls, DELIV_CONNECT);
        assert_int_equal(at.outcome, c[i].out);
        assert_string_equal(at.host, "mx1.refused.test");
        assert_string_equal(at.addr, "127.0.0.62");
        assert_int_equal(at.reply, 0);
    }
}

static void test_lost_and_timeout(void **state)
{
    (void)state;
    assert_int_equal(attempt(HEAD RELAY "dsn=4.4.2, status=deferred (lost connection with "
                                        "mx1.throttle.test[127.0.0.61] while receiving the "
                                        "initial server greeting)"),
                     1);
    assert_int_equal(at.cls, DELIV_LOST);
    assert_int_equal(at.cmd, DCMD_GREETING);
    assert_int_equal(at.outcome, OUT_PROTOCOL_ERROR);
    assert_string_equal(at.host, "mx1.throttle.test");
    assert_int_equal(attempt(HEAD RELAY "dsn=4.4.2, status=deferred (conversation with "
                                        "mx1.throttle.test[127.0.0.61] timed out while "
                                        "receiving the initial server greeting)"),
                     1);
    assert_int_equal(at.outcome, OUT_BANNER_TIMEOUT);
    assert_int_equal(attempt(HEAD RELAY "dsn=4.4.2, status=deferred (lost connection with "
                                        "mx1.throttle.test[127.0.0.61] while sending RCPT TO)"),
                     1);
    assert_int_equal(at.cmd, DCMD_RCPT);
}

static void test_tls(void **state)
{
    (void)state;
    assert_int_equal(attempt(HEAD RELAY "dsn=4.7.5, status=deferred (Cannot start TLS: "
                                        "handshake failure)"),
                     1);
    assert_int_equal(at.cls, DELIV_TLS);
    assert_int_equal(at.outcome, OUT_TLS_FAILED);
    assert_string_equal(at.host, "mx1.throttle.test");
    assert_int_equal(attempt(HEAD RELAY "dsn=4.7.4, status=deferred (TLS is required, but was "
                                        "not offered by host mx1.throttle.test[127.0.0.61])"),
                     1);
    assert_int_equal(at.cls, DELIV_TLS);
}

static void test_not_an_attempt(void **state)
{
    (void)state;
    /* qmgr: no attempt was made */
    assert_int_equal(attempt("Dec  7 19:20:01 mail postfix/qmgr[1]: 3F1A: to=<u@a.test>, "
                             "relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred "
                             "(delivery temporarily suspended: connect to x[1.2.3.4]:25: "
                             "Connection refused)"),
                     0);
    /* DNS: the probe sees it */
    assert_int_equal(attempt(HEAD "relay=none, delay=1, delays=1/0/0/0, dsn=4.4.3, "
                                  "status=deferred (Host or domain name not found. Name service "
                                  "error for name=a.test type=MX: Host not found, try again)"),
                     0);
    assert_int_equal(attempt("Dec  7 19:20:01 mail postfix/local[1]: 3F1A: to=<u@a.test>, "
                             "relay=local, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent "
                             "(delivered to mailbox)"),
                     0);
    /* a reply without a code */
    assert_int_equal(attempt(HEAD RELAY "dsn=4.0.0, status=deferred (host x[1.2.3.4] said: "
                                        "hello (in reply to RCPT TO command))"),
                     0);
}

static void test_hostile(void **state)
{
    (void)state;
    /* control and non-ASCII bytes in the reply become '?' */
    assert_int_equal(attempt(HEAD RELAY "dsn=4.7.1, status=deferred (host x[1.2.3.4] said: 451 "
                                        "4.7.1 a\x01\x1b[31mb\x7f\xc3\xa9 (in reply to RCPT TO "
                                        "command))"),
                     1);
    assert_string_equal(at.text, "451 4.7.1 a??[31mb???");
    /* an overlong reply is cut at STORE_REPLY_MAX - 1 */
    char line[20000], big[6000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(line, sizeof line,
             HEAD RELAY "dsn=4.7.1, status=deferred (host %s[%s] said: 451 4.7.1 %s (in reply to "
                        "RCPT TO command))",
             big, big, big);
    assert_int_equal(attempt(line), 1);
    assert_int_equal(strlen(at.text), STORE_REPLY_MAX - 1);
    assert_int_equal(strlen(at.host), STORE_DOMAIN_MAX - 1);
    assert_int_equal(strlen(at.addr), STORE_ADDR_STR_MAX - 1);
    /* a bad enhanced code is left out, the reply kept */
    assert_int_equal(attempt(HEAD RELAY "dsn=4.7.1, status=deferred (host x[1.2.3.4] said: 451 "
                                        "9.9.9.9.9.9.9 no (in reply to RCPT TO command))"),
                     1);
    assert_int_equal(at.reply, 451);
    assert_string_equal(at.enhanced, "");
    /* missing parts: no bracket, no code, nothing after the prefix */
    const char *broken[] = {
        HEAD RELAY "dsn=4.0.0, status=deferred (host said: 451 4.7.1 x)",
        HEAD RELAY "dsn=4.0.0, status=deferred (host x[1.2.3.4] said: )",
        HEAD RELAY "dsn=4.0.0, status=deferred (connect to )",
        HEAD RELAY "dsn=4.0.0, status=deferred (lost connection with )",
        HEAD RELAY "dsn=4.0.0, status=deferred (conversation with x timed out while )",
        HEAD RELAY "dsn=4.0.0, status=deferred (host x[1.2.3.4 said: 45)",
        HEAD RELAY "dsn=4.0.0, status=deferred (",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        int rc = attempt(broken[i]);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_true(strlen(at.text) < sizeof at.text);
            assert_true(at.cls > DELIV_NONE && at.cls < DELIV__COUNT);
        }
    }
}

/* Every prefix of every shape from an exact-size copy: a read past the end is a sanitizer
 * error; the answer is always 0, 1 or -1. */
static void test_every_prefix(void **state)
{
    (void)state;
    const char *lines[] = {
        HEAD RELAY "dsn=4.7.1, status=deferred (host mx1.throttle.test[127.0.0.61] said: 451 "
                   "4.7.1 Throttled (in reply to RCPT TO command))",
        HEAD "relay=none, delay=0.1, delays=0/0/0.1/0, dsn=4.4.1, status=deferred (connect to "
             "mx1.refused.test[127.0.0.62]:25: Connection refused)",
        HEAD RELAY "dsn=4.4.2, status=deferred (lost connection with mx1.throttle.test"
                   "[127.0.0.61] while sending RCPT TO)",
        HEAD RELAY "dsn=4.3.2, status=deferred (host x[1.2.3.4] refused to talk to me: 421 4.3.2 "
                   "bye)",
        HEAD RELAY "dsn=4.7.4, status=deferred (TLS is required, but host x[1.2.3.4] refused "
                   "to start TLS: 454 4.7.0 no)",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        for (size_t len = 0; len <= n; len++) {
            char *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, lines[i], len);
            if (pflog_parse_line(copy, len, &ev) == 1 && pfattempt_from_event(&ev, &at) == 1)
                assert_true(strlen(at.text) < sizeof at.text);
            free(copy);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sent),          cmocka_unit_test(test_rcpt_451),
        cmocka_unit_test(test_every_command), cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_connect),       cmocka_unit_test(test_lost_and_timeout),
        cmocka_unit_test(test_tls),           cmocka_unit_test(test_not_an_attempt),
        cmocka_unit_test(test_hostile),       cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
