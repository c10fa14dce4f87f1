/*
 * src_postfix_queue.c - the postfix_queue source: every sources.postfix.queue_interval, runs
 * `POSTQUEUE -c CONFIG_DIRECTORY -j` (posix_spawn, fixed argv, no shell, a fixed minimal
 * environment) and streams its output through the pfqueue parser as it arrives, then sets
 * the per-destination queue gauges (with the queue's shape: recipients by age and by queue)
 * and runs discovery (srcagg_apply_queue).
 *
 * Why postqueue -j and not the showq socket: showq's protocol is Postfix-internal (it changed
 * between 2.x and 3.x), while postqueue -j is the documented, stable interface that speaks
 * it for us and takes care of the queue directory and its permissions; one process per scan
 * costs about a millisecond against the scan itself (docs/SOURCES.md has the figures).
 *
 * Loop thread, never blocking: the child runs through child.c (non-blocking pipes, exit
 * watched through a pidfd, killed at QUEUE_TIMEOUT_MS). Memory: one message's JSON and the tally
 * (pfqueue.h), whatever the size of the queue. Results apply only when the whole listing
 * was read and postqueue exited with 0; anything else is reported (source_report) and the
 * previous figures stay.
 */
#include "source.h"
#include "xalloc.h"

#include "child.h"
#include "pfqueue.h"
#include "srcagg.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define QUEUE_NAME       "postfix_queue"
#define QUEUE_TIMEOUT_MS 120000 /* a scan running longer than this is killed */

static struct {
    struct loop *loop;
    char *postqueue, *config_dir;
    int64_t interval_ms;
    struct child *child; /* NULL when no scan runs */
    int64_t started_us;
    struct pfqueue_parser *parser;
    struct pfqueue_tally tally;
} pq;

static bool queue_enabled(const struct config *cfg)
{
    return cfg->postfix_enabled && cfg->postfix_queue_command && cfg->postfix_queue_command[0];
}

static const char *dest_of(const char *domain, void *arg)
{
    (void)arg;
    return srcagg_destination(domain);
}

static void on_output(void *arg, const char *data, size_t len)
{
    (void)arg;
    pfqueue_feed(pq.parser, data, len, &pq.tally, dest_of, NULL);
}

/* postqueue has exited and its output is read: apply the tally only if both went well. */
static void on_done(void *arg, int status, const char *stderr_line)
{
    (void)arg;
    char err[CHILD_STDERR_MAX + 160] = "", how[64];
    double took = (double)(mxw_now_us() - pq.started_us) / 1e6;
    int cut = pfqueue_end(pq.parser, &pq.tally);
    pq.child = NULL;
    child_describe(status, how, sizeof how);
    if (WIFSIGNALED(status))
        snprintf(err, sizeof err, "%s %s%s", pq.postqueue, how,
                 WTERMSIG(status) == SIGKILL ? " (scan timed out)" : "");
    else if (WEXITSTATUS(status) != 0)
        snprintf(err, sizeof err, "%s %s: %s", pq.postqueue, how,
                 stderr_line && stderr_line[0] ? stderr_line : "no message");
    else if (cut < 0)
        snprintf(err, sizeof err, "%s output ended inside a message record", pq.postqueue);
    if (!err[0]) {
        srcagg_apply_queue(&pq.tally, mxw_wall_time());
        srcagg_publish();
    }
    source_report(QUEUE_NAME, !err[0], took, err);
    pfqueue_tally_free(&pq.tally);
}

/* Starts one scan: `POSTQUEUE -c DIR -j`, its output streamed into the parser. */
static int start_scan(char *err, size_t errlen)
{
    char *argv[] = {pq.postqueue, "-c", pq.config_dir, "-j", NULL};
    pfqueue_tally_init(&pq.tally);
    pq.tally.now = (int64_t)mxw_wall_time(); /* ages are bucketed as of the scan's start */
    pq.started_us = mxw_now_us();
    pq.child = child_spawn(pq.loop, argv, QUEUE_TIMEOUT_MS, on_output, on_done, NULL, err, errlen);
    if (!pq.child) {
        pfqueue_tally_free(&pq.tally);
        return -1;
    }
    return 0;
}

static void copy_config(const struct config *cfg)
{
    free(pq.postqueue);
    free(pq.config_dir);
    pq.postqueue = xstrdup(cfg->postfix_queue_command);
    pq.config_dir = xstrdup(cfg->postfix_config_dir ? cfg->postfix_config_dir : "/etc/postfix");
    pq.interval_ms = cfg->postfix_queue_interval_ms > 0 ? cfg->postfix_queue_interval_ms : 30000;
}

static int queue_start(const struct source_env *env, const struct config *cfg, char *err,
                       size_t errlen)
{
    (void)err, (void)errlen;
    pq.loop = env->loop;
    pq.parser = pfqueue_parser_new();
    copy_config(cfg);
    return 0; /* the first collect runs postqueue, and reports if it cannot */
}

static int64_t queue_collect(struct loop *l)
{
    (void)l;
    if (pq.child)
        return pq.interval_ms; /* the scan still runs; child.c kills it at its deadline */
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
    if (pq.child) {
        child_kill(pq.child);
        pfqueue_tally_free(&pq.tally);
    }
    pfqueue_parser_free(pq.parser);
    free(pq.postqueue);
    free(pq.config_dir);
    memset(&pq, 0, sizeof pq);
}

const struct source_ops src_postfix_queue_ops = {
    .name = QUEUE_NAME,
    .per_destination = true,
    .enabled = queue_enabled,
    .start = queue_start,
    .collect = queue_collect,
    .reload = queue_reload,
    .stop = queue_stop,
};
