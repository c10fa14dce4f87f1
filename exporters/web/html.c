/*
 * html.c - escaping for the status page (html.h). Pure, any thread.
 */
#include "html.h"

#include "expfmt.h"

#include <stdbool.h>
#include <string.h>

static const char *entity(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

void html_textn(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    n = strnlen(s, n);
    size_t i = 0, run = 0; /* bytes [i - run, i) are plain and not yet written */
    while (i < n) {
        unsigned char c = p[i];
        const char *ent = entity(c);
        size_t len = c < 0x80 ? 1 : expfmt_utf8_len(p + i, n - i);
        bool plain = !ent && len > 0 && (c >= 0x20 || c == '\n' || c == '\t') && c != 0x7f;
        if (plain) {
            run += len;
            i += len;
            continue;
        }
        buf_append(b, (const char *)p + i - run, run);
        run = 0;
        if (ent) {
            buf_puts(b, ent);
        } else if (len == 0) {
            buf_puts(b, EXPFMT_REPLACEMENT);
        } else if (!(c == '\r' && i + 1 < n && p[i + 1] == '\n')) {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, 4);
        }
        i += len ? len : 1;
    }
    buf_append(b, (const char *)p + i - run, run);
}

void html_text(struct buf *b, const char *s)
{
    html_textn(b, s, s ? strlen(s) : 0);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void html_urlenc(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            buf_append(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, esc, 3);
        }
    }
}
