/* Unit tests of the Postfix log-line parser (probes/sources/pflog.c): real line shapes from a
 * private Postfix 3.7 (tests/fixtures/postfix/maillog.sample: the log of
 * tests/integration/postfix_harness.sh, plus its last two lines, the nosuch.test and
 * "at@sign" ones, from an earlier run of the same harness without its error:
 * default_transport, when Postfix asked the host's resolver and got NXDOMAIN), hand-made
 * lines for the shapes a test Postfix cannot produce, malformed lines, and every bound of
 * struct pflog_event. Run by tests/run.sh from the top of the tree (MXW_TOP overrides where
 * the fixture is).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pflog.h"

static struct pflog_event ev;

static int parse(const char *line)
{
    return pflog_parse_line(line, strlen(line), &ev);
}

/* Parses from an exact-size heap copy, so a read past len is a sanitizer error. */
static int parse_exact(const char *line, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, line, len);
    int rc = pflog_parse_line(copy, len, &ev);
    free(copy);
    return rc;
}

#define SYSLOG "Nov 29 16:37:52 mail postfix/smtp[123]: "
#define SENT_TAIL                                                                                  \
    "4BCD1A0F2E: to=<User@Example.COM>, relay=mx1.example.com[192.0.2.1]:25, delay=0.5, "          \
    "delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F2A)"

static void assert_sent_fields(void)
{
    assert_int_equal(ev.kind, PFLOG_SENT);
    assert_string_equal(ev.queue_id, "4BCD1A0F2E");
    assert_string_equal(ev.rcpt_domain, "example.com");
    assert_string_equal(ev.relay_host, "mx1.example.com");
    assert_string_equal(ev.relay_addr, "192.0.2.1");
    assert_int_equal(ev.relay_port, 25);
    assert_string_equal(ev.dsn, "2.0.0");
    assert_int_equal(ev.dsn_code, 2000000);
    assert_int_equal(ev.smtp_reply, 0);
    assert_int_equal(ev.hard_class, PFLOG_HARD_NONE);
    assert_string_equal(ev.service, "smtp");
    assert_true(ev.delay_s == 0.5);
}

static void expect_malformed(const char *line, const char *why);

/* delay= is the time from arrival to this attempt: seconds with up to 9 decimals; absent
 * is -1 (a line without it), a value that is no number makes the line malformed. */
static void test_delay(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG "ABC: to=<a@x.test>, relay=none, delay=1234, status=sent"), 1);
    assert_true(ev.delay_s == 1234);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@x.test>, relay=none, delay=0.07, status=sent"), 1);
    assert_true(ev.delay_s > 0.0699 && ev.delay_s < 0.0701);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@x.test>, relay=none, status=sent"), 1);
    assert_true(ev.delay_s == -1);
    static const char *const bad[] = {"delay=",    "delay=.5",    "delay=1.",        "delay=-1",
                                      "delay=1e9", "delay=1.2.3", "delay=1234567890"};
    char line[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, SYSLOG "ABC: to=<a@x.test>, relay=none, %s, status=sent",
                 bad[i]);
        expect_malformed(line, "delay= is not a number of seconds");
    }
}

static void test_sent_in_every_timestamp_style(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG SENT_TAIL), 1);
    assert_sent_fields();
    assert_int_equal(parse("Nov  9 06:07:08 mail postfix/smtp[123]: " SENT_TAIL "\n"), 1);
    assert_sent_fields();
    assert_int_equal(
        parse("2026-11-29T16:37:52.123456+00:00 mail postfix/smtp[123]: " SENT_TAIL "\r\n"), 1);
    assert_sent_fields();
    assert_int_equal(parse("postfix/smtp[123]: " SENT_TAIL), 1);
    assert_sent_fields();
}

static void test_multi_instance_and_service_names(void **state)
{
    (void)state;
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix-out/smtp[9]: " SENT_TAIL), 1);
    assert_string_equal(ev.service, "smtp");
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix/relay/smtp[9]: " SENT_TAIL), 1);
    assert_string_equal(ev.service, "smtp");
    assert_int_equal(
        parse("Nov 29 16:37:52 mail postfix/local[9]: 4BCD1A0F2E: to=<root@mail.example.com>, "
              "orig_to=<postmaster>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, "
              "status=sent (delivered to mailbox)"),
        1);
    assert_string_equal(ev.service, "local");
    assert_string_equal(ev.relay_host, "local");
    assert_string_equal(ev.relay_addr, "");
    assert_int_equal(ev.relay_port, 0);
    /* A service name longer than the buffer is cut, never overflowed. */
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix/"
                           "a-very-long-pipe-service-name-for-tests[9]: " SENT_TAIL),
                     1);
    assert_string_equal(ev.service, "a-very-long-pipe-service-name-f");
}

