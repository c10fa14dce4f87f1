#!/usr/bin/env bash
# timeout: 60
# probe_damping: the status rule with flap damping, both ways, against an MX host that is
# stopped and started again. damp.test (down_after 3) stays up through its first two
# refused probes and goes down at the third; damp1.test (down_after 1) goes down at its
# first; both come back up at their first successful probe. Every /metrics sample is one
# consistent snapshot, so (probes by result, status) pairs can be checked sample by sample.
source "$(dirname "$0")/../lib/common.sh"

DNS_PORT=$(free_port)
P=$(free_port)
cat >"$T/zone.conf" <<EOZ
mx-host=damp.test,mx.damp.test,10
mx-host=damp1.test,mx.damp.test,10
host-record=mx.damp.test,127.0.2.1
EOZ
start_dnsmasq "$DNS_PORT" "$T/zone.conf"
cat >"$T/agent.yml" <<EOC
global:
  probe_interval: 1s
  down_after: 3
  dns_servers: ["127.0.0.1:$DNS_PORT"]
  smtp_port: $P
  connect_timeout: 1s
  banner_timeout: 1s
  total_timeout: 3s
destinations:
  - damp.test
  - {domain: damp1.test, down_after: 1}
snmp:
  enabled: false
EOC

start_listener() {
    "$MXW_SMTPD" --hostname mx.damp.test --log "$T/events.log" --listen "127.0.2.1:$P=ok" \
        >>"$T/smtpd.log" 2>&1 &
    LISTENER=$!
    track $LISTENER
    wait_tcp 127.0.2.1 "$P"
}

# sample: one line per destination, "DOMAIN ok=N refused=N status=S reason=R", from one scrape
sample() {
    scrape | awk '
        match($0, /destination="[^"]*"/) { d = substr($0, RSTART + 13, RLENGTH - 14) }
        /^mxwatch_probes_total\{/ && /result="ok"/ { ok[d] = $2 }
        /^mxwatch_probes_total\{/ && /result="refused"/ { ref[d] = $2 }
        /^mxwatch_destination_status\{/ && $2 == 1 { match($0, /status="[a-z]*"/); st[d] = substr($0, RSTART + 8, RLENGTH - 9) }
        /^mxwatch_destination_status_reason_info\{/ { match($0, /reason="[a-z_0-9]*"/); rs[d] = substr($0, RSTART + 8, RLENGTH - 9) }
        END { for (d in st) printf "%s ok=%d refused=%d status=%s reason=%s\n", d, ok[d], ref[d], st[d], rs[d] }'
}
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" <<<"$3"; }

start_listener
start_agent "$T/agent.yml"
wait_for 10 bash -c "curl -fsS $AGENT_URL/metrics | grep -q 'mxwatch_destination_status{destination=\"damp.test\",status=\"up\"} 1'" ||
    fail "damp.test never came up"

note "stopping the MX host: down only at the down_after-th consecutive failure"
kill "$LISTENER"
wait "$LISTENER" 2>/dev/null || true
deadline=$(($(date +%s) + 15))
seen_up_refused=0 seen_damp1_down=0
while [ "$(date +%s)" -lt $deadline ]; do
    s=$(sample)
    for d in damp.test damp1.test; do
        ref=$(field $d refused "$s") st=$(field $d status "$s") reason=$(field $d reason "$s")
        need=3
        [ $d = damp1.test ] && need=1
        if [ "$ref" -ge 1 ] && [ "$ref" -lt $need ]; then
            assert_eq up "$st" "$d status after $ref refused probe(s), down_after $need"
            assert_eq refused "$reason" "$d reason while damped"
            seen_up_refused=1
        elif [ "$ref" -ge $need ]; then
            assert_eq down "$st" "$d status after $ref refused probes, down_after $need"
            [ $d = damp1.test ] && seen_damp1_down=1
        fi
    done
    [ "$(field damp.test status "$s")" = down ] && break
    sleep 0.05
done
[ "$(field damp.test status "$s")" = down ] || fail "damp.test never went down: $s"
assert_eq 1 "$seen_up_refused" "a sample of damp.test up with a refused probe (damping seen)"
assert_eq 1 "$seen_damp1_down" "damp1.test down"
changed_down=$(scrape | awk '/^mxwatch_destination_status_change_timestamp_seconds\{destination="damp.test"/ { print $2 }')

note "starting it again: up at the first successful probe"
s=$(sample)
ok_before_damp=$(field damp.test ok "$s") ok_before_damp1=$(field damp1.test ok "$s")
start_listener
deadline=$(($(date +%s) + 10))
while [ "$(date +%s)" -lt $deadline ]; do
    s=$(sample)
    for d in damp.test damp1.test; do
        base=$ok_before_damp
        [ $d = damp1.test ] && base=$ok_before_damp1
        if [ "$(field $d ok "$s")" -gt "$base" ]; then
            assert_eq up "$(field $d status "$s")" "$d status after its first successful probe"
            assert_eq ok "$(field $d reason "$s")" "$d reason after its first successful probe"
        else
            assert_eq down "$(field $d status "$s")" "$d status before any successful probe"
        fi
    done
    [ "$(field damp.test status "$s")" = up ] && [ "$(field damp1.test status "$s")" = up ] && break
    sleep 0.05
done
[ "$(field damp.test status "$s")" = up ] || fail "damp.test did not come back up: $s"
changed_up=$(scrape | awk '/^mxwatch_destination_status_change_timestamp_seconds\{destination="damp.test"/ { print $2 }')
awk -v a="$changed_down" -v b="$changed_up" 'BEGIN { exit !(b > a) }' ||
    fail "status change timestamp did not move: $changed_down -> $changed_up"
grep -q 'msg="destination status changed" destination=damp.test from=up to=down reason=refused' "$T/agent.log" ||
    fail "no log line for damp.test going down"
