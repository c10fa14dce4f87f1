/*
 * prom_gateway.h - the gateway appliances' families of /metrics (docs/GATEWAYS.md), called
 * by prom_render. Pure: reads a snapshot, writes a buffer; any thread.
 */
#ifndef MXW_PROM_GATEWAY_H
#define MXW_PROM_GATEWAY_H

#include "buf.h"
#include "store.h"

/* Appends the mxwatch_gateway_* families of snap's gateways to out, which holds the rest
 * of the exposition already. The figures that also have a destination-style family
 * (mxwatch_active_recipients, ...) go into that family with an appliance label: into its
 * group in out when out has it (the text format wants one group per family), at the end
 * otherwise. Figures of an appliance whose latest poll failed are left out. Cost
 * O(gateways x items + bytes of out). */
void prom_gateway_render(const struct snapshot *snap, struct buf *out);

#endif
