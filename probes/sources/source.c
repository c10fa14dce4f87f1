/*
 * source.c - what every source reports (source.h): its up/error/duration figures in the
 * store, and its failures in the log, the first one at once, the same one again at most
 * every SOURCE_ERROR_LOG_INTERVAL, a different one at once, and the recovery. Loop thread.
 */
#include "source.h"

#include "log.h"
#include "util.h"

#include <string.h>

#define SOURCE_ERROR_LOG_INTERVAL 600.0 /* seconds between repeats of a persisting error */

/* The report state of a running source: what its logs said last. */
struct reporter {
    char name[32];
    double last_error_log;
    bool failing;
    char last_error[256]; /* the error last logged: a different one is logged at once */
};

static struct {
    struct reporter r[STORE_SOURCES_MAX];
    size_t n;
} rep;

static struct source_status *status_of(const char *name)
{
    struct agent_figures *ag = store_agent();
    for (size_t i = 0; i < ag->n_sources; i++)
        if (!strcmp(ag->sources[i].name, name))
            return &ag->sources[i];
    if (ag->n_sources == STORE_SOURCES_MAX)
        return NULL;
    struct source_status *s = &ag->sources[ag->n_sources++];
    memset(s, 0, sizeof *s);
    mxw_strlcpy(s->name, name, sizeof s->name);
    return s;
}

static struct reporter *reporter_of(const char *name)
{
    for (size_t i = 0; i < rep.n; i++)
        if (!strcmp(rep.r[i].name, name))
            return &rep.r[i];
    return NULL;
}

void source_register(const char *name, bool per_destination)
{
    struct source_status *st = status_of(name);
    if (st)
        st->per_destination = per_destination;
    struct reporter *r = reporter_of(name);
    if (!r && rep.n < STORE_SOURCES_MAX)
        r = &rep.r[rep.n++];
    if (r) {
        memset(r, 0, sizeof *r);
        mxw_strlcpy(r->name, name, sizeof r->name);
    }
}

void source_forget_all(void)
{
    rep.n = 0;
}

void source_report(const char *name, bool ok, double duration_s, const char *err)
{
    struct source_status *s = status_of(name);
    struct reporter *r = reporter_of(name);
    if (!s)
        return;
    s->up = ok;
    s->last_duration_s = duration_s;
    double now = mxw_wall_time();
    if (ok) {
        s->last_success = now;
        if (r && r->failing)
            log_info("source", "recovered source=%s", name);
        if (r)
            r->failing = false;
        return;
    }
    s->errors++;
    if (!err)
        err = "unknown";
    if (r && (!r->failing || now - r->last_error_log >= SOURCE_ERROR_LOG_INTERVAL ||
              strncmp(err, r->last_error, sizeof r->last_error - 1))) {
        log_error("source",
                  r->failing ? "collection failed source=%s error=\"%s\" repeated=true"
                             : "collection failed source=%s error=\"%s\"",
                  name, err);
        r->last_error_log = now;
        mxw_strlcpy(r->last_error, err, sizeof r->last_error);
    }
    if (r)
        r->failing = true;
}
