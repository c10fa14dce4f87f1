#!/usr/bin/env bash
# A DNSSEC-validating resolver for a test world, so that answers carry the AD bit as a real
# validating resolver's would. Sourced after tests/lib/common.sh and tests/lib/nsd.sh.
#
#   dnssec_sign ZONEFILE     signs the "test" zone (ldns-signzone, a fresh ECDSA P-256 key)
#                            into ZONEFILE.signed, and makes a signed root zone delegating
#                            "test" with its DS ($T/root.zone.signed, added to NSD_ZONES);
#                            sets DNSSEC_ANCHOR, the root key's DS as dnsmasq takes it.
#   start_validator PORT NSD_PORT
#                            dnsmasq on 127.0.0.1:PORT validating (--dnssec) everything it
#                            forwards to NSD from that root anchor: answers it validated
#                            carry AD for a query that asked for it (RFC 6840 5.7).
# mxwatch itself never validates: this is the resolver it trusts (docs/TLS.md).

dnssec_sign() {
    local zone=$1 k_test k_root ds
    (cd "$T" && k_test=$(ldns-keygen -a ECDSAP256SHA256 -k test) &&
        ldns-signzone -n -f "$zone.signed" "$zone" "$k_test" &&
        ldns-key2ds -n -2 "$k_test.key" >"$T/test.ds") || fail "could not sign the test zone"
    {
        printf '$ORIGIN .\n$TTL 60\n. IN SOA ns.test. admin.test. 1 3600 600 86400 60\n'
        printf '. IN NS ns.test.\ntest. IN NS ns.test.\nns.test. IN A 127.0.0.1\n'
        cat "$T/test.ds"
    } >"$T/root.zone"
    (cd "$T" && k_root=$(ldns-keygen -a ECDSAP256SHA256 -k .) &&
        ldns-signzone -n -f "$T/root.zone.signed" "$T/root.zone" "$k_root" &&
        ldns-key2ds -n -2 "$k_root.key" >"$T/root.ds") || fail "could not sign the root zone"
    read -r _ _ _ _ tag alg dtype digest <"$T/root.ds"
    DNSSEC_ANCHOR=".,$tag,$alg,$dtype,$digest"
    NSD_ZONES="${NSD_ZONES:+$NSD_ZONES }.=$T/root.zone.signed"
}

start_validator() {
    local port=$1 nsd_port=$2
    dnsmasq --keep-in-foreground --no-resolv --no-hosts --port="$port" \
        --listen-address=127.0.0.1 --bind-interfaces --server="127.0.0.1#$nsd_port" \
        --dnssec --trust-anchor="$DNSSEC_ANCHOR" --user=root --log-queries \
        --log-facility="$T/validator.log" 2>>"$T/validator.log" &
    track $!
    wait_for 5 bash -c "ss -Hlun '( sport = :$port )' | grep -q ." ||
        fail "the validating dnsmasq did not start on port $port"
}
