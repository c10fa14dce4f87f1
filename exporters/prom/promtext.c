/*
 * promtext.c - HELP/TYPE lines, samples and label values of the text format (promtext.h).
 * Pure, any thread.
 */
#include "promtext.h"

#include "expfmt.h"

#include <string.h>

void promtext_family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void promtext_sample(struct buf *b, const char *name, size_t nlen, const char *labels, size_t llen,
                     const char *extra, size_t elen, double v)
{
    buf_reserve(b, nlen + llen + elen + EXPFMT_DOUBLE_MAX + 4);
    char *p = b->p + b->len;
    memcpy(p, name, nlen);
    p += nlen;
    if (llen || elen) {
        *p++ = '{';
        memcpy(p, labels, llen);
        p += llen;
        if (llen && elen)
            *p++ = ',';
        memcpy(p, extra, elen);
        p += elen;
        *p++ = '}';
    }
    *p++ = ' ';
    p += expfmt_format_double(p, v);
    *p++ = '\n';
    *p = '\0';
    b->len = (size_t)(p - b->p);
}

void promtext_label_value_n(struct buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    size_t left = strnlen(s, n);
    while (left) {
        if (*p < 0x80 && *p != '\\' && *p != '"' && *p != '\n' && *p != '\r') { /* common */
            p++;
            left--;
            continue;
        }
        size_t k = *p >= 0x80 ? expfmt_utf8_len(p, left) : 0;
        if (k) {
            p += k;
            left -= k;
            continue;
        }
        buf_append(out, (const char *)run, (size_t)(p - run));
        /* The format has no escape for a CR, and some readers end a line at one: dropped.
         * Invalid UTF-8 would fail the scrape. */
        const char *esc = *p == '\\'   ? "\\\\"
                          : *p == '"'  ? "\\\""
                          : *p == '\n' ? "\\n"
                          : *p == '\r' ? ""
                                       : EXPFMT_REPLACEMENT;
        buf_puts(out, esc);
        run = ++p;
        left--;
    }
    buf_append(out, (const char *)run, (size_t)(p - run));
}

void promtext_label_value(struct buf *out, const char *s)
{
    promtext_label_value_n(out, s, strlen(s));
}
