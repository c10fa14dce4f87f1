/*
 * prom_sender.h - the sender reputation families of /metrics (docs/METRICS.md, "Sender
 * reputation"), called by prom_render. Pure: reads a snapshot, writes a buffer; any thread.
 */
#ifndef MXW_PROM_SENDER_H
#define MXW_PROM_SENDER_H

#include "buf.h"
#include "store.h"

/* Appends the mxwatch_sender_* families of snap's sender view to out (nothing when no
 * sending address is checked). A state the agent could not learn (its own DNS trouble, or
 * not checked yet) has no sample: never a 0 or a 1 that would read as known. O(addresses x
 * zones). */
void prom_sender_render(const struct snapshot *snap, struct buf *out);

#endif
