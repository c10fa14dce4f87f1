/*
 * agentx_mib.c - what the subagent serves: the tables of MXWATCH-MIB (mibs/MXWATCH-MIB.txt,
 * OIDs from mxw_mib.h), the MTA-MIB (RFC 2789, mib-2 28: one mtaGroupTable row per
 * destination, its outbound errors by enhanced status code, and the mtaTable totals) and the
 * one applTable row (RFC 2788, mib-2 27) those rows hang from. For each table: how a
 * snapshot's destinations become rows (the index encoding) and the value of each column.
 *
 * SNMP thread only. Pure: reads one snapshot, calls no net-snmp function, never logs.
 */
#include "agentx_int.h"
#include "mxw_mib.h"
#include "util.h"

#include <math.h>
#include <string.h>
#include <sys/socket.h>

#define OIDLEN(...) (sizeof((oid[]){__VA_ARGS__}) / sizeof(oid))

/* MTA-MIB and NETWORK-SERVICES-MIB, by number (Debian ships neither module). */
#define MIB2_APPL_TABLE     1, 3, 6, 1, 2, 1, 27, 1
#define MIB2_APPL_ENTRY     MIB2_APPL_TABLE, 1
#define MIB2_APPL_TCP_PROTO 1, 3, 6, 1, 2, 1, 27, 4
#define MIB2_MTA            1, 3, 6, 1, 2, 1, 28
#define MIB2_MTA_ENTRY      MIB2_MTA, 1, 1
#define MIB2_MTA_GROUP      MIB2_MTA, 2, 1
#define MIB2_MTA_ERROR      MIB2_MTA, 5, 1
#define AX_APPL_INDEX       1 /* the one application row: the MTA mxwatch watches */
#define SMTP_PORT           25
#define TIME_INTERVAL_MAX   2147483647L /* SNMPv2-TC TimeInterval, hundredths of a second */

enum {
    APPL_NAME = 2,
    APPL_VERSION = 4,
    APPL_UPTIME = 5,
    APPL_OPER_STATUS = 6,
    APPL_LAST_CHANGE = 7,
    APPL_OUTBOUND_ASSOC = 9,
    APPL_FAILED_OUTBOUND = 15,
    APPL_DESCRIPTION = 16
};
enum { MTA_STORED_RECIPIENTS = 8, MTA_TRANSMITTED_RECIPIENTS = 9 };
enum {
    GRP_STORED_RECIPIENTS = 10,
    GRP_TRANSMITTED_RECIPIENTS = 11,
    GRP_OLDEST_STORED = 12,
    GRP_OUTBOUND_ASSOC = 14,
    GRP_FAILED_OUTBOUND = 20,
    GRP_OUTBOUND_FAILURE_REASON = 22,
    GRP_MAIL_PROTOCOL = 24,
    GRP_NAME = 25
};
enum { ERR_OUTBOUND_COUNT = 3 };

/* ---- values ---- */

static int v_num(struct ax_value *o, u_char type, long n)
{
    o->type = type;
    o->num = n;
    o->ptr = &o->num;
    o->len = sizeof o->num;
    return 0;
}

static int v_u32(struct ax_value *o, u_char type, uint64_t n)
{
    return v_num(o, type, (long)(n > UINT32_MAX ? UINT32_MAX : n));
}

/* Counter32 columns of MTA-MIB wrap, as a 32-bit counter does. */
static int v_c32(struct ax_value *o, uint64_t n)
{
    return v_num(o, ASN_COUNTER, (long)(n & 0xffffffffu));
}

static int v_c64(struct ax_value *o, uint64_t n)
{
    o->type = ASN_COUNTER64;
    o->c64.high = (u_long)(n >> 32);
    o->c64.low = (u_long)(n & 0xffffffffu);
    o->ptr = &o->c64;
    o->len = sizeof o->c64;
    return 0;
}

/* A non-negative real scaled to an unsigned 32-bit integer (seconds to ms, ...). */
static int v_scaled(struct ax_value *o, u_char type, double x, double scale)
{
    double y = x > 0 ? round(x * scale) : 0;
    return v_u32(o, type, y >= (double)UINT32_MAX ? UINT32_MAX : (uint64_t)y);
}

static int v_str(struct ax_value *o, const char *s)
{
    size_t n = strlen(s);
    if (n > AX_STRING_MAX)
        n = AX_STRING_MAX;
    memcpy(o->buf, s, n);
    o->buf[n] = '\0';
    o->type = ASN_OCTET_STR;
    o->ptr = o->buf;
    o->len = n;
    return 0;
}

