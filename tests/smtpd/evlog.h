/*
 * evlog.h: the event log of mxw-smtpd, one logfmt line per connection event and per command
 * received, so integration tests can assert what a client did (for example that it sent QUIT).
 *
 * Interface only. Used by main.c (open, close) and session.c (lines), on the one thread.
 */
#ifndef MXW_SMTPD_EVLOG_H
#define MXW_SMTPD_EVLOG_H

#include <stdbool.h>
#include <stddef.h>

struct evlog;

/* Opens (appends to) path; NULL with err filled on failure. */
struct evlog *evlog_open(const char *path, char *err, size_t errlen);
void evlog_close(struct evlog *lg);

/* False for a NULL log, so callers can skip building a line nobody reads. */
bool evlog_on(const struct evlog *lg);

/* Writes "ts=... subsys=smtpd " then the formatted text and a newline, flushed at once.
 * Callers pass only printable values (see session.c); a line is cut at EVLOG_LINE_MAX. */
void evlog_line(struct evlog *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define EVLOG_LINE_MAX 1024

#endif
