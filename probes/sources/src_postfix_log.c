/*
 * src_postfix_log.c - the postfix_log source: follows the mail log (sources.postfix.log_file)
 * and counts, per destination, delivered, soft-bounced (deferral events), hard-bounced
 * recipients by class, completed (delivered + hard-bounced), deleted recipients (postsuper),
 * errors by enhanced status code and failed outbound connections with the last one's text.
 *
 * Runs on the loop thread, on its own timer: at most LOG_TURN_BYTES per turn, then the
 * loop gets control back (a backlog is read in many short turns, never in one long one).
 * The read position goes to sources.postfix.state_file every LOG_SAVE_MS and at stop, so a
 * restart resumes at the first line not yet counted. Counters start from zero in each
 * process (Prometheus counters may reset; the saved position keeps a line from being
 * counted again after a clean stop; after a crash, at most LOG_SAVE_MS of lines are).
 * Without a state file the log is read from its end, like tail -f.
 *
 * Attribution: a status line counts under srcagg_destination(recipient domain). A message's
 * expiry and a postsuper removal name no recipient: pfqids remembers the recipients each
 * message still has waiting. A failed connection (`connect to ...`) names no message: it is
 * held per smtp process id until that process logs its next status line, which is for the
 * delivery the connection was for.
 *
 * Each smtp/lmtp status line is also the outcome of a delivery attempt (pfattempt.h): the
 * destination's last one goes to the store, which derives the status from it too
 * (global.status_source).
 */
#include "source.h"
#include "xalloc.h"

#include "logtail.h"
#include "pfattempt.h"
#include "pflog.h"
#include "hash.h"
#include "pfqids.h"
#include "log.h"
#include "srcagg.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TICK_MS         250  /* poll interval once caught up */
#define LOG_RETRY_MS        5000 /* while the log cannot be opened */
#define LOG_TURN_BYTES      (1u << 20)
#define LOG_SAVE_MS         5000
#define LOG_ROTATE_GRACE_MS 2000
#define LOG_CONNFAIL_SLOTS  1024 /* smtp processes with a pending failed connection */
#define LOG_NAME            "postfix_log"

/* What is remembered for expiry and removal (pfqids.h): a deferred queue of 50,000 messages
 * with two recipients each and short destination names takes under 6 MiB. */
#define LOG_QIDS_MAX   50000
#define LOG_QIDS_RCPTS 100000
#define LOG_QIDS_BYTES (8u << 20)

/* Failed connections of one smtp/lmtp process not yet tied to a delivery. */
struct connfail {
    unsigned pid;
    unsigned count;
    char reason[sizeof(((struct mta_figures *)0)->last_failure)];
};

static struct {
    char *path, *state_path;
    struct logtail *tail;
    struct pfqids *qids;
    struct connfail pend[LOG_CONNFAIL_SLOTS];
    bool state_loaded;
    struct logtail_pos saved; /* what the state file holds */
    bool have_saved;
    struct logtail_pos resume; /* where to open next: from the state file, or after an error */
    bool have_resume;
    int64_t last_save_ms;
    uint64_t malformed, unattributed_connfail;
    struct logtail_stats seen; /* the follower's counts at the last turn, for the log */
} lg;

static bool plog_enabled(const struct config *cfg)
{
    return cfg->postfix_enabled && cfg->postfix_log_file && cfg->postfix_log_file[0];
}

/* ---- counting ---- */

static void note_connfail(const struct pflog_event *ev)
{
    struct connfail *c = &lg.pend[ev->pid % LOG_CONNFAIL_SLOTS];
    if (c->pid != ev->pid) {
        lg.unattributed_connfail += c->count;
        c->pid = ev->pid;
        c->count = 0;
    }
    c->count++;
    mxw_strncpy0(c->reason, sizeof c->reason, ev->reason, ev->reason_len);
}

static void claim_connfail(unsigned pid, struct mta_figures *m)
{
    struct connfail *c = &lg.pend[pid % LOG_CONNFAIL_SLOTS];
    if (c->pid != pid || !c->count)
        return;
    m->conn_failed += c->count;
    memcpy(m->last_failure, c->reason, sizeof m->last_failure);
    c->count = 0;
}

static void count_hard(struct mta_figures *m, enum pflog_hard_class cls)
{
    switch (cls) {
    case PFLOG_HARD_DNS: m->hard_dns++; break;
    case PFLOG_HARD_5XX: m->hard_5xx++; break;
    case PFLOG_HARD_FILTER: m->hard_filter++; break;
    case PFLOG_HARD_EXPIRED: m->hard_expired++; break;
    case PFLOG_HARD_OTHER:
    case PFLOG_HARD_NONE: m->hard_other++; break;
    }
    m->completed++;
}

