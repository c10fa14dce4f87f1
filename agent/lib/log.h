/*
 * log.h - the agent's logger: logfmt (default) or JSON lines on stderr, one line per
 * event, a subsystem token first (log_warn("dns", ...)). Any thread may call it; a line is
 * written with one write(2), so lines from threads never interleave. Never log secrets.
 */
#ifndef MXW_LOG_H
#define MXW_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };
enum log_format { LOG_FMT_LOGFMT, LOG_FMT_JSON };

int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);
void log_setup(enum log_level level, enum log_format format);
int log_enabled(enum log_level level);

/* fmt is a printf format: its text up to the first " key=" becomes the msg= field, and
 * each "key=VALUE" after it a field, e.g. log_info("web", "listening address=%s tls=%s",
 * addr, tls). The split is made on fmt itself, never on what it formats, so an argument
 * cannot add a field whatever it holds. A VALUE runs to the next " key=" of fmt; a quoted
 * one ("%s") is always quoted on output, a bare one only when it has to be (a space, a
 * quote, '=', a control character). A field must therefore be written into fmt, never
 * passed in an argument. */
void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_debug(s, ...) log_msg(LOG_LVL_DEBUG, s, __VA_ARGS__)
#define log_info(s, ...)  log_msg(LOG_LVL_INFO, s, __VA_ARGS__)
#define log_warn(s, ...)  log_msg(LOG_LVL_WARN, s, __VA_ARGS__)
#define log_error(s, ...) log_msg(LOG_LVL_ERROR, s, __VA_ARGS__)

#endif
