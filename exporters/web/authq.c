/*
 * authq.c - the bcrypt worker (authq.h): one thread, a bounded queue ordered by the client's
 * recent failures, and a time budget per second. Never logs; wipes every password it held.
 */
#include "authq.h"

#include "util.h"
#include "webauth.h"
#include "xalloc.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct check {
    char password[AUTHQ_PASS_MAX + 1];
    const char *hash; /* the webauth's, which outlives the queue */
    unsigned fails;
    uint64_t seq; /* arrival order */
    authq_done_fn *done;
    void *arg;
};

struct authq {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping;
    struct check q[AUTHQ_MAX];
    size_t n;
    uint64_t next_seq;
    int64_t budget_ms; /* bcrypt time left, refilled AUTHQ_BUDGET_MS a second */
    int64_t refilled_ms;
};

/* The next check to run: fewest failures, then oldest. Under the lock, n > 0. */
static size_t pick(const struct authq *q)
{
    size_t best = 0;
    for (size_t i = 1; i < q->n; i++)
        if (q->q[i].fails < q->q[best].fails ||
            (q->q[i].fails == q->q[best].fails && q->q[i].seq < q->q[best].seq))
            best = i;
    return best;
}

/* The check to drop for a newcomer: most failures, then newest. Under the lock, n > 0. */
static size_t worst(const struct authq *q)
{
    size_t w = 0;
    for (size_t i = 1; i < q->n; i++)
        if (q->q[i].fails > q->q[w].fails ||
            (q->q[i].fails == q->q[w].fails && q->q[i].seq > q->q[w].seq))
            w = i;
    return w;
}

static void take(struct authq *q, size_t i, struct check *out)
{
    *out = q->q[i];
    q->q[i] = q->q[--q->n];
    OPENSSL_cleanse(&q->q[q->n], sizeof q->q[q->n]);
}

/* Waits, under the lock, until the budget allows another check or the queue stops. */
static void wait_budget(struct authq *q)
{
    for (;;) {
        int64_t now = mxw_now_ms();
        q->budget_ms += (now - q->refilled_ms) * AUTHQ_BUDGET_MS / 1000;
        q->refilled_ms = now;
        if (q->budget_ms > AUTHQ_BUDGET_MS)
            q->budget_ms = AUTHQ_BUDGET_MS;
        if (q->budget_ms > 0 || q->stopping)
            return;
        int64_t wait_ms = (-q->budget_ms * 1000) / AUTHQ_BUDGET_MS + 1;
        struct timespec ts = mxw_realtime_after_ms(wait_ms);
        pthread_cond_timedwait(&q->wake, &q->lock, &ts);
    }
}

static void *worker(void *arg)
{
    struct authq *q = arg;
    struct check c;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->n && !q->stopping)
            pthread_cond_wait(&q->wake, &q->lock);
        if (q->stopping)
            break;
        wait_budget(q);
        if (q->stopping)
            break;
        take(q, pick(q), &c);
        pthread_mutex_unlock(&q->lock);
        int64_t t0 = mxw_now_ms();
        bool ok = webauth_verify_password(c.password, c.hash);
        int64_t spent = mxw_now_ms() - t0;
        OPENSSL_cleanse(c.password, sizeof c.password);
        c.done(c.arg, ok ? AUTHQ_OK : AUTHQ_BAD);
        pthread_mutex_lock(&q->lock);
        q->budget_ms -= spent > 0 ? spent : 1;
    }
    while (q->n) { /* stopping: nobody is left waiting suspended */
        take(q, q->n - 1, &c);
        OPENSSL_cleanse(c.password, sizeof c.password);
        pthread_mutex_unlock(&q->lock);
        c.done(c.arg, AUTHQ_BUSY);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

struct authq *authq_start(void)
{
    struct authq *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    q->budget_ms = AUTHQ_BUDGET_MS;
    q->refilled_ms = mxw_now_ms();
    if (pthread_create(&q->thread, NULL, worker, q) != 0) {
        pthread_cond_destroy(&q->wake);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
    }
    return q;
}

void authq_stop(struct authq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    bool running = !q->stopping;
    q->stopping = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    if (running)
        pthread_join(q->thread, NULL);
}

void authq_free(struct authq *q)
{
    if (!q)
        return;
    authq_stop(q);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    OPENSSL_cleanse(q, sizeof *q);
    free(q);
}

int authq_submit(struct authq *q, const char *password, const char *hash, unsigned fails,
                 authq_done_fn *done, void *arg)
{
    if (strlen(password) > AUTHQ_PASS_MAX)
        return -1;
    struct check dropped = {0};
    bool drop = false;
    pthread_mutex_lock(&q->lock);
    if (q->stopping) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    if (q->n == AUTHQ_MAX) {
        size_t w = worst(q);
        if (q->q[w].fails <= fails) {
            pthread_mutex_unlock(&q->lock);
            return -1;
        }
        take(q, w, &dropped);
        drop = true;
    }
    struct check *c = &q->q[q->n++];
    mxw_strlcpy(c->password, password, sizeof c->password);
    c->hash = hash;
    c->fails = fails;
    c->seq = q->next_seq++;
    c->done = done;
    c->arg = arg;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    if (drop) {
        OPENSSL_cleanse(dropped.password, sizeof dropped.password);
        dropped.done(dropped.arg, AUTHQ_BUSY);
    }
    return 0;
}
