#!/usr/bin/env bash
# cli_client: `mxwatch tophosts`, `hoststatus` and `delivernow` against an agent on the demo
# world, checked against the JSON API: the table lists every destination in the API's
# order with the down ones marked, --sort and --limit reach the agent, hoststatus shows the
# gateway's sections with the API's status, reason and MX records, --json prints the API's
# documents, and the exit codes are 0 ok, 1 an error from the agent (unknown destination,
# delivernow refused), 2 usage or agent unreachable.
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
WORLD_INTERVAL=5s
start_world
start_agent "$WORLD_CONFIG"
settled() {
    local d exp
    for d in $WORLD_DOMAINS; do
        exp=$(world_expect "$d")
        curl -fsS "$AGENT_URL/api/v1/destinations/$d" | grep -q "\"status\":\"${exp% *}\"" || return 1
    done
}
wait_for 30 settled || fail "the demo world did not settle"
M=("$MXWATCH")
U=(--url="$AGENT_URL")

# tophosts: the rows, their order and markers, as the API has them.
out=$("${M[@]}" tophosts "${U[@]}") || fail "tophosts failed: $out"
api=$(curl -fsS "$AGENT_URL/api/v1/tophosts?sort=active&per=20")
N=$(wc -w <<<"$WORLD_DOMAINS") # the demo world's destinations
python3 - "$out" "$api" "$N" <<'EOP' || fail "tophosts does not match /api/v1/tophosts"
import json, re, sys
text, doc, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
rows = [l for l in text.splitlines() if re.match(r"^\s+\d+[ *?] ", l)]
want = doc["destinations"]
assert len(rows) == len(want) == n, (len(rows), len(want), n)
for i, (line, d) in enumerate(zip(rows, want)):
    m = re.match(r"^\s+(\d+)([ *?]) (\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", line)
    assert m, line
    assert int(m.group(1)) == i + 1 and m.group(3) == d["domain"], (line, d)
    assert (m.group(2) == "*") == (d["status"] == "down"), (line, d["status"])
    assert m.groups()[3:] == ("-",) * 5, line  # no MTA source in the demo world
print("tophosts matches the API:", len(rows), "rows")
EOP
assert_contains "$out" "Recipient Host" "the table header"
assert_contains "$out" "Hosts marked with '*' were down" "the legend"
out=$("${M[@]}" tophosts "${U[@]}" --sort=domain --limit=3)
assert_eq 3 "$(grep -cE '^ +[0-9]+[ *?] ' <<<"$out")" "rows with --limit 3"
assert_contains "$(grep -E '^ +1[ *?] ' <<<"$out")" "alpha.test" "the first row sorted by domain"
assert_contains "$out" "(3 of $N destinations" "the note on the limit"
"${M[@]}" tophosts "${U[@]}" --json >"$T/top.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["destinations"]) == int(sys.argv[2]) and d["sort"] == "active"' "$T/top.json" "$N" ||
    fail "tophosts --json is not the API's document"

# hoststatus: the gateway's sections, the API's facts.
out=$("${M[@]}" hoststatus "${U[@]}" alpha.test) || fail "hoststatus alpha.test failed"
for w in "Host mail status for:   'alpha.test'" "Host up/down:           up (ok)" "Counters:" \
    "Soft Bounced Events" "5XX Hard Bounces" "Deleted Recipients" "Gauges:" "Active Recipients" \
    "Pending Outbound Connections" "Oldest Message" "Last Activity" "MX Records:" \
    "127.0.0.11" \
    "banner: 220 mx.test ESMTP mxw-smtpd" "TLSv1.3"; do
    assert_contains "$out" "$w" "hoststatus alpha.test"
done
# The MX records' TTL: 300 s, less its age when the answer came from the agent's DNS cache.
for mx in "10 +(5m|4m( [0-9]+s)?) +mx1.alpha.test" "20 +(5m|4m( [0-9]+s)?) +mx2.alpha.test"; do
    grep -Eq "$mx" <<<"$out" || fail "hoststatus alpha.test has no line like '$mx':"$'\n'"$out"
done
out=$("${M[@]}" hoststatus "${U[@]}" REFUSED.test.)
assert_contains "$out" "Host up/down:           down (refused)" "hoststatus of a down destination"
"${M[@]}" hoststatus "${U[@]}" --json beta.test >"$T/beta.json"
curl -fsS "$AGENT_URL/api/v1/destinations/beta.test" >"$T/beta.api.json"
python3 - "$T/beta.json" "$T/beta.api.json" <<'EOP' || fail "hoststatus --json is not the API's document"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("domain", "status", "reason", "mx", "status_changed"):
    assert k in a and (k == "mx" or a[k] == b[k]), k
assert [h["name"] for h in a["mx"]] == [h["name"] for h in b["mx"]]
EOP

# exit codes
set +e
"${M[@]}" hoststatus "${U[@]}" nosuch.test >/dev/null 2>"$T/err"
assert_eq 1 $? "exit code for an unknown destination"
assert_contains "$(cat "$T/err")" "does not watch 'nosuch.test'" "the message"
"${M[@]}" delivernow "${U[@]}" alpha.test >/dev/null 2>"$T/err"
assert_eq 1 $? "exit code when delivernow is disabled"
assert_contains "$(cat "$T/err")" "403: delivernow is disabled" "the refusal"
"${M[@]}" tophosts --url="http://127.0.0.1:$(free_port)" >/dev/null 2>"$T/err"
assert_eq 2 $? "exit code when the agent is unreachable"
"${M[@]}" tophosts "${U[@]}" --sort=colour >/dev/null 2>&1
assert_eq 2 $? "exit code for an unknown --sort"
"${M[@]}" hoststatus "${U[@]}" >/dev/null 2>&1
assert_eq 2 $? "exit code without a DOMAIN"
"${M[@]}" tophosts --url=ftp://x >/dev/null 2>&1
assert_eq 2 $? "exit code for a bad --url"
"${M[@]}" tophosts "${U[@]}" --auth.file="$T/missing" >/dev/null 2>&1
assert_eq 2 $? "exit code for a missing --auth.file"
set -e
"${M[@]}" tophosts --help | grep -q "exit status: 0 ok, 1" || fail "tophosts --help has no exit codes"
