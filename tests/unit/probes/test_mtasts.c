/*
 * Unit tests of the TLS policy texts (probes/mtasts.c): MTA-STS TXT records and policy files
 * (RFC 8461), MX pattern matching, and TLS-RPT records (RFC 8460): a passing, a failing and
 * a malformed case of each, and the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

static enum txt_policy sts_txt(const char *a, const char *b, char *id)
{
    const char *txt[2] = {a, b};
    char err[STS_ERR_MAX] = "";
    return sts_parse_txt(txt, b ? 2 : 1, id, err, sizeof err);
}

static void sts_txt_takes_the_id(void **state)
{
    (void)state;
    char id[STS_ID_MAX];
    assert_int_equal(sts_txt("v=STSv1; id=20160831085700Z;", NULL, id), TXT_POLICY_OK);
    assert_string_equal(id, "20160831085700Z");
    assert_int_equal(sts_txt("v = STSv1 ;ext=1; id = abc", NULL, id), TXT_POLICY_OK);
    assert_string_equal(id, "abc");
    /* another record beside it is not MTA-STS and does not count */
    assert_int_equal(sts_txt("v=spf1 -all", "v=STSv1; id=x1", id), TXT_POLICY_OK);
    assert_string_equal(id, "x1");
}

static void sts_txt_absent_multiple_malformed(void **state)
{
    (void)state;
    char id[STS_ID_MAX];
    assert_int_equal(sts_txt("v=spf1 -all", NULL, id), TXT_POLICY_ABSENT);
    assert_int_equal(sts_txt("v=STSv1; id=a", "v=STSv1; id=b", id), TXT_POLICY_MULTIPLE);
    assert_int_equal(sts_txt("v=STSv1;", NULL, id), TXT_POLICY_MALFORMED);
    assert_int_equal(sts_txt("v=STSv1; id=", NULL, id), TXT_POLICY_MALFORMED);
    assert_int_equal(sts_txt("v=STSv1; id=has-dash", NULL, id), TXT_POLICY_MALFORMED);
    /* 33 characters: one over the bound */
    assert_int_equal(sts_txt("v=STSv1; id=123456789012345678901234567890123", NULL, id),
                     TXT_POLICY_MALFORMED);
    assert_int_equal(sts_txt("v=STSv1; id=12345678901234567890123456789012", NULL, id),
                     TXT_POLICY_OK);
}

static int policy(const char *text, struct sts_policy *p, char *err)
{
    return sts_parse_policy(text, strlen(text), p, err, STS_ERR_MAX);
}

static void policy_enforce_with_patterns(void **state)
{
    (void)state;
    struct sts_policy p;
    char err[STS_ERR_MAX] = "";
    assert_int_equal(policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
                            "mx: *.Example.NET.\r\nmax_age: 604800\r\nfuture: x\r\n",
                            &p, err),
                     0);
    assert_int_equal(p.mode, STS_MODE_ENFORCE);
    assert_int_equal(p.max_age, 604800);
    assert_int_equal(p.n_mx, 2);
    assert_string_equal(p.mx[1], "*.example.net");
    /* LF alone and no final line end */
    assert_int_equal(policy("version: STSv1\nmode: testing\nmx: a.b\nmax_age: 86400", &p, err), 0);
    assert_int_equal(p.mode, STS_MODE_TESTING);
    assert_int_equal(policy("version: STSv1\nmode: none\nmax_age: 0\n", &p, err), 0);
}

static void policy_faults_name_the_line(void **state)
{
    (void)state;
    struct sts_policy p;
    char err[STS_ERR_MAX];
    assert_int_equal(policy("version: STSv2\nmode: enforce\n", &p, err), -1);
    assert_string_equal(err, "line 1: version is not STSv1");
    assert_int_equal(policy("version: STSv1\nmode: strict\n", &p, err), -1);
    assert_string_equal(err, "line 2: mode is not enforce, testing or none");
    assert_int_equal(policy("version: STSv1\nmode: enforce\nmax_age: 86400\n", &p, err), -1);
    assert_non_null(strstr(err, "no mx"));
    assert_int_equal(policy("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n", &p, err),
                     -1);
    assert_string_equal(err, "line 4: max_age over 31557600");
    assert_int_equal(policy("version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 1\n", &p, err), -1);
    assert_int_equal(policy("version: STSv1\nmode: enforce\nmx: a.*.b\nmax_age: 1\n", &p, err), -1);
    assert_int_equal(policy("<html>moved</html>\n", &p, err), -1);
    assert_int_equal(policy("", &p, err), -1);
}