/* The outcome of the attempt a status line reports, as the destination's last one. Its time
 * is when the line was read: the log is followed near real time (every LOG_TICK_MS), and
 * Postfix's syslog timestamps have no year or zone to trust. */
static void note_attempt(const struct pflog_event *ev, const char *dest)
{
    struct pfattempt a;
    if (!pfattempt_from_event(ev, &a))
        return;
    srcagg_delivery(dest, store_delivery_new(&(struct delivery_fields){
                              .at = mxw_wall_time(),
                              .cls = a.cls,
                              .cmd = a.cmd,
                              .outcome = a.outcome,
                              .reply = a.reply,
                              .enhanced = a.enhanced,
                              .host = a.host,
                              .addr = a.addr,
                              .text = a.text,
                          }));
}

static void recipient_event(const struct pflog_event *ev)
{
    const char *dest = srcagg_destination(ev->rcpt_domain);
    note_attempt(ev, dest);
    struct mta_figures *m = srcagg_figures(dest);
    uint64_t rcpt = hash_fnv1a(ev->rcpt, ev->rcpt_len);
    claim_connfail(ev->pid, m);
    if (ev->dsn_code >= 4000000)
        srcagg_count_error(m, ev->dsn_code);
    switch (ev->kind) {
    case PFLOG_SENT:
        m->delivered++;
        m->completed++;
        if (ev->delay_s >= 0) /* final lines only: a retry's delay would count it twice */
            srcagg_observe_delay(m, ev->delay_s);
        pfqids_done(lg.qids, ev->queue_id, rcpt);
        break;
    case PFLOG_DEFERRED:
        m->soft_bounce++;
        pfqids_deferred(lg.qids, ev->queue_id, rcpt, dest);
        break;
    case PFLOG_BOUNCED:
        count_hard(m, ev->hard_class);
        if (ev->delay_s >= 0)
            srcagg_observe_delay(m, ev->delay_s);
        pfqids_done(lg.qids, ev->queue_id, rcpt);
        break;
    default: break;
    }
}

static void count_expired(const char *dest, void *arg)
{
    (void)arg;
    count_hard(srcagg_figures(dest), PFLOG_HARD_EXPIRED);
}

static void count_deleted(const char *dest, void *arg)
{
    (void)arg;
    srcagg_figures(dest)->deleted++;
}

static void on_line(const char *line, size_t len, void *arg)
{
    (void)arg;
    struct pflog_event ev;
    int rc = pflog_parse_line(line, len, &ev);
    if (rc <= 0) {
        lg.malformed += rc < 0;
        return;
    }
    switch (ev.kind) {
    case PFLOG_CONNFAIL: note_connfail(&ev); break;
    case PFLOG_EXPIRED: pfqids_finish(lg.qids, ev.queue_id, count_expired, NULL); break;
    case PFLOG_REMOVED: pfqids_finish(lg.qids, ev.queue_id, count_deleted, NULL); break;
    default:
        if (ev.rcpt_domain[0])
            recipient_event(&ev);
        break;
    }
}

/* ---- the position ---- */

/* Saves the position when it moved and the last save is old enough (or force). */
static int save_position(bool force, char *err, size_t errlen)
{
    struct logtail_pos pos;
    if (!lg.tail || !logtail_is_open(lg.tail))
        return 0;
    logtail_position(lg.tail, &pos);
    if (lg.have_saved && pos.dev == lg.saved.dev && pos.ino == lg.saved.ino &&
        pos.offset == lg.saved.offset && pos.head_len == lg.saved.head_len)
        return 0;
    if (!force && mxw_now_ms() - lg.last_save_ms < LOG_SAVE_MS)
        return 0;
    lg.last_save_ms = mxw_now_ms();
    if (logtail_state_save(lg.state_path, &pos, err, errlen) < 0)
        return -1;
    lg.saved = pos;
    lg.have_saved = true;
    return 0;
}

/* Opens the log, at the saved position the first time. A state file that cannot be read
 * is reported; the log is then read from its end. */
static int open_log(char *err, size_t errlen)
{
    if (!lg.state_loaded && lg.state_path[0]) {
        int have = logtail_state_load(lg.state_path, &lg.saved, err, errlen);
        lg.state_loaded = true;
        if (have < 0)
            return -1;
        lg.have_saved = lg.have_resume = have > 0;
        lg.resume = lg.saved;
    }
    return logtail_open(lg.tail, lg.have_resume ? &lg.resume : NULL, err, errlen);
}