static void test_deferred_with_remote_reply(void **state)
{
    (void)state;
    assert_int_equal(
        parse(SYSLOG "ABC123: to=<a@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, "
                     "delay=2, delays=0/0/1/1, dsn=4.7.0, status=deferred (host "
                     "mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages "
                     "from 192.0.2.9 temporarily deferred (in reply to MAIL FROM command))"),
        1);
    assert_int_equal(ev.kind, PFLOG_DEFERRED);
    assert_int_equal(ev.smtp_reply, 421);
    assert_int_equal(ev.dsn_code, 4007000);
    assert_int_equal(ev.hard_class, PFLOG_HARD_NONE);
    assert_int_equal(
        parse("Nov 29 16:37:52 mail postfix/qmgr[7]: ABC123: to=<b@down.example>, relay=none, "
              "delay=30, delays=30/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily "
              "suspended: connect to 192.0.2.7[192.0.2.7]:25: Connection refused)"),
        1);
    assert_int_equal(ev.kind, PFLOG_DEFERRED);
    assert_string_equal(ev.service, "qmgr");
    assert_string_equal(ev.relay_host, "none");
    assert_int_equal(ev.smtp_reply, 0);
}

static void test_bounce_classes_5xx_and_filter(void **state)
{
    (void)state;
    assert_int_equal(
        parse(SYSLOG "ABC: to=<nobody@gmail.com>, relay=gmail-smtp-in.l.google.com[2a00:1450:"
                     "400c:c0b::1b]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced "
                     "(host gmail-smtp-in.l.google.com[2a00:1450:400c:c0b::1b] said: 550-5.1.1 "
                     "The email account that you tried to reach does not exist. (in reply to "
                     "RCPT TO command))"),
        1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_5XX);
    assert_int_equal(ev.smtp_reply, 550);
    assert_string_equal(ev.relay_addr, "2a00:1450:400c:c0b::1b");
    /* A remote 5.7.x is policy or content: a blocklist hit counts as filter. */
    assert_int_equal(
        parse(SYSLOG "ABC: to=<x@example.org>, relay=mx.example.org[198.51.100.2]:25, delay=1, "
                     "delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host "
                     "mx.example.org[198.51.100.2] said: 554 5.7.1 Service unavailable; Client "
                     "host [192.0.2.9] blocked using zen.spamhaus.org (in reply to RCPT TO "
                     "command))"),
        1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_FILTER);
    assert_int_equal(ev.smtp_reply, 554);
    /* A 5.7.x decided locally (no remote reply) is a filter too. */
    assert_int_equal(parse(SYSLOG "ABC: to=<x@example.org>, relay=none, delay=0, dsn=5.7.1, "
                                  "status=bounced (TLS is required, but was not offered)"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_FILTER);
    assert_int_equal(ev.smtp_reply, 0);
    /* A remote 5xx whose text mentions DNS is still the remote's 5xx. */
    assert_int_equal(
        parse(SYSLOG "ABC: to=<x@example.org>, relay=mx.example.org[198.51.100.2]:25, delay=1, "
                     "dsn=5.1.2, status=bounced (host mx.example.org[198.51.100.2] said: 550 "
                     "5.1.2 Host not found (in reply to RCPT TO command))"),
        1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_5XX);
}

static void test_bounce_classes_dns_expired_other(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG "ABC: to=<a@nxdomain.example>, relay=none, delay=0.1, "
                                  "delays=0/0/0.1/0, dsn=5.4.4, status=bounced (Host or domain "
                                  "name not found. Name service error for name=nxdomain.example "
                                  "type=MX: Host not found)"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_DNS);
    /* The text alone is enough (a site may map its DSN codes differently). */
    assert_int_equal(parse(SYSLOG "ABC: to=<a@b.example>, relay=none, delay=0.1, dsn=5.0.0, "
                                  "status=bounced (Name service error for name=b.example type=A: "
                                  "Host not found)"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_DNS);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@null.example>, relay=none, delay=0, dsn=5.1.10, "
                                  "status=bounced (Domain null.example does not accept mail "
                                  "(nullMX))"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_DNS);
    assert_int_equal(ev.dsn_code, 5001010);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@slow.example>, relay=none, delay=432000, "
                                  "dsn=4.4.7, status=bounced (message too old)"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_EXPIRED);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@slow.example>, relay=none, delay=5, dsn=4.4.1, "
                                  "status=expired (connect to 192.0.2.7[192.0.2.7]:25: "
                                  "Connection refused)"),
                     1);
    assert_int_equal(ev.kind, PFLOG_EXPIRED);
    assert_int_equal(ev.hard_class, PFLOG_HARD_EXPIRED);
    assert_string_equal(ev.rcpt_domain, "slow.example");
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix/error[5]: ABC: to=<v@gone.test>, "
                           "relay=none, delay=0.02, delays=0.01/0.01/0/0.01, dsn=5.1.1, "
                           "status=bounced (mailbox gone, really)"),
                     1);
    assert_int_equal(ev.hard_class, PFLOG_HARD_OTHER);
    assert_string_equal(ev.service, "error");
}

