/*
 * buf.h - a growable byte buffer for building responses (metrics, JSON, HTML). Owned by one
 * thread at a time. Growth doubles, so appending N bytes costs O(N) amortised.
 */
#ifndef MXW_BUF_H
#define MXW_BUF_H

#include <stddef.h>

struct buf {
    char *p;
    size_t len, cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a double the way Prometheus and JSON read it: integers without a fraction,
 * others with up to 17 significant digits; NaN and infinities as Prometheus spells them. */
void buf_double(struct buf *b, double v);
void buf_u64(struct buf *b, unsigned long long v);
/* Gives the bytes to the caller (NUL-terminated); the buffer is empty afterwards. */
char *buf_steal(struct buf *b, size_t *len);
void buf_free(struct buf *b);

#endif
