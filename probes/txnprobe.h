/*
 * txnprobe.h - one destination's transaction probe (issue 16) in the daemon: on its own
 * timer every `every` (destinations[].transaction), resolve the MX as the banner probe does,
 * then one SMTP transaction (smtp_transaction) with the most preferred address, the next
 * one when that one cannot be connected to; the result goes into the store
 * (store_dest_set_transaction), which lets it vote on the status. At most one in flight per
 * destination. Owned by the probe engine (engine.c), beside the destination's target; loop
 * thread only; never logs but at debug level.
 */
#ifndef MXW_TXNPROBE_H
#define MXW_TXNPROBE_H

#include "config.h"
#include "loop.h"

struct dns;
struct smtp;

/* What every transaction probe runs on: the engine's, updated in place by the engine when a
 * reload replaces the resolver or the configuration (the probes read it at each start). */
struct txnprobe_env {
    struct loop *loop;
    struct dns *dns;
    struct smtp *smtp;
    const struct config *cfg;
};

struct txnprobe;
/* A probe for domain with these parameters; domain, params and c must stay valid until
 * txnprobe_update or txnprobe_free (the engine's target holds the first two, the
 * configuration the last). The first transaction runs within seconds (a stable spread per
 * domain), later ones at a stable phase of every. */
struct txnprobe *txnprobe_new(const struct txnprobe_env *env, const char *domain,
                              const struct probe_params *params, const struct txn_config *c);
/* A reload: the new configuration entry (c->mode not none). A changed transaction ends the
 * one in flight and starts again on the new schedule; the same one runs on. */
void txnprobe_update(struct txnprobe *t, const struct txn_config *c);
/* The resolver is about to be replaced: a lookup in flight ends (it runs again at the next
 * turn); a running SMTP session is not concerned. */
void txnprobe_drop_dns(struct txnprobe *t);
/* Ends whatever is in flight (no result is stored) and frees t (NULL is fine). */
void txnprobe_free(struct txnprobe *t);

/* Whether two entries describe the same transaction (mode, envelope, every, size). Pure. */
bool txnprobe_same(const struct txn_config *a, const struct txn_config *b);

#endif