static int v_line(struct ax_value *o, const char *s)
{
    o->type = ASN_OCTET_STR;
    o->len = ax_display_line(s, o->buf);
    o->ptr = o->buf;
    return 0;
}

static int v_truth(struct ax_value *o, bool b)
{
    return v_num(o, ASN_INTEGER, b ? 1 : 2); /* SNMPv2-TC TruthValue */
}

size_t ax_display_line(const char *s, char *out)
{
    size_t n = 0;
    for (; s[n] && s[n] != '\r' && s[n] != '\n' && n < AX_STRING_MAX; n++) {
        unsigned char c = (unsigned char)s[n];
        out[n] = (char)(c < 0x20 || c > 0x7e ? '?' : c);
    }
    out[n] = '\0';
    return n;
}

const char *ax_dest_reason(const struct dest_view *d)
{
    return store_dest_reason_text(d); /* the same token as /metrics' reason label */
}

/* ---- the agent scalars ---- */

static int scalar_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                      struct ax_value *o)
{
    (void)r;
    const struct agent_figures *a = &v->snap->agent;
    size_t up = 0;
    switch (col) {
    case MXW_AGENT_DESTINATIONS: return v_u32(o, ASN_GAUGE, v->snap->n);
    case MXW_AGENT_PROBES_IN_FLIGHT:
        return v_u32(o, ASN_GAUGE, (uint64_t)a->dns_in_flight + a->smtp_in_flight);
    case MXW_AGENT_LOOP_LAG: return v_scaled(o, ASN_GAUGE, a->loop_lag_s, 1e6);
    case MXW_AGENT_SOURCES_UP:
        for (size_t i = 0; i < a->n_sources && i < STORE_SOURCES_MAX; i++)
            up += a->sources[i].up;
        return v_u32(o, ASN_GAUGE, up);
    case MXW_AGENT_SOURCES_CONFIGURED: return v_u32(o, ASN_GAUGE, a->n_sources);
    case MXW_AGENT_VERSION: return v_str(o, MXW_VERSION " (" MXW_REVISION ")");
    default: return -1;
    }
}

/* ---- mxwDestinationTable ---- */

size_t ax_dest_index(const char *domain, oid *idx)
{
    size_t n = strlen(domain);
    if (n == 0 || n > MXW_MIB_DEST_NAME_MAX)
        return 0;
    idx[0] = n;
    for (size_t i = 0; i < n; i++)
        idx[i + 1] = (unsigned char)domain[i];
    return n + 1;
}

static long status_value(enum dest_status s)
{
    return s == DEST_UP ? 1 : s == DEST_DOWN ? 2 : 3;
}

/* The address results of a destination in MX order, one at a time: *h and *a start at 0. */
static const struct mx_addr_result *addr_next(const struct dest_view *d, size_t *h, size_t *a)
{
    while (*h < d->n_hosts) {
        if (*a < d->hosts[*h].n_addrs)
            return &d->hosts[*h].addrs[(*a)++];
        (*h)++;
        *a = 0;
    }
    return NULL;
}

/* mxwDestBannerTime: connect plus banner time of the first address (in MX order) that sent
 * a 220 banner in the latest probe. */
static double dest_banner_time(const struct dest_view *d)
{
    size_t h = 0, i = 0;
    for (const struct mx_addr_result *a; (a = addr_next(d, &h, &i));)
        if (a->smtp_code == 220 && a->banner_s >= 0)
            return (a->connect_s > 0 ? a->connect_s : 0) + a->banner_s;
    return 0;
}

/* mxwDestLastBanner: the most recently received banner or error reply. */
static const char *dest_last_banner(const struct dest_view *d)
{
    const struct mx_addr_result *best = NULL;
    size_t h = 0, i = 0;
    for (const struct mx_addr_result *a; (a = addr_next(d, &h, &i));)
        if (store_addr_banner(a)[0] && (!best || a->probed_at > best->probed_at))
            best = a;
    return best ? store_addr_banner(best) : "";
}

/* mxwDestTlsCertExpiry: the certificate of the first address that offered STARTTLS. */
static double dest_cert_expiry(const struct dest_view *d)
{
    size_t h = 0, i = 0;
    for (const struct mx_addr_result *a; (a = addr_next(d, &h, &i));)
        if (a->starttls_offered)
            return a->tls_cert_expiry;
    return 0;
}

