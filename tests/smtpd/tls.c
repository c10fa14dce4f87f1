/*
 * tls.c: wraps OpenSSL for mxw-smtpd's STARTTLS: builds the server context once and turns
 * each non-blocking SSL call into a tls_status.
 *
 * Called by main.c at start-up and by conn.c for every TLS read and write, on the one
 * thread. Never blocks (the sockets are non-blocking) and never logs: OpenSSL's error queue
 * is cleared before each call and read into the caller's buffer after a failure.
 */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>

static void ssl_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    else if (errno != 0)
        snprintf(buf, sizeof(buf), "%s", strerror(errno));
    snprintf(err, errlen, "%s: %s", what, buf);
    ERR_clear_error();
}

SSL_CTX *tls_server_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        ssl_error(err, errlen, "tls: SSL_CTX_new");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Partial writes let conn.c keep one output buffer for plain and TLS alike; session
     * tickets and renegotiation are of no use to a test server; a client that drops TCP
     * without close_notify has simply gone, as in plain SMTP. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ssl_error(err, errlen, "--tls-cert");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ssl_error(err, errlen, "--tls-key");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL *tls_wrap(SSL_CTX *ctx, int fd, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        ssl_error(err, errlen, "tls: SSL_new");
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

/* Maps the result of an SSL call. A clean close_notify and a TCP close without one are
 * both EOF to us: the client went away. */
static enum tls_status status_of(SSL *ssl, int ret)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_NONE: return TLS_OK;
    case SSL_ERROR_WANT_READ: return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return TLS_EOF;
    case SSL_ERROR_SYSCALL:
        return ERR_peek_error() == 0 && (ret == 0 || errno == ECONNRESET) ? TLS_EOF : TLS_ERR;
    default: return TLS_ERR;
    }
}

enum tls_status tls_accept(SSL *ssl, char *err, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(ssl);
    enum tls_status st = status_of(ssl, r);
    if (st == TLS_ERR || st == TLS_EOF)
        ssl_error(err, errlen, "tls handshake");
    return st == TLS_EOF ? TLS_ERR : st;
}

enum tls_status tls_read(SSL *ssl, void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(ssl, buf, len, n) == 1 ? 1 : 0;
    enum tls_status st = r == 1 ? TLS_OK : status_of(ssl, r);
    if (st != TLS_OK)
        ERR_clear_error();
    return st;
}

enum tls_status tls_write(SSL *ssl, const void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(ssl, buf, len, n) == 1 ? 1 : 0;
    enum tls_status st = r == 1 ? TLS_OK : status_of(ssl, r);
    if (st != TLS_OK)
        ERR_clear_error();
    return st;
}

const char *tls_version(const SSL *ssl)
{
    return SSL_get_version(ssl);
}

const char *tls_cipher(const SSL *ssl)
{
    return SSL_get_cipher_name(ssl);
}
