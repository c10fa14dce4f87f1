#!/usr/bin/env bash
# web_auth_guessing: password guessing cannot stall requests. 30 wrong passwords from 10
# addresses (127.0.0.11-20, three each, all at once; bcrypt cost 11) while a scraper with
# remembered credentials scrapes every 0.1 s: every scrape answers within 1 s (bcrypt runs on
# the password checker's thread, the guessing connections wait suspended). Then a right
# password not yet remembered, from an address that has failed 8 times, gets 200 (the
# limiter orders checks, it never refuses a right password). The slowest scrape is printed
# for docs/RELIABILITY.md.
# timeout: 90
source "$(dirname "$0")/../lib/common.sh"

command -v mkpasswd >/dev/null || fail "mkpasswd missing (package whois, tests/lib/deps.sh)"
hash_s=$(mkpasswd -m bcrypt -R 11 'scraper pass')
hash_o=$(mkpasswd -m bcrypt -R 11 'other pass')
printf 'basic_auth_users:\n  scraper: %s\n  other: %s\n' "$hash_s" "$hash_o" >"$T/web.yml"
printf 'snmp: {enabled: false}\nweb:\n  config_file: %s\n  max_connections: 256\n' "$T/web.yml" >"$T/agent.yml"
port=$(free_port)
URL=http://127.0.0.1:$port
"$MXWATCH" run "${MXW_RUN_AS[@]}" --config.file="$T/agent.yml" --web.listen-address="127.0.0.1:$port" \
    >>"$T/agent.log" 2>&1 &
track $!
wait_for 10 curl -fsS -u 'scraper:scraper pass' "$URL/-/healthy" || fail "agent did not come up"
t0=$EPOCHREALTIME # the scraper's credentials are remembered from here on
curl -sS -o /dev/null --interface 127.0.0.21 -u 'other:warm-up guess' "$URL/metrics"
note "one bcrypt check: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') s"

# The scraper: every 0.1 s for 4 s, each answer timed.
(
    for _ in $(seq 1 40); do
        curl -sS -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' \
            -u 'scraper:scraper pass' "$URL/metrics" || echo "000 5"
        sleep 0.1
    done
) >"$T/scrapes" &
scraper=$!
sleep 0.2
guessers=()
for a in $(seq 11 20); do
    for i in 1 2 3; do
        curl -sS -o /dev/null --max-time 30 -w '%{http_code}\n' --interface "127.0.0.$a" \
            -u "other:guess $a $i" "$URL/metrics" >>"$T/guesses" &
        guessers+=($!)
    done
done
wait "$scraper"
for i in 1 2 3 4 5; do # 127.0.0.11 is past the old limit of 5 failures
    curl -sS -o /dev/null --max-time 30 --interface 127.0.0.11 -u "other:more $i" "$URL/metrics"
done
t0=$EPOCHREALTIME
code=$(curl -sS -o /dev/null --max-time 30 -w '%{http_code}' --interface 127.0.0.11 \
    -u 'other:other pass' "$URL/metrics" || true)
right_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
wait "${guessers[@]}" || true

slowest=$(sort -k2 -n "$T/scrapes" | tail -1 | cut -d' ' -f2)
note "40 scrapes during 30 guesses from 10 addresses: slowest ${slowest} s; codes $(cut -d' ' -f1 "$T/scrapes" | sort | uniq -c | tr -s ' \n' ' ')"
note "guesses answered: $(sort "$T/guesses" | uniq -c | tr -s ' \n' ' ')"
note "a right password from a guessing address: $code after ${right_s} s"
assert_eq 40 "$(grep -c '^200 ' "$T/scrapes")" "scrapes answered 200"
awk '$2 >= 1 { bad = 1 } END { exit bad }' "$T/scrapes" || fail "a scrape took ${slowest} s (limit 1 s)"
assert_eq 30 "$(grep -cE '^(401|429)$' "$T/guesses")" "guesses refused"
assert_eq 200 "$code" "a right password from a guessing address"
echo "ok"
