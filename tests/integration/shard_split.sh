#!/usr/bin/env bash
# timeout: 90
# shard_split: three agents on one machine, started with --shard=0/3, --shard=1/3 and
# global.shard 2/3 on one list of 3,000 destinations (a fast NSD world: most behind four
# shared MX addresses that answer, some behind one that refuses), split it exactly: through
# their /metrics every destination is exported by exactly one agent, the one the documented
# rule names, and probed by it (tests/lib/shard_split.py). Destinations discovered in the
# Postfix queue (a stand-in postqueue) go to exactly one agent too, configured ones queued
# there are not discovered by the others, and each queued recipient is counted by one agent.
# A real Prometheus on deploy/prometheus/prometheus-shards.yml and mxwatch-shards-rules.yml
# answers the global count of destinations down (and by reason) with the number made down,
# and a global Prometheus on prometheus-global.yml federates it with the site's label.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/nsd.sh"

# The same world in the sanitizer build: three instrumented agents split it in about the
# same time (their first rounds are paced, not CPU-bound).
N=3000 N_DOWN=100 N_DISC=30 N_QUEUED_CONF=10
N_UP=$((N - N_DOWN))
ADDRS=(127.0.10.1 127.0.10.2 127.0.10.3 127.0.10.4)
REFUSING=127.0.10.9 # nothing listens there: connection refused

note "world: $N_UP destinations up, $N_DOWN down, $N_DISC only in the queue"
DNS_PORT=$(free_port)
{
    nsd_zone_shared "$N_UP" "${ADDRS[@]}"
    printf 'mx.refuse IN A %s\n' "$REFUSING"
    for ((i = 1; i <= N_DOWN; i++)); do printf 'x%d IN MX 10 mx.refuse.test.\n' "$i"; done
    for ((i = 1; i <= N_DISC; i++)); do printf 'q%d IN MX 10 mx1.d1.test.\n' "$i"; done
} >"$T/test.zone"
start_nsd "$DNS_PORT" "$T/test.zone"
P=$(free_port)
start_smtpd_ok mx.shared.test "$P" "${ADDRS[@]}"

# The queue: one recipient for each queue-only destination and for a few configured ones.
now=$(date +%s)
{
    for ((i = 1; i <= N_DISC; i++)); do echo "q$i.test"; done
    for ((i = 1; i <= N_QUEUED_CONF; i++)); do echo "d$i.test"; done
} | awk -v t="$now" '{ printf "{\"queue_name\": \"deferred\", \"queue_id\": \"Q%d\", \"arrival_time\": %d, \"recipients\": [{\"address\": \"u@%s\", \"delay_reason\": \"4.4.1 later\"}]}\n", NR, t, $1 }' >"$T/queue.json"
printf '#!/bin/sh\nexec /bin/cat %s/queue.json\n' "$T" >"$T/postqueue"
chmod 755 "$T/postqueue"
: >"$T/mail.log"

{
    awk -v n="$N_UP" 'BEGIN { for (i = 1; i <= n; i++) printf "d%d.test\n", i }'
    awk -v n="$N_DOWN" 'BEGIN { for (i = 1; i <= n; i++) printf "x%d.test\n", i }'
} >"$T/configured.txt"
{
    cat "$T/configured.txt"
    awk -v n="$N_DISC" 'BEGIN { for (i = 1; i <= n; i++) printf "q%d.test\n", i }'
} >"$T/expected.txt"

write_config() { # INDEX [SHARD_LINE]
    cat <<EOC
global:
  probe_interval: 30s
  down_after: 1
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  connect_timeout: 2s
  banner_timeout: 5s
  total_timeout: 10s
${2:-}
snmp: {enabled: false}
sources:
  postfix:
    enabled: true
    config_directory: $T
    postqueue: $T/postqueue
    queue_interval: 1s
    log_file: $T/mail.log
    state_file: $T/pflog-$1.state
  discovery: {enabled: true, max_destinations: 100, idle: 1h}
destinations:
EOC
    sed 's/^/  - /' "$T/configured.txt"
}
write_config 0 >"$T/agent-0.yml"
write_config 1 >"$T/agent-1.yml"
write_config 2 "  shard: 2/3" >"$T/agent-2.yml"

note "a bad shard is refused, naming the flag or the key"
run_capture "$MXWATCH" run "${MXW_RUN_AS[@]}" --shard=3/3
assert_eq 2 "$RC" "exit status of run --shard=3/3"
assert_eq "mxwatch: --shard: '3/3': the index 3 is not below the count (0-based: 0..2)" "$OUT" "--shard=3/3"
sed 's|^  shard: 2/3$|  shard: 1/0|' "$T/agent-2.yml" >"$T/bad.yml"
run_capture "$MXWATCH" check-config "$T/bad.yml"
assert_eq 1 "$RC" "exit status of check-config with shard 1/0"
assert_contains "$OUT" "bad.yml:9:10: global.shard: '1/0': the count 0 is out of range (1..1000)" "check-config"
run_capture "$MXWATCH" check-config --shard=1/3 "$T/agent-0.yml"
assert_eq 0 "$RC" "exit status of check-config --shard=1/3"
assert_contains "$OUT" "ok ($N destinations, " "check-config --shard=1/3"
assert_contains "$OUT" " of them in shard 1/3, " "check-config --shard=1/3"

