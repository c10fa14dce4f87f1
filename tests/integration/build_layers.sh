#!/usr/bin/env bash
# timeout: 60
# build_layers: the layers of docs/ARCHITECTURE.md hold. An include that points up or
# sideways does not compile with the flags the Makefile gives the layer (a lower layer cannot
# see an upper one's headers), while the allowed direction does; and the include graph of
# the whole tree has no circle.
source "$(dirname "$0")/../lib/common.sh"
cd "$MXW_TOP"
flags() { make -s --no-print-directory layer-flags LAYER="$1"; }
compiles() { # LAYER HEADER: whether a file of LAYER may include HEADER
    printf '#include "%s"\nint mxw_probe_symbol;\n' "$2" >"$T/probe.c"
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -fsyntax-only $(flags "$1") $(pkg-config --cflags libcares libcurl 2>/dev/null) \
        -I"$MXW_TOP/$BUILD_GEN" "$T/probe.c" >"$T/cc.log" 2>&1
}
BUILD_GEN=build/gen
refused() { compiles "$1" "$2" && fail "a file of layer $1 could include $2"; return 0; }
allowed() { compiles "$1" "$2" || fail "a file of layer $1 cannot include $2: $(head -3 "$T/cc.log")"; }

refused lib store.h     # lib sees nothing of the project
refused core engine.h   # core sees lib only
refused probes web.h    # probes and exporters never see each other
refused probes source.h # nor probes and sources
refused sources probe.h
refused prom agentx.h
refused snmp prom.h
refused web agentx.h
refused web daemon.h    # nothing below the top sees the daemon
refused cli daemon.h
allowed probes store.h
allowed sources loop.h
allowed web prom.h
allowed cli engine.h
allowed agent daemon.h
note "layer flags refuse every upward or sideways include tried"

out=$(python3 "$MXW_TOP/tests/lib/include_cycles.py" "$MXW_TOP") || fail "$out"
note "$out"
echo "ok"
