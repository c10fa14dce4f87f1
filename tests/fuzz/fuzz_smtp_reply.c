/*
 * libFuzzer target for the SMTP reply reader (probes/smtp_reply.c): any bytes as what a
 * server sends, handed over in pieces as the socket would, read the way a session reads them
 * (smtp_session.c): lines, reply codes, the banner and EHLO text kept, a stop after the reply
 * that would start TLS. Besides the sanitizers' checks it holds the promises of smtp_reply.h:
 * a line has no LF and at most SMTP_LINE_KEPT bytes; a code is three digits;
 * the kept text stays NUL-terminated within its bound, without control bytes; the bytes
 * said to follow a line are fewer than the piece fed, and are what is left after a stop.
 * Built by `make fuzz`; its corpus replays in tests/unit/probes/test_fuzz_probes.c.
 */
#include "fuzz.h"
#include "smtp_reply.h"
#include "store.h"

#include <ctype.h>

struct smtp_reply_run {
    char text[STORE_EHLO_MAX]; /* as a session keeps its EHLO reply */
    unsigned replies;
    size_t chunk; /* bytes of the piece being fed */
};

static bool smtp_reply_line(void *arg, const char *line, size_t n, size_t rest)
{
    struct smtp_reply_run *r = arg;
    FUZZ_CHECK(n <= SMTP_LINE_KEPT);
    FUZZ_CHECK(!memchr(line, '\n', n));
    FUZZ_CHECK(rest < r->chunk);
    bool final = false;
    int code = smtp_reply_code(line, n, &final);
    if (code < 0)
        return true;
    FUZZ_CHECK(code <= 999 && isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[2]));
    FUZZ_CHECK(final == (n == 3 || line[3] != '-'));
    smtp_reply_append(r->text, sizeof r->text, line, n);
    size_t len = strnlen(r->text, sizeof r->text);
    FUZZ_CHECK(len < sizeof r->text);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK((unsigned char)r->text[i] >= 0x20 || r->text[i] == '\n');
    if (!final)
        return true;
    r->text[0] = '\0';
    return ++r->replies < 4 && code != 220; /* a 220 to STARTTLS: TLS bytes follow */
}

FUZZ_ENTRY(smtp_reply)
{
    static struct smtp_lines lines;
    memset(&lines, 0, sizeof lines);
    struct smtp_reply_run r = {0};
    uint32_t seed = (uint32_t)size;
    for (size_t at = 0; at < size;) {
        size_t n = fuzz_chunk(&seed, size - at, 600);
        r.chunk = n;
        size_t left = smtp_lines_feed(&lines, (const char *)data + at, n, smtp_reply_line, &r);
        FUZZ_CHECK(left < n);
        if (left)
            break; /* the session left the plain-text dialogue */
        at += n;
    }
    return 0;
}
