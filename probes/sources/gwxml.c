/*
 * gwxml: the gateway's XML status page, read with libxml2's SAX2 push parser so the probe
 * loop can feed body chunks as they arrive and never builds a tree. See gwxml.h for the
 * document, the limits and the thread rules.
 *
 * Safety: the SAX handler has no callbacks for DTDs, entity lookup or external subsets, so
 * nothing is ever loaded or expanded; a document declaring an entity is refused at the
 * declaration (billion laughs, external entities). XML_PARSE_NONET on top, NOENT and
 * DTDLOAD off, libxml2's own name and text limits (no XML_PARSE_HUGE) under ours.
 *
 * Must never: write to stderr, allocate beyond the caps in gwxml.h, or crash on any input.
 */
#include "gwxml.h"
#include "xalloc.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HEAD_MAX   64        /* first bytes kept to recognise an HTML page that is not XML */
#define FEED_PIECE (1 << 20) /* xmlParseChunk takes an int length */
#define SHOW_MAX   40        /* outside text quoted in messages, at most */

enum kind { K_COUNTER, K_RATE, K_GAUGE, K_FEATURE, NKINDS };
enum gw_ctx { CTX_IGNORED, CTX_STATUS, CTX_SECTION };

struct frame {
    enum gw_ctx ctx;
    enum kind kind; /* for CTX_SECTION */
};

/* One growing array of items while the document is parsed; moved into the status at end. */
struct vec {
    void *items;
    size_t n;    /* items kept */
    size_t seen; /* elements met, kept or skipped: what the cap counts */
    size_t cap;
};

struct gwxml_parser {
    xmlParserCtxtPtr ctxt;
    size_t max_bytes, fed;
    int failed, finishing, finished;
    int depth; /* elements open now */
    int seen_root, root_closed;
    struct frame stack[GWXML_MAX_DEPTH];
    char head[HEAD_MAX];
    size_t head_len;
    const char *cur_el, *cur_name; /* the item being read, for skip reasons */
    struct vec vec[NKINDS];
    struct gw_status st;
    char err[256];
};

struct attrs {
    const xmlChar **a; /* libxml2 SAX2 layout: 5 pointers per attribute */
    int n;
};

typedef int fill_fn(struct gwxml_parser *p, const struct attrs *at, void *slot);
static fill_fn fill_counter, fill_rate, fill_gauge, fill_feature;

/* Every item struct starts with its name, so a vec can be searched without knowing its type. */
static const struct {
    const char *section, *item;
    size_t size;
    fill_fn *fill;
} kinds[NKINDS] = {
    [K_COUNTER] = {"counters", "counter", sizeof(struct gw_counter), fill_counter},
    [K_RATE] = {"rates", "rate", sizeof(struct gw_rate), fill_rate},
    [K_GAUGE] = {"gauges", "gauge", sizeof(struct gw_gauge), fill_gauge},
    [K_FEATURE] = {"features", "feature", sizeof(struct gw_feature), fill_feature},
};
_Static_assert(offsetof(struct gw_counter, name) == 0 && offsetof(struct gw_rate, name) == 0 &&
                   offsetof(struct gw_gauge, name) == 0 && offsetof(struct gw_feature, name) == 0,
               "item structs start with their name");

static int line(const struct gwxml_parser *p)
{
    return xmlSAX2GetLineNumber(p->ctxt);
}

