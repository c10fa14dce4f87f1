#!/usr/bin/env bash
# web_slow_clients: slow clients cannot block /metrics. 2,000 idle connections (from
# 127.0.1.1-100) and a slowloris from 20 addresses (127.0.0.11-30, 16 connections each, one
# header line a second, never ending the header) press on an agent with the default limits
# (64 connections, 16 per client) and web.timeout 3s, while a scraper on 127.0.0.1 scrapes
# every second: every scrape answers 200 within 1 s (its address is in good standing and
# gets the reserved slots, webconn.h), and no slowloris connection lives much past the 3 s
# header deadline although it sends a line every second (the idle timeout alone never ends
# it). Prints the slowest scrape for docs/RELIABILITY.md.
# timeout: 120
source "$(dirname "$0")/../lib/common.sh"

printf 'snmp: {enabled: false}\nweb:\n  timeout: 3s\n' >"$T/agent.yml"
start_agent "$T/agent.yml"
port=${AGENT_URL##*:}
curl -fsS -o /dev/null "$AGENT_URL/metrics" || fail "the first scrape"

python3 "$MXW_TOP/tests/lib/slow_clients.py" "$port" 24 2000 20 16 100 >"$T/attack.out" 2>&1 &
attack=$!
track $attack
sleep 2 # the attack fills every slot
for _ in $(seq 1 20); do
    curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$AGENT_URL/metrics" \
        >>"$T/scrapes" || true
    sleep 1
done
wait "$attack" || fail "the attack script failed: $(cat "$T/attack.out")"
slowest=$(sort -k2 -n "$T/scrapes" | tail -1 | cut -d' ' -f2)
note "attack: $(cat "$T/attack.out")"
note "20 scrapes under attack: slowest ${slowest} s; codes $(cut -d' ' -f1 "$T/scrapes" | sort | uniq -c | tr -s ' \n' ' ')"
assert_eq 20 "$(grep -c '^200 ' "$T/scrapes")" "scrapes answered 200"
awk '$2 >= 1 { bad = 1 } END { exit bad }' "$T/scrapes" || fail "a scrape took ${slowest} s (limit 1 s)"
life=$(sed -n 's/.*longest_slowloris_life=\([0-9.]*\).*/\1/p' "$T/attack.out")
awk -v l="$life" 'BEGIN { exit !(l > 0 && l < 5) }' ||
    fail "a slowloris connection lived ${life} s (header deadline 3 s)"
curl -fsS -o /dev/null --max-time 2 "$AGENT_URL/-/healthy" || fail "the agent after the attack"
echo "ok"
