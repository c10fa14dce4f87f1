#!/usr/bin/env bash
# timeout: 60
# man_pages: mxwatch(1) and mxwatch.yml(5) (deploy/man/) render with `groff -ww -man`
# without a warning; mxwatch(1) has an entry for every flag of `mxwatch --help` and of each
# command's --help, every command under COMMANDS and in the SYNOPSIS, and no flag that no
# --help has (but the allow-list in tests/lib/man_pages.py); mxwatch.yml(5) has exactly the
# keys of the schema tables in agent/core/config.c (tests/lib/config_keys.py), each default
# as docs/CONFIGURATION.md and docs/GATEWAYS.md give it, and its example passes check-config.
source "$(dirname "$0")/../lib/common.sh"
MAN=$MXW_TOP/deploy/man
command -v groff >/dev/null || fail "groff is not installed (make deps)"

for page in "$MAN/mxwatch.1" "$MAN/mxwatch.yml.5"; do
    [ -f "$page" ] || fail "no $page"
    groff -ww -man -Tutf8 "$page" >"$T/rendered.txt" 2>"$T/groff.err" ||
        fail "groff failed on $page: $(cat "$T/groff.err")"
    [ ! -s "$T/groff.err" ] || fail "groff warns on $page: $(cat "$T/groff.err")"
    [ "$(wc -l <"$T/rendered.txt")" -gt 50 ] || fail "$page renders to almost nothing"
    note "$(basename "$page"): renders without a warning"
done

note "mxwatch(1) against --help"
"$MXWATCH" --help >"$T/help-main.txt" || fail "mxwatch --help failed"
helps=("$T/help-main.txt")
commands=$(sed -n '/^commands:$/,/^$/p' "$T/help-main.txt" | awk 'NF && $1 != "commands:" { print $1 }')
[ -n "$commands" ] || fail "no commands in mxwatch --help"
for c in $commands; do
    "$MXWATCH" "$c" --help >"$T/help-$c.txt" || fail "mxwatch $c --help failed"
    helps+=("$T/help-$c.txt")
done
python3 "$MXW_TOP/tests/lib/man_pages.py" flags "$MAN/mxwatch.1" "${helps[@]}" ||
    fail "mxwatch(1) and --help disagree"

note "mxwatch.yml(5) against the schema and the docs"
python3 "$MXW_TOP/tests/lib/config_keys.py" "$MXW_TOP/agent/core/config.c" >"$T/keys.txt" ||
    fail "the schema tables of agent/core/config.c could not be read"
[ "$(wc -l <"$T/keys.txt")" -gt 60 ] || fail "only $(wc -l <"$T/keys.txt") schema keys found"
python3 "$MXW_TOP/tests/lib/man_pages.py" keys "$MAN/mxwatch.yml.5" "$T/keys.txt" \
    "$MXW_TOP/docs/CONFIGURATION.md" "$MXW_TOP/docs/GATEWAYS.md" ||
    fail "mxwatch.yml(5) and the schema or the docs disagree"

python3 "$MXW_TOP/tests/lib/man_pages.py" example "$MAN/mxwatch.yml.5" >"$T/example.yml"
out=$("$MXWATCH" check-config "$T/example.yml" 2>&1) || fail "the example of mxwatch.yml(5) is refused: $out"
echo "ok: manual pages"
