/*
 * strmap.h - a string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion, so no tombstones). Keys are not copied: the value must own its key and keep it
 * alive while it is in the map. O(1) expected per operation. One owner thread.
 */
#ifndef MXW_STRMAP_H
#define MXW_STRMAP_H

#include <stddef.h>

struct strmap_slot {
    const char *key;
    void *val;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap, n; /* cap is 0 or a power of two; n <= cap / 2 */
};

void *strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces. */
void strmap_put(struct strmap *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
