/*
 * strmap.h - a string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion, so no tombstones). Keys are not copied: the value must own its key and keep it
 * alive while it is in the map. O(1) expected per operation. One owner thread.
 */
#ifndef MXW_STRMAP_H
#define MXW_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
    const char *key;
    void *val;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap, n; /* cap is 0 or a power of two; n <= 3 cap / 4 */
};

void *strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces. */
void strmap_put(struct strmap *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
/* Frees the table, not the values. The map is empty and reusable afterwards. */
void strmap_free(struct strmap *m);
/* Calls free_val (if not NULL) on every value, then strmap_free. */
void strmap_clear(struct strmap *m, void (*free_val)(void *val));

/* Iteration in no particular order: size_t it = 0; while ((v = strmap_next(m, &it))) ...
 * The map must not change meanwhile (use strmap_sweep to remove while iterating). */
void *strmap_next(const struct strmap *m, size_t *it);

/* Calls fn on every value exactly once; where fn returns true the entry is removed. fn may
 * free that value, and its key with it: a removed entry's key is never read again. fn must
 * not add to or remove from the map itself. */
typedef bool strmap_sweep_fn(void *val, void *arg);
void strmap_sweep(struct strmap *m, strmap_sweep_fn *fn, void *arg);

/* strmap_sweep over the next `slots` slots from *cursor on (wrapping; the cursor moves on):
 * O(slots), so a caller can spread a sweep over its own operations. A removal may move an
 * entry behind the cursor, where this pass misses it and the next one finds it: for maps
 * where a late removal does no harm (a cache's expired entries). */
void strmap_sweep_some(struct strmap *m, size_t *cursor, size_t slots, strmap_sweep_fn *fn,
                       void *arg);

#endif