static void test_expired_and_removed_are_per_message(void **state)
{
    (void)state;
    assert_int_equal(parse("Nov 29 16:42:54 mxw-test postfix/qmgr[6787]: AE848A720E5: "
                           "from=<a@origin.test>, status=expired, returned to sender"),
                     1);
    assert_int_equal(ev.kind, PFLOG_EXPIRED);
    assert_int_equal(ev.hard_class, PFLOG_HARD_EXPIRED);
    assert_string_equal(ev.queue_id, "AE848A720E5");
    assert_string_equal(ev.rcpt_domain, "");
    assert_string_equal(ev.service, "qmgr");
    assert_int_equal(parse("Nov 29 16:42:54 mxw-test postfix/qmgr[6787]: B13DEA72242: from=<>, "
                           "status=expired, returned to sender\n"),
                     1);
    assert_int_equal(ev.kind, PFLOG_EXPIRED);
    assert_int_equal(parse("Nov 29 16:43:39 mxw-test postfix/postsuper[7573]: D5C57A720B5: "
                           "removed"),
                     1);
    assert_int_equal(ev.kind, PFLOG_REMOVED);
    assert_string_equal(ev.queue_id, "D5C57A720B5");
    assert_int_equal(ev.hard_class, PFLOG_HARD_NONE);
    /* qmgr logs "removed" after every finished message: not a deletion. */
    assert_int_equal(parse("Nov 29 16:43:39 mxw-test postfix/qmgr[7]: D5C57A720B5: removed"), 0);
    assert_int_equal(parse("Nov 29 16:43:39 mxw-test postfix/postsuper[7573]: Deleted: 1 message"),
                     0);
    assert_int_equal(parse("Nov 29 16:43:39 mxw-test postfix/postsuper[7]: D5C57A720B5: "
                           "removed!"),
                     0);
}

static void test_address_shapes(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG "ABC: to=<\"with space\"@Up.Test>, relay=local, dsn=2.0.0, "
                                  "status=sent (ok)"),
                     1);
    assert_string_equal(ev.rcpt_domain, "up.test");
    assert_int_equal(parse(SYSLOG "ABC: to=<\"a@b>, relay=x\"@quoted.test>, relay=local, "
                                  "dsn=2.0.0, status=sent (ok)"),
                     1);
    assert_string_equal(ev.rcpt_domain, "quoted.test");
    assert_string_equal(ev.relay_host, "local");
    assert_int_equal(parse(SYSLOG "ABC: to=<\"esc\\\"aped@x\"@esc.test>, relay=local, "
                                  "dsn=2.0.0, status=sent (ok)"),
                     1);
    assert_string_equal(ev.rcpt_domain, "esc.test");
    assert_int_equal(parse(SYSLOG "ABC: to=<>, relay=none, dsn=5.1.3, status=bounced (bad)"), 1);
    assert_string_equal(ev.rcpt_domain, "");
    assert_int_equal(parse(SYSLOG "ABC: to=<root>, relay=local, dsn=2.0.0, status=sent (ok)"), 1);
    assert_string_equal(ev.rcpt_domain, "");
    assert_int_equal(parse(SYSLOG "ABC: to=<\"only@quoted\">, relay=local, dsn=2.0.0, "
                                  "status=sent (ok)"),
                     1);
    assert_string_equal(ev.rcpt_domain, "");
    assert_int_equal(parse(SYSLOG "ABC: to=<u@[192.0.2.1]>, orig_to=<\"x, y\"@Alias.Test>, "
                                  "relay=192.0.2.1[192.0.2.1]:25, conn_use=2, delay=1, "
                                  "dsn=2.0.0, status=sent (ok)"),
                     1);
    assert_string_equal(ev.rcpt_domain, "[192.0.2.1]");
    assert_int_equal(ev.relay_port, 25);
}

