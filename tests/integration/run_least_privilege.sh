#!/usr/bin/env bash
# timeout: 90
# `mxwatch run` and root (agent/privileges.c, the daemon's parts "listen" and "privileges"):
# as root without a flag it refuses to start and says how to go on; with --user it binds a
# port below 1024 first and then runs as that user alone (ids and groups in
# /proc/PID/status); a token file every user may read is warned about, one for its owner
# alone is not; and a mail log or a Postfix queue the user may not read stops the agent with
# a message naming the group it lacks, where the queue counts postqueue's set-group-ID,
# which no_new_privs (systemd's NoNewPrivileges=) takes away.
# Needs root (CI runs as root); says so and passes trivially otherwise.
source "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" -eq 0 ] || { note "skipped: needs root"; exit 0; }
id nobody >/dev/null || fail "no user nobody"
nogroup=$(id -gn nobody)

cat >"$T/plain.yml" <<EOC
snmp:
  enabled: false
EOC
chmod 644 "$T/plain.yml"

note "root without --run-as-root or --user: refused, with the way out"
run_capture "$MXWATCH" run --config.file="$T/plain.yml" --web.listen-address=127.0.0.1:0
assert_eq 2 "$RC" "exit status as root without a flag"
assert_contains "$OUT" "mxwatch: refusing to run as root" "the refusal"
assert_contains "$OUT" "--run-as-root" "the refusal"
assert_contains "$OUT" "--user=NAME" "the refusal"
run_capture "$MXWATCH" run --user=nobody --run-as-root --config.file="$T/plain.yml"
assert_eq 2 "$RC" "exit status with --user and --run-as-root"
assert_contains "$OUT" "contradict" "--user with --run-as-root"
run_capture "$MXWATCH" run --user=no-such-user-here --config.file="$T/plain.yml"
assert_eq 2 "$RC" "exit status with an unknown --user"
assert_contains "$OUT" "no user 'no-such-user-here'" "an unknown --user"

note "--user=nobody on a privileged port: bound as root, then nobody's ids and groups only"
low_port() {
    local p
    for p in $(shuf -i 600-1000 -n 60); do
        ss -Hatun "( sport = :$p )" | grep -q . || { echo "$p"; return 0; }
    done
    fail "no free port below 1024"
}
port=$(low_port)
"$MXWATCH" run --user=nobody --config.file="$T/plain.yml" --web.listen-address="127.0.0.1:$port" \
    >>"$T/agent-user.log" 2>&1 &
pid=$!
track $pid
wait_for 10 curl -fsS "http://127.0.0.1:$port/-/healthy" || fail "no answer on port $port as nobody"
uid=$(id -u nobody) gid=$(id -g nobody)
assert_eq "Uid:	$uid	$uid	$uid	$uid" "$(grep '^Uid:' "/proc/$pid/status")" "the agent's user ids"
assert_eq "Gid:	$gid	$gid	$gid	$gid" "$(grep '^Gid:' "/proc/$pid/status")" "the agent's group ids"
want_groups=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')
got_groups=$(sed -n 's/^Groups:\s*//p' "/proc/$pid/status" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
assert_eq "$want_groups" "$got_groups" "the agent's supplementary groups (root's are gone)"
ss -Hltnp "( sport = :$port )" | grep -q "pid=$pid," || fail "the listener on $port is not the agent's"
assert_contains "$(cat "$T/agent-user.log")" 'msg="running as" user=nobody' "the agent's log"
kill "$pid"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "the agent as nobody did not stop"

note "a token file every user may read is warned about; one for its owner alone is not"
printf 'a-token-of-enough-length-0123456789\n' >"$T/token"
cat >"$T/token.yml" <<EOC
snmp:
  enabled: false
web:
  delivernow:
    enabled: true
    token_file: $T/token
EOC
warning='msg="a file holding a secret is readable by every user"'
chmod 644 "$T/token"
start_agent "$T/token.yml"
assert_contains "$(cat "$T/agent.log")" "$warning what=\"web.delivernow.token_file\" path=$T/token mode=0644" "the log with a 0644 token file"
kill "$AGENT_PID"
wait_for 5 bash -c "! kill -0 $AGENT_PID 2>/dev/null" || fail "the agent did not stop"
: >"$T/agent.log"
chmod 600 "$T/token"
start_agent "$T/token.yml"
assert_not_contains "$(cat "$T/agent.log")" "$warning" "the log with a 0600 token file"
kill "$AGENT_PID"

note "a mail log of group adm, unreadable for nobody: the agent stops, naming the group"
mkdir -p "$T/pf/etc"
echo "Jan  1 00:00:00 host postfix/qmgr[1]: ABC: removed" >"$T/mail.log"
chown root:adm "$T/mail.log"
chmod 640 "$T/mail.log"
id -Gn nobody | grep -qw adm && fail "nobody is in group adm here: the test needs it not to be"
cat >"$T/log.yml" <<EOC
snmp:
  enabled: false
sources:
  postfix:
    enabled: true
    config_directory: $T/pf/etc
    log_file: $T/mail.log
    state_file: $T/pf/log.state
EOC
chmod 644 "$T/log.yml"
run_capture timeout 10 "$MXWATCH" run --user=nobody --config.file="$T/log.yml" --web.listen-address=127.0.0.1:0
assert_eq 2 "$RC" "exit status with an unreadable mail log"
assert_contains "$OUT" "cannot read the mail log: the file $T/mail.log is readable by group adm (owner root, mode 0640) and user nobody is not in group adm: add it (usermod -a -G adm nobody)" "the refusal"

note "a queue whose public/ is postdrop's: fine through postqueue's set-group-ID, refused under no_new_privs"
postqueue=$(command -v postqueue || echo /usr/sbin/postqueue)
[ -g "$postqueue" ] || fail "$postqueue is not set-group-ID here"
pdgroup=$(stat -c %G "$postqueue")
chmod 644 "$T/mail.log"
mkdir -p "$T/pf/spool/public"
chown root:"$pdgroup" "$T/pf/spool/public"
chmod 2710 "$T/pf/spool/public"
printf 'queue_directory = %s/pf/spool\n' "$T" >"$T/pf/etc/main.cf"
chmod 755 "$T/pf" "$T/pf/etc" "$T/pf/spool"
chmod 644 "$T/pf/etc/main.cf"
sed -i "s|^    config_directory:.*|&\n    postqueue: $postqueue|" "$T/log.yml"
port=$(free_port)
"$MXWATCH" run --user=nobody --config.file="$T/log.yml" --web.listen-address="127.0.0.1:$port" \
    >>"$T/agent-queue.log" 2>&1 &
pid=$!
track $pid
wait_for 10 curl -fsS "http://127.0.0.1:$port/-/healthy" ||
    fail "the agent as nobody did not start although postqueue is set-group-ID $pdgroup"
kill "$pid"
run_capture timeout 10 setpriv --reuid=nobody --regid="$nogroup" --clear-groups --no-new-privs \
    "$MXWATCH" run --config.file="$T/log.yml" --web.listen-address=127.0.0.1:0
assert_eq 2 "$RC" "exit status under no_new_privs without group $pdgroup"
assert_contains "$OUT" "cannot read the Postfix queue ($postqueue -c $T/pf/etc -j): the directory $T/pf/spool/public is searchable by group $pdgroup (owner root, mode 2710) and user nobody is not in group $pdgroup" "the refusal"
assert_contains "$OUT" "set-group-ID bit does not apply under no_new_privs" "the refusal"
echo "ok: least privilege"
