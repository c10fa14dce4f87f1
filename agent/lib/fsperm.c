/*
 * fsperm.c - why this process may not read a file (fsperm.h). Called at start-up by the
 * daemon and the sources' access check; any thread. Reads only metadata: faccessat with
 * the effective ids (what open() would use) and stat for the owner, group and mode.
 */
#include "fsperm.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_BUF 1024 /* getpwuid_r / getgrgid_r scratch: a name and a short member list */

static void fill_denial(const char *path, int want, struct fsperm_denial *d)
{
    struct stat st;
    memset(d, 0, sizeof *d);
    mxw_strlcpy(d->path, path, sizeof d->path);
    if (stat(path, &st) < 0)
        return;
    d->is_dir = S_ISDIR(st.st_mode);
    d->uid = st.st_uid;
    d->gid = st.st_gid;
    d->mode = st.st_mode & 07777;
    mode_t grp = want == X_OK ? S_IXGRP : S_IRGRP;
    d->group_grants = (d->mode & grp) && st.st_uid != geteuid();
}

/* One step of the walk: the access of path with want, as a result. */
static enum fsperm_result probe(const char *path, int want, struct fsperm_denial *d)
{
    if (faccessat(AT_FDCWD, path, want, AT_EACCESS) == 0)
        return FSPERM_OK;
    if (errno == ENOENT || errno == ENOTDIR)
        return FSPERM_MISSING;
    if (errno != EACCES)
        return FSPERM_ERROR;
    fill_denial(path, want, d);
    return FSPERM_DENIED;
}

enum fsperm_result fsperm_check(const char *path, int want, struct fsperm_denial *d)
{
    char prefix[FSPERM_PATH_MAX];
    if (mxw_strlcpy(prefix, path, sizeof prefix) >= sizeof prefix) {
        errno = ENAMETOOLONG;
        return FSPERM_ERROR;
    }
    /* Each directory on the way, from the top: "/var", "/var/log", then the file. */
    for (char *slash = strchr(prefix + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        enum fsperm_result r = probe(prefix, X_OK, d);
        *slash = '/';
        if (r != FSPERM_OK)
            return r;
    }
    return probe(path, want, d);
}

static void user_name(uid_t uid, char *out, size_t cap)
{
    struct passwd pw, *res = NULL;
    char buf[NAME_BUF];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
        mxw_strlcpy(out, pw.pw_name, cap);
    else
        snprintf(out, cap, "uid %u", (unsigned)uid);
}

static void group_name(gid_t gid, char *out, size_t cap)
{
    struct group gr, *res = NULL;
    char buf[NAME_BUF];
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res)
        mxw_strlcpy(out, gr.gr_name, cap);
    else
        snprintf(out, cap, "gid %u", (unsigned)gid);
}

void fsperm_describe(const struct fsperm_denial *d, char *out, size_t cap)
{
    char me[64], owner[64], group[64];
    user_name(geteuid(), me, sizeof me);
    user_name(d->uid, owner, sizeof owner);
    group_name(d->gid, group, sizeof group);
    const char *what = d->is_dir ? "directory" : "file";
    /* Reading a directory here means entering it: what the search (x) bit allows. */
    const char *access = d->is_dir ? "searchable" : "readable";
    if (d->group_grants)
        snprintf(out, cap,
                 "the %s %s is %s by group %s (owner %s, mode %04o) and user %s is not in "
                 "group %s: add it (usermod -a -G %s %s) and start again",
                 what, d->path, access, group, owner, (unsigned)d->mode, me, group, group, me);
    else
        snprintf(out, cap,
                 "the %s %s (owner %s, group %s, mode %04o) is not %s by user %s, and no group "
                 "would make it so: change its mode or run as its owner",
                 what, d->path, owner, group, (unsigned)d->mode, access, me);
}

bool fsperm_world_readable(const char *path, mode_t *mode)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return false;
    *mode = st.st_mode & 07777;
    return (st.st_mode & S_IROTH) != 0;
}
