/*
 * sources.h - the registry of the sources of MTA figures (source.h is the interface each
 * implements): starts the enabled ones, runs each on its own timer, reloads and stops
 * them. The daemon's only way in. Loop thread.
 */
#ifndef MXW_SOURCES_H
#define MXW_SOURCES_H

#include "config.h"
#include "source.h"

int sources_start(const struct source_env *env, const struct config *cfg, char *err, size_t errlen);
void sources_reload(const struct config *cfg);
void sources_stop(void);

#endif
