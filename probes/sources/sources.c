/*
 * sources.c - the registry of MTA-figure sources (sources.h): starts the enabled ones,
 * runs each on its own timer, and keeps their up/error/duration figures in the store.
 * Loop thread.
 */
#include "sources.h"

#include "gateway.h"
#include "log.h"
#include "srcagg.h"
#include "util.h"

#include <string.h>

#define SOURCE_ERROR_LOG_INTERVAL 600.0 /* seconds between repeats of a persisting error */

/* The registry: add a source here and nowhere else. */
static const struct source_ops *const registry[] = {
    &src_postfix_queue_ops, &src_postfix_log_ops, &src_connections_ops, &gateway_source, NULL,
};

struct running {
    const struct source_ops *ops;
    struct loop_timer *timer;
    double last_error_log;
    bool failing;
    char last_error[256]; /* the error last logged: a different one is logged at once */
};

static struct {
    struct loop *loop;
    struct running run[STORE_SOURCES_MAX];
    size_t n;
} src;

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

static struct running *running_of(const char *name)
{
    for (size_t i = 0; i < src.n; i++)
        if (!strcmp(src.run[i].ops->name, name))
            return &src.run[i];
    return NULL;
}

void source_report(const char *name, bool ok, double duration_s, const char *err)
{
    struct source_status *s = status_of(name);
    struct running *r = running_of(name);
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
        log_error("source", "collection failed source=%s error=\"%s\"%s", name, err,
                  r->failing ? " repeated=true" : "");
        r->last_error_log = now;
        mxw_strlcpy(r->last_error, err, sizeof r->last_error);
    }
    if (r)
        r->failing = true;
}

static int64_t on_collect(struct loop *l, void *arg)
{
    struct running *r = arg;
    return r->ops->collect(l);
}

/* Transport maps and discovery settings: a bad entry is skipped and said once. */
static void configure_aggregation(const struct config *cfg)
{
    char err[512];
    if (srcagg_configure(cfg, err, sizeof err) < 0)
        log_error("source", "configuration error=\"%s\"", err);
}

int sources_start(const struct source_env *env, const struct config *cfg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    src.loop = env->loop;
    configure_aggregation(cfg);
    for (size_t i = 0; registry[i] && src.n < STORE_SOURCES_MAX; i++) {
        const struct source_ops *ops = registry[i];
        if (!ops->enabled(cfg))
            continue;
        struct running *r = &src.run[src.n++];
        *r = (struct running){.ops = ops};
        struct source_status *st = status_of(ops->name);
        if (st)
            st->per_destination = ops->per_destination;
        char serr[256] = "";
        if (ops->start(env, cfg, serr, sizeof serr) < 0)
            source_report(ops->name, false, 0, serr);
        r->timer = loop_timer_add(env->loop, 0, on_collect, r);
        log_info("source", "started source=%s", ops->name);
    }
    return 0;
}

void sources_reload(const struct config *cfg)
{
    configure_aggregation(cfg);
    for (size_t i = 0; i < src.n; i++)
        if (src.run[i].ops->reload)
            src.run[i].ops->reload(cfg);
}

void sources_stop(void)
{
    for (size_t i = 0; i < src.n; i++) {
        src.run[i].ops->stop();
        loop_timer_del(src.loop, src.run[i].timer);
    }
    src.n = 0;
    srcagg_shutdown();
}
