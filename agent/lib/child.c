/*
 * child.c - child processes watched by the loop (child.h). posix_spawn with a clean signal
 * mask and default dispositions (the agent blocks its signals for the signalfd and ignores
 * SIGPIPE; a child must not inherit either), pipes with O_CLOEXEC so no other child holds
 * them open, and every descriptor above 2 closed in the child before exec (the agent's
 * sockets, libcurl's socketpair and c-ares's sockets are not all close-on-exec). Loop
 * thread only.
 *
 * The deadline: SIGKILL through the pidfd, and only to a child not yet reaped, so it can
 * never reach another process that got a reused PID; and the pipes are closed, so a
 * grandchild that holds them open (it gets SIGPIPE at its next write) cannot keep the job
 * running.
 */
#include "child.h"

#include "util.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_REAP_MS 20 /* reap poll when there is no pidfd */

struct child {
    struct loop *loop;
    pid_t pid;
    int out_fd, err_fd, pid_fd;
    struct loop_timer *reap_timer, *deadline;
    bool out_done, reaped, timed_out;
    int status;
    child_out_fn *out;
    child_done_fn *done;
    void *arg;
    char err_text[CHILD_STDERR_MAX];
    size_t err_len;
};

static void close_fd(struct child *c, int *fd)
{
    if (*fd < 0)
        return;
    loop_fd_del(c->loop, *fd);
    close(*fd);
    *fd = -1;
}

static void release(struct child *c)
{
    close_fd(c, &c->out_fd);
    close_fd(c, &c->err_fd);
    close_fd(c, &c->pid_fd);
    if (c->reap_timer)
        loop_timer_del(c->loop, c->reap_timer);
    if (c->deadline)
        loop_timer_del(c->loop, c->deadline);
    free(c);
}

static void maybe_done(struct child *c)
{
    if (!c->out_done || !c->reaped)
        return;
    char line[CHILD_STDERR_MAX];
    mxw_strncpy0(line, sizeof line, c->err_text, strcspn(c->err_text, "\n"));
    child_done_fn *done = c->done;
    void *arg = c->arg;
    int status = c->timed_out ? SIGKILL : c->status; /* as waitpid shows a SIGKILL */
    release(c);
    done(arg, status, line);
}

/* Returns whether the child was reaped now; c may then be freed already. */
static bool reap(struct child *c)
{
    int st;
    pid_t r = waitpid(c->pid, &st, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return false;
    c->status = r == c->pid ? st : 0xff00; /* lost child: reported as exit status 255 */
    c->reaped = true;
    close_fd(c, &c->pid_fd);
    /* The child is gone; whatever is still in the pipes is read now, then they close. */
    maybe_done(c);
    return true;
}

static void on_pidfd(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)fd, (void)events;
    reap(arg);
}

static int64_t on_reap_timer(struct loop *l, void *arg)
{
    (void)l;
    struct child *c = arg;
    c->reap_timer = NULL; /* freed by the loop when we return -1 */
    if (!reap(c))
        c->reap_timer = loop_timer_add(c->loop, CHILD_REAP_MS, on_reap_timer, c);
    return -1;
}

/* SIGKILL to the child while it is ours: not yet reaped, through its pidfd when it has
 * one. */
static void kill_child(struct child *c)
{
    if (c->reaped)
        return;
    if (c->pid_fd >= 0)
        syscall(SYS_pidfd_send_signal, c->pid_fd, SIGKILL, NULL, 0);
    else
        kill(c->pid, SIGKILL); /* not reaped: the pid is still ours */
}

static int64_t on_deadline(struct loop *l, void *arg)
{
    (void)l;
    struct child *c = arg;
    c->deadline = NULL;
    c->timed_out = true;
    kill_child(c);
    close_fd(c, &c->out_fd);
    close_fd(c, &c->err_fd);
    c->out_done = true;
    maybe_done(c); /* now if reaped already, else when the kill is seen */
    return -1;
}

static void on_stdout(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)events;
    struct child *c = arg;
    char buf[65536];
    for (size_t total = 0; total < CHILD_READ_MAX;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            if (c->out)
                c->out(c->arg, buf, (size_t)n);
            total += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close_fd(c, &c->out_fd);
        c->out_done = true;
        maybe_done(c);
        return;
    }
}

static void on_stderr(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)events;
    struct child *c = arg;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_fd(c, &c->err_fd);
        return;
    }
    size_t room = sizeof c->err_text - 1 - c->err_len, take = (size_t)n < room ? (size_t)n : room;
    memcpy(c->err_text + c->err_len, buf, take);
    c->err_len += take;
    c->err_text[c->err_len] = '\0';
}

static int spawn(struct child *c, char *const argv[], int out_w, int err_w, char *err,
                 size_t errlen)
{
    static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w, 2);
    int rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* close_range in the child */
    if (rc == 0)
        rc = posix_spawn(&c->pid, argv[0], &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0)
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
    return rc == 0 ? 0 : -1;
}

static void watch(struct child *c, int64_t timeout_ms)
{
    fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
    loop_fd_set(c->loop, c->out_fd, LOOP_READ, on_stdout, c);
    loop_fd_set(c->loop, c->err_fd, LOOP_READ, on_stderr, c);
    c->pid_fd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    if (c->pid_fd >= 0)
        loop_fd_set(c->loop, c->pid_fd, LOOP_READ, on_pidfd, c);
    else
        c->reap_timer = loop_timer_add(c->loop, CHILD_REAP_MS, on_reap_timer, c);
    c->deadline = loop_timer_add(c->loop, timeout_ms, on_deadline, c);
}

struct child *child_spawn(struct loop *l, char *const argv[], int64_t timeout_ms, child_out_fn *out,
                          child_done_fn *done, void *arg, char *err, size_t errlen)
{
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return NULL;
    }
    if (pipe2(e, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(o[0]), close(o[1]);
        return NULL;
    }
    struct child *c = xcalloc(1, sizeof *c);
    int rc = spawn(c, argv, o[1], e[1], err, errlen);
    close(o[1]);
    close(e[1]);
    if (rc < 0) {
        close(o[0]), close(e[0]);
        free(c);
        return NULL;
    }
    c->loop = l;
    c->out_fd = o[0];
    c->err_fd = e[0];
    c->pid_fd = -1;
    c->out = out;
    c->done = done;
    c->arg = arg;
    watch(c, timeout_ms);
    return c;
}

void child_kill(struct child *c)
{
    if (!c)
        return;
    if (!c->reaped) {
        kill_child(c);
        waitpid(c->pid, NULL, 0); /* killed: returns at once */
    }
    release(c);
}

void child_describe(int status, char *out, size_t cap)
{
    if (WIFSIGNALED(status))
        snprintf(out, cap, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
}
