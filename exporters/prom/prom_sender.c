/*
 * prom_sender.c - the sender reputation families of /metrics (prom_sender.h): per sending
 * address its FCrDNS verdict and when it was last checked, and per address and DNSBL zone
 * whether it is listed and whether the zone answered an error. Runs on the HTTP thread on
 * an immutable snapshot; zone and address come from the configuration but are escaped
 * like any label value.
 */
#include "prom_sender.h"

#include "promtext.h"

#include <string.h>

/* address="A" or address="A",zone="Z" into l (emptied first). */
static void labels(struct buf *l, const struct sender_address *a, const struct sender_zone *z)
{
    l->len = 0;
    buf_puts(l, "address=\"");
    promtext_label_value_n(l, a->addr, sizeof a->addr);
    buf_puts(l, "\"");
    if (z) {
        buf_puts(l, ",zone=\"");
        promtext_label_value_n(l, z->zone, sizeof z->zone);
        buf_puts(l, "\"");
    }
}

static void sample(struct buf *b, const char *name, const struct buf *l, double v)
{
    promtext_sample(b, name, strlen(name), l->p, l->len, "", 0, v);
}

/* One per-zone family: which(z) gives 0 or 1, or -1 for no sample. */
static void zone_family(struct buf *b, const struct sender_view *v, struct buf *l, const char *name,
                        const char *help, int (*which)(const struct sender_zone *))
{
    promtext_family(b, name, "gauge", help);
    for (size_t i = 0; i < v->n; i++)
        for (size_t k = 0; k < v->a[i].n_zones && k < STORE_ZONES_MAX; k++) {
            int x = which(&v->a[i].zones[k]);
            if (x < 0)
                continue;
            labels(l, &v->a[i], &v->a[i].zones[k]);
            sample(b, name, l, x);
        }
}

static int listed(const struct sender_zone *z)
{
    return z->state == DNSBL_LISTED ? 1 : z->state == DNSBL_CLEAN ? 0 : -1;
}

static int zone_error(const struct sender_zone *z)
{
    return z->state == DNSBL_UNKNOWN ? -1 : z->state == DNSBL_ERROR;
}

void prom_sender_render(const struct snapshot *snap, struct buf *out)
{
    const struct sender_view *v = snap->sender;
    if (!v)
        return;
    struct buf l = {0};
    zone_family(out, v, &l, "mxwatch_sender_listed",
                "Whether the sending address is listed on the DNSBL zone (1 listed, 0 not); "
                "absent while unknown.",
                listed);
    zone_family(out, v, &l, "mxwatch_sender_dnsbl_error",
                "Whether the DNSBL zone answered an error code (127.255.255.0/24) or an answer "
                "outside 127.0.0.0/8 for the sending address; absent while unknown.",
                zone_error);
    promtext_family(out, "mxwatch_sender_fcrdns_ok", "gauge",
                    "Whether the sending address has a PTR name that resolves back to it "
                    "(forward-confirmed reverse DNS); absent while unknown.");
    for (size_t i = 0; i < v->n; i++) {
        if (v->a[i].fcrdns == FCRDNS_UNKNOWN)
            continue;
        labels(&l, &v->a[i], NULL);
        sample(out, "mxwatch_sender_fcrdns_ok", &l, v->a[i].fcrdns == FCRDNS_OK);
    }
    promtext_family(out, "mxwatch_sender_check_timestamp_seconds", "gauge",
                    "When the sending address's reputation was last checked, seconds since 1970.");
    for (size_t i = 0; i < v->n; i++) {
        if (v->a[i].checked_at <= 0)
            continue;
        labels(&l, &v->a[i], NULL);
        sample(out, "mxwatch_sender_check_timestamp_seconds", &l, v->a[i].checked_at);
    }
    buf_free(&l);
}
