#!/usr/bin/env bash
# timeout: 90
# Sources that cannot collect are reported, never fatal, and retried: a Postfix with no
# configuration (postqueue fails), then no postqueue binary at all (after a reload), an
# unreadable mail log that appears later, and a state file whose folder is missing until
# it is created. Each shows as mxwatch_source_up{source} 0 with a growing error count, is
# logged once (not once per attempt), and recovers by itself; the agent keeps answering.
source "$(dirname "$0")/../lib/common.sh"

write_config() { # POSTQUEUE
    cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:1"]
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $T/no-postfix
    postqueue: $1
    queue_interval: 1s
    log_file: $T/mail.log
    state_file: $T/state/postfix-log.state
EOC
}
write_config /usr/sbin/postqueue
start_agent "$T/agent.yml"

M=
val() { metric_value "$M" "$1"; }
up_is() { # SOURCE VALUE
    M=$(scrape) || return 1
    [ "$(val "mxwatch_source_up{source=\"$1\"}")" = "$2" ]
}
errors_at_least() { # SOURCE N
    M=$(scrape) || return 1
    [ "$(val "mxwatch_source_errors_total{source=\"$1\"}")" -ge "$2" ]
}

# No Postfix configuration: postqueue runs and fails; reported with its own words.
wait_for 10 errors_at_least postfix_queue 3 || fail "postfix_queue errors do not grow"
up_is postfix_queue 0 || fail "postfix_queue is up without a Postfix"
grep -q 'source=postfix_queue error=".*postqueue exited with status [0-9]*: postqueue: fatal:' "$T/agent.log" ||
    fail "postqueue's complaint is not in the agent's log"
assert_eq 1 "$(grep -c 'msg="collection failed" source=postfix_queue' "$T/agent.log")" "error lines for 3+ failed scans"

# No log file: reported, the agent stays up and answers.
up_is postfix_log 0 || fail "postfix_log is up without a log file"
grep -q "source=postfix_log error=\"cannot open $T/mail.log: No such file or directory\"" "$T/agent.log" ||
    fail "the missing log is not reported clearly"
curl -fsS "$AGENT_URL/-/healthy" >/dev/null || fail "agent not healthy with failing sources"

# The log appears: it is opened by itself, but the state file's folder is missing.
: >"$T/mail.log"
wait_for 10 grep -q "cannot write state file $T/state/postfix-log.state" "$T/agent.log" ||
    fail "the unwritable state file is not reported"
mkdir "$T/state"
wait_for 15 up_is postfix_log 1 || fail "postfix_log did not recover"
wait_for 5 test -s "$T/state/postfix-log.state" || fail "no state file once its folder exists"
grep -q 'msg="recovered" source=postfix_log' "$T/agent.log" || fail "recovery not logged"

# No postqueue binary (config reloaded): a clear "cannot run".
write_config "$T/no-such-postqueue"
kill -HUP "$AGENT_PID"
wait_for 10 bash -c "grep -q 'cannot run $T/no-such-postqueue: No such file or directory' '$T/agent.log'" ||
    fail "a missing postqueue is not reported (the first error line may be rate-limited: $(grep postfix_queue "$T/agent.log" | tail -n 2))"
kill -0 "$AGENT_PID" || fail "agent died"
note "ok"
