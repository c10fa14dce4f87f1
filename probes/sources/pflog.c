/* pflog.c: one pass over a Postfix log line, with memchr/memcmp only (no regex, no
 * allocation), so the log source keeps up with a busy relay: the bench
 * (tests/bench/pflog_bench.c) measures it. Called from the Postfix log source's thread;
 * pure, see pflog.h for the contract.
 *
 * What Postfix 3.7 really logs, checked against a private instance (tests/lib/postfix.sh):
 *  - per recipient: `QUEUEID: to=<rcpt>, [orig_to=<rcpt>, ]relay=..., delay=..., delays=...,
 *    dsn=X.Y.Z, status=sent|deferred|bounced (reason)`, from smtp, lmtp, error, local,
 *    virtual, pipe services, from qmgr for "delivery temporarily suspended", and from
 *    cleanup for header/body check rejects of locally submitted mail;
 *  - when a message expires (maximal_queue_lifetime, or bounce_queue_lifetime for a bounce)
 *    the last attempt is logged per recipient as status=deferred, then qmgr logs ONE line per
 *    message: `QUEUEID: from=<sender>, status=expired, returned to sender`. It names no
 *    recipient, so this parser reports PFLOG_EXPIRED with the queue id only; a consumer that
 *    wants the domains remembers the recipients of the message's last deferred lines;
 *  - `postsuper[pid]: QUEUEID: removed` on deletion (qmgr logs the same text after every
 *    finished message, so only the postsuper service counts);
 *  - `status=deliverable|undeliverable` comes from address-verification probes, which
 *    deliver nothing: a line of no interest;
 *  - smtp and lmtp log every failed connection on its own line, `connect to HOST[ADDR]:PORT:
 *    REASON` (no queue id), before the status lines of the delivery it was for; the last
 *    failure's text is repeated as each deferred recipient's reason, so only these lines
 *    count connections (PFLOG_CONNFAIL).
 */
#include "pflog.h"

#include "util.h"

#include <stdbool.h>
#include <string.h>

#define LIT(s) (s), (sizeof(s) - 1)

struct tag {
    const char *service; /* the last /-separated part of the program name */
    size_t service_len;
    unsigned pid;
    const char *msg; /* the text after "[PID]: " */
};

static bool has_suffix(const char *p, const char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(end - n, lit, n) == 0;
}

static bool span_is(const char *p, size_t n, const char *lit, size_t litn)
{
    return n == litn && memcmp(p, lit, n) == 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    char l = (char)(c | 0x20);
    return is_digit(c) || (l >= 'a' && l <= 'z');
}

