/*
 * agentx_index.c - the walk order of the subagent's tables. For each snapshot, the rows of a
 * table are encoded into their index sub-identifiers once and sorted in OID order (a string
 * index sorts by its length prefix first, so the store's strcmp order is of no use here);
 * GET is then a binary search and GETNEXT an upper-bound search, O(log N) per request.
 *
 * SNMP thread only. Pure: reads the snapshot, calls no net-snmp function, never logs.
 */
#include "agentx_int.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

int ax_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = xrealloc(p, c * elem);
    *cap = c;
    return q;
}

void ax_rows_add(struct ax_rows *rows, const struct dest_view *d, uint16_t host, uint16_t addr,
                 const oid *idx, size_t len)
{
    rows->v = grow(rows->v, &rows->cap, rows->n + 1, sizeof *rows->v);
    rows->pool = grow(rows->pool, &rows->pool_cap, rows->pool_n + len, sizeof *rows->pool);
    memcpy(rows->pool + rows->pool_n, idx, len * sizeof *idx);
    rows->v[rows->n++] = (struct ax_row){
        .d = d, .off = (uint32_t)rows->pool_n, .len = (uint16_t)len, .host = host, .addr = addr};
    rows->pool_n += len;
}

static int row_cmp(const void *pa, const void *pb, void *arg)
{
    const struct ax_rows *rows = arg;
    const struct ax_row *a = pa, *b = pb;
    int c = ax_oid_cmp(rows->pool + a->off, a->len, rows->pool + b->off, b->len);
    if (c)
        return c;
    /* Equal indexes (two MX names sharing an address): the first in MX order wins. */
    if (a->host != b->host)
        return a->host < b->host ? -1 : 1;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void rows_sort(struct ax_rows *rows)
{
    if (rows->n < 2)
        return;
    qsort_r(rows->v, rows->n, sizeof *rows->v, row_cmp, rows);
    size_t kept = 1;
    for (size_t i = 1; i < rows->n; i++) {
        const struct ax_row *p = &rows->v[kept - 1], *r = &rows->v[i];
        if (ax_oid_cmp(rows->pool + p->off, p->len, rows->pool + r->off, r->len) != 0)
            rows->v[kept++] = *r;
    }
    rows->n = kept;
}

static void rows_free(struct ax_rows *rows)
{
    free(rows->v);
    free(rows->pool);
    memset(rows, 0, sizeof *rows);
}

void ax_view_clear(struct ax_view *v)
{
    for (size_t i = 0; i < AX_ROWS__COUNT; i++) {
        rows_free(&v->rows[i]);
        v->built[i] = false;
    }
    store_snapshot_release(v->snap);
    v->snap = NULL;
}

void ax_view_use(struct ax_view *v, const struct snapshot *s)
{
    /* v holds a reference to its snapshot, so the same address is the same snapshot. */
    if (s == v->snap) {
        store_snapshot_release(s);
        return;
    }
    /* Only the agent figures changed (they do every quarter second): the rows point at
     * views the new snapshot shares, so they stay; only the reference moves. */
    if (s && v->snap && s->content_generation == v->snap->content_generation) {
        store_snapshot_release(v->snap);
        v->snap = s;
        return;
    }
    ax_view_clear(v);
    v->snap = s;
}

const struct ax_rows *ax_view_rows(struct ax_view *v, enum ax_rowset set)
{
    struct ax_rows *rows = &v->rows[set];
    if (!v->built[set]) {
        rows->n = rows->pool_n = 0;
        if (v->snap)
            ax_mib_build(v, set, rows);
        rows_sort(rows);
        v->built[set] = true;
    }
    return rows;
}

/* The first row whose index is greater than idx (or equal to it, when or_equal). */
static size_t rows_bound(const struct ax_rows *rows, const oid *idx, size_t len, bool or_equal)
{
    size_t lo = 0, hi = rows->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ax_row *r = &rows->v[mid];
        int c = ax_oid_cmp(rows->pool + r->off, r->len, idx, len);
        if (c < 0 || (c == 0 && !or_equal))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool has_prefix(const oid *name, size_t len, const oid *prefix, size_t plen)
{
    return len >= plen && memcmp(name, prefix, plen * sizeof *name) == 0;
}

static int col_pos(const struct ax_table *t, oid col)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (t->cols[i] >= col)
            return (int)i;
    return (int)t->n_cols;
}

enum ax_found ax_get(struct ax_view *v, const struct ax_region *rg, const oid *name, size_t len,
                     struct ax_value *val)
{
    for (size_t i = 0; i < rg->n_tables; i++) {
        const struct ax_table *t = &rg->tables[i];
        if (!has_prefix(name, len, t->prefix, t->prefix_len) || len == t->prefix_len)
            continue;
        int ci = col_pos(t, name[t->prefix_len]);
        if ((size_t)ci == t->n_cols || t->cols[ci] != name[t->prefix_len])
            return AX_NO_SUCH_OBJECT;
        const struct ax_rows *rows = ax_view_rows(v, t->rowset);
        const oid *idx = name + t->prefix_len + 1;
        size_t idx_len = len - t->prefix_len - 1;
        size_t r = rows_bound(rows, idx, idx_len, true);
        if (r == rows->n ||
            ax_oid_cmp(rows->pool + rows->v[r].off, rows->v[r].len, idx, idx_len) != 0)
            return AX_NO_SUCH_INSTANCE;
        memset(val, 0, offsetof(struct ax_value, buf));
        return t->get(v, &rows->v[r], t->cols[ci], val) == 0 ? AX_FOUND : AX_NO_SUCH_INSTANCE;
    }
    return AX_NO_SUCH_OBJECT;
}

/* Where a GETNEXT for name starts in table t: column position *ci and row *ri. Returns
 * false when name lies beyond the table. */
static bool next_start(struct ax_view *v, const struct ax_table *t, const oid *name, size_t len,
                       size_t *ci, size_t *ri)
{
    *ci = 0;
    *ri = 0;
    if (!has_prefix(name, len, t->prefix, t->prefix_len))
        return ax_oid_cmp(name, len, t->prefix, t->prefix_len) < 0;
    if (len == t->prefix_len)
        return true;
    oid col = name[t->prefix_len];
    *ci = (size_t)col_pos(t, col);
    if (*ci < t->n_cols && t->cols[*ci] == col) {
        const struct ax_rows *rows = ax_view_rows(v, t->rowset);
        *ri = rows_bound(rows, name + t->prefix_len + 1, len - t->prefix_len - 1, false);
    }
    return true;
}

static enum ax_found table_next(struct ax_view *v, const struct ax_table *t, const oid *name,
                                size_t len, oid *out, size_t *out_len, struct ax_value *val)
{
    size_t ci, ri;
    if (!next_start(v, t, name, len, &ci, &ri))
        return AX_END;
    const struct ax_rows *rows = ax_view_rows(v, t->rowset);
    for (; ci < t->n_cols; ci++, ri = 0) {
        for (; ri < rows->n; ri++) {
            const struct ax_row *r = &rows->v[ri];
            memset(val, 0, offsetof(struct ax_value, buf));
            if (t->get(v, r, t->cols[ci], val) != 0)
                continue;
            memcpy(out, t->prefix, t->prefix_len * sizeof *out);
            out[t->prefix_len] = t->cols[ci];
            memcpy(out + t->prefix_len + 1, rows->pool + r->off, r->len * sizeof *out);
            *out_len = t->prefix_len + 1 + r->len;
            return AX_FOUND;
        }
    }
    return AX_END;
}

enum ax_found ax_next(struct ax_view *v, const struct ax_region *rg, const oid *name, size_t len,
                      bool inclusive, oid *out, size_t *out_len, struct ax_value *val)
{
    if (inclusive && ax_get(v, rg, name, len, val) == AX_FOUND) {
        memcpy(out, name, len * sizeof *out);
        *out_len = len;
        return AX_FOUND;
    }
    for (size_t i = 0; i < rg->n_tables; i++)
        if (table_next(v, &rg->tables[i], name, len, out, out_len, val) == AX_FOUND)
            return AX_FOUND;
    return AX_END;
}
