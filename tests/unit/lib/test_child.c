/*
 * Unit tests of child processes (agent/lib/child.c) on a real loop and real /bin/sh: a
 * grandchild that holds the child's stdout open cannot keep a job past its deadline (the job
 * ends at the deadline and shows SIGKILL), a child that outlives its deadline is killed, a
 * child sees none of the agent's descriptors above 2, and a child that finishes in time is
 * reported with its own status, output and stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "loop.h"
#include "util.h"

#define GUARD_MS 45000 /* a test that hangs ends here (tests/run.sh gives a unit 60 s) */

struct run {
    struct loop *l;
    char out[4096], err_line[CHILD_STDERR_MAX];
    size_t len;
    int status;
    bool done, guard_fired;
};

static void on_out(void *arg, const char *data, size_t len)
{
    struct run *r = arg;
    size_t room = sizeof r->out - 1 - r->len;
    memcpy(r->out + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->out[r->len] = '\0';
}

static void on_done(void *arg, int status, const char *stderr_line)
{
    struct run *r = arg;
    r->status = status;
    r->done = true;
    snprintf(r->err_line, sizeof r->err_line, "%s", stderr_line);
    loop_stop(r->l);
}

static int64_t on_guard(struct loop *l, void *arg)
{
    ((struct run *)arg)->guard_fired = true;
    loop_stop(l);
    return -1;
}

/* Runs /bin/sh -c script with a deadline; returns the seconds until the job was done. */
static double run_sh(struct run *r, const char *script, int64_t timeout_ms)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL}, err[256];
    memset(r, 0, sizeof *r);
    r->l = loop_new();
    assert_non_null(r->l);
    int64_t t0 = mxw_now_ms();
    struct child *c = child_spawn(r->l, argv, timeout_ms, on_out, on_done, r, err, sizeof err);
    if (!c)
        fail_msg("child_spawn: %s", err);
    struct loop_timer *guard = loop_timer_add(r->l, GUARD_MS, on_guard, r);
    loop_run(r->l);
    double took = (double)(mxw_now_ms() - t0) / 1000;
    if (!r->guard_fired)
        loop_timer_del(r->l, guard);
    if (!r->done)
        child_kill(c);
    loop_free(r->l);
    return took;
}

static void grandchild_holding_stdout_ends_at_the_deadline(void **state)
{
    (void)state;
    struct run r;
    /* The child exits at once; the grandchild keeps stdout (and stderr) for 30 s. */
    double took = run_sh(&r, "sleep 30 & echo $!", 1000);
    pid_t grandchild = (pid_t)atoi(r.out);
    if (grandchild > 0)
        kill(grandchild, SIGKILL);
    assert_true(r.done);
    print_message("the job ended after %.2f s (deadline 1 s)\n", took);
    if (took < 0.9 || took > 2.5)
        fail_msg("the job took %.2f s against a deadline of 1 s", took);
    assert_true(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
}

static void child_past_its_deadline_is_killed(void **state)
{
    (void)state;
    struct run r;
    double took = run_sh(&r, "echo started; exec sleep 30", 500);
    assert_true(r.done);
    if (took < 0.4 || took > 2.0)
        fail_msg("the job took %.2f s against a deadline of 0.5 s", took);
    assert_true(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
    assert_string_equal(r.out, "started\n");
}

/* A socket of the agent without close-on-exec, as libcurl's and c-ares's are. */
static void child_sees_no_descriptor_above_2(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s > 2);
    char script[256];
    snprintf(script, sizeof script, "ls /proc/$$/fd; test -e /proc/$$/fd/%d && echo inherited", s);
    struct run r;
    run_sh(&r, script, 5000);
    close(s);
    assert_true(r.done);
    assert_true(WIFEXITED(r.status));
    assert_string_equal(r.out, "0\n1\n2\n");
}

static void finished_child_reports_its_own_status(void **state)
{
    (void)state;
    struct run r;
    run_sh(&r, "echo out; echo 'first line' >&2; echo second >&2; exit 3", 5000);
    assert_true(r.done);
    assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3);
    assert_string_equal(r.out, "out\n");
    assert_string_equal(r.err_line, "first line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grandchild_holding_stdout_ends_at_the_deadline),
        cmocka_unit_test(child_past_its_deadline_is_killed),
        cmocka_unit_test(child_sees_no_descriptor_above_2),
        cmocka_unit_test(finished_child_reports_its_own_status),
    };
    return cmocka_run_group_tests_name("child", tests, NULL, NULL);
}
