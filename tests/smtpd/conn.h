/*
 * conn.h: the byte transport of one mxw-smtpd client connection: a bounded input buffer,
 * a bounded output queue, and reads and writes over plain TCP or TLS after STARTTLS.
 *
 * Interface only. Used by session.c, which embeds a struct conn and drives it from its
 * loop callbacks, on the one thread. conn knows nothing of SMTP.
 */
#ifndef MXW_SMTPD_CONN_H
#define MXW_SMTPD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "loop.h"

#define CONN_IN_CAP  8192          /* input buffer; larger than the longest SMTP line */
#define CONN_OUT_MAX (1280u << 10) /* queued output beyond which conn_queue fails */

enum conn_status {
    CONN_OK,    /* progress was made */
    CONN_SHORT, /* progress, and a plain socket has nothing more to read now */
    CONN_AGAIN, /* the socket (or TLS) would block */
    CONN_EOF,   /* the peer closed */
    CONN_ERR,   /* reset or TLS failure */
};

struct conn {
    struct loop_io io; /* io.fd is the socket */
    SSL *ssl;          /* non-NULL once STARTTLS began */
    bool tls_want_in;  /* the last TLS call waits for the socket to be readable */
    bool tls_want_out; /* ... or writable */
    char *out;         /* queued output, out[out_off..out_len) still to send */
    size_t out_off, out_len, out_cap;
    size_t in_off, in_len; /* unconsumed input is in[in_off..in_len) */
    char in[CONN_IN_CAP];
};

void conn_init(struct conn *c, int fd);

/* Closes the socket (with RST when rst is true) and frees what conn owns. */
void conn_close(struct conn *c, bool rst);

/* Appends n bytes to the output queue. -1 when it would pass CONN_OUT_MAX or memory is
 * short: the caller should drop the client, who is not reading. */
int conn_queue(struct conn *c, const void *p, size_t n);
size_t conn_pending(const struct conn *c);

/* Sends up to max queued bytes. CONN_OK once those are sent, CONN_AGAIN, or CONN_ERR. */
enum conn_status conn_flush(struct conn *c, size_t max);

/* Moves unconsumed input to the front and reads once into the free space (a TLS read may
 * take several records). Never call with a full buffer. */
enum conn_status conn_fill(struct conn *c);

/* Drops every unconsumed input byte (STARTTLS: nothing sent in clear may count after it). */
void conn_discard_input(struct conn *c);

/* Begins TLS on the socket; -1 with err filled. */
int conn_start_tls(struct conn *c, SSL_CTX *ctx, char *err, size_t errlen);

/* One handshake step: CONN_OK when done, CONN_AGAIN, or CONN_ERR with err filled. */
enum conn_status conn_handshake(struct conn *c, char *err, size_t errlen);

/* The epoll interest for this connection: reading when the caller wants input, writing when
 * output is queued and the caller lets it go, plus whatever TLS waits for. */
uint32_t conn_interest(const struct conn *c, bool reading, bool writing);

#endif
