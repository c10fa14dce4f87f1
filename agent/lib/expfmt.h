/*
 * expfmt.h - text encodings shared by the HTTP exporters: numbers as Prometheus and JSON
 * read them, UTF-8 validation, JSON strings and plain debug text built from outside data
 * (destination and MX names, SMTP banners, transcripts). Pure functions, any thread.
 *
 * Everything here turns hostile bytes into valid UTF-8 output: a byte that does not start
 * a valid UTF-8 sequence becomes U+FFFD (JSON) or \xNN (text for humans), so a scrape or a
 * JSON document never fails to parse because an SMTP server sent Latin-1 or garbage.
 */
#ifndef MXW_EXPFMT_H
#define MXW_EXPFMT_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>

#define EXPFMT_DOUBLE_MAX  32 /* bytes expfmt_format_double may write, terminator included */
#define EXPFMT_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/* Length (1..4) of the valid UTF-8 sequence at s, which has n > 0 bytes left; 0 when the
 * bytes are not valid UTF-8 (stray continuation, overlong form, surrogate, above U+10FFFF,
 * cut short). */
size_t expfmt_utf8_len(const unsigned char *s, size_t n);
/* Whether the k-byte sequence at s (as expfmt_utf8_len measured it) is a C1 control,
 * U+0080..U+009F (c2 80..c2 9f), which terminals obey like escape sequences (c2 9b is CSI). */
bool expfmt_is_c1(const unsigned char *s, size_t k);

/* Writes v into out (EXPFMT_DOUBLE_MAX bytes) and returns the length. Integers below 2^53
 * exactly; other finite values with 15 significant digits and at most 9 decimals (beyond
 * what the probes measure), trailing zeros dropped; magnitudes outside 1e-9..1e15 in the
 * shortest %g form that reads back exactly;
 * NaN, +Inf and -Inf as Prometheus spells them. No printf on the common paths: rendering
 * /metrics formats hundreds of thousands of values. */
size_t expfmt_format_double(char *out, double v);
void expfmt_double(struct buf *b, double v);
/* For JSON: like expfmt_double, but null for NaN and the infinities. */
void expfmt_json_double(struct buf *b, double v);

/* Appends s as a JSON string with its quotes: '"', '\\' and control characters escaped,
 * invalid UTF-8 replaced by U+FFFD. s == NULL gives null. The n variant reads at most n
 * bytes (stopping at a NUL), for fixed-size fields. */
void expfmt_json_string(struct buf *b, const char *s);
void expfmt_json_stringn(struct buf *b, const char *s, size_t n);

/* Appends s as plain text for humans (the debug view, a terminal): valid UTF-8, tabs and line
 * feeds kept, a carriage return before a line feed dropped; other C0 controls and DEL, the
 * C1 controls (U+0080..U+009F, which terminals obey too) and every byte that is not valid
 * UTF-8 shown as \xNN, byte by byte, so nothing from outside can drive a terminal. */
void expfmt_text(struct buf *b, const char *s);
/* The same on one line, for a field of a table or a message: at most n bytes of s (stopping
 * at a NUL), and tabs, line feeds and carriage returns shown as \xNN too. */
void expfmt_text_line(struct buf *b, const char *s, size_t n);

#endif
