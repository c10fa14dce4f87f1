/*
 * src_postfix_queue.c - the postfix_queue source: every sources.postfix.queue_interval, runs
 * `POSTQUEUE -c CONFIG_DIRECTORY -j` (posix_spawn, fixed argv, no shell, a fixed minimal
 * environment) and streams its output through the pfqueue parser as it arrives, then sets
 * the per-destination queue gauges and runs discovery (srcagg_apply_queue).
 *
 * Why postqueue -j and not the showq socket: showq's protocol is Postfix-internal (it changed
 * between 2.x and 3.x), while postqueue -j is the documented, stable interface that speaks
 * it for us and takes care of the queue directory and its permissions; one process per scan
 * costs about a millisecond against the scan itself (docs/SOURCES.md has the figures).
 *
 * Loop thread, never blocking: the child's stdout and stderr are non-blocking pipes watched
 * with loop_fd_set, read LOOP_READ_MAX bytes per wakeup; the child's exit is watched through
 * a pidfd (or, on kernels without pidfd_open, a short timer) and reaped with WNOHANG. A scan
 * that runs over QUEUE_TIMEOUT_MS is killed. Memory: one message's JSON and the tally
 * (pfqueue.h), whatever the size of the queue. Results apply only when the whole listing
 * was read and postqueue exited with 0; anything else is reported (source_report) and the
 * previous figures stay.
 */
#include "sources.h"

#include "pfqueue.h"
#include "srcagg.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define QUEUE_NAME       "postfix_queue"
#define QUEUE_TIMEOUT_MS 120000     /* a scan running longer than this is killed */
#define QUEUE_READ_MAX   (1u << 18) /* bytes read from the pipe per wakeup */
#define QUEUE_STDERR_MAX 512        /* bytes of postqueue's complaints kept for the report */
#define QUEUE_REAP_MS    20         /* reap poll when there is no pidfd */

static struct {
    struct loop *loop;
    char *postqueue, *config_dir;
    int64_t interval_ms;
    pid_t pid; /* 0 when no scan runs */
    int out_fd, err_fd, pid_fd;
    struct loop_timer *reap_timer;
    bool out_done, reaped;
    int status;
    int64_t started_us;
    char stderr_text[QUEUE_STDERR_MAX];
    size_t stderr_len;
    struct pfqueue_parser *parser;
    struct pfqueue_tally tally;
} pq = {.out_fd = -1, .err_fd = -1, .pid_fd = -1};

static bool queue_enabled(const struct config *cfg)
{
    return cfg->postfix_enabled && cfg->postfix_queue_command && cfg->postfix_queue_command[0];
}

static const char *dest_of(const char *domain, void *arg)
{
    (void)arg;
    return srcagg_destination(domain);
}

static void close_fd(int *fd)
{
    if (*fd < 0)
        return;
    loop_fd_del(pq.loop, *fd);
    close(*fd);
    *fd = -1;
}

/* The first line of postqueue's stderr, for the report. */
static void stderr_line(char *out, size_t cap)
{
    size_t n = strcspn(pq.stderr_text, "\n");
    mxw_strncpy0(out, cap, pq.stderr_text, n);
}

static void finish(void)
{
    char err[QUEUE_STDERR_MAX + 128] = "", why[QUEUE_STDERR_MAX];
    double took = (double)(mxw_now_us() - pq.started_us) / 1e6;
    int cut = pfqueue_end(pq.parser, &pq.tally);
    stderr_line(why, sizeof why);
    if (WIFSIGNALED(pq.status))
        snprintf(err, sizeof err, "%s killed by signal %d%s", pq.postqueue, WTERMSIG(pq.status),
                 WTERMSIG(pq.status) == SIGKILL ? " (scan timed out)" : "");
    else if (WEXITSTATUS(pq.status) != 0)
        snprintf(err, sizeof err, "%s exited with status %d: %s", pq.postqueue,
                 WEXITSTATUS(pq.status), why[0] ? why : "no message");
    else if (cut < 0)
        snprintf(err, sizeof err, "%s output ended inside a message record", pq.postqueue);
    if (!err[0]) {
        srcagg_apply_queue(&pq.tally, mxw_wall_time());
        srcagg_publish();
    }
    source_report(QUEUE_NAME, !err[0], took, err);
    pfqueue_tally_free(&pq.tally);
    pq.pid = 0;
}

static void maybe_finish(void)
{
    if (pq.pid && pq.out_done && pq.reaped) {
        close_fd(&pq.err_fd);
        finish();
    }
}

static void reap(void)
{
    int st;
    pid_t r = waitpid(pq.pid, &st, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return;
    pq.status = r == pq.pid ? st : 0xff00; /* lost child: reported as exit status 255 */
    pq.reaped = true;
    close_fd(&pq.pid_fd);
    maybe_finish();
}

static void on_pidfd(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)fd, (void)events, (void)arg;
    reap();
}

static int64_t on_reap_timer(struct loop *l, void *arg)
{
    (void)l, (void)arg;
    reap();
    if (!pq.reaped)
        return QUEUE_REAP_MS;
    pq.reap_timer = NULL;
    return -1;
}