static int dest_get_mta(const struct mta_figures *m, unsigned col, struct ax_value *o)
{
    switch (col) {
    case MXW_DEST_ACTIVE_RECIPIENTS: return v_u32(o, ASN_GAUGE, m->active);
    case MXW_DEST_UNATTEMPTED_RECIPIENTS: return v_u32(o, ASN_GAUGE, m->unattempted);
    case MXW_DEST_ATTEMPTED_RECIPIENTS: return v_u32(o, ASN_GAUGE, m->attempted);
    case MXW_DEST_CONNECTIONS_CURRENT: return v_u32(o, ASN_GAUGE, m->conn_current);
    case MXW_DEST_CONNECTIONS_PENDING: return v_u32(o, ASN_GAUGE, m->conn_pending);
    case MXW_DEST_SOFT_BOUNCE_EVENTS: return v_c64(o, m->soft_bounce);
    case MXW_DEST_COMPLETED_RECIPIENTS: return v_c64(o, m->completed);
    case MXW_DEST_HARD_BOUNCED_RECIPIENTS:
        return v_c64(o,
                     m->hard_dns + m->hard_5xx + m->hard_filter + m->hard_expired + m->hard_other);
    case MXW_DEST_DNS_HARD_BOUNCES: return v_c64(o, m->hard_dns);
    case MXW_DEST_5XX_HARD_BOUNCES: return v_c64(o, m->hard_5xx);
    case MXW_DEST_FILTER_HARD_BOUNCES: return v_c64(o, m->hard_filter);
    case MXW_DEST_EXPIRED_HARD_BOUNCES: return v_c64(o, m->hard_expired);
    case MXW_DEST_OTHER_HARD_BOUNCES: return v_c64(o, m->hard_other);
    case MXW_DEST_DELIVERED_RECIPIENTS: return v_c64(o, m->delivered);
    case MXW_DEST_DELETED_RECIPIENTS: return v_c64(o, m->deleted);
    case MXW_DEST_OLDEST_MESSAGE_AGE: return v_scaled(o, ASN_GAUGE, m->oldest_age_s, 1);
    default: return -1;
    }
}

/* The TLS policy columns: MTA-STS from the latest check, DANE from the probe's hosts. */
static int dest_get_tls(const struct dest_view *d, unsigned col, struct ax_value *o)
{
    const struct store_tls_policy *p = d->tls_policy;
    bool sts = p && p->sts_in_force;
    struct store_tls_summary t;
    store_tls_summary(d, &t);
    switch (col) {
    case MXW_DEST_MTA_STS_MODE: /* noPolicy(1), none(2), testing(3), enforce(4) */
        return v_num(o, ASN_INTEGER, sts ? 2 + (int)p->sts_mode : 1);
    case MXW_DEST_MTA_STS_POLICY_EXPIRY:
        return v_scaled(o, ASN_UNSIGNED, sts ? p->sts_fetched_at + p->sts_max_age : 0, 1);
    case MXW_DEST_MTA_STS_FAILING_MX: return v_u32(o, ASN_GAUGE, sts ? t.sts_failing : 0);
    case MXW_DEST_MTA_STS_FAULT: return v_line(o, p ? p->sts_error : "");
    case MXW_DEST_TLS_RPT_RUA: return v_line(o, p ? p->rpt_rua : "");
    case MXW_DEST_DANE_AUTHENTICATED: /* noRecords(1), authenticated(2), notAuthenticated(3) */
        return v_num(o, ASN_INTEGER, !t.tlsa ? 1 : t.tlsa_authenticated ? 2 : 3);
    case MXW_DEST_DANE_MATCHING_ADDRS: return v_u32(o, ASN_GAUGE, t.dane_match);
    case MXW_DEST_DANE_FAILING_ADDRS: return v_u32(o, ASN_GAUGE, t.dane_failing);
    default: return -1;
    }
}

/* The step whose reply mxwDestTxnReplyCode and mxwDestTxnReply show: the failed one, or on
 * success the last one answered; NULL without a transaction. */
static const struct txn_step *txn_shown(const struct store_txn *t)
{
    if (!t)
        return NULL;
    return &t->r.step[t->r.success ? t->r.last : t->r.failed];
}