static void test_relay_shapes(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG "ABC: to=<a@v6.test>, relay=::1[::1]:27376, delay=0.05, "
                                  "dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
                     1);
    assert_string_equal(ev.relay_host, "::1");
    assert_string_equal(ev.relay_addr, "::1");
    assert_int_equal(ev.relay_port, 27376);
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix/lmtp[4]: ABC: to=<a@mail.test>, "
                           "relay=mail.test[private/dovecot-lmtp], delay=0.01, dsn=2.0.0, "
                           "status=sent (250 2.0.0 <a@mail.test> Saved)"),
                     1);
    assert_string_equal(ev.relay_host, "mail.test");
    assert_string_equal(ev.relay_addr, "private/dovecot-lmtp");
    assert_int_equal(ev.relay_port, 0);
    assert_int_equal(parse("Nov 29 16:37:52 mail postfix/pipe[4]: ABC: to=<a@mail.test>, "
                           "relay=dovecot, delay=0.01, dsn=2.0.0, status=sent (delivered via "
                           "dovecot service)"),
                     1);
    assert_string_equal(ev.relay_host, "dovecot");
    assert_int_equal(parse(SYSLOG "ABC: to=<a@x.test>, relay=mx.x.test[192.0.2.1]:65535, "
                                  "dsn=2.0.0, status=sent (ok)"),
                     1);
    assert_int_equal(ev.relay_port, 65535);
}

static void test_relay_fields_are_cut_at_their_bounds(void **state)
{
    (void)state;
    char line[1024], host[300], addr[60];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    memset(addr, 'a', sizeof addr - 1);
    addr[sizeof addr - 1] = '\0';
    snprintf(line, sizeof line,
             SYSLOG "ABC: to=<a@x.test>, relay=%s[%s]:25, dsn=2.0.0, "
                    "status=sent (ok)",
             host, addr);
    assert_int_equal(parse(line), 1);
    assert_int_equal(strlen(ev.relay_host), sizeof ev.relay_host - 1);
    assert_int_equal(strlen(ev.relay_addr), sizeof ev.relay_addr - 1);
    assert_int_equal(ev.relay_port, 25);
}

static void test_domain_bound(void **state)
{
    (void)state;
    char line[1024], dom[300];
    memset(dom, 'd', sizeof dom);
    memcpy(dom + 253 - 5, ".test", 5);
    dom[253] = '\0';
    snprintf(line, sizeof line, SYSLOG "ABC: to=<a@%s>, relay=none, dsn=2.0.0, status=sent", dom);
    assert_int_equal(parse(line), 1);
    assert_int_equal(strlen(ev.rcpt_domain), 253);
    snprintf(line, sizeof line, SYSLOG "ABC: to=<a@x%s>, relay=none, dsn=2.0.0, status=sent", dom);
    assert_int_equal(parse(line), -1);
    assert_string_equal(ev.why, "recipient domain longer than 253 bytes");
}

static void test_queue_id_bound(void **state)
{
    (void)state;
    const char *q31 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcde";
    char line[512];
    snprintf(line, sizeof line, SYSLOG "%s: to=<a@x.test>, relay=none, dsn=2.0.0, status=sent",
             q31);
    assert_int_equal(parse(line), 1);
    assert_string_equal(ev.queue_id, q31);
    snprintf(line, sizeof line, SYSLOG "%sf: to=<a@x.test>, relay=none, dsn=2.0.0, status=sent",
             q31);
    assert_int_equal(parse(line), -1);
    snprintf(line, sizeof line, "x postfix/postsuper[1]: %sf: removed", q31);
    assert_int_equal(parse(line), -1);
}

