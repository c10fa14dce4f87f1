/*
 * smtp_sessions.c: the load client of the mxw-smtpd benchmark (tests/bench/smtpd_sessions.sh).
 * Forks P workers; each runs full SMTP sessions back to back for a fixed time: connect,
 * read the banner, EHLO, read the reply, QUIT, read 221, close. Prints the sessions done
 * and failed. Built and run by the bench script only; blocking sockets, loopback only.
 *
 * usage: smtp_sessions HOST PORT SECONDS WORKERS [SRCBASE]
 * With SRCBASE (e.g. 127.0.1.), worker i binds its sockets to SRCBASE(1+i), so each
 * worker has its own range of ephemeral ports.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads until a final reply line "NNN " with the expected code; 0 on success. */
static int expect(int fd, const char *code)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        for (char *line = buf; line != NULL && *line != '\0';) {
            char *nl = strstr(line, "\r\n");
            if (nl == NULL)
                break;
            if (nl - line >= 4 && line[3] == ' ')
                return strncmp(line, code, 3) == 0 ? 0 : -1;
            line = nl + 2;
        }
        if (len == sizeof(buf) - 1)
            return -1;
    }
}

static int session(const struct sockaddr_in *dst, const struct sockaddr_in *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;
    if (fd < 0)
        return -1;
    if (src != NULL && bind(fd, (const struct sockaddr *)src, sizeof(*src)) < 0)
        goto out;
    if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 || expect(fd, "220") < 0)
        goto out;
    if (write(fd, "EHLO bench.test\r\n", 17) != 17 || expect(fd, "250") < 0)
        goto out;
    if (write(fd, "QUIT\r\n", 6) != 6 || expect(fd, "221") < 0)
        goto out;
    rc = 0;
out:
    close(fd);
    return rc;
}

static void worker(const struct sockaddr_in *dst, const char *srcbase, int i, double secs, int out)
{
    struct sockaddr_in src = {.sin_family = AF_INET};
    char ip[64];
    snprintf(ip, sizeof(ip), "%s%d", srcbase ? srcbase : "", 1 + i);
    int use_src = srcbase != NULL && inet_pton(AF_INET, ip, &src.sin_addr) == 1;
    long ok = 0, bad = 0;
    double end = now_s() + secs;
    while (now_s() < end) {
        if (session(dst, use_src ? &src : NULL) == 0)
            ok++;
        else
            bad++;
    }
    long res[2] = {ok, bad};
    if (write(out, res, sizeof(res)) != (ssize_t)sizeof(res))
        _exit(1);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS WORKERS [SRCBASE]\n", argv[0]);
        return 2;
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
        return 2;
    double secs = atof(argv[3]);
    int workers = atoi(argv[4]), pfd[2];
    if (pipe(pfd) < 0)
        return 1;
    double t0 = now_s();
    for (int i = 0; i < workers; i++)
        if (fork() == 0)
            worker(&dst, argc > 5 ? argv[5] : NULL, i, secs, pfd[1]);
    long ok = 0, bad = 0, res[2];
    for (int i = 0; i < workers; i++) {
        if (read(pfd[0], res, sizeof(res)) == (ssize_t)sizeof(res)) {
            ok += res[0];
            bad += res[1];
        }
        wait(NULL);
    }
    double el = now_s() - t0;
    printf("sessions=%ld failed=%ld secs=%.3f rate=%.0f\n", ok, bad, el, (double)ok / el);
    return 0;
}
