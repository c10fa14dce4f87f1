/*
 * loop.h - the probe loop: one epoll event loop on the main thread that owns c-ares, the
 * libcurl multi handle, the scheduler and the sources. File events and monotonic timers with
 * typed callbacks, in the manner of Redis's ae.c.
 *
 * Thread rules: every function here is for the loop thread only, except loop_post(), which
 * any thread may call to run a function on the loop (the only way other threads ask the
 * loop to do something: reload, delivernow, ...).
 */
#ifndef MXW_LOOP_H
#define MXW_LOOP_H

#include <stdint.h>

#define LOOP_READ  1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u /* reported to callbacks on EPOLLERR/EPOLLHUP */

struct loop;
struct loop_timer;

typedef void loop_fd_fn(struct loop *l, int fd, unsigned events, void *arg);
/* Returns the delay in ms until the next call, or -1 to stop (the timer is then freed).
 * A callback that calls loop_timer_reset on its own timer keeps that setting instead. A
 * callback must never delete its own timer (return -1 instead). */
typedef int64_t loop_timer_fn(struct loop *l, void *arg);
typedef void loop_post_fn(struct loop *l, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for the given events (LOOP_READ|LOOP_WRITE; 0 keeps it registered but idle).
 * Adding an fd that is already watched replaces its callback and events. */
int loop_fd_set(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg);
void loop_fd_del(struct loop *l, int fd);

struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ms, loop_timer_fn *fn, void *arg);
/* Changes when an existing timer fires next. */
void loop_timer_reset(struct loop *l, struct loop_timer *t, int64_t after_ms);
void loop_timer_del(struct loop *l, struct loop_timer *t);

/* Any thread: runs fn(l, arg) on the loop thread soon. Returns 0, or -1 when out of memory. */
int loop_post(struct loop *l, loop_post_fn *fn, void *arg);

/* Runs until loop_stop(). */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* The largest lateness of a timer callback over the last second, in seconds: how far behind
 * the loop runs (published as mxwatch_probe_loop_lag_seconds). */
double loop_lag(const struct loop *l);

#endif
