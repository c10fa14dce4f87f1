/*
 * webconn.c - connection admission and the request header deadline (webconn.h). The table
 * of open connections is a list under one lock: libmicrohttpd's thread adds, marks and
 * removes; the reaper reads it and shuts sockets that missed their deadline. Never logs
 * from the reaper (it only shuts sockets); refusals are logged at debug level.
 */
#include "webconn.h"

#include "log.h"
#include "util.h"
#include "xalloc.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct conn {
    struct conn *next, *prev;
    int fd;
    unsigned char key[8];
    bool in_request; /* the header is complete: no deadline runs */
    bool shut;       /* the reaper shut it; libmicrohttpd closes it next */
    int64_t since_ms;
};

struct standing {
    unsigned char key[8];
    int64_t last_ok_ms; /* 0: unused */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t reaper;
    bool running, stopping;
    struct webconn_limits lim;
    struct conn *head;
    unsigned n;
    struct standing good[WEBCONN_STANDING_KEYS];
} wc = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

bool webconn_client_key(const struct sockaddr *sa, unsigned char key[8])
{
    memset(key, 0, 8);
    if (sa && sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        memcpy(key, IN6_IS_ADDR_V4MAPPED(a) ? &a->s6_addr[12] : a->s6_addr,
               IN6_IS_ADDR_V4MAPPED(a) ? 4 : 8);
        return true;
    }
    return false;
}

/* Under the lock. */
static bool in_good_standing(const unsigned char *key, int64_t now)
{
    for (size_t i = 0; i < WEBCONN_STANDING_KEYS; i++)
        if (wc.good[i].last_ok_ms && now - wc.good[i].last_ok_ms < WEBCONN_STANDING_MS &&
            !memcmp(wc.good[i].key, key, 8))
            return true;
    return false;
}

/* Under the lock: the key's entry, or the stalest to reuse. */
static void remember_good(const unsigned char *key, int64_t now)
{
    struct standing *slot = &wc.good[0];
    for (size_t i = 0; i < WEBCONN_STANDING_KEYS; i++) {
        if (!memcmp(wc.good[i].key, key, 8) && wc.good[i].last_ok_ms) {
            slot = &wc.good[i];
            break;
        }
        if (wc.good[i].last_ok_ms < slot->last_ok_ms)
            slot = &wc.good[i];
    }
    memcpy(slot->key, key, 8);
    slot->last_ok_ms = now;
}

static unsigned count_key(const unsigned char *key)
{
    unsigned n = 0;
    for (struct conn *c = wc.head; c; c = c->next)
        n += !c->shut && !memcmp(c->key, key, 8);
    return n;
}

enum MHD_Result webconn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls;
    (void)addrlen;
    unsigned char key[8];
    if (!webconn_client_key(addr, key))
        return MHD_NO;
    int64_t now = mxw_now_ms();
    pthread_mutex_lock(&wc.lock);
    unsigned mine = count_key(key), total = wc.n;
    bool ok =
        mine < wc.lim.per_client && (total < wc.lim.max_connections ||
                                     (total < wc.lim.max_connections + WEBCONN_RESERVE &&
                                      mine < WEBCONN_RESERVE_EACH && in_good_standing(key, now)));
    pthread_mutex_unlock(&wc.lock);
    if (!ok)
        log_debug("web", "connection refused open=%u from_client=%u", total, mine);
    return ok ? MHD_YES : MHD_NO;
}

static void unlink_conn(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        wc.head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    wc.n--;
}

void webconn_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                    enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct conn *c = xcalloc(1, sizeof *c);
        if (!fd) {
            free(c);
            return;
        }
        c->fd = fd->connect_fd;
        webconn_client_key(ad ? ad->client_addr : NULL, c->key);
        c->since_ms = mxw_now_ms();
        pthread_mutex_lock(&wc.lock);
        c->next = wc.head;
        if (wc.head)
            wc.head->prev = c;
        wc.head = c;
        wc.n++;
        pthread_mutex_unlock(&wc.lock);
        *socket_context = c;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        /* libmicrohttpd closes the socket after this: the reaper, holding the lock, never
         * shuts a descriptor number that may already belong to another connection. */
        struct conn *c = *socket_context;
        pthread_mutex_lock(&wc.lock);
        unlink_conn(c);
        pthread_mutex_unlock(&wc.lock);
        free(c);
        *socket_context = NULL;
    }
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void webconn_request_started(struct MHD_Connection *mc)
{
    struct conn *c = conn_of(mc);
    if (!c)
        return;
    pthread_mutex_lock(&wc.lock);
    c->in_request = true;
    pthread_mutex_unlock(&wc.lock);
}

void webconn_request_done(struct MHD_Connection *mc, bool ok)
{
    struct conn *c = conn_of(mc);
    if (!c)
        return;
    int64_t now = mxw_now_ms();
    pthread_mutex_lock(&wc.lock);
    c->in_request = false;
    c->since_ms = now;
    if (ok)
        remember_good(c->key, now);
    pthread_mutex_unlock(&wc.lock);
}

static void reap(int64_t now)
{
    for (struct conn *c = wc.head; c; c = c->next) {
        if (c->in_request || c->shut || now - c->since_ms < wc.lim.header_ms)
            continue;
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
    }
}

static void *reaper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wc.lock);
    while (!wc.stopping) {
        struct timespec ts = mxw_realtime_after_ms(WEBCONN_REAP_MS);
        pthread_cond_timedwait(&wc.wake, &wc.lock, &ts);
        reap(mxw_now_ms());
    }
    pthread_mutex_unlock(&wc.lock);
    return NULL;
}

int webconn_start(const struct webconn_limits *l, char *err, size_t errlen)
{
    wc.lim = *l;
    wc.stopping = false;
    memset(wc.good, 0, sizeof wc.good);
    if (pthread_create(&wc.reaper, NULL, reaper, NULL) != 0) {
        snprintf(err, errlen, "web: cannot start the connection reaper thread");
        return -1;
    }
    wc.running = true;
    return 0;
}

unsigned webconn_mhd_limit(void)
{
    return wc.lim.max_connections + WEBCONN_RESERVE + 1;
}

void webconn_stop(void)
{
    if (wc.running) {
        pthread_mutex_lock(&wc.lock);
        wc.stopping = true;
        pthread_cond_signal(&wc.wake);
        pthread_mutex_unlock(&wc.lock);
        pthread_join(wc.reaper, NULL);
        wc.running = false;
    }
    pthread_mutex_lock(&wc.lock);
    while (wc.head) {
        struct conn *c = wc.head;
        unlink_conn(c); /* NOLINT(clang-analyzer-unix.Malloc): the head has no prev */
        free(c);
    }
    pthread_mutex_unlock(&wc.lock);
}
