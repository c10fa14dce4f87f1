/*
 * loop.h: the single-threaded epoll event loop of mxw-smtpd (the project's SMTP test server).
 *
 * Interface only. Callers register `struct loop_io` records (one per file descriptor) and
 * `struct loop_timer` records (deadlines on the monotonic clock); both are owned by the
 * caller, usually embedded in a larger struct. Everything runs on the one thread that calls
 * loop_run(); nothing here is thread-safe and nothing here ever logs.
 */
#ifndef MXW_SMTPD_LOOP_H
#define MXW_SMTPD_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

/* Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). A proc may
 * delete and free its own loop_io, never another one: events for other descriptors of the
 * same batch are still pending. */
typedef void loop_io_proc(struct loop *lp, struct loop_io *io, uint32_t events);

/* Called once when the deadline passes; the timer is disarmed first, so the proc may arm it
 * again or free it. */
typedef void loop_timer_proc(struct loop *lp, struct loop_timer *t);

struct loop_io {
    int fd;
    uint32_t events; /* interest currently registered with epoll */
    loop_io_proc *proc;
    void *data; /* the owner's, untouched by the loop */
};

struct loop_timer {
    int64_t when_ms; /* deadline, loop_now() scale */
    size_t slot;     /* place in the loop's heap; LOOP_UNARMED when not armed */
    loop_timer_proc *proc;
    void *data; /* the owner's, untouched by the loop */
};

#define LOOP_UNARMED ((size_t)-1)

/* A new loop, or NULL with err filled. */
struct loop *loop_new(char *err, size_t errlen);
void loop_free(struct loop *lp);

/* Runs until loop_stop(); returns 0, or -1 with err filled when epoll_wait fails. */
int loop_run(struct loop *lp, char *err, size_t errlen);
void loop_stop(struct loop *lp);

/* Milliseconds on the monotonic clock, refreshed once per loop iteration (cheap). */
int64_t loop_now(const struct loop *lp);

/* io->fd, io->proc and io->data must be set. 0, or -1 with errno set. */
int loop_io_add(struct loop *lp, struct loop_io *io, uint32_t events);
/* Changes the interest; no system call when it is unchanged. 0, or -1 with errno set. */
int loop_io_set(struct loop *lp, struct loop_io *io, uint32_t events);
void loop_io_del(struct loop *lp, struct loop_io *io);

/* t->proc and t->data must be set and t->slot must start as LOOP_UNARMED. Arming an armed
 * timer moves it. O(log n) in the number of armed timers; -1 only when out of memory. */
int loop_timer_arm(struct loop *lp, struct loop_timer *t, int64_t when_ms);
void loop_timer_cancel(struct loop *lp, struct loop_timer *t);

#endif