static int dest_get_txn(const struct dest_view *d, unsigned col, struct ax_value *o)
{
    const struct store_txn *t = d->txn;
    const struct txn_step *s = txn_shown(t);
    switch (col) {
    case MXW_DEST_TXN_SUCCESS: /* succeeded(1), failed(2), none(3) */
        return v_num(o, ASN_INTEGER, !t ? 3 : t->r.success ? 1 : 2);
    case MXW_DEST_TXN_TIME: return v_scaled(o, ASN_UNSIGNED, t ? t->r.at : 0, 1);
    case MXW_DEST_TXN_FAILED_PHASE:
        return v_line(o, t && !t->r.success ? txn_phase_name(t->r.failed) : "");
    case MXW_DEST_TXN_REPLY_CODE:
        return v_u32(o, ASN_UNSIGNED, s && s->code > 0 ? (unsigned)s->code : 0);
    case MXW_DEST_TXN_REPLY: return v_line(o, s ? s->text : "");
    default: return -1;
    }
}

static int dest_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                    struct ax_value *o)
{
    (void)v;
    const struct dest_view *d = r->d;
    switch (col) {
    case MXW_DEST_STATUS: return v_num(o, ASN_INTEGER, status_value(d->status));
    case MXW_DEST_STATUS_REASON: return v_str(o, ax_dest_reason(d));
    case MXW_DEST_STATUS_CHANGED: return v_scaled(o, ASN_UNSIGNED, d->status_changed, 1);
    case MXW_DEST_MX_COUNT: return v_u32(o, ASN_GAUGE, d->n_hosts);
    case MXW_DEST_DNS_LOOKUP_TIME: return v_scaled(o, ASN_GAUGE, d->dns_s, 1e3);
    case MXW_DEST_BANNER_TIME: return v_scaled(o, ASN_GAUGE, dest_banner_time(d), 1e3);
    case MXW_DEST_LAST_BANNER: return v_line(o, dest_last_banner(d));
    case MXW_DEST_TLS_CERT_EXPIRY: return v_scaled(o, ASN_UNSIGNED, dest_cert_expiry(d), 1);
    case MXW_DEST_ORIGIN: return v_num(o, ASN_INTEGER, d->origin == ORIGIN_CONFIG ? 1 : 2);
    case MXW_DEST_STATUS_SIGNAL:
        return v_num(o, ASN_INTEGER,
                     d->status_signal == SIGNAL_PROBE         ? 1
                     : d->status_signal == SIGNAL_DELIVERY    ? 2
                     : d->status_signal == SIGNAL_TRANSACTION ? 4
                                                              : 3);
    case MXW_DEST_LAST_DELIVERY_TIME:
        return v_scaled(o, ASN_UNSIGNED, d->delivery ? d->delivery->at : 0, 1);
    case MXW_DEST_LAST_DELIVERY_SUCCESS:
        return v_num(o, ASN_INTEGER, !d->delivery ? 3 : d->delivery->cls == DELIV_SENT ? 1 : 2);
    case MXW_DEST_LAST_ERROR_REPLY_CODE:
        return v_u32(o, ASN_UNSIGNED, d->last_error ? d->last_error->reply : 0);
    case MXW_DEST_LAST_ERROR_REPLY: return v_line(o, d->last_error ? d->last_error->text : "");
    default:
        if (col >= MXW_DEST_TXN_SUCCESS)
            return dest_get_txn(d, col, o);
        return col >= MXW_DEST_MTA_STS_MODE ? dest_get_tls(d, col, o)
                                            : dest_get_mta(&d->mta, col, o);
    }
}

/* ---- mxwMxTable ---- */

static size_t mx_index(const oid *dest_idx, size_t dest_len, const struct mx_host *h,
                       const struct mx_addr_result *a, oid *idx)
{
    size_t alen = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
    if (!alen || h->preference > 65535)
        return 0;
    memcpy(idx, dest_idx, dest_len * sizeof *idx);
    size_t n = dest_len;
    idx[n++] = h->preference;
    idx[n++] = alen == 4 ? 1 : 2; /* InetAddressType ipv4(1), ipv6(2) */
    idx[n++] = alen;
    for (size_t i = 0; i < alen; i++)
        idx[n++] = a->addr[i];
    return n;
}