static void test_lines_of_no_interest(void **state)
{
    (void)state;
    const char *lines[] = {
        "",
        "\n",
        "Nov 29 16:37:52 mail postfix/smtpd[1]: connect from localhost[127.0.0.1]",
        "Nov 29 16:37:52 mail postfix/cleanup[1]: ABC: message-id=<1@x>",
        "Nov 29 16:37:52 mail postfix/qmgr[1]: ABC: from=<a@x>, size=302, nrcpt=1 (queue active)",
        "Nov 29 16:37:52 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 "
        "<a@x.test>: Relay access denied; from=<b@y> to=<a@x.test> proto=ESMTP helo=<x>",
        "Nov 29 16:37:52 mail postfix/cleanup[1]: ABC: reject: header Subject: spam from local; "
        "from=<a@o.test> to=<h@up.test>: 5.7.1 spam header seen",
        "Nov 29 16:37:52 mail postfix/bounce[1]: ABC: sender non-delivery notification: DEF",
        "Nov 29 16:37:52 mail postfix/smtp[1]: ABC: to=<a@x.test>, relay=mx[192.0.2.1]:25, "
        "dsn=2.1.5, status=deliverable (250 2.1.5 Ok)",
        "Nov 29 16:37:52 mail postfix/smtp[1]: connect to 192.0.2.7[192.0.2.7]:25:",
        "Nov 29 16:37:52 mail postfix/smtp[1]: connect to : Connection refused",
        "Nov 29 16:37:52 mail postfix/smtp[1]: connect to x[1.2.3.4]:99999: Connection refused",
        "Nov 29 16:37:52 mail postfix/smtp[1]: warning: connect to private/x: Connection refused",
        "Nov 29 16:37:52 mail postfix/smtp[1]: warning: ABC: to=<a@x.test>, status=sent",
        "Nov 29 16:37:52 mail sshd[1]: ABC: to=<a@x.test>, relay=none, dsn=2.0.0, status=sent",
        "Nov 29 16:37:52 mail dovecot: lmtp(a@x.test): msgid=<1@x>: saved mail to INBOX",
        "Nov 29 16:37:52 mail postfix/smtp[1] ABC: to=<a@x.test>, relay=none, status=sent",
        "Nov 29 16:37:52 mail postfix/smtp[1]:ABC: to=<a@x.test>, relay=none, status=sent",
        "Nov 29 16:37:52 mail postfix/smtp[x1]: ABC: to=<a@x.test>, relay=none, status=sent",
        "Nov 29 16:37:52 mail postfix/smtp[]: ABC: to=<a@x.test>, relay=none, status=sent",
        "Nov 29 16:37:52 mail postfix/[1]: ABC: to=<a@x.test>, relay=none, status=sent",
        "Nov 29 16:37:52 mail postfix/smtp[1]: : to=<a@x.test>, relay=none, status=sent",
        "no colon and no tag at all",
        "]: ABC: to=<a@x.test>, status=sent",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (parse(lines[i]) != 0)
            fail_msg("line %zu should be of no interest: %s", i, lines[i]);
    }
}

