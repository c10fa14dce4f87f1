/*
 * smtp_msg.c - the test message of a data-mode transaction probe (smtp_msg.h). Called by the
 * SMTP session (smtp_session.c) on the loop thread. The addresses come from the operator's
 * configuration or command line and were checked there; still, a line is stuffed whenever
 * it starts with '.', so nothing here can end the data early.
 */
#include "smtp_msg.h"

#include "txn.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_CHARS 78 /* RFC 5322 2.1.1: SHOULD be no more than 78, CRLF excluded */

void smtp_msg_id(char *out, size_t cap, const char *host)
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1) /* no randomness: time and address still differ */
        snprintf((char *)r, sizeof r, "%015lx", (unsigned long)time(NULL) ^ (unsigned long)out);
    char hex[33];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, cap, "%s@%s", hex, host);
}

/* One line of the message: stuffed when it starts with a dot, then CRLF. */
static void put_line(struct buf *b, const char *line, size_t n)
{
    if (n && line[0] == '.')
        buf_append(b, ".", 1);
    buf_append(b, line, n);
    buf_append(b, "\r\n", 2);
}

/* Returns the bytes appended (before stuffing). */
static size_t put_header(struct buf *b, const char *name, const char *value)
{
    char line[TXN_ADDR_MAX + 64];
    int n = snprintf(line, sizeof line, "%s: %s", name, value);
    size_t k = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    put_line(b, line, k);
    return k + 2;
}

void smtp_msg_build(struct buf *b, const struct smtp_msg *m)
{
    char date[64], id[TXN_MSGID_MAX + 2];
    struct tm tm;
    gmtime_r(&m->date, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(id, sizeof id, "<%s>", m->message_id);
    size_t len = 0, want = m->size > TXN_SIZE_MAX ? TXN_SIZE_MAX : m->size;
    len += put_header(b, "Date", date);
    len += put_header(b, "From", m->from[0] ? m->from : "<>");
    len += put_header(b, "To", m->to);
    len += put_header(b, "Subject", "mxwatch transaction probe");
    len += put_header(b, "Message-ID", id);
    len += put_header(b, "X-Mxwatch-Probe", "mxwatch transaction probe; no need to answer");
    put_line(b, "", 0);
    len += 2;
    static const char text[] = "This message tests mail delivery to this address. It can be "
                               "deleted unread. ";
    char line[LINE_MAX_CHARS + 1];
    /* cppcheck-suppress knownConditionTrueFalse ; it takes len for a constant, not a sum */
    size_t left = want > len ? want - len : 0; /* of the body, CRLFs included */
    for (size_t i = 0; left > 0; i++) {
        size_t n = left >= LINE_MAX_CHARS + 2 ? LINE_MAX_CHARS : left > 2 ? left - 2 : 1;
        for (size_t k = 0; k < n; k++)
            line[k] = text[(i * 7 + k) % (sizeof text - 1)];
        if (line[n - 1] == ' ')
            line[n - 1] = '.'; /* no trailing space, which transports may strip */
        put_line(b, line, n);
        left -= n + 2 < left ? n + 2 : left;
    }
    buf_append(b, ".\r\n", 3);
}
