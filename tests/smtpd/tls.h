/*
 * tls.h: the OpenSSL side of STARTTLS for mxw-smtpd: a server context from a PEM certificate
 * and key, and non-blocking handshake, read and write steps on one connection.
 *
 * Interface only. Used by main.c (context) and conn.c (steps), on the one thread.
 */
#ifndef MXW_SMTPD_TLS_H
#define MXW_SMTPD_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/* What a step did: done, or must wait for the socket, or the peer closed, or failed. */
enum tls_status { TLS_OK, TLS_WANT_READ, TLS_WANT_WRITE, TLS_EOF, TLS_ERR };

/* A server context (TLS 1.2 and later) or NULL with err naming the file at fault. */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, char *err, size_t errlen);

/* A server-side SSL on fd, or NULL with err filled. */
SSL *tls_wrap(SSL_CTX *ctx, int fd, char *err, size_t errlen);

/* One handshake step. On TLS_ERR, err says why. */
enum tls_status tls_accept(SSL *ssl, char *err, size_t errlen);

/* Reads up to len bytes; *n is set on TLS_OK. */
enum tls_status tls_read(SSL *ssl, void *buf, size_t len, size_t *n);

/* Writes up to len bytes (partial writes allowed); *n is set on TLS_OK. */
enum tls_status tls_write(SSL *ssl, const void *buf, size_t len, size_t *n);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" for the log; static storage of OpenSSL. */
const char *tls_version(const SSL *ssl);
const char *tls_cipher(const SSL *ssl);

#endif
