/*
 * ui_assets.c - the status page's static files, compiled in: the build turns every file
 * under exporters/web/ui/ into a byte array (xxd -i, see the Makefile) in ui_assets.gen.h, so
 * the binary needs no files, no CDN and no network at run time. Read-only data; the
 * version hashes are computed once (pthread_once), then any thread reads them.
 */
#include "ui.h"

#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ui_assets.gen.h"

static const struct ui_asset assets[] = {
    {"app.js", "text/javascript; charset=utf-8", ui_app_js, sizeof ui_app_js},
    {"style.css", "text/css; charset=utf-8", ui_style_css, sizeof ui_style_css},
    {"favicon.svg", "image/svg+xml", ui_favicon_svg, sizeof ui_favicon_svg},
};

static char versions[MXW_ARRAY_LEN(assets)][17];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

/* FNV-1a: a cache key, not a security measure. */
static void compute_versions(void)
{
    for (size_t i = 0; i < MXW_ARRAY_LEN(assets); i++) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t k = 0; k < assets[i].len; k++)
            h = (h ^ assets[i].data[k]) * 0x100000001b3ULL;
        snprintf(versions[i], sizeof versions[i], "%016llx", (unsigned long long)h);
    }
}

const struct ui_asset *ui_asset_find(const char *name)
{
    for (size_t i = 0; i < MXW_ARRAY_LEN(assets); i++)
        if (!strcmp(assets[i].name, name))
            return &assets[i];
    return NULL;
}

const char *ui_asset_version(const struct ui_asset *a)
{
    pthread_once(&versions_once, compute_versions);
    return versions[a - assets];
}
