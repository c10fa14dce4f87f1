/*
 * daemon.h - the agent's lifecycle (`mxwatch run`): start-up, reload, shutdown. Owns the
 * loop and the current configuration. Loop thread, except daemon_request_reload(), which
 * any thread may call (the HTTP thread does, for POST /-/reload).
 */
#ifndef MXW_DAEMON_H
#define MXW_DAEMON_H

#include "config.h"
#include "loop.h"

/* The configuration in force. Loop thread only: other threads get copies at start. */
const struct config *daemon_config(void);
struct loop *daemon_loop(void);

/* Any thread: asks the loop to reload the configuration file; returns at once. The result
 * is published as mxwatch_config_last_reload_successful. */
void daemon_request_reload(void);

/* Loop thread: reloads now. Returns 0 when the new configuration is in force, -1 (with err
 * filled in) when it was rejected and the old one keeps running. */
int daemon_reload(char *err, size_t errlen);

#endif