/* After a read error: reopen later where reading stopped. */
static void close_log(void)
{
    logtail_position(lg.tail, &lg.resume);
    lg.have_resume = true;
    logtail_close(lg.tail);
}

/* Rotations are worth an info line; lines that could not be used a warning (with the
 * totals so far). Only when a count moved, so at most once per turn. */
static void log_follower_events(void)
{
    const struct logtail_stats *st = logtail_stats(lg.tail);
    if (st->rotations != lg.seen.rotations || st->truncations != lg.seen.truncations)
        log_info(LOG_NAME, "log file rotated path=%s renamed=%llu truncated=%llu", lg.path,
                 (unsigned long long)st->rotations, (unsigned long long)st->truncations);
    if (st->overlong != lg.seen.overlong || st->cut_lines != lg.seen.cut_lines)
        log_warn(LOG_NAME,
                 "log lines skipped path=%s overlong=%llu limit_bytes=%d cut_by_rotation=%llu",
                 lg.path, (unsigned long long)st->overlong, LOGTAIL_LINE_MAX,
                 (unsigned long long)st->cut_lines);
    lg.seen = *st;
}

/* ---- source_ops ---- */

static int log_start(const struct source_env *env, const struct config *cfg, char *err,
                     size_t errlen)
{
    (void)env;
    (void)err;
    (void)errlen;
    memset(&lg, 0, sizeof lg);
    lg.path = xstrdup(cfg->postfix_log_file);
    lg.state_path = xstrdup(cfg->postfix_state_file ? cfg->postfix_state_file : "");
    lg.tail = logtail_new(lg.path, LOG_ROTATE_GRACE_MS);
    lg.qids = pfqids_new(&(struct pfqids_limits){LOG_QIDS_MAX, LOG_QIDS_RCPTS, LOG_QIDS_BYTES});
    return 0; /* the first collect opens the log, and reports if it cannot */
}

static int64_t log_collect(struct loop *l)
{
    (void)l;
    char err[512] = "";
    int64_t t0 = mxw_now_us();
    if (!logtail_is_open(lg.tail) && open_log(err, sizeof err) < 0) {
        source_report(LOG_NAME, false, (double)(mxw_now_us() - t0) / 1e6, err);
        return logtail_is_open(lg.tail) ? LOG_TICK_MS : LOG_RETRY_MS;
    }
    int rc = logtail_read(lg.tail, LOG_TURN_BYTES, on_line, NULL, err, sizeof err);
    if (rc < 0)
        close_log();
    log_follower_events();
    srcagg_publish();
    bool ok = rc >= 0;
    if (ok && lg.state_path[0] && save_position(false, err, sizeof err) < 0)
        ok = false; /* counting goes on; the failed save is retried every LOG_SAVE_MS */
    source_report(LOG_NAME, ok, (double)(mxw_now_us() - t0) / 1e6, err);
    return rc < 0 ? LOG_RETRY_MS : rc == 0 ? 0 : LOG_TICK_MS;
}

static void log_stop(void)
{
    char err[512];
    if (lg.state_path && lg.state_path[0] && save_position(true, err, sizeof err) < 0)
        source_report(LOG_NAME, false, 0, err);
    logtail_free(lg.tail);
    pfqids_free(lg.qids);
    free(lg.path);
    free(lg.state_path);
    memset(&lg, 0, sizeof lg);
}

/* A new log file takes effect at once (read from its end, or from the position the state
 * file holds for it); a new state file only changes where the position goes. The counts
 * so far stay either way (they live in srcagg). */
static void log_reload(const struct config *cfg)
{
    const char *state = cfg->postfix_state_file ? cfg->postfix_state_file : "";
    if (strcmp(cfg->postfix_log_file, lg.path)) {
        log_stop();
        log_start(NULL, cfg, NULL, 0);
    } else if (strcmp(state, lg.state_path)) {
        free(lg.state_path);
        lg.state_path = xstrdup(state);
        lg.have_saved = false;
        lg.last_save_ms = 0;
    }
}

const struct source_ops src_postfix_log_ops = {
    .name = LOG_NAME,
    .per_destination = true,
    .enabled = plog_enabled,
    .start = log_start,
    .collect = log_collect,
    .reload = log_reload,
    .stop = log_stop,
};