/* Outside text made safe to quote in a log line: printable ASCII, others as '?', cut. */
static const char *show(char out[SHOW_MAX + 4], const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n && i < SHOW_MAX; i++)
        out[i] = (char)((s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?');
    if (n > SHOW_MAX)
        memcpy(out + i, "...", 4);
    else
        out[i] = '\0';
    return out;
}

/* The first fault wins. It does not stop libxml2: see halt(). */
__attribute__((format(printf, 2, 3))) static void fail(struct gwxml_parser *p, const char *fmt, ...)
{
    va_list ap;
    if (p->failed)
        return;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
}

/* Stops libxml2 after a fault found in a SAX callback. xmlStopParser() frees the input
 * buffer, which the callback's attribute pointers point into: the callback must return at
 * once. Never called from the error handler: libxml2 may still hold pointers into the
 * buffer there, and stops by itself on a fatal error. */
static void halt(struct gwxml_parser *p)
{
    xmlStopParser(p->ctxt);
}

/* Counts one dropped item or field and keeps the first reason with its place, e.g.
 * `line 12: <gauge name="log_used"> attribute current: not a number: "N/A"`. */
__attribute__((format(printf, 4, 5))) static void skip(struct gwxml_parser *p, const char *el,
                                                       const char *name, const char *fmt, ...)
{
    char *r = p->st.skip_reason, shown[SHOW_MAX + 4];
    size_t used;
    va_list ap;
    if (p->st.skipped++ > 0)
        return;
    used = (size_t)snprintf(r, GW_REASON_MAX, "line %d: <%s%s%s%s> ", line(p), el,
                            name ? " name=\"" : "", name ? show(shown, name, strlen(name)) : "",
                            name ? "\"" : "");
    if (used >= GW_REASON_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(r + used, GW_REASON_MAX - used, fmt, ap);
    va_end(ap);
}

/* The attribute's value (not NUL-terminated) and its length, or NULL when absent. */
static const char *attr(const struct attrs *at, const char *name, size_t *len)
{
    for (int i = 0; i < at->n; i++) {
        const xmlChar **x = at->a + (size_t)5 * i;
        if (strcmp((const char *)x[0], name) == 0) {
            *len = (size_t)(x[4] - x[3]);
            return (const char *)x[3];
        }
    }
    return NULL;
}

/* Copies attribute text into dst[cap] with its NUL; -1 (dst left "") when it does not fit,
 * -2 (dst left "") when it holds a control character: a character reference such as &#13;
 * puts one in, and a CR or a line feed in a name would reach a label or a log line.
 * Without XML_PARSE_NOENT, libxml2 hands every escaped '&' over as "&#38;" (and a literal '&'
 * cannot occur), so turning that sequence back into '&' is exact. */
static int copy_text(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; o++) {
        if (o + 1 >= cap || (unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            int rc = o + 1 >= cap ? -1 : -2;
            dst[0] = '\0';
            return rc;
        }
        if (n - i >= 5 && memcmp(s + i, "&#38;", 5) == 0) {
            dst[o] = '&';
            i += 5;
        } else {
            dst[o] = s[i++];
        }
    }
    dst[o] = '\0';
    return 0;
}

/* Accumulates a run of digits into *mant. Digits past 19 significant ones no longer fit: in
 * the integer part they raise *exp10, in a fraction they are dropped. Returns digits read. */
static size_t digits(const char *s, size_t n, uint64_t *mant, int *exp10, int fraction)
{
    size_t i;
    for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (*mant <= (UINT64_MAX - 9) / 10) {
            *mant = *mant * 10 + (uint64_t)(s[i] - '0');
            *exp10 -= fraction;
        } else {
            *exp10 += !fraction;
        }
    }
    return i;
}

/* v * 10^e, rounded once when |e| <= 22 (powers of ten up to 1e22 are exact doubles). */
static double scale10(double v, int e)
{
    double p = 1;
    for (int i = e < 0 ? -e : e; i > 0; i--)
        p *= 10;
    return e < 0 ? v / p : v * p;
}

static int parse_value_n(const char *s, size_t n, double *out)
{
    static const char suffixes[] = "KMGT";
    const char *k;
    uint64_t mant = 0;
    int exp10 = 0, neg = 0;
    size_t i = 0, d;
    double v, mult = 1;

    if (n == 0 || n > GWXML_VALUE_MAX_LEN)
        return -1;
    if (s[0] == '-')
        neg = 1, i = 1;
    if ((d = digits(s + i, n - i, &mant, &exp10, 0)) == 0)
        return -1;
    i += d;
    if (i < n && s[i] == '.') {
        if ((d = digits(s + i + 1, n - i - 1, &mant, &exp10, 1)) == 0)
            return -1;
        i += d + 1;
    }
    if (i < n && (k = memchr(suffixes, s[i], 4)) != NULL) {
        mult = (double)(1ULL << (10 * (k - suffixes + 1)));
        i++;
    }
    if (i != n)
        return -1;
    v = scale10((double)mant, exp10) * mult;
    if (v >= 18446744073709551616.0) /* 2^64 */
        return -1;
    *out = (neg && v != 0) ? -v : v;
    return 0;
}

int gwxml_parse_value(const char *s, double *out)
{
    return parse_value_n(s, strlen(s), out);
}

static int num_attr(struct gwxml_parser *p, const struct attrs *at, const char *an, double *out)
{
    char shown[SHOW_MAX + 4];
    size_t n;
    const char *v = attr(at, an, &n);
    if (!v) {
        skip(p, p->cur_el, p->cur_name, "attribute %s: missing", an);
        return -1;
    }
    if (parse_value_n(v, n, out) != 0) {
        skip(p, p->cur_el, p->cur_name, "attribute %s: not a number: \"%s\"", an,
             show(shown, v, n));
        return -1;
    }
    return 0;
}

/* A counter's value: a number, and never negative (a counter only grows from zero; a
 * negative one would be exported as a counter value below zero). */
static int counter_attr(struct gwxml_parser *p, const struct attrs *at, const char *an, double *out)
{
    char shown[SHOW_MAX + 4];
    size_t n = 0;
    if (num_attr(p, at, an, out) != 0)
        return -1;
    if (*out >= 0)
        return 0;
    const char *v = attr(at, an, &n);
    skip(p, p->cur_el, p->cur_name, "attribute %s: malformed, a counter is never negative: \"%s\"",
         an, show(shown, v, n));
    return -1;
}

static int fill_counter(struct gwxml_parser *p, const struct attrs *at, void *slot)
{
    struct gw_counter *c = slot;
    if (counter_attr(p, at, "reset", &c->reset) || counter_attr(p, at, "uptime", &c->uptime) ||
        counter_attr(p, at, "lifetime", &c->lifetime))
        return -1;
    return 0;
}

static int fill_rate(struct gwxml_parser *p, const struct attrs *at, void *slot)
{
    struct gw_rate *r = slot;
    if (num_attr(p, at, "last_1_min", &r->m1) || num_attr(p, at, "last_5_min", &r->m5) ||
        num_attr(p, at, "last_15_min", &r->m15))
        return -1;
    return 0;
}

static int fill_gauge(struct gwxml_parser *p, const struct attrs *at, void *slot)
{
    struct gw_gauge *g = slot;
    return num_attr(p, at, "current", &g->current);
}

/* time_remaining: seconds (negative once expired) or a word; absent leaves the word "". */
static int fill_feature(struct gwxml_parser *p, const struct attrs *at, void *slot)
{
    struct gw_feature *f = slot;
    size_t n;
    const char *v = attr(at, "time_remaining", &n);
    if (!v)
        return 0;
    if (parse_value_n(v, n, &f->seconds) == 0) {
        f->has_seconds = 1;
        return 0;
    }
    int rc = copy_text(f->word, sizeof f->word, v, n);
    if (rc == -1)
        skip(p, p->cur_el, p->cur_name, "attribute time_remaining: longer than %d bytes",
             GW_NAME_MAX - 1);
    else if (rc == -2)
        skip(p, p->cur_el, p->cur_name, "attribute time_remaining: holds a control character");
    return rc == 0 ? 0 : -1;
}

/* A zeroed slot past the last item (not counted until filled). add_item's count of the
 * elements seen keeps v->n under GWXML_MAX_ITEMS, so the vector stops growing there. */
static void *vec_slot(struct vec *v, size_t size)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        if (cap > GWXML_MAX_ITEMS)
            cap = GWXML_MAX_ITEMS;
        v->items = xreallocarray(v->items, cap, size);
        v->cap = cap;
    }
    return memset((char *)v->items + v->n * size, 0, size);
}