/* Bounded copy: a value longer than the buffer is cut at cap - 1 bytes, never overflowed. */
static void copy_cut(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int bad(struct pflog_event *ev, const char *why)
{
    ev->why = why;
    return -1;
}

/* Finds the program tag `NAME/.../SERVICE[PID]: `. Whatever precedes it (timestamp, host)
 * holds no ']' in any supported format, so the first ']' must close the PID. */
static bool find_tag(const char *line, const char *end, struct tag *t)
{
    const char *rb = memchr(line, ']', (size_t)(end - line));
    if (!rb || end - rb < 3 || rb[1] != ':' || rb[2] != ' ')
        return false;
    const char *lb = memrchr(line, '[', (size_t)(rb - line));
    if (!lb || lb + 1 == rb)
        return false;
    t->pid = 0;
    for (const char *d = lb + 1; d < rb; d++) {
        if (!is_digit(*d))
            return false;
        if (d - lb <= 9)
            t->pid = t->pid * 10 + (unsigned)(*d - '0');
    }
    const char *sp = memrchr(line, ' ', (size_t)(lb - line));
    const char *name = sp ? sp + 1 : line;
    const char *slash = memrchr(name, '/', (size_t)(lb - name));
    if (!slash || slash + 1 == lb)
        return false;
    t->service = slash + 1;
    t->service_len = (size_t)(lb - t->service);
    t->msg = rb + 3;
    return true;
}

static void start_event(struct pflog_event *ev, enum pflog_kind kind, const struct tag *t,
                        const char *qid, size_t qlen)
{
    ev->kind = kind;
    copy_cut(ev->queue_id, sizeof ev->queue_id, qid, qlen);
    ev->rcpt_domain[0] = ev->relay_host[0] = ev->relay_addr[0] = ev->dsn[0] = '\0';
    ev->relay_port = ev->dsn_code = ev->smtp_reply = 0;
    ev->delay_s = -1;
    ev->hard_class = kind == PFLOG_EXPIRED ? PFLOG_HARD_EXPIRED : PFLOG_HARD_NONE;
    copy_cut(ev->service, sizeof ev->service, t->service, t->service_len);
    ev->pid = t->pid;
    ev->rcpt = ev->reason = NULL;
    ev->rcpt_len = ev->reason_len = 0;
    ev->why = NULL;
}

/* Scans an address after its '<' up to the closing '>', skipping quoted local parts (which
 * may hold '@', '>', ", " or spaces). *at is the last unquoted '@', or NULL. */
static bool scan_addr(const char *p, const char *end, const char **at, const char **gt)
{
    bool quoted = false;
    *at = NULL;
    for (; p < end; p++) {
        if (quoted) {
            if (*p == '\\' && p + 1 < end)
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '@') {
            *at = p;
        } else if (*p == '>') {
            *gt = p;
            return true;
        }
    }
    return false;
}

/* The domain is a metric key: a cut one would merge distinct domains, so an overlong one
 * (DNS allows 253 bytes) or one holding spaces or control bytes (NUL included) is refused. */
static int set_domain(struct pflog_event *ev, const char *d, const char *end)
{
    size_t n = (size_t)(end - d);
    if (n >= sizeof ev->rcpt_domain)
        return bad(ev, "recipient domain longer than 253 bytes");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c <= ' ' || c == 0x7f)
            return bad(ev, "recipient domain holds a space or control byte");
        ev->rcpt_domain[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    ev->rcpt_domain[n] = '\0';
    return 0;
}

/* delay=SECONDS[.FRACTION] (Postfix logs at most two decimals, "0.12", "1234"): at most 9
 * digits before the point (31 years) and 9 after. */
static int parse_delay(struct pflog_event *ev, const char *v, const char *end)
{
    const char *p = v;
    double s = 0, unit = 1;
    while (p < end && is_digit(*p) && p - v < 9)
        s = s * 10 + (*p++ - '0');
    if (p == v)
        return bad(ev, "delay= is not a number of seconds");
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && is_digit(*p) && p - frac < 9)
            s += (*p++ - '0') * (unit /= 10);
        if (p == frac)
            return bad(ev, "delay= is not a number of seconds");
    }
    if (p != end)
        return bad(ev, "delay= is not a number of seconds");
    ev->delay_s = s;
    return 0;
}

/* dsn=C.SSS.DDD (RFC 3463: class 2, 4 or 5, then 1-3 digits twice). */
static int parse_dsn(struct pflog_event *ev, const char *v, const char *end)
{
    unsigned part[3];
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        const char *start = p;
        part[i] = 0;
        while (p < end && is_digit(*p) && p - start < 4)
            part[i] = part[i] * 10 + (unsigned)(*p++ - '0');
        long digits = p - start;
        if (digits == 0 || digits > (i == 0 ? 1 : 3))
            return bad(ev, "dsn= is not C.SSS.DDD");
        if (i < 2 && (p >= end || *p++ != '.'))
            return bad(ev, "dsn= is not C.SSS.DDD");
    }
    if (p != end || (part[0] != 2 && part[0] != 4 && part[0] != 5))
        return bad(ev, "dsn= is not C.SSS.DDD");
    copy_cut(ev->dsn, sizeof ev->dsn, v, (size_t)(end - v));
    ev->dsn_code = part[0] * 1000000 + part[1] * 1000 + part[2];
    return 0;
}

