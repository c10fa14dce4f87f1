#!/usr/bin/env bash
# smtpd_sessions: how many full SMTP sessions (connect, banner, EHLO, QUIT) per second
# mxw-smtpd serves on loopback to a simple client (smtp_sessions.c, built here), and the
# server's CPU time per session (user and system, from /proc/PID/stat). With smtp-sink
# installed (Debian postfix), the same figures for it, side by side.
#
#   tests/bench/smtpd_sessions.sh [SECONDS] [WORKERS]     (defaults 5 and 1)
#
# Each session leaves a TIME_WAIT socket behind; runs of more than ~100k sessions in a
# minute slow the kernel's lookups and lower the figures. Loopback only.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
secs=${1:-5} workers=${2:-1}
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
cc -O2 -o "$T/smtp_sessions" "$top/tests/bench/smtp_sessions.c"

ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# measure NAME PID ADDR PORT: one timed run against a server already listening.
measure() {
    local name=$1 pid=$2 addr=$3 port=$4 u0 s0 u1 s1 out n
    read -r u0 s0 < <(ticks "$pid")
    out=$("$T/smtp_sessions" "$addr" "$port" "$secs" "$workers" "127.0.$((RANDOM % 200 + 2)).")
    read -r u1 s1 < <(ticks "$pid")
    n=$(sed 's/.*sessions=\([0-9]*\).*/\1/' <<<"$out")
    awk -v name="$name" -v out="$out" -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" \
        'BEGIN { printf "%-10s %s  server cpu/session: %.1f us (user %.1f, sys %.1f)\n",
                 name, out, (u + s) * 1e6 / hz / n, u * 1e6 / hz / n, s * 1e6 / hz / n }'
}

wait_port() { # ADDR PORT
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1:$2" >&2
    exit 1
}

port=$((20000 + RANDOM % 30000))
"$BUILD/mxw-smtpd" --hostname bench.test --listen "127.0.0.61:$port=ok" &
pids+=($!)
wait_port 127.0.0.61 "$port"
measure mxw-smtpd "${pids[0]}" 127.0.0.61 "$port"

if command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ]; then
    PATH=$PATH:/usr/sbin smtp-sink -u nobody "127.0.0.62:$port" 256 &
    pids+=($!)
    wait_port 127.0.0.62 "$port"
    measure smtp-sink "${pids[1]}" 127.0.0.62 "$port"
fi