static void expect_span(const char *p, size_t n, const char *want)
{
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_pid_recipient_and_reason_spans(void **state)
{
    (void)state;
    assert_int_equal(parse(SYSLOG SENT_TAIL), 1);
    assert_int_equal(ev.pid, 123);
    expect_span(ev.rcpt, ev.rcpt_len, "User@Example.COM");
    expect_span(ev.reason, ev.reason_len, "250 2.0.0 Ok: queued as 9F2A");
    assert_int_equal(parse("x postfix/smtp[9]: A1: to=<\"a>b\"@x.test>, relay=none, dsn=4.4.1, "
                           "status=deferred (connect to x[192.0.2.1]:25: Connection refused)"),
                     1);
    expect_span(ev.rcpt, ev.rcpt_len, "\"a>b\"@x.test");
    expect_span(ev.reason, ev.reason_len, "connect to x[192.0.2.1]:25: Connection refused");
    assert_int_equal(parse("x postfix/smtp[1234567890123]: A1: to=<a@x.test>, status=sent"), 1);
    assert_int_equal(ev.pid, 123456789);
    assert_int_equal(ev.reason_len, 0);
    assert_int_equal(parse("x postfix/qmgr[7]: A1: from=<a@o.test>, status=expired, returned to "
                           "sender"),
                     1);
    assert_null(ev.rcpt);
    assert_int_equal(ev.rcpt_len, 0);
}

static void test_connection_failures(void **state)
{
    (void)state;
    assert_int_equal(parse("Nov 29 16:59:39 mxw-test postfix/smtp[8544]: connect to "
                           "127.0.0.32[127.0.0.32]:39633: Connection refused"),
                     1);
    assert_int_equal(ev.kind, PFLOG_CONNFAIL);
    assert_int_equal(ev.pid, 8544);
    assert_string_equal(ev.queue_id, "");
    assert_string_equal(ev.service, "smtp");
    assert_string_equal(ev.relay_host, "127.0.0.32");
    assert_string_equal(ev.relay_addr, "127.0.0.32");
    assert_int_equal(ev.relay_port, 39633);
    expect_span(ev.reason, ev.reason_len,
                "connect to 127.0.0.32[127.0.0.32]:39633: Connection refused");
    assert_int_equal(parse("x postfix-out/lmtp[2]: connect to mx.v6.test[2001:db8::1]:24: "
                           "Connection timed out"),
                     1);
    assert_string_equal(ev.relay_host, "mx.v6.test");
    assert_string_equal(ev.relay_addr, "2001:db8::1");
    assert_int_equal(ev.relay_port, 24);
    assert_string_equal(ev.service, "lmtp");
    assert_string_equal(pflog_kind_name(PFLOG_CONNFAIL), "connfail");
}

static void expect_malformed(const char *line, const char *why)
{
    int rc = parse(line);
    if (rc != -1)
        fail_msg("expected -1 (%s), got %d for: %s", why, rc, line);
    assert_string_equal(ev.why, why);
}

static void test_malformed_status_lines(void **state)
{
    (void)state;
    expect_malformed(SYSLOG "ABC: to=<a@example.com", "to=<...> not closed");
    expect_malformed(SYSLOG "ABC: to=<\"a@b.test>, relay=none, status=sent", "to=<...> not closed");
    expect_malformed(SYSLOG "ABC: to=<a@example.com>, relay=none, del", "field without '='");
    expect_malformed(SYSLOG "ABC: to=<a@example.com>", "line ends before status=");
    expect_malformed(SYSLOG "ABC: to=<a@example.com>, relay=none, delay=0.1",
                     "line ends before status=");
    expect_malformed(SYSLOG "ABC: to=<a@example.com>, relay=none, dsn=5.1",
                     "dsn= is not C.SSS.DDD");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, dsn=9.1.1, status=bounced",
                     "dsn= is not C.SSS.DDD");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, dsn=5.1.1234, status=bounced",
                     "dsn= is not C.SSS.DDD");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, dsn=5..1, status=bounced",
                     "dsn= is not C.SSS.DDD");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=none, dsn=2.0.0, status=bou",
                     "status= is not sent, deferred, bounced or expired");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=none, dsn=2.0.0, status=",
                     "status= is not sent, deferred, bounced or expired");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=mx[192.0.2.1:25, status=sent",
                     "relay= has '[' without ']'");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=mx[192.0.2.1]:70000, status=sent",
                     "relay= port is not a number up to 65535");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=mx[192.0.2.1]:, status=sent",
                     "relay= port is not a number up to 65535");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay=mx[192.0.2.1]x, status=sent",
                     "relay= has text after ']'");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, orig_to=<b@y.test, status=sent",
                     "orig_to=<...> not closed");
    expect_malformed(SYSLOG "ABC: to=<a@x.test>, relay", "field without '='");
    expect_malformed(SYSLOG "ABC: to=<a@x y.test>, relay=none, status=sent",
                     "recipient domain holds a space or control byte");
}

static void test_nul_and_high_bytes(void **state)
{
    (void)state;
    static const char in_domain[] = SYSLOG "ABC: to=<a@x\0y.test>, relay=none, dsn=2.0.0, "
                                           "status=sent (ok)";
    assert_int_equal(pflog_parse_line(in_domain, sizeof in_domain - 1, &ev), -1);
    assert_string_equal(ev.why, "recipient domain holds a space or control byte");
    static const char in_reason[] = SYSLOG "ABC: to=<a@x.test>, relay=none, dsn=5.0.0, "
                                           "status=bounced (said: \0 550 x)";
    assert_int_equal(pflog_parse_line(in_reason, sizeof in_reason - 1, &ev), 1);
    assert_int_equal(ev.smtp_reply, 0);
    static const char in_tag[] = "Nov 29\0 mail postfix/smtp[1]: ABC: to=<a@x.test>, "
                                 "relay=none, dsn=2.0.0, status=sent";
    assert_int_equal(pflog_parse_line(in_tag, sizeof in_tag - 1, &ev), 1);
    assert_int_equal(parse(SYSLOG "ABC: to=<a@B\xc3\xa9.test>, relay=none, dsn=2.0.0, "
                                  "status=sent"),
                     1);
    assert_string_equal(ev.rcpt_domain, "b\xc3\xa9.test");
}

