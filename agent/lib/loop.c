/*
 * loop.c - the epoll event loop (loop.h). File events are kept in an array indexed by fd;
 * timers in a 4-ary min-heap on the monotonic clock whose entries carry their due time, so
 * 100,000 timers cost O(log n) each and a sift reads one cache line per level. Cross-thread
 * requests arrive through an eventfd and a mutex-guarded queue. Runs on the main thread; never
 * blocks except in epoll_wait.
 */
#include "loop.h"

#include "util.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256

struct fd_slot {
    loop_fd_fn *fn;
    void *arg;
    unsigned events;
    bool used;
};

struct loop_timer {
    loop_timer_fn *fn;
    void *arg;
    size_t heap_pos;
    bool reset_in_callback; /* loop_timer_reset called from its own callback: keep it */
};

/* A heap slot: the due time inline, so comparisons never touch the timer. */
struct heap_entry {
    int64_t due_ms;
    struct loop_timer *t;
};

struct post {
    loop_post_fn *fn;
    void *arg;
    struct post *next;
};

struct loop {
    int epfd, wakefd;
    bool stop;
    struct fd_slot *fds;
    size_t n_fds;
    struct heap_entry *heap;
    size_t n_heap, cap_heap;
    pthread_mutex_t post_lock;
    struct post *posts, *posts_tail;
    struct loop_timer *running; /* the timer whose callback runs now */
    double lag_s, lag_window_max;
    int64_t lag_window_start;
};

/* ---- timer heap ---- */

#define HEAP_ARITY 4

static void heap_set(struct loop *l, size_t i, struct heap_entry e)
{
    l->heap[i] = e;
    e.t->heap_pos = i;
}

/* Restores the heap order around slot i, whose due time may have moved either way. */
static void heap_fix(struct loop *l, size_t i)
{
    struct heap_entry e = l->heap[i];
    while (i > 0 && l->heap[(i - 1) / HEAP_ARITY].due_ms > e.due_ms) {
        heap_set(l, i, l->heap[(i - 1) / HEAP_ARITY]);
        i = (i - 1) / HEAP_ARITY;
    }
    for (;;) {
        size_t first = i * HEAP_ARITY + 1, m = i;
        size_t end = first + HEAP_ARITY < l->n_heap ? first + HEAP_ARITY : l->n_heap;
        int64_t best = e.due_ms;
        for (size_t c = first; c < end; c++)
            if (l->heap[c].due_ms < best) {
                best = l->heap[c].due_ms;
                m = c;
            }
        if (m == i)
            break;
        heap_set(l, i, l->heap[m]);
        i = m;
    }
    heap_set(l, i, e);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
    size_t i = t->heap_pos;
    l->n_heap--;
    if (i != l->n_heap) {
        l->heap[i] = l->heap[l->n_heap];
        heap_fix(l, i);
    }
}

static void heap_insert(struct loop *l, struct loop_timer *t, int64_t due_ms)
{
    if (l->n_heap == l->cap_heap) {
        l->cap_heap = l->cap_heap ? l->cap_heap * 2 : 32;
        l->heap = xreallocarray(l->heap, l->cap_heap, sizeof *l->heap);
    }
    l->heap[l->n_heap] = (struct heap_entry){due_ms, t};
    heap_fix(l, l->n_heap++);
}

/* Moves a queued timer to a new due time in one sift. */
static void heap_move(struct loop *l, struct loop_timer *t, int64_t due_ms)
{
    l->heap[t->heap_pos].due_ms = due_ms;
    heap_fix(l, t->heap_pos);
}

struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ms, loop_timer_fn *fn, void *arg)
{
    struct loop_timer *t = xcalloc(1, sizeof *t);
    t->fn = fn;
    t->arg = arg;
    heap_insert(l, t, mxw_now_ms() + (after_ms < 0 ? 0 : after_ms));
    return t;
}

void loop_timer_reset(struct loop *l, struct loop_timer *t, int64_t after_ms)
{
    if (t == l->running)
        t->reset_in_callback = true;
    heap_move(l, t, mxw_now_ms() + (after_ms < 0 ? 0 : after_ms));
}

void loop_timer_del(struct loop *l, struct loop_timer *t)
{
    if (!t)
        return;
    heap_remove(l, t);
    free(t);
}

