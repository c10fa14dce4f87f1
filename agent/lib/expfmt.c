/*
 * expfmt.c - numbers, UTF-8 validation, JSON strings and debug text for the HTTP exporters
 * (expfmt.h). Pure functions on caller-owned buffers; any thread; never logs.
 */
#include "expfmt.h"

#include "util.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t expfmt_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
        hi = c == 0xed ? 0x9f : 0xbf; /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

static const double pow10_tab[] = {1,   1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
static const uint64_t pow10_int[] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};

/* v in [1e-9, 1e15), positive: 15 significant digits, at most 9 decimals. */
static size_t put_fixed(char *out, double v)
{
    unsigned intdigits = 0;
    while (intdigits < 15 && v >= pow10_tab[intdigits])
        intdigits++;
    unsigned dec = 15 - intdigits > 9 ? 9 : 15 - intdigits;
    uint64_t scaled = (uint64_t)(v * pow10_tab[dec] + 0.5);
    uint64_t ip = scaled / pow10_int[dec], frac = scaled % pow10_int[dec];
    size_t n = mxw_u64_digits(out, ip);
    if (frac == 0)
        return n;
    while (frac % 10 == 0) {
        frac /= 10;
        dec--;
    }
    out[n++] = '.';
    for (unsigned i = dec; i > 0; i--) {
        out[n + i - 1] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return n + dec;
}

/* Non-negative finite v: the integer or fixed form when v is in their range, else 0. */
static size_t put_plain(char *out, double v)
{
    if (!(v >= 0 && v < 9007199254740992.0)) /* 2^53: integers up to here are exact */
        return 0;
    uint64_t u = (uint64_t)v;
    if ((double)u == v)
        return mxw_u64_digits(out, u);
    if (v >= 1e-9 && v < 1e15)
        return put_fixed(out, v);
    return 0;
}

size_t expfmt_format_double(char *out, double v)
{
    size_t n = put_plain(out, v);
    if (!n && v < 0 && (n = put_plain(out + 1, -v)) > 0) {
        out[0] = '-';
        n++;
    }
    if (!n && !isfinite(v)) {
        const char *special = isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
        n = strlen(special);
        memcpy(out, special, n);
    }
    /* Rare magnitudes: the shortest of 15..17 digits that reads back as v. */
    for (int digits = 15; !n && digits <= 17; digits++) {
        int w = snprintf(out, EXPFMT_DOUBLE_MAX, "%.*g", digits, v);
        if (w > 0 && (strtod(out, NULL) == v || digits == 17))
            n = (size_t)w;
    }
    out[n] = '\0';
    return n;
}

void expfmt_double(struct buf *b, double v)
{
    buf_reserve(b, EXPFMT_DOUBLE_MAX);
    b->len += expfmt_format_double(b->p + b->len, v);
}

void expfmt_json_double(struct buf *b, double v)
{
    if (isfinite(v))
        expfmt_double(b, v);
    else
        buf_append(b, "null", 4);
}

/* The JSON escape for a byte below 0x20 (and the two that JSON reserves). */
static void json_escape_byte(struct buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
    switch (c) {
    case '"': buf_append(b, "\\\"", 2); return;
    case '\\': buf_append(b, "\\\\", 2); return;
    case '\n': buf_append(b, "\\n", 2); return;
    case '\r': buf_append(b, "\\r", 2); return;
    case '\t': buf_append(b, "\\t", 2); return;
    default: buf_append(b, e, 6); return;
    }
}

void expfmt_json_string(struct buf *b, const char *s)
{
    if (!s)
        buf_append(b, "null", 4);
    else
        expfmt_json_stringn(b, s, strlen(s));
}

void expfmt_json_stringn(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    size_t left = strnlen(s, n);
    buf_reserve(b, left + 2);
    buf_append(b, "\"", 1);
    while (left) {
        size_t k = *p >= 0x20 && *p != '"' && *p != '\\' ? expfmt_utf8_len(p, left) : 0;
        if (k) {
            p += k;
            left -= k;
            continue;
        }
        buf_append(b, (const char *)run, (size_t)(p - run));
        if (*p < 0x20 || *p == '"' || *p == '\\')
            json_escape_byte(b, *p);
        else
            buf_append(b, EXPFMT_REPLACEMENT, 3);
        run = ++p;
        left--;
    }
    buf_append(b, (const char *)run, (size_t)(p - run));
    buf_append(b, "\"", 1);
}

bool expfmt_is_c1(const unsigned char *s, size_t k)
{
    return k == 2 && s[0] == 0xc2 && s[1] <= 0x9f;
}

/* expfmt_text and expfmt_text_line: with lines, line feeds and tabs stay and a CR before a
 * line feed goes; without, every control shows as \xNN. */
static void text(struct buf *b, const char *s, size_t n, bool lines)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    size_t left = strnlen(s, n);
    while (left) {
        bool keep = (*p >= 0x20 && *p != 0x7f) || (lines && (*p == '\n' || *p == '\t'));
        size_t k = keep ? expfmt_utf8_len(p, left) : 0;
        if (k && !expfmt_is_c1(p, k)) {
            p += k;
            left -= k;
            continue;
        }
        buf_append(b, (const char *)run, (size_t)(p - run));
        k = k ? k : 1; /* a C1 control shows as its two bytes */
        if (!(lines && *p == '\r' && left > 1 && p[1] == '\n')) /* shows as a line break */
            for (size_t i = 0; i < k; i++)
                buf_printf(b, "\\x%02x", p[i]);
        p += k;
        left -= k;
        run = p;
    }
    buf_append(b, (const char *)run, (size_t)(p - run));
}

void expfmt_text(struct buf *b, const char *s)
{
    text(b, s, strlen(s), true);
}

void expfmt_text_line(struct buf *b, const char *s, size_t n)
{
    text(b, s, n, false);
}
