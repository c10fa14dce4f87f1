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
/* Appends s as a label value: backslash, double quote and newline escaped. */
void prom_label_value(struct buf *out, const char *s);

#endif
