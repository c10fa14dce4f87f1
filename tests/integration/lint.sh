#!/usr/bin/env bash
# timeout: 400
# make lint: the allocation policy, cppcheck and clang-tidy are clean on the tree, and each
# of the three still finds what it is there for: a planted file (LINT_EXTRA) with a bare
# malloc, an out-of-bounds read (cppcheck) and an unchecked atoi (clang-tidy, cert-err34-c)
# gives those three findings (and whatever else the analysers add about it).
source "$(dirname "$0")/../lib/common.sh"
cd "$MXW_TOP"

out=$(make -s --no-print-directory lint BUILD="$BUILD" 2>&1) || fail "make lint: $(tail -n 20 <<<"$out")"
line=$(grep '^lint: ' <<<"$out")
note "$line"
[[ $line =~ ^lint:\ ([0-9]+)\ sources,\ 0\ findings$ ]] || fail "unexpected summary: $line"
[ "${BASH_REMATCH[1]}" -ge 60 ] || fail "only ${BASH_REMATCH[1]} sources were linted"

cat >"$T/planted.c" <<'EOC'
#include <stdlib.h>
int planted_alloc(void);
int planted_bounds(void);
int planted_atoi(const char *s);
int planted_alloc(void)
{
    char *p = malloc(4);
    int ok = p != NULL;
    free(p);
    return ok;
}
int planted_bounds(void)
{
    int a[2] = {0, 0};
    return a[2];
}
int planted_atoi(const char *s)
{
    return atoi(s);
}
EOC
out=$(LINT_EXTRA="$T/planted.c" LINT_EXTRA_ONLY=1 make -s --no-print-directory lint BUILD="$BUILD" \
    LINT_DIR="$T/lint" 2>&1) && fail "make lint passed with planted faults"
note "$(grep "planted.c" <<<"$out" | tr '\n' '|')"
assert_contains "$out" "planted.c:7:" "the allocation policy finding"
grep -q "planted.c:15:.*arrayIndexOutOfBounds" <<<"$out" || fail "cppcheck missed the bounds fault: $out"
grep -q "planted.c:19:.*cert-err34-c" <<<"$out" || fail "clang-tidy missed atoi: $out"
grep -q '^lint: 1 sources, [1-9][0-9]* findings$' <<<"$out" || fail "no summary: $(tail -n 3 <<<"$out")"
echo "lint: ok"
