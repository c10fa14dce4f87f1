/*
 * delivernow.c - retry deferred mail now (delivernow.h). Loop thread only.
 *
 * A job: waiting -> running (the queue listing, then one postqueue -i per message, one
 * child at a time) -> done or failed, then kept among the last JOBS_KEPT for its askers.
 * A refused request is kept the same way, as a failed job saying why. Every change of
 * state (and a running job's progress, at most once a second) is published in the
 * snapshot (store_set_jobs), where the web's admin handlers read it. The queue is read
 * fresh for each job, so a message delivered meanwhile is not retried twice and one that
 * arrived meanwhile is.
 */
#include "delivernow.h"

#include "child.h"
#include "log.h"
#include "pfdefer.h"
#include "srcagg.h"
#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define RECOVERY_MEMORY 4096 /* destinations whose last automatic retry is remembered */
#define PROGRESS_MS     1000 /* a running job's counts are published at most this often */

struct job {
    struct delivernow_job pub;
    char (*ids)[PFDEFER_ID_MAX]; /* deferred messages to retry */
    size_t n_ids, next_id;
    struct pfdefer_lines lines;
    int64_t started_ms;
    struct job *next; /* in the waiting queue */
};

struct recovery_mark {
    char domain[STORE_DOMAIN_MAX];
    double last;
};

static struct {
    struct loop *loop;
    bool postfix;
    char *postqueue, *config_dir;
    bool retry_on_recovery;
    double retry_min_interval_s;
    struct job *running, *waiting, *waiting_tail;
    size_t n_waiting;
    struct child *child;
    struct delivernow_job kept[JOBS_KEPT]; /* ring of finished jobs */
    size_t n_kept, next_kept;
    int64_t published_ms; /* when the jobs were last published */
    struct loop_timer *kick;
    struct strmap recovered; /* domain -> struct recovery_mark */
} dn;

static void start_next(void);

/* ---- publishing ---- */

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const struct delivernow_job *)a)->id, y = ((const struct delivernow_job *)b)->id;
    return x < y ? -1 : x > y;
}

/* Every job the loop knows into the next snapshot, by id. */
static void publish_jobs(void)
{
    static struct delivernow_job all[JOBS_PUBLISHED];
    size_t n = 0;
    for (size_t i = 0; i < dn.n_kept; i++)
        all[n++] = dn.kept[i];
    if (dn.running)
        all[n++] = dn.running->pub;
    for (const struct job *j = dn.waiting; j && n < JOBS_PUBLISHED; j = j->next)
        all[n++] = j->pub;
    qsort(all, n, sizeof *all, by_id);
    store_set_jobs(all, n);
    dn.published_ms = mxw_now_ms();
}

static void keep(const struct delivernow_job *p)
{
    dn.kept[dn.next_kept] = *p;
    dn.next_kept = (dn.next_kept + 1) % JOBS_KEPT;
    dn.n_kept += dn.n_kept < JOBS_KEPT;
}

/* ---- finishing ---- */

static void free_job(struct job *j)
{
    pfdefer_end(&j->lines, NULL, NULL);
    free(j->ids);
    free(j);
}

static void finish(struct job *j, enum delivernow_state st, const char *error)
{
    struct delivernow_job *p = &j->pub;
    p->state = st;
    p->finished = mxw_wall_time();
    if (error)
        mxw_strlcpy(p->error, error, sizeof p->error);
    double took = (double)(mxw_now_ms() - j->started_ms) / 1000.0;
    if (st == DELIVERNOW_DONE)
        log_info("delivernow",
                 "done job=%llu destination=%s messages=%llu rescheduled=%llu failed=%llu "
                 "took=%.3f",
                 (unsigned long long)p->id, p->all ? "all" : p->destination,
                 (unsigned long long)p->messages, (unsigned long long)p->rescheduled,
                 (unsigned long long)p->failed, took);
    else
        log_warn("delivernow", "failed job=%llu destination=%s error=\"%s\" took=%.3f",
                 (unsigned long long)p->id, p->all ? "all" : p->destination, p->error, took);
    keep(p);
    free_job(j);
    dn.running = NULL;
    start_next();
    publish_jobs();
}

/* The reason a postqueue run failed, for the job's error. */
static void child_error(char *out, size_t cap, const char *what, int status, const char *line)
{
    char how[64];
    child_describe(status, how, sizeof how);
    snprintf(out, cap, "%s %s%s%s", what, how, line[0] ? ": " : "", line);
}

/* ---- retrying the messages one by one ---- */

static void flush_next(struct job *j);

static void on_flushed(void *arg, int status, const char *line)
{
    struct job *j = arg;
    dn.child = NULL;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        j->pub.rescheduled++;
    } else {
        j->pub.failed++;
        log_debug("delivernow", "postqueue -i failed job=%llu queue_id=%s error=\"%s\"",
                  (unsigned long long)j->pub.id, j->ids[j->next_id - 1], line);
    }
    if (mxw_now_ms() - dn.published_ms >= PROGRESS_MS)
        publish_jobs();
    flush_next(j);
}

