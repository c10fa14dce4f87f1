/*
 * daemon.h - the agent's lifecycle (`mxwatch run`): start-up, reload, shutdown. Owns the
 * loop, the libcurl multi handle and the current configuration. Loop thread.
 */
#ifndef MXW_DAEMON_H
#define MXW_DAEMON_H

#include <stddef.h>

/* `mxwatch run [flags]`: the agent in the foreground. Returns the exit code. */
int cmd_run(int argc, char **argv);

#endif
