#!/usr/bin/env bash
# Which MTA this host has, for the package policy of `make deps run` (tests/lib/deps.sh) and
# the demo's choice of mode (deploy/demo/run.sh): Postfix may be installed, and a private
# Postfix run, only where no other MTA is installed, because Debian's MTAs replace each
# other. Sourced, never run; defines functions only and sets no shell options.
#
#   mta_other    prints the package of an installed MTA other than Postfix (a package that
#                provides mail-transport-agent, or the owner of /usr/sbin/sendmail), or
#                nothing; an unpackaged /usr/sbin/sendmail prints "/usr/sbin/sendmail"
#   mta_demo_why_not   prints why the demo cannot run its private Postfix (not root, an
#                other MTA, a missing program), or nothing when it can

mta_other() {
    local pkg owner
    pkg=$(dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n' 2>/dev/null |
        awk '$1 == "installed" && $2 != "postfix" && / mail-transport-agent/ { print $2; exit }' || true)
    if [ -n "$pkg" ]; then
        echo "$pkg"
        return 0
    fi
    [ -e /usr/sbin/sendmail ] || return 0
    owner=$(dpkg-query -S /usr/sbin/sendmail 2>/dev/null | cut -d: -f1 | head -n 1 || true)
    case $owner in
    postfix) ;;
    "") echo /usr/sbin/sendmail ;;
    *) echo "$owner" ;;
    esac
}

mta_demo_why_not() {
    local other p
    other=$(mta_other)
    if [ -n "$other" ]; then
        echo "another MTA is installed ($other)"
        return 0
    fi
    for p in postfix postconf postqueue sendmail mkpasswd; do
        command -v "$p" >/dev/null 2>&1 || {
            echo "$p is not installed (make deps run)"
            return 0
        }
    done
    [ "$(id -u)" -eq 0 ] || echo "a private Postfix needs root"
}
