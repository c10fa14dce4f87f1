/*
 * agentx.c - placeholder until the SNMP subagent lands: the agent runs without SNMP and
 * reports mxwatch_agentx_connected 0.
 */
#include "agentx.h"

#include "log.h"

int agentx_start(const struct config *cfg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (cfg->snmp_enabled)
        log_warn("snmp", "SNMP subagent not yet available in this build");
    return 0;
}

void agentx_stop(void)
{
}

bool agentx_connected(void)
{
    return false;
}