/* Every prefix of real lines, from an exact-size buffer: never a read past len (the
 * sanitizer build turns one into a failure), and only -1, 0 or 1. */
static void test_every_prefix_stays_in_bounds(void **state)
{
    (void)state;
    const char *lines[] = {
        SYSLOG SENT_TAIL,
        SYSLOG "ABC: to=<\"q@x\"@d.test>, orig_to=<o@d.test>, relay=h[2001:db8::1]:25, "
               "dsn=5.7.1, status=bounced (host h[2001:db8::1] said: 554 5.7.1 no)",
        "Nov 29 16:42:54 mxw-test postfix/qmgr[6787]: AE848A720E5: from=<a@origin.test>, "
        "status=expired, returned to sender",
        "Nov 29 16:43:39 mxw-test postfix/postsuper[7573]: D5C57A720B5: removed",
        "Nov 29 16:48:10 mxw-test postfix/lmtp[20866]: DD479A72631: to=<l@lmtp.test>, "
        "relay=127.0.0.31[127.0.0.31]:21382, delay=0.02, delays=0/0.01/0/0, dsn=5.5.1, "
        "status=bounced (host 127.0.0.31[127.0.0.31] refused to talk to me: 500 5.5.1 Error)",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        for (size_t k = 0; k <= n; k++) {
            int rc = parse_exact(lines[i], k);
            assert_true(rc >= -1 && rc <= 1);
        }
        assert_int_equal(parse_exact(lines[i], n), 1);
    }
}

/* Random byte flips over a real line: whatever comes back must be -1, 0 or 1, with
 * NUL-terminated fields within their bounds when 1. */
static void test_mutated_lines(void **state)
{
    (void)state;
    const char *base = SYSLOG "ABC: to=<\"q@x\"@d.test>, orig_to=<o@d.test>, relay=h[::1]:25, "
                              "dsn=5.7.1, status=bounced (host h[::1] said: 554 5.7.1 no)";
    size_t n = strlen(base);
    char buf[256];
    unsigned seed = 12345;
    for (int iter = 0; iter < 200000; iter++) {
        memcpy(buf, base, n);
        for (int f = 0; f < 3; f++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(seed >> 20);
        }
        int rc = parse_exact(buf, (seed >> 4) % (n + 1));
        assert_true(rc >= -1 && rc <= 1);
        if (rc == 1) {
            assert_true(memchr(ev.rcpt_domain, 0, sizeof ev.rcpt_domain) != NULL);
            assert_true(memchr(ev.relay_host, 0, sizeof ev.relay_host) != NULL);
            assert_true(memchr(ev.relay_addr, 0, sizeof ev.relay_addr) != NULL);
        }
    }
}

/* The real log: the event for the one line holding `needle`. */
static char *fixture;

static const struct pflog_event *fixture_event(const char *needle)
{
    const char *hit = strstr(fixture, needle);
    assert_non_null(hit);
    const char *start = hit;
    while (start > fixture && start[-1] != '\n')
        start--;
    const char *nl = strchr(hit, '\n');
    size_t len = nl ? (size_t)(nl - start) : strlen(start);
    assert_int_equal(pflog_parse_line(start, len, &ev), 1);
    return &ev;
}

