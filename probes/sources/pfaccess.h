/*
 * pfaccess.h - at start-up, whether this process (after any drop of privileges) may read
 * what the Postfix sources read: the mail log (sources.postfix.log_file) and the queue,
 * which `postqueue` reaches through the queue directory's public/ folder, open only to
 * Postfix's setgid group (postdrop). Called by the daemon once, before the sources start, so
 * that a missing group stops the agent with a message naming that group instead of a
 * source failing later with a generic error. Main thread; reads metadata and main.cf
 * only, starts no process, never logs.
 */
#ifndef MXW_PFACCESS_H
#define MXW_PFACCESS_H

#include "config.h"

#include <stddef.h>

#define PFACCESS_MAINCF_LINE_MAX 4096 /* longer main.cf lines are skipped */

/* 0 when every enabled Postfix input is readable (or absent: a log not written yet, no
 * Postfix installed are no permission problem); -1 with err naming the input, the path
 * that refuses and the group that would grant access. */
int pfaccess_check(const struct config *cfg, char *err, size_t errlen);

/* The queue_directory of main.cf in config_dir, into out: its value, Postfix's default
 * when main.cf does not set it. 0, 1 when it cannot be known without Postfix's own
 * expansion (a $name in the value, no main.cf), or -1 when out is too small. */
int pfaccess_queue_directory(const char *config_dir, char *out, size_t cap);

#endif
