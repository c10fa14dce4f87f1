/*
 * log.c - logfmt / JSON line logger on stderr (see log.h). Thread-safe: the line is built
 * in a stack buffer and written with a single write(2). The level and format are set once at
 * start-up (before threads start) and on reload; they are read with relaxed atomics.
 *
 * A message "text key=value key2=value2" is split at the first " key=" so that callers can
 * add structured fields without a varargs key/value API: msg="text" key=value key2=value2.
 */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static atomic_int log_level_cur = LOG_LVL_INFO;
static atomic_int log_format_cur = LOG_FMT_LOGFMT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (strcmp(s, "logfmt") == 0)
        *out = LOG_FMT_LOGFMT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FMT_JSON;
    else
        return -1;
    return 0;
}

void log_setup(enum log_level level, enum log_format format)
{
    atomic_store(&log_level_cur, (int)level);
    atomic_store(&log_format_cur, (int)format);
}

int log_enabled(enum log_level level)
{
    return (int)level >= atomic_load_explicit(&log_level_cur, memory_order_relaxed);
}

/* Appends s quoted and escaped for logfmt or JSON (both use backslash escapes for quote,
 * backslash and control characters). Stops at the buffer's end. */
static size_t put_quoted(char *buf, size_t pos, size_t cap, const char *s, size_t n)
{
    if (pos + 1 < cap)
        buf[pos++] = '"';
    for (size_t i = 0; i < n && pos + 7 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            pos += (size_t)snprintf(buf + pos, cap - pos, "\\u%04x", c);
        } else {
            buf[pos++] = (char)c;
        }
    }
    if (pos + 1 < cap)
        buf[pos++] = '"';
    return pos;
}

static size_t put_raw(char *buf, size_t pos, size_t cap, const char *s, size_t n)
{
    if (pos >= cap)
        return pos;
    if (n > cap - pos - 1)
        n = cap - pos - 1;
    memcpy(buf + pos, s, n);
    return pos + n;
}

/* Whether p (just after a space) starts a field: a key of [a-z0-9_.]+ and '='. */
static int is_field(const char *p)
{
    const char *k = p;
    while ((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' || *k == '.')
        k++;
    return k > p && *k == '=';
}

/* Finds the start of the structured tail: the first " key=". */
static const char *find_fields(const char *msg)
{
    for (const char *p = strchr(msg, ' '); p; p = strchr(p + 1, ' '))
        if (is_field(p + 1))
            return p;
    return NULL;
}

/* The end of a value starting at v. A quoted value ends at the quote that is followed by
 * the end or by the next field, so a quote inside outside data (error="bad 'a"b'") cannot
 * end it early; a bare value ends at the next space. */
static const char *value_end(const char *v)
{
    if (*v != '"')
        return v + strcspn(v, " ");
    for (const char *q = strchr(v + 1, '"'); q; q = strchr(q + 1, '"'))
        if (q[1] == '\0' || (q[1] == ' ' && is_field(q + 2)))
            return q + 1;
    return v + strlen(v);
}

/* A bare value may go out as it is unless it holds bytes that need escaping. */
static int plain(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* Emits the k=v fields of the tail. Values are re-escaped here, whatever the caller
 * formatted into them (outside data may hold quotes, backslashes or line breaks), so one
 * event is always one line. */
static size_t put_fields(char *buf, size_t pos, size_t cap, const char *tail, int json)
{
    const char *p = tail;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!eq || !*p)
            break;
        const char *v = eq + 1, *vend = value_end(v);
        const char *in = v;
        size_t n = (size_t)(vend - v);
        if (*v == '"') {
            in = v + 1;
            n = n >= 2 && vend[-1] == '"' ? n - 2 : n - 1;
        }
        if (json) {
            pos = put_raw(buf, pos, cap, ",", 1);
            pos = put_quoted(buf, pos, cap, p, (size_t)(eq - p));
            pos = put_raw(buf, pos, cap, ":", 1);
            pos = put_quoted(buf, pos, cap, in, n);
        } else {
            pos = put_raw(buf, pos, cap, " ", 1);
            pos = put_raw(buf, pos, cap, p, (size_t)(v - p));
            if (*v != '"' && plain(in, n))
                pos = put_raw(buf, pos, cap, in, n);
            else
                pos = put_quoted(buf, pos, cap, in, n);
        }
        p = vend;
    }
    return pos;
}

void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char msg[LOG_LINE_MAX / 2], ts[40], line[LOG_LINE_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof ts - tl, ".%03ldZ", now.tv_nsec / 1000000);

    const char *tail = find_fields(msg);
    size_t mlen = tail ? (size_t)(tail - msg) : strlen(msg);
    int json = atomic_load_explicit(&log_format_cur, memory_order_relaxed) == LOG_FMT_JSON;
    size_t pos = 0, cap = sizeof line - 1;
    if (json) {
        pos = (size_t)snprintf(line, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"subsys\":", ts,
                               level_names[level]);
        pos = put_quoted(line, pos, cap, subsys, strlen(subsys));
        pos = put_raw(line, pos, cap, ",\"msg\":", 7);
        pos = put_quoted(line, pos, cap, msg, mlen);
        if (tail)
            pos = put_fields(line, pos, cap, tail, 1);
        pos = put_raw(line, pos, cap, "}", 1);
    } else {
        pos = (size_t)snprintf(line, cap, "ts=%s level=%s subsys=%s msg=", ts, level_names[level],
                               subsys);
        pos = put_quoted(line, pos, cap, msg, mlen);
        if (tail)
            pos = put_fields(line, pos, cap, tail, 0);
    }
    line[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, pos);
    (void)w;
}

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, subsys, fmt, ap);
    va_end(ap);
}
