#!/usr/bin/env bash
# The private Postfix of the integration tests (sourced after tests/lib/common.sh, never
# run): start_postfix, pf_send, pf_stop and pf_left come from deploy/demo/postfix.sh, which
# the demo world of `make run` shares; this file adds what only tests do to an instance.
#
#   pf_set 'name = value'...  change main.cf settings and reload
#   pf_queue_json          postqueue -j (one JSON object per queued message)
#   pf_flush               postqueue -f (retry deferred mail now)
#   pf_wait_empty SECS     wait until the queue is empty

source "$MXW_TOP/deploy/demo/postfix.sh"

# pf_set 'name = value'...: change the running instance's main.cf and reload it.
pf_set() {
    local l
    for l in "$@"; do _pf_postconf "$l"; done
    postfix -c "$PF_CONF" reload >/dev/null 2>&1 || fail "postfix -c $PF_CONF reload failed"
}

pf_queue_json() { postqueue -c "$PF_CONF" -j; }
pf_flush() { postqueue -c "$PF_CONF" -f; }
_pf_empty() { [ -z "$(pf_queue_json 2>/dev/null)" ] && [ -z "$(find "$PF_QUEUE/maildrop" -type f)" ]; }
pf_wait_empty() { wait_for "$1" _pf_empty; }