/* Fires due timers; measures how late they are (loop lag). */
static void run_timers(struct loop *l)
{
    int64_t now = mxw_now_ms();
    while (l->n_heap && l->heap[0].due_ms <= now) {
        struct loop_timer *t = l->heap[0].t;
        double late = (double)(now - l->heap[0].due_ms) / 1000.0;
        if (late > l->lag_window_max)
            l->lag_window_max = late;
        l->running = t;
        t->reset_in_callback = false;
        int64_t next = t->fn(l, t->arg);
        l->running = NULL;
        /* The callback may have deleted other timers but never itself. */
        if (next < 0) {
            heap_remove(l, t);
            free(t);
        } else if (!t->reset_in_callback) {
            heap_move(l, t, mxw_now_ms() + next);
        }
        now = mxw_now_ms();
    }
    if (now - l->lag_window_start >= 1000) {
        l->lag_s = l->lag_window_max;
        l->lag_window_max = 0;
        l->lag_window_start = now;
    }
}

double loop_lag(const struct loop *l)
{
    return l->lag_s > l->lag_window_max ? l->lag_s : l->lag_window_max;
}

/* ---- file events ---- */

static uint32_t to_epoll(unsigned ev)
{
    return (ev & LOOP_READ ? EPOLLIN : 0u) | (ev & LOOP_WRITE ? EPOLLOUT : 0u);
}

int loop_fd_set(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg)
{
    if (fd < 0)
        return -1;
    if ((size_t)fd >= l->n_fds) {
        size_t n = l->n_fds ? l->n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        l->fds = xrealloc(l->fds, n * sizeof *l->fds);
        memset(l->fds + l->n_fds, 0, (n - l->n_fds) * sizeof *l->fds);
        l->n_fds = n;
    }
    struct fd_slot *s = &l->fds[fd];
    struct epoll_event ee = {.events = to_epoll(events), .data.fd = fd};
    int op = s->used ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ee) < 0)
        return -1;
    *s = (struct fd_slot){.fn = fn, .arg = arg, .events = events, .used = true};
    return 0;
}

void loop_fd_del(struct loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->n_fds || !l->fds[fd].used)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    memset(&l->fds[fd], 0, sizeof l->fds[fd]);
}

/* ---- cross-thread posts ---- */

int loop_post(struct loop *l, loop_post_fn *fn, void *arg)
{
    struct post *p = xmalloc(sizeof *p);
    *p = (struct post){.fn = fn, .arg = arg};
    pthread_mutex_lock(&l->post_lock);
    if (l->posts_tail)
        l->posts_tail->next = p;
    else
        l->posts = p;
    l->posts_tail = p;
    pthread_mutex_unlock(&l->post_lock);
    uint64_t one = 1;
    ssize_t w = write(l->wakefd, &one, sizeof one);
    (void)w;
    return 0;
}

static void run_posts(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)events;
    (void)arg;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&l->post_lock);
    struct post *p = l->posts;
    l->posts = l->posts_tail = NULL;
    pthread_mutex_unlock(&l->post_lock);
    while (p) {
        struct post *next = p->next;
        p->fn(l, p->arg);
        free(p);
        p = next;
    }
}

/* ---- lifecycle ---- */

struct loop *loop_new(void)
{
    struct loop *l = xcalloc(1, sizeof *l);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&l->post_lock, NULL);
    l->lag_window_start = mxw_now_ms();
    if (l->epfd < 0 || l->wakefd < 0 || loop_fd_set(l, l->wakefd, LOOP_READ, run_posts, NULL)) {
        loop_free(l);
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_heap; i++)
        free(l->heap[i].t);
    free(l->heap);
    free(l->fds);
    for (struct post *p = l->posts, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    pthread_mutex_destroy(&l->post_lock);
    free(l);
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}

static int next_wait_ms(struct loop *l)
{
    if (!l->n_heap)
        return 1000;
    int64_t d = l->heap[0].due_ms - mxw_now_ms();
    if (d < 0)
        return 0;
    return d > 1000 ? 1000 : (int)d;
}

void loop_run(struct loop *l)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    l->stop = false;
    while (!l->stop) {
        int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, next_wait_ms(l));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n && !l->stop; i++) {
            int fd = evs[i].data.fd;
            if ((size_t)fd >= l->n_fds || !l->fds[fd].used)
                continue; /* closed by an earlier callback in this batch */
            struct fd_slot *s = &l->fds[fd];
            unsigned ev = (evs[i].events & EPOLLIN ? LOOP_READ : 0u) |
                          (evs[i].events & EPOLLOUT ? LOOP_WRITE : 0u) |
                          ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? LOOP_ERROR : 0u);
            s->fn(l, fd, ev, s->arg);
        }
        run_timers(l);
    }
}
