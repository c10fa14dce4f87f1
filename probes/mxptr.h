/*
 * mxptr.h - the PTR name of each MX address, as telnet shows it ("Connected to
 * cb-in-f26.1e100.net"): one reverse lookup per distinct address per TTL, whatever the
 * number of destinations behind it, never waited for. The engine owns it; a probe asks
 * for a name as each SMTP check ends and gets what is known (a lookup starts when nothing
 * is, or it expired: the name shows from the next probe on). Loop thread only; never logs.
 */
#ifndef MXW_MXPTR_H
#define MXW_MXPTR_H

#include "dns.h"
#include "store.h"

struct mxptr;

struct mxptr *mxptr_new(struct dns *dns);
/* Stops the lookups in flight (dns is about to be freed, or replaced by fresh); names stay. */
void mxptr_set_dns(struct mxptr *m, struct dns *fresh);
void mxptr_free(struct mxptr *m);

/* A reference to the PTR name of addr ("" when it has none), or NULL when not known yet. */
const struct store_name *mxptr_get(struct mxptr *m, const char *addr);

/* Addresses known now (for the self metrics and tests). */
size_t mxptr_count(const struct mxptr *m);

#endif