static void add_item(struct gwxml_parser *p, enum kind k, const char *el, const struct attrs *at)
{
    struct vec *v = &p->vec[k];
    char nm[GW_NAME_MAX], shown[SHOW_MAX + 4];
    size_t n;
    const char *name = attr(at, "name", &n);

    if (++v->seen > GWXML_MAX_ITEMS) {
        fail(p, "line %d: more than %d <%s> elements", line(p), GWXML_MAX_ITEMS, el);
        halt(p);
        return;
    }
    if (!name || n == 0) {
        skip(p, el, NULL, "attribute name: missing or empty");
        return;
    }
    int rc = copy_text(nm, sizeof nm, name, n);
    if (rc == -1) {
        skip(p, el, NULL, "attribute name: longer than %d bytes: \"%s\"", GW_NAME_MAX - 1,
             show(shown, name, n));
        return;
    }
    if (rc == -2) {
        skip(p, el, NULL, "attribute name: holds a control character: \"%s\"",
             show(shown, name, n));
        return;
    }
    if (gw_find_item(v->items, v->n, kinds[k].size, nm)) {
        skip(p, el, nm, "duplicate name, later one dropped");
        return;
    }
    void *slot = vec_slot(v, kinds[k].size);
    memcpy(slot, nm, strlen(nm) + 1); /* every kind of item starts with char name[GW_NAME_MAX] */
    p->cur_el = el;
    p->cur_name = nm;
    if (kinds[k].fill(p, at, slot) == 0)
        v->n++;
}

