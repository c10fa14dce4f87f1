/*
 * smtp_reply.c - reading an SMTP server's replies (smtp_reply.h): lines, reply codes, the
 * text kept. Loop thread (smtp_session.c) or any thread: pure. Server lines are hostile:
 * nothing here writes past a caller's bound or trusts a length the server chose.
 */
#include "smtp_reply.h"

#include <ctype.h>
#include <string.h>

size_t smtp_lines_feed(struct smtp_lines *s, const char *p, size_t n, smtp_line_fn *fn, void *arg)
{
    while (n) {
        const char *lf = memchr(p, '\n', n);
        size_t take = lf ? (size_t)(lf - p) : n, room = sizeof s->line - s->len;
        memcpy(s->line + s->len, p, take < room ? take : room);
        s->len += take < room ? take : room;
        if (!lf)
            return 0; /* the rest of the line comes later */
        p += take + 1;
        n -= take + 1;
        size_t len = s->len;
        s->len = 0;
        if (len && s->line[len - 1] == '\r')
            len--;
        if (!fn(arg, s->line, len, n))
            return n;
    }
    return 0;
}

int smtp_reply_code(const char *line, size_t n, bool *final)
{
    if (n < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return -1;
    *final = n == 3 || line[3] != '-';
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

void smtp_reply_append(char *dst, size_t cap, const char *src, size_t n)
{
    size_t have = strlen(dst);
    if (have && have + 1 < cap)
        dst[have++] = '\n';
    for (size_t i = 0; i < n && have + 1 < cap; i++)
        dst[have++] = (char)((unsigned char)src[i] < 0x20 ? '.' : src[i]);
    dst[have] = '\0';
}
