#!/usr/bin/env bash
# run.sh OUT_DIR CFLAGS...: the linters over every layer, each source with its layer's flags
# (compile_db.py): the allocation policy (no bare malloc family outside agent/lib/xalloc.c),
# cppcheck with tests/lint/cppcheck.txt, clang-tidy with /.clang-tidy. Prints each finding
# and one line "lint: N sources, N findings"; exits non-zero on any. Called by `make lint`;
# LINT_EXTRA adds files (compile_db.py), which tests/integration/lint.sh uses to check that
# each of the three finds what it should.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1
shift
jobs=$(nproc 2>/dev/null || echo 2)
for tool in cppcheck clang-tidy; do
    command -v "$tool" >/dev/null || { echo "lint: $tool is not installed (make deps)"; exit 1; }
done
mkdir -p "$out"
n=$(python3 tests/lint/compile_db.py "$out" "$@") || { echo "lint: no compile database"; exit 1; }
srcs=$(python3 -c 'import json,sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' \
    "$out/compile_commands.json")
findings=0

# 1. One allocation policy: xalloc.h everywhere in the agent.
bare=$(grep -HnE '(^|[^A-Za-z0-9_])(malloc|calloc|realloc|reallocarray|strdup|strndup)\(' $srcs |
    grep -v '^agent/lib/xalloc\.c:')
if [ -n "$bare" ]; then
    echo "$bare" | sed 's/$/  [allocation outside xalloc.h]/'
    findings=$((findings + $(wc -l <<<"$bare")))
fi

# 2. cppcheck.
mapfile -t opts < <(grep -v '^\s*\(#\|$\)' tests/lint/cppcheck.txt)
cppcheck --quiet -j "$jobs" "${opts[@]}" --project="$out/compile_commands.json" \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' 2>"$out/cppcheck.txt"
c=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: ' "$out/cppcheck.txt")
[ "$c" -eq 0 ] || grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$out/cppcheck.txt"
findings=$((findings + c))

# 3. clang-tidy, a few files per process, in parallel.
xargs -P "$jobs" -n 4 clang-tidy --quiet --config-file=.clang-tidy -p "$out" <<<"$srcs" >"$out/clang-tidy.txt" 2>/dev/null
c=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$out/clang-tidy.txt")
[ "$c" -eq 0 ] || grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$out/clang-tidy.txt"
findings=$((findings + c))

echo "lint: $n sources, $findings findings"
[ "$findings" -eq 0 ]
