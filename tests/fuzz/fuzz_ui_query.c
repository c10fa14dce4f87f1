/*
 * libFuzzer target for the status page's query (ui_query_parse in exporters/web/ui_query.c):
 * the input is a query string "name=value&name=value..." as libmicrohttpd hands its
 * arguments over (the first of a name wins), parsed, then used as the list page uses it:
 * the selection over a small fixed snapshot and the page rendered. Besides the sanitizers'
 * checks it holds the promises of ui.h: a known column, a status of -1 to 2, a page of at
 * least 1, 1 to UI_PER_PAGE_MAX rows, a lower-case filter within UI_FILTER_MAX with no blank
 * at either end, and a selection of destinations that all match it.
 * Built by `make fuzz`; its corpus replays in tests/unit/web/test_fuzz_web.c.
 */
#include "fuzz.h"
#include "snapfix.h"
#include "ui.h"

#include <ctype.h>

struct ui_args {
    const char *text, *end;
};

/* The value of the first name=value pair of that name, copied (freed with the next call). */
static const char *ui_arg(void *ctx, const char *name)
{
    static char *value;
    const struct ui_args *a = ctx;
    const char *p = a->text, *pair;
    size_t len, nl = strlen(name);
    free(value);
    value = NULL;
    while ((pair = fuzz_field(&p, a->end, '&', &len)))
        if (len > nl && pair[nl] == '=' && !memcmp(pair, name, nl))
            return value = strndup(pair + nl + 1, len - nl - 1);
    return NULL;
}

static void ui_check_query(const struct ui_query *q)
{
    size_t n = strnlen(q->filter, sizeof q->filter);
    FUZZ_CHECK((unsigned)q->sort < UI_SORT__COUNT);
    FUZZ_CHECK(q->status >= -1 && q->status <= 2);
    FUZZ_CHECK(q->page >= 1 && q->per >= 1 && q->per <= UI_PER_PAGE_MAX);
    FUZZ_CHECK(n < sizeof q->filter);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(!isupper((unsigned char)q->filter[i]));
    FUZZ_CHECK(n == 0 || (!strchr(" \t", q->filter[0]) && !strchr(" \t", q->filter[n - 1])));
}

FUZZ_ENTRY(ui_query)
{
    static const struct snapshot *snap;
    if (!snap)
        snap = snapfix_world();
    struct ui_args a = {(const char *)data, (const char *)data + size};
    struct ui_query q;
    ui_query_parse(&q, ui_arg, &a);
    ui_arg(&a, ""); /* frees the last value */
    ui_check_query(&q);
    const struct dest_view **v;
    size_t n = ui_select(snap, &q, &v);
    FUZZ_CHECK(n <= snap->n);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(strstr(v[i]->domain, q.filter) != NULL);
    free(v);
    struct buf out = {0};
    struct ui_ctx c = {.can_retry = size & 1, .user = "alice", .now = 1800000000};
    ui_render_list(snap, &q, &c, &out);
    FUZZ_CHECK(out.len > 0);
    buf_free(&out);
    return 0;
}
