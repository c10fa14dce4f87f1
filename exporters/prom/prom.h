/*
 * prom.h - renders a snapshot as Prometheus text exposition format 0.0.4. Pure: reads the
 * snapshot, writes a buffer; any thread (the HTTP thread in the agent, unit tests, bench).
 */
#ifndef MXW_PROM_H
#define MXW_PROM_H

#include "buf.h"
#include "store.h"

/* Appends the whole exposition for snap to out. Cost O(destinations + addresses). */
void prom_render(const struct snapshot *snap, struct buf *out);
/* The probe counts of d by result name, non-zero ones only: slots of d->probes whose
 * names coincide (an address outcome and a destination reason may share one, such as
 * "local_error") are summed into the first. Fills slots (names: store_result_name(slot))
 * and counts, each PROM_RESULTS_MAX long, and returns how many. */
#define PROM_RESULTS_MAX (OUT__COUNT + REASON__COUNT)
size_t prom_probe_results(const struct dest_view *d, size_t *slots, uint64_t *counts);

#endif
