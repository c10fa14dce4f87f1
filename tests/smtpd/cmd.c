/*
 * cmd.c: reads SMTP command lines for mxw-smtpd: which verb, which argument, and whether a
 * MAIL FROM or RCPT TO argument is well formed (a <path> in angle brackets, an optional
 * numeric SIZE= parameter).
 *
 * Called by session.c on the one thread. Pure: the line comes from a hostile client, so it
 * is only ever read within the given length, never assumed to be terminated or printable.
 */
#include "cmd.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    enum cmd_verb verb;
} verbs[] = {
    {"HELO", CMD_HELO}, {"EHLO", CMD_EHLO}, {"MAIL", CMD_MAIL},
    {"RCPT", CMD_RCPT}, {"DATA", CMD_DATA}, {"RSET", CMD_RSET},
    {"NOOP", CMD_NOOP}, {"QUIT", CMD_QUIT}, {"STARTTLS", CMD_STARTTLS},
};

void cmd_parse(const char *line, size_t len, struct cmd *out)
{
    size_t v = 0;
    while (v < len && line[v] != ' ')
        v++;
    size_t a = v;
    while (a < len && line[a] == ' ')
        a++;
    out->arg = line + a;
    out->arglen = len - a;
    out->verb = CMD_UNKNOWN;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strlen(verbs[i].name) == v && strncasecmp(verbs[i].name, line, v) == 0) {
            out->verb = verbs[i].verb;
            break;
        }
    }
    size_t n = v < CMD_NAME_MAX ? v : CMD_NAME_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (unsigned char)(ch - 'a' + 'A');
        out->name[i] = ch > ' ' && ch < 0x7f && ch != '"' && ch != '=' ? (char)ch : '?';
    }
    if (n == 0)
        out->name[n++] = '-';
    out->name[n] = '\0';
}

/* "<...>" right after the prefix; returns the length of the path with brackets, or 0. */
static size_t path_len(const char *p, size_t len)
{
    if (len < 2 || p[0] != '<')
        return 0;
    const char *close = memchr(p, '>', len);
    return close == NULL ? 0 : (size_t)(close - p) + 1;
}

/* Parses "SIZE=digits" among the space-separated parameters; 0 when absent. */
static bool size_param(const char *p, size_t len, uint64_t *size)
{
    *size = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && p[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && p[i] != ' ')
            i++;
        if (i - start > 5 && strncasecmp(p + start, "SIZE=", 5) == 0) {
            uint64_t n = 0;
            for (size_t k = start + 5; k < i; k++) {
                if (p[k] < '0' || p[k] > '9' || n > UINT64_MAX / 10 - 10)
                    return false;
                n = n * 10 + (uint64_t)(p[k] - '0');
            }
            *size = n;
        }
    }
    return true;
}

bool cmd_mail_ok(const char *arg, size_t len, uint64_t *size)
{
    if (len < 5 || strncasecmp(arg, "FROM:", 5) != 0)
        return false;
    arg += 5, len -= 5;
    while (len > 0 && *arg == ' ')
        arg++, len--;
    size_t p = path_len(arg, len);
    if (p == 0)
        return false;
    return size_param(arg + p, len - p, size);
}

bool cmd_rcpt_ok(const char *arg, size_t len)
{
    if (len < 3 || strncasecmp(arg, "TO:", 3) != 0)
        return false;
    arg += 3, len -= 3;
    while (len > 0 && *arg == ' ')
        arg++, len--;
    return path_len(arg, len) > 2;
}
