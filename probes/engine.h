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

struct curlm;

/* Starts probing on the daemon's loop and libcurl multi handle, which must outlive
 * engine_stop. */
/* Logs one SMTP session step at debug level (smtp_set_trace): the state machine's trace, as
 * OpenSMTPD's mta_session traces its transitions. mxwatch probe uses it too. */
struct smtp_step;
void engine_log_smtp_step(void *arg, const struct smtp_step *st);

int engine_start(struct loop *l, struct curlm *cm, const struct config *cfg, char *err,
                 size_t errlen);
/* A new configuration: new destinations are scheduled, removed ones dropped, changed
 * parameters apply from the next probe. -1 with err when a part could not be applied (a
 * new resolver that cannot be set up: the old one keeps serving). */
int engine_reload(const struct config *cfg, char *err, size_t errlen);
void engine_stop(void);
/* In-flight counts, probe totals and the first-round flag into the agent figures. A pure
 * getter: changes nothing in the engine. */
void engine_figures(struct agent_figures *ag);

#endif
