#!/usr/bin/env bash
# timeout: 120
# dockerfile_inputs: what can be checked of the Dockerfile without a docker daemon (none on
# the project's machines) and without hadolint (not in Debian 12). Every stage starts from
# Debian 12; nothing is fetched but Debian packages (no ADD, no URL, no curl, wget, git,
# pip or npm); every package of its apt-get install lines exists in Debian 12 (apt-cache);
# the build stage has every -dev package tests/lib/deps.sh builds with; the runtime stage
# has the package of every shared library the binary links (or one that every Debian
# image has: an Essential package's dependency); every COPY source exists and .dockerignore
# lets it into the context, and the build stage's make builds the binary from those sources
# alone; the image runs as a non-root user with /var/lib/mxwatch as a volume, and the file
# documents --network host and the read-only mail log.
source "$(dirname "$0")/../lib/common.sh"
DF=$MXW_TOP/Dockerfile
[ -f "$DF" ] || fail "no Dockerfile"
[ -f "$MXW_TOP/.dockerignore" ] || fail "no .dockerignore"

# Instructions one a line, continuations joined, comments dropped: "STAGE<TAB>INSTRUCTION".
python3 - "$DF" >"$T/instructions.txt" <<'EOP'
import re, sys
text = re.sub(r'\\\n', ' ', ''.join(l for l in open(sys.argv[1]) if not l.lstrip().startswith('#')))
stage = -1
for line in text.splitlines():
    line = ' '.join(line.split())
    if not line:
        continue
    if line.upper().startswith('FROM '):
        stage += 1
    print('%d\t%s' % (stage, line))
EOP
instr() { cut -f2- "$T/instructions.txt"; }
stages=$(awk -F'\t' '{print $1}' "$T/instructions.txt" | sort -u | wc -l)
[ "$stages" -ge 2 ] || fail "expected a build stage and a runtime stage, found $stages"

note "Debian 12 bases only, nothing fetched but Debian packages"
while read -r from; do
    base=$(awk '{print $2}' <<<"$from")
    [[ $base =~ ^debian:(12|bookworm)(-slim)?$ ]] || fail "FROM $base is not a Debian 12 image"
done < <(instr | grep -i '^FROM ')
! instr | grep -qi '^ADD ' || fail "ADD can fetch URLs and unpack archives: use COPY"
! instr | grep -Eqi '(https?|ftp)://' || fail "a URL outside comments: $(instr | grep -Ei '(https?|ftp)://')"
! instr | grep -Eqw 'curl|wget|git|pip|pip3|npm|gem|cargo|go' ||
    fail "a download tool is run: $(instr | grep -Ew 'curl|wget|git|pip|pip3|npm|gem|cargo|go')"

# packages STAGE: the packages of that stage's apt-get install lines.
packages() {
    awk -F'\t' -v s="$1" '$1 == s' "$T/instructions.txt" | grep -o 'apt-get install [^&;|]*' |
        tr ' ' '\n' | grep -v -e '^apt-get$' -e '^install$' -e '^-' -e '^$' | sort -u
}
last=$((stages - 1))
packages 0 >"$T/build-pkgs.txt"
packages "$last" >"$T/run-pkgs.txt"
[ -s "$T/build-pkgs.txt" ] && [ -s "$T/run-pkgs.txt" ] || fail "no apt-get install in a stage"

note "every package exists in Debian 12: $(cat "$T/build-pkgs.txt" "$T/run-pkgs.txt" | sort -u | wc -l) packages"
# One apt-cache call for all (each costs most of a second): "NAME:" then its Candidate line.
apt-cache policy $(cat "$T/build-pkgs.txt" "$T/run-pkgs.txt" | sort -u) 2>/dev/null |
    awk '/^[^ ].*:$/ {name = substr($1, 1, length($1) - 1)} /Candidate:/ && $2 != "(none)" {print name}' |
    sort -u >"$T/known.txt"
for p in $(cat "$T/build-pkgs.txt" "$T/run-pkgs.txt" | sort -u); do
    grep -qx "$p" "$T/known.txt" || fail "$p: no such package in this machine's Debian 12 lists"
