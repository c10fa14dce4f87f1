/*
 * prom_txn.c - the transaction probe families of /metrics (prom_txn.h). A destination's
 * last transaction: whether it succeeded, when it ran, and per phase its duration and reply
 * code, the phase a label (its values are the fixed names of txn_phase_name). The reply's
 * text is a stranger's and unbounded in variety: it goes to the JSON API and hoststatus,
 * never into a label. Runs on the HTTP thread on an immutable snapshot.
 */
#include "prom_txn.h"

#include "promtext.h"
#include "txn.h"

#include <string.h>

/* destination="D" (and ,phase="P" when phase >= 0) into l, emptied first. */
static void labels(struct buf *l, const struct dest_view *d, int phase)
{
    l->len = 0;
    buf_puts(l, "destination=\"");
    promtext_label_value_n(l, d->domain, STORE_DOMAIN_MAX);
    buf_puts(l, "\"");
    if (phase >= 0)
        buf_printf(l, ",phase=\"%s\"", txn_phase_name((enum txn_phase)phase));
}

static void sample(struct buf *b, const char *name, const struct buf *l, double v)
{
    promtext_sample(b, name, strlen(name), l->p, l->len, "", 0, v);
}

/* One family over every destination with a result: per destination (per_phase false) or per
 * phase reached, value(t, phase) < 0 meaning no sample. */
static void family(struct buf *out, const struct snapshot *s, struct buf *l, const char *name,
                   const char *help, bool per_phase,
                   double (*value)(const struct store_txn *t, int phase))
{
    promtext_family(out, name, "gauge", help);
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = store_snapshot_dest(s, i);
        if (!d->txn)
            continue;
        for (int p = per_phase ? 0 : -1; p < (per_phase ? TXN__PHASES : 0); p++) {
            double v = value(d->txn, p);
            if (v < 0)
                continue;
            labels(l, d, p);
            sample(out, name, l, v);
        }
    }
}

static double success(const struct store_txn *t, int p)
{
    (void)p;
    return t->r.success;
}

static double when(const struct store_txn *t, int p)
{
    (void)p;
    return t->r.at;
}

static double seconds(const struct store_txn *t, int p)
{
    const struct txn_step *s = &t->r.step[p];
    return s->reached && s->s >= 0 ? s->s : -1;
}

static double code(const struct store_txn *t, int p)
{
    const struct txn_step *s = &t->r.step[p];
    return s->reached && s->code > 0 ? s->code : -1;
}

void prom_txn_render(const struct snapshot *snap, struct buf *out)
{
    size_t i = 0;
    while (i < snap->n && !store_snapshot_dest(snap, i)->txn)
        i++;
    if (i == snap->n)
        return; /* no transaction probe has run: no families */
    struct buf l = {0};
    family(out, snap, &l, "mxwatch_transaction_success",
           "Whether the destination's last transaction probe went through every phase of its "
           "mode (1) or not (0).",
           false, success);
    family(out, snap, &l, "mxwatch_transaction_last_timestamp_seconds",
           "When the destination's last transaction probe started, seconds since 1970.", false,
           when);
    family(out, snap, &l, "mxwatch_transaction_phase_seconds",
           "Duration of each phase the destination's last transaction probe reached (connect, "
           "greeting, ehlo, starttls, tls, tls_ehlo, mail, rcpt, data, body, rset, quit).",
           true, seconds);
    family(out, snap, &l, "mxwatch_transaction_reply_code",
           "The SMTP reply code of each phase of the destination's last transaction probe that "
           "got a reply; the text is in the JSON API and hoststatus.",
           true, code);
    buf_free(&l);
}
