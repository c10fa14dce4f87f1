/*
 * evlog.c: writes the mxw-smtpd event log: logfmt lines with a wall-clock timestamp,
 * each handed to the kernel with one write() so a test reading the file never sees half a
 * line and a crash loses nothing.
 *
 * Called by session.c and main.c on the program's only thread. A failed write is ignored:
 * the log is for tests to read, and serving clients matters more than telling them.
 */
#include "evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct evlog {
    int fd;
};

struct evlog *evlog_open(const char *path, char *err, size_t errlen)
{
    struct evlog *lg = malloc(sizeof(*lg));
    if (lg == NULL) {
        snprintf(err, errlen, "--log '%s': out of memory", path);
        return NULL;
    }
    lg->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (lg->fd < 0) {
        snprintf(err, errlen, "--log '%s': %s", path, strerror(errno));
        free(lg);
        return NULL;
    }
    return lg;
}

void evlog_close(struct evlog *lg)
{
    if (lg == NULL)
        return;
    close(lg->fd);
    free(lg);
}

bool evlog_on(const struct evlog *lg)
{
    return lg != NULL;
}

void evlog_line(struct evlog *lg, const char *fmt, ...)
{
    if (lg == NULL)
        return;
    char line[EVLOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ subsys=smtpd ",
                          (long)(tv.tv_usec / 1000));
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (m > 0)
        n += (size_t)m < sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2;
    line[n++] = '\n';
    ssize_t w = write(lg->fd, line, n);
    (void)w;
}
