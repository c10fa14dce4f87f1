/*
 * child.h - one child process run from the loop: a fixed argv (posix_spawn, never a
 * shell), a fixed minimal environment, stdin from /dev/null, no other descriptor of the
 * agent, stdout streamed to a callback as it arrives, the first CHILD_STDERR_MAX bytes of
 * stderr kept for the report, the exit watched through a pidfd (or a short poll timer on
 * kernels without pidfd_open), and a deadline at which the child is killed and its pipes
 * are closed, whoever holds them. Loop thread only; never blocks the loop (pipes are
 * non-blocking and read at most CHILD_READ_MAX bytes per wakeup); never logs.
 */
#ifndef MXW_CHILD_H
#define MXW_CHILD_H

#include "loop.h"

#include <stddef.h>
#include <stdint.h>

#define CHILD_STDERR_MAX 512        /* bytes of stderr kept */
#define CHILD_READ_MAX   (1u << 18) /* bytes read from stdout per wakeup */

struct child;

/* A chunk of the child's stdout. */
typedef void child_out_fn(void *arg, const char *data, size_t len);
/* The child has exited and its stdout is drained: status as from waitpid, the first line
 * of its stderr. A child that had not both exited and closed its output by the deadline
 * shows SIGKILL, even when a grandchild was what held the output open. The child is freed
 * after this returns. */
typedef void child_done_fn(void *arg, int status, const char *stderr_line);

/* Starts argv[0] with argv. out may be NULL (stdout is then discarded). Returns the
 * running child, or NULL with err filled in (nothing is called back then). */
struct child *child_spawn(struct loop *l, char *const argv[], int64_t timeout_ms, child_out_fn *out,
                          child_done_fn *done, void *arg, char *err, size_t errlen);
/* Kills and reaps the child at once, without calling back (shutdown). */
void child_kill(struct child *c);
/* "exited with status 1", "killed by signal 9": for reports. */
void child_describe(int status, char *out, size_t cap);

#endif
