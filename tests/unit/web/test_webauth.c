/*
 * test_webauth.c - the exporter-toolkit web config (exporters/web/webauth.c): loading and its
 * refusals (non-bcrypt hashes, unsupported TLS settings, header injection, the file and
 * user bounds), relative certificate paths, TLS version ranges, and the credential check
 * (right, wrong, unknown user, remembered credentials never letting another password in).
 */
#include "webauth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];
static char hash_alice[128], hash_bob[128];

/* bcrypt at the lowest cost, so the tests stay fast. */
static void make_hash(const char *password, char *out, size_t cap)
{
    char salt[64];
    assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof salt));
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    const char *h = crypt_r(password, salt, &cd);
    assert_non_null(h);
    assert_true(strlen(h) < cap);
    strcpy(out, h);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/mxw-webauth-XXXXXX");
    assert_non_null(mkdtemp(dir));
    make_hash("alice-secret", hash_alice, sizeof hash_alice);
    make_hash("bob-secret", hash_bob, sizeof hash_bob);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static struct webauth *load_text(const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return webauth_load(write_file("web.yml", text), err, errlen);
}

static void expect_refused(const char *text, const char *err_part)
{
    char err[512];
    struct webauth *a = load_text(text, err, sizeof err);
    if (a) {
        webauth_free(a);
        fail_msg("accepted: %s", text);
    }
    if (!strstr(err, err_part))
        fail_msg("error '%s' does not mention '%s'", err, err_part);
}

static void test_users_and_check(void **state)
{
    (void)state;
    char text[512], err[512];
    snprintf(text, sizeof text, "basic_auth_users:\n  alice: %s\n  bob: %s\n", hash_alice,
             hash_bob);
    struct webauth *a = load_text(text, err, sizeof err);
    assert_non_null(a);
    assert_int_equal(webauth_users(a), 2);
    assert_false(webauth_tls(a));
    const char *user = NULL;
    assert_true(webauth_check_credentials(a, "alice", "alice-secret", NULL, &user));
    assert_string_equal(user, "alice");
    assert_true(webauth_has_user(a, "bob"));
    assert_false(webauth_has_user(a, "carol"));
    assert_false(webauth_has_user(NULL, "bob"));
    assert_true(webauth_check_credentials(a, "bob", "bob-secret", NULL, &user));
    assert_string_equal(user, "bob");
    assert_false(webauth_check_credentials(a, "bob", "alice-secret", NULL, &user));
    assert_false(webauth_check_credentials(a, "carol", "alice-secret", NULL, &user));
    assert_false(webauth_check_credentials(a, NULL, NULL, NULL, &user));
    assert_false(webauth_check_credentials(a, "alice", "", NULL, &user));
    /* Remembered credentials (alice's, checked above) let nothing else in. */
    assert_true(webauth_check_credentials(a, "alice", "alice-secret", NULL, &user));
    assert_false(webauth_check_credentials(a, "alice", "alice-secreT", NULL, &user));
    assert_false(webauth_check_credentials(a, "bob", "alice-secret", NULL, &user));
    webauth_free(a);
}

static struct sockaddr_in addr4(const char *ip)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return sa;
}

/* An address that keeps guessing has its failures counted (its next checks wait behind
 * other clients', authq.h), but a right password from it still passes: behind NAT or a
 * proxy, one guesser must not lock everyone out. */
static void test_guessing_address_keeps_right_passwords(void **state)
{
    (void)state;
    char text[512], err[512];
    snprintf(text, sizeof text, "basic_auth_users:\n  alice: %s\n  bob: %s\n", hash_alice,
             hash_bob);
    struct webauth *a = load_text(text, err, sizeof err);
    assert_non_null(a);
    struct sockaddr_in ga = addr4("192.0.2.7"), other = addr4("192.0.2.8");
    const struct sockaddr *g = (const struct sockaddr *)&ga, *o = (const struct sockaddr *)&other;
    const char *user = NULL;
    struct webauth_pending p;
    assert_true(webauth_check_credentials(a, "alice", "alice-secret", g, &user));
    for (int i = 0; i < 6; i++)
        assert_false(webauth_check_credentials(a, "bob", "guess", g, &user));
    assert_int_equal(webauth_begin(a, "bob", "bob-secret", g, &p), WEBAUTH_CHECK);
    assert_int_equal(p.fails, 6);
    assert_int_equal(webauth_begin(a, "bob", "bob-secret", o, &p), WEBAUTH_CHECK);
    assert_int_equal(p.fails, 0);
    /* Remembered credentials pass without a check; bob's right password passes from the
     * guessing address too. */
    assert_int_equal(webauth_begin(a, "alice", "alice-secret", g, &p), WEBAUTH_PASS);
    assert_true(webauth_check_credentials(a, "bob", "bob-secret", g, &user));
    assert_string_equal(user, "bob");
    assert_int_equal(webauth_begin(a, NULL, NULL, g, &p), WEBAUTH_FAIL);
    webauth_free(a);
}

static void test_no_users_means_no_authentication(void **state)
{
    (void)state;
    char err[512];
    struct webauth *a = load_text("", err, sizeof err);
    assert_non_null(a);
    const char *user = NULL;
    assert_true(webauth_check_credentials(a, NULL, NULL, NULL, &user));
    webauth_free(a);
    assert_true(webauth_check_credentials(NULL, NULL, NULL, NULL, &user));
}

