/*
 * util.c - clocks, bounded copies and duration parsing shared by every module (util.h).
 * Pure functions; any thread.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t mxw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec mxw_realtime_after_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int64_t mxw_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double mxw_wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t mxw_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

void mxw_strncpy0(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0)
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void mxw_strncpy_printable(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0)
        return;
    if (n > cap - 1)
        n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)(c < 0x20 || c >= 0x7f ? '?' : c);
    }
    dst[n] = '\0';
}

int mxw_parse_duration_ms(const char *s, int64_t *out_ms)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    double mult;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0)
        mult = 60e3;
    else if (strcmp(end, "h") == 0)
        mult = 3600e3;
    else if (strcmp(end, "d") == 0)
        mult = 86400e3;
    else
        return -1;
    double ms = v * mult;
    if (ms < 0 || ms > 1e15)
        return -1;
    *out_ms = (int64_t)ms;
    return 0;
}

size_t mxw_u64_digits(char *out, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + i, sizeof tmp - i);
    return sizeof tmp - i;
}

char *mxw_lower(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

int mxw_valid_domain(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 254 || (len == 254 && s[253] != '.'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0) /* a leading dot, "..", or "x.." */
                return -1;
            label = 0;
            continue;
        }
        if (!(isalnum(c) || c == '-' || c == '_'))
            return -1;
        if (++label > 63)
            return -1;
    }
    return 0;
}

int mxw_read_bounded(const char *path, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    char extra;
    int err = n == cap - 1 && fread(&extra, 1, 1, f) == 1 ? EFBIG : 0;
    if (ferror(f))
        err = EIO;
    fclose(f);
    buf[n] = '\0';
    *len = n;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
