/*
 * privileges.h - least privilege for `mxwatch run`: refuse root unless told, drop to an
 * unprivileged user once the listener is bound, and say which secret files every user
 * can read. Called by the daemon (daemon.c) on the main thread, before any other thread
 * exists, so that the change of ids applies to the whole process.
 */
#ifndef MXW_PRIVILEGES_H
#define MXW_PRIVILEGES_H

#include "cli.h"

#include <stddef.h>

/* Before anything is read or bound: 0 when the process may go on (not root; root with
 * --run-as-root; root with a --user that exists and is not root), -1 with err. */
int priv_check_root(const struct cli_flags *f, char *err, size_t errlen);

/* Becomes user name for good: its supplementary groups (initgroups), its group, then its
 * user id, in that order (each step needs the privilege the next one gives up), and checks
 * that root cannot be regained. 0, or -1 with err. */
int priv_drop(const char *name, char *err, size_t errlen);

/* Logs a warning for each file of cfg holding a secret (the web config with its password
 * hashes, the delivernow token, the gateways' passwords) that every user may read. */
void priv_warn_readable_secrets(const struct config *cfg);

#endif
