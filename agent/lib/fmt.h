/*
 * fmt.h - numbers and durations the way an operator reads them, shared by the status page
 * (exporters/web/ui*.c) and the client commands (agent/cli/cmd_client.c): "12,345", "3m 12s",
 * "2025-11-29 17:18:18 UTC". Pure functions, any thread; never allocate, never log.
 */
#ifndef MXW_FMT_H
#define MXW_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_COUNT_MAX    28 /* 18,446,744,073,709,551,615 and the terminator */
#define FMT_DURATION_MAX 24 /* "106751991167d 7h" fits */
#define FMT_TIME_MAX     32

/* v with a comma between groups of three digits. Returns out. */
char *fmt_count(char *out, size_t cap, uint64_t v);
/* A duration in its two largest units: "0s", "42s", "3m 12s", "5h 2m", "4d 3h". Negative
 * or not finite gives "-". Returns out. */
char *fmt_duration(char *out, size_t cap, double seconds);
/* A wall-clock time as "YYYY-MM-DD HH:MM:SS UTC"; t <= 0 gives "never". Returns out. */
char *fmt_time(char *out, size_t cap, double t);

#endif
