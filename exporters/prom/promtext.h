/*
 * promtext.h - the pieces of Prometheus text exposition format 0.0.4 that every family
 * writer needs: HELP and TYPE lines, one sample, and a label value escaped. Used by
 * prom.c (destinations, addresses, the agent) and prom_gateway.c (appliances). Pure: any
 * thread, never allocates beyond the buffer it writes.
 */
#ifndef MXW_PROMTEXT_H
#define MXW_PROMTEXT_H

#include "buf.h"

#include <stddef.h>

/* "# HELP name help\n# TYPE name type\n". */
void promtext_family(struct buf *b, const char *name, const char *type, const char *help);

/* name{labels,extra} value\n, labels and extra already escaped (either may be empty; both
 * empty: no braces). One reserve, then memcpy: the hot path of a scrape. */
void promtext_sample(struct buf *b, const char *name, size_t nlen, const char *labels, size_t llen,
                     const char *extra, size_t elen, double v);

/* Appends s as a label value: backslash, double quote and newline escaped, a carriage return
 * dropped (the format has no escape for it and some readers end a line there), invalid UTF-8
 * replaced by U+FFFD (Prometheus refuses a scrape with invalid UTF-8). At most n bytes of
 * s are read (stopping at a NUL), so fixed-size fields are read within their bounds even
 * if a writer forgot the terminator. */
void promtext_label_value_n(struct buf *out, const char *s, size_t n);
void promtext_label_value(struct buf *out, const char *s);

#endif
