/*
 * ui_query.c - the status page's table logic (ui.h): the query (sort, filter, paging) read
 * from the URL, and the selection and order of the snapshot's destinations that it asks
 * for. Used by the list page, the CLI's table (ui.c) and `mxwatch tophosts`. Pure: any
 * thread, reads only the snapshot it is given.
 */
#include "ui.h"
#include "xalloc.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const sort_names[UI_SORT__COUNT] = {
    "domain",       "status", "active",  "conn_out", "delivered", "soft_bounced",
    "hard_bounced", "mx",     "changed", "latency",  "oldest",
};

/* The vendor CLI's names (hostmon's tophosts), beside ours. */
static const struct {
    const char *name;
    enum ui_sort sort;
} sort_aliases[] = {{"active_rcpts", UI_SORT_ACTIVE}, {"deliv_rcpts", UI_SORT_DELIVERED}};

const char *ui_sort_name(enum ui_sort s)
{
    return (unsigned)s < UI_SORT__COUNT ? sort_names[s] : "active";
}

int ui_sort_parse(const char *s)
{
    for (int i = 0; s && i < UI_SORT__COUNT; i++)
        if (!strcmp(s, sort_names[i]))
            return i;
    for (size_t i = 0; s && i < MXW_ARRAY_LEN(sort_aliases); i++)
        if (!strcmp(s, sort_aliases[i].name))
            return (int)sort_aliases[i].sort;
    return -1;
}

bool ui_sort_desc_default(enum ui_sort s)
{
    return s != UI_SORT_DOMAIN;
}

/* A whole number in 1..max, or def. */
static size_t arg_size(const char *s, size_t def, size_t max)
{
    if (!s || !*s)
        return def;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v == 0 || s[0] == '-')
        return def;
    return v > max ? max : (size_t)v;
}

void ui_query_parse(struct ui_query *q, ui_arg_fn *arg, void *ctx)
{
    memset(q, 0, sizeof *q);
    int sort = ui_sort_parse(arg(ctx, "sort"));
    q->sort = sort < 0 ? UI_SORT_ACTIVE : (enum ui_sort)sort;
    const char *order = arg(ctx, "order");
    q->desc = order && !strcmp(order, "asc")    ? false
              : order && !strcmp(order, "desc") ? true
                                                : ui_sort_desc_default(q->sort);
    const char *f = arg(ctx, "q");
    if (f) {
        f += strspn(f, " \t");
        mxw_strlcpy(q->filter, f, sizeof q->filter);
        size_t n = strlen(q->filter);
        while (n && (q->filter[n - 1] == ' ' || q->filter[n - 1] == '\t'))
            q->filter[--n] = '\0';
        mxw_lower(q->filter);
    }
    const char *st = arg(ctx, "status");
    q->status = -1;
    for (int i = 0; st && i < 3; i++)
        if (!strcmp(st, store_status_name((enum dest_status)i)))
            q->status = i;
    q->page = arg_size(arg(ctx, "page"), 1, (size_t)1 << 30);
    q->per = arg_size(arg(ctx, "per"), UI_PER_PAGE, UI_PER_PAGE_MAX);
}

/* Worst first when descending: down, unknown, up. */
static int status_rank(enum dest_status s)
{
    return s == DEST_DOWN ? 2 : s == DEST_UNKNOWN ? 1 : 0;
}

static double sort_key(const struct dest_view *d, enum ui_sort s)
{
    const struct mta_figures *m = &d->mta;
    switch (s) {
    case UI_SORT_STATUS: return status_rank(d->status);
    case UI_SORT_ACTIVE: return (double)m->active;
    case UI_SORT_CONN_OUT: return (double)m->conn_current;
    case UI_SORT_DELIVERED: return (double)m->delivered;
    case UI_SORT_SOFT: return (double)m->soft_bounce;
    case UI_SORT_HARD: return (double)ui_hard_bounced(m);
    case UI_SORT_MX: return (double)d->n_hosts;
    case UI_SORT_CHANGED: return d->status_changed;
    case UI_SORT_LATENCY: return ui_mean_delay(m);
    case UI_SORT_OLDEST: return m->oldest_age_s;
    default: return 0;
    }
}

static int compare(const void *a, const void *b, void *arg)
{
    const struct ui_query *q = arg;
    const struct dest_view *x = *(const struct dest_view *const *)a;
    const struct dest_view *y = *(const struct dest_view *const *)b;
    int c = 0;
    if (q->sort != UI_SORT_DOMAIN) {
        double kx = sort_key(x, q->sort), ky = sort_key(y, q->sort);
        c = (kx > ky) - (kx < ky);
    }
    if (c == 0)
        return strcmp(x->domain, y->domain) * (q->sort == UI_SORT_DOMAIN && q->desc ? -1 : 1);
    return q->desc ? -c : c;
}

size_t ui_select(const struct snapshot *s, const struct ui_query *q, const struct dest_view ***out)
{
    const struct dest_view **v = xmalloc((s->n ? s->n : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = store_snapshot_dest(s, i);
        if (q->status >= 0 && (int)d->status != q->status)
            continue;
        if (q->filter[0] && !strstr(d->domain, q->filter))
            continue;
        v[n++] = d;
    }
    if (n > 1)
        qsort_r(v, n, sizeof *v, compare, (void *)q);
    *out = v;
    return n;
}

uint64_t ui_hard_bounced(const struct mta_figures *m)
{
    return m->hard_dns + m->hard_5xx + m->hard_filter + m->hard_expired + m->hard_other;
}

double ui_mean_delay(const struct mta_figures *m)
{
    return m->delays && m->delays->count ? m->delays->sum / (double)m->delays->count : 0;
}
