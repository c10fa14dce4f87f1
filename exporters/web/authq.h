/*
 * authq.h - the password checker: bcrypt (crypt_r) runs here, on one thread of its own, never
 * on libmicrohttpd's. A request whose credentials are not remembered is suspended (its
 * connection holds no thread) and its check queued; the worker answers through a callback
 * and the server resumes the connection.
 *
 * Bounds: at most AUTHQ_MAX checks wait; the worker spends at most AUTHQ_BUDGET_MS of bcrypt
 * time in any second (the rest of the machine, and the HTTP thread, keep the remainder).
 * Order: the check of the client with the fewest recent failures first, arrival order among
 * equals, so a guessing address waits behind everyone else but is never refused a correct
 * password for having guessed; a full queue drops the check of the worst client (answered
 * AUTHQ_BUSY: 429), or refuses the new one when no queued client did worse.
 *
 * authq_start/authq_stop on the main thread; authq_submit on the HTTP thread; the callback
 * on the worker thread.
 */
#ifndef MXW_AUTHQ_H
#define MXW_AUTHQ_H

#include <stdbool.h>

#define AUTHQ_MAX       64  /* checks waiting */
#define AUTHQ_BUDGET_MS 500 /* bcrypt milliseconds per second: half a core at most */
#define AUTHQ_PASS_MAX  256 /* longer passwords are refused unchecked (bcrypt reads 72 bytes) */

enum authq_result { AUTHQ_OK, AUTHQ_BAD, AUTHQ_BUSY };

/* Called once per accepted check: on the worker thread, or on the HTTP thread for a check
 * that a newcomer pushed out of a full queue (AUTHQ_BUSY). */
typedef void authq_done_fn(void *arg, enum authq_result r);

struct authq;

/* Starts the worker. NULL when the thread cannot be made. */
struct authq *authq_start(void);
/* Answers every waiting check AUTHQ_BUSY, waits for the one running and stops the worker;
 * later submits are refused. authq_free then frees it (after the server has stopped, so no
 * submit can race with it). */
void authq_stop(struct authq *q);
void authq_free(struct authq *q);
/* Queues a check of password against hash for a client with `fails` recent failures. 0, or
 * -1 when the queue is full of clients that failed no more (done is then never called). The
 * password is copied and wiped after the check. HTTP thread. */
int authq_submit(struct authq *q, const char *password, const char *hash, unsigned fails,
                 authq_done_fn *done, void *arg);

#endif
