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
 * threads are fine); gwxml_parse_value(), gwxml_parse_birth() and the gw_find_*() helpers
 * are pure and may be called from any thread; a finished gw_status is plain data (no libxml2
 * inside) and may be handed to another thread as an immutable snapshot.
 *
 * Must never: expand entities, load a DTD, touch the network or the file system, write to
 * stderr, or hold more than the caller's byte cap of a document.
 *
 * Liberal in what it accepts: unknown elements and attributes are ignored, unknown counter,
 * rate and gauge names are kept like known ones. One malformed item (a counter with a value
 * that is not a number or is negative, a name too long or holding a control character such
 * as a CR from "&#13;", a duplicate) is skipped and counted in `skipped` with the first
 * reason kept in `skip_reason`; a root text that holds a control character is left empty
 * and counted the same way; the document as a whole fails only when it is
 * not well-formed XML, not a status document, truncated, or breaks a hard limit below.
 */
#ifndef MXW_GWXML_H
#define MXW_GWXML_H

#include "gwstatus.h"

#include <stddef.h>

#define GWXML_DEFAULT_MAX_BYTES (4u << 20) /* a sane cap for gwxml_parser_new() */
#define GWXML_MAX_ITEMS         1024       /* counters, rates, gauges, features: each */
#define GWXML_MAX_DEPTH         16         /* element nesting; the real page uses 3 */
#define GWXML_VALUE_MAX_LEN     31         /* longest numeric text accepted, in bytes */

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

/* Ends the document and moves the result into *out (free it with gw_status_free()).
 * -1 with err filled and *out zeroed when the document was truncated, malformed, or not a
 * status document ("not a status document: root element <html>"). Call once. */
int gwxml_parser_finish(struct gwxml_parser *p, struct gw_status *out, char *err, size_t errlen);

void gwxml_parser_free(struct gwxml_parser *p);

/* A whole document in one buffer: new, feed, finish, free. */
int gwxml_parse(const char *buf, size_t len, size_t max_bytes, struct gw_status *out, char *err,
                size_t errlen);

/* "12", "-5", "1.5", "3K", "2M", "1G", "1T" (K, M, G, T: powers of 1024) into *out.
 * 0 ok; -1 for empty text, anything else around the number (spaces, signs other than a
 * leading '-', exponents, hex, "inf"), text longer than GWXML_VALUE_MAX_LEN, or a magnitude
 * that rounds to 2^64 or more (no 64-bit counter reaches it). Exact (correctly rounded) for a
 * whole number, and for digits that make less than 2^53 with at most 22 decimals (a double
 * holds both exactly, so one rounding step); past that, as in "1678901234567890.123" or
 * "0.0000000000000000000000001", the last bit may be off. Independent of the locale. */
int gwxml_parse_value(const char *s, double *out);

/* A <birth_time timestamp> of n bytes into Unix seconds: "YYYYMMDDhhmmss" (UTC, the page
 * names no zone), alone or followed by a space and anything (an uptime in brackets), or else
 * a number as gwxml_parse_value reads it. 0 ok; -1 when it is neither. Pure. */
int gwxml_parse_birth(const char *s, size_t n, double *out);

#endif
