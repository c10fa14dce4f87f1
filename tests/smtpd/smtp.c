/*
 * smtp.c: the SMTP dialogue of one mxw-smtpd session: given a complete line, decide the
 * reply and the next state (commands and the DATA body alike).
 *
 * Called by session.c for every line read, on the one thread. It never touches the socket:
 * replies are queued through sess_reply() and session.c sends them. The message body is
 * counted and discarded, never stored.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "sess_priv.h"

static const char *const state_names[] = {
    [SS_DELAY] = "delay",         [SS_GREETED] = "greeted",
    [SS_READY] = "ready",         [SS_MAIL] = "mail",
    [SS_RCPT] = "rcpt",           [SS_DATA] = "data",
    [SS_TLS_START] = "tls_start", [SS_TLS_HANDSHAKE] = "tls_handshake",
    [SS_REFUSING] = "refusing",   [SS_MUTE] = "mute",
    [SS_GARBAGE] = "garbage",     [SS_CLOSING] = "closing",
    [SS_NOT_TLS] = "not_tls",
};

const char *smtp_strstate(enum sess_state st)
{
    return st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st] : "?";
}

static bool in_transaction(const struct session *s)
{
    return s->state == SS_MAIL || s->state == SS_RCPT;
}

static void do_helo(struct session *s, const struct cmd *c)
{
    if (c->arglen == 0) {
        sess_reply(s, 501, "5.5.4 Syntax: HELO hostname");
        return;
    }
    const char *text = sess_banner_text(s);
    sess_replyf(s, 250, "%s", text != NULL ? text : s->srv->hostname);
    s->state = SS_READY;
}

/* STARTTLS in the EHLO reply: with a certificate until TLS is on; always in badtls mode. */
static bool offers_tls(const struct session *s)
{
    return !s->tls && (s->srv->tls != NULL || s->lc->mode == MODE_BADTLS);
}

