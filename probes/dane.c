/*
 * dane.c - DANE for SMTP (dane.h): the digests of a presented chain, read once per TLS
 * session, and the TLSA match against them. The session keeps digests, not certificates, so
 * every destination behind an address is judged from one block of a few hundred bytes; a
 * matching type 0 record (the whole certificate or key) is compared through its SHA-256,
 * which says the same as comparing the bytes. OpenSSL on the loop thread; never logs.
 */
#include "dane.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

/* SHA-256 and SHA-512 of what i2d wrote for one object. */
static void digests(unsigned char *der, int len, uint8_t d256[32], uint8_t d512[64])
{
    if (len <= 0) {
        memset(d256, 0, 32);
        memset(d512, 0, 64);
        return;
    }
    SHA256(der, (size_t)len, d256);
    SHA512(der, (size_t)len, d512);
    OPENSSL_free(der);
}

/* Whether leaf, with the presented certificates as helpers, chains up to ta taken as the
 * trust anchor (partial chains allowed, as DANE-TA does) and is valid for name. */
static bool chains_to(X509 *leaf, STACK_OF(X509) * presented, X509 *ta, const char *name)
{
    bool ok = false;
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (st && ctx && X509_STORE_add_cert(st, ta) == 1 &&
        X509_STORE_CTX_init(ctx, st, leaf, presented) == 1) {
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (name && *name)
            X509_VERIFY_PARAM_set1_host(vp, name, 0);
        ok = X509_verify_cert(ctx) == 1;
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return ok;
}

void dane_chain_read(struct ssl_st *ssl, const char *name, struct store_tls_chain *out)
{
    dane_chain_digest(SSL_get_peer_cert_chain(ssl), name, out); /* a client's has the leaf */
}

void dane_chain_digest(struct stack_st_X509 *sk, const char *name, struct store_tls_chain *out)
{
    memset(out, 0, sizeof *out);
    int n = sk ? sk_X509_num(sk) : 0;
    for (int i = 0; i < n && i < STORE_CHAIN_MAX; i++) {
        X509 *x = sk_X509_value(sk, i);
        unsigned char *der = NULL;
        int len = i2d_X509(x, &der);
        digests(der, len, out->c[i].cert256, out->c[i].cert512);
        der = NULL;
        len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
        digests(der, len, out->c[i].spki256, out->c[i].spki512);
        out->n = (uint8_t)(i + 1);
    }
    for (int i = 1; i < out->n; i++)
        if (chains_to(sk_X509_value(sk, 0), sk, sk_X509_value(sk, i), name))
            out->ta_ok |= (uint8_t)(1u << i);
}

bool dane_usable(const struct dane_tlsa *t)
{
    if ((t->usage != 2 && t->usage != 3) || t->selector > 1 || t->truncated)
        return false;
    switch (t->mtype) {
    case 0: return t->len > 0 && t->len <= DANE_DATA_MAX;
    case 1: return t->len == 32;
    case 2: return t->len == 64;
    }
    return false;
}

/* Whether record t matches certificate i of chain. */
static bool matches_cert(const struct store_tls_chain *chain, int i, const struct dane_tlsa *t)
{
    const uint8_t *d256 = t->selector ? chain->c[i].spki256 : chain->c[i].cert256;
    const uint8_t *d512 = t->selector ? chain->c[i].spki512 : chain->c[i].cert512;
    if (t->mtype == 1)
        return memcmp(d256, t->data, 32) == 0;
    if (t->mtype == 2)
        return memcmp(d512, t->data, 64) == 0;
    uint8_t whole[32];
    SHA256(t->data, t->len, whole);
    return memcmp(d256, whole, 32) == 0;
}

static bool matches(const struct store_tls_chain *chain, const struct dane_tlsa *t)
{
    if (t->usage == 3) /* DANE-EE: the leaf, whatever its names and dates */
        return chain->n > 0 && matches_cert(chain, 0, t);
    for (int i = 1; i < chain->n; i++) /* DANE-TA: an issuer the leaf chains up to */
        if ((chain->ta_ok & (1u << i)) && matches_cert(chain, i, t))
            return true;
    return false;
}

enum dane_state dane_match(const struct store_tls_chain *chain, const struct dane_tlsa *rec,
                           size_t n, int *matched)
{
    size_t usable = 0;
    if (matched)
        *matched = -1;
    if (n == 0)
        return DANE_NONE;
    for (size_t i = 0; i < n; i++) {
        if (!dane_usable(&rec[i]))
            continue;
        usable++;
        if (chain && matches(chain, &rec[i])) {
            if (matched)
                *matched = (int)i;
            return DANE_MATCH;
        }
    }
    if (!usable)
        return DANE_UNUSABLE;
    return chain ? DANE_MISMATCH : DANE_NO_TLS;
}
