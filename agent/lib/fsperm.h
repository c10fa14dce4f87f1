/*
 * fsperm.h - why this process may not read a file, in terms an operator can act on: the
 * first component of the path that refuses access, its owner, group and mode, and whether
 * joining that group would be enough. Also whether a file is readable by every user (for
 * files holding secrets). Any thread; reads the file system only (stat, faccessat), never
 * opens the file, never logs.
 */
#ifndef MXW_FSPERM_H
#define MXW_FSPERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FSPERM_PATH_MAX 4096

/* The component of a path that refused access to this process's effective ids. */
struct fsperm_denial {
    char path[FSPERM_PATH_MAX]; /* the path itself or one of its directories */
    bool is_dir;                /* a directory: search (x) is what is missing */
    uid_t uid;                  /* its owner */
    gid_t gid;                  /* its group */
    mode_t mode;                /* its permission bits (07777) */
    bool group_grants;          /* a member of gid would get the access that is missing */
};

enum fsperm_result {
    FSPERM_OK = 0,      /* readable (or, for X_OK, searchable) */
    FSPERM_MISSING = 1, /* the path or a directory on it does not exist */
    FSPERM_DENIED = -1, /* a component refused: d filled */
    FSPERM_ERROR = -2,  /* anything else (errno set) */
};

/* Whether this process (effective uid and groups) may reach path and access it with want
 * (R_OK or X_OK), walking each directory on the way first, so that the denial names the
 * component that refuses and not only the file. */
enum fsperm_result fsperm_check(const char *path, int want, struct fsperm_denial *d);

/* One sentence for an operator: "FILE is readable by group adm (owner root, mode 0640),
 * and user mxwatch is not in it: add it (usermod -a -G adm mxwatch)", or, when no group
 * would help, who alone may. Never empty. */
void fsperm_describe(const struct fsperm_denial *d, char *out, size_t cap);

/* Whether path exists and every user may read it (the "other" read bit); its mode in
 * *mode when it does. A file that cannot be stat'ed is not reported. */
bool fsperm_world_readable(const char *path, mode_t *mode);

#endif
