#!/usr/bin/env bash
# timeout: 420
# The Debian package (debian/, #14 item 2), built and installed on this machine:
#  - `dpkg-buildpackage -us -uc -b` builds mxwatch_VERSION_ARCH.deb from a copy of the tree
#    (reused from build/deb-package while the sources it is made of are unchanged, so the
#    sanitizer pass of CI does not build it again); lintian finds no error and no warning
#    beyond those docs/DEPLOY.md accepts; Depends comes from the shared libraries;
#  - `dpkg -i` succeeds without systemd as PID 1; `mxwatch --version` and `mxwatch
#    check-config /etc/mxwatch/mxwatch.yml` work; the config is a conffile; the user mxwatch
#    is in groups mxwatch (the AgentX socket's), adm and postdrop; /var/lib/mxwatch is the
#    user's, mode 0750; the unit is installed, enabled, verified, and every file it names is
#    there;
#  - the installed binary, run as the unit would run it (user mxwatch with its groups,
#    no_new_privs, no capabilities: setpriv), against a private Postfix reads the queue
#    (postqueue through group postdrop) and the mail log (root:adm 0640, as Debian's
#    rsyslog writes it), registers with a private snmpd over an AgentX socket of group
#    mxwatch, serves /metrics, and saves its log position in /var/lib/mxwatch; snmpd walks
#    its table by the names of the installed MIB, and a Prometheus server scrapes it;
#  - `dpkg -r` removes the program and keeps the conffile and the state; `dpkg -P` leaves
#    none of the package's files, no /etc/mxwatch, no /var/lib/mxwatch, no enablement.
#    The system user stays, as Debian's exporters leave theirs (docs/DEPLOY.md).
# Needs root (CI runs as root on a throwaway machine); says so and passes trivially
# otherwise. Leaves the machine without the package, as it found it.
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/postfix.sh"
source "$MXW_TOP/deploy/demo/snmpd.sh"
[ "$(id -u)" -eq 0 ] || { note "skipped: needs root (dpkg -i)"; exit 0; }
# The warnings docs/DEPLOY.md accepts, with its reasons.
LINTIAN_ACCEPTED="" # none: docs/DEPLOY.md lists the accepted infos
VERSION=$(sed -n 's/^VERSION *:= *//p' "$MXW_TOP/Makefile")
ARCH=$(dpkg --print-architecture)
DEB_CACHE=$MXW_TOP/build/deb-package
DEB=$DEB_CACHE/mxwatch_${VERSION}_$ARCH.deb