static void test_verify_password(void **state)
{
    (void)state;
    assert_true(webauth_verify_password("alice-secret", hash_alice));
    assert_false(webauth_verify_password("alice-secreT", hash_alice));
    assert_false(webauth_verify_password("alice-secret", "*"));
    assert_false(webauth_verify_password("x", "not a hash"));
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("basic_auth_users:\n  alice: plaintext\n", "not bcrypt");
    expect_refused("basic_auth_users:\n  alice: $1$abc$abcdefghijklmnopqrstuv\n", "not bcrypt");
    expect_refused("bogus: 1\n", "unknown key 'bogus'");
    expect_refused("- a\n- b\n", "expected a mapping");
    expect_refused("basic_auth_users: [a]\n", "basic_auth_users");
    /* The admin list lives in the main configuration now (web.delivernow.admin_users). */
    expect_refused("mxwatch_admin_users: [alice]\n", "web.delivernow.admin_users");
    expect_refused("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
                   "not supported");
    expect_refused("tls_server_config:\n  client_ca_file: ca.pem\n", "not supported");
    expect_refused("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
                   "not supported");
    expect_refused("tls_server_config:\n  min_version: SSL3\n", "TLS10, TLS11, TLS12 or TLS13");
    expect_refused("tls_server_config:\n  cert: x\n", "both a certificate and a key");
    expect_refused("tls_server_config:\n  cert_file: /nonexistent/c.pem\n  key: k\n",
                   "/nonexistent/c.pem: cannot open");
    expect_refused("http_server_config:\n  headers:\n    X-A: \"v\\r\\nSet-Cookie: x\"\n",
                   "bad header");
    expect_refused("basic_auth_users: {a: [\n", "YAML syntax");
    char err[512];
    assert_null(webauth_load("/nonexistent/web.yml", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/web.yml: cannot open"));
}

static void test_tls_files_relative_to_the_config_and_versions(void **state)
{
    (void)state;
    write_file("cert.pem", "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n");
    write_file("key.pem", "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n");
    char err[512];
    struct webauth *a = load_text("tls_server_config:\n  cert_file: cert.pem\n  key_file: "
                                  "key.pem\n  min_version: TLS13\n"
                                  "http_server_config:\n  http2: false\n  headers:\n"
                                  "    Strict-Transport-Security: max-age=60\n",
                                  err, sizeof err);
    if (!a)
        fail_msg("%s", err);
    assert_true(webauth_tls(a));
    struct MHD_OptionItem opts[WEBAUTH_TLS_OPTIONS_MAX];
    webauth_tls_options(a, opts);
    assert_int_equal(opts[0].option, MHD_OPTION_HTTPS_MEM_CERT);
    assert_non_null(strstr(opts[0].ptr_value, "CERT"));
    assert_int_equal(opts[1].option, MHD_OPTION_HTTPS_MEM_KEY);
    assert_int_equal(opts[2].option, MHD_OPTION_HTTPS_PRIORITIES);
    assert_string_equal(opts[2].ptr_value, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
    assert_int_equal(opts[3].option, MHD_OPTION_END);
    webauth_free(a);
    /* The toolkit's default range is TLS 1.2 and up. */
    a = load_text("tls_server_config: {cert: C, key: K}\n", err, sizeof err);
    assert_non_null(a);
    webauth_tls_options(a, opts);
    assert_string_equal(opts[2].ptr_value, "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3");
    webauth_free(a);
    webauth_tls_options(NULL, opts);
    assert_int_equal(opts[0].option, MHD_OPTION_END);
}

/* The bounds: WEBAUTH_USERS_MAX users, WEBAUTH_FILE_MAX bytes. */
static void test_bounds(void **state)
{
    (void)state;
    size_t cap = (WEBAUTH_USERS_MAX + 1) * 100 + 64;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(text, cap, "basic_auth_users:\n");
    for (int i = 0; i < WEBAUTH_USERS_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len, "  u%d: %s\n", i, hash_bob);
    char err[512];
    struct webauth *a = load_text(text, err, sizeof err);
    if (!a)
        fail_msg("%d users refused: %s", WEBAUTH_USERS_MAX, err);
    webauth_free(a);
    snprintf(text + len, cap - len, "  one-more: %s\n", hash_bob);
    expect_refused(text, "more than 256 users");
    free(text);
    text = malloc(WEBAUTH_FILE_MAX + 2);
    memset(text, '#', WEBAUTH_FILE_MAX + 1);
    text[WEBAUTH_FILE_MAX + 1] = '\0';
    expect_refused(text, "larger than");
    text[WEBAUTH_FILE_MAX] = '\0'; /* exactly at the bound: an (empty) comment file */
    a = load_text(text, err, sizeof err);
    assert_non_null(a);
    webauth_free(a);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_and_check),
        cmocka_unit_test(test_guessing_address_keeps_right_passwords),
        cmocka_unit_test(test_no_users_means_no_authentication),
        cmocka_unit_test(test_verify_password),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tls_files_relative_to_the_config_and_versions),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
