/*
 * agentx_int.h - private interface between the files of the SNMP subagent module, grouped by
 * the file that defines each part. Only the agentx*.c files and their unit tests include it;
 * the rest of the agent uses agentx.h.
 *
 * Threads: everything here runs on the SNMP thread, except the trap queue push
 * (ax_trapq_push), which the loop thread calls. The table code is pure: it reads one
 * immutable snapshot and calls no net-snmp function, so the unit tests drive it directly.
 */
#ifndef MXW_AGENTX_INT_H
#define MXW_AGENTX_INT_H

#include "store.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- agentx_index.c: rows of one snapshot in OID order, GET and GETNEXT over tables ---- */

#define AX_PREFIX_MAX 16  /* sub-identifiers of a table's entry OID */
#define AX_STRING_MAX 255 /* longest string value served (DisplayString) */

/* The row sets a snapshot is cut into; each table reads one. */
enum ax_rowset {
    AX_ROWS_SCALAR, /* one row, index .0 */
    AX_ROWS_DEST,   /* mxwDestinationTable: length-prefixed domain */
    AX_ROWS_MX,     /* mxwMxTable: domain, preference, address type, address */
    AX_ROWS_APPL,   /* applTable: applIndex 1 */
    AX_ROWS_GROUP,  /* mtaGroupTable: applIndex 1, dest_view.index */
    AX_ROWS_ERROR,  /* mtaGroupErrorTable: 1, dest_view.index, status code */
    AX_ROWS_GW,     /* mxwGatewayTable: length-prefixed appliance name */
    AX_ROWS__COUNT
};

struct ax_row {
    const struct dest_view *d; /* NULL in the scalar and applTable rows */
    uint32_t off;              /* the index sub-identifiers: pool[off .. off + len) */
    uint16_t len;
    uint16_t host, addr; /* MX rows: d->hosts[host].addrs[addr]; error rows: addr = slot;
                            gateway rows (d NULL): addr = index in snap->gateways */
};

struct ax_rows {
    struct ax_row *v; /* sorted by index OID, no duplicates */
    size_t n, cap;
    oid *pool;
    size_t pool_n, pool_cap;
};

/* The rows of one snapshot, each set built on first use. Holds a reference to the snapshot
 * until the next one replaces it, so the views the rows point at stay valid. */
struct ax_view {
    const struct snapshot *snap;
    bool built[AX_ROWS__COUNT];
    struct ax_rows rows[AX_ROWS__COUNT];
};

/* A value ready for snmp_set_var_typed_value(vb, type, ptr, len). */
struct ax_value {
    u_char type;
    long num;
    struct counter64 c64;
    const void *ptr;
    size_t len;
    char buf[AX_STRING_MAX + 1];
};

/* Fills out with the value of column col of row r. Returns 0, or -1 when the row has no
 * such column (a hole the walk skips). */
typedef int ax_get_fn(const struct ax_view *v, const struct ax_row *r, unsigned col,
                      struct ax_value *out);

struct ax_table {
    const char *name;
    oid prefix[AX_PREFIX_MAX]; /* instances are prefix.col.index */
    size_t prefix_len;
    enum ax_rowset rowset;
    const unsigned char *cols; /* the columns served, ascending */
    size_t n_cols;
    ax_get_fn *get;
};

/* A region registered with the master: its root and its tables in OID order. */
struct ax_region {
    const char *name;
    oid root[AX_PREFIX_MAX];
    size_t root_len;
    const struct ax_table *tables;
    size_t n_tables;
};

enum ax_found { AX_FOUND = 0, AX_NO_SUCH_OBJECT, AX_NO_SUCH_INSTANCE, AX_END };

/* Points v at snapshot s, taking over the caller's reference to it (from
 * store_snapshot_acquire); when v already uses s, that reference is given back at once. Rows
 * of an older snapshot are dropped. */
void ax_view_use(struct ax_view *v, const struct snapshot *s);
void ax_view_clear(struct ax_view *v);
/* The rows of one set, built (O(N log N)) on the first call per snapshot. */
const struct ax_rows *ax_view_rows(struct ax_view *v, enum ax_rowset set);

/* Appends a row with the given index; the table builders in agentx_mib.c call it. */
void ax_rows_add(struct ax_rows *rows, const struct dest_view *d, uint16_t host, uint16_t addr,
                 const oid *idx, size_t len);
