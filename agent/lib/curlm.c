/*
 * curlm.c - the loop's libcurl multi handle (curlm.h). libcurl says which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); the loop
 * does both and hands finished transfers to their owners. Loop thread only.
 */
#include "curlm.h"

#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>

#define IDLE_MS MXW_HOUR_MS

struct curlm {
    struct loop *loop;
    CURLM *multi;
    struct loop_timer *timer;
    int64_t timeout_ms; /* what libcurl last asked for */
};

/* What CURLOPT_PRIVATE points to. */
struct owner {
    curlm_done_fn *done;
    void *arg;
};

static void check_done(struct curlm *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct owner *o = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&o);
        if (o && o->done) {
            curlm_done_fn *done = o->done;
            o->done = NULL; /* exactly once */
            done(o->arg, msg->easy_handle, msg->data.result);
        }
    }
}

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    struct curlm *m = arg;
    int ev = (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
             (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0) |
             (events & LOOP_ERROR ? CURL_CSELECT_ERR : 0);
    int running;
    curl_multi_socket_action(m->multi, fd, ev, &running);
    check_done(m);
}

static int on_socket(CURL *h, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)h;
    (void)socketp;
    struct curlm *m = userp;
    if (what == CURL_POLL_REMOVE) {
        loop_fd_del(m->loop, fd);
        return 0;
    }
    unsigned ev = (what & CURL_POLL_IN ? LOOP_READ : 0u) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0u);
    loop_fd_set(m->loop, fd, ev, on_fd, m);
    return 0;
}

static int on_timer_request(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct curlm *m = userp;
    m->timeout_ms = timeout_ms < 0 ? IDLE_MS : timeout_ms;
    loop_timer_reset(m->loop, m->timer, m->timeout_ms);
    return 0;
}

static int64_t on_timer(struct loop *l, void *arg)
{
    (void)l;
    struct curlm *m = arg;
    int running;
    m->timeout_ms = IDLE_MS;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(m);
    return m->timeout_ms;
}

struct curlm *curlm_new(struct loop *l, char *err, size_t errlen)
{
    static int global_done;
    if (!global_done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "libcurl global initialisation failed");
        return NULL;
    }
    global_done = 1;
    struct curlm *m = xcalloc(1, sizeof *m);
    m->loop = l;
    m->multi = curl_multi_init();
    if (!m->multi) {
        snprintf(err, errlen, "cannot create a libcurl multi handle");
        free(m);
        return NULL;
    }
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    m->timer = loop_timer_add(l, IDLE_MS, on_timer, m);
    return m;
}

void curlm_free(struct curlm *m)
{
    if (!m)
        return;
    curl_multi_cleanup(m->multi);
    loop_timer_del(m->loop, m->timer);
    free(m);
}

int curlm_add(struct curlm *m, CURL *h, curlm_done_fn *done, void *arg)
{
    struct owner *o = xcalloc(1, sizeof *o);
    *o = (struct owner){done, arg};
    curl_easy_setopt(h, CURLOPT_PRIVATE, o);
    if (curl_multi_add_handle(m->multi, h) != CURLM_OK) {
        free(o);
        curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)NULL);
        return -1;
    }
    return 0;
}

void curlm_remove(struct curlm *m, CURL *h)
{
    struct owner *o = NULL;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&o);
    curl_multi_remove_handle(m->multi, h);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)NULL);
    free(o);
}
