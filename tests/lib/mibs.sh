#!/usr/bin/env bash
# MIB search path for tests and for a developer's shell. Debian ships no IETF MIB modules, so
# this fills .cache/mibs/ (git-ignored, never committed) with the base modules the npm package
# net-snmp carries (lib/mibs/*.mib, installed by `tests/lib/deps.sh all`), minus the .mib
# suffix, plus a stand-in from tests/lib/mib-standins/ for each module MXWATCH-MIB imports that
# the package lacks. Idempotent: a file is rewritten only when its source changed.
#
# Sourced (by integration tests): prepares the folder and defines
#   MIBDIR              .cache/mibs
#   MXW_MIB_PATH        "$MIBDIR:$MXW_TOP/mibs", the module search path
#   SMIPATH             the same, exported, so `smilint MXWATCH-MIB` finds everything
#   MXW_SNMP_MIB_ARGS   array: -M +$MXW_MIB_PATH -m SNMPv2-MIB:MXWATCH-MIB for net-snmp's
#                       tools: the two modules named, not '+' on top of net-snmp's default
#                       list, whose many absent modules fill stderr with "Cannot find module"
#   MXW_MIB_STANDINS    the stand-in modules in use (space separated, empty when none)
#   mib_snmp CMD ARGS   runs a net-snmp tool (snmptranslate, snmpget, ...) with those args
#   mib_module_present NAME   true when module NAME is in $MIBDIR
# Run: `eval "$(tests/lib/mibs.sh)"` exports MIBDIR, SMIPATH, MIBDIRS and MIBS into a shell
# (net-snmp reads the last two); `tests/lib/mibs.sh modules` lists which modules exist.
# Never downloads anything: without the npm package it fails and names `make deps`.

MXW_TOP=${MXW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MIBDIR=$MXW_TOP/.cache/mibs
MXW_MIB_PATH=$MIBDIR:$MXW_TOP/mibs
MXW_MIB_NPM_DIR=$MXW_TOP/.cache/npm/node_modules/net-snmp/lib/mibs
MXW_MIB_STANDINS=
SMIPATH=$MXW_MIB_PATH
export MIBDIR SMIPATH
MXW_SNMP_MIB_ARGS=(-M "+$MXW_MIB_PATH" -m SNMPv2-MIB:MXWATCH-MIB)

# _mib_install SRC DST: copy through a temporary name, so a concurrent reader never sees
# half a file, and only when the content differs.
_mib_install() {
    cmp -s "$1" "$2" && return 0
    cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

mibs_prepare() {
    local f name
    if [ ! -d "$MXW_MIB_NPM_DIR" ]; then
        echo "mibs: $MXW_MIB_NPM_DIR missing; run 'make deps' (tests/lib/deps.sh all)" >&2
        return 1
    fi
    mkdir -p "$MIBDIR" || return 1
    for f in "$MXW_MIB_NPM_DIR"/*.mib; do
        name=$(basename "$f" .mib)
        _mib_install "$f" "$MIBDIR/$name" || return 1
    done
    MXW_MIB_STANDINS=
    for f in "$MXW_TOP"/tests/lib/mib-standins/*; do
        name=$(basename "$f")
        [ -f "$MXW_MIB_NPM_DIR/$name.mib" ] && continue
        _mib_install "$f" "$MIBDIR/$name" || return 1
        MXW_MIB_STANDINS="${MXW_MIB_STANDINS:+$MXW_MIB_STANDINS }$name"
    done
}

mib_module_present() { [ -f "$MIBDIR/$1" ]; }

mib_snmp() {
    local tool=$1
    shift
    "$tool" "${MXW_SNMP_MIB_ARGS[@]}" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    mibs_prepare
    case ${1:-env} in
    env)
        printf 'export MIBDIR=%q SMIPATH=%q MIBDIRS=%q MIBS=%q\n' \
            "$MIBDIR" "$SMIPATH" "+$MXW_MIB_PATH" "SNMPv2-MIB:MXWATCH-MIB"
        ;;
    modules)
        for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMPv2-MIB INET-ADDRESS-MIB \
            SNMP-FRAMEWORK-MIB NETWORK-SERVICES-MIB MAIL-MONITOR-MIB MTA-MIB; do
            if [ -f "$MXW_MIB_NPM_DIR/$m.mib" ]; then
                echo "$m: from npm net-snmp"
            elif mib_module_present "$m"; then
                echo "$m: stand-in (tests/lib/mib-standins/$m)"
            else
                echo "$m: missing"
            fi
        done
        ;;
    *)
        echo "usage: $0 [env|modules]" >&2
        exit 2
        ;;
    esac
else
    mibs_prepare
fi
