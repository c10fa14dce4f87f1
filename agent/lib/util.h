/*
 * util.h - small helpers shared by every module: clocks, bounded string copies, duration
 * parsing and formatting, a bounded file read. Any thread.
 */
#ifndef MXW_UTIL_H
#define MXW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MXW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* An hour in milliseconds: how long an idle timer sleeps until something resets it. */
#define MXW_HOUR_MS ((int64_t)3600 * 1000)

/* Milliseconds on the monotonic clock (for intervals and deadlines). */
int64_t mxw_now_ms(void);
/* The CLOCK_REALTIME instant ms milliseconds from now, for pthread_cond_timedwait. */
struct timespec mxw_realtime_after_ms(int64_t ms);
/* Microseconds on the monotonic clock (for phase timings). */
int64_t mxw_now_us(void);
/* Seconds since 1970 on the wall clock, with fractions (for timestamps users see). */
double mxw_wall_time(void);

/* Copies at most cap-1 bytes and always terminates; returns strlen(src) like BSD strlcpy,
 * so a result >= cap means the copy was truncated. */
size_t mxw_strlcpy(char *dst, const char *src, size_t cap);
/* Copies n bytes of src (not necessarily terminated) into dst, truncating to cap-1. */
void mxw_strncpy0(char *dst, size_t cap, const char *src, size_t n);
/* The same, with every control byte (C0, DEL) and non-ASCII byte replaced with '?': for
 * outside text that goes to logs, JSON, HTML and SNMP DisplayStrings as it is. */
void mxw_strncpy_printable(char *dst, size_t cap, const char *src, size_t n);

/* Parses "250ms", "30s", "5m", "2h", "1d" or a bare number of seconds into milliseconds.
 * Returns 0, or -1 on a malformed or out-of-range value (negative, overflow, no digits). */
int mxw_parse_duration_ms(const char *s, int64_t *out_ms);

/* Writes v in decimal (no terminator) into out, which must hold 20 bytes; returns the
 * number of digits. */
size_t mxw_u64_digits(char *out, uint64_t v);

/* Lower-cases ASCII in place; returns s. */
char *mxw_lower(char *s);

/* Checks that s is a plausible domain name (LDH labels of 1..63, total <= 253, at least
 * one character, no empty label; a trailing dot is allowed). Returns 0 or -1. */
int mxw_valid_domain(const char *s);

/* Spans [p, end) of outside text, read within their bounds (the log parsers): whether it
 * starts with the n bytes of lit, and where lit first occurs in it (NULL: nowhere). */
static inline bool mxw_span_prefix(const char *p, const char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}
static inline const char *mxw_span_find(const char *p, const char *end, const char *lit, size_t n)
{
    return memmem(p, (size_t)(end - p), lit, n);
}

/* Reads the whole file at path into buf (cap > 0 bytes): at most cap - 1 bytes, then a NUL;
 * *len gets their count. Returns 0, or -1 with errno set: the open's, EIO for a read error,
 * EFBIG when the file holds more than cap - 1 bytes (buf then holds its start). The caller
 * owns buf, so it can wipe a secret read through it. */
int mxw_read_bounded(const char *path, char *buf, size_t cap, size_t *len);

#endif