static int load_fixture(void **state)
{
    (void)state;
    const char *top = getenv("MXW_TOP");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/postfix/maillog.sample", top ? top : ".");
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fixture = calloc(1, 1 << 20);
    size_t n = fixture ? fread(fixture, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    return n > 0 ? 0 : -1;
}

static int free_fixture(void **state)
{
    (void)state;
    free(fixture);
    return 0;
}

static void test_real_log_counts(void **state)
{
    (void)state;
    unsigned kinds[PFLOG_CONNFAIL + 1] = {0}, malformed = 0;
    for (const char *p = fixture; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int rc = pflog_parse_line(p, len, &ev);
        if (rc < 0)
            malformed++;
        else if (rc > 0)
            kinds[ev.kind]++;
        p += len + (nl != NULL);
    }
    assert_int_equal(malformed, 0);
    assert_int_equal(kinds[PFLOG_SENT], 13);
    assert_int_equal(kinds[PFLOG_DEFERRED], 9);
    assert_int_equal(kinds[PFLOG_BOUNCED], 6);
    assert_int_equal(kinds[PFLOG_EXPIRED], 2);
    assert_int_equal(kinds[PFLOG_REMOVED], 1);
    assert_int_equal(kinds[PFLOG_CONNFAIL], 5); /* grep -c ']: connect to ' */
}

static void test_real_log_lines(void **state)
{
    (void)state;
    const struct pflog_event *e = fixture_event("to=<u2@Up.Test>");
    assert_string_equal(e->rcpt_domain, "up.test");
    assert_string_equal(e->relay_addr, "127.0.0.31");
    e = fixture_event("to=<r@reject.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_5XX);
    assert_int_equal(e->smtp_reply, 550);
    assert_int_equal(e->dsn_code, 5001001);
    e = fixture_event("to=<f@filter.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_FILTER);
    assert_int_equal(e->smtp_reply, 554);
    e = fixture_event("to=<n@unknown.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_DNS);
    assert_string_equal(e->service, "error");
    e = fixture_event("to=<w@nosuch.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_DNS);
    assert_string_equal(e->dsn, "5.4.4");
    e = fixture_event("cleanup[20833]: D53ACA7262F: to=<h@up.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_FILTER);
    e = fixture_event("to=<l@lmtp.test>");
    assert_int_equal(e->hard_class, PFLOG_HARD_5XX);
    assert_int_equal(e->smtp_reply, 500);
    e = fixture_event("to=<v@v6.test>");
    assert_string_equal(e->relay_addr, "::1");
    e = fixture_event("to=<\"at@sign\"@up.test>");
    assert_string_equal(e->rcpt_domain, "up.test");
    e = fixture_event("to=<s@soft.test>");
    assert_int_equal(e->kind, PFLOG_DEFERRED);
    assert_int_equal(e->smtp_reply, 450);
    e = fixture_event("to=<x@down.test>");
    assert_int_equal(e->kind, PFLOG_DEFERRED);
    assert_string_equal(e->relay_host, "none");
    e = fixture_event("from=<a2@origin.test>, status=expired");
    assert_int_equal(e->kind, PFLOG_EXPIRED);
    e = fixture_event("postsuper[20918]: BE6C3A72628: removed");
    assert_int_equal(e->kind, PFLOG_REMOVED);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pflog_kind_name(PFLOG_BOUNCED), "bounced");
    assert_string_equal(pflog_kind_name(PFLOG_REMOVED), "removed");
    assert_string_equal(pflog_hard_class_name(PFLOG_HARD_5XX), "5xx");
    assert_string_equal(pflog_hard_class_name(PFLOG_HARD_OTHER), "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sent_in_every_timestamp_style),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_multi_instance_and_service_names),
        cmocka_unit_test(test_deferred_with_remote_reply),
        cmocka_unit_test(test_bounce_classes_5xx_and_filter),
        cmocka_unit_test(test_bounce_classes_dns_expired_other),
        cmocka_unit_test(test_expired_and_removed_are_per_message),
        cmocka_unit_test(test_address_shapes),
        cmocka_unit_test(test_relay_shapes),
        cmocka_unit_test(test_relay_fields_are_cut_at_their_bounds),
        cmocka_unit_test(test_domain_bound),
        cmocka_unit_test(test_queue_id_bound),
        cmocka_unit_test(test_lines_of_no_interest),
        cmocka_unit_test(test_pid_recipient_and_reason_spans),
        cmocka_unit_test(test_connection_failures),
        cmocka_unit_test(test_malformed_status_lines),
        cmocka_unit_test(test_nul_and_high_bytes),
        cmocka_unit_test(test_every_prefix_stays_in_bounds),
        cmocka_unit_test(test_mutated_lines),
        cmocka_unit_test_setup_teardown(test_real_log_counts, load_fixture, free_fixture),
        cmocka_unit_test_setup_teardown(test_real_log_lines, load_fixture, free_fixture),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("pflog", tests, NULL, NULL);
}