/* A string attribute into a fixed field; absent leaves "", too long is skipped. */
static void text_attr(struct gwxml_parser *p, const char *el, const struct attrs *at,
                      const char *an, char *dst, size_t cap)
{
    size_t n;
    const char *v = attr(at, an, &n);
    int rc = v ? copy_text(dst, cap, v, n) : 0;
    if (rc == -1)
        skip(p, el, NULL, "attribute %s: longer than %zu bytes", an, cap - 1);
    else if (rc == -2)
        skip(p, el, NULL, "attribute %s: holds a control character", an);
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYYMMDDhhmmss", alone or followed by a space and anything (an uptime in brackets), read
 * as UTC since the page names no zone; otherwise a plain number of Unix seconds. */
int gwxml_parse_birth(const char *s, size_t n, double *out)
{
    struct tm tm = {0};
    time_t t;
    size_t i;
    for (i = 0; i < n && i < 14 && s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (i < 14 || (n > 14 && s[14] != ' '))
        return parse_value_n(s, n, out);
    tm.tm_year = two(s) * 100 + two(s + 2) - 1900;
    tm.tm_mon = two(s + 4) - 1;
    tm.tm_mday = two(s + 6);
    tm.tm_hour = two(s + 8);
    tm.tm_min = two(s + 10);
    tm.tm_sec = two(s + 12);
    if (tm.tm_mon > 11 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    t = timegm(&tm);
    *out = (double)t;
    return 0;
}

static void read_birth(struct gwxml_parser *p, const char *el, const struct attrs *at)
{
    char shown[SHOW_MAX + 4];
    size_t n;
    const char *v = attr(at, "timestamp", &n);
    if (!v)
        skip(p, el, NULL, "attribute timestamp: missing");
    else if (gwxml_parse_birth(v, n, &p->st.birth_time) != 0)
        skip(p, el, NULL, "attribute timestamp: not a time: \"%s\"", show(shown, v, n));
    else
        p->st.has_birth = 1;
}

/* A child of <status>: a section of items, one of the single elements, or ignored. */
static struct frame enter_status_child(struct gwxml_parser *p, const char *el,
                                       const struct attrs *at)
{
    struct frame f = {CTX_IGNORED, K_COUNTER};
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(el, kinds[k].section) == 0)
            return (struct frame){CTX_SECTION, (enum kind)k};
    p->cur_el = el;
    p->cur_name = NULL;
    if (strcmp(el, "system") == 0) {
        text_attr(p, el, at, "status", p->st.system_status, sizeof p->st.system_status);
    } else if (strcmp(el, "oldest_message") == 0) {
        p->st.has_oldest = num_attr(p, at, "secs", &p->st.oldest_message_secs) == 0;
    } else if (strcmp(el, "birth_time") == 0) {
        read_birth(p, el, at);
    }
    return f;
}

static struct frame enter(struct gwxml_parser *p, const char *el, const struct attrs *at)
{
    struct frame f = {CTX_IGNORED, K_COUNTER}, parent;
    char shown[SHOW_MAX + 4];
    if (p->depth == 0) {
        p->seen_root = 1;
        if (strcmp(el, "status") != 0) {
            fail(p, "not a status document: root element <%s>", show(shown, el, strlen(el)));
            halt(p);
            return f;
        }
        text_attr(p, el, at, "build", p->st.build, sizeof p->st.build);
        text_attr(p, el, at, "hostname", p->st.hostname, sizeof p->st.hostname);
        text_attr(p, el, at, "timestamp", p->st.timestamp, sizeof p->st.timestamp);
        return (struct frame){CTX_STATUS, K_COUNTER};
    }
    parent = p->stack[p->depth - 1];
    if (parent.ctx == CTX_STATUS)
        return enter_status_child(p, el, at);
    if (parent.ctx == CTX_SECTION && strcmp(el, kinds[parent.kind].item) == 0)
        add_item(p, parent.kind, el, at);
    return f;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    struct gwxml_parser *p = ctx;
    const char *el = (const char *)localname;
    struct attrs at = {attributes, nb_attributes};
    char shown[SHOW_MAX + 4];
    struct frame f;
    (void)prefix, (void)uri, (void)nb_namespaces, (void)namespaces, (void)nb_defaulted;

    if (p->failed)
        return;
    if (p->depth >= GWXML_MAX_DEPTH) {
        fail(p, "line %d: element <%s> nested deeper than %d levels", line(p),
             show(shown, el, strlen(el)), GWXML_MAX_DEPTH);
        halt(p);
        return;
    }
    f = enter(p, el, &at);
    p->stack[p->depth++] = f;
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    struct gwxml_parser *p = ctx;
    (void)localname, (void)prefix, (void)uri;
    if (p->failed || p->depth == 0)
        return;
    if (--p->depth == 0)
        p->root_closed = 1;
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    struct gwxml_parser *p = ctx;
    char shown[SHOW_MAX + 4];
    const char *nm = (const char *)name;
    (void)type, (void)public_id, (void)system_id, (void)content;
    fail(p, "line %d: entity declarations are not allowed (<!ENTITY %s>)", line(p),
         show(shown, nm, strlen(nm)));
    halt(p);
}

static void on_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                                    const xmlChar *system_id, const xmlChar *notation)
{
    (void)notation;
    on_entity_decl(ctx, name, 0, public_id, system_id, NULL);
}

/* An HTML page (a login form) is often not even well-formed XML: recognise it by its start. */
static int looks_like_html(const struct gwxml_parser *p)
{
    const char *s = p->head, *end = p->head + p->head_len;
    if (end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    /* cppcheck-suppress knownConditionTrueFalse ; it takes head_len for 0 */
    return (end - s >= 14 && strncasecmp(s, "<!doctype html", 14) == 0) ||
           /* cppcheck-suppress knownConditionTrueFalse */
           (end - s >= 5 && strncasecmp(s, "<html", 5) == 0);
}

static void fail_xml(struct gwxml_parser *p, const xmlError *e)
{
    char msg[160];
    size_t n;
    if (!p->seen_root && looks_like_html(p)) {
        fail(p, "not a status document: root element <html>");
        return;
    }
    /* libxml2's text may span lines and quote the document: one safe line for a log. */
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "unknown error");
    for (n = 0; msg[n]; n++)
        if (msg[n] < 0x20 || msg[n] >= 0x7f)
            msg[n] = msg[n] == '\n' || msg[n] == '\t' ? ' ' : '?';
    while (n > 0 && msg[n - 1] == ' ')
        msg[--n] = '\0';
    fail(p, "%s at line %d column %d: %s",
         p->finishing && !p->root_closed ? "truncated document" : "malformed XML", e->line, e->int2,
         msg);
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    struct gwxml_parser *p = ctx;
    if (e->level != XML_ERR_WARNING)
        fail_xml(p, e);
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx, (void)msg;
}

void gwxml_global_init(void)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlThrDefSetGenericErrorFunc(NULL, quiet);
}