URLS=()
start=$(date +%s)
for i in 0 1 2; do
    flag=(--shard="$i/3")
    [ "$i" = 2 ] && flag=() # from global.shard
    start_agent "$T/agent-$i.yml" --log.level=info "${flag[@]}"
    URLS+=("$AGENT_URL")
done

# The site's Prometheus, on the example configuration with this machine's agents.
prom_from_example() { # EXAMPLE OUT TARGETS...
    python3 - "$@" <<'EOP'
import sys, yaml
src, dst, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
c = yaml.safe_load(open(src))
c["global"].update(scrape_interval="2s", evaluation_interval="1s")
jobs = c["scrape_configs"]
if len(jobs) == 1:  # the federating job: every target in it
    jobs[0]["static_configs"] = [{"targets": targets}]
    jobs[0]["scrape_interval"] = "1s"
else:  # one job per agent
    for job, t in zip(jobs, targets, strict=True):
        job["static_configs"] = [{"targets": [t]}]
        job["scrape_timeout"] = "2s"
yaml.safe_dump(c, open(dst, "w"))
EOP
}
D=$MXW_TOP/deploy/prometheus
cp "$D/mxwatch-rules.yml" "$D/mxwatch-shards-rules.yml" "$T/"
prom_from_example "$D/prometheus-shards.yml" "$T/prometheus.yml" "${URLS[@]#http://}"
start_prometheus "$T/prometheus.yml"
PROM=$PROM_URL

note "every agent probes its share; discovered destinations join their owner"
ready() { curl -fsS --max-time 5 -o /dev/null "$1/-/ready"; }
for u in "${URLS[@]}"; do wait_for 60 ready "$u" || fail "$u: first round not done"; done
split_ok() {
    for i in 0 1 2; do curl -fsS --max-time 5 "${URLS[$i]}/metrics" >"$T/metrics-$i.txt" || return 1; done
    python3 "$MXW_TOP/tests/lib/shard_split.py" "$T/expected.txt" "$T"/metrics-{0,1,2}.txt >"$T/split.txt"
}
wait_for 30 split_ok || fail "the agents do not split the list: $(cat "$T/split.txt")"
note "$(cat "$T/split.txt") after $(($(date +%s) - start)) s"
read -r _ _ down queued <"$T/split.txt"
assert_eq "down=$N_DOWN" "$down" "destinations down, over the three agents"
assert_eq "queued=$((N_DISC + N_QUEUED_CONF))" "$queued" "queued recipients, over the three agents"
disc=0
for i in 0 1 2; do
    v=$(metric_value "$(cat "$T/metrics-$i.txt")" 'mxwatch_destinations{origin="discovered"}')
    disc=$((disc + v))
done
assert_eq "$N_DISC" "$disc" "discovered destinations, over the three agents"

note "Prometheus: the global count of destinations down is the number made down"
query() { # URL EXPR: the value of the single result, or empty
    curl -fsS --max-time 5 "$1/api/v1/query" --data-urlencode "query=$2" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r)==1 else "")'
}
expect() { [ "$(query "$1" "$2")" = "$3" ]; }
wait_for 30 expect "$PROM" 'job_status:mxwatch_destination_status:sum{status="down"}' "$N_DOWN" ||
    fail "global count of destinations down: $(query "$PROM" 'job_status:mxwatch_destination_status:sum{status="down"}'), expected $N_DOWN; targets: $(curl -s "$PROM/api/v1/targets" | head -c 600)"
assert_eq "$N_DOWN" "$(query "$PROM" 'job_reason:mxwatch_destination_down:sum{reason="refused"}')" "down destinations by reason"
assert_eq 3 "$(query "$PROM" 'count(up{job="mxwatch"} == 1)')" "agents scraped"
wait_for 10 expect "$PROM" 'sum(job_origin:mxwatch_destinations:sum)' "$((N + N_DISC))" ||
    fail "destinations watched, over the set: $(query "$PROM" 'sum(job_origin:mxwatch_destinations:sum)')"
assert_eq 3 "$(query "$PROM" 'job_shards:mxwatch_shard_info:count{shards="3"}')" "agents of the set of 3"

note "the global Prometheus federates the site's sums"
prom_from_example "$D/prometheus-global.yml" "$T/prometheus-global.yml" "${PROM#http://}"
start_prometheus "$T/prometheus-global.yml" prometheus-global
GLOBAL=$PROM_URL
wait_for 30 expect "$GLOBAL" 'sum(job_status:mxwatch_destination_status:sum{status="down"})' "$N_DOWN" ||
    fail "global view of destinations down: $(query "$GLOBAL" 'sum(job_status:mxwatch_destination_status:sum{status="down"})')"
assert_eq "$N_DOWN" "$(query "$GLOBAL" 'job_status:mxwatch_destination_status:sum{status="down",site="eu1",job="mxwatch"}')" "federated series keep the site and the job"
assert_eq 3 "$(query "$GLOBAL" 'count(mxwatch_shard_info{site="eu1"})')" "federated shard info"
note "ok in $(($(date +%s) - start)) s"
