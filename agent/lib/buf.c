/*
 * buf.c - growable byte buffer (buf.h). Any thread, one owner at a time.
 */
#include "buf.h"

#include "util.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = xrealloc(b->p, cap);
    b->p = p;
    b->cap = cap;
}

void buf_append(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    buf_reserve(b, 128);
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void buf_u64(struct buf *b, unsigned long long v)
{
    char tmp[20] = "";
    buf_append(b, tmp, mxw_u64_digits(tmp, v));
}

void buf_double(struct buf *b, double v)
{
    if (isnan(v)) {
        buf_append(b, "NaN", 3);
    } else if (isinf(v)) {
        buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 9e15) {
        if (v < 0) {
            buf_append(b, "-", 1);
            v = -v;
        }
        buf_u64(b, (unsigned long long)v);
    } else {
        /* The shortest of 15 or 17 significant digits that reads back as the same value. */
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.15g", v);
        if (strtod(tmp, NULL) != v)
            snprintf(tmp, sizeof tmp, "%.17g", v);
        buf_puts(b, tmp);
    }
}

char *buf_steal(struct buf *b, size_t *len)
{
    buf_reserve(b, 0);
    b->p[b->len] = '\0'; /* a buffer never appended to has no terminator yet */
    char *p = b->p;
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
