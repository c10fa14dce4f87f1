/*
 * log.c - logfmt / JSON line logger on stderr (see log.h). Thread-safe: the line is built
 * in stack buffers and written with a single write(2). The level and format are set once at
 * start-up (before threads start) and on reload; they are read with relaxed atomics.
 *
 * The fields come from the format string, which is the caller's own text, never from what
 * it formats: "text key=%s key2=\"%s\"" is split at its first " key=" into the message and
 * the fields, and each piece is then formatted with its own arguments and escaped on its
 * own. A value from outside (a banner, a file name, an error) therefore stays inside its
 * field whatever it holds: ` level=error msg="x"` in it cannot start a field of its own.
 * Never logs, never allocates.
 */
#include "log.h"

#include "expfmt.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX   4096
#define LOG_PIECE_MAX  (LOG_LINE_MAX / 2) /* one formatted message or value */
#define LOG_FIELDS_MAX 24                 /* beyond it, the rest of the format is the last value */

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

/* ---- the format, split into the message and the fields ---- */

struct span {
    const char *p;
    size_t n;
};

struct layout {
    struct span msg;
    size_t n_fields;
    struct {
        struct span key, val;
        bool quoted; /* the format quotes the value: it is always quoted on output */
    } f[LOG_FIELDS_MAX];
};

