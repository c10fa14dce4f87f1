#!/usr/bin/env bash
# timeout: 120
# MXWATCH-MIB is clean and says what the C code believes: smilint -l 6 prints nothing about
# it (and does catch a planted defect, so its silence means something); net-snmp parses it
# without a word and places every node at the OID the module's design gives it, no node
# missing and none extra, with length-prefixed name indexes; and every constant of exporters/snmp/mxw_mib.h, read straight from the
# header, names the OID snmptranslate -On gives for the matching MIB node, the SIZE bounds
# match, and tests/unit/test_mib_oids.c lists exactly the header's constants.
# Run by tests/run.sh (needs `make` first: it runs build/tests/test_mib_oids --list).
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/tests/lib/mibs.sh"

MIB=$MXW_TOP/mibs/MXWATCH-MIB.txt
HEADER=$MXW_TOP/exporters/snmp/mxw_mib.h
UNIT=$BUILD/tests/test_mib_oids
ROOT=1.3.6.1.4.1.32473.725
for tool in smilint snmptranslate cpp; do
    command -v $tool >/dev/null || fail "$tool not installed (make deps)"
done
[ -x "$UNIT" ] || fail "$UNIT missing: run make first"
[ -n "$MXW_MIB_STANDINS" ] && note "stand-in modules in use: $MXW_MIB_STANDINS"

# --- smilint -----------------------------------------------------------------------------
out=$(smilint -l 6 -s -m MXWATCH-MIB 2>&1)
[ -z "$out" ] || fail "smilint -l 6 reports on MXWATCH-MIB:"$'\n'"$out"
mkdir -p "$T/planted"
sed 's/SIZE (1\.\.96)/SIZE (1..253)/' "$MIB" >"$T/planted/MXWATCH-MIB"
out=$(SMIPATH=$MIBDIR:$T/planted smilint -l 6 -m MXWATCH-MIB 2>&1)
assert_contains "$out" "can exceed OID size limit" "smilint on a planted oversize index"
note "smilint -l 6: clean; a planted 253-octet index is reported"

# --- net-snmp parses it and finds the designed tree ----------------------------------------
# -m without '+' loads this module and its imports only, so any message is about them.
tz=$(snmptranslate -M "$MXW_MIB_PATH" -m MXWATCH-MIB -Tz 2>"$T/tz.err")
[ ! -s "$T/tz.err" ] || fail "snmptranslate complains: $(cat "$T/tz.err")"
awk -v root="$ROOT" '{ gsub(/"/, ""); if ($2 == root || index($2, root ".") == 1) print $1, $2 }' \
    <<<"$tz" | sort >"$T/mib.tree"

declare -A want
want[mxwatchMIB]=$ROOT
kids() { # PARENT FIRST-NUMBER CHILD...: the children in sub-identifier order
    local parent=$1 n=$2 child
    shift 2
    [ -n "${want[$parent]:-}" ] || fail "spec: $parent placed before its parent"
    for child in "$@"; do
        want[$child]=${want[$parent]}.$n
        n=$((n + 1))
    done
}
kids mxwatchMIB 0 mxwNotifications mxwObjects mxwConformance
kids mxwNotifications 1 mxwDestinationDown mxwDestinationUp
kids mxwObjects 1 mxwAgent mxwDestinationTable mxwMxTable mxwGatewayTable mxwNotifyObjects
kids mxwAgent 1 mxwAgentDestinations mxwAgentProbesInFlight mxwAgentLoopLag \
    mxwAgentSourcesUp mxwAgentSourcesConfigured mxwAgentVersion
