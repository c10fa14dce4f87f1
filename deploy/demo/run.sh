#!/usr/bin/env bash
# `make run`: the agent on its embedded demo world (deploy/demo/world.sh), in the foreground;
# Ctrl-C stops the agent and everything started for it. The world has a private Postfix
# sending mail into it unless deploy/demo/mta.sh says this host cannot run one (another MTA
# installed, not root, ...): then the demo runs without MTA figures, and the banner says
# why. With a CONFIG argument, the agent runs on that configuration instead and no demo
# world is started.
# Usage: deploy/demo/run.sh BUILD_DIR [CONFIG]
set -uo pipefail
BUILD=$1
CONFIG=${2:-}
export MXW_QUIET_CLEANUP=1
source "$(dirname "$0")/lib.sh"
LISTEN=${LISTEN:-127.0.0.1:9725}

if [ -n "$CONFIG" ]; then
    exec "$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$CONFIG" --web.listen-address="$LISTEN"
fi

# Ctrl-C signals the terminal's foreground process group. With job control on, every server
# started below gets a process group of its own, so Ctrl-C reaches only this script, which
# stops the agent first and waits for it (its AgentX subagent says goodbye to a snmpd that
# is still there), then the world, through the cleanup trap.
set -m
source "$(dirname "$0")/world.sh"
source "$(dirname "$0")/snmpd.sh"
source "$(dirname "$0")/mta.sh"
# A private snmpd as AgentX master (and snmptrapd for its notifications), so the MIB can be
# walked right away; -I -mta_sendmail keeps Debian snmpd's own MTA-MIB out of the way.
start_snmptrapd
start_snmpd
WORLD_SNMP=true
WORLD_AGENTX_SOCKET=$AGENTX_SOCKET
no_mta=$(mta_demo_why_not)
WORLD_MTA=true
[ -z "$no_mta" ] || WORLD_MTA=false
start_world
url=http://$LISTEN
if [ "$WORLD_MTA" = true ]; then
    mta="private Postfix $(postconf -d -h mail_version), config $PF_CONF, log $PF_LOG
                (postqueue -c $PF_CONF -p; a message to each destination every ${WORLD_MAIL_INTERVAL:-5} s)
  login         $WORLD_ADMIN_USER / $WORLD_ADMIN_PASSWORD   (admin: the Retry buttons, and
                $MXWATCH delivernow --url=$url --auth.file=$WORLD_AUTH_FILE refused.test)"
else
    mta="none: $no_mta; the queue, delivery, bounce and connection figures stay empty"
fi
cat <<EOM

mxwatch demo world (loopback only):
  status page   $url/
  metrics       $url/metrics
  JSON API      $url/api/v1/destinations
  DNS server    127.0.0.1:$WORLD_DNS_PORT   (dig @127.0.0.1 -p $WORLD_DNS_PORT mx alpha.test)
  destinations  $WORLD_DOMAINS
  config        $WORLD_CONFIG
  SNMP          snmpbulkwalk -v2c -c public 127.0.0.1:$SNMPD_PORT 1.3.6.1.4.1.32473.725
                (MIB: mibs/MXWATCH-MIB.txt; notifications logged to $SNMPTRAPD_LOG)
  MTA           $mta
Ctrl-C stops everything.

EOM
trap 'kill -TERM $agent 2>/dev/null' INT TERM
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$WORLD_CONFIG" --web.listen-address="$LISTEN" &
agent=$!
track $agent
wait $agent
wait $agent 2>/dev/null
echo "mxwatch demo world stopped."