struct gwxml_parser *gwxml_parser_new(size_t max_bytes)
{
    xmlSAXHandler sax;
    struct gwxml_parser *p = xcalloc(1, sizeof *p);
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.entityDecl = on_entity_decl;
    sax.unparsedEntityDecl = on_unparsed_entity_decl;
    sax.serror = on_error;
    p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
    if (!p->ctxt) {
        free(p);
        return NULL;
    }
    xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    p->max_bytes = max_bytes;
    return p;
}

static int report(const struct gwxml_parser *p, char *err, size_t errlen)
{
    if (!p->failed)
        return 0;
    if (errlen > 0)
        snprintf(err, errlen, "%s", p->err);
    return -1;
}

/* Hands one piece to libxml2; a failure it did not report through on_error still fails. */
static void push(struct gwxml_parser *p, const char *buf, size_t n, int terminate)
{
    int rc = xmlParseChunk(p->ctxt, buf, (int)n, terminate);
    if (!p->failed && (rc != 0 || !p->ctxt->wellFormed))
        fail_xml(p, &p->ctxt->lastError);
}

int gwxml_parser_feed(struct gwxml_parser *p, const char *buf, size_t len, char *err, size_t errlen)
{
    if (p->finished)
        fail(p, "document fed after it was finished");
    else if (len > p->max_bytes - p->fed)
        fail(p, "document larger than %zu bytes", p->max_bytes);
    while (!p->failed && len > 0) {
        size_t n = len < FEED_PIECE ? len : FEED_PIECE;
        size_t keep = HEAD_MAX - p->head_len < n ? HEAD_MAX - p->head_len : n;
        memcpy(p->head + p->head_len, buf, keep);
        p->head_len += keep;
        p->fed += n;
        push(p, buf, n, 0);
        buf += n;
        len -= n;
    }
    return report(p, err, errlen);
}

