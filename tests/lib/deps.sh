#!/usr/bin/env bash
# Installs the Debian packages mxwatch needs, idempotently: a quick no-op when every
# package is present. `deps.sh run` installs what `make run` needs, Postfix (for the demo's
# private instance) only when the host has no other MTA, which it would replace
# (deploy/demo/mta.sh); `deps.sh all` adds what building and testing need.
# `deps.sh fuzz` installs only the compiler `make fuzz` needs (clang with libFuzzer).
# Called by `make deps` / `make deps-run` / `make fuzz`. Uses sudo when not root.
set -euo pipefail

RUN_PKGS=(gcc make pkg-config libc-ares-dev libcurl4-openssl-dev libmicrohttpd-dev
    libyaml-dev libjson-c-dev libxml2-dev zlib1g-dev libssl-dev libsnmp-dev
    dnsmasq-base snmpd snmptrapd snmp curl openssl xxd python3)
TEST_PKGS=(libcmocka-dev postfix prometheus smitools chromium openssl python3 iproute2
    procps psmisc whois jq nsd systemd python3-yaml debhelper dpkg-dev fakeroot lintian
    util-linux groff-base cppcheck clang-tidy ldnsutils swaks)
# python3 (run): the demo world's MTA-STS policy host; nsd: the fast resolver of the scale
# tests; whois: mkpasswd, bcrypt hashes for the web config tests; jq: postqueue -j in tests;
# systemd: systemd-analyze for the unit (no systemd runs as PID 1); python3-yaml: the unit
# test reads the shipped config; debhelper, dpkg-dev, fakeroot, lintian: the Debian package
# test; util-linux: setpriv, to run as the package's user; groff-base: groff for the manual
# pages' test; cppcheck, clang-tidy: make lint; ldnsutils: ldns-signzone, a signed zone for
# the DANE test's validating resolver; swaks: the reference SMTP client the smtpping test
# compares with

# The peers that `make bench` measures mxwatch against.
BENCH_PKGS=(prometheus-blackbox-exporter prometheus-postfix-exporter)

FUZZ_PKGS=(clang libclang-rt-dev)

# The demo world's private Postfix, and mkpasswd (package whois) for its admin's bcrypt
# hash; installed with debconf's "No configuration" (below), so no system instance is
# configured, started or listening.
DEMO_MTA_PKGS=(postfix whois)

want=("${RUN_PKGS[@]}")
source "$(dirname "$0")/../../deploy/demo/mta.sh"
other_mta=$(mta_other)
if [ -z "$other_mta" ]; then
    want+=("${DEMO_MTA_PKGS[@]}")
elif [ "${1:-all}" = run ]; then
    echo "deps: $other_mta is installed: no Postfix, make run's demo runs without an MTA"
fi
case ${1:-all} in
all) want+=("${TEST_PKGS[@]}") ;;
bench) want+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
fuzz) want=("${FUZZ_PKGS[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || [ "${1:-all}" = run ] || [ "${1:-all}" = fuzz ] ||
    missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "deps: installing ${missing[*]}"
    # Postfix asks a debconf question; "No configuration" leaves the host's mail alone.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test-only tools from npm: the IETF base MIB modules (net-snmp carries them) and
# playwright-core to drive Debian's chromium. Kept in .cache/, never committed.
if [ "${1:-all}" != run ] && [ "${1:-all}" != fuzz ]; then
    top=$(cd "$(dirname "$0")/../.." && pwd)
    npmdir="$top/.cache/npm"
    if [ ! -d "$npmdir/node_modules/net-snmp/lib/mibs" ] ||
        [ ! -d "$npmdir/node_modules/playwright-core" ]; then
        mkdir -p "$npmdir"
        echo "deps: npm install net-snmp playwright-core (test tools)"
        (cd "$npmdir" && npm install --silent --no-save --no-package-lock --no-audit \
            --no-fund net-snmp@3 playwright-core@1 >/dev/null)
    fi
fi
exit 0
