/* pfattempt.c: the outcome of a delivery attempt from the reason text of an smtp/lmtp
 * status line (see pfattempt.h). memchr/memcmp only, bounded copies, no allocation; called
 * on the loop thread by the Postfix log source.
 *
 * The texts Postfix 3.7's smtp(8) logs in the reason of a status line (checked against a
 * private instance, tests/integration/delivery_status.sh):
 *  - `250 2.0.0 Ok: queued as X` for status=sent (the server's last reply);
 *  - `host H[A] said: 451 4.7.1 text (in reply to RCPT TO command)`; the command is one of
 *    EHLO, HELO, LHLO, STARTTLS, MAIL FROM, RCPT TO, DATA, end of DATA, QUIT, RSET, XFORWARD;
 *  - `host H[A] refused to talk to me: 421 text` (the greeting);
 *  - `connect to H[A]:P: Connection refused | Connection timed out | No route to host`;
 *  - `lost connection with H[A] while STEP`, `conversation with H[A] timed out while STEP`,
 *    STEP being "receiving the initial server greeting", "performing the EHLO handshake",
 *    "sending MAIL FROM", "sending RCPT TO", "sending message body", ...;
 *  - `Cannot start TLS: handshake failure`, `TLS is required, but ...`, `Server certificate
 *    not trusted|verified`.
 */
#include "pfattempt.h"

#include "util.h"

#include <stdbool.h>
#include <string.h>

#define LIT(s) (s), (sizeof(s) - 1)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* HOST[ADDR] at p, ending before end: fills host and addr when the brackets are there. */
static void host_addr(struct pfattempt *a, const char *p, const char *end)
{
    const char *lb = memchr(p, '[', (size_t)(end - p));
    const char *rb = lb ? memchr(lb, ']', (size_t)(end - lb)) : NULL;
    if (!lb || !rb)
        return;
    mxw_strncpy_printable(a->host, sizeof a->host, p, (size_t)(lb - p));
    mxw_strncpy_printable(a->addr, sizeof a->addr, lb + 1, (size_t)(rb - lb - 1));
}

/* "451 4.7.1 rest" at p: the reply code and the enhanced code; 0 when p holds no code. */
static unsigned reply_codes(struct pfattempt *a, const char *p, const char *end)
{
    if (end - p < 3 || p[0] < '2' || p[0] > '5' || !is_digit(p[1]) || !is_digit(p[2]) ||
        (end - p > 3 && p[3] != ' ' && p[3] != '-'))
        return 0;
    a->reply = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    if (end - p < 5 || p[4] != p[0]) /* no "C." of an enhanced code of the same class */
        return a->reply;
    const char *e = p + 4, *q = e;
    while (q < end && (is_digit(*q) || *q == '.') && q - e < 11)
        q++;
    if ((q == end || *q == ' ') && q - e >= 5 && e[1] == '.')
        mxw_strncpy_printable(a->enhanced, sizeof a->enhanced, e, (size_t)(q - e));
    return a->reply;
}

static const struct {
    const char *text;
    size_t len;
    enum delivery_cmd cmd;
} steps[] = {
    {LIT("(in reply to EHLO command)"), DCMD_EHLO},
    {LIT("(in reply to HELO command)"), DCMD_EHLO},
    {LIT("(in reply to LHLO command)"), DCMD_EHLO},
    {LIT("(in reply to STARTTLS command)"), DCMD_STARTTLS},
    {LIT("(in reply to MAIL FROM command)"), DCMD_MAIL},
    {LIT("(in reply to RCPT TO command)"), DCMD_RCPT},
    {LIT("(in reply to DATA command)"), DCMD_DATA},
    {LIT("(in reply to end of DATA command)"), DCMD_END_OF_DATA},
    {LIT("while receiving the initial server greeting"), DCMD_GREETING},
    {LIT("while performing the EHLO handshake"), DCMD_EHLO},
    {LIT("while performing the HELO handshake"), DCMD_EHLO},
    {LIT("while performing the LHLO handshake"), DCMD_EHLO},
    {LIT("while receiving the STARTTLS response"), DCMD_STARTTLS},
    {LIT("while sending MAIL FROM"), DCMD_MAIL},
    {LIT("while sending RCPT TO"), DCMD_RCPT},
    {LIT("while sending DATA command"), DCMD_DATA},
    {LIT("while sending message body"), DCMD_END_OF_DATA},
    {LIT("while sending end of data"), DCMD_END_OF_DATA},
};

/* The command a reason names: "(in reply to X command)" after a reply (in_reply), or
 * " while STEP" after a lost connection; *p: where the phrase starts, NULL when none. */
static enum delivery_cmd command_of(const char *r, const char *end, bool in_reply, const char **p)
{
    const char *q = in_reply ? mxw_span_find(r, end, LIT("(in reply to "))
                             : mxw_span_find(r, end, LIT(" while "));
    q = q && !in_reply ? q + 1 : q;
    *p = q;
    if (!q)
        return DCMD_NONE;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (mxw_span_prefix(q, end, steps[i].text, steps[i].len))
            return steps[i].cmd;
    return DCMD_OTHER;
}

/* `connect to H[A]:P: WHY` */
static int connect_failure(struct pfattempt *a, const char *r, const char *end)
{
    const char *t = r + sizeof "connect to " - 1, *sep = mxw_span_find(t, end, LIT(": "));
    if (!sep)
        return 0;
    host_addr(a, t, sep);
    a->cls = DELIV_CONNECT;
    a->cmd = DCMD_CONNECT;
    a->outcome = mxw_span_find(sep, end, LIT("Connection refused"))     ? OUT_REFUSED
                 : mxw_span_find(sep, end, LIT("Connection timed out")) ? OUT_CONNECT_TIMEOUT
                                                                        : OUT_UNREACHABLE;
    mxw_strncpy_printable(a->text, sizeof a->text, r, (size_t)(end - r));
    return 1;
}

