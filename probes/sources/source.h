/*
 * source.h - the interface every source of MTA figures implements (Postfix queue, Postfix
 * log, kernel sockets, commercial gateways), in the manner of node_exporter's collectors:
 * one file per source, registered by name in the registry (sources.c), enabled in the
 * config, each reporting its own duration, success and errors (mxwatch_source_up{source}).
 *
 * Everything here runs on the loop thread. A source writes its figures straight into the
 * state store (store_dest_mta()), never blocks the loop (child processes and sockets are
 * watched with loop_fd_set), and never logs an error by itself: it reports it through
 * source_report() (source.c), which logs the first failure, then the same failure at most
 * every 10 minutes (a different one at once), and the recovery.
 */
#ifndef MXW_SOURCE_H
#define MXW_SOURCE_H

#include "config.h"
#include "loop.h"
#include "store.h"

#include <stdbool.h>

struct curlm;

/* What the daemon lends every source for its life (between start and stop). */
struct source_env {
    struct loop *loop;
    struct curlm *curlm; /* the loop's libcurl multi handle (curlm.h) */
};

struct source_ops {
    const char *name; /* the source="..." label: postfix_queue, postfix_log, connections */
    /* Fills per-destination MTA figures (mta_figures), so that /metrics shows the MTA
     * families for every destination once such a source runs. */
    bool per_destination;
    bool (*enabled)(const struct config *cfg);
    /* Prepares the source (files, sockets); a failure here is reported and retried by
     * collect, never fatal: the agent starts without the MTA. */
    int (*start)(const struct source_env *env, const struct config *cfg, char *err, size_t errlen);
    /* One collection. Synchronous sources call source_report() before returning;
     * asynchronous ones (a child process, an HTTP poll) call it when they finish. Returns
     * the delay in ms until the next call. */
    int64_t (*collect)(struct loop *l);
    void (*reload)(const struct config *cfg);
    void (*stop)(void);
};
/* The sources, one file each (src_*.c; the gateway's is in gateway.h). */
extern const struct source_ops src_postfix_queue_ops, src_postfix_log_ops, src_connections_ops;

/* Records the outcome of one collection of the named source. */
void source_report(const char *name, bool ok, double duration_s, const char *err);

/* For the registry: the named source starts (its report state is fresh; per_destination as
 * in its ops), or every source stopped. */
void source_register(const char *name, bool per_destination);
void source_forget_all(void);

#endif
