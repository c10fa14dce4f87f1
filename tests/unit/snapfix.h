/*
 * snapfix.h - builds state-store snapshots for the exporter tests and the /metrics bench,
 * through the store's writer API exactly as the probe engine and the sources do
 * (store_dest_add, store_dest_set_probe with heap-allocated struct mx_host arrays,
 * store_dest_mta, store_publish). Test-only; single-threaded (it plays the loop thread).
 */
#ifndef MXW_SNAPFIX_H
#define MXW_SNAPFIX_H

#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One probed address with plausible figures; outcome OUT_OK has every phase timed, TLS 1.3
 * and a text of its own, a failure stops at the connect. a is filled afresh: a text it held
 * is not dropped. */
static inline void snapfix_addr(struct mx_addr_result *a, const char *addr, enum mx_outcome out)
{
    memset(a, 0, sizeof *a);
    a->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    mxw_strlcpy(a->addr_str, addr, sizeof a->addr_str);
    a->outcome = out;
    a->connect_s = a->banner_s = a->ehlo_s = a->tls_s = -1;
    a->probed_at = 1800000000.25;
    if (out == OUT_NOT_PROBED)
        return;
    a->connect_s = 0.000412;
    if (out != OUT_OK)
        return;
    a->banner_s = 0.0123;
    a->ehlo_s = 0.0011;
    a->tls_s = 0.0042;
    a->smtp_code = 220;
    a->starttls_offered = a->tls_negotiated = true;
    mxw_strlcpy(a->tls_version, "TLSv1.3", sizeof a->tls_version);
    a->tls_cert_expiry = 1830000000;
    char banner[STORE_BANNER_MAX];
    snprintf(banner, sizeof banner, "220 %s ESMTP ready", addr);
    a->text = store_text_new(banner, "250-mx\n250-PIPELINING\n250 STARTTLS", "");
}

/* Gives a other texts (its old ones are dropped). */
static inline void snapfix_text(struct mx_addr_result *a, const char *banner, const char *ehlo)
{
    store_text_unref(a->text);
    a->text = store_text_new(banner, ehlo, "");
}

/* A transcript that is all the destination's own text s: one reference, the caller's (for
 * store_dest_set_transcript). */
static inline const struct store_transcript *snapfix_transcript(const char *s)
{
    struct store_transcript_builder b = {.max = SIZE_MAX};
    store_tb_own(&b, s, strlen(s));
    return store_tb_finish(&b);
}

/* A heap MX host with n addresses "base.1", "base.2", ... (IPv4 192.0.2.x style text when
 * base is NULL), all with the given outcome. Ownership goes to store_dest_set_probe. */
static inline void snapfix_host(struct mx_host *h, const char *name, unsigned pref, size_t n,
                                enum mx_outcome out)
{
    memset(h, 0, sizeof *h);
    store_host_set_name(h, name);
    h->preference = pref;
    h->ttl = 300;
    h->n_addrs = n;
    h->addrs = calloc(n ? n : 1, sizeof *h->addrs);
    for (size_t i = 0; i < n; i++) {
        char a[STORE_ADDR_STR_MAX];
        snprintf(a, sizeof a, "192.0.2.%zu", (pref + i) % 250 + 1);
        snapfix_addr(&h->addrs[i], a, out);
    }
}

/* Records one probe of d with n_hosts hosts "mxK.<domain>" of addrs_each addresses. */
static inline void snapfix_probe(struct dest *d, size_t n_hosts, size_t addrs_each,
                                 enum mx_outcome out)
{
    struct mx_host *hosts = calloc(n_hosts ? n_hosts : 1, sizeof *hosts);
    for (size_t i = 0; i < n_hosts; i++) {
        char name[STORE_DOMAIN_MAX];
        snprintf(name, sizeof name, "mx%zu.%.200s", i + 1, store_dest_domain(d));
        snapfix_host(&hosts[i], name, (unsigned)(10 * (i + 1)), addrs_each, out);
    }
    enum dest_status o, n;
    enum dest_reason reason = out == OUT_OK ? REASON_OK : REASON_ALL_FAILED;
    store_dest_set_probe(d, hosts, n_hosts, 0.0031, 300, reason, out, 1, &o, &n);
}

/* Fills MTA figures with distinct small numbers derived from seed. */
static inline void snapfix_mta(struct dest *d, uint64_t seed)
{
    struct mta_figures *m = store_dest_mta(d);
    m->present = true;
    m->active = seed + 1;
    m->unattempted = seed + 2;
    m->attempted = seed + 3;
    m->conn_current = seed + 4;
    m->conn_pending = seed + 5;
    m->delivered = seed + 6;
    m->completed = seed + 7;
    m->soft_bounce = seed + 8;
    m->deleted = seed + 9;
    m->hard_dns = seed + 10;
    m->hard_5xx = seed + 11;
    m->hard_filter = seed + 12;
    m->hard_expired = seed + 13;
    m->hard_other = seed + 14;
    m->oldest_age_s = (double)seed + 15.5;
    static const double le[] = {1, 5, 60}; /* delays 0.5, 3 and 7000 s: 1, 2, 2, 3 */
    store_mta_observe_delay(m, le, 3, 0.5);
    store_mta_observe_delay(m, le, 3, 3);
    store_mta_observe_delay(m, le, 3, 7000);
}

/* Registers a source status so the agent figures say an MTA source is configured. */
static inline void snapfix_source(const char *name, bool up)
{
    struct agent_figures *ag = store_agent();
    struct source_status *s = &ag->sources[ag->n_sources++];
    memset(s, 0, sizeof *s);
    mxw_strlcpy(s->name, name, sizeof s->name);
    s->up = up;
    s->last_duration_s = 0.002;
    s->per_destination = strcmp(name, "gateway") != 0;
}

/* A small world for the fuzz targets that read a snapshot: the store started, five
 * destinations (up, down, never probed; one with two MX hosts of two addresses, one with a
 * 96-octet name) with MTA figures, published once. Returns the snapshot (never released). */
static inline const struct snapshot *snapfix_world(void)
{
    static const char *const names[] = {"example.com", "b.io", "down.test", "new.test"};
    store_init();
    for (size_t i = 0; i < 4; i++) {
        struct dest *d = store_dest_add(names[i], ORIGIN_CONFIG);
        if (i < 3)
            snapfix_probe(d, i == 0 ? 2 : 1, i == 0 ? 2 : 1, i == 2 ? OUT_REFUSED : OUT_OK);
        snapfix_mta(d, 10 * i);
    }
    char longest[97];
    memset(longest, 'a', 96);
    longest[92] = '.';
    longest[96] = '\0';
    snapfix_probe(store_dest_add(longest, ORIGIN_DISCOVERED), 1, 1, OUT_OK);
    snapfix_source("postfix_queue", true);
    store_publish();
    return store_snapshot_acquire();
}

#endif
