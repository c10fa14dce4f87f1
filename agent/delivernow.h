/*
 * delivernow.h - the remedy: ask the MTA to retry deferred mail now, for one destination or
 * for all, by hand (POST /api/v1/delivernow, `mxwatch delivernow`) or automatically when a
 * destination comes back up (web.delivernow.retry_on_recovery). For Postfix, one job lists
 * the queue (`postqueue -c DIR -j`), picks the deferred messages with a recipient for the
 * destination, and runs `postqueue -c DIR -i ID` for each; "all" runs `postqueue -c DIR -f`.
 * Every child runs with a fixed argv, never through a shell.
 *
 * Threads: the jobs live on the loop thread (one runs at a time, the others wait in a
 * bounded queue; children are watched by the loop, never waited for). Other threads ask
 * through delivernow_submit / delivernow_lookup, which post to the loop and wait at most
 * wait_ms for its answer: the loop only queues the job and answers at once, so the HTTP
 * thread never waits for the MTA.
 */
#ifndef MXW_DELIVERNOW_H
#define MXW_DELIVERNOW_H

#include "config.h"
#include "loop.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define DELIVERNOW_KEPT      64     /* finished jobs remembered for GET .../delivernow/{id} */
#define DELIVERNOW_WAITING   256    /* jobs waiting behind the running one */
#define DELIVERNOW_IDS_MAX   100000 /* deferred messages one job retries */
#define DELIVERNOW_WHO_MAX   64
#define DELIVERNOW_ERROR_MAX 256
#define DELIVERNOW_SCAN_MS   120000 /* postqueue -j or -f longer than this is killed */
#define DELIVERNOW_ONE_MS    10000  /* one postqueue -i longer than this is killed */

enum delivernow_trigger { DELIVERNOW_MANUAL, DELIVERNOW_RECOVERY };
enum delivernow_state { DELIVERNOW_QUEUED, DELIVERNOW_RUNNING, DELIVERNOW_DONE, DELIVERNOW_FAILED };

/* A job as its askers see it (a copy: the loop owns the real one). */
struct delivernow_job {
    uint64_t id;
    enum delivernow_state state;
    enum delivernow_trigger trigger;
    bool all;
    char destination[STORE_DOMAIN_MAX]; /* "" when all */
    char who[DELIVERNOW_WHO_MAX];       /* the user, "token" or "recovery" */
    double requested, finished;         /* wall time; finished 0 while not finished */
    uint64_t messages;                  /* deferred messages found for the destination */
    uint64_t rescheduled;               /* of them, handed to postqueue -i successfully */
    uint64_t failed;                    /* postqueue -i failed (the message left meanwhile?) */
    char error[DELIVERNOW_ERROR_MAX];   /* why the job failed or was refused */
};

/* Refusals (HTTP status codes, since that is how they are answered). */
enum {
    DELIVERNOW_OK = 0,
    DELIVERNOW_CONFLICT = 409,
    DELIVERNOW_BUSY = 503,
    DELIVERNOW_NOJOB = 404
};

/* Loop thread: settings (MTA commands, retry on recovery) and the status observer. */
void delivernow_start(struct loop *l, const struct config *cfg);
void delivernow_reload(const struct config *cfg);
void delivernow_stop(void);

/* Loop thread: queues a job (destination NULL = all). Returns DELIVERNOW_OK with *job
 * filled, or a refusal with job->error saying why: no MTA configured, a job for the same
 * destination already waiting or running (CONFLICT), the queue full (BUSY). Counts
 * accepted jobs in the agent figures and logs who asked for what. */
int delivernow_request(const char *destination, enum delivernow_trigger trigger, const char *who,
                       struct delivernow_job *job);

/* Any thread but the loop: delivernow_request / a job's state by id, on the loop, waiting
 * at most wait_ms. Returns as delivernow_request (lookup: DELIVERNOW_NOJOB when the id is
 * unknown or forgotten), or -1 when the loop did not answer in time (nothing was done). */
int delivernow_submit(struct loop *l, const char *destination, const char *who, int wait_ms,
                      struct delivernow_job *job);
int delivernow_lookup(struct loop *l, uint64_t id, int wait_ms, struct delivernow_job *job);

const char *delivernow_state_name(enum delivernow_state s);
const char *delivernow_trigger_name(enum delivernow_trigger t);

#endif
