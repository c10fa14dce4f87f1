/*
 * agentx.h - the SNMP AgentX subagent (net-snmp) serving MXWATCH-MIB, the MTA-MIB group
 * tables and the notifications, on its own thread. Called from the main thread.
 */
#ifndef MXW_AGENTX_H
#define MXW_AGENTX_H

#include "config.h"

#include <stdbool.h>

int agentx_start(const struct config *cfg, char *err, size_t errlen);
void agentx_stop(void);
/* Any thread: whether the subagent is connected to its master now. */
bool agentx_connected(void);

#endif