int gwxml_parser_finish(struct gwxml_parser *p, struct gw_status *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (p->finished)
        fail(p, "document already finished");
    p->finished = 1;
    p->finishing = 1;
    if (!p->failed && p->fed == 0)
        fail(p, "empty document");
    if (!p->failed)
        push(p, NULL, 0, 1);
    if (!p->failed && !p->root_closed)
        fail(p, "truncated document: <status> not closed");
    if (p->failed)
        return report(p, err, errlen);
    *out = p->st;
    out->counters = p->vec[K_COUNTER].items, out->ncounters = p->vec[K_COUNTER].n;
    out->rates = p->vec[K_RATE].items, out->nrates = p->vec[K_RATE].n;
    out->gauges = p->vec[K_GAUGE].items, out->ngauges = p->vec[K_GAUGE].n;
    out->features = p->vec[K_FEATURE].items, out->nfeatures = p->vec[K_FEATURE].n;
    memset(p->vec, 0, sizeof p->vec);
    return 0;
}

void gwxml_parser_free(struct gwxml_parser *p)
{
    if (!p)
        return;
    /* libxml2 may build a stub document on its own in SAX mode; it is ours to free. */
    if (p->ctxt->myDoc)
        xmlFreeDoc(p->ctxt->myDoc);
    xmlFreeParserCtxt(p->ctxt);
    for (int k = 0; k < NKINDS; k++)
        free(p->vec[k].items);
    free(p);
}

int gwxml_parse(const char *buf, size_t len, size_t max_bytes, struct gw_status *out, char *err,
                size_t errlen)
{
    struct gwxml_parser *p = gwxml_parser_new(max_bytes);
    int rc;
    if (!p) {
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = gwxml_parser_feed(p, buf, len, err, errlen);
    if (rc == 0)
        rc = gwxml_parser_finish(p, out, err, errlen);
    else
        memset(out, 0, sizeof *out);
    gwxml_parser_free(p);
    return rc;
}