/* `host H[A] said: CODE text (in reply to X command)` or `... refused to talk to me: ...` */
static int remote_reply(struct pfattempt *a, const char *r, const char *end)
{
    const char *said = mxw_span_find(r, end, LIT("] said: ")), *code;
    const char *refused = said ? NULL : mxw_span_find(r, end, LIT("] refused to talk to me: "));
    if (said)
        code = said + sizeof "] said: " - 1;
    else if (refused)
        code = refused + sizeof "] refused to talk to me: " - 1;
    else
        return 0;
    host_addr(a, r + sizeof "host " - 1, code);
    if (!reply_codes(a, code, end))
        return 0;
    const char *phrase;
    a->cmd = refused ? DCMD_GREETING : command_of(code, end, true, &phrase);
    if (refused || a->cmd == DCMD_NONE)
        phrase = end;
    while (phrase > code && phrase[-1] == ' ')
        phrase--;
    mxw_strncpy_printable(a->text, sizeof a->text, code, (size_t)(phrase - code));
    if (a->cmd == DCMD_GREETING) {
        a->cls = DELIV_GREETING;
        a->outcome = a->reply >= 500 ? OUT_BANNER_5XX : OUT_BANNER_4XX;
    } else {
        a->cls = DELIV_REPLY;
        a->outcome = a->cmd == DCMD_EHLO       ? OUT_EHLO_REJECTED
                     : a->cmd == DCMD_STARTTLS ? OUT_TLS_FAILED
                                               : OUT_PROTOCOL_ERROR;
    }
    return 1;
}

/* `lost connection with H[A] while STEP`, `conversation with H[A] timed out while STEP` */
static int lost(struct pfattempt *a, const char *r, const char *end, bool timed_out)
{
    const char *t =
        r + (timed_out ? sizeof "conversation with " : sizeof "lost connection with ") - 1;
    const char *phrase;
    a->cmd = command_of(t, end, false, &phrase);
    const char *hend = phrase ? phrase - 1 : end;
    host_addr(a, t, hend);
    a->cls = DELIV_LOST;
    a->outcome = a->cmd == DCMD_GREETING && timed_out ? OUT_BANNER_TIMEOUT
                 : a->cmd == DCMD_STARTTLS            ? OUT_TLS_FAILED
                                                      : OUT_PROTOCOL_ERROR;
    mxw_strncpy_printable(a->text, sizeof a->text, r, (size_t)(end - r));
    return 1;
}

static int tls_failure(struct pfattempt *a, const char *r, const char *end)
{
    if (!mxw_span_prefix(r, end, LIT("Cannot start TLS")) &&
        !mxw_span_prefix(r, end, LIT("TLS is required")) &&
        !mxw_span_prefix(r, end, LIT("Server certificate not")))
        return 0;
    const char *h = mxw_span_find(r, end, LIT("host "));
    if (h)
        host_addr(a, h + sizeof "host " - 1, end);
    a->cls = DELIV_TLS;
    a->cmd = DCMD_STARTTLS;
    a->outcome = OUT_TLS_FAILED;
    const char *code = mxw_span_find(r, end, LIT("TLS: "));
    if (code)
        reply_codes(a, code + sizeof "TLS: " - 1, end);
    mxw_strncpy_printable(a->text, sizeof a->text, r, (size_t)(end - r));
    return 1;
}

static int sent(struct pfattempt *a, const char *r, const char *end)
{
    a->cls = DELIV_SENT;
    a->cmd = DCMD_END_OF_DATA;
    a->outcome = OUT_OK;
    reply_codes(a, r, end);
    mxw_strncpy_printable(a->text, sizeof a->text, r, (size_t)(end - r));
    return 1;
}

static bool remote_service(const struct pflog_event *ev)
{
    return strcmp(ev->service, "smtp") == 0 || strcmp(ev->service, "lmtp") == 0;
}

int pfattempt_from_event(const struct pflog_event *ev, struct pfattempt *a)
{
    memset(a, 0, sizeof *a);
    if (!remote_service(ev) || !ev->reason)
        return 0;
    const char *r = ev->reason, *end = r + ev->reason_len;
    mxw_strncpy_printable(a->host, sizeof a->host, ev->relay_host, strlen(ev->relay_host));
    mxw_strncpy_printable(a->addr, sizeof a->addr, ev->relay_addr, strlen(ev->relay_addr));
    if (strcmp(a->host, "none") == 0)
        a->host[0] = '\0';
    switch (ev->kind) {
    case PFLOG_SENT: return sent(a, r, end);
    case PFLOG_DEFERRED:
    case PFLOG_BOUNCED: break;
    default: return 0;
    }
    if (mxw_span_prefix(r, end, LIT("connect to ")))
        return connect_failure(a, r, end);
    if (mxw_span_prefix(r, end, LIT("host ")))
        return remote_reply(a, r, end);
    if (mxw_span_prefix(r, end, LIT("lost connection with ")))
        return lost(a, r, end, false);
    if (mxw_span_prefix(r, end, LIT("conversation with ")) &&
        mxw_span_find(r, end, LIT(" timed out while ")))
        return lost(a, r, end, true);
    return tls_failure(a, r, end);
}
