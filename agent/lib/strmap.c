/*
 * strmap.c - string-keyed hash map with linear probing (strmap.h). FNV-1a hashing (hash.h).
 */
#include "strmap.h"

#include "hash.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static size_t find(const struct strmap *m, const char *key)
{
    size_t mask = m->cap - 1, i = (size_t)hash_fnv1a_str(key) & mask;
    while (m->slots[i].key && strcmp(m->slots[i].key, key))
        i = (i + 1) & mask;
    return i;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    return m->slots[find(m, key)].val;
}

static void grow(struct strmap *m)
{
    struct strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            strmap_put(m, old.slots[i].key, old.slots[i].val);
    free(old.slots);
}

void strmap_put(struct strmap *m, const char *key, void *val)
{
    /* At most three quarters full: linear probing stays short (about 2.5 slots a hit), and
     * a map of many small entries (the DNS cache holds seven per destination) costs 21 to
     * 43 bytes a slot-pair rather than 32 to 64. */
    if ((m->n + 1) * 4 > m->cap * 3)
        grow(m);
    size_t i = find(m, key);
    if (!m->slots[i].key)
        m->n++;
    m->slots[i] = (struct strmap_slot){key, val};
}

/* Empties slot i. Backward-shift: later entries of its run move into the hole when their
 * home slot does not lie cyclically between the hole and their position. Only entries
 * after i in the run move, never one before it. */
static void remove_at(struct strmap *m, size_t i)
{
    size_t mask = m->cap - 1;
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)hash_fnv1a_str(m->slots[j].key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i] = (struct strmap_slot){NULL, NULL};
    m->n--;
}

void *strmap_del(struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t i = find(m, key);
    if (!m->slots[i].key)
        return NULL;
    void *val = m->slots[i].val;
    remove_at(m, i);
    return val;
}

void *strmap_next(const struct strmap *m, size_t *it)
{
    while (*it < m->cap) {
        const struct strmap_slot *s = &m->slots[(*it)++];
        if (s->key)
            return s->val;
    }
    return NULL;
}

void strmap_sweep(struct strmap *m, strmap_sweep_fn *fn, void *arg)
{
    if (!m->n)
        return;
    /* Start after an empty slot (n <= 3 cap / 4 leaves one): no run then wraps past the
     * start, so a removal only pulls in entries not visited yet, and each entry is seen
     * exactly once. */
    size_t mask = m->cap - 1, e = 0;
    while (m->slots[e].key)
        e++;
    for (size_t k = 1; k < m->cap; k++) {
        size_t i = (e + k) & mask;
        while (m->slots[i].key && fn(m->slots[i].val, arg))
            remove_at(m, i);
    }
}

void strmap_sweep_some(struct strmap *m, size_t *cursor, size_t slots, strmap_sweep_fn *fn,
                       void *arg)
{
    if (!m->n)
        return;
    size_t mask = m->cap - 1;
    for (size_t k = 0; k < slots; k++) {
        size_t i = (*cursor + k) & mask;
        while (m->slots[i].key && fn(m->slots[i].val, arg))
            remove_at(m, i);
    }
    *cursor = (*cursor + slots) & mask;
}

void strmap_clear(struct strmap *m, void (*free_val)(void *val))
{
    for (size_t i = 0; free_val && i < m->cap; i++)
        if (m->slots[i].key)
            free_val(m->slots[i].val);
    strmap_free(m);
}

void strmap_free(struct strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}