static void build_mx(const struct dest_view *d, const oid *dest_idx, size_t dest_len,
                     struct ax_rows *rows)
{
    oid idx[MAX_OID_LEN];
    for (size_t h = 0; h < d->n_hosts && h <= UINT16_MAX; h++)
        for (size_t a = 0; a < d->hosts[h].n_addrs && a <= UINT16_MAX; a++) {
            size_t n = mx_index(dest_idx, dest_len, &d->hosts[h], &d->hosts[h].addrs[a], idx);
            if (n)
                ax_rows_add(rows, d, (uint16_t)h, (uint16_t)a, idx, n);
        }
}

static long mx_status_value(enum mx_outcome o)
{
    if (o == OUT_OK)
        return 1;
    /* A local error says nothing about the exchanger. */
    return o == OUT_NOT_PROBED || o == OUT_LOCAL_ERROR ? 3 : 2;
}

static long mx_outcome_value(enum mx_outcome o)
{
    static const long values[OUT__COUNT] = {
        [OUT_NOT_PROBED] = 1,      [OUT_OK] = 2,
        [OUT_REFUSED] = 3,         [OUT_UNREACHABLE] = 4,
        [OUT_CONNECT_TIMEOUT] = 5, [OUT_BANNER_TIMEOUT] = 6,
        [OUT_BANNER_4XX] = 7,      [OUT_BANNER_5XX] = 8,
        [OUT_EHLO_REJECTED] = 9,   [OUT_TLS_FAILED] = 10,
        [OUT_PROTOCOL_ERROR] = 11, [OUT_LOCAL_ERROR] = 12,
    };
    return (unsigned)o < OUT__COUNT ? values[o] : 1;
}

static int mx_get(const struct ax_view *v, const struct ax_row *r, unsigned col, struct ax_value *o)
{
    (void)v;
    const struct mx_host *h = &r->d->hosts[r->host];
    const struct mx_addr_result *a = &h->addrs[r->addr];
    switch (col) {
    case MXW_MX_HOST_NAME: return v_str(o, h->name);
    case MXW_MX_STATUS: return v_num(o, ASN_INTEGER, mx_status_value(a->outcome));
    case MXW_MX_OUTCOME: return v_num(o, ASN_INTEGER, mx_outcome_value(a->outcome));
    case MXW_MX_CONNECT_TIME: return v_scaled(o, ASN_GAUGE, a->connect_s, 1e6);
    case MXW_MX_BANNER_TIME: return v_scaled(o, ASN_GAUGE, a->banner_s, 1e6);
    case MXW_MX_EHLO_TIME: return v_scaled(o, ASN_GAUGE, a->ehlo_s, 1e6);
    case MXW_MX_TLS_TIME: return v_scaled(o, ASN_GAUGE, a->tls_s, 1e6);
    case MXW_MX_START_TLS_OFFERED: return v_truth(o, a->starttls_offered);
    case MXW_MX_TLS_NEGOTIATED: return v_truth(o, a->tls_negotiated);
    case MXW_MX_TLS_VERSION: return v_str(o, a->tls_version);
    case MXW_MX_TLS_CERT_EXPIRY: return v_scaled(o, ASN_UNSIGNED, a->tls_cert_expiry, 1);
    case MXW_MX_BANNER: return v_line(o, store_addr_banner(a));
    default: return -1;
    }
}

/* ---- applTable, mtaTable, mtaGroupTable, mtaGroupErrorTable ---- */

static void sum_mta(const struct snapshot *s, uint64_t *active, uint64_t *delivered, uint64_t *conn,
                    uint64_t *failed)
{
    *active = *delivered = *conn = *failed = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct mta_figures *m = &store_snapshot_dest(s, i)->mta;
        *active += m->active;
        *delivered += m->delivered;
        *conn += m->conn_current;
        *failed += m->conn_failed;
    }
}

static int appl_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                    struct ax_value *o)
{
    (void)r;
    uint64_t active, delivered, conn, failed;
    sum_mta(v->snap, &active, &delivered, &conn, &failed);
    switch (col) {
    case APPL_NAME: return v_str(o, "mxwatch");
    case APPL_VERSION: return v_str(o, MXW_VERSION);
    /* TimeStamps of the master's sysUpTime, which the subagent does not know: 0 says
     * "before the management system started", the RFC's value for the unknown case. */
    case APPL_UPTIME:
    case APPL_LAST_CHANGE: return v_num(o, ASN_TIMETICKS, 0);
    case APPL_OPER_STATUS: return v_num(o, ASN_INTEGER, 1); /* up */
    case APPL_OUTBOUND_ASSOC: return v_u32(o, ASN_GAUGE, conn);
    case APPL_FAILED_OUTBOUND: return v_c32(o, failed);
    case APPL_DESCRIPTION:
        return v_str(o, "outbound mail delivery per destination, as watched by mxwatch");
    default: return -1;
    }
}

