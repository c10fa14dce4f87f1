/*
 * Unit tests of the MTA-STS host rule (probes/tlspolicy.c, tlspolicy_host_verdict): a host
 * passes when a pattern lists it and every address that answered showed TLS with a
 * certificate valid for it; addresses that did not answer say nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tlspolicy.h"

static void host_verdicts(void **state)
{
    (void)state;
    struct sts_policy p;
    char err[STS_ERR_MAX];
    const char *text = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 600\n";
    assert_int_equal(sts_parse_policy(text, strlen(text), &p, err, sizeof err), 0);
    struct mx_addr_result a[2] = {{.outcome = OUT_OK, .tls_negotiated = true, .tls_verified = true},
                                  {.outcome = OUT_REFUSED}};
    struct mx_host h = {.name = "mx1.example.test", .n_addrs = 2, .addrs = a};
    assert_int_equal(tlspolicy_host_verdict(&p, &h), STS_HOST_OK);
    a[1].outcome = OUT_OK; /* answered without TLS */
    assert_int_equal(tlspolicy_host_verdict(&p, &h), STS_HOST_BAD_CERT);
    a[1].tls_negotiated = true; /* TLS, but a certificate not valid for the name */
    assert_int_equal(tlspolicy_host_verdict(&p, &h), STS_HOST_BAD_CERT);
    a[1].tls_verified = true;
    assert_int_equal(tlspolicy_host_verdict(&p, &h), STS_HOST_OK);
    h.name = "mx1.other.test";
    assert_int_equal(tlspolicy_host_verdict(&p, &h), STS_HOST_NOT_LISTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
