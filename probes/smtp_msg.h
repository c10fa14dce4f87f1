/*
 * smtp_msg.h - the test message of a data-mode transaction probe (issue 16): headers that
 * say what it is (Date, From, To, Subject, Message-ID, X-Mxwatch-Probe), a body padded to
 * the size asked for in lines of at most 78 characters, CRLF line ends, dot-stuffed, and
 * the end-of-data line. Built by one SMTP session (smtp_session.c) on the loop thread, and
 * by its unit test. Pure but for the Message-ID's random part; never logs.
 */
#ifndef MXW_SMTP_MSG_H
#define MXW_SMTP_MSG_H

#include "buf.h"

#include <stddef.h>
#include <time.h>

struct smtp_msg {
    const char *from, *to;  /* envelope addresses, also the From: and To: headers */
    const char *message_id; /* without <> */
    size_t size;            /* bytes wanted, headers included; at most TXN_SIZE_MAX */
    time_t date;
};

/* A new Message-ID, "<32 hex digits>@host", without <>, into out (at least 48 + the host's
 * length; cut otherwise). host must already be a safe name (the EHLO name). */
void smtp_msg_id(char *out, size_t cap, const char *host);

/* Appends the message to b: every line CRLF-ended and dot-stuffed, then ".\r\n". The
 * message (before the stuffing and the end line) is max(size, its headers) bytes rounded
 * up to a whole line. O(size). */
void smtp_msg_build(struct buf *b, const struct smtp_msg *m);

#endif
