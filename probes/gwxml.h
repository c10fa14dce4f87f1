/*
 * gwxml: parser for a commercial mail gateway's XML status page (GET /xml/status).
 *
 * The document (declared ISO-8859-1) has a root <status build=".." hostname=".."
 * timestamp=".."> holding <counters> of <counter name reset uptime lifetime/>, <rates> of
 * <rate name last_1_min last_5_min last_15_min/>, <gauges> of <gauge name current/>,
 * <features> of <feature name time_remaining/>, and <system status/>, <oldest_message secs/>,
 * <birth_time timestamp/>. Numbers may carry a K/M/G/T suffix (powers of 1024).
 *
 * Who calls it: the gateway source on the probe loop, feeding body chunks as libcurl hands
 * them over. A pure module: no I/O, no logging, no globals of its own. It owns libxml2 for
 * the whole program.
 *
 * Threads: gwxml_global_init() once, on the main thread, before any other thread starts.
 * After that a parser may be used by one thread at a time (different parsers on different
 * threads are fine); gwxml_parse_value() and the gwxml_find_*() helpers are pure and may be
 * called from any thread; a finished gwxml_status is plain data (no libxml2 inside) and may be
 * handed to another thread as an immutable snapshot.
 *
 * Must never: expand entities, load a DTD, touch the network or the file system, write to
 * stderr, or hold more than the caller's byte cap of a document.
 *
 * Liberal in what it accepts: unknown elements and attributes are ignored, unknown counter,
 * rate and gauge names are kept like known ones. One malformed item (a counter with a value
 * that is not a number, a name too long, a duplicate) is skipped and counted in `skipped`
 * with the first reason kept in `skip_reason`; the document as a whole fails only when it is
 * not well-formed XML, not a status document, truncated, or breaks a hard limit below.
 */
#ifndef MXW_GWXML_H
#define MXW_GWXML_H

#include <stddef.h>

#define GWXML_DEFAULT_MAX_BYTES (4u << 20) /* a sane cap for gwxml_parser_new() */
#define GWXML_MAX_ITEMS         1024       /* counters, rates, gauges, features: each */
#define GWXML_MAX_DEPTH         16         /* element nesting; the real page uses 3 */
#define GWXML_NAME_MAX          64         /* item names and feature words, with the NUL */
#define GWXML_VALUE_MAX_LEN     31         /* longest numeric text accepted, in bytes */
#define GWXML_BUILD_MAX         64
#define GWXML_HOSTNAME_MAX      256
#define GWXML_TIMESTAMP_MAX     64
#define GWXML_SYSTEM_STATUS_MAX 32
#define GWXML_REASON_MAX        160

/* All strings are UTF-8, NUL-terminated, and were shorter than their buffer in the document
 * (longer ones are not truncated: their item or field is skipped). */
struct gwxml_counter {
    char name[GWXML_NAME_MAX];
    double reset, uptime, lifetime; /* since reset, since boot, over the appliance's life */
};

struct gwxml_rate {
    char name[GWXML_NAME_MAX];
    double m1, m5, m15; /* last_1_min, last_5_min, last_15_min */
};

struct gwxml_gauge {
    char name[GWXML_NAME_MAX];
    double current; /* suffixes already applied: "79G" is 79 * 2^30 */
};

struct gwxml_feature {
    char name[GWXML_NAME_MAX];
    int has_seconds;           /* time_remaining was a number */
    double seconds;            /* then: seconds left, negative once expired */
    char word[GWXML_NAME_MAX]; /* otherwise: the word ("Perpetual", "Dormant"), or "" */
};

struct gwxml_status {
    char build[GWXML_BUILD_MAX]; /* root attributes, "" when absent */
    char hostname[GWXML_HOSTNAME_MAX];
    char timestamp[GWXML_TIMESTAMP_MAX];         /* as given, e.g. "20240314093015" */
    char system_status[GWXML_SYSTEM_STATUS_MAX]; /* <system status>, e.g. "online" */
    int has_oldest;
    double oldest_message_secs; /* age of the oldest message in the queue */
    int has_birth;
    double birth_time; /* Unix seconds; "YYYYMMDDhhmmss[ ...]" is read as UTC */
    struct gwxml_counter *counters;
    size_t ncounters;
    struct gwxml_rate *rates;
    size_t nrates;
    struct gwxml_gauge *gauges;
    size_t ngauges;
    struct gwxml_feature *features;
    size_t nfeatures;
    unsigned skipped;                   /* items or fields dropped as malformed */
    char skip_reason[GWXML_REASON_MAX]; /* the first of them, with its line; "" if none */
};

/* Once per process, on the main thread before other threads exist. Idempotent. Also
 * silences libxml2's default stderr output (errors reach callers through err buffers). */
void gwxml_global_init(void);

/* A parser for one document of at most max_bytes bytes; NULL when out of memory. */
struct gwxml_parser *gwxml_parser_new(size_t max_bytes);

/* Feeds the next chunk (from a libcurl write callback, say). 0 ok; -1 error, err filled,
 * later calls fail the same way: the caller should abort the transfer. Errors name their
 * place: line and column, element and attribute. Costs about 0.01 ms per KiB. */
int gwxml_parser_feed(struct gwxml_parser *p, const char *buf, size_t len, char *err,
                      size_t errlen);

/* Ends the document and moves the result into *out (free it with gwxml_status_free()).
 * -1 with err filled and *out zeroed when the document was truncated, malformed, or not a
 * status document ("not a status document: root element <html>"). Call once. */
int gwxml_parser_finish(struct gwxml_parser *p, struct gwxml_status *out, char *err, size_t errlen);

void gwxml_parser_free(struct gwxml_parser *p);

/* A whole document in one buffer: new, feed, finish, free. */
int gwxml_parse(const char *buf, size_t len, size_t max_bytes, struct gwxml_status *out, char *err,
                size_t errlen);

/* Frees the arrays and zeroes *st; safe on a zeroed or already freed status. */
void gwxml_status_free(struct gwxml_status *st);

/* "12", "-5", "1.5", "3K", "2M", "1G", "1T" (K, M, G, T: powers of 1024) into *out.
 * 0 ok; -1 for empty text, anything else around the number (spaces, signs other than a
 * leading '-', exponents, hex, "inf"), text longer than GWXML_VALUE_MAX_LEN, or a magnitude
 * that rounds to 2^64 or more (no 64-bit counter reaches it). Exact (correctly rounded) for
 * up to 19 significant digits; independent of the locale. */
int gwxml_parse_value(const char *s, double *out);

/* The item of that exact name, or NULL. O(n). */
const struct gwxml_counter *gwxml_find_counter(const struct gwxml_status *st, const char *name);
const struct gwxml_rate *gwxml_find_rate(const struct gwxml_status *st, const char *name);
const struct gwxml_gauge *gwxml_find_gauge(const struct gwxml_status *st, const char *name);
const struct gwxml_feature *gwxml_find_feature(const struct gwxml_status *st, const char *name);

#endif