static int mta_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                   struct ax_value *o)
{
    (void)r;
    uint64_t active, delivered, conn, failed;
    sum_mta(v->snap, &active, &delivered, &conn, &failed);
    if (col == MTA_STORED_RECIPIENTS)
        return v_u32(o, ASN_GAUGE, active);
    return col == MTA_TRANSMITTED_RECIPIENTS ? v_c32(o, delivered) : -1;
}

static int group_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                     struct ax_value *o)
{
    (void)v;
    static const oid smtp[] = {MIB2_APPL_TCP_PROTO, SMTP_PORT};
    const struct mta_figures *m = &r->d->mta;
    switch (col) {
    case GRP_STORED_RECIPIENTS: return v_u32(o, ASN_GAUGE, m->active);
    case GRP_TRANSMITTED_RECIPIENTS: return v_c32(o, m->delivered);
    case GRP_OLDEST_STORED: {
        double t = m->oldest_age_s > 0 ? round(m->oldest_age_s * 100) : 0;
        return v_num(o, ASN_INTEGER, t >= (double)TIME_INTERVAL_MAX ? TIME_INTERVAL_MAX : (long)t);
    }
    case GRP_OUTBOUND_ASSOC: return v_u32(o, ASN_GAUGE, m->conn_current);
    case GRP_FAILED_OUTBOUND: return v_c32(o, m->conn_failed);
    case GRP_OUTBOUND_FAILURE_REASON:
        /* RFC 2789: 'never' when no association attempt has failed yet. */
        return v_str(o, m->last_failure[0] ? m->last_failure : "never");
    case GRP_MAIL_PROTOCOL:
        o->type = ASN_OBJECT_ID;
        o->ptr = smtp;
        o->len = sizeof smtp;
        return 0;
    case GRP_NAME: return v_str(o, r->d->domain);
    default: return -1;
    }
}

static int error_get(const struct ax_view *v, const struct ax_row *r, unsigned col,
                     struct ax_value *o)
{
    (void)v;
    if (col != ERR_OUTBOUND_COUNT)
        return -1;
    return v_c32(o, r->d->mta.errors[r->addr].count);
}

/* ---- mxwGatewayTable ---- */

/* The figures of the latest good poll, kept while mxwGwUp is false (the MIB says so, and
 * mxwGwLastSuccess dates them); an item the page lacks is a hole in the walk. */
static int gw_gauge(const struct gateway_view *g, const char *name, struct ax_value *o)
{
    const struct gw_gauge *x = gw_find_gauge(&g->status, name);
    return x ? v_scaled(o, ASN_GAUGE, x->current, 1) : -1;
}

static int gw_counter(const struct gateway_view *g, const char *name, struct ax_value *o)
{
    const struct gw_counter *x = gw_find_counter(&g->status, name);
    return x && x->lifetime >= 0 ? v_c64(o, (uint64_t)x->lifetime) : -1;
}

/* mxwGwLicenseSecondsRemaining: the feature whose licence runs out first; perpetual and
 * dormant features (a word, not a number) never do. */
static int gw_license(const struct gateway_view *g, struct ax_value *o)
{
    bool any = false;
    double least = 0;
    for (size_t i = 0; i < g->status.nfeatures; i++) {
        const struct gw_feature *f = &g->status.features[i];
        if (f->has_seconds && (!any || f->seconds < least))
            least = f->seconds, any = true;
    }
    if (!any)
        return -1;
    least = least > INT32_MAX ? INT32_MAX : least < INT32_MIN ? INT32_MIN : round(least);
    return v_num(o, ASN_INTEGER, (long)least);
}