/* Lexicographic OID order, as SNMP walks. */
int ax_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen);

/* GET: the value of instance name. AX_FOUND, AX_NO_SUCH_OBJECT or AX_NO_SUCH_INSTANCE. */
enum ax_found ax_get(struct ax_view *v, const struct ax_region *rg, const oid *name, size_t len,
                     struct ax_value *val);
/* GETNEXT: the first instance after name (or at name when inclusive) in the region, its
 * OID in out (room for MAX_OID_LEN) and its value. AX_FOUND or AX_END. O(log N) per table. */
enum ax_found ax_next(struct ax_view *v, const struct ax_region *rg, const oid *name, size_t len,
                      bool inclusive, oid *out, size_t *out_len, struct ax_value *val);

/* ---- agentx_mib.c: the tables of MXWATCH-MIB, MTA-MIB and applTable ---- */

extern const struct ax_region ax_regions[];
extern const size_t ax_n_regions;

/* Builds the rows of one set from v->snap into rows (unsorted; the caller sorts). */
void ax_mib_build(const struct ax_view *v, enum ax_rowset set, struct ax_rows *rows);
/* The first line of s, cut at AX_STRING_MAX octets, bytes outside printable ASCII replaced
 * by '?', into out (AX_STRING_MAX + 1 bytes). Returns its length. */
size_t ax_display_line(const char *s, char *out);
/* mxwDestStatusReason: the store's reason token, empty while the status is unknown. */
const char *ax_dest_reason(const struct dest_view *d);
/* Index of a destination row: length-prefixed name into idx (room for
 * MXW_MIB_DEST_NAME_MAX + 1). Returns its length, or 0 when the name cannot be an index. */
size_t ax_dest_index(const char *domain, oid *idx);

/* ---- agentx_trap.c: status changes from the loop thread, rate-limited per destination ---- */

struct ax_trap_event {
    char domain[STORE_DOMAIN_MAX];
    enum dest_status status;
    char reason[STORE_REASON_MAX];
    uint32_t active; /* active recipients when the status changed */
};

/* A bounded queue from the loop thread to the SNMP thread, with an eventfd the SNMP
 * thread's select watches. */
struct ax_trapq;
struct ax_trapq *ax_trapq_new(size_t cap);
void ax_trapq_free(struct ax_trapq *q);
int ax_trapq_fd(const struct ax_trapq *q);
/* Any thread. Returns 0, or -1 when the queue is full (the event is counted as dropped). */
int ax_trapq_push(struct ax_trapq *q, const struct ax_trap_event *ev);
/* SNMP thread: takes up to max events, oldest first, clears the eventfd; *dropped gets the
 * number of events lost to a full queue since the last call. */
size_t ax_trapq_take(struct ax_trapq *q, struct ax_trap_event *out, size_t max, uint64_t *dropped);

/* Per destination: what the NMS was last told and when. A change that comes within
 * min_interval of the last notification for the same destination is held, and when the
 * interval ends the latest held state is sent if it still differs from what the NMS was
 * told; a flap that ends where it began within the interval sends nothing more. */
struct ax_limiter;
struct ax_limiter *ax_limiter_new(double min_interval_s);
void ax_limiter_free(struct ax_limiter *l);
/* Returns true when ev should be sent now (the caller then reports the outcome with
 * ax_limiter_sent); false when it is held or tells the NMS nothing new. */
bool ax_limiter_offer(struct ax_limiter *l, const struct ax_trap_event *ev, double now);
/* The send of the notification for ev's destination at now succeeded (ok) or could not be
 * made (no master): a failed one is held and retried after retry_s. */
void ax_limiter_sent(struct ax_limiter *l, const struct ax_trap_event *ev, double now, bool ok,
                     double retry_s);
/* When the earliest held notification is due, or a negative value when none is held. */
double ax_limiter_next_due(const struct ax_limiter *l);
/* Calls send(ev) for every held notification due at now that still tells something new;
 * send returns whether it went out. */
void ax_limiter_run(struct ax_limiter *l, double now, double retry_s,
                    bool (*send)(const struct ax_trap_event *ev, void *arg), void *arg);
/* Forgets destinations that left the snapshot and have nothing held. */
void ax_limiter_prune(struct ax_limiter *l, const struct snapshot *s);
size_t ax_limiter_count(const struct ax_limiter *l);

#endif