static int parse_port(struct pflog_event *ev, const char *p, const char *end)
{
    unsigned port = 0;
    if (p == end || end - p > 5)
        return bad(ev, "relay= port is not a number up to 65535");
    for (; p < end; p++) {
        if (!is_digit(*p))
            return bad(ev, "relay= port is not a number up to 65535");
        port = port * 10 + (unsigned)(*p - '0');
    }
    if (port > 65535)
        return bad(ev, "relay= port is not a number up to 65535");
    ev->relay_port = port;
    return 0;
}

/* relay=none | local | HOST[ADDR] | HOST[ADDR]:PORT; ADDR may be IPv6 or a socket path. */
static int parse_relay(struct pflog_event *ev, const char *v, const char *end)
{
    const char *lb = memchr(v, '[', (size_t)(end - v));
    copy_cut(ev->relay_host, sizeof ev->relay_host, v, (size_t)((lb ? lb : end) - v));
    if (!lb)
        return 0;
    const char *rb = memrchr(lb, ']', (size_t)(end - lb));
    if (!rb)
        return bad(ev, "relay= has '[' without ']'");
    copy_cut(ev->relay_addr, sizeof ev->relay_addr, lb + 1, (size_t)(rb - lb - 1));
    if (rb + 1 == end)
        return 0;
    if (rb[1] != ':')
        return bad(ev, "relay= has text after ']'");
    return parse_port(ev, rb + 2, end);
}

/* The reply code a remote server gave: "host X[Y] said: 550 ..." (smtp, lmtp) or
 * "host X[Y] refused to talk to me: 554 ..." (greeting). */
static unsigned reply_code(const char *r, const char *end)
{
    const char *c = mxw_span_find(r, end, LIT("said: "));
    if (c)
        c += sizeof "said: " - 1;
    else if ((c = mxw_span_find(r, end, LIT("refused to talk to me: "))))
        c += sizeof "refused to talk to me: " - 1;
    else
        return 0;
    if (end - c < 3 || c[0] < '2' || c[0] > '5' || !is_digit(c[1]) || !is_digit(c[2]))
        return 0;
    if (end - c > 3 && c[3] != ' ' && c[3] != '-')
        return 0;
    return (unsigned)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
}

/* Our own name lookup failed: Postfix's texts, or the enhanced codes it uses for them
 * (X.1.2 bad destination system, X.4.4 unable to route, X.1.10 null MX published). */
static bool is_dns_failure(unsigned dsn_code, const char *r, const char *end)
{
    unsigned sub = dsn_code / 1000 % 1000, detail = dsn_code % 1000;
    if ((sub == 1 && (detail == 2 || detail == 10)) || (sub == 4 && detail == 4))
        return true;
    return mxw_span_find(r, end, LIT("Host or domain name not found")) ||
           mxw_span_find(r, end, LIT("Name service error")) ||
           mxw_span_find(r, end, LIT("Host not found"));
}

/* The hard-bounce class, first match wins:
 *  expired: status=expired, dsn X.4.7 (delivery time expired) or "message too old";
 *  a remote 5xx reply: filter when its enhanced code is 5.7.x (security or policy: content
 *    filters, blocklists, SPF/DMARC), else 5xx;
 *  dns: our own lookup of the destination failed (is_dns_failure);
 *  filter: a local 5.7.x, or any bounce logged by cleanup (header_checks/body_checks
 *    REJECT of locally submitted mail: cleanup logs `reject: header|body ...` and then one
 *    status=bounced line per recipient, which is what is counted, never the reject line);
 *  other: everything else (error: transports, mailbox full, loops, ...). */
