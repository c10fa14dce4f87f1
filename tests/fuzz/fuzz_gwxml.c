/*
 * libFuzzer target for the gateway status page parser (probes/sources/gwxml.c): any bytes as
 * the body of GET /xml/status, fed in pieces as libcurl hands them over, under a cap of
 * GWXML_FUZZ_CAP bytes. Besides the sanitizers' checks it holds the promises of gwxml.h and
 * gwstatus.h: a refused document has an error and a zeroed status; an accepted one has at
 * most GWXML_MAX_ITEMS items of each kind, names that are non-empty, unique in their kind
 * and free of control characters, root texts free of them too, counters that are never
 * negative, and a skip reason exactly when something was skipped.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "gwxml.h"

#include <math.h>

#define GWXML_FUZZ_CAP 32768

/* A string field: NUL-terminated within its buffer, no control characters. */
static void gwxml_check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    FUZZ_CHECK(n < cap);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

/* n items of size bytes, each starting with its name: non-empty, clean, unique. */
static void gwxml_check_names(const void *items, size_t n, size_t size)
{
    FUZZ_CHECK(n <= GWXML_MAX_ITEMS);
    for (size_t i = 0; i < n; i++) {
        const char *name = (const char *)items + i * size;
        gwxml_check_text(name, GW_NAME_MAX);
        FUZZ_CHECK(name[0] != '\0');
        FUZZ_CHECK(gw_find_item(items, n, size, name) == name);
    }
}

static void gwxml_check_status(const struct gw_status *st)
{
    gwxml_check_text(st->build, sizeof st->build);
    gwxml_check_text(st->hostname, sizeof st->hostname);
    gwxml_check_text(st->timestamp, sizeof st->timestamp);
    gwxml_check_text(st->system_status, sizeof st->system_status);
    gwxml_check_names(st->counters, st->ncounters, sizeof *st->counters);
    gwxml_check_names(st->rates, st->nrates, sizeof *st->rates);
    gwxml_check_names(st->gauges, st->ngauges, sizeof *st->gauges);
    gwxml_check_names(st->features, st->nfeatures, sizeof *st->features);
    for (size_t i = 0; i < st->ncounters; i++) {
        const struct gw_counter *c = &st->counters[i];
        FUZZ_CHECK(c->reset >= 0 && c->uptime >= 0 && c->lifetime >= 0);
        FUZZ_CHECK(isfinite(c->reset) && isfinite(c->uptime) && isfinite(c->lifetime));
    }
    for (size_t i = 0; i < st->nfeatures; i++)
        gwxml_check_text(st->features[i].word, GW_NAME_MAX);
    FUZZ_CHECK(strnlen(st->skip_reason, GW_REASON_MAX) < GW_REASON_MAX);
    FUZZ_CHECK((st->skipped > 0) == (st->skip_reason[0] != '\0'));
}

FUZZ_ENTRY(gwxml)
{
    gwxml_global_init();
    struct gwxml_parser *p = gwxml_parser_new(GWXML_FUZZ_CAP);
    char err[256] = "";
    int rc = 0;
    uint32_t seed = (uint32_t)size;
    for (size_t at = 0, n; rc == 0 && at < size; at += n) {
        n = fuzz_chunk(&seed, size - at, 2048);
        rc = gwxml_parser_feed(p, (const char *)data + at, n, err, sizeof err);
    }
    FUZZ_CHECK(rc == 0 || (err[0] && size > 0));
    struct gw_status st;
    memset(&st, 0x5a, sizeof st);
    if (rc == 0)
        rc = gwxml_parser_finish(p, &st, err, sizeof err);
    else
        memset(&st, 0, sizeof st);
    gwxml_parser_free(p);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err[0] != '\0' && st.ncounters == 0 && st.counters == NULL);
        return 0;
    }
    gwxml_check_status(&st);
    gw_status_free(&st);
    return 0;
}
