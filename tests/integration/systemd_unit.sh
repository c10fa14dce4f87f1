#!/usr/bin/env bash
# timeout: 60
# deploy/systemd/mxwatch.service: `systemd-analyze verify` accepts it (with ExecStart on the
# built binary, since verify wants the program to exist); `systemd-analyze security
# --offline` scores it no worse than docs/DEPLOY.md records (UNIT_EXPOSURE_MAX); it carries
# every directive #14 asks for, with the values asked; and its sandbox fits what the agent
# touches under the configuration it ships (deploy/mxwatch.example.yml, installed as
# /etc/mxwatch/mxwatch.yml): the state file's and the AgentX socket's folders are in
# ReadWritePaths=, the mail log, the Postfix configuration and postqueue are readable (not
# hidden by ProtectHome=, PrivateTmp=, PrivateDevices= or InaccessiblePaths=), and ExecStart
# reads the installed configuration. No systemd needs to run (it is no PID 1 here).
source "$(dirname "$0")/../lib/common.sh"
UNIT=$MXW_TOP/deploy/systemd/mxwatch.service
CONFIG=$MXW_TOP/deploy/mxwatch.example.yml
UNIT_EXPOSURE_MAX=1.5 # docs/DEPLOY.md, "Hardening"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (tests/lib/deps.sh all)"

note "systemd-analyze verify"
mkdir -p "$T/units"
sed "s|^ExecStart=/usr/bin/mxwatch |ExecStart=$MXWATCH |" "$UNIT" >"$T/units/mxwatch.service"
grep -q "^ExecStart=$MXWATCH " "$T/units/mxwatch.service" || fail "ExecStart is not /usr/bin/mxwatch"
systemd-analyze verify "$T/units/mxwatch.service" >"$T/verify.log" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$T/verify.log")"
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify complains: $(cat "$T/verify.log")"

note "systemd-analyze security --offline"
systemd-analyze security --offline=true "$T/units/mxwatch.service" >"$T/security.log" 2>&1 ||
    fail "systemd-analyze security failed: $(tail -n 3 "$T/security.log")"
score=$(sed -n 's/.*Overall exposure level for mxwatch.service: \([0-9.]*\).*/\1/p' "$T/security.log")
[ -n "$score" ] || fail "no exposure score in: $(tail -n 3 "$T/security.log")"
note "exposure score $score (at most $UNIT_EXPOSURE_MAX)"
awk -v s="$score" -v m="$UNIT_EXPOSURE_MAX" 'BEGIN { exit !(s <= m) }' ||
    fail "exposure $score is above $UNIT_EXPOSURE_MAX: $(grep '✗' "$T/security.log")"

note "the directives #14 lists, with its values"
directive() { sed -n "s/^$1=//p" "$UNIT"; }
assert_eq mxwatch "$(directive User)" "User="
assert_eq mxwatch "$(directive StateDirectory)" "StateDirectory="
assert_eq strict "$(directive ProtectSystem)" "ProtectSystem="
assert_eq yes "$(directive ProtectHome)" "ProtectHome="
assert_eq yes "$(directive PrivateTmp)" "PrivateTmp="
assert_eq yes "$(directive PrivateDevices)" "PrivateDevices="
assert_eq "AF_UNIX AF_INET AF_INET6 AF_NETLINK" "$(directive RestrictAddressFamilies)" "RestrictAddressFamilies="
assert_eq 1 "$(grep -c '^CapabilityBoundingSet=$' "$UNIT")" "an empty CapabilityBoundingSet="
assert_eq "@system-service" "$(directive SystemCallFilter)" "SystemCallFilter="
assert_eq '/bin/kill -HUP $MAINPID' "$(directive ExecReload)" "ExecReload="
assert_eq 0750 "$(directive StateDirectoryMode)" "StateDirectoryMode="
assert_eq "/usr/bin/mxwatch run --config.file=/etc/mxwatch/mxwatch.yml" "$(directive ExecStart)" "ExecStart="

note "the sandbox against the paths of the shipped configuration"
python3 - "$UNIT" "$CONFIG" <<'EOF' || fail "the unit does not fit the shipped configuration"
import os, sys, yaml

unit, config = sys.argv[1], sys.argv[2]
d = {}
for line in open(unit):
    line = line.strip()
    if line and not line.startswith(("#", "[")) and "=" in line:
        k, v = line.split("=", 1)
        d.setdefault(k, []).append(v)
cfg = yaml.safe_load(open(config))
pf = cfg["sources"]["postfix"]
faults = []

def under(path, folder):
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")

rw = [p.lstrip("-") for v in d.get("ReadWritePaths", []) for p in v.split()]
state_dirs = ["/var/lib/" + s for v in d.get("StateDirectory", []) for s in v.split()]
# ReadWritePaths= holds the state directory and the AgentX socket's folder, and nothing else.
need_rw = {
    "the state file's folder (sources.postfix.state_file)": os.path.dirname(pf["state_file"]),
    "the AgentX socket's folder (snmp.agentx_socket)": os.path.dirname(cfg["snmp"]["agentx_socket"]),
}
for what, folder in need_rw.items():
    if not any(under(folder, p) for p in rw):
        faults.append(f"{what} {folder} is not in ReadWritePaths={' '.join(rw)}")
if not any(under(os.path.dirname(pf["state_file"]), s) for s in state_dirs):
    faults.append(f"the state file {pf['state_file']} is not in the StateDirectory= {state_dirs}")
extra = [p for p in rw if not any(under(f, p) for f in need_rw.values())]
if extra:
    faults.append(f"ReadWritePaths= opens more than the state and AgentX folders: {extra}")
# What the agent reads must stay visible inside the sandbox.
hidden = []
if d.get("ProtectHome", ["no"])[-1] in ("yes", "true", "tmpfs", "read-only"):
    hidden += ["/home", "/root", "/run/user"]
if d.get("PrivateTmp", ["no"])[-1] == "yes":
    hidden += ["/tmp", "/var/tmp"]
if d.get("PrivateDevices", ["no"])[-1] == "yes":
    hidden += ["/dev"]
hidden += [p.lstrip("-") for v in d.get("InaccessiblePaths", []) for p in v.split()]
reads = {
    "sources.postfix.log_file": pf["log_file"],
    "sources.postfix.config_directory": pf["config_directory"],
    "sources.postfix.postqueue": pf["postqueue"],
    "the configuration": "/etc/mxwatch/mxwatch.yml",
}
for what, path in reads.items():
    for h in hidden:
        if under(path, h):
            faults.append(f"{what} {path} is hidden by the sandbox ({h})")
for f in faults:
    print("FAULT:", f)
sys.exit(1 if faults else 0)
EOF
echo "ok: unit verified, exposure $score"
