#!/usr/bin/env bash
# A private, real Postfix instance, for the demo world of `make run` (deploy/demo/world.sh)
# and, through tests/lib/postfix.sh, the integration tests. Sourced after deploy/demo/lib.sh
# (or tests/lib/common.sh), never run; needs root (`postfix start` refuses other users).
# start_postfix builds its own config, queue and data directories under a folder the caller
# owns, starts it with `postfix -c`, logs to a private maillog_file through postlogd, and
# registers its stop with on_exit. It never reads or writes /etc/postfix/main.cf or
# master.cf (Postfix itself still reads the package's meta files such as
# /etc/postfix/postfix-files), never binds port 25 and never touches another Postfix running
# on the host: every socket, lock and pid file lives in the instance's own queue and data
# directories, and its one listener is smtpd on a free port of 127.0.0.1.
#
#   start_postfix DIR 'a.test=smtp:[127.0.0.31]:2525 b.test=error:5.1.1 gone' [MAIN_CF_LINES]
#   pf_send FROM TO...     submit a small message with sendmail -C
#   pf_stop [CONF QUEUE]   stop it and wait until every process of the instance is gone
#   pf_left CONF           the pids of processes still running for that config directory
#
# Exports PF_CONF (config_directory), PF_QUEUE (queue_directory), PF_DATA, PF_LOG
# (the maillog_file, DIR.log: beside DIR, so common.sh shows its tail when a test under
# $T fails) and PF_SMTPD_PORT (its smtpd listener on 127.0.0.1).
# TRANSPORT_LINES is a whitespace-separated list of DOMAIN=TRANSPORT items without
# spaces inside an item, or newline-separated items when a value holds spaces.
# MAIN_CF_LINES are newline-separated 'name = value' settings applied over the defaults.
# A domain with no transport entry is bounced by default_transport (error:, dsn 5.1.2)
# instead of being looked up in the host's DNS: the instance talks to 127.0.0.0/8 only,
# and the outcome must not depend on the machine's resolver.

_pf_master_cf() { # smtpd port
    # Every service runs without chroot: a chroot would need copies of /etc files in the
    # private queue directory, which is the host setup we must not depend on.
    cat <<EOM
127.0.0.1:$1 inet n - n - - smtpd
pickup     unix n - n 60 1 pickup
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
flush      unix n - n 1000? 0 flush
proxymap   unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp       unix - - n - - smtp
relay      unix - - n - - smtp
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
lmtp       unix - - n - - lmtp
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
EOM
}

# _pf_inline_map ITEMS: an inline: table, each item braced so values may hold spaces
# or commas (error:5.1.1 text, ...).
_pf_inline_map() {
    local items=() line item
    if [[ $1 == *$'\n'* ]]; then
        while IFS= read -r line; do
            [ -n "${line// /}" ] && items+=("$line")
        done <<<"$1"
    else
        read -r -a items <<<"$1"
    fi
    local out="inline:{"
    for item in "${items[@]}"; do
        out+=" { ${item%%=*} = ${item#*=} },"
    done
    printf '%s }\n' "${out%,}"
}

_pf_main_cf() { # dir transport
    cat <<EOM
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mxw-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
relay_domains =
local_recipient_maps =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
relayhost =
transport_maps = $(_pf_inline_map "$2")
maillog_file = $1.log
maillog_file_prefixes = $(dirname "$1")
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 2s
smtp_helo_timeout = 5s
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_warning_time = 0h
biff = no
default_transport = error:5.1.2 no transport_maps entry for this domain in this private instance
EOM
}

# _pf_postconf LINES: apply newline-separated 'name = value' lines with postconf -e, so a
# later setting replaces the generated one instead of duplicating it.
_pf_postconf() {
    local line
    while IFS= read -r line; do
        [ -n "${line// /}" ] || continue
        postconf -c "$PF_CONF" -e "$line" || fail "postconf -e '$line' failed"
    done <<<"$1"
}

start_postfix() {
    local dir=$1 transports=$2 extra=${3:-}
    command -v postfix >/dev/null || fail "postfix is not installed (make deps)"
    local created= # removed on exit unless it lies in $T, which common.sh removes last
    [ -e "$dir" ] || [[ $dir == "$T"/* ]] || created=1
    mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
    chmod 755 "$dir" "$dir/etc"
    chown postfix: "$dir/data"
    PF_CONF=$dir/etc PF_QUEUE=$dir/spool PF_DATA=$dir/data PF_LOG=$dir.log
    PF_SMTPD_PORT=$(free_port)
    export PF_CONF PF_QUEUE PF_DATA PF_LOG PF_SMTPD_PORT
    _pf_master_cf "$PF_SMTPD_PORT" >"$PF_CONF/master.cf"
    _pf_main_cf "$dir" "$transports" >"$PF_CONF/main.cf"
    _pf_postconf "$extra"
    postconf -c "$PF_CONF" -n >/dev/null 2>"$dir/postconf.err"
    [ ! -s "$dir/postconf.err" ] || fail "postconf complains: $(head -n 3 "$dir/postconf.err")"
    # Cleanups run in order: stop the instance before its directories go.
    on_exit "pf_stop $(printf '%q %q' "$PF_CONF" "$PF_QUEUE")"
    [ -z "$created" ] || on_exit "rm -rf $(printf '%q %q' "$dir" "$PF_LOG")"
    postfix -c "$PF_CONF" start >"$dir/start.log" 2>&1 ||
        fail "postfix -c $PF_CONF start failed: $(tail -n 5 "$dir/start.log")"
    wait_for 10 tcp_open 127.0.0.1 "$PF_SMTPD_PORT" || fail "private postfix smtpd did not listen"
    wait_for 10 test -S "$PF_QUEUE/public/pickup" -o -p "$PF_QUEUE/public/pickup" ||
        fail "private postfix has no pickup service"
}

# pf_stop [CONF QUEUE]: stop an instance (the last started by default) and wait until its
# master and every daemon it started are gone. The master leads its own session and process
# group, so what is left after 10 s is killed through that group only.
pf_stop() {
    local conf=${1:-${PF_CONF:-}} queue=${2:-${PF_QUEUE:-}} pid
    [ -n "$conf" ] || return 0
    pid=$(head -n 1 "$queue/pid/master.pid" 2>/dev/null | tr -d ' ' || true)
    [[ $pid =~ ^[0-9]+$ ]] || pid=
    postfix -c "$conf" stop >/dev/null 2>&1 || { [ -z "$pid" ] || kill -TERM "$pid"; } 2>/dev/null
    [ -n "$pid" ] || return 0
    wait_for 10 _pf_gone "$pid" || kill -9 -- "-$pid" 2>/dev/null || true
}

# _pf_gone SID: no process of the master's session is alive (zombies waiting for an init
# that may never reap them count as gone).
_pf_gone() {
    local st
    st=$(ps -o stat= -s "$1" 2>/dev/null) || return 0
    ! grep -qvE '^ *Z' <<<"$st"
}

# pf_left CONF: the pids of processes running for that config directory, whatever their
# session: `postfix -c` hands MAIL_CONFIG to the master, which hands it to every daemon.
pf_left() {
    grep -lzxF "MAIL_CONFIG=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
}

pf_send() { # FROM TO...
    local from=$1
    shift
    printf 'From: <%s>\nTo: <%s>\nSubject: mxwatch test\n\ntest body\n' "$from" "$1" |
        sendmail -C "$PF_CONF" -f "$from" -- "$@"
}