done

note "the build stage has the -dev packages the project builds with (tests/lib/deps.sh)"
run_pkgs=$(sed -n '/^RUN_PKGS=(/,/)/p' "$MXW_TOP/tests/lib/deps.sh" | tr -d '()' | sed 's/RUN_PKGS=//')
for p in $run_pkgs; do
    case $p in *-dev | gcc | make | pkg-config | xxd)
        grep -qx "$p" "$T/build-pkgs.txt" || fail "the build stage lacks $p (tests/lib/deps.sh builds with it)" ;;
    esac
done

note "COPY sources exist and are in the build context"
while read -r src; do
    [ -e "$MXW_TOP/$src" ] || fail "COPY $src: no such file in the tree"
    grep -qx "!$src" "$MXW_TOP/.dockerignore" || fail "COPY $src: .dockerignore keeps it out of the context"
done < <(instr | grep '^COPY ' | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}')

note "the build stage's make works on its COPY sources alone (no .git, no tests/)"
mkdir -p "$T/context"
while read -r src; do
    mkdir -p "$T/context/$(dirname "$src")"
    cp -r "$MXW_TOP/$src" "$T/context/$src"
done < <(awk -F'\t' '$1 == 0' "$T/instructions.txt" | cut -f2- | grep '^COPY ' |
    awk '{for (i = 2; i < NF; i++) print $i}')
make_cmd=$(awk -F'\t' '$1 == 0' "$T/instructions.txt" | cut -f2- | sed -n 's/^RUN \(make .*\)/\1/p')
[ -n "$make_cmd" ] || fail "no RUN make in the build stage"
# A clean environment, as in the image (the suite exports BUILD, which the Makefile reads).
(cd "$T/context" && env -i PATH=/usr/bin:/bin REVISION=docker-test MAKEFLAGS=-j2 bash -c "$make_cmd") \
    >"$T/make.log" 2>&1 ||
    fail "the build stage's '$make_cmd' fails on its sources: $(tail -n 20 "$T/make.log")"
assert_contains "$("$T/context/build/mxwatch" --version)" "revision docker-test" "the built binary's --version"

note "the runtime stage has every shared library that binary links"
# The binary just built as the image builds it, not $MXWATCH: a sanitizer build links more.
BIN=$T/context/build/mxwatch
# Every Debian image, slim too, has the Essential packages and what they depend on (libc6,
# libcrypt1, zlib1g, ...): the base need not install those.
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances \
    $(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}') 2>/dev/null |
    grep -v '^ ' | sort -u >"$T/base-pkgs.txt"
grep -qx libc6 "$T/base-pkgs.txt" || fail "the Essential packages' dependencies lack libc6: $(cat "$T/base-pkgs.txt")"
for so in $(objdump -p "$BIN" | awk '/NEEDED/ {print $2}'); do
    path=$(ldconfig -p | awk -v s="$so" '$1 == s && !p {p = $NF} END {print p}')
    [ -n "$path" ] || fail "$so: not found by ldconfig"
    # dpkg knows a library by the path its package installed: the link or its target.
    pkg=$({ dpkg -S "$(readlink -f "$path")" || dpkg -S "$path"; } 2>/dev/null | sed -n '1s/:.*//p' || true)
    [ -n "$pkg" ] || fail "$so ($path): no package owns it"
    grep -qx "$pkg" "$T/base-pkgs.txt" || grep -qx "$pkg" "$T/run-pkgs.txt" ||
        fail "$so comes from $pkg, which the runtime stage does not install"
done

note "non-root user, state volume, documented --network host"
user=$(instr | awk '/^USER / {u = $2} END {print u}')
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as '${user:-root}'"
instr | grep -q "useradd .*$user" || fail "the user $user is not created"
instr | grep -Eq '^VOLUME .*/var/lib/mxwatch' || fail "no VOLUME /var/lib/mxwatch"
grep -q -- '--network host' "$DF" || fail "the Dockerfile does not document --network host"
grep -q -- ':ro' "$DF" || fail "the Dockerfile does not show the mail log mounted read-only"
echo "ok: Dockerfile inputs"