static enum pflog_hard_class classify(const struct pflog_event *ev, const char *r, const char *end)
{
    unsigned sub = ev->dsn_code / 1000 % 1000, detail = ev->dsn_code % 1000;
    if (ev->kind == PFLOG_EXPIRED || (sub == 4 && detail == 7) ||
        mxw_span_find(r, end, LIT("message too old")))
        return PFLOG_HARD_EXPIRED;
    if (ev->smtp_reply >= 500)
        return sub == 7 ? PFLOG_HARD_FILTER : PFLOG_HARD_5XX;
    if (is_dns_failure(ev->dsn_code, r, end))
        return PFLOG_HARD_DNS;
    if (sub == 7 || strcmp(ev->service, "cleanup") == 0)
        return PFLOG_HARD_FILTER;
    return PFLOG_HARD_OTHER;
}

/* status=WORD[ (reason)] is the last field; the reason runs to the end of the line. */
static int parse_status(struct pflog_event *ev, const char *v, const char *end)
{
    const char *w = v;
    while (w < end && *w != ' ' && *w != ',')
        w++;
    size_t n = (size_t)(w - v);
    if (span_is(v, n, LIT("sent")))
        ev->kind = PFLOG_SENT;
    else if (span_is(v, n, LIT("deferred")))
        ev->kind = PFLOG_DEFERRED;
    else if (span_is(v, n, LIT("bounced")))
        ev->kind = PFLOG_BOUNCED;
    else if (span_is(v, n, LIT("expired")))
        ev->kind = PFLOG_EXPIRED;
    else if (span_is(v, n, LIT("deliverable")) || span_is(v, n, LIT("undeliverable")))
        return 0;
    else
        return bad(ev, "status= is not sent, deferred, bounced or expired");
    const char *r = mxw_span_prefix(w, end, LIT(" (")) ? w + 2 : end;
    ev->reason = r;
    ev->reason_len = (size_t)(end - r);
    if (ev->reason_len && end[-1] == ')')
        ev->reason_len--;
    if (ev->kind != PFLOG_SENT)
        ev->smtp_reply = reply_code(r, end);
    if (ev->kind == PFLOG_BOUNCED || ev->kind == PFLOG_EXPIRED)
        ev->hard_class = classify(ev, r, end);
    return 1;
}

/* The end of a plain field value: the next ", " or the end of the line. */
static const char *value_end(const char *v, const char *end)
{
    const char *c = v;
    while ((c = memchr(c, ',', (size_t)(end - c))) && c + 1 < end && c[1] != ' ')
        c++;
    return c && c + 1 < end ? c : end;
}

/* The fields after to=<...>: ", key=value" pairs up to status=, which ends the list. */
static int parse_fields(struct pflog_event *ev, const char *p, const char *end)
{
    for (;;) {
        if (!mxw_span_prefix(p, end, LIT(", ")))
            return bad(ev, "line ends before status=");
        p += 2;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq)
            return bad(ev, "field without '='");
        const char *v = eq + 1, *ve, *at;
        size_t klen = (size_t)(eq - p);
        if (span_is(p, klen, LIT("status")))
            return parse_status(ev, v, end);
        if (span_is(p, klen, LIT("orig_to"))) {
            if (v >= end || *v != '<' || !scan_addr(v + 1, end, &at, &ve))
                return bad(ev, "orig_to=<...> not closed");
            p = ve + 1;
            continue;
        }
        ve = value_end(v, end);
        if (span_is(p, klen, LIT("relay")) && parse_relay(ev, v, ve) < 0)
            return -1;
        if (span_is(p, klen, LIT("dsn")) && parse_dsn(ev, v, ve) < 0)
            return -1;
        if (span_is(p, klen, LIT("delay")) && parse_delay(ev, v, ve) < 0)
            return -1;
        p = ve;
    }
}

/* `QUEUEID: to=<rcpt>, ...`: p points after "to=<". The domain is the delivered (rewritten)
 * recipient's, not orig_to's: that is where the mail was actually sent. */