static int gw_item(const struct gateway_view *g, unsigned col, struct ax_value *o)
{
    switch (col) {
    case MXW_GW_SYSTEM_STATUS: return v_line(o, g->status.system_status);
    case MXW_GW_OLDEST_MESSAGE_AGE:
        return g->status.has_oldest ? v_scaled(o, ASN_GAUGE, g->status.oldest_message_secs, 1) : -1;
    case MXW_GW_ACTIVE_RECIPIENTS: return gw_gauge(g, "active_recips", o);
    case MXW_GW_UNATTEMPTED_RECIPIENTS: return gw_gauge(g, "unattempted_recips", o);
    case MXW_GW_ATTEMPTED_RECIPIENTS: return gw_gauge(g, "attempted_recips", o);
    case MXW_GW_CONNECTIONS_IN: return gw_gauge(g, "conn_in", o);
    case MXW_GW_CONNECTIONS_OUT: return gw_gauge(g, "conn_out", o);
    case MXW_GW_DELIVERED_RECIPIENTS: return gw_counter(g, "delivered_recips", o);
    case MXW_GW_SOFT_BOUNCE_EVENTS: return gw_counter(g, "soft_bounced_evts", o);
    case MXW_GW_HARD_BOUNCED_RECIPIENTS: return gw_counter(g, "hard_bounced_recips", o);
    case MXW_GW_DNS_HARD_BOUNCES: return gw_counter(g, "dns_hard_bounced_recips", o);
    case MXW_GW_5XX_HARD_BOUNCES: return gw_counter(g, "5xx_hard_bounced_recips", o);
    case MXW_GW_FILTER_HARD_BOUNCES: return gw_counter(g, "filter_hard_bounced_recips", o);
    case MXW_GW_EXPIRED_HARD_BOUNCES: return gw_counter(g, "expired_hard_bounced_recips", o);
    case MXW_GW_OTHER_HARD_BOUNCES: return gw_counter(g, "other_hard_bounced_recips", o);
    case MXW_GW_INJECTED_MESSAGES: return gw_counter(g, "inj_msgs", o);
    case MXW_GW_LICENSE_SECONDS_REMAINING: return gw_license(g, o);
    default: return -1;
    }
}

static int gw_get(const struct ax_view *v, const struct ax_row *r, unsigned col, struct ax_value *o)
{
    const struct gateway_view *g = v->snap->gateways[r->addr];
    switch (col) {
    case MXW_GW_UP: return v_truth(o, g->polled && g->up);
    case MXW_GW_SCRAPE_DURATION: return v_scaled(o, ASN_GAUGE, g->scrape_duration_s, 1e3);
    case MXW_GW_LAST_SUCCESS: return v_scaled(o, ASN_UNSIGNED, g->last_success, 1);
    default: return g->has_status ? gw_item(g, col, o) : -1;
    }
}

/* ---- rows ---- */

static void build_dests(const struct snapshot *s, enum ax_rowset set, struct ax_rows *rows)
{
    oid idx[MXW_MIB_DEST_NAME_MAX + 1];
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = store_snapshot_dest(s, i);
        size_t n = ax_dest_index(d->domain, idx);
        if (!n)
            continue;
        if (set == AX_ROWS_DEST)
            ax_rows_add(rows, d, 0, 0, idx, n);
        else
            build_mx(d, idx, n, rows);
    }
}

static void build_groups(const struct snapshot *s, enum ax_rowset set, struct ax_rows *rows)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = store_snapshot_dest(s, i);
        oid idx[3] = {AX_APPL_INDEX, d->index, 0};
        if (set == AX_ROWS_GROUP) {
            ax_rows_add(rows, d, 0, 0, idx, 2);
            continue;
        }
        for (size_t k = 0; k < d->mta.n_errors && k < STORE_ERROR_CODES_MAX; k++) {
            idx[2] = d->mta.errors[k].code;
            ax_rows_add(rows, d, 0, (uint16_t)k, idx, 3);
        }
    }
}

/* One row per configured appliance, indexed like mxwDestName; a name above
 * MXW_MIB_GW_NAME_MAX octets (the configuration refuses one) would have no row. */
static void build_gateways(const struct snapshot *s, struct ax_rows *rows)
{
    oid idx[MXW_MIB_GW_NAME_MAX + 1];
    for (size_t i = 0; i < s->n_gateways && i <= UINT16_MAX; i++) {
        const char *name = s->gateways[i]->name;
        size_t n = strlen(name);
        if (n == 0 || n > MXW_MIB_GW_NAME_MAX)
            continue;
        idx[0] = n;
        for (size_t k = 0; k < n; k++)
            idx[k + 1] = (unsigned char)name[k];
        ax_rows_add(rows, NULL, 0, (uint16_t)i, idx, n + 1);
    }
}

