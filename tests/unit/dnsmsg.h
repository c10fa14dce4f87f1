/*
 * dnsmsg.h - builds raw DNS messages byte by byte for the resolver's parser tests
 * (test_dns_parse.c, test_dns_records.c): a bounded buffer, big-endian integers, and names as
 * labels or with a compression pointer. Test-only; include after cmocka.h.
 */
#ifndef MXW_DNSMSG_H
#define MXW_DNSMSG_H

#include <stddef.h>
#include <string.h>

/* A DNS message under construction; rdlen_at and rd_start: of the record being written. */
struct msg {
    unsigned char b[16384];
    size_t n;
    size_t rdlen_at, rd_start;
};

static inline void put8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof m->b);
    m->b[m->n++] = (unsigned char)v;
}

static inline void put16(struct msg *m, unsigned v)
{
    put8(m, v >> 8 & 0xff);
    put8(m, v & 0xff);
}

static inline void put32(struct msg *m, unsigned long v)
{
    put16(m, (unsigned)(v >> 16 & 0xffff));
    put16(m, (unsigned)(v & 0xffff));
}

/* "a.b.c" as labels, ending with the root label unless ptr >= 0 (then a pointer). */
static inline void put_name(struct msg *m, const char *name, int ptr)
{
    while (*name) {
        size_t len = strcspn(name, ".");
        put8(m, (unsigned)len);
        for (size_t i = 0; i < len; i++)
            put8(m, (unsigned char)name[i]);
        name += len + (name[len] == '.');
    }
    if (ptr >= 0)
        put16(m, 0xc000u | (unsigned)ptr);
    else
        put8(m, 0);
}

#endif