static int parse_status_line(struct pflog_event *ev, const struct tag *t, const char *qid,
                             size_t qlen, const char *p, const char *end)
{
    const char *at, *gt;
    if (qlen >= sizeof ev->queue_id)
        return bad(ev, "queue id longer than 31 bytes");
    start_event(ev, PFLOG_NONE, t, qid, qlen);
    if (!scan_addr(p, end, &at, &gt))
        return bad(ev, "to=<...> not closed");
    ev->rcpt = p;
    ev->rcpt_len = (size_t)(gt - p);
    if (at && set_domain(ev, at + 1, gt) < 0)
        return -1;
    return parse_fields(ev, gt + 1, end);
}

static int message_event(struct pflog_event *ev, enum pflog_kind kind, const struct tag *t,
                         const char *qid, size_t qlen)
{
    if (qlen >= sizeof ev->queue_id)
        return bad(ev, "queue id longer than 31 bytes");
    start_event(ev, kind, t, qid, qlen);
    return 1;
}

/* `connect to TARGET: REASON`, TARGET being HOST[ADDR]:PORT (or a socket path); p points
 * after "connect to ". A shape this does not know is of no interest (0), never malformed. */
static int connfail_event(struct pflog_event *ev, const struct tag *t, const char *msg,
                          const char *p, const char *end)
{
    const char *sep = mxw_span_find(p, end, LIT(": "));
    if (!sep || sep == p || sep + 2 == end)
        return 0;
    start_event(ev, PFLOG_CONNFAIL, t, "", 0);
    if (parse_relay(ev, p, sep) < 0)
        return 0;
    ev->reason = msg;
    ev->reason_len = (size_t)(end - msg);
    return 1;
}

int pflog_parse_line(const char *line, size_t len, struct pflog_event *ev)
{
    const char *end = line + len;
    struct tag t;
    while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (!find_tag(line, end, &t))
        return 0;
    const char *qid = t.msg, *p = t.msg;
    if (mxw_span_prefix(p, end, LIT("connect to ")))
        return connfail_event(ev, &t, p, p + sizeof "connect to " - 1, end);
    while (p < end && is_alnum(*p))
        p++;
    size_t qlen = (size_t)(p - qid);
    if (qlen == 0 || !mxw_span_prefix(p, end, LIT(": ")))
        return 0;
    p += 2;
    if (mxw_span_prefix(p, end, LIT("to=<")))
        return parse_status_line(ev, &t, qid, qlen, p + 4, end);
    if (mxw_span_prefix(p, end, LIT("from=<")) &&
        has_suffix(p, end, LIT(", status=expired, returned to sender")))
        return message_event(ev, PFLOG_EXPIRED, &t, qid, qlen);
    if (span_is(t.service, t.service_len, LIT("postsuper")) &&
        span_is(p, (size_t)(end - p), LIT("removed")))
        return message_event(ev, PFLOG_REMOVED, &t, qid, qlen);
    return 0;
}

const char *pflog_kind_name(enum pflog_kind kind)
{
    switch (kind) {
    case PFLOG_NONE: return "none";
    case PFLOG_SENT: return "sent";
    case PFLOG_DEFERRED: return "deferred";
    case PFLOG_BOUNCED: return "bounced";
    case PFLOG_EXPIRED: return "expired";
    case PFLOG_REMOVED: return "removed";
    case PFLOG_CONNFAIL: return "connfail";
    }
    return "unknown";
}

const char *pflog_hard_class_name(enum pflog_hard_class hard_class)
{
    switch (hard_class) {
    case PFLOG_HARD_NONE: return "none";
    case PFLOG_HARD_DNS: return "dns";
    case PFLOG_HARD_5XX: return "5xx";
    case PFLOG_HARD_FILTER: return "filter";
    case PFLOG_HARD_EXPIRED: return "expired";
    case PFLOG_HARD_OTHER: return "other";
    }
    return "unknown";
}
