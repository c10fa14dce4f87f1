/*
 * html.h - writing outside data into HTML: text and attribute values escaped, invalid
 * UTF-8 replaced, control characters made visible, and URL components percent-encoded.
 * Used by the status page (exporters/web/ui*.c). Pure functions, any thread.
 *
 * Everything a stranger wrote (destination and MX names, banners, EHLO replies,
 * transcripts, query parameters) goes through these and nothing else: the output never
 * contains a byte that could open a tag, an entity, an attribute or a URL scheme.
 */
#ifndef MXW_HTML_H
#define MXW_HTML_H

#include "buf.h"

#include <stddef.h>

/* Appends at most n bytes of s (stopping at a NUL) as HTML text, also safe inside a
 * double- or single-quoted attribute value: & < > " ' become entities, invalid UTF-8
 * becomes U+FFFD, a carriage return before a line feed is dropped, tabs and line feeds
 * stay, other control characters (and DEL) are shown as \xNN. s == NULL appends nothing. */
void html_textn(struct buf *b, const char *s, size_t n);
void html_text(struct buf *b, const char *s);

/* Appends s percent-encoded for a URL path segment or a query value: every byte outside
 * A-Z a-z 0-9 - . _ ~ becomes %XX, so the result is also safe in an attribute. */
void html_urlenc(struct buf *b, const char *s);

#endif
