/*
 * delivernow.h - the remedy: ask the MTA to retry deferred mail now, for one destination or
 * for all, by hand (POST /api/v1/delivernow, `mxwatch delivernow`) or automatically when a
 * destination comes back up (web.delivernow.retry_on_recovery). For Postfix, one job lists
 * the queue (`postqueue -c DIR -j`), picks the deferred messages with a recipient for the
 * destination, and runs `postqueue -c DIR -i ID` for each; "all" runs `postqueue -c DIR -f`.
 * Every child runs with a fixed argv, never through a shell.
 *
 * Threads: loop thread only. One job runs at a time, the others wait in a bounded queue;
 * children are watched by the loop, never waited for. The web's requests reach
 * delivernow_request through the daemon (a loop_post); their askers follow the job in the
 * snapshot (jobs.h), never by calling in here.
 */
#ifndef MXW_DELIVERNOW_H
#define MXW_DELIVERNOW_H

#include "config.h"
#include "jobs.h"
#include "loop.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define DELIVERNOW_IDS_MAX 100000 /* deferred messages one job retries */
#define DELIVERNOW_SCAN_MS 120000 /* postqueue -j or -f longer than this is killed */
#define DELIVERNOW_ONE_MS  10000  /* one postqueue -i longer than this is killed */

/* Loop thread: settings (MTA commands, retry on recovery) and the status observer. */
void delivernow_start(struct loop *l, const struct config *cfg);
void delivernow_reload(const struct config *cfg);
void delivernow_stop(void);

/* Queues a job with that id (0: a fresh one) for destination (NULL: all deferred mail).
 * 0, or -1 when refused: no MTA configured, a job for the same destination already waiting
 * or running, the queue full. A refused job is kept and published as failed, its error
 * saying why. Counts accepted jobs in the agent figures and logs who asked for what. */
int delivernow_request(uint64_t id, const char *destination, enum delivernow_trigger trigger,
                       const char *who);

#endif
