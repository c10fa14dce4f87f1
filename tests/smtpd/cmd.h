/*
 * cmd.h: SMTP command lines as mxw-smtpd reads them: the verb, its argument, and the checks
 * of MAIL and RCPT arguments.
 *
 * Interface only. Pure functions, used by session.c on the one thread.
 */
#ifndef MXW_SMTPD_CMD_H
#define MXW_SMTPD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cmd_verb {
    CMD_UNKNOWN,
    CMD_HELO,
    CMD_EHLO,
    CMD_MAIL,
    CMD_RCPT,
    CMD_DATA,
    CMD_RSET,
    CMD_NOOP,
    CMD_QUIT,
    CMD_STARTTLS,
};

#define CMD_NAME_MAX 12 /* verbs are logged cut to this many characters */

struct cmd {
    enum cmd_verb verb;
    char name[CMD_NAME_MAX + 1]; /* the verb as sent, upper-cased, non-printables as '?' */
    const char *arg;             /* after the verb and its spaces; not NUL-terminated */
    size_t arglen;
};

/* Splits one line (without its CRLF). */
void cmd_parse(const char *line, size_t len, struct cmd *out);

/* Checks a MAIL argument "FROM:<path> [params]"; *size gets SIZE= when present, else 0.
 * False on a syntax error. */
bool cmd_mail_ok(const char *arg, size_t len, uint64_t *size);

/* Checks an RCPT argument "TO:<path> [params]" with a non-empty path. */
bool cmd_rcpt_ok(const char *arg, size_t len);

#endif