kids mxwDestinationTable 1 mxwDestinationEntry
kids mxwDestinationEntry 1 mxwDestName mxwDestStatus mxwDestStatusReason \
    mxwDestStatusChanged mxwDestMxCount mxwDestActiveRecipients \
    mxwDestUnattemptedRecipients mxwDestAttemptedRecipients mxwDestConnectionsCurrent \
    mxwDestConnectionsPending mxwDestSoftBounceEvents mxwDestCompletedRecipients \
    mxwDestHardBouncedRecipients mxwDestDnsHardBounces mxwDest5xxHardBounces \
    mxwDestFilterHardBounces mxwDestExpiredHardBounces mxwDestOtherHardBounces \
    mxwDestDeliveredRecipients mxwDestDeletedRecipients mxwDestDnsLookupTime \
    mxwDestBannerTime mxwDestLastBanner mxwDestTlsCertExpiry mxwDestOldestMessageAge \
    mxwDestOrigin mxwDestStatusSignal mxwDestLastDeliveryTime mxwDestLastDeliverySuccess \
    mxwDestLastErrorReplyCode mxwDestLastErrorReply mxwDestMtaStsMode \
    mxwDestMtaStsPolicyExpiry mxwDestMtaStsFailingMx mxwDestMtaStsFault mxwDestTlsRptRua \
    mxwDestDaneAuthenticated mxwDestDaneMatchingAddrs mxwDestDaneFailingAddrs \
    mxwDestTxnSuccess mxwDestTxnTime mxwDestTxnFailedPhase mxwDestTxnReplyCode mxwDestTxnReply
kids mxwMxTable 1 mxwMxEntry
kids mxwMxEntry 1 mxwMxPreference mxwMxAddressType mxwMxAddress mxwMxHostName \
    mxwMxStatus mxwMxOutcome mxwMxConnectTime mxwMxBannerTime mxwMxEhloTime mxwMxTlsTime \
    mxwMxStartTlsOffered mxwMxTlsNegotiated mxwMxTlsVersion mxwMxTlsCertExpiry mxwMxBanner
kids mxwGatewayTable 1 mxwGatewayEntry
kids mxwGatewayEntry 1 mxwGwName mxwGwUp mxwGwSystemStatus mxwGwOldestMessageAge \
    mxwGwActiveRecipients mxwGwUnattemptedRecipients mxwGwAttemptedRecipients \
    mxwGwConnectionsIn mxwGwConnectionsOut mxwGwDeliveredRecipients mxwGwSoftBounceEvents \
    mxwGwHardBouncedRecipients mxwGwDnsHardBounces mxwGw5xxHardBounces \
    mxwGwFilterHardBounces mxwGwExpiredHardBounces mxwGwOtherHardBounces \
    mxwGwInjectedMessages mxwGwLicenseSecondsRemaining mxwGwScrapeDuration mxwGwLastSuccess
kids mxwNotifyObjects 1 mxwNotifyDestName
kids mxwConformance 1 mxwGroups mxwCompliances
kids mxwGroups 1 mxwAgentGroup mxwDestinationGroup mxwMxGroup mxwGatewayGroup \
    mxwNotifyObjectsGroup mxwNotificationGroup
kids mxwCompliances 1 mxwCompliance
for name in "${!want[@]}"; do echo "$name ${want[$name]}"; done | sort >"$T/want.tree"
diff -u "$T/want.tree" "$T/mib.tree" >"$T/tree.diff" ||
    fail "MIB tree differs from the design (- design, + MIB):"$'\n'"$(cat "$T/tree.diff")"
note "snmptranslate: all $(wc -l <"$T/want.tree") nodes at their designed OIDs"

# Index layout: names are length-prefixed (not IMPLIED), the MX index reads back whole.
st() { snmptranslate -M "$MXW_MIB_PATH" -m MXWATCH-MIB "$@"; }
assert_eq ".$ROOT.1.2.1.2.2.97.98" "$(st -On 'MXWATCH-MIB::mxwDestStatus."ab"')" \
    "mxwDestStatus instance for 'ab'"
assert_eq 'MXWATCH-MIB::mxwMxStatus."ab".10.ipv4."127.0.0.1"' \
    "$(st -OS ".$ROOT.1.3.1.5.2.97.98.10.1.4.127.0.0.1")" "mxwMxStatus instance decoded"
assert_eq ".$ROOT.1.4.1.2.2.103.49" "$(st -On 'MXWATCH-MIB::mxwGwUp."g1"')" \
    "mxwGwUp instance for 'g1'"