# ---- build (or reuse) ----
# The package is made of the tracked and new files outside tests/ and docs/.
sources() { (cd "$MXW_TOP" && git ls-files -co --exclude-standard | grep -vE '^(tests|docs)/' | sort); }
key=$(cd "$MXW_TOP" && sources | tr '\n' '\0' | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$DEB" ] && [ "$(cat "$DEB_CACHE/key" 2>/dev/null)" = "$key" ]; then
    note "reusing $DEB (sources unchanged)"
else
    note "dpkg-buildpackage -us -uc -b in $DEB_CACHE/mxwatch"
    rm -rf "$DEB_CACHE"
    mkdir -p "$DEB_CACHE/mxwatch"
    (cd "$MXW_TOP" && sources | tar -T - -cf -) | tar -xf - -C "$DEB_CACHE/mxwatch"
    start=$(date +%s)
    (cd "$DEB_CACHE/mxwatch" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
        fail "dpkg-buildpackage failed: $(tail -n 20 "$T/build.log")"
    note "built in $(($(date +%s) - start)) s"
    echo "$key" >"$DEB_CACHE/key"
fi
[ -f "$DEB" ] || fail "no $DEB"

note "lintian"
lintian "$DEB_CACHE/mxwatch_${VERSION}_$ARCH.changes" >"$T/lintian.log" 2>&1 || true
! grep -q '^E: ' "$T/lintian.log" || fail "lintian errors: $(grep '^E: ' "$T/lintian.log")"
unaccepted=$(grep '^W: ' "$T/lintian.log" | awk '{ print $3 }' | grep -vxF -f <(tr ' ' '\n' <<<"$LINTIAN_ACCEPTED") || true)
[ -z "$unaccepted" ] || fail "lintian warnings not accepted in docs/DEPLOY.md: $(grep '^W: ' "$T/lintian.log")"
note "lintian: $(grep -c '^W: ' "$T/lintian.log" || true) accepted warning(s), no error"
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libc6 libcurl4 libc-ares2 libmicrohttpd12 libsnmp40 libyaml-0-2 libssl3 adduser; do
    assert_contains "$depends" "$lib" "Depends (from \${shlibs:Depends})"
done

# ---- install ----
if dpkg-query -W -f='${Status}' mxwatch 2>/dev/null | grep -q 'ok \(installed\|config-files\)'; then
    note "purging an mxwatch package left from before"
    dpkg -P mxwatch >/dev/null
fi
on_exit "dpkg -P mxwatch"
[ -d /run/systemd/system ] && note "systemd runs here" || note "no systemd as PID 1 here"
dpkg -i "$DEB" >"$T/dpkg-i.log" 2>&1 || fail "dpkg -i failed: $(tail -n 20 "$T/dpkg-i.log")"
dpkg -L mxwatch | sort >"$T/files"

note "the installed program and its files"
assert_eq "mxwatch $VERSION" "$(/usr/bin/mxwatch --version | cut -d' ' -f1-2)" "mxwatch --version"
run_capture /usr/bin/mxwatch check-config /etc/mxwatch/mxwatch.yml
assert_eq 0 "$RC" "check-config /etc/mxwatch/mxwatch.yml ($OUT)"
assert_contains "$(dpkg-query -W -f='${Conffiles}' mxwatch)" "/etc/mxwatch/mxwatch.yml" "the conffiles"
for f in /usr/share/snmp/mibs/MXWATCH-MIB.txt /usr/share/doc/mxwatch/snmp/snmpd.conf.example \
    /usr/share/doc/mxwatch/examples/mxwatch.example.yml /lib/systemd/system/mxwatch.service; do
    [ -f "$f" ] || fail "$f is not installed"
done
groups=" $(id -nG mxwatch) "
for g in mxwatch adm postdrop; do
    [[ $groups == *" $g "* ]] || fail "user mxwatch is not in group $g (groups:$groups)"
done
assert_eq "mxwatch:mxwatch 750" "$(stat -c '%U:%G %a' /var/lib/mxwatch)" "/var/lib/mxwatch"

note "the unit: enabled, verified, and what it names is there"
unit=/lib/systemd/system/mxwatch.service
[ "$(readlink -f /etc/systemd/system/multi-user.target.wants/mxwatch.service)" = "$(readlink -f "$unit")" ] ||
    fail "the unit is not enabled (no multi-user.target.wants link)"
systemd-analyze verify "$unit" >"$T/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.log")"
directive() { sed -n "s/^$1=//p" "$unit"; }
read -r exe _ cfgflag <<<"$(directive ExecStart)"
[ -x "$exe" ] || fail "ExecStart's $exe is not installed"
[ -f "${cfgflag#--config.file=}" ] || fail "ExecStart's config ${cfgflag#--config.file=} is not installed"
id "$(directive User)" >/dev/null || fail "the unit's User= $(directive User) does not exist"
[ -d "/var/lib/$(directive StateDirectory)" ] || fail "no /var/lib/$(directive StateDirectory)"
for p in $(directive ReadWritePaths); do
    [[ $p == -* ]] || [ -d "$p" ] || fail "ReadWritePaths= names $p, which is not there"
done

# ---- the installed binary as the unit runs it ----
note "run as mxwatch (setpriv: its groups, no_new_privs, no capabilities) against a private Postfix"
P=$(free_port)
start_postfix "$T/pf" "down.test=smtp:[127.0.0.32]:$P" "queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s"
pf_send s1@origin.test r1@down.test r2@down.test
# The log as Debian's rsyslog keeps /var/log/mail.log: root:adm 0640.
wait_for 20 grep -q 'to=<r1@down.test>.*status=deferred' "$PF_LOG" || fail "no deferral in $PF_LOG"
chown root:adm "$PF_LOG"
chmod 640 "$PF_LOG"
start_snmpd "agentXPerms 0660 0755 root mxwatch"
chmod 755 "$T/agentx"
cat >"$T/agent.yml" <<EOC
global:
  dns_servers: ["127.0.0.1:9"]
destinations: [down.test]
snmp:
  agentx_socket: $AGENTX_SOCKET
sources:
  postfix:
    enabled: true
    config_directory: $PF_CONF
    queue_interval: 1s
    log_file: $PF_LOG
    state_file: /var/lib/mxwatch/postfix-log.state
EOC
chmod 644 "$T/agent.yml"
port=$(free_port)
setpriv --reuid=mxwatch --regid=mxwatch --init-groups --no-new-privs --inh-caps=-all \
    --bounding-set=-all /usr/bin/mxwatch run --config.file="$T/agent.yml" \
    --web.listen-address="127.0.0.1:$port" >>"$T/agent.log" 2>&1 &
pid=$!
track $pid
AGENT_URL=http://127.0.0.1:$port
wait_for 10 curl -fsS "$AGENT_URL/-/healthy" || fail "the installed agent did not come up as mxwatch"
assert_eq "Uid:	$(id -u mxwatch)	$(id -u mxwatch)	$(id -u mxwatch)	$(id -u mxwatch)" \
    "$(grep '^Uid:' "/proc/$pid/status")" "the agent's user ids"
assert_eq "NoNewPrivs:	1" "$(grep '^NoNewPrivs:' "/proc/$pid/status")" "no_new_privs"
figures() {
    M=$(scrape) || return 1
    [ "$(metric_value "$M" 'mxwatch_source_up{source="postfix_queue"}')" = 1 ] &&
        [ "$(metric_value "$M" 'mxwatch_source_up{source="postfix_log"}')" = 1 ] &&
        [ "$(metric_value "$M" 'mxwatch_active_recipients{destination="down.test"}')" = 2 ] &&
        [ "$(metric_value "$M" mxwatch_agentx_connected)" = 1 ]
}
# The log is read from the position saved before, or from its end without one: a second
# deferral after the start is what the log counter must see.
sleep 1
pf_flush
wait_for 20 figures || {
    M=$(scrape)
    fail "the agent as mxwatch: $(grep -E 'mxwatch_source_up|down.test|agentx_connected' <<<"$M" | head -20)"
}
wait_for 20 bash -c "curl -fsS $AGENT_URL/metrics | grep -q '^mxwatch_soft_bounce_events_total{destination=\"down.test\"} [1-9]'" ||
    fail "the agent as mxwatch counted no deferral from the mail log"
note "queue, log and AgentX read as mxwatch: $(grep -E '^mxwatch_(active_recipients|soft_bounce_events_total)\{destination="down.test"' <<<"$(scrape)" | tr '\n' ' ')"

# What an operator then does with it: snmpd walks the agent's table by the names of the MIB
# the package installed, and a Prometheus server scrapes it.
# tests/lib/mibs.sh in a subshell: it exports MIBDIR, which `make install` would take for
# its own MIBDIR when the package is built.
walk=$(
    source "$MXW_TOP/tests/lib/mibs.sh" && mibs_prepare || exit 1
    snmpwalk -M "+/usr/share/snmp/mibs:$MIBDIR" -m SNMPv2-MIB:MXWATCH-MIB -v2c -c public -t 2 \
        -r 1 "127.0.0.1:$SNMPD_PORT" MXWATCH-MIB::mxwDestActiveRecipients 2>&1
)
note "snmpwalk with the installed MIB: $walk"
assert_contains "$walk" 'MXWATCH-MIB::mxwDestActiveRecipients."down.test" = Gauge32: 2' \
    "the walk through snmpd"
prometheus_config_for_agent "$T/prometheus.yml"
start_prometheus "$T/prometheus.yml"
prom_recipients() {
    curl -fsS --max-time 5 "$PROM_URL/api/v1/query" \
        --data-urlencode 'query=mxwatch_active_recipients{job="mxwatch",destination="down.test"}' |
        jq -er '.data.result[0].value[1]'
}
prom_has_two() { [ "$(prom_recipients)" = 2 ]; }
wait_for 20 prom_has_two ||
    fail "Prometheus did not scrape the installed agent: $(prom_recipients 2>&1)"
note "Prometheus scraped it: mxwatch_active_recipients{destination=\"down.test\"} = $(prom_recipients)"
kill "$pid"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "the agent did not stop"
assert_eq "mxwatch" "$(stat -c %U /var/lib/mxwatch/postfix-log.state)" "the saved log position's owner"

# ---- remove, purge ----
note "dpkg -r: the program goes, the conffile and the state stay"
dpkg -r mxwatch >"$T/dpkg-r.log" 2>&1 || fail "dpkg -r failed: $(tail -n 20 "$T/dpkg-r.log")"
[ ! -e /usr/bin/mxwatch ] || fail "dpkg -r left /usr/bin/mxwatch"
[ ! -e "$unit" ] || fail "dpkg -r left $unit"
[ -f /etc/mxwatch/mxwatch.yml ] || fail "dpkg -r removed the conffile"
[ -f /var/lib/mxwatch/postfix-log.state ] || fail "dpkg -r removed the state"

note "dpkg -P: nothing of the package is left"
dpkg -P mxwatch >"$T/dpkg-p.log" 2>&1 || fail "dpkg -P failed: $(tail -n 20 "$T/dpkg-p.log")"
! dpkg-query -W -f='${Status}' mxwatch 2>/dev/null | grep -q 'ok' || fail "dpkg still knows mxwatch"
left=()
while read -r f; do
    # Folders the package shares with others (/usr/bin, /etc, ...) stay; its own go.
    if [ -d "$f" ] && [[ $f != *mxwatch* ]]; then continue; fi
    [ ! -e "$f" ] || left+=("$f")
done <"$T/files"
for f in /etc/mxwatch /var/lib/mxwatch /etc/systemd/system/multi-user.target.wants/mxwatch.service \
    /var/lib/systemd/deb-systemd-helper-enabled/mxwatch.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/mxwatch.service; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || left+=("$f")
done
[ ${#left[@]} -eq 0 ] || fail "left after dpkg -P: ${left[*]}"
echo "ok: package built, installed, run as mxwatch, removed and purged"
