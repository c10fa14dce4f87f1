/*
 * Unit tests of probes/gwxml: the gateway status page parser. Every field of the full
 * fixture exactly (suffixes, Latin-1 to UTF-8), every error with its message, each hard
 * limit hit at its bound, chunked feeding equal to whole feeding, gwxml_parse_value edges.
 * Fixtures come from tests/fixtures/gateway under $MXW_TOP (tests/run.sh sets it) or the
 * current directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwxml.h"

#define MAX GWXML_DEFAULT_MAX_BYTES

/* Test allocations: failing one ends the run, so no caller has to check. */
static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

struct buf {
    char *data;
    size_t len;
};

static struct buf fixture(const char *name)
{
    const char *top = getenv("MXW_TOP");
    char path[1024];
    struct buf b = {NULL, 0};
    FILE *f;
    long n;
    snprintf(path, sizeof path, "%s/tests/fixtures/gateway/%s", top ? top : ".", name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b.data = xmalloc((size_t)n + 1);
    b.len = fread(b.data, 1, (size_t)n, f);
    b.data[b.len] = '\0';
    fclose(f);
    return b;
}

/* Feeds in pieces of `step` bytes (0: all at once); returns the parser's verdict. */
static int parse_chunked(const char *doc, size_t len, size_t step, size_t max, struct gw_status *st,
                         char *err, size_t errlen)
{
    struct gwxml_parser *p = gwxml_parser_new(max);
    int rc = 0;
    assert_non_null(p);
    err[0] = '\0';
    if (step == 0)
        step = len ? len : 1;
    for (size_t i = 0; i < len && rc == 0; i += step)
        rc = gwxml_parser_feed(p, doc + i, len - i < step ? len - i : step, err, errlen);
    if (rc == 0)
        rc = gwxml_parser_finish(p, st, err, errlen);
    else
        memset(st, 0, sizeof *st);
    gwxml_parser_free(p);
    return rc;
}

static int parse_str(const char *doc, struct gw_status *st, char *err, size_t errlen)
{
    return parse_chunked(doc, strlen(doc), 0, MAX, st, err, errlen);
}

static void expect_error(const char *doc, size_t len, const char *want_prefix)
{
    struct gw_status st;
    char err[256];
    assert_int_equal(parse_chunked(doc, len, 0, MAX, &st, err, sizeof err), -1);
    if (strncmp(err, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err, want_prefix);
    assert_null(st.counters);
    assert_int_equal(parse_chunked(doc, len, 1, MAX, &st, err, sizeof err), -1);
    if (strncmp(err, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("fed bytewise: error \"%s\" does not start with \"%s\"", err, want_prefix);
}

static void expect_fixture_error(const char *name, const char *want_prefix)
{
    struct buf b = fixture(name);
    expect_error(b.data, b.len, want_prefix);
    free(b.data);
}

static const struct gw_counter want_counters[] = {
    {"inj_msgs", 15201, 14120, 1893342},
    {"inj_recips", 18420, 17011, 2310457},
    {"gen_bounce_recips", 131, 120, 9811},
    {"rejected_recips", 2203, 2001, 410233},
    {"dropped_msgs", 77, 70, 5120},
    {"soft_bounced_evts", 964, 901, 120433},
    {"completed_recips", 17288, 15960, 2190004},
    {"hard_bounced_recips", 312, 288, 40021},
    {"dns_hard_bounced_recips", 41, 39, 5002},
    {"5xx_hard_bounced_recips", 203, 190, 28710},
    {"filter_hard_bounced_recips", 17, 15, 1409},
    {"expired_hard_bounced_recips", 38, 32, 3388},
    {"other_hard_bounced_recips", 13, 12, 1512},
    {"delivered_recips", 16976, 15672, 2149983},
    {"deleted_recips", 9, 8, 655},
    {"global_unsub_hits", 0, 0, 3},
};

static const struct gw_rate want_rates[] = {
    {"inj_msgs", 11, 10.4, 9.75},
    {"inj_recips", 14, 12.2, 11.5},
    {"gen_bounce_recips", 0, 0.2, 0.1},
    {"rejected_recips", 2, 1.6, 1.4},
    {"dropped_msgs", 0, 0, 0.05},
    {"soft_bounced_evts", 1, 0.8, 0.65},
    {"completed_recips", 13, 11.8, 11.25},
    {"hard_bounced_recips", 1, 0.4, 0.25},
    {"dns_hard_bounced_recips", 0, 0.06, 0.03},
    {"5xx_hard_bounced_recips", 1, 0.3, 0.2},
    {"filter_hard_bounced_recips", 0, 0.01, 0.02},
    {"expired_hard_bounced_recips", 0, 0.04, 0.07},
    {"other_hard_bounced_recips", 0, 0.09, 0.08},
    {"delivered_recips", 12, 11.4, 10.9},
    {"deleted_recips", 0, 0, 0.01},
    {"global_unsub_hits", 0, 0, 0},
};

static const struct gw_gauge want_gauges[] = {
    {"ram_utilization", 37},
    {"cpu_utilization", 12},
    {"disk_utilization", 41},
    {"conn_in", 8},
    {"conn_out", 23},
    {"active_recips", 1342},
    {"unattempted_recips", 211},
    {"attempted_recips", 1131},
    {"msgs_in_work_queue", 4},
    {"dests_in_memory", 187},
    {"kbytes_used", 523.0 * 1024},
    {"kbytes_free", 71.0 * 1024 * 1024},
    {"log_used", 12},
    {"log_available", 1.5 * 1024 * 1024 * 1024},
};

static const struct gw_feature want_features[] = {
    {"Incoming Mail Handling", 0, 0, "Perpetual"},
    {"Anti-Spam Engine", 1, 25920000, ""},
    {"Contr\xc3\xb4le des pi\xc3\xa8"
     "ces jointes",
     1, -86400, ""},
    {"Outbreak Filters", 0, 0, "Dormant"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Decimal fractions are compared exactly: the parser must round them like a C literal. */
static void check_full(const struct gw_status *st)
{
    assert_string_equal(st->build, "mxgw 14.2.1-017");
    assert_string_equal(st->hostname, "gw1.z\xc3\xbcrich.example.test");
    assert_string_equal(st->timestamp, "20240314093015");
    assert_string_equal(st->system_status, "online");
    assert_true(st->has_oldest);
    assert_true(st->oldest_message_secs == 1873);
    assert_true(st->has_birth);
    assert_true(st->birth_time == 1709294400); /* 2024-03-01 12:00:00 UTC */
    assert_int_equal(st->skipped, 0);
    assert_string_equal(st->skip_reason, "");
    assert_int_equal(st->ncounters, N(want_counters));
    assert_int_equal(st->nrates, N(want_rates));
    assert_int_equal(st->ngauges, N(want_gauges));
    assert_int_equal(st->nfeatures, N(want_features));
    for (size_t i = 0; i < N(want_counters); i++) {
        const struct gw_counter *c = &st->counters[i], *w = &want_counters[i];
        assert_string_equal(c->name, w->name);
        assert_true(c->reset == w->reset && c->uptime == w->uptime && c->lifetime == w->lifetime);
    }
    for (size_t i = 0; i < N(want_rates); i++) {
        const struct gw_rate *r = &st->rates[i], *w = &want_rates[i];
        assert_string_equal(r->name, w->name);
        if (!(r->m1 == w->m1 && r->m5 == w->m5 && r->m15 == w->m15))
            fail_msg("rate %s: %.17g %.17g %.17g", r->name, r->m1, r->m5, r->m15);
    }
    for (size_t i = 0; i < N(want_gauges); i++) {
        assert_string_equal(st->gauges[i].name, want_gauges[i].name);
        if (st->gauges[i].current != want_gauges[i].current)
            fail_msg("gauge %s: %.17g", st->gauges[i].name, st->gauges[i].current);
    }
    for (size_t i = 0; i < N(want_features); i++) {
        const struct gw_feature *f = &st->features[i], *w = &want_features[i];
        assert_string_equal(f->name, w->name);
        assert_int_equal(f->has_seconds, w->has_seconds);
        assert_true(f->seconds == w->seconds);
        assert_string_equal(f->word, w->word);
    }
}

static void full_fixture_every_field_exact(void **state)
{
    struct buf b = fixture("status.xml");
    struct gw_status st;
    char err[256];
    (void)state;
    assert_non_null(memchr(b.data, 0xfc, b.len)); /* the fixture really is Latin-1 */
    assert_int_equal(gwxml_parse(b.data, b.len, MAX, &st, err, sizeof err), 0);
    check_full(&st);
    assert_ptr_equal(gw_find_counter(&st, "delivered_recips"), &st.counters[13]);
    assert_ptr_equal(gw_find_rate(&st, "inj_msgs"), &st.rates[0]);
    assert_ptr_equal(gw_find_gauge(&st, "log_available"), &st.gauges[13]);
    assert_ptr_equal(gw_find_feature(&st, "Outbreak Filters"), &st.features[3]);
    assert_null(gw_find_counter(&st, "no_such_counter"));
    assert_null(gw_find_gauge(&st, "inj_msgs"));
    gw_status_free(&st);
    assert_null(st.counters);
    gw_status_free(&st); /* twice is harmless */
    free(b.data);
}

static void assert_same_status(const struct gw_status *a, const struct gw_status *b)
{
    assert_memory_equal(a->build, b->build, offsetof(struct gw_status, counters));
    assert_int_equal(a->ncounters, b->ncounters);
    assert_int_equal(a->nrates, b->nrates);
    assert_int_equal(a->ngauges, b->ngauges);
    assert_int_equal(a->nfeatures, b->nfeatures);
    assert_int_equal(a->skipped, b->skipped);
    assert_string_equal(a->skip_reason, b->skip_reason);
    assert_memory_equal(a->counters, b->counters, a->ncounters * sizeof *a->counters);
    assert_memory_equal(a->rates, b->rates, a->nrates * sizeof *a->rates);
    assert_memory_equal(a->gauges, b->gauges, a->ngauges * sizeof *a->gauges);
    assert_memory_equal(a->features, b->features, a->nfeatures * sizeof *a->features);
}

static void chunked_feeding_equals_whole(void **state)
{
    static const char *const names[] = {"status.xml", "unknown.xml"};
    static const size_t steps[] = {1, 2, 3, 7, 64, 4096};
    (void)state;
    for (size_t f = 0; f < N(names); f++) {
        struct buf b = fixture(names[f]);
        struct gw_status whole, piece;
        char err[256];
        assert_int_equal(parse_chunked(b.data, b.len, 0, MAX, &whole, err, sizeof err), 0);
        for (size_t s = 0; s < N(steps); s++) {
            if (parse_chunked(b.data, b.len, steps[s], MAX, &piece, err, sizeof err) != 0)
                fail_msg("%s in %zu-byte pieces: %s", names[f], steps[s], err);
            assert_same_status(&whole, &piece);
            gw_status_free(&piece);
        }
        gw_status_free(&whole);
        free(b.data);
    }
}

static void unknown_names_kept_unknown_elements_ignored(void **state)
{
    struct buf b = fixture("unknown.xml");
    struct gw_status st;
    char err[256];
    (void)state;
    assert_int_equal(gwxml_parse(b.data, b.len, MAX, &st, err, sizeof err), 0);
    assert_string_equal(st.build, "mxgw 15.0.0-003");
    assert_string_equal(st.system_status, "online");
    assert_false(st.has_oldest);
    assert_false(st.has_birth);
    assert_int_equal(st.ncounters, 2);
    assert_int_equal(st.nrates, 1);
    assert_int_equal(st.ngauges, 3);
    assert_int_equal(st.nfeatures, 0);
    assert_int_equal(st.skipped, 0);
    assert_null(gw_find_counter(&st, "cluster_msgs")); /* under <cluster>, not <status> */
    assert_true(gw_find_counter(&st, "inj_msgs")->lifetime == 7);
    assert_true(gw_find_counter(&st, "quarantined_msgs")->lifetime == 4096);
    assert_true(gw_find_rate(&st, "quarantined_msgs")->m15 == 0.125);
    assert_true(gw_find_gauge(&st, "reporting_utilization")->current == 3);
    assert_true(gw_find_gauge(&st, "quarantine_kbytes")->current == 2199023255552.0);
    gw_status_free(&st);
    free(b.data);
}

static void fixture_errors_name_their_place(void **state)
{
    (void)state;
    expect_fixture_error("login.html", "not a status document: root element <html>");
    expect_fixture_error("truncated.xml", "truncated document at line 30 column ");
    expect_fixture_error("malformed.xml", "malformed XML at line 6 column 36: AttValue");
    expect_fixture_error("entities.xml",
                         "line 5: entity declarations are not allowed (<!ENTITY x0>)");
    expect_fixture_error("xxe.xml", "line 5: entity declarations are not allowed (<!ENTITY leak>)");
}

static void other_documents_refused(void **state)
{
    static const char latin1_undeclared[] = "<status hostname=\"z\xfcrich\"/>";
    char longroot[200];
    (void)state;
    expect_error("", 0, "empty document");
    expect_error("<?xml version=\"1.0\"?>\n<html><body/></html>", 41,
                 "not a status document: root element <html>");
    expect_error("<rss version=\"2.0\"/>", 20, "not a status document: root element <rss>");
    /* Regressions (found by fuzzing under ASan): a fault in the root's start tag or in an
     * attribute list must not touch the attributes after libxml2 stopped. */
    expect_error("<stat build=\"x\" hostname=\"y\"/>", 31,
                 "not a status document: root element <stat>");
    expect_error("<status build=\"a\" build=\"b\"/>", 30,
                 "malformed XML at line 1 column 28: Attribute build redefined");
    expect_error("<status/>junk", 13, "malformed XML at line 1 column 10: Extra content");
    expect_error("<status>\n<a></b></status>", 25,
                 "malformed XML at line 2 column 8: Opening and ending tag mismatch");
    expect_error("<status><counters>", 18, "truncated document at line 1 column 19");
    expect_error(latin1_undeclared, sizeof latin1_undeclared - 1,
                 "malformed XML at line 1 column 20: Input is not proper UTF-8");
    /* Outside text in a message is cut and made printable. */
    memset(longroot, 'r', sizeof longroot);
    longroot[0] = '<';
    memcpy(longroot + 150, "/>", 3);
    expect_error(longroot, strlen(longroot),
                 "not a status document: root element "
                 "<rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr...>");
}

/* A DTD named by the document must not be read: if it were, its default attribute would
 * fill <system status>. */
static void external_dtd_never_loaded(void **state)
{
    char path[] = "/tmp/gwxml-dtd-XXXXXX", doc[256];
    static const char dtd[] = "<!ATTLIST system status CDATA \"loaded\">\n";
    struct gw_status st;
    char err[256];
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, dtd, sizeof dtd - 1), (ssize_t)(sizeof dtd - 1));
    close(fd);
    snprintf(doc, sizeof doc, "<!DOCTYPE status SYSTEM \"file://%s\">\n<status><system/></status>",
             path);
    assert_int_equal(parse_str(doc, &st, err, sizeof err), 0);
    assert_string_equal(st.system_status, "");
    gw_status_free(&st);
    unlink(path);
}

static void attribute_references_decoded(void **state)
{
    struct gw_status st;
    char err[256];
    (void)state;
    assert_int_equal(parse_str("<status hostname=\"a&amp;b&#252;&lt;&#38;&amp;#38;\"><gauges>"
                               "<gauge name=\"x&amp;y\" current=\"1\"/></gauges></status>",
                               &st, err, sizeof err),
                     0);
    assert_string_equal(st.hostname, "a&b\xc3\xbc<&&#38;");
    assert_non_null(gw_find_gauge(&st, "x&y"));
    gw_status_free(&st);
}

/* A document of exactly `size` bytes: a status element padded with trailing spaces. */
static char *doc_of_size(size_t size)
{
    static const char head[] = "<status build=\"b\"/>";
    char *d = xmalloc(size + 1);
    assert_true(size >= sizeof head - 1);
    memcpy(d, head, sizeof head - 1);
    memset(d + sizeof head - 1, ' ', size - (sizeof head - 1));
    d[size] = '\0';
    return d;
}

static void size_cap_at_the_byte(void **state)
{
    const size_t limit = 4096;
    struct gw_status st;
    char err[256];
    (void)state;
    for (size_t size = limit - 1; size <= limit + 1; size++) {
        char *d = doc_of_size(size);
        int want = size <= limit ? 0 : -1;
        assert_int_equal(parse_chunked(d, size, 0, limit, &st, err, sizeof err), want);
        gw_status_free(&st);
        assert_int_equal(parse_chunked(d, size, 1000, limit, &st, err, sizeof err), want);
        gw_status_free(&st);
        if (want)
            assert_string_equal(err, "document larger than 4096 bytes");
        free(d);
    }
}

static void size_cap_stops_the_full_fixture(void **state)
{
    struct buf b = fixture("status.xml");
    struct gw_status st;
    char err[256];
    (void)state;
    assert_int_equal(gwxml_parse(b.data, b.len, b.len, &st, err, sizeof err), 0);
    gw_status_free(&st);
    assert_int_equal(gwxml_parse(b.data, b.len, b.len - 1, &st, err, sizeof err), -1);
    free(b.data);
}

static char *nested_doc(int depth)
{
    char *d = xmalloc((size_t)depth * 8 + 32), *w = d;
    w += sprintf(w, "<status>");
    for (int i = 1; i < depth; i++)
        w += sprintf(w, "<x>");
    for (int i = 1; i < depth; i++)
        w += sprintf(w, "</x>");
    sprintf(w, "</status>");
    return d;
}

static void depth_cap_at_the_level(void **state)
{
    struct gw_status st;
    char err[256];
    char *ok = nested_doc(GWXML_MAX_DEPTH), *deep = nested_doc(GWXML_MAX_DEPTH + 1);
    (void)state;
    assert_int_equal(parse_str(ok, &st, err, sizeof err), 0);
    gw_status_free(&st);
    assert_int_equal(parse_str(deep, &st, err, sizeof err), -1);
    assert_string_equal(err, "line 1: element <x> nested deeper than 16 levels");
    free(ok);
    free(deep);
}

/* <status><SECTIONs><ITEM name="nI" ATTRS/>...</SECTIONs></status> with n items. */
static char *items_doc(const char *section, const char *item, const char *attrs, size_t n)
{
    size_t cap = 64 + n * (strlen(item) + strlen(attrs) + 24);
    char *d = xmalloc(cap), *w = d;
    w += sprintf(w, "<status><%s>\n", section);
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "<%s name=\"n%zu\" %s/>\n", item, i, attrs);
    sprintf(w, "</%s></status>", section);
    return d;
}

static void item_caps_at_the_count(void **state)
{
    static const char *const kinds[][3] = {
        {"counters", "counter", "reset=\"1\" uptime=\"2\" lifetime=\"3\""},
        {"rates", "rate", "last_1_min=\"1\" last_5_min=\"2\" last_15_min=\"3\""},
        {"gauges", "gauge", "current=\"1\""},
        {"features", "feature", "time_remaining=\"1\""},
    };
    (void)state;
    for (size_t k = 0; k < N(kinds); k++) {
        struct gw_status st;
        char err[256], want[96];
        char *ok = items_doc(kinds[k][0], kinds[k][1], kinds[k][2], GWXML_MAX_ITEMS);
        char *over = items_doc(kinds[k][0], kinds[k][1], kinds[k][2], GWXML_MAX_ITEMS + 1);
        assert_int_equal(parse_str(ok, &st, err, sizeof err), 0);
        assert_int_equal(st.ncounters + st.nrates + st.ngauges + st.nfeatures, GWXML_MAX_ITEMS);
        gw_status_free(&st);
        assert_int_equal(parse_str(over, &st, err, sizeof err), -1);
        snprintf(want, sizeof want, "line 1026: more than 1024 <%s> elements", kinds[k][1]);
        assert_string_equal(err, want);
        free(ok);
        free(over);
    }
}

static char *repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* One document from `tmpl` with its "%s" replaced by `len` bytes of 'a'. */
static int parse_with_field(const char *tmpl, size_t len, struct gw_status *st)
{
    const char *hole = strstr(tmpl, "%s");
    size_t before = (size_t)(hole - tmpl);
    char *field = repeat('a', len), *doc = xmalloc(strlen(tmpl) + len + 1), err[256];
    int rc;
    memcpy(doc, tmpl, before);
    memcpy(doc + before, field, len);
    strcpy(doc + before + len, hole + 2);
    rc = parse_str(doc, st, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    free(field);
    free(doc);
    return rc;
}

/* Each fixed buffer: the longest text that fits is kept, one byte more skips the field. */
static void string_fields_at_their_bound(void **state)
{
    static const struct {
        const char *fmt;
        size_t max;
        const char *reason;
    } cases[] = {
        {"<status hostname=\"%s\"/>", GW_HOSTNAME_MAX - 1,
         "line 1: <status> attribute hostname: longer than 255 bytes"},
        {"<status build=\"%s\"/>", GW_BUILD_MAX - 1,
         "line 1: <status> attribute build: longer than 63 bytes"},
        {"<status timestamp=\"%s\"/>", GW_TIMESTAMP_MAX - 1,
         "line 1: <status> attribute timestamp: longer than 63 bytes"},
        {"<status><system status=\"%s\"/></status>", GW_SYSTEM_STATUS_MAX - 1,
         "line 1: <system> attribute status: longer than 31 bytes"},
        {"<status><gauges><gauge name=\"%s\" current=\"1\"/></gauges></status>", GW_NAME_MAX - 1,
         "line 1: <gauge> attribute name: longer than 63 bytes: "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
        {"<status><features><feature name=\"f\" time_remaining=\"%s\"/></features></status>",
         GW_NAME_MAX - 1,
         "line 1: <feature name=\"f\"> attribute time_remaining: longer than 63 bytes"},
    };
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        struct gw_status st;
        parse_with_field(cases[i].fmt, cases[i].max, &st);
        assert_int_equal(st.skipped, 0);
        assert_int_equal(strlen(st.hostname) + strlen(st.build) + strlen(st.timestamp) +
                             strlen(st.system_status) +
                             (st.ngauges ? strlen(st.gauges[0].name) : 0) +
                             (st.nfeatures ? strlen(st.features[0].word) : 0),
                         cases[i].max);
        gw_status_free(&st);
        parse_with_field(cases[i].fmt, cases[i].max + 1, &st);
        assert_int_equal(st.skipped, 1);
        assert_string_equal(st.skip_reason, cases[i].reason);
        assert_int_equal(st.ngauges + st.nfeatures, 0);
        gw_status_free(&st);
    }
}

static void numeric_text_at_its_bound(void **state)
{
    char *zeros = repeat('0', GWXML_VALUE_MAX_LEN + 1);
    struct gw_status st;
    double v;
    (void)state;
    zeros[GWXML_VALUE_MAX_LEN - 1] = '7'; /* 31 bytes: "000...07" */
    zeros[GWXML_VALUE_MAX_LEN] = '\0';
    assert_int_equal(gwxml_parse_value(zeros, &v), 0);
    assert_true(v == 7);
    zeros[GWXML_VALUE_MAX_LEN] = '7'; /* 32 bytes */
    assert_int_equal(gwxml_parse_value(zeros, &v), -1);
    parse_with_field("<status><gauges><gauge name=\"g\" current=\"%s\"/></gauges></status>",
                     GWXML_VALUE_MAX_LEN + 1, &st);
    assert_int_equal(st.ngauges, 0);
    assert_string_equal(st.skip_reason, "line 1: <gauge name=\"g\"> attribute current: not a "
                                        "number: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"");
    gw_status_free(&st);
    free(zeros);
}

static void bad_items_skipped_with_reason(void **state)
{
    static const struct {
        const char *doc, *reason;
        size_t kept;
    } cases[] = {
        {"<status><gauges>\n<gauge name=\"a\" current=\"N/A\"/>\n<gauge name=\"b\" "
         "current=\"2\"/></gauges></status>",
         "line 2: <gauge name=\"a\"> attribute current: not a number: \"N/A\"", 1},
        {"<status><gauges><gauge current=\"1\"/></gauges></status>",
         "line 1: <gauge> attribute name: missing or empty", 0},
        {"<status><gauges><gauge name=\"\" current=\"1\"/></gauges></status>",
         "line 1: <gauge> attribute name: missing or empty", 0},
        {"<status><counters><counter name=\"c\" reset=\"1\" lifetime=\"2\"/></counters></status>",
         "line 1: <counter name=\"c\"> attribute uptime: missing", 0},
        {"<status><rates><rate name=\"r\" last_1_min=\"1\" last_5_min=\"1\" "
         "last_15_min=\"x\"/></rates></status>",
         "line 1: <rate name=\"r\"> attribute last_15_min: not a number: \"x\"", 0},
        {"<status><gauges><gauge name=\"a\" current=\"1\"/>\n<gauge name=\"a\" "
         "current=\"2\"/></gauges></status>",
         "line 2: <gauge name=\"a\"> duplicate name, later one dropped", 1},
        {"<status><oldest_message secs=\"soon\"/></status>",
         "line 1: <oldest_message> attribute secs: not a number: \"soon\"", 0},
        {"<status><birth_time timestamp=\"20241301000000\"/></status>",
         "line 1: <birth_time> attribute timestamp: not a time: \"20241301000000\"", 0},
        {"<status><birth_time/></status>", "line 1: <birth_time> attribute timestamp: missing", 0},
        /* A counter below zero would be exported as a counter value of -5. */
        {"<status><counters><counter name=\"c\" reset=\"1\" uptime=\"2\" lifetime=\"-5\"/>"
         "</counters></status>",
         "line 1: <counter name=\"c\"> attribute lifetime: malformed, a counter is never "
         "negative: \"-5\"",
         0},
        {"<status><counters><counter name=\"c\" reset=\"-1K\" uptime=\"2\" lifetime=\"5\"/>"
         "</counters></status>",
         "line 1: <counter name=\"c\"> attribute reset: malformed, a counter is never "
         "negative: \"-1K\"",
         0},
        /* A CR (or any control character) in a name would reach a label. */
        {"<status><gauges><gauge name=\"a&#13;b\" current=\"1\"/></gauges></status>",
         "line 1: <gauge> attribute name: holds a control character: \"a?b\"", 0},
        {"<status><features><feature name=\"f\" time_remaining=\"x&#10;y\"/></features></status>",
         "line 1: <feature name=\"f\"> attribute time_remaining: holds a control character", 0},
        {"<status hostname=\"gw&#13;.test\"><gauges><gauge name=\"g\" current=\"1\"/></gauges>"
         "</status>",
         "line 1: <status> attribute hostname: holds a control character", 1},
    };
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        struct gw_status st;
        char err[256];
        assert_int_equal(parse_str(cases[i].doc, &st, err, sizeof err), 0);
        assert_int_equal(st.skipped, 1);
        assert_string_equal(st.skip_reason, cases[i].reason);
        assert_int_equal(st.ncounters + st.nrates + st.ngauges, cases[i].kept);
        assert_false(st.has_oldest || st.has_birth);
        gw_status_free(&st);
    }
}

/* What a label is made of never holds a control character: the hostname is left empty, the
 * item with such a name and the feature with such a word are dropped, the others stay. */
static void control_characters_never_reach_a_label(void **state)
{
    (void)state;
    struct gw_status st;
    char err[256];
    assert_int_equal(parse_str("<status hostname=\"gw&#13;.test\" build=\"b1\"><gauges>"
                               "<gauge name=\"x&#13;\" current=\"1\"/><gauge name=\"ok\" "
                               "current=\"2\"/></gauges><features><feature name=\"f\" "
                               "time_remaining=\"Perp&#13;etual\"/></features></status>",
                               &st, err, sizeof err),
                     0);
    assert_string_equal(st.hostname, "");
    assert_string_equal(st.build, "b1");
    assert_int_equal(st.ngauges, 1);
    assert_string_equal(st.gauges[0].name, "ok");
    assert_int_equal(st.nfeatures, 0);
    assert_int_equal(st.skipped, 3);
    gw_status_free(&st);
}

static void birth_time_forms(void **state)
{
    static const struct {
        const char *doc;
        double want;
    } cases[] = {
        {"<status><birth_time timestamp=\"20240301120000\"/></status>", 1709294400},
        {"<status><birth_time timestamp=\"19700101000001 (54y)\"/></status>", 1},
        {"<status><birth_time timestamp=\"1709294400\"/></status>", 1709294400},
    };
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        struct gw_status st;
        char err[256];
        assert_int_equal(parse_str(cases[i].doc, &st, err, sizeof err), 0);
        assert_true(st.has_birth);
        assert_true(st.birth_time == cases[i].want);
        gw_status_free(&st);
    }
}

static void parser_misuse_fails_cleanly(void **state)
{
    struct gwxml_parser *p = gwxml_parser_new(MAX);
    struct gw_status st;
    char err[256], tiny[8];
    (void)state;
    assert_int_equal(gwxml_parser_feed(p, "<html>", 6, err, sizeof err), -1);
    assert_int_equal(gwxml_parser_feed(p, "<status/>", 9, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "not a s"); /* the same first error, cut to the buffer */
    assert_int_equal(gwxml_parser_finish(p, &st, err, sizeof err), -1);
    assert_string_equal(err, "not a status document: root element <html>");
    gwxml_parser_free(p);

    p = gwxml_parser_new(MAX);
    assert_int_equal(gwxml_parser_feed(p, "<status/>", 9, err, sizeof err), 0);
    assert_int_equal(gwxml_parser_finish(p, &st, err, sizeof err), 0);
    gw_status_free(&st);
    assert_int_equal(gwxml_parser_finish(p, &st, err, sizeof err), -1);
    assert_string_equal(err, "document already finished");
    gwxml_parser_free(p);
    gwxml_parser_free(NULL);
}

static void parse_value_edges(void **state)
{
    static const struct {
        const char *s;
        double want;
    } good[] = {
        {"0", 0},
        {"12", 12},
        {"-5", -5},
        {"-0", 0},
        {"1.5", 1.5},
        {"0.1", 0.1},
        {"007", 7},
        {"3K", 3072},
        {"2M", 2097152},
        {"1G", 1073741824},
        {"1T", 1099511627776.0},
        {"1.5K", 1536},
        {"-2K", -2048},
        {"18446744073709549568", 18446744073709549568.0}, /* the last double below 2^64 */
        {"123456789.123456789", 123456789.123456789},
        {"16777215T", 16777215.0 * 1099511627776.0},
    };
    static const char *const bad[] = {
        "",
        "-",
        "+5",
        " 5",
        "5 ",
        "5.",
        ".5",
        "1e3",
        "0x10",
        "inf",
        "nan",
        "3k",
        "3KB",
        "3KK",
        "K",
        "1,5",
        "--1",
        "1.2.3",
        "12abc",
        "-K",
        "16777216T",
        "18446744073709551615",
        "99999999999999999999",
    };
    double v;
    (void)state;
    for (size_t i = 0; i < N(good); i++) {
        v = -1;
        if (gwxml_parse_value(good[i].s, &v) != 0)
            fail_msg("\"%s\" refused", good[i].s);
        if (v != good[i].want)
            fail_msg("\"%s\" gave %.17g", good[i].s, v);
    }
    for (size_t i = 0; i < N(bad); i++) {
        v = 42;
        if (gwxml_parse_value(bad[i], &v) != -1)
            fail_msg("\"%s\" accepted as %.17g", bad[i], v);
        assert_true(v == 42);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_fixture_every_field_exact),
        cmocka_unit_test(chunked_feeding_equals_whole),
        cmocka_unit_test(unknown_names_kept_unknown_elements_ignored),
        cmocka_unit_test(fixture_errors_name_their_place),
        cmocka_unit_test(other_documents_refused),
        cmocka_unit_test(external_dtd_never_loaded),
        cmocka_unit_test(attribute_references_decoded),
        cmocka_unit_test(size_cap_at_the_byte),
        cmocka_unit_test(size_cap_stops_the_full_fixture),
        cmocka_unit_test(depth_cap_at_the_level),
        cmocka_unit_test(item_caps_at_the_count),
        cmocka_unit_test(string_fields_at_their_bound),
        cmocka_unit_test(numeric_text_at_its_bound),
        cmocka_unit_test(bad_items_skipped_with_reason),
        cmocka_unit_test(control_characters_never_reach_a_label),
        cmocka_unit_test(birth_time_forms),
        cmocka_unit_test(parser_misuse_fails_cleanly),
        cmocka_unit_test(parse_value_edges),
    };
    gwxml_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
