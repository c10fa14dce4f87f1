/*
 * libFuzzer target for the Postfix log-line parser (probes/sources/pflog.c): the input is a
 * log as any local user can write it with logger(1), one line per LF, each parsed alone as
 * the Postfix log source parses it. Besides the sanitizers' checks it holds the promises of
 * pflog.h: 1, 0 or -1, a reason on -1; on 1 a known kind, every string NUL-terminated within
 * its field, a queue id of letters and digits, a lower-case recipient domain, and the rcpt
 * and reason spans inside the line. Each event also goes through pfattempt (the outcome of a
 * delivery attempt): a known class, terminated fields within their bounds, a safe text.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "pfattempt.h"
#include "pflog.h"

#include <ctype.h>

#define PFLOG_TERMINATED(f) FUZZ_CHECK(memchr((f), '\0', sizeof(f)) != NULL)

static void pflog_check_span(const char *p, size_t n, const char *line, size_t len)
{
    FUZZ_CHECK(n == 0 || (p >= line && p + n <= line + len));
}

static void pflog_check_event(const struct pflog_event *ev, const char *line, size_t len)
{
    FUZZ_CHECK(ev->kind > PFLOG_NONE && ev->kind <= PFLOG_CONNFAIL);
    FUZZ_CHECK(strcmp(pflog_kind_name(ev->kind), "") != 0);
    PFLOG_TERMINATED(ev->queue_id);
    PFLOG_TERMINATED(ev->rcpt_domain);
    PFLOG_TERMINATED(ev->relay_host);
    PFLOG_TERMINATED(ev->relay_addr);
    PFLOG_TERMINATED(ev->dsn);
    PFLOG_TERMINATED(ev->service);
    for (const char *q = ev->queue_id; *q; q++)
        FUZZ_CHECK(isalnum((unsigned char)*q));
    for (const char *d = ev->rcpt_domain; *d; d++)
        FUZZ_CHECK(!isupper((unsigned char)*d));
    FUZZ_CHECK((ev->hard_class != PFLOG_HARD_NONE) ==
               (ev->kind == PFLOG_BOUNCED || ev->kind == PFLOG_EXPIRED));
    FUZZ_CHECK(pflog_hard_class_name(ev->hard_class) != NULL);
    pflog_check_span(ev->rcpt, ev->rcpt_len, line, len);
    pflog_check_span(ev->reason, ev->reason_len, line, len);
}

static void pfattempt_check(const struct pflog_event *ev)
{
    struct pfattempt a;
    if (pfattempt_from_event(ev, &a) != 1)
        return;
    FUZZ_CHECK(a.cls > DELIV_NONE && a.cls < DELIV__COUNT);
    FUZZ_CHECK(a.cmd < DCMD__COUNT && a.outcome < OUT__COUNT && a.reply <= 599);
    PFLOG_TERMINATED(a.enhanced);
    PFLOG_TERMINATED(a.host);
    PFLOG_TERMINATED(a.addr);
    PFLOG_TERMINATED(a.text);
    for (const char *t = a.text; *t; t++)
        FUZZ_CHECK(*t >= 0x20 && *t < 0x7f);
}

FUZZ_ENTRY(pflog)
{
    const char *p = (const char *)data, *end = p + size, *line;
    size_t len;
    while ((line = fuzz_field(&p, end, '\n', &len))) {
        char *own = malloc(len ? len : 1); /* its own buffer: a read past the line is seen */
        memcpy(own, line, len);
        struct pflog_event ev;
        int rc = pflog_parse_line(own, len, &ev);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc < 0)
            FUZZ_CHECK(ev.why != NULL);
        if (rc == 1) {
            pflog_check_event(&ev, own, len);
            pfattempt_check(&ev);
        }
        free(own);
    }
    return 0;
}
