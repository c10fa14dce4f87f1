/*
 * pfaccess.c - start-up check that the Postfix inputs are readable by this process
 * (pfaccess.h). Main thread, once, before the sources start.
 *
 * The queue: postqueue is set-group-ID postdrop, and with that group it enters
 * QUEUE_DIRECTORY/public (mode 2710, group postdrop) to ask showq. Under no_new_privs
 * (systemd's NoNewPrivileges=, implied by SystemCallFilter=) the set-group-ID bit does
 * nothing, so the agent's own user must be in that group. The check follows the same rule:
 * public/ refusing the agent is a fault only when postqueue's set-group-ID would not stand
 * in for it.
 */
#include "pfaccess.h"

#include "fsperm.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define POSTFIX_DEFAULT_QUEUE_DIR "/var/spool/postfix" /* Debian's build of Postfix */

/* "name = value" on one main.cf line: the value (trimmed, in place), or NULL. */
static char *assignment(char *line, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0)
        return NULL;
    char *p = line + n;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strlen(p);
    while (len && isspace((unsigned char)p[len - 1]))
        p[--len] = '\0';
    return p;
}

int pfaccess_queue_directory(const char *config_dir, char *out, size_t cap)
{
    char path[FSPERM_PATH_MAX], line[PFACCESS_MAINCF_LINE_MAX];
    snprintf(path, sizeof path, "%s/main.cf", config_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    char value[FSPERM_PATH_MAX] = POSTFIX_DEFAULT_QUEUE_DIR;
    bool skipping = false; /* inside a line longer than the buffer */
    while (fgets(line, sizeof line, f)) {
        bool whole = strchr(line, '\n') || feof(f);
        const char *v = skipping ? NULL : assignment(line, "queue_directory");
        skipping = !whole;
        if (v && whole) /* the last assignment wins, as in Postfix */
            mxw_strlcpy(value, v, sizeof value);
    }
    fclose(f);
    if (strchr(value, '$') || value[0] != '/')
        return 1;
    return mxw_strlcpy(out, value, cap) < cap ? 0 : -1;
}

/* Whether running postqueue gives this process gid anyway (its set-group-ID bit). */
static bool setgid_grants(const char *postqueue, gid_t gid)
{
    struct stat st;
    if (stat(postqueue, &st) < 0 || !(st.st_mode & S_ISGID) || st.st_gid != gid)
        return false;
    return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1;
}

static int check_queue(const struct config *cfg, char *err, size_t errlen)
{
    const char *confdir = cfg->postfix_config_dir ? cfg->postfix_config_dir : "/etc/postfix";
    const char *postqueue = cfg->postfix_queue_command;
    char qdir[FSPERM_PATH_MAX - 16], public[FSPERM_PATH_MAX];
    if (pfaccess_queue_directory(confdir, qdir, sizeof qdir) != 0)
        return 0; /* unknown here: postqueue will say what it finds */
    snprintf(public, sizeof public, "%s/public", qdir);
    struct fsperm_denial d;
    if (fsperm_check(public, X_OK, &d) != FSPERM_DENIED || setgid_grants(postqueue, d.gid))
        return 0;
    char why[1024];
    fsperm_describe(&d, why, sizeof why);
    bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
    snprintf(err, errlen, "cannot read the Postfix queue (%s -c %s -j): %s%s", postqueue, confdir,
             why,
             nnp ? " (postqueue's set-group-ID bit does not apply under no_new_privs, as with "
                   "systemd's NoNewPrivileges=)"
                 : "");
    return -1;
}

static int check_log(const char *log_file, char *err, size_t errlen)
{
    struct fsperm_denial d;
    if (fsperm_check(log_file, R_OK, &d) != FSPERM_DENIED)
        return 0; /* readable, or not there yet: the source waits for it */
    char why[1024];
    fsperm_describe(&d, why, sizeof why);
    snprintf(err, errlen, "cannot read the mail log: %s", why);
    return -1;
}

int pfaccess_check(const struct config *cfg, char *err, size_t errlen)
{
    if (!cfg->postfix_enabled)
        return 0;
    if (cfg->postfix_log_file && cfg->postfix_log_file[0] &&
        check_log(cfg->postfix_log_file, err, errlen) < 0)
        return -1;
    if (cfg->postfix_queue_command && cfg->postfix_queue_command[0] &&
        check_queue(cfg, err, errlen) < 0)
        return -1;
    return 0;
}