static void on_stdout(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)events, (void)arg;
    char buf[65536];
    for (size_t total = 0; total < QUEUE_READ_MAX;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            pfqueue_feed(pq.parser, buf, (size_t)n, &pq.tally, dest_of, NULL);
            total += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close_fd(&pq.out_fd); /* end of output (or a pipe error: the exit status tells) */
        pq.out_done = true;
        maybe_finish();
        return;
    }
}

static void on_stderr(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)events, (void)arg;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_fd(&pq.err_fd);
        return;
    }
    size_t room = sizeof pq.stderr_text - 1 - pq.stderr_len, take = (size_t)n;
    if (take > room)
        take = room;
    memcpy(pq.stderr_text + pq.stderr_len, buf, take);
    pq.stderr_len += take;
    pq.stderr_text[pq.stderr_len] = '\0';
}

/* The child starts with the default signal mask and dispositions: the agent blocks
 * SIGTERM/SIGINT/SIGHUP (signalfd) and ignores SIGPIPE, and both would be inherited. */
static void child_attrs(posix_spawnattr_t *at)
{
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_init(at);
    posix_spawnattr_setsigmask(at, &none);
    posix_spawnattr_setsigdefault(at, &dflt);
    posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

static int spawn_postqueue(int out_w, int err_w, char *err, size_t errlen)
{
    char *argv[] = {pq.postqueue, "-c", pq.config_dir, "-j", NULL};
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w, 2);
    child_attrs(&at);
    int rc = posix_spawn(&pq.pid, pq.postqueue, &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", pq.postqueue, strerror(rc));
        pq.pid = 0;
        return -1;
    }
    return 0;
}

/* Starts one scan: pipes, the child, and the watches. */
static int start_scan(char *err, size_t errlen)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(out[0]), close(out[1]);
        return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
    }
    int rc = spawn_postqueue(out[1], errp[1], err, errlen);
    close(out[1]);
    close(errp[1]);
    if (rc < 0) {
        close(out[0]), close(errp[0]);
        return -1;
    }
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);
    pq.out_fd = out[0];
    pq.err_fd = errp[0];
    pq.out_done = pq.reaped = false;
    pq.stderr_len = 0;
    pq.stderr_text[0] = '\0';
    pq.started_us = mxw_now_us();
    pfqueue_tally_init(&pq.tally);
    loop_fd_set(pq.loop, pq.out_fd, LOOP_READ, on_stdout, NULL);
    loop_fd_set(pq.loop, pq.err_fd, LOOP_READ, on_stderr, NULL);
    pq.pid_fd = (int)syscall(SYS_pidfd_open, pq.pid, 0);
    if (pq.pid_fd >= 0)
        loop_fd_set(pq.loop, pq.pid_fd, LOOP_READ, on_pidfd, NULL);
    else
        pq.reap_timer = loop_timer_add(pq.loop, QUEUE_REAP_MS, on_reap_timer, NULL);
    return 0;
}

static void copy_config(const struct config *cfg)
{
    free(pq.postqueue);
    free(pq.config_dir);
    pq.postqueue = strdup(cfg->postfix_queue_command);
    pq.config_dir = strdup(cfg->postfix_config_dir ? cfg->postfix_config_dir : "/etc/postfix");
    pq.interval_ms = cfg->postfix_queue_interval_ms > 0 ? cfg->postfix_queue_interval_ms : 30000;
}

static int queue_start(struct loop *l, const struct config *cfg, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    pq.loop = l;
    pq.parser = pfqueue_parser_new();
    copy_config(cfg);
    return 0; /* the first collect runs postqueue, and reports if it cannot */
}

static int64_t queue_collect(struct loop *l)
{
    (void)l;
    if (pq.pid) {
        if (mxw_now_us() - pq.started_us > (int64_t)QUEUE_TIMEOUT_MS * 1000)
            kill(pq.pid, SIGKILL); /* our own child; finish() reports the timeout */
        return pq.interval_ms;
    }
    char err[512];
    if (start_scan(err, sizeof err) < 0)
        source_report(QUEUE_NAME, false, 0, err);
    return pq.interval_ms;
}

static void queue_reload(const struct config *cfg)
{
    copy_config(cfg); /* applies from the next scan */
}

static void queue_stop(void)
{
    if (pq.pid) {
        kill(pq.pid, SIGKILL);
        waitpid(pq.pid, NULL, 0); /* killed: returns at once */
        pfqueue_tally_free(&pq.tally);
    }
    close_fd(&pq.out_fd);
    close_fd(&pq.err_fd);
    close_fd(&pq.pid_fd);
    if (pq.reap_timer)
        loop_timer_del(pq.loop, pq.reap_timer);
    pfqueue_parser_free(pq.parser);
    free(pq.postqueue);
    free(pq.config_dir);
    memset(&pq, 0, sizeof pq);
    pq.out_fd = pq.err_fd = pq.pid_fd = -1;
}

const struct source_ops src_postfix_queue_ops = {
    .name = QUEUE_NAME,
    .enabled = queue_enabled,
    .start = queue_start,
    .collect = queue_collect,
    .reload = queue_reload,
    .stop = queue_stop,
};