static void policy_bounds(void **state)
{
    (void)state;
    struct sts_policy p;
    char err[STS_ERR_MAX];
    char *big = malloc(STS_BODY_MAX + 2);
    memset(big, 'a', STS_BODY_MAX + 1);
    big[STS_BODY_MAX + 1] = '\0';
    assert_int_equal(sts_parse_policy(big, STS_BODY_MAX + 1, &p, err, sizeof err), -1);
    assert_string_equal(err, "line 0: policy over 65536 bytes");
    free(big);
    char text[4096] = "version: STSv1\nmode: enforce\nmax_age: 1\n";
    for (int i = 0; i < STS_MX_MAX; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "mx: m%d.example\n", i);
    assert_int_equal(policy(text, &p, err), 0);
    strcat(text, "mx: one-more.example\n");
    assert_int_equal(policy(text, &p, err), -1);
    assert_non_null(strstr(err, "more than 16"));
    char line[1100] = "mx: ";
    memset(line + 4, 'a', 1030);
    line[1034] = '\0';
    assert_int_equal(policy(line, &p, err), -1);
    assert_string_equal(err, "line 1: line over 1024 bytes");
    const char nul[] = "version: STSv1\nmo\0de: enforce\n";
    assert_int_equal(sts_parse_policy(nul, sizeof nul - 1, &p, err, sizeof err), -1);
    assert_string_equal(err, "line 2: NUL byte");
}

static void mx_patterns_match_one_label(void **state)
{
    (void)state;
    struct sts_policy p;
    char err[STS_ERR_MAX];
    assert_int_equal(policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                            "mx: *.mail.example.org\nmax_age: 1\n",
                            &p, err),
                     0);
    assert_true(sts_mx_matches(&p, "mx1.example.com"));
    assert_true(sts_mx_matches(&p, "MX1.Example.Com."));
    assert_true(sts_mx_matches(&p, "a.mail.example.org"));
    assert_false(sts_mx_matches(&p, "mail.example.org"));
    assert_false(sts_mx_matches(&p, "a.b.mail.example.org"));
    assert_false(sts_mx_matches(&p, "mx2.example.com"));
    assert_false(sts_mx_matches(&p, "*.mail.example.org"));
    assert_false(sts_mx_matches(&p, ""));
}

static enum txt_policy rpt(const char *a, char *rua)
{
    const char *txt[1] = {a};
    char err[STS_ERR_MAX] = "";
    return tlsrpt_parse_txt(txt, 1, rua, err, sizeof err);
}

static void tlsrpt_record(void **state)
{
    (void)state;
    char rua[TLSRPT_RUA_MAX];
    assert_int_equal(rpt("v=TLSRPTv1; rua=mailto:tls@example.com, https://r.example/v1", rua),
                     TXT_POLICY_OK);
    assert_string_equal(rua, "mailto:tls@example.com,https://r.example/v1");
    assert_int_equal(rpt("v=TLSRPTv1; rua=ftp://x", rua), TXT_POLICY_MALFORMED);
    assert_int_equal(rpt("v=TLSRPTv1;", rua), TXT_POLICY_MALFORMED);
    assert_int_equal(rpt("v=STSv1; id=1", rua), TXT_POLICY_ABSENT);
    char long_rua[600] = "v=TLSRPTv1; rua=mailto:";
    memset(long_rua + strlen(long_rua), 'x', 500);
    assert_int_equal(rpt(long_rua, rua), TXT_POLICY_OK);
    assert_int_equal(strlen(rua), TLSRPT_RUA_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sts_txt_takes_the_id),
        cmocka_unit_test(sts_txt_absent_multiple_malformed),
        cmocka_unit_test(policy_enforce_with_patterns),
        cmocka_unit_test(policy_faults_name_the_line),
        cmocka_unit_test(policy_bounds),
        cmocka_unit_test(mx_patterns_match_one_label),
        cmocka_unit_test(tlsrpt_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
