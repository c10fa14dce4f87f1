/*
 * engine.c - placeholder: the probe engine is being written; destinations stay unknown.
 */
#include "engine.h"

int engine_start(struct loop *l, const struct config *cfg, char *err, size_t errlen)
{
    (void)l;
    (void)cfg;
    (void)err;
    (void)errlen;
    return 0;
}

void engine_reload(const struct config *cfg)
{
    (void)cfg;
}

void engine_stop(void)
{
}

void engine_figures(struct agent_figures *ag)
{
    (void)ag;
}