static void do_ehlo(struct session *s, const struct cmd *c)
{
    if (c->arglen == 0) {
        sess_reply(s, 501, "5.5.4 Syntax: EHLO hostname");
        return;
    }
    const char *text = sess_banner_text(s);
    char buf[SESS_LINE_MAX];
    int n = snprintf(buf, sizeof(buf),
                     "250-%s\r\n250-PIPELINING\r\n250-SIZE %zu\r\n250-8BITMIME\r\n%s"
                     "250 ENHANCEDSTATUSCODES\r\n",
                     text != NULL ? text : s->srv->hostname, s->lc->max_msg,
                     offers_tls(s) ? "250-STARTTLS\r\n" : "");
    sess_queue(s, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    s->last_code = 250;
    s->state = SS_READY;
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

/* greylist: whether this sender/recipient pair is admitted: first tried at least wait= ago
 * (the listener's, 0 by default: any later try); remembers a new pair. */
static bool grey_seen(struct session *s, const struct cmd *c)
{
    struct sess_server *srv = s->srv;
    uint64_t h = fnv(s->from_hash, c->arg, c->arglen);
    int64_t now = loop_now(srv->loop);
    for (unsigned i = 0; i < srv->n_grey; i++)
        if (srv->grey[i] == h)
            return now - srv->grey_at[i] >= s->lc->wait_ms;
    srv->grey_at[srv->next_grey] = now;
    srv->grey[srv->next_grey] = h;
    srv->next_grey = (srv->next_grey + 1) % GREY_MAX;
    if (srv->n_grey < GREY_MAX)
        srv->n_grey++;
    return false;
}

static void do_mail(struct session *s, const struct cmd *c)
{
    uint64_t size = 0;
    if (s->state == SS_GREETED)
        sess_reply(s, 503, "5.5.1 Error: send HELO/EHLO first");
    else if (in_transaction(s))
        sess_reply(s, 503, "5.5.1 Error: nested MAIL command");
    else if (!cmd_mail_ok(c->arg, c->arglen, &size))
        sess_reply(s, 501, "5.5.4 Syntax: MAIL FROM:<address>");
    else if (size > s->lc->max_msg)
        sess_reply(s, 552, "5.3.4 Message size exceeds fixed limit");
    else if (s->lc->mode == MODE_MAIL4XX)
        sess_reply(s, 451, "4.7.1 Sender throttled, try again later");
    else if (s->lc->mode == MODE_MAIL5XX)
        sess_reply(s, 550, "5.7.1 Sender refused");
    else {
        sess_reply(s, 250, "2.1.0 Ok");
        s->state = SS_MAIL;
        s->rcpts = 0;
        s->from_hash = fnv(0xcbf29ce484222325ULL, c->arg, c->arglen);
    }
}

static void do_rcpt(struct session *s, const struct cmd *c)
{
    if (!in_transaction(s))
        sess_reply(s, 503, "5.5.1 Error: need MAIL command");
    else if (!cmd_rcpt_ok(c->arg, c->arglen))
        sess_reply(s, 501, "5.5.4 Syntax: RCPT TO:<address>");
    else if (s->lc->mode == MODE_RCPT5XX)
        sess_reply(s, 550, "5.1.1 user unknown");
    else if (s->lc->mode == MODE_RCPT4XX)
        sess_reply(s, 451, "4.7.1 Throttled: too many messages, try again later");
    else if (s->lc->mode == MODE_GREYLIST && !grey_seen(s, c))
        sess_reply(s, 451, "4.7.1 Greylisted, try again later");
    else if (s->rcpts >= SESS_MAX_RCPT)
        sess_reply(s, 452, "4.5.3 Error: too many recipients");
    else {
        sess_reply(s, 250, "2.1.5 Ok");
        s->rcpts++;
        s->state = SS_RCPT;
    }
}

static void do_data(struct session *s, const struct cmd *c)
{
    if (c->arglen > 0)
        sess_reply(s, 501, "5.5.4 Syntax: DATA");
    else if (s->state == SS_MAIL)
        sess_reply(s, 554, "5.5.1 Error: no valid recipients");
    else if (s->state != SS_RCPT)
        sess_reply(s, 503, "5.5.1 Error: need RCPT command");
    else {
        sess_reply(s, 354, "End data with <CR><LF>.<CR><LF>");
        s->state = SS_DATA;
        s->msg_bytes = 0;
        s->data_fault = DATA_FINE;
        s->in_headers = true;
        s->msgid[0] = s->probe_hdr[0] = '\0';
    }
}

static void do_starttls(struct session *s, const struct cmd *c)
{
    if (s->srv->tls == NULL && s->lc->mode != MODE_BADTLS)
        sess_reply(s, 502, "5.5.1 Error: command not implemented");
    else if (s->tls)
        sess_reply(s, 554, "5.5.1 Error: TLS already active");
    else if (c->arglen > 0)
        sess_reply(s, 501, "5.5.4 Syntax: STARTTLS");
    else if (in_transaction(s))
        sess_reply(s, 503, "5.5.1 Error: STARTTLS inside a mail transaction");
    else {
        sess_reply(s, 220, "2.0.0 Ready to start TLS");
        /* RFC 3207 section 6: anything the client pipelined after STARTTLS came in clear
         * and must not be taken as said under TLS. */
        conn_discard_input(&s->conn);
        s->state = s->lc->mode == MODE_BADTLS ? SS_NOT_TLS : SS_TLS_START;
    }
}

static void dispatch(struct session *s, const struct cmd *c)
{
    switch (c->verb) {
    case CMD_HELO: do_helo(s, c); break;
    case CMD_EHLO: do_ehlo(s, c); break;
    case CMD_MAIL: do_mail(s, c); break;
    case CMD_RCPT: do_rcpt(s, c); break;
    case CMD_DATA: do_data(s, c); break;
    case CMD_STARTTLS: do_starttls(s, c); break;
    case CMD_RSET:
        sess_reply(s, 250, "2.0.0 Ok");
        if (in_transaction(s))
            s->state = SS_READY;
        break;
    case CMD_NOOP: sess_reply(s, 250, "2.0.0 Ok"); break;
    case CMD_QUIT:
        if (s->lc->mode == MODE_NOQUIT) {
            s->state = SS_MUTE; /* the client must give up waiting and close */
            break;
        }
        sess_reply(s, 221, "2.0.0 Bye");
        sess_close_after(s, END_QUIT);
        break;
    case CMD_UNKNOWN: sess_reply(s, 502, "5.5.2 Error: command not recognized"); break;
    }
}

static void command(struct session *s, const char *line, size_t len, bool too_long)
{
    struct cmd c;
    cmd_parse(line, len, &c);
    s->last_code = 0;
    if (too_long) {
        /* The verb read from the tail of a long line means nothing. */
        strcpy(c.name, "?");
        if (s->state != SS_MUTE)
            sess_reply(s, 500, "5.5.2 line too long");
    } else if (s->state == SS_REFUSING) {
        if (c.verb == CMD_QUIT) {
            sess_reply(s, 221, "2.0.0 Bye");
            sess_close_after(s, END_QUIT);
        } else {
            sess_reply(s, 503, "5.5.1 Error: no SMTP service here");
        }
    } else if (s->state != SS_MUTE) {
        dispatch(s, &c);
    }
    sess_log(s, "event=cmd verb=%s reply=%d", c.name, s->last_code);
    if (s->last_code >= 500 && s->state != SS_REFUSING && ++s->errors >= SESS_MAX_ERRORS) {
        sess_replyf(s, 421, "4.7.0 %s Error: too many errors", s->srv->hostname);
        sess_close_after(s, END_ERRORS);
    }
}

static void end_of_data(struct session *s)
{
    switch (s->data_fault) {
    case DATA_TOO_BIG: sess_reply(s, 552, "5.3.4 Error: message too big"); break;
    case DATA_LINE_TOO_LONG: sess_reply(s, 500, "5.5.2 line too long"); break;
    case DATA_FINE:
        sess_replyf(s, 250, "2.0.0 Ok: queued as %08llX", (unsigned long long)s->id);
        break;
    }
    sess_log(s, "event=message bytes=%llu rcpts=%u reply=%d msgid=\"%s\" probe=\"%s\"",
             (unsigned long long)s->msg_bytes, s->rcpts, s->last_code, s->msgid, s->probe_hdr);
    s->state = SS_READY;
}

/* A header's value into dst, if line is that header: printable bytes only, '"' and
 * '\\' as '?', cut at SESS_HDR_MAX, so the log line stays one logfmt value. */
static void keep_header(char *dst, const char *name, const char *line, size_t len)
{
    size_t k = strlen(name);
    if (len <= k || strncasecmp(line, name, k) != 0)
        return;
    size_t i = k, n = 0;
    while (i < len && line[i] == ' ')
        i++;
    for (; i < len && n + 1 < SESS_HDR_MAX; i++) {
        unsigned char ch = (unsigned char)line[i];
        dst[n++] = (char)(ch < ' ' || ch >= 0x7f || ch == '"' || ch == '\\' ? '?' : ch);
    }
    dst[n] = '\0';
}

/* A body line: counted (a leading dot of a stuffed line is not part of the message) and
 * dropped; the headers Message-ID and X-Mxwatch-Probe are kept for the log. */
static void data_line(struct session *s, const char *line, size_t len, bool too_long)
{
    if (!too_long && len == 1 && line[0] == '.') {
        end_of_data(s);
        return;
    }
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    if (s->in_headers && len == 0)
        s->in_headers = false;
    if (s->in_headers && !too_long) {
        keep_header(s->msgid, "Message-ID:", line, len);
        keep_header(s->probe_hdr, "X-Mxwatch-Probe:", line, len);
    }
    s->msg_bytes += len + 2;
    if (too_long)
        s->data_fault = DATA_LINE_TOO_LONG;
    else if (s->msg_bytes > s->lc->max_msg && s->data_fault == DATA_FINE)
        s->data_fault = DATA_TOO_BIG;
}

void smtp_line(struct session *s, const char *line, size_t len, bool too_long)
{
    if (s->state == SS_DATA)
        data_line(s, line, len, too_long);
    else
        command(s, line, len, too_long);
}