# --- the C header ------------------------------------------------------------------------
# descriptor for a header constant: MXW_MIB_FOO_BAR / MXW_FOO_BAR -> mxwFooBar.
descriptor() {
    [ "$1" = MXW_MIB_ROOT ] && { echo mxwatchMIB; return; }
    local rest=${1#MXW_} word out=mxw
    rest=${rest#MIB_}
    for word in ${rest//_/ }; do
        word=${word,,}
        out+=${word^}
    done
    echo "$out"
}

# "CONSTANT EXPRESSION" for every OID constant: macros as themselves, enum constants as
# "BASE, N" with BASE taken from the "Under MXW_MIB_..." comment above their enum.
awk '
    /^#define MXW_MIB_[A-Z0-9_]+[ \t]+[^ \t]/ && $2 !~ /_MAX$/ { print $2, $2; next }
    match($0, /Under MXW_MIB_[A-Z0-9_]+/) { base = substr($0, RSTART + 6, RLENGTH - 6) }
    /^enum mxw_/ { inenum = 1; if (base == "") { print "NO_BASE", $2; exit 1 } next }
    inenum && /^}/ { inenum = 0; base = ""; next }
    inenum && match($0, /^[ \t]*MXW_[A-Z0-9_]+ = [0-9]+,/) {
        split(substr($0, RSTART, RLENGTH), f, /[ =,]+/)
        print f[1] == "" ? f[2] : f[1], base ", " (f[1] == "" ? f[3] : f[2])
        next
    }
    inenum && /MXW_/ { print "UNPARSED", $0; exit 1 }
' "$HEADER" >"$T/header.list" || fail "cannot read $HEADER: $(tail -n1 "$T/header.list")"
[ "$(wc -l <"$T/header.list")" -gt 50 ] || fail "too few constants parsed from the header"

{
    echo "#include \"$HEADER\""
    while read -r name expr; do echo "\"$name\" $expr"; done <"$T/header.list"
} >"$T/expand.c"
cpp -P "$T/expand.c" | awk -F'"' 'NF == 3 { gsub(/[ ,]+/, ".", $3); sub(/^\./, "", $3); print $2, $3 }' \
    >"$T/header.oids"
assert_eq "$(wc -l <"$T/header.list")" "$(wc -l <"$T/header.oids")" "expanded header constants"

bad=0
while read -r name oid; do
    d=$(descriptor "$name")
    got=$(snmptranslate -M "$MXW_MIB_PATH" -m MXWATCH-MIB -On "MXWATCH-MIB::$d" 2>&1 | grep . || true)
    if [ "$got" != ".$oid" ]; then
        echo "header $name = $oid, but snmptranslate -On MXWATCH-MIB::$d says: $got" >&2
        bad=$((bad + 1))
    fi
done <"$T/header.oids"
[ $bad -eq 0 ] || fail "$bad header constants disagree with the MIB"
note "header: $(wc -l <"$T/header.oids") OID constants agree with snmptranslate -On"

size_bound() { # DESCRIPTOR: upper SIZE bound from snmptranslate -Td
    snmptranslate -M "$MXW_MIB_PATH" -m MXWATCH-MIB -Td "MXWATCH-MIB::$1" |
        sed -n 's/.*SYNTAX.*(\([0-9]*\)\.\.\([0-9]*\)).*/\2/p'
}
max() { printf '"v" %s\n' "$1" | cpp -P -include "$HEADER" | sed -n 's/^"v" *//p'; }
assert_eq "$(size_bound mxwDestName)" "$(max MXW_MIB_DEST_NAME_MAX)" "mxwDestName size"
assert_eq "$(size_bound mxwGwName)" "$(max MXW_MIB_GW_NAME_MAX)" "mxwGwName size"
assert_eq "$(size_bound mxwNotifyDestName)" "$(max MXW_MIB_NOTIFY_DEST_NAME_MAX)" \
    "mxwNotifyDestName size"

# --- the unit test covers the header ------------------------------------------------------
"$UNIT" --list | awk '{ print $1, $3 }' | sort >"$T/unit.oids"
"$UNIT" --list | while read -r name d _; do
    [ "$(descriptor "$name")" = "$d" ] || fail "unit test names $name '$d', not '$(descriptor "$name")'"
done
sort "$T/header.oids" >"$T/header.sorted"
diff -u "$T/header.sorted" "$T/unit.oids" >"$T/unit.diff" ||
    fail "test_mib_oids table differs from the header (- header, + unit):"$'\n'"$(cat "$T/unit.diff")"
note "test_mib_oids --list matches the header"
echo "mib_lint: ok"
