/*
 * Unit tests of smtp_classify (probes/smtp.c): every outcome class of one SMTP check from
 * what libcurl returned and what the session saw, including the edges between classes
 * (a timeout before and after the TCP connect, before and after the greeting, after EHLO;
 * a greeting that is neither 2xx, 4xx nor 5xx), and the names the classes carry in
 * metrics, which are a public interface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>

#include "smtp.h"
#include "store.h"

#define CHECK(want, ...)                                                                           \
    do {                                                                                           \
        struct smtp_seen s_ = {__VA_ARGS__};                                                       \
        assert_string_equal(store_outcome_name(smtp_classify(&s_)), store_outcome_name(want));     \
    } while (0)

static void ok_after_ehlo_or_helo(void **state)
{
    (void)state;
    CHECK(OUT_OK, .rc = CURLE_OK, .connected = 1, .greeting_code = 220, .ehlo_code = 250);
    CHECK(OUT_OK, .rc = CURLE_OK, .connected = 1, .greeting_code = 220, .ehlo_code = 502,
          .helo_code = 250);
    CHECK(OUT_OK, .rc = CURLE_OK, .connected = 1, .greeting_code = 220, .ehlo_code = 250,
          .tls_started = 1);
}

static void refused_unreachable_and_connect_timeout(void **state)
{
    (void)state;
    CHECK(OUT_REFUSED, .rc = CURLE_COULDNT_CONNECT, .os_errno = ECONNREFUSED);
    CHECK(OUT_UNREACHABLE, .rc = CURLE_COULDNT_CONNECT, .os_errno = ENETUNREACH);
    CHECK(OUT_UNREACHABLE, .rc = CURLE_COULDNT_CONNECT, .os_errno = EHOSTUNREACH);
    CHECK(OUT_CONNECT_TIMEOUT, .rc = CURLE_COULDNT_CONNECT, .os_errno = ETIMEDOUT);
    CHECK(OUT_CONNECT_TIMEOUT, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 0);
}

static void timeouts_after_the_connect(void **state)
{
    (void)state;
    CHECK(OUT_BANNER_TIMEOUT, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1);
    /* EHLO never answered */
    CHECK(OUT_EHLO_REJECTED, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .greeting_code = 220);
    /* EHLO accepted, then STARTTLS never answered or the handshake stalled */
    CHECK(OUT_TLS_FAILED, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .greeting_code = 220,
          .ehlo_code = 250);
    CHECK(OUT_TLS_FAILED, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .greeting_code = 220,
          .ehlo_code = 250, .tls_started = 1);
}

static void greeting_classes_win_over_the_transport(void **state)
{
    (void)state;
    CHECK(OUT_BANNER_4XX, .rc = CURLE_WEIRD_SERVER_REPLY, .connected = 1, .greeting_code = 421);
    CHECK(OUT_BANNER_4XX, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .greeting_code = 450);
    CHECK(OUT_BANNER_5XX, .rc = CURLE_WEIRD_SERVER_REPLY, .connected = 1, .greeting_code = 554);
    CHECK(OUT_BANNER_5XX, .rc = CURLE_RECV_ERROR, .connected = 1, .greeting_code = 521);
    /* Neither 220 nor 554: not SMTP */
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_WEIRD_SERVER_REPLY, .connected = 1, .greeting_code = 354);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_WEIRD_SERVER_REPLY, .connected = 1, .greeting_code = 199);
}

static void ehlo_and_helo_rejected(void **state)
{
    (void)state;
    CHECK(OUT_EHLO_REJECTED, .rc = CURLE_REMOTE_ACCESS_DENIED, .connected = 1, .greeting_code = 220,
          .ehlo_code = 550, .helo_code = 550);
    CHECK(OUT_EHLO_REJECTED, .rc = CURLE_OK, .connected = 1, .greeting_code = 220,
          .ehlo_code = 554);
}