/* Whether p (just after a space) starts a field: a key of [a-z0-9_.]+ and '='. */
static bool is_field(const char *p)
{
    const char *k = p;
    while ((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' || *k == '.')
        k++;
    return k > p && *k == '=';
}

/* The next " key=" at or after p, or the end of the format. */
static const char *next_field(const char *p)
{
    for (p = strchr(p, ' '); p; p = strchr(p + 1, ' '))
        if (is_field(p + 1))
            return p;
    return NULL;
}

/* The end of the value at v: a quoted value ends at the quote followed by the end or by the
 * next field; a bare one at the next field. */
static const char *value_end(const char *v)
{
    if (*v == '"') {
        for (const char *q = strchr(v + 1, '"'); q; q = strchr(q + 1, '"'))
            if (q[1] == '\0' || (q[1] == ' ' && is_field(q + 2)))
                return q + 1;
        return v + strlen(v);
    }
    const char *next = next_field(v);
    return next ? next : v + strlen(v);
}

static void split_format(const char *fmt, struct layout *lo)
{
    const char *p = next_field(fmt);
    lo->msg = (struct span){fmt, p ? (size_t)(p - fmt) : strlen(fmt)};
    lo->n_fields = 0;
    if (!p)
        return;
    while (*p) {
        p++; /* the space before the key */
        const char *eq = strchr(p, '=');
        if (!eq)
            break; /* next_field found " key=": not reached */
        const char *v = eq + 1;
        const char *end = lo->n_fields + 1 < LOG_FIELDS_MAX ? value_end(v) : v + strlen(v);
        bool quoted = *v == '"';
        const char *in = quoted ? v + 1 : v;
        size_t n = (size_t)(end - in) - (quoted && end > in && end[-1] == '"');
        lo->f[lo->n_fields].key = (struct span){p, (size_t)(eq - p)};
        lo->f[lo->n_fields].val = (struct span){in, n};
        lo->f[lo->n_fields++].quoted = quoted;
        p = end;
    }
}

/* ---- one piece of the format, with its arguments ---- */

struct out {
    char *p;
    size_t len, cap; /* len < cap; p[len] is the terminator */
};

static void out_add(struct out *o, const char *s, size_t n)
{
    if (n > o->cap - 1 - o->len)
        n = o->cap - 1 - o->len;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* Length modifiers, as the conversion reads its argument. */
enum lenmod {
    LM_INT,
    LM_CHAR,
    LM_SHORT,
    LM_LONG,
    LM_LLONG,
    LM_INTMAX,
    LM_SIZE,
    LM_PTRDIFF,
    LM_LDBL
};

static const char *read_lenmod(const char *p, enum lenmod *lm)
{
    static const struct {
        const char *s;
        enum lenmod lm;
    } mods[] = {{"hh", LM_CHAR},  {"h", LM_SHORT}, {"ll", LM_LLONG},  {"l", LM_LONG},
                {"j", LM_INTMAX}, {"z", LM_SIZE},  {"t", LM_PTRDIFF}, {"L", LM_LDBL}};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t n = strlen(mods[i].s);
        if (!strncmp(p, mods[i].s, n)) {
            *lm = mods[i].lm;
            return p + n;
        }
    }
    *lm = LM_INT;
    return p;
}

/* Several branches read the same type on LP64 (long, long long, intmax_t, ssize_t), not on
 * every ABI: they stay apart. */
static long long signed_arg(va_list *ap, enum lenmod lm)
{
    /* NOLINTBEGIN(bugprone-branch-clone) */
    switch (lm) {
    case LM_CHAR: return (signed char)va_arg(*ap, int);
    case LM_SHORT: return (short)va_arg(*ap, int);
    case LM_LONG: return va_arg(*ap, long);
    case LM_LLONG: return va_arg(*ap, long long);
    case LM_INTMAX: return va_arg(*ap, intmax_t);
    case LM_SIZE: return va_arg(*ap, ssize_t);
    case LM_PTRDIFF: return va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

static unsigned long long unsigned_arg(va_list *ap, enum lenmod lm)
{
    switch (lm) { /* as signed_arg */
    case LM_CHAR: return (unsigned char)va_arg(*ap, unsigned);
    case LM_SHORT: return (unsigned short)va_arg(*ap, unsigned);
    case LM_LONG: return va_arg(*ap, unsigned long);
    case LM_LLONG: return va_arg(*ap, unsigned long long);
    case LM_INTMAX: return va_arg(*ap, uintmax_t);
    case LM_SIZE: return va_arg(*ap, size_t);
    case LM_PTRDIFF: return (unsigned long long)va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, unsigned);
    }
}
/* NOLINTEND(bugprone-branch-clone) */

/* Copies flags, width and precision of a conversion into spec (a '*' becomes its argument's
 * digits). Returns the first byte after them. */
static const char *read_spec(const char *p, va_list *ap, char *spec, size_t cap, size_t *k)
{
    while (*p && strchr("-+ #0", *p) && *k + 1 < cap)
        spec[(*k)++] = *p++;
    for (int part = 0; part < 2; part++) { /* the width, then the precision */
        if (part == 1 && *p != '.')
            break;
        if (part == 1 && *k + 1 < cap)
            spec[(*k)++] = *p++;
        if (*p == '*') {
            int w = snprintf(spec + *k, cap - *k, "%d", va_arg(*ap, int));
            *k += w > 0 && (size_t)w < cap - *k ? (size_t)w : 0;
            p++;
        }
        while (*p >= '0' && *p <= '9' && *k + 1 < cap)
            spec[(*k)++] = *p++;
    }
    spec[*k] = '\0';
    return p;
}

/* The format is the caller's and was checked by the compiler against its arguments (log.h
 * declares it printf-like); here each conversion is redone on its own with the argument
 * read as its conversion says. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void put_conversion(struct out *o, const char *spec, char conv, enum lenmod lm, va_list *ap)
{
    char tmp[LOG_PIECE_MAX], full[48];
    int w = 0;
    bool ints = strchr("di", conv), uints = strchr("ouxX", conv), dbl = strchr("fFeEgGaA", conv);
    const char *mod = ""; /* integers are read as long long, so all take "ll" */
    if (ints || uints)
        mod = "ll";
    else if (dbl && lm == LM_LDBL)
        mod = "L";
    snprintf(full, sizeof full, "%s%s%c", spec, mod, conv);
    /* NOLINTBEGIN(bugprone-branch-clone): each branch reads its own argument type */
    if (ints)
        w = snprintf(tmp, sizeof tmp, full, signed_arg(ap, lm));
    else if (uints)
        w = snprintf(tmp, sizeof tmp, full, unsigned_arg(ap, lm));
    else if (dbl && lm == LM_LDBL)
        w = snprintf(tmp, sizeof tmp, full, va_arg(*ap, long double));
    else if (dbl)
        w = snprintf(tmp, sizeof tmp, full, va_arg(*ap, double));
    else if (conv == 'c')
        w = snprintf(tmp, sizeof tmp, full, va_arg(*ap, int));
    else if (conv == 's')
        w = snprintf(tmp, sizeof tmp, full, va_arg(*ap, const char *));
    else if (conv == 'p')
        w = snprintf(tmp, sizeof tmp, full, va_arg(*ap, void *));
    /* NOLINTEND(bugprone-branch-clone) */
    if (w > 0)
        out_add(o, tmp, (size_t)w < sizeof tmp ? (size_t)w : sizeof tmp - 1);
}
#pragma GCC diagnostic pop

/* Formats the piece sp of the format with the next arguments of ap into o. */
static void render(struct out *o, struct span sp, va_list *ap)
{
    const char *p = sp.p, *end = sp.p + sp.n;
    while (p < end) {
        const char *pct = memchr(p, '%', (size_t)(end - p));
        out_add(o, p, pct ? (size_t)(pct - p) : (size_t)(end - p));
        if (!pct)
            return;
        if (pct[1] == '%') {
            out_add(o, "%", 1);
            p = pct + 2;
            continue;
        }
        char spec[32] = "%";
        size_t k = 1;
        enum lenmod lm;
        p = read_lenmod(read_spec(pct + 1, ap, spec, sizeof spec, &k), &lm);
        if (*p)
            put_conversion(o, spec, *p++, lm, ap);
    }
}

/* ---- escaping and the line ---- */

/* Appends the n bytes of s quoted and escaped for logfmt or JSON (both read backslash
 * escapes): quote, backslash, control characters (C1 included) escaped, invalid UTF-8 as
 * U+FFFD. Stops at the buffer's end. */
static size_t put_quoted(char *buf, size_t pos, size_t cap, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    if (pos + 1 < cap)
        buf[pos++] = '"';
    while (p < end && pos + 7 < cap) {
        size_t k = *p >= 0x80 ? expfmt_utf8_len(p, (size_t)(end - p)) : 1;
        if (*p == '"' || *p == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)*p;
        } else if (*p == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (*p < 0x20 || *p == 0x7f || expfmt_is_c1(p, k)) {
            pos += (size_t)snprintf(buf + pos, cap - pos, "\\u%04x", k == 2 ? p[1] : *p);
        } else if (k == 0) {
            memcpy(buf + pos, "\\ufffd", 6);
            pos += 6;
            k = 1;
        } else {
            memcpy(buf + pos, p, k);
            pos += k;
        }
        p += k;
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

/* A bare logfmt value goes out as it is unless a reader could take it for more than one
 * value or it needs escaping: a space, '=', a quote, a backslash, a control character (C1
 * included) or a byte that is not UTF-8. */
static bool plain(const char *v, size_t n)
{
    const unsigned char *p = (const unsigned char *)v, *end = p + n;
    while (p < end) {
        size_t k = *p >= 0x80 ? expfmt_utf8_len(p, (size_t)(end - p)) : 1;
        if (k == 0 || expfmt_is_c1(p, k) || *p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\\' ||
            *p == '=')
            return false;
        p += k;
    }
    return true;
}

/* Formats and emits each field of the layout. */
static size_t put_fields(char *buf, size_t pos, size_t cap, const struct layout *lo, va_list *ap,
                         bool json)
{
    char val[LOG_PIECE_MAX];
    for (size_t i = 0; i < lo->n_fields; i++) {
        struct out o = {val, 0, sizeof val};
        val[0] = '\0';
        render(&o, lo->f[i].val, ap);
        const struct span *key = &lo->f[i].key;
        if (json) {
            pos = put_raw(buf, pos, cap, ",", 1);
            pos = put_quoted(buf, pos, cap, key->p, key->n);
            pos = put_raw(buf, pos, cap, ":", 1);
            pos = put_quoted(buf, pos, cap, val, o.len);
            continue;
        }
        pos = put_raw(buf, pos, cap, " ", 1);
        pos = put_raw(buf, pos, cap, key->p, key->n + 1); /* with its '=' */
        if (!lo->f[i].quoted && plain(val, o.len))
            pos = put_raw(buf, pos, cap, val, o.len);
        else
            pos = put_quoted(buf, pos, cap, val, o.len);
    }
    return pos;
}

/* ts=... level=... subsys=... msg="..." (or the same members in JSON). */
static size_t put_head(char *line, size_t cap, enum log_level level, const char *subsys,
                       const char *msg, size_t mlen, bool json)
{
    char ts[40];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof ts - tl, ".%03ldZ", now.tv_nsec / 1000000);
    size_t pos;
    if (json) {
        pos = (size_t)snprintf(line, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"subsys\":", ts,
                               level_names[level]);
        pos = put_quoted(line, pos, cap, subsys, strlen(subsys));
        pos = put_raw(line, pos, cap, ",\"msg\":", 7);
    } else {
        pos = (size_t)snprintf(line, cap, "ts=%s level=%s subsys=%s msg=", ts, level_names[level],
                               subsys);
    }
    return put_quoted(line, pos, cap, msg, mlen);
}

void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char msg[LOG_PIECE_MAX], line[LOG_LINE_MAX];
    struct layout lo;
    struct out m = {msg, 0, sizeof msg};
    va_list aq;
    msg[0] = '\0';
    split_format(fmt, &lo);
    va_copy(aq, ap);
    render(&m, lo.msg, &aq);
    bool json = atomic_load_explicit(&log_format_cur, memory_order_relaxed) == LOG_FMT_JSON;
    size_t cap = sizeof line - 1;
    size_t pos = put_head(line, cap, level, subsys, msg, m.len, json);
    pos = put_fields(line, pos, cap, &lo, &aq, json);
    va_end(aq);
    if (json)
        pos = put_raw(line, pos, cap, "}", 1);
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
