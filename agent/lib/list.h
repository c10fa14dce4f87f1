/*
 * list.h - a small intrusive doubly linked list: the element embeds a struct list_node, its
 * owner keeps a struct list (head and tail), LIST_ENTRY gets the element back from its node.
 * A node knows the list it is in, so it can leave it without being told which (a cancelled
 * check, a query in one of two queues). Push, unlink and pop are O(1); nothing allocates or
 * logs. Base layer: any module, on the thread that owns the list.
 */
#ifndef MXW_LIST_H
#define MXW_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list;

struct list_node {
    struct list_node *next, *prev;
    struct list *in; /* the list the node is in, NULL when in none */
};

struct list {
    struct list_node *head, *tail;
    size_t n;
};

/* The element of type T whose member M is the node p. */
#define LIST_ENTRY(p, T, M) ((T *)(void *)((char *)(p)-offsetof(T, M)))

static inline bool list_linked(const struct list_node *n)
{
    return n->in != NULL;
}

static inline void list_push_back(struct list *l, struct list_node *n)
{
    n->in = l;
    n->next = NULL;
    n->prev = l->tail;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
    l->n++;
}

static inline void list_push_front(struct list *l, struct list_node *n)
{
    n->in = l;
    n->prev = NULL;
    n->next = l->head;
    if (l->head)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
    l->n++;
}

/* Takes n out of the list it is in; nothing when it is in none. */
static inline void list_unlink(struct list_node *n)
{
    struct list *l = n->in;
    if (!l)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->next = n->prev = NULL;
    n->in = NULL;
    l->n--;
}

/* The first node, taken out of the list; NULL when the list is empty. The analyzer does not
 * see that unlinking moved the head, and takes a node freed after its pop for the new head. */
/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
static inline struct list_node *list_pop_front(struct list *l)
{
    struct list_node *n = l->head;
    if (n)
        list_unlink(n);
    return n;
}
/* NOLINTEND(clang-analyzer-unix.Malloc) */

#endif
