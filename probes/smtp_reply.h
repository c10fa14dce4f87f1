/*
 * smtp_reply.h - reading an SMTP server's replies: its bytes split into lines (each kept up
 * to SMTP_LINE_KEPT bytes, the rest of a longer line dropped), the reply code of a line and
 * whether it ends a multi-line reply, and the text kept of a reply (banner, EHLO keywords)
 * with control bytes shown as '.'. Used by one SMTP session (smtp_session.c) on the loop
 * thread, and by its fuzz target. Pure: no I/O, no allocation, no logging.
 */
#ifndef MXW_SMTP_REPLY_H
#define MXW_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_LINE_KEPT 1024 /* bytes of one server line kept; RFC 5321 allows 512 */

/* The server line being read. Zero it to start. */
struct smtp_lines {
    char line[SMTP_LINE_KEPT];
    size_t len;
};

/* Called with each complete line, without its LF and without one CR before it; rest is how
 * many bytes of this feed follow the line. Returns false to stop reading (the session left
 * the plain-text dialogue: the bytes left are not lines). */
typedef bool smtp_line_fn(void *arg, const char *line, size_t n, size_t rest);

/* Splits n bytes into lines for fn; a line without its LF yet is kept for the next feed.
 * Returns the bytes left unread when fn stopped, else 0. O(n). */
size_t smtp_lines_feed(struct smtp_lines *s, const char *p, size_t n, smtp_line_fn *fn, void *arg);

/* The reply code (0..999: three digits) of a line, or -1 when it does not start with three
 * digits; *final is false for "NNN-" (more lines of the reply follow) and true otherwise. */
int smtp_reply_code(const char *line, size_t n, bool *final);

/* Appends a line to the text kept in dst (cap bytes, NUL-terminated), after a newline when
 * dst is not empty; control bytes become '.', what does not fit is cut. */
void smtp_reply_append(char *dst, size_t cap, const char *src, size_t n);

#endif