static void flush_next(struct job *j)
{
    if (j->next_id == j->n_ids) {
        finish(j, DELIVERNOW_DONE, NULL);
        return;
    }
    char *argv[] = {dn.postqueue, "-c", dn.config_dir, "-i", j->ids[j->next_id++], NULL};
    char err[JOBS_ERROR_MAX];
    dn.child = child_spawn(dn.loop, argv, DELIVERNOW_ONE_MS, NULL, on_flushed, j, err, sizeof err);
    if (!dn.child)
        finish(j, DELIVERNOW_FAILED, err);
}

/* ---- listing the queue ---- */

/* The destination a recipient domain's mail counts under, by the sources' transport map
 * (sources.postfix.transport_maps), as the queue source counts it. */
static const char *dest_of(const char *domain, void *arg)
{
    (void)arg;
    return srcagg_destination(domain);
}

static void on_record(void *arg, const char *line, size_t len)
{
    struct job *j = arg;
    char id[PFDEFER_ID_MAX];
    if (pfdefer_match(line, len, j->pub.destination, dest_of, NULL, id, sizeof id) != 1)
        return;
    j->pub.messages++;
    if (j->n_ids == DELIVERNOW_IDS_MAX)
        return; /* counted, not retried: the job's figures show the difference */
    if ((j->n_ids & (j->n_ids - 1)) == 0) { /* grow at powers of two */
        size_t cap = j->n_ids ? j->n_ids * 2 : 16;
        void *ids = xrealloc(j->ids, cap * sizeof *j->ids);
        j->ids = ids;
    }
    memcpy(j->ids[j->n_ids++], id, PFDEFER_ID_MAX);
}

static void on_listing(void *arg, const char *data, size_t len)
{
    struct job *j = arg;
    pfdefer_feed(&j->lines, data, len, on_record, j);
}

static void on_listed(void *arg, int status, const char *line)
{
    struct job *j = arg;
    dn.child = NULL;
    pfdefer_end(&j->lines, on_record, j);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char err[JOBS_ERROR_MAX];
        child_error(err, sizeof err, "postqueue -j", status, line);
        finish(j, DELIVERNOW_FAILED, err);
        return;
    }
    flush_next(j);
}

static void on_flushed_all(void *arg, int status, const char *line)
{
    struct job *j = arg;
    dn.child = NULL;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        finish(j, DELIVERNOW_DONE, NULL);
        return;
    }
    char err[JOBS_ERROR_MAX];
    child_error(err, sizeof err, "postqueue -f", status, line);
    finish(j, DELIVERNOW_FAILED, err);
}

static void run(struct job *j)
{
    char err[JOBS_ERROR_MAX];
    j->pub.state = DELIVERNOW_RUNNING;
    j->started_ms = mxw_now_ms();
    dn.running = j;
    publish_jobs();
    char *list[] = {dn.postqueue, "-c", dn.config_dir, "-j", NULL};
    char *flush[] = {dn.postqueue, "-c", dn.config_dir, "-f", NULL};
    if (j->pub.all)
        dn.child = child_spawn(dn.loop, flush, DELIVERNOW_SCAN_MS, NULL, on_flushed_all, j, err,
                               sizeof err);
    else
        dn.child = child_spawn(dn.loop, list, DELIVERNOW_SCAN_MS, on_listing, on_listed, j, err,
                               sizeof err);
    if (!dn.child)
        finish(j, DELIVERNOW_FAILED, err);
}

static void start_next(void)
{
    if (dn.running || !dn.waiting)
        return;
    struct job *j = dn.waiting;
    dn.waiting = j->next;
    if (!dn.waiting)
        dn.waiting_tail = NULL;
    dn.n_waiting--;
    run(j);
}

/* Jobs start from a timer, not from the request: a status observer must not spawn. */
static int64_t on_kick(struct loop *l, void *arg)
{
    (void)l, (void)arg;
    dn.kick = NULL;
    start_next();
    return -1;
}

/* ---- requests ---- */

static const struct job *pending_for(const char *destination)
{
    if (dn.running && !strcmp(dn.running->pub.destination, destination))
        return dn.running;
    for (const struct job *j = dn.waiting; j; j = j->next)
        if (!strcmp(j->pub.destination, destination))
            return j;
    return NULL;
}

/* Why no job can be queued now (job->error filled), or false. */
static bool refused(const char *destination, struct delivernow_job *job)
{
    const struct job *same = pending_for(destination ? destination : "");
    if (!dn.postfix)
        mxw_strlcpy(job->error, "no MTA to ask: sources.postfix.enabled is false",
                    sizeof job->error);
    else if (same)
        snprintf(job->error, sizeof job->error, "a retry of %s is already %s (job %llu)",
                 destination ? destination : "all deferred mail",
                 delivernow_state_name(same->pub.state), (unsigned long long)same->pub.id);
    else if (dn.n_waiting >= JOBS_WAITING)
        mxw_strlcpy(job->error, "too many retries waiting; try again later", sizeof job->error);
    return job->error[0] != 0;
}

