/*
 * gwstatus.c - freeing and searching a gateway status (gwstatus.h). Pure, any thread.
 */
#include "gwstatus.h"

#include <stdlib.h>
#include <string.h>

void gw_status_free(struct gw_status *st)
{
    free(st->counters);
    free(st->rates);
    free(st->gauges);
    free(st->features);
    memset(st, 0, sizeof *st);
}

const void *gw_find_item(const void *items, size_t n, size_t size, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *it = (const char *)items + i * size;
        if (strcmp(it, name) == 0)
            return it;
    }
    return NULL;
}

const struct gw_counter *gw_find_counter(const struct gw_status *st, const char *name)
{
    return gw_find_item(st->counters, st->ncounters, sizeof *st->counters, name);
}

const struct gw_rate *gw_find_rate(const struct gw_status *st, const char *name)
{
    return gw_find_item(st->rates, st->nrates, sizeof *st->rates, name);
}

const struct gw_gauge *gw_find_gauge(const struct gw_status *st, const char *name)
{
    return gw_find_item(st->gauges, st->ngauges, sizeof *st->gauges, name);
}

const struct gw_feature *gw_find_feature(const struct gw_status *st, const char *name)
{
    return gw_find_item(st->features, st->nfeatures, sizeof *st->features, name);
}