static void tls_failures(void **state)
{
    (void)state;
    CHECK(OUT_TLS_FAILED, .rc = CURLE_SSL_CONNECT_ERROR, .connected = 1, .greeting_code = 220,
          .ehlo_code = 250, .tls_started = 1);
    CHECK(OUT_TLS_FAILED, .rc = CURLE_USE_SSL_FAILED, .connected = 1, .greeting_code = 220,
          .ehlo_code = 250);
    CHECK(OUT_TLS_FAILED, .rc = CURLE_PEER_FAILED_VERIFICATION, .connected = 1,
          .greeting_code = 220, .ehlo_code = 250, .tls_started = 1);
    CHECK(OUT_TLS_FAILED, .rc = CURLE_SSL_CIPHER, .connected = 1, .greeting_code = 220);
    CHECK(OUT_TLS_FAILED, .rc = CURLE_RECV_ERROR, .connected = 1, .greeting_code = 220,
          .ehlo_code = 250, .tls_started = 1);
}

static void protocol_errors(void **state)
{
    (void)state;
    /* a reset right after accept: depending on timing libcurl sees it during or after
     * its connect, and both must give the same class */
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_COULDNT_CONNECT, .os_errno = ECONNRESET);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_RECV_ERROR, .connected = 1, .os_errno = ECONNRESET);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_COULDNT_CONNECT, .os_errno = ECONNABORTED);
    /* garbage, then the server closes */
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_RECV_ERROR, .connected = 1);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_GOT_NOTHING, .connected = 1);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_WEIRD_SERVER_REPLY, .connected = 1);
    CHECK(OUT_PROTOCOL_ERROR, .rc = CURLE_SEND_ERROR, .connected = 1, .greeting_code = 220);
}

static void local_errors(void **state)
{
    (void)state;
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_INTERFACE_FAILED, .os_errno = EADDRNOTAVAIL);
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_OUT_OF_MEMORY);
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_FAILED_INIT);
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_COULDNT_RESOLVE_HOST);
    /* This side out of descriptors, buffers or ports: never the address's fault. */
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_COULDNT_CONNECT, .os_errno = EMFILE);
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_COULDNT_CONNECT, .os_errno = ENFILE);
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_COULDNT_CONNECT, .os_errno = ENOBUFS);
    /* A deadline the agent saw long after it was due: it fell behind, nothing learnt. */
    CHECK(OUT_LOCAL_ERROR, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .late = 1);
    CHECK(OUT_BANNER_TIMEOUT, .rc = CURLE_OPERATION_TIMEDOUT, .connected = 1, .late = 0);
}

/* The class names are a public interface (metrics, JSON, alert rules). */
static void outcome_and_reason_names_are_stable(void **state)
{
    (void)state;
    static const char *const outcomes[OUT__COUNT] = {
        "not_probed",     "ok",          "refused",    "unreachable",   "connect_timeout",
        "banner_timeout", "banner_4xx",  "banner_5xx", "ehlo_rejected", "tls_failed",
        "protocol_error", "local_error",
    };
    static const char *const reasons[REASON__COUNT] = {
        "not_probed", "ok",         "dns_nxdomain", "dns_temporary", "null_mx",
        "no_address", "all_failed", "local",        "mta_sts",       "dane",
    };
    for (int i = 0; i < OUT__COUNT; i++)
        assert_string_equal(store_outcome_name((enum mx_outcome)i), outcomes[i]);
    for (int i = 0; i < REASON__COUNT; i++)
        assert_string_equal(store_reason_name((enum dest_reason)i), reasons[i]);
    assert_string_equal(store_outcome_name(OUT__COUNT), "unknown");
    assert_string_equal(store_reason_name(REASON__COUNT), "unknown");
    assert_int_equal(store_result_slots(), OUT__COUNT + REASON__COUNT);
    assert_string_equal(store_result_name(OUT_REFUSED), "refused");
    assert_string_equal(store_result_name(OUT__COUNT + REASON_NULL_MX), "null_mx");
    assert_string_equal(store_result_name(999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ok_after_ehlo_or_helo),
        cmocka_unit_test(refused_unreachable_and_connect_timeout),
        cmocka_unit_test(timeouts_after_the_connect),
        cmocka_unit_test(greeting_classes_win_over_the_transport),
        cmocka_unit_test(ehlo_and_helo_rejected),
        cmocka_unit_test(tls_failures),
        cmocka_unit_test(protocol_errors),
        cmocka_unit_test(local_errors),
        cmocka_unit_test(outcome_and_reason_names_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