void ax_mib_build(const struct ax_view *v, enum ax_rowset set, struct ax_rows *rows)
{
    static const oid scalar_idx[] = {0}, appl_idx[] = {AX_APPL_INDEX};
    switch (set) {
    case AX_ROWS_SCALAR: ax_rows_add(rows, NULL, 0, 0, scalar_idx, 1); break;
    case AX_ROWS_APPL: ax_rows_add(rows, NULL, 0, 0, appl_idx, 1); break;
    case AX_ROWS_DEST:
    case AX_ROWS_MX: build_dests(v->snap, set, rows); break;
    case AX_ROWS_GROUP:
    case AX_ROWS_ERROR: build_groups(v->snap, set, rows); break;
    case AX_ROWS_GW: build_gateways(v->snap, rows); break;
    case AX_ROWS__COUNT: break;
    }
}

/* ---- the registered regions ---- */

static const unsigned char agent_cols[] = {
    MXW_AGENT_DESTINATIONS, MXW_AGENT_PROBES_IN_FLIGHT,   MXW_AGENT_LOOP_LAG,
    MXW_AGENT_SOURCES_UP,   MXW_AGENT_SOURCES_CONFIGURED, MXW_AGENT_VERSION,
};
/* MXW_DEST_STATUS (2) to MXW_DEST_TXN_REPLY (44): every column but the index. */
static const unsigned char dest_cols[] = {
    2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44};
/* MXW_MX_HOST_NAME (4) to MXW_MX_BANNER (15). */
static const unsigned char mx_cols[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
/* MXW_GW_UP (2) to MXW_GW_LAST_SUCCESS (21). */
static const unsigned char gw_cols[] = {2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
static const unsigned char appl_cols[] = {
    APPL_NAME,        APPL_VERSION,        APPL_UPTIME,          APPL_OPER_STATUS,
    APPL_LAST_CHANGE, APPL_OUTBOUND_ASSOC, APPL_FAILED_OUTBOUND, APPL_DESCRIPTION};
static const unsigned char mta_cols[] = {MTA_STORED_RECIPIENTS, MTA_TRANSMITTED_RECIPIENTS};
static const unsigned char group_cols[] = {
    GRP_STORED_RECIPIENTS, GRP_TRANSMITTED_RECIPIENTS,  GRP_OLDEST_STORED, GRP_OUTBOUND_ASSOC,
    GRP_FAILED_OUTBOUND,   GRP_OUTBOUND_FAILURE_REASON, GRP_MAIL_PROTOCOL, GRP_NAME};
static const unsigned char error_cols[] = {ERR_OUTBOUND_COUNT};

#define TABLE(name, prefix, set, cols, get)                                                        \
    {                                                                                              \
        name, {prefix}, OIDLEN(prefix), set, cols, sizeof cols, get                                \
    }

static const struct ax_table mxw_tables[] = {
    TABLE("mxwAgent", MXW_MIB_AGENT, AX_ROWS_SCALAR, agent_cols, scalar_get),
    TABLE("mxwDestinationTable", MXW_MIB_DESTINATION_ENTRY, AX_ROWS_DEST, dest_cols, dest_get),
    TABLE("mxwMxTable", MXW_MIB_MX_ENTRY, AX_ROWS_MX, mx_cols, mx_get),
    TABLE("mxwGatewayTable", MXW_MIB_GATEWAY_ENTRY, AX_ROWS_GW, gw_cols, gw_get),
};
static const struct ax_table appl_tables[] = {
    TABLE("applTable", MIB2_APPL_ENTRY, AX_ROWS_APPL, appl_cols, appl_get),
};
static const struct ax_table mta_tables[] = {
    TABLE("mtaTable", MIB2_MTA_ENTRY, AX_ROWS_APPL, mta_cols, mta_get),
    TABLE("mtaGroupTable", MIB2_MTA_GROUP, AX_ROWS_GROUP, group_cols, group_get),
    TABLE("mtaGroupErrorTable", MIB2_MTA_ERROR, AX_ROWS_ERROR, error_cols, error_get),
};

#define REGION(name, root, tables)                                                                 \
    {                                                                                              \
        name, {root}, OIDLEN(root), tables, MXW_ARRAY_LEN(tables)                                  \
    }

/* In OID order; each is one AgentX registration. mxwNotifications (.0) stays outside. */
const struct ax_region ax_regions[] = {
    REGION("applTable", MIB2_APPL_TABLE, appl_tables),
    REGION("mtaMIB", MIB2_MTA, mta_tables),
    REGION("mxwObjects", MXW_MIB_OBJECTS, mxw_tables),
};
const size_t ax_n_regions = MXW_ARRAY_LEN(ax_regions);
