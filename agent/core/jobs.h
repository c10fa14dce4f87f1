/*
 * jobs.h - an admin job (today: delivernow, retry deferred mail now) as plain data, the one
 * record that the web's admin handlers, the job runner (probes/sources/delivernow.c) and the
 * snapshot share. The HTTP thread numbers a job and hands it to the loop through the
 * daemon; the loop runs it and publishes every change of state in the snapshot
 * (store_set_jobs), where the HTTP thread reads it back. Nobody waits for anybody.
 *
 * jobs_next_id may be called from any thread; the rest is pure.
 */
#ifndef MXW_JOBS_H
#define MXW_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#define JOBS_DOMAIN_MAX 254 /* as STORE_DOMAIN_MAX */
#define JOBS_WHO_MAX    64
#define JOBS_ERROR_MAX  256
#define JOBS_KEPT       64  /* finished jobs remembered for GET .../delivernow/{id} */
#define JOBS_WAITING    256 /* jobs waiting behind the running one */
#define JOBS_PUBLISHED  (JOBS_KEPT + JOBS_WAITING + 1) /* at most in one snapshot */

enum delivernow_trigger { DELIVERNOW_MANUAL, DELIVERNOW_RECOVERY };
enum delivernow_state { DELIVERNOW_QUEUED, DELIVERNOW_RUNNING, DELIVERNOW_DONE, DELIVERNOW_FAILED };

/* One job as its askers see it. */
struct delivernow_job {
    uint64_t id;
    enum delivernow_state state;
    enum delivernow_trigger trigger;
    bool all;
    char destination[JOBS_DOMAIN_MAX]; /* "" when all */
    char who[JOBS_WHO_MAX];            /* the user, "token" or "recovery" */
    double requested, finished;        /* wall time; finished 0 while not finished */
    uint64_t messages;                 /* deferred messages found for the destination */
    uint64_t rescheduled;              /* of them, handed to postqueue -i successfully */
    uint64_t failed;                   /* postqueue -i failed (the message left meanwhile?) */
    char error[JOBS_ERROR_MAX];        /* why the job failed or was refused */
};

/* A fresh job id, unique in this process and increasing: 1, 2, 3... Any thread. */
uint64_t jobs_next_id(void);

const char *delivernow_state_name(enum delivernow_state s);
const char *delivernow_trigger_name(enum delivernow_trigger t);

#endif
