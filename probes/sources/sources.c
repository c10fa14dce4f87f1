/*
 * sources.c - the registry of MTA-figure sources (sources.h): starts the enabled ones and
 * runs each on its own timer; their up/error/duration figures are source.c's. Loop thread.
 */
#include "sources.h"

#include "gateway.h"
#include "log.h"
#include "srcagg.h"

/* The registry: add a source here and nowhere else. */
static const struct source_ops *const registry[] = {
    &src_postfix_queue_ops, &src_postfix_log_ops, &src_connections_ops, &gateway_source, NULL,
};

struct running {
    const struct source_ops *ops;
    struct loop_timer *timer;
};

static struct {
    struct loop *loop;
    struct running run[STORE_SOURCES_MAX];
    size_t n;
} src;

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
        source_register(ops->name, ops->per_destination);
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
    source_forget_all();
    srcagg_shutdown();
}
