/*
 * test_list.c - the intrusive list (agent/lib/list.h): order of pushes and pops, unlinking from
 * the head, the middle and the tail without naming the list, and a node that is in no list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "list.h"

struct item {
    int v;
    struct list_node node;
};

static int pop(struct list *l)
{
    struct list_node *n = list_pop_front(l);
    return n ? LIST_ENTRY(n, struct item, node)->v : -1;
}

static void pushes_and_pops_keep_their_order(void **state)
{
    (void)state;
    struct list l = {0};
    struct item a = {.v = 1}, b = {.v = 2}, c = {.v = 3};
    list_push_back(&l, &b.node);
    list_push_back(&l, &c.node);
    list_push_front(&l, &a.node);
    assert_int_equal(l.n, 3);
    assert_true(list_linked(&b.node));
    assert_int_equal(pop(&l), 1);
    assert_int_equal(pop(&l), 2);
    assert_int_equal(pop(&l), 3);
    assert_int_equal(pop(&l), -1);
    assert_null(l.head);
    assert_null(l.tail);
    assert_int_equal(l.n, 0);
    assert_false(list_linked(&a.node));
}

static void a_node_leaves_the_list_it_is_in(void **state)
{
    (void)state;
    struct list one = {0}, two = {0};
    struct item it[5];
    for (int i = 0; i < 5; i++) {
        it[i] = (struct item){.v = i};
        list_push_back(i < 4 ? &one : &two, &it[i].node);
    }
    list_unlink(&it[0].node); /* head */
    list_unlink(&it[2].node); /* middle */
    list_unlink(&it[3].node); /* tail */
    list_unlink(&it[3].node); /* in no list now: nothing */
    list_unlink(&it[4].node); /* the other list */
    assert_int_equal(one.n, 1);
    assert_ptr_equal(one.head, &it[1].node);
    assert_ptr_equal(one.tail, &it[1].node);
    assert_null(it[1].node.prev);
    assert_null(it[1].node.next);
    assert_int_equal(two.n, 0);
    assert_null(two.head);
    list_push_back(&two, &it[3].node); /* a node moves to another list */
    assert_ptr_equal(it[3].node.in, &two);
    assert_int_equal(pop(&two), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pushes_and_pops_keep_their_order),
        cmocka_unit_test(a_node_leaves_the_list_it_is_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
