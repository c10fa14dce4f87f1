#!/usr/bin/env bash
# timeout: 120
# `make install` and `make uninstall` honour PREFIX and DESTDIR: with PREFIX=/usr (the Debian
# package's) and with the default /usr/local, exactly the expected files land under DESTDIR
# (the binary, the MIB in the net-snmp MIB folder, the example config as
# /etc/mxwatch/mxwatch.yml and among the examples, the systemd unit with ExecStart on
# BINDIR, the SNMP snippets under the doc folder, the manual pages deploy/man/ has); a second
# install keeps a config the operator changed; uninstall removes everything it installed
# and keeps only a changed config.
source "$(dirname "$0")/../lib/common.sh"
make_args=(--no-print-directory -C "$MXW_TOP" BUILD="$BUILD")
[[ $BUILD != */san ]] || make_args+=(SANITIZE=address,undefined)

# expected PREFIX UNITDIR: the files install puts under DESTDIR, sorted.
expected() {
    local prefix=$1 unitdir=$2 f
    {
        echo "$prefix/bin/mxwatch"
        echo "$prefix/share/snmp/mibs/MXWATCH-MIB.txt"
        echo "$unitdir/mxwatch.service"
        echo "/etc/mxwatch/mxwatch.yml"
        echo "$prefix/share/doc/mxwatch/examples/mxwatch.example.yml"
        for f in "$MXW_TOP"/deploy/snmp/*; do echo "$prefix/share/doc/mxwatch/snmp/${f##*/}"; done
        for f in "$MXW_TOP"/deploy/man/*.1; do [ -e "$f" ] && echo "$prefix/share/man/man1/${f##*/}"; done
        for f in "$MXW_TOP"/deploy/man/*.5; do [ -e "$f" ] && echo "$prefix/share/man/man5/${f##*/}"; done
    } | sort
}
files_in() { (cd "$1" && find . -type f -o -type l | sed 's|^\.||' | sort); }

check_prefix() { # PREFIX UNITDIR
    local prefix=$1 unitdir=$2 root=$T/root${1//\//_}
    note "PREFIX=$prefix DESTDIR=$root"
    make "${make_args[@]}" install DESTDIR="$root" PREFIX="$prefix" >"$T/install.log" 2>&1 ||
        fail "make install PREFIX=$prefix: $(tail -n 5 "$T/install.log")"
    assert_eq "$(expected "$prefix" "$unitdir")" "$(files_in "$root")" "files installed with PREFIX=$prefix"
    assert_eq "ExecStart=$prefix/bin/mxwatch run --config.file=/etc/mxwatch/mxwatch.yml" \
        "$(grep '^ExecStart=' "$root$unitdir/mxwatch.service")" "the installed unit's ExecStart"
    cmp -s "$BUILD/mxwatch" "$root$prefix/bin/mxwatch" || fail "the installed binary is not $BUILD/mxwatch"
    assert_eq 755 "$(stat -c %a "$root$prefix/bin/mxwatch")" "the binary's mode"
    assert_eq 644 "$(stat -c %a "$root/etc/mxwatch/mxwatch.yml")" "the config's mode"
    "$root$prefix/bin/mxwatch" check-config "$root/etc/mxwatch/mxwatch.yml" >/dev/null ||
        fail "the installed config does not pass check-config"

    echo "# changed by the operator" >>"$root/etc/mxwatch/mxwatch.yml"
    make "${make_args[@]}" install DESTDIR="$root" PREFIX="$prefix" >"$T/install.log" 2>&1 ||
        fail "a second make install failed: $(tail -n 5 "$T/install.log")"
    assert_contains "$(cat "$T/install.log")" "install: keeping $root/etc/mxwatch/mxwatch.yml" "a second install"
    grep -q "changed by the operator" "$root/etc/mxwatch/mxwatch.yml" || fail "a second install replaced the config"

    make "${make_args[@]}" uninstall DESTDIR="$root" PREFIX="$prefix" >"$T/uninstall.log" 2>&1 ||
        fail "make uninstall: $(tail -n 5 "$T/uninstall.log")"
    assert_eq "/etc/mxwatch/mxwatch.yml" "$(files_in "$root")" "what uninstall leaves (the changed config only)"
    [ ! -e "$root$prefix/share/doc/mxwatch" ] || fail "uninstall left $prefix/share/doc/mxwatch"

    rm -f "$root/etc/mxwatch/mxwatch.yml"
    make "${make_args[@]}" install DESTDIR="$root" PREFIX="$prefix" >"$T/install.log" 2>&1 || fail "make install again"
    make "${make_args[@]}" uninstall DESTDIR="$root" PREFIX="$prefix" >"$T/uninstall.log" 2>&1 || fail "make uninstall again"
    assert_eq "" "$(files_in "$root")" "what uninstall leaves after an install with the config unchanged"
    [ ! -e "$root/etc/mxwatch" ] || fail "uninstall left /etc/mxwatch"
}

check_prefix /usr /lib/systemd/system
check_prefix /usr/local /usr/local/lib/systemd/system
echo "ok: make install / uninstall"