static void enqueue(struct job *j)
{
    if (dn.waiting_tail)
        dn.waiting_tail->next = j;
    else
        dn.waiting = j;
    dn.waiting_tail = j;
    dn.n_waiting++;
    if (!dn.kick && !dn.running)
        dn.kick = loop_timer_add(dn.loop, 0, on_kick, NULL);
}

/* A refused request: kept as a failed job, so that its asker reads why. */
static int refuse(struct delivernow_job *p)
{
    p->state = DELIVERNOW_FAILED;
    p->finished = p->requested;
    log_warn("delivernow", "refused job=%llu trigger=%s who=%s destination=%s error=\"%s\"",
             (unsigned long long)p->id, delivernow_trigger_name(p->trigger), p->who,
             p->all ? "all" : p->destination, p->error);
    keep(p);
    publish_jobs();
    return -1;
}

int delivernow_request(uint64_t id, const char *destination, enum delivernow_trigger trigger,
                       const char *who)
{
    struct delivernow_job pub = {.id = id ? id : jobs_next_id(),
                                 .trigger = trigger,
                                 .all = !destination,
                                 .requested = mxw_wall_time()};
    mxw_strlcpy(pub.destination, destination ? destination : "", sizeof pub.destination);
    mxw_strlcpy(pub.who, who, sizeof pub.who);
    if (refused(destination, &pub))
        return refuse(&pub);
    struct job *j = xcalloc(1, sizeof *j);
    j->pub = pub;
    struct agent_figures *ag = store_agent();
    if (trigger == DELIVERNOW_RECOVERY)
        ag->delivernow_recovery++;
    else
        ag->delivernow_manual++;
    log_info("delivernow", "requested job=%llu trigger=%s who=%s destination=%s",
             (unsigned long long)pub.id, delivernow_trigger_name(trigger), who,
             destination ? destination : "all");
    enqueue(j);
    publish_jobs();
    return 0;
}

/* ---- retry on recovery ---- */

/* For strmap_sweep: a mark older than the minimum interval goes. */
static bool mark_expired(void *val, void *arg)
{
    struct recovery_mark *m = val;
    if (*(const double *)arg - m->last < dn.retry_min_interval_s)
        return false;
    free(m);
    return true;
}

/* Whether domain had no automatic retry within the minimum interval; remembers now. */
static bool recovery_due(const char *domain, double now)
{
    struct recovery_mark *m = strmap_get(&dn.recovered, domain);
    if (m && now - m->last < dn.retry_min_interval_s)
        return false;
    if (!m && dn.recovered.n >= RECOVERY_MEMORY) /* forget what holds nothing back */
        strmap_sweep(&dn.recovered, mark_expired, &now);
    if (!m && dn.recovered.n < RECOVERY_MEMORY && (m = xcalloc(1, sizeof *m))) {
        mxw_strlcpy(m->domain, domain, sizeof m->domain);
        strmap_put(&dn.recovered, m->domain, m);
    }
    if (m)
        m->last = now;
    return m != NULL;
}

static void on_status(struct dest *d, enum dest_status old_status, enum dest_status new_status,
                      void *arg)
{
    (void)arg;
    if (!dn.retry_on_recovery || new_status != DEST_UP ||
        !store_back_from_down(store_dest_view(d), old_status))
        return;
    const char *domain = store_dest_domain(d);
    if (!recovery_due(domain, mxw_wall_time())) {
        log_debug("delivernow", "recovery retry skipped destination=%s reason=retry_min_interval",
                  domain);
        return;
    }
    delivernow_request(0, domain, DELIVERNOW_RECOVERY, "recovery");
}

/* ---- lifecycle ---- */

static void configure(const struct config *cfg)
{
    free(dn.postqueue);
    free(dn.config_dir);
    dn.postfix = cfg->postfix_enabled;
    dn.postqueue = xstrdup(cfg->postfix_queue_command ? cfg->postfix_queue_command : "");
    dn.config_dir = xstrdup(cfg->postfix_config_dir ? cfg->postfix_config_dir : "/etc/postfix");
    dn.retry_on_recovery = cfg->retry_on_recovery;
    dn.retry_min_interval_s = (double)cfg->retry_min_interval_ms / 1000.0;
}

void delivernow_start(struct loop *l, const struct config *cfg)
{
    dn.loop = l;
    configure(cfg);
    store_subscribe_status(on_status, NULL);
}

void delivernow_reload(const struct config *cfg)
{
    configure(cfg); /* a running job keeps going with the commands it started with */
}

void delivernow_stop(void)
{
    child_kill(dn.child);
    if (dn.running)
        free_job(dn.running);
    while (dn.waiting) {
        struct job *j = dn.waiting;
        dn.waiting = j->next;
        free_job(j);
    }
    if (dn.kick)
        loop_timer_del(dn.loop, dn.kick);
    strmap_clear(&dn.recovered, free);
    free(dn.postqueue);
    free(dn.config_dir);
    memset(&dn, 0, sizeof dn);
}
