/*
 * xalloc.h - the agent's one allocation policy: every heap allocation goes through these,
 * and running out of memory stops the agent (abort, after one line on stderr) instead of
 * being half-handled at 140 call sites. A supervisor (systemd's Restart=) brings it back
 * with its state file; a half-built probe result or snapshot could not be trusted anyway.
 * Any thread. `make lint` refuses a bare malloc/calloc/realloc/strdup outside xalloc.c.
 */
#ifndef MXW_XALLOC_H
#define MXW_XALLOC_H

#include <stddef.h>

#define MXW_XALLOC_ATTRS __attribute__((malloc, returns_nonnull, warn_unused_result))

void *xmalloc(size_t n) MXW_XALLOC_ATTRS;
/* Zeroed, n * size checked for overflow. */
void *xcalloc(size_t n, size_t size) MXW_XALLOC_ATTRS;
/* Like realloc, with n * size checked for overflow; p may be NULL. */
void *xreallocarray(void *p, size_t n, size_t size)
    __attribute__((returns_nonnull, warn_unused_result));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull, warn_unused_result));
char *xstrdup(const char *s) MXW_XALLOC_ATTRS;
/* At most n bytes of s, always terminated. */
char *xstrndup(const char *s, size_t n) MXW_XALLOC_ATTRS;
/* Like memdup: n bytes of p copied into a new block. */
void *xmemdup(const void *p, size_t n) MXW_XALLOC_ATTRS;

/* For a long-running process, before its threads start: blocks of XALLOC_MAPPED_MIN bytes
 * and more are mapped on their own and go back to the system when freed. glibc's default
 * raises that threshold to the size of the largest block freed so far (up to 32 MiB), after
 * which such blocks come from the heap and their pages stay resident once freed: a
 * /metrics body of about 830 bytes per destination, kept after every scrape. */
#define XALLOC_MAPPED_MIN (256 * 1024)
void xalloc_return_large_blocks(void);

#endif
