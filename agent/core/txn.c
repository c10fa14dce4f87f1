/*
 * txn.c - names of the transaction probe's modes and phases, and what a finished
 * transaction says of delivery (txn.h). Pure; any thread.
 */
#include "txn.h"

#include <string.h>

static const char *const phase_names[TXN__PHASES] = {
    "connect", "greeting", "ehlo", "starttls", "tls",  "tls_ehlo",
    "mail",    "rcpt",     "data", "body",     "rset", "quit",
};

static const char *const mode_names[] = {"none", "rcpt", "data"};

const char *txn_phase_name(enum txn_phase p)
{
    return (unsigned)p < TXN__PHASES ? phase_names[p] : "?";
}

const char *txn_mode_name(enum txn_mode m)
{
    return (unsigned)m <= TXN_MODE_DATA ? mode_names[m] : "?";
}

int txn_mode_parse(const char *s)
{
    if (!strcmp(s, "rcpt"))
        return TXN_MODE_RCPT;
    if (!strcmp(s, "data"))
        return TXN_MODE_DATA;
    return -1;
}

enum txn_signal txn_signal_of(const struct txn_result *r)
{
    if (r->success)
        return TXN_SIG_OK;
    if (r->step[TXN_GREETING].code / 100 != 2)
        return TXN_SIG_NONE;
    bool envelope = r->failed == TXN_MAIL || r->failed == TXN_RCPT || r->failed == TXN_DATA ||
                    r->failed == TXN_BODY;
    int cls = r->step[r->failed].code / 100;
    if (!envelope || (cls != 4 && cls != 5))
        return TXN_SIG_NONE;
    return cls == 4 ? TXN_SIG_THROTTLED : TXN_SIG_REJECTED;
}

/* Digits at p (at most 3, at least 1) before end; returns how many, 0 when none or more. */
static size_t digits(const char *p, const char *end)
{
    size_t k = 0;
    while (p + k < end && p[k] >= '0' && p[k] <= '9')
        k++;
    return k >= 1 && k <= 3 ? k : 0;
}

void txn_enhanced(const char *line, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    if (n < 9 || (line[3] != ' ' && line[3] != '-') || line[4] != line[0] ||
        (line[0] != '2' && line[0] != '4' && line[0] != '5') || line[5] != '.')
        return;
    const char *end = line + n, *p = line + 6;
    size_t a = digits(p, end);
    if (!a || p + a >= end || p[a] != '.')
        return;
    size_t b = digits(p + a + 1, end);
    const char *q = p + a + 1 + b;
    if (!b || (q < end && *q != ' '))
        return;
    size_t len = (size_t)(q - (line + 4));
    if (len + 1 > cap)
        return;
    memcpy(out, line + 4, len);
    out[len] = '\0';
}

bool txn_addr_ok(const char *a, bool null_ok)
{
    size_t n = strlen(a), ats = 0, at = 0;
    if (n == 0)
        return null_ok;
    if (n >= TXN_ADDR_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)a[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '<' || ch == '>' || ch == '"')
            return false;
        if (ch == '@') {
            ats++;
            at = i;
        }
    }
    return ats == 1 && at > 0 && at + 1 < n;
}
