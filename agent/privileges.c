/*
 * privileges.c - least privilege for `mxwatch run` (privileges.h). Main thread, at
 * start-up only, while the process has one thread.
 *
 * Why refuse root by default: everything the agent does (probe, read the mail log through
 * group adm, ask postqueue through group postdrop, talk AgentX through the socket's group,
 * serve :9725) works without it, and a bug in code that parses what remote MX hosts,
 * gateways and HTTP clients send should not run as root. Tests and containers that need
 * root say so with --run-as-root. A port below 1024 is the one thing that needs root: with
 * --user the daemon binds it first, then calls priv_drop before any other part starts.
 */
#include "privileges.h"

#include "fsperm.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PW_BUF 4096 /* getpwnam_r scratch */

/* The account name names, into pw (strings in buf). 0, or -1 with err. */
static int lookup_user(const char *name, struct passwd *pw, char *buf, size_t buflen, char *err,
                       size_t errlen)
{
    struct passwd *res = NULL;
    int e = getpwnam_r(name, pw, buf, buflen, &res);
    if (res)
        return 0;
    snprintf(err, errlen, "--user: no user '%s'%s%s", name, e ? ": " : "", e ? strerror(e) : "");
    return -1;
}

int priv_check_root(const struct cli_flags *f, char *err, size_t errlen)
{
    if (f->user && f->run_as_root) {
        snprintf(err, errlen, "--user and --run-as-root contradict each other: give one");
        return -1;
    }
    if (!f->user) {
        if (geteuid() != 0 || f->run_as_root)
            return 0;
        snprintf(err, errlen,
                 "refusing to run as root: give --user=NAME to drop to that user once the "
                 "listener is bound (the package's user is mxwatch), or --run-as-root to keep "
                 "root (tests, containers)");
        return -1;
    }
    struct passwd pw;
    char buf[PW_BUF];
    if (lookup_user(f->user, &pw, buf, sizeof buf, err, errlen) < 0)
        return -1;
    if (pw.pw_uid == 0) {
        snprintf(err, errlen, "--user=%s is root: use --run-as-root to keep root", f->user);
        return -1;
    }
    if (geteuid() != 0 && geteuid() != pw.pw_uid) {
        snprintf(err, errlen, "--user=%s needs root to change to that user (running as uid %u)",
                 f->user, (unsigned)geteuid());
        return -1;
    }
    return 0;
}

int priv_drop(const char *name, char *err, size_t errlen)
{
    struct passwd pw;
    char buf[PW_BUF];
    if (lookup_user(name, &pw, buf, sizeof buf, err, errlen) < 0)
        return -1;
    if (geteuid() == pw.pw_uid && getuid() == pw.pw_uid)
        return 0; /* started as that user already */
    /* Groups first, then the group id, then the user id: once the user id is gone, the
     * process may no longer change its groups. */
    if (initgroups(pw.pw_name, pw.pw_gid) < 0 || setgid(pw.pw_gid) < 0 || setuid(pw.pw_uid) < 0) {
        snprintf(err, errlen, "cannot become user %s: %s", name, strerror(errno));
        return -1;
    }
    if (setuid(0) == 0 || getuid() != pw.pw_uid || geteuid() != pw.pw_uid ||
        getegid() != pw.pw_gid) {
        snprintf(err, errlen, "dropping to user %s left a way back to root", name);
        return -1;
    }
    log_info("daemon", "running as user=%s uid=%u gid=%u", pw.pw_name, (unsigned)pw.pw_uid,
             (unsigned)pw.pw_gid);
    return 0;
}

static void warn_if_readable(const char *path, const char *what)
{
    mode_t mode;
    if (!path || !path[0] || !fsperm_world_readable(path, &mode))
        return;
    log_warn("daemon",
             "a file holding a secret is readable by every user what=\"%s\" path=%s "
             "mode=%04o hint=\"chmod o-rwx %s\"",
             what, path, (unsigned)mode, path);
}

void priv_warn_readable_secrets(const struct config *cfg)
{
    warn_if_readable(cfg->web_config_file, "web config (password hashes)");
    warn_if_readable(cfg->delivernow_token_file, "web.delivernow.token_file");
    for (size_t i = 0; i < cfg->n_gateways; i++)
        warn_if_readable(cfg->gateways[i].password_file, "gateway password_file");
}
