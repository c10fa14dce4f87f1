#!/usr/bin/env bash
# ui_browser: the status page in Debian's chromium (headless, driven by playwright-core)
# against an agent on the demo world: rows, sorting, filtering, auto-refresh, the detail
# page and its chart, the phone layout (tests/browser/ui.cjs). Screenshots are kept in
# $MXW_TEST_OUT/ui_browser/; MXW_UPDATE_SCREENSHOT=1 also copies the README's picture to
# docs/img/status-page.png.
# timeout: 150
source "$(dirname "$0")/../lib/common.sh"
source "$MXW_TOP/deploy/demo/world.sh"
export NODE_PATH=$MXW_TOP/.cache/npm/node_modules
[ -d "$NODE_PATH/playwright-core" ] || fail "playwright-core is not installed (make deps)"
OUT=${MXW_TEST_OUT:-$T}/ui_browser
mkdir -p "$OUT"
WORLD_INTERVAL=5s
start_world
start_agent "$WORLD_CONFIG"
settled() { # every destination shows the status the world implies
    local d exp
    for d in $WORLD_DOMAINS; do
        exp=$(world_expect "$d")
        curl -fsS "$AGENT_URL/api/v1/destinations/$d" | grep -q "\"status\":\"${exp% *}\"" || return 1
    done
}
wait_for 30 settled || fail "the demo world did not settle"
node "$MXW_TOP/tests/browser/ui.cjs" "$AGENT_URL" "$OUT" 2>&1 | tee "$T/browser.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the browser checks failed"
for f in list detail phone status-page; do
    [ -s "$OUT/$f.png" ] || fail "no screenshot $OUT/$f.png"
done
note "screenshots: $OUT/list.png $OUT/detail.png $OUT/phone.png $OUT/status-page.png"
# The README shows status-page.png from docs/img/. It is copied there only on request
# (MXW_UPDATE_SCREENSHOT=1 TESTS=ui_browser make test), so a test run never changes the tree.
if [ "${MXW_UPDATE_SCREENSHOT:-}" = 1 ]; then
    mkdir -p "$MXW_TOP/docs/img"
    cp "$OUT/status-page.png" "$MXW_TOP/docs/img/status-page.png"
    note "updated docs/img/status-page.png"
fi
