/*
 * engine.h - the probe engine: per destination, on its own interval, resolve the MX records
 * and addresses (c-ares) and check the SMTP banner of the MX addresses (libcurl), then
 * record the outcome and status in the state store. Loop thread only.
 */
#ifndef MXW_ENGINE_H
#define MXW_ENGINE_H

#include "config.h"
#include "loop.h"
#include "store.h"

int engine_start(struct loop *l, const struct config *cfg, char *err, size_t errlen);
/* A new configuration: new destinations are scheduled, removed ones dropped, changed
 * parameters apply from the next probe. */
void engine_reload(const struct config *cfg);
void engine_stop(void);
/* In-flight counts and the first-round flag into the agent figures. */
void engine_figures(struct agent_figures *ag);
/* The loop's libcurl multi handle, for other libcurl users on the loop (gateway polls).
 * Valid between engine_start and engine_stop. */
struct curlm *engine_curlm(void);

#endif
