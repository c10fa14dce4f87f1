/*
 * loop.c: the epoll event loop of mxw-smtpd: file descriptor callbacks plus timers kept in a
 * binary min-heap on the monotonic clock.
 *
 * Called from main.c (loop_run) and by the listener and session modules (registration).
 * Runs on the program's only thread. Level-triggered epoll, so a callback that leaves data
 * unread is called again. It must never block and never log: failures come back as -1.
 */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 256 /* epoll events fetched per wait */

struct loop {
    int epfd;
    bool stop;
    int64_t now_ms;
    struct loop_timer **heap; /* min-heap on when_ms */
    size_t nheap, capheap;
};

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(char *err, size_t errlen)
{
    struct loop *lp = calloc(1, sizeof(*lp));
    if (lp == NULL) {
        snprintf(err, errlen, "loop_new: out of memory");
        return NULL;
    }
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0) {
        snprintf(err, errlen, "loop_new: epoll_create1: %s", strerror(errno));
        free(lp);
        return NULL;
    }
    lp->now_ms = clock_ms();
    return lp;
}

void loop_free(struct loop *lp)
{
    if (lp == NULL)
        return;
    close(lp->epfd);
    free(lp->heap);
    free(lp);
}

int64_t loop_now(const struct loop *lp)
{
    return lp->now_ms;
}

void loop_stop(struct loop *lp)
{
    lp->stop = true;
}

int loop_io_add(struct loop *lp, struct loop_io *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
        return -1;
    io->events = events;
    return 0;
}

int loop_io_set(struct loop *lp, struct loop_io *io, uint32_t events)
{
    if (io->events == events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(lp->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
        return -1;
    io->events = events;
    return 0;
}

void loop_io_del(struct loop *lp, struct loop_io *io)
{
    /* Closing the descriptor would also remove it, unless a dup() of it lives on. */
    epoll_ctl(lp->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* Heap helpers: each place holds a timer whose slot field names that place. */
static void heap_put(struct loop *lp, size_t i, struct loop_timer *t)
{
    lp->heap[i] = t;
    t->slot = i;
}

static void heap_up(struct loop *lp, size_t i)
{
    struct loop_timer *t = lp->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (lp->heap[parent]->when_ms <= t->when_ms)
            break;
        heap_put(lp, i, lp->heap[parent]);
        i = parent;
    }
    heap_put(lp, i, t);
}

static void heap_down(struct loop *lp, size_t i)
{
    struct loop_timer *t = lp->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= lp->nheap)
            break;
        if (c + 1 < lp->nheap && lp->heap[c + 1]->when_ms < lp->heap[c]->when_ms)
            c++;
        if (t->when_ms <= lp->heap[c]->when_ms)
            break;
        heap_put(lp, i, lp->heap[c]);
        i = c;
    }
    heap_put(lp, i, t);
}

int loop_timer_arm(struct loop *lp, struct loop_timer *t, int64_t when_ms)
{
    if (t->slot != LOOP_UNARMED) {
        int64_t old = t->when_ms;
        t->when_ms = when_ms;
        if (when_ms < old)
            heap_up(lp, t->slot);
        else
            heap_down(lp, t->slot);
        return 0;
    }
    if (lp->nheap == lp->capheap) {
        size_t cap = lp->capheap ? lp->capheap * 2 : 64;
        struct loop_timer **h = realloc(lp->heap, cap * sizeof(*h));
        if (h == NULL)
            return -1;
        lp->heap = h;
        lp->capheap = cap;
    }
    t->when_ms = when_ms;
    heap_put(lp, lp->nheap++, t);
    heap_up(lp, t->slot);
    return 0;
}

void loop_timer_cancel(struct loop *lp, struct loop_timer *t)
{
    size_t i = t->slot;
    if (i == LOOP_UNARMED)
        return;
    t->slot = LOOP_UNARMED;
    struct loop_timer *last = lp->heap[--lp->nheap];
    if (last == t)
        return;
    heap_put(lp, i, last);
    heap_up(lp, i);
    heap_down(lp, last->slot);
}

/* Milliseconds epoll_wait may sleep: until the earliest deadline, -1 with no timers. */
static int wait_ms(const struct loop *lp)
{
    if (lp->nheap == 0)
        return -1;
    int64_t d = lp->heap[0]->when_ms - lp->now_ms;
    if (d <= 0)
        return 0;
    return d > 60000 ? 60000 : (int)d;
}

static void run_timers(struct loop *lp)
{
    while (lp->nheap > 0 && lp->heap[0]->when_ms <= lp->now_ms && !lp->stop) {
        struct loop_timer *t = lp->heap[0];
        loop_timer_cancel(lp, t);
        t->proc(lp, t);
    }
}

int loop_run(struct loop *lp, char *err, size_t errlen)
{
    struct epoll_event evs[LOOP_BATCH];
    while (!lp->stop) {
        int n = epoll_wait(lp->epfd, evs, LOOP_BATCH, wait_ms(lp));
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "loop_run: epoll_wait: %s", strerror(errno));
            return -1;
        }
        lp->now_ms = clock_ms();
        for (int i = 0; i < n && !lp->stop; i++) {
            struct loop_io *io = evs[i].data.ptr;
            io->proc(lp, io, evs[i].events);
        }
        run_timers(lp);
    }
    return 0;
}
