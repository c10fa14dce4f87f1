/*
 * Unit tests of the DANE matcher (probes/dane.c) on a chain made here (a test CA and a leaf
 * for mx.dane.test): DANE-EE and DANE-TA records by certificate and by key, SHA-256,
 * SHA-512 and whole data; a mismatch, a TA record for the wrong name, unusable records
 * (PKIX usages, bad lengths, truncated data) and a session without TLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "dane.h"

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca, *leaf;
static STACK_OF(X509) * chain;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       bool is_ca)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), is_ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (!is_ca)
        add_ext(x, issuer, NID_subject_alt_name, "DNS:mx.dane.test");
    assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
    return x;
}

static int setup(void **state)
{
    (void)state;
    ca_key = EVP_EC_gen("P-256");
    leaf_key = EVP_EC_gen("P-256");
    ca = make_cert(ca_key, "dane test CA", NULL, ca_key, true);
    leaf = make_cert(leaf_key, "mx.dane.test", ca, ca_key, false);
    chain = sk_X509_new_null();
    sk_X509_push(chain, leaf);
    sk_X509_push(chain, ca);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sk_X509_free(chain);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
    return 0;
}

/* A record for cert (selector 0) or its key (1), hashed by mtype. */
static struct dane_tlsa record(int usage, int selector, int mtype, X509 *x)
{
    struct dane_tlsa t = {
        .usage = (uint8_t)usage, .selector = (uint8_t)selector, .mtype = (uint8_t)mtype};
    unsigned char *der = NULL;
    int len = selector ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der) : i2d_X509(x, &der);
    assert_true(len > 0);
    if (mtype == 1) {
        SHA256(der, (size_t)len, t.data);
        t.len = 32;
    } else if (mtype == 2) {
        SHA512(der, (size_t)len, t.data);
        t.len = 64;
    } else if ((size_t)len <= DANE_DATA_MAX) {
        memcpy(t.data, der, (size_t)len);
        t.len = (size_t)len;
    } else {
        memcpy(t.data, der, DANE_DATA_MAX);
        t.len = DANE_DATA_MAX;
        t.truncated = true;
    }
    OPENSSL_free(der);
    return t;
}

static void ee_and_ta_records_match(void **state)
{
    (void)state;
    struct store_tls_chain c;
    dane_chain_digest(chain, "mx.dane.test", &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ta_ok, 2);
    struct dane_tlsa r[] = {record(3, 1, 1, leaf), record(3, 0, 2, leaf), record(2, 0, 1, ca),
                            record(2, 1, 2, ca)};
    for (size_t i = 0; i < 4; i++) {
        int which = -2;
        assert_int_equal(dane_match(&c, &r[i], 1, &which), DANE_MATCH);
        assert_int_equal(which, 0);
    }
}

static void mismatch_and_wrong_name(void **state)
{
    (void)state;
    struct store_tls_chain c;
    dane_chain_digest(chain, "mx.dane.test", &c);
    struct dane_tlsa r[2] = {record(3, 1, 1, leaf), record(3, 1, 1, leaf)};
    r[0].data[0] ^= 1;
    r[1].data[31] ^= 0x80;
    int which = 5;
    assert_int_equal(dane_match(&c, r, 2, &which), DANE_MISMATCH);
    assert_int_equal(which, -1);
    /* a leaf record for the CA, a CA record for the leaf */
    struct dane_tlsa swap[2] = {record(3, 1, 1, ca), record(2, 1, 1, leaf)};
    assert_int_equal(dane_match(&c, swap, 2, NULL), DANE_MISMATCH);
    /* DANE-TA needs the leaf valid for the MX name; DANE-EE does not */
    dane_chain_digest(chain, "other.dane.test", &c);
    assert_int_equal(c.ta_ok, 0);
    struct dane_tlsa ta = record(2, 0, 1, ca), ee = record(3, 1, 1, leaf);
    assert_int_equal(dane_match(&c, &ta, 1, NULL), DANE_MISMATCH);
    assert_int_equal(dane_match(&c, &ee, 1, NULL), DANE_MATCH);
}

static void unusable_records_and_no_tls(void **state)
{
    (void)state;
    struct store_tls_chain c;
    dane_chain_digest(chain, "mx.dane.test", &c);
    struct dane_tlsa pkix = record(1, 1, 1, leaf), short_hash = record(3, 1, 1, leaf);
    short_hash.len = 31;
    struct dane_tlsa whole = record(3, 0, 0, leaf); /* a whole certificate: over the bound */
    assert_true(whole.truncated);
    struct dane_tlsa bad_sel = record(3, 1, 1, leaf);
    bad_sel.selector = 2;
    struct dane_tlsa all[] = {pkix, short_hash, whole, bad_sel};
    assert_int_equal(dane_match(&c, all, 4, NULL), DANE_UNUSABLE);
    assert_int_equal(dane_match(&c, NULL, 0, NULL), DANE_NONE);
    struct dane_tlsa good = record(3, 1, 1, leaf);
    assert_int_equal(dane_match(NULL, &good, 1, NULL), DANE_NO_TLS);
    /* an unusable record beside a usable one does not hide the match */
    struct dane_tlsa mixed[] = {pkix, good};
    int which = -2;
    assert_int_equal(dane_match(&c, mixed, 2, &which), DANE_MATCH);
    assert_int_equal(which, 1);
}

static void whole_key_compared_in_full(void **state)
{
    (void)state;
    /* an Ed25519 key's SubjectPublicKeyInfo is 44 bytes: matching type 0 fits */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    X509 *x = make_cert(ed, "mx.dane.test", ca, ca_key, false);
    STACK_OF(X509) *sk = sk_X509_new_null();
    sk_X509_push(sk, x);
    struct store_tls_chain c;
    dane_chain_digest(sk, "mx.dane.test", &c);
    struct dane_tlsa t = record(3, 1, 0, x);
    assert_false(t.truncated);
    assert_int_equal(dane_match(&c, &t, 1, NULL), DANE_MATCH);
    t.data[t.len - 1] ^= 1;
    assert_int_equal(dane_match(&c, &t, 1, NULL), DANE_MISMATCH);
    sk_X509_free(sk);
    X509_free(x);
    EVP_PKEY_free(ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ee_and_ta_records_match),
        cmocka_unit_test(mismatch_and_wrong_name),
        cmocka_unit_test(unusable_records_and_no_tls),
        cmocka_unit_test(whole_key_compared_in_full),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
