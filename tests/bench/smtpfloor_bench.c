/*
 * smtpfloor_bench.c - the CPU floor of an SMTP banner check: a blocking client that does the least
 * a check can do (connect, read the greeting, EHLO, read the reply, QUIT, read the reply,
 * close) N times against ADDR:PORT, round-robin over COUNT consecutive IPv4 addresses, and
 * prints its own CPU time per session. mxwatch's CPU per probe is compared with this
 * (tests/bench/probe_bench.sh). Single thread; exits 1 on any protocol surprise, so a
 * floor is never measured on failed sessions.
 *
 *   build/smtpfloor-bench ADDR PORT N [COUNT]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 4096 /* one reply, all its lines */

/* Reads one complete reply (every line up to the one with a space after the code) and
 * returns its code, or -1. */
static int read_reply(int fd)
{
    char buf[REPLY_MAX];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        /* the last complete line decides */
        char *end = len >= 2 && buf[len - 1] == '\n' ? buf + len - 1 : NULL;
        if (end) {
            char *line = end;
            while (line > buf && line[-1] != '\n')
                line--;
            if (end - line >= 4 && line[3] == ' ')
                return atoi(line);
        }
        if (len == sizeof buf - 1)
            return -1;
    }
}

static int session(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 && read_reply(fd) == 220 &&
        write(fd, "EHLO floor.test\r\n", 17) == 17 && read_reply(fd) == 250 &&
        write(fd, "QUIT\r\n", 6) == 6 && read_reply(fd) == 221)
        rc = 0;
    close(fd);
    return rc;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: smtpfloor-bench ADDR PORT N [COUNT]\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "smtpfloor-bench: bad address %s\n", argv[1]);
        return 2;
    }
    long n = atol(argv[3]), count = argc > 4 ? atol(argv[4]) : 1;
    uint32_t base = ntohl(sa.sin_addr.s_addr);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double c0 = cpu_seconds();
    for (long i = 0; i < n; i++) {
        sa.sin_addr.s_addr = htonl(base + (uint32_t)(i % count));
        if (session(&sa) < 0) {
            fprintf(stderr, "smtpfloor-bench: session %ld failed\n", i);
            return 1;
        }
    }
    double cpu = cpu_seconds() - c0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("smtpfloor-bench: sessions=%ld cpu_s=%.3f cpu_us_per_session=%.1f wall_s=%.2f\n", n, cpu,
           cpu * 1e6 / (double)n, wall);
    return 0;
}
