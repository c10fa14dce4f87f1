/*
 * prom_txn.h - the transaction probe families of /metrics (docs/METRICS.md, "Transaction
 * probes"), called by prom_render. Pure: reads a snapshot, writes a buffer; any thread.
 */
#ifndef MXW_PROM_TXN_H
#define MXW_PROM_TXN_H

#include "buf.h"
#include "store.h"

/* Appends the mxwatch_transaction_* families for the destinations of snap whose transaction
 * probe has run (nothing at all when none has): success, when it ran, and per phase reached
 * its duration and reply code. O(destinations) to find them, O(phases) each. */
void prom_txn_render(const struct snapshot *snap, struct buf *out);

#endif
