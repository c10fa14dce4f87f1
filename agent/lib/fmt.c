/*
 * fmt.c - numbers, durations and times for humans (fmt.h). Pure, any thread.
 */
#include "fmt.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

char *fmt_count(char *out, size_t cap, uint64_t v)
{
    char digits[24], grouped[FMT_COUNT_MAX];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    mxw_strlcpy(out, grouped, cap);
    return out;
}

char *fmt_duration(char *out, size_t cap, double seconds)
{
    static const struct {
        const char *name;
        double size;
    } units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    if (!isfinite(seconds) || seconds < 0 || seconds > 9e15) {
        mxw_strlcpy(out, "-", cap);
        return out;
    }
    uint64_t left = (uint64_t)seconds;
    size_t i = 0, n = MXW_ARRAY_LEN(units);
    while (i + 1 < n && left < (uint64_t)units[i].size)
        i++;
    uint64_t big = left / (uint64_t)units[i].size;
    uint64_t rest = i + 1 < n ? left % (uint64_t)units[i].size / (uint64_t)units[i + 1].size : 0;
    if (rest)
        snprintf(out, cap, "%llu%s %llu%s", (unsigned long long)big, units[i].name,
                 (unsigned long long)rest, units[i + 1].name);
    else
        snprintf(out, cap, "%llu%s", (unsigned long long)big, units[i].name);
    return out;
}

char *fmt_time(char *out, size_t cap, double t)
{
    if (!(t > 0) || t > 253402300799.0) { /* after 9999-12-31 is not a time we print */
        mxw_strlcpy(out, "never", cap);
        return out;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (!strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) && cap)
        out[0] = '\0';
    return out;
}
