/*
 * Unit tests of the state store (agent/core/store.c): copy-on-write snapshots (a snapshot taken
 * before a write is unchanged after it, unchanged views are shared, not copied), publish
 * only on change, sorted snapshots and binary-search find, the status rule with flap
 * damping as the status observers see it, local errors that leave the status alone,
 * sweeping removed destinations while kept ones keep their counters, bounded history, the
 * SMTP texts of an address shared by reference between destinations, views and snapshots,
 * and so the session transcripts in the destinations' transcripts, which read as the same
 * text a copy held and keep within their bound, MX host names at their own length, error
 * tables shared by views until written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store.h"
#include "util.h"

static int setup(void **state)
{
    (void)state;
    store_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_shutdown();
    return 0;
}

/* One MX host with one address whose outcome and banner are given; owned by the caller
 * until handed to the store. */
static struct mx_host *one_host(enum mx_outcome o, const char *banner)
{
    struct mx_host *h = calloc(1, sizeof *h);
    store_host_set_name(h, "mx.example.test");
    h->preference = 10;
    h->n_addrs = 1;
    h->addrs = calloc(1, sizeof *h->addrs);
    h->addrs[0].family = AF_INET;
    h->addrs[0].outcome = o;
    h->addrs[0].text = store_text_new(banner, "", "");
    return h;
}

/* A transcript that is all the destination's own text s. */
static const struct store_transcript *own_transcript(const char *s)
{
    struct store_transcript_builder b = {.max = SIZE_MAX};
    store_tb_own(&b, s, strlen(s));
    return store_tb_finish(&b);
}

/* Asserts that t reads as want (NULL: no transcript). */
static void assert_transcript(const struct store_transcript *t, const char *want)
{
    char *text = store_transcript_text(t);
    if (!want)
        assert_null(text);
    else
        assert_string_equal(text, want);
    free(text);
}

static enum dest_status probe(struct dest *d, enum dest_reason r, enum mx_outcome o,
                              unsigned down_after)
{
    enum dest_status old_s, new_s;
    store_dest_set_probe(d, one_host(o, r == REASON_OK ? "220 up" : "421 busy"), 1, 0.01, 300, r, o,
                         down_after, &old_s, &new_s);
    return new_s;
}

static void snapshot_taken_before_a_write_is_unchanged(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("b.test", ORIGIN_CONFIG);
    probe(d, REASON_OK, OUT_OK, 2);
    store_dest_set_transcript(d, own_transcript("first"));
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s1 = store_snapshot_acquire();
    const struct dest_view *v1 = store_snapshot_find(s1, "b.test");
    assert_non_null(v1);

    probe(d, REASON_ALL_FAILED, OUT_BANNER_4XX, 1);
    store_dest_set_transcript(d, own_transcript("second"));
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s2 = store_snapshot_acquire();
    const struct dest_view *v2 = store_snapshot_find(s2, "b.test");

    assert_int_equal(v1->status, DEST_UP);
    assert_int_equal(v1->probes[OUT_OK], 1);
    assert_int_equal(v1->probes[OUT_BANNER_4XX], 0);
    assert_string_equal(store_addr_banner(&v1->hosts[0].addrs[0]), "220 up");
    assert_transcript(v1->transcript, "first");
    assert_int_equal(v2->status, DEST_DOWN);
    assert_int_equal(v2->probes[OUT_BANNER_4XX], 1);
    assert_int_equal(v2->probes[OUT_OK], 1);
    assert_string_equal(store_addr_banner(&v2->hosts[0].addrs[0]), "421 busy");
    assert_transcript(v2->transcript, "second");
    assert_true(s2->generation > s1->generation);
    store_snapshot_release(s1);
    store_snapshot_release(s2);
}

static void unchanged_views_are_shared_and_unchanged_stores_not_republished(void **state)
{
    (void)state;
    struct dest *a = store_dest_add("a.test", ORIGIN_CONFIG);
    store_dest_add("z.test", ORIGIN_CONFIG);
    store_publish();
    assert_int_equal(store_publish(), 0);
    const struct snapshot *s1 = store_snapshot_acquire();
    probe(a, REASON_OK, OUT_OK, 2);
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s2 = store_snapshot_acquire();
    assert_ptr_equal(store_snapshot_find(s1, "z.test"), store_snapshot_find(s2, "z.test"));
    assert_ptr_not_equal(store_snapshot_find(s1, "a.test"), store_snapshot_find(s2, "a.test"));
    store_agent()->smtp_in_flight = 3; /* agent figures alone are a change too */
    assert_int_equal(store_publish(), 1);
    /* Reading or rewriting the agent figures with the same values is no change. */
    struct agent_figures *ag = store_agent();
    ag->smtp_in_flight = 3;
    ag->loop_lag_s = ag->loop_lag_s;
    assert_int_equal(store_publish(), 0);
    ag->loop_lag_s = 0.002;
    assert_int_equal(store_publish(), 1);
    /* A job is a change; the snapshot finds it by id. */
    struct delivernow_job jobs[2] = {{.id = 4}, {.id = 9, .state = DELIVERNOW_DONE}};
    store_set_jobs(jobs, 2);
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s3 = store_snapshot_acquire();
    assert_int_equal(store_snapshot_job(s3, 9)->state, DELIVERNOW_DONE);
    assert_non_null(store_snapshot_job(s3, 4));
    assert_null(store_snapshot_job(s3, 5));
    assert_null(store_snapshot_job(s1, 4));
    store_snapshot_release(s3);
    store_snapshot_release(s1);
    store_snapshot_release(s2);
}

static void snapshots_are_sorted_and_find_uses_them(void **state)
{
    (void)state;
    static const char *const add[] = {"c.test", "a.test", "b.test", "aa.test", "a-b.test"};
    for (size_t i = 0; i < MXW_ARRAY_LEN(add); i++)
        store_dest_add(add[i], ORIGIN_CONFIG);
    store_dest_add("b.test", ORIGIN_CONFIG); /* again: found, not added */
    assert_int_equal(store_count(), 5);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    assert_int_equal(s->n, 5);
    for (size_t i = 1; i < s->n; i++)
        assert_true(
            strcmp(store_snapshot_dest(s, i - 1)->domain, store_snapshot_dest(s, i)->domain) < 0);
    for (size_t i = 0; i < MXW_ARRAY_LEN(add); i++)
        assert_string_equal(store_snapshot_find(s, add[i])->domain, add[i]);
    assert_null(store_snapshot_find(s, "b"));
    assert_null(store_snapshot_find(s, "zz.test"));
    assert_null(store_snapshot_find(s, ""));
    store_snapshot_release(s);
}

struct seen_change {
    int calls;
    enum dest_status from, to;
};

static void on_status(struct dest *d, enum dest_status from, enum dest_status to, void *arg)
{
    struct seen_change *c = arg;
    assert_int_equal(store_dest_status(d), to);
    c->calls++;
    c->from = from;
    c->to = to;
}

static void observer_sees_damped_status_changes(void **state)
{
    (void)state;
    struct seen_change c = {0};
    store_subscribe_status(on_status, &c);
    struct dest *d = store_dest_add("flap.test", ORIGIN_CONFIG);

    assert_int_equal(probe(d, REASON_OK, OUT_OK, 3), DEST_UP); /* up at the first success */
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.from, DEST_UNKNOWN);
    assert_int_equal(c.to, DEST_UP);

    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED, 3), DEST_UP);
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED, 3), DEST_UP);
    assert_int_equal(c.calls, 1);
    assert_int_equal(store_dest_view(d)->consecutive_failures, 2);
    /* the reason shown is the latest probe's even while the status holds */
    assert_string_equal(store_dest_reason_text(store_dest_view(d)), "refused");
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_REFUSED, 3), DEST_DOWN);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.from, DEST_UP);
    assert_int_equal(c.to, DEST_DOWN);
    assert_true(store_dest_view(d)->status_changed > 0);

    assert_int_equal(probe(d, REASON_DNS_TEMPORARY, OUT_NOT_PROBED, 3), DEST_DOWN);
    assert_int_equal(c.calls, 2);
    assert_int_equal(probe(d, REASON_OK, OUT_OK, 3), DEST_UP); /* first success: up */
    assert_int_equal(c.calls, 3);
    assert_int_equal(c.to, DEST_UP);
    assert_int_equal(store_dest_view(d)->consecutive_failures, 0);
}

/* The agent's own trouble says nothing about the destination: unknown, never down, and the
 * damping count stays where it was. */
static void local_failures_make_the_status_unknown_and_do_not_count(void **state)
{
    (void)state;
    struct seen_change c = {0};
    store_subscribe_status(on_status, &c);
    struct dest *d = store_dest_add("local.test", ORIGIN_CONFIG);
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR, 1), DEST_UNKNOWN);
    assert_int_equal(c.calls, 0);
    assert_int_equal(probe(d, REASON_OK, OUT_OK, 2), DEST_UP);
    assert_int_equal(probe(d, REASON_ALL_FAILED, OUT_BANNER_TIMEOUT, 2), DEST_UP);
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR, 2), DEST_UNKNOWN);
    assert_int_equal(c.to, DEST_UNKNOWN);
    assert_int_equal(store_dest_view(d)->consecutive_failures, 1);
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR, 2), DEST_UNKNOWN);
    assert_int_equal(store_dest_view(d)->consecutive_failures, 1);
    assert_int_equal(probe(d, REASON_NO_ADDRESS, OUT_NOT_PROBED, 2), DEST_DOWN);
    const struct dest_view *v = store_dest_view(d);
    assert_int_equal(v->probes[OUT__COUNT + REASON_LOCAL], 3);
    assert_int_equal(v->probes[OUT__COUNT + REASON_NO_ADDRESS], 1);
    assert_int_equal(v->probes[OUT_BANNER_TIMEOUT], 1);
    assert_string_equal(store_dest_reason_text(v), "no_address");
    /* Down, the agent's trouble, then up: a return from down, for notifications and retry. */
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR, 2), DEST_UNKNOWN);
    assert_int_equal(c.from, DEST_DOWN);
    assert_true(store_back_from_down(store_dest_view(d), DEST_UNKNOWN));
    assert_int_equal(probe(d, REASON_OK, OUT_OK, 2), DEST_UP);
    assert_int_equal(probe(d, REASON_LOCAL, OUT_LOCAL_ERROR, 2), DEST_UNKNOWN);
    assert_false(store_back_from_down(store_dest_view(d), DEST_UNKNOWN)); /* up before */
    assert_true(store_back_from_down(store_dest_view(d), DEST_DOWN));
}

static void sweep_removes_unmarked_configured_destinations_only(void **state)
{
    (void)state;
    struct dest *keep = store_dest_add("keep.test", ORIGIN_CONFIG);
    store_dest_add("gone.test", ORIGIN_CONFIG);
    store_dest_add("found.test", ORIGIN_DISCOVERED);
    probe(keep, REASON_OK, OUT_OK, 2);
    probe(keep, REASON_OK, OUT_OK, 2);
    unsigned keep_index = store_dest_view(keep)->index;
    store_publish();
    const struct snapshot *before = store_snapshot_acquire();

    store_unmark_all();
    store_mark(store_dest_add("keep.test", ORIGIN_CONFIG), true);
    store_mark(store_dest_add("new.test", ORIGIN_CONFIG), true);
    assert_int_equal(store_sweep_unmarked(ORIGIN_CONFIG), 1);
    assert_null(store_dest_find("gone.test"));
    assert_non_null(store_dest_find("found.test"));
    probe(keep, REASON_OK, OUT_OK, 2);
    store_publish();
    const struct snapshot *after = store_snapshot_acquire();
    assert_int_equal(after->n, 3);
    assert_null(store_snapshot_find(after, "gone.test"));
    const struct dest_view *k = store_snapshot_find(after, "keep.test");
    assert_int_equal(k->probes[OUT_OK], 3); /* counters continue */
    assert_int_equal(k->index, keep_index);
    assert_true(store_snapshot_find(after, "new.test")->index > keep_index);
    /* readers of the old snapshot still see the removed destination */
    assert_string_equal(store_snapshot_find(before, "gone.test")->domain, "gone.test");
    store_snapshot_release(before);
    store_snapshot_release(after);
}

static void discovered_destination_becomes_configured(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("x.test", ORIGIN_DISCOVERED);
    assert_int_equal(store_dest_origin(d), ORIGIN_DISCOVERED);
    assert_ptr_equal(store_dest_add("x.test", ORIGIN_CONFIG), d);
    assert_int_equal(store_dest_origin(d), ORIGIN_CONFIG);
    assert_ptr_equal(store_dest_add("x.test", ORIGIN_DISCOVERED), d);
    assert_int_equal(store_dest_origin(d), ORIGIN_CONFIG);
}

static void history_is_bounded(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("h.test", ORIGIN_CONFIG);
    for (int i = 0; i < STORE_HISTORY_MAX + 60; i++)
        probe(d, i % 2 ? REASON_OK : REASON_ALL_FAILED, i % 2 ? OUT_OK : OUT_REFUSED, 1);
    const struct dest_view *v = store_dest_view(d);
    assert_int_equal(v->history->n, STORE_HISTORY_MAX);
    assert_int_equal(v->history->s[STORE_HISTORY_MAX - 1].status, DEST_UP);
    assert_int_equal(v->history->s[STORE_HISTORY_MAX - 2].status, DEST_DOWN);
}

/* A sample per change, not per probe; a published view keeps the history it was given. */
static void history_keeps_changes_only(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("calm.test", ORIGIN_CONFIG);
    for (int i = 0; i < 50; i++)
        probe(d, REASON_OK, OUT_OK, 1);
    assert_int_equal(store_dest_view(d)->history->n, 1);
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    store_dest_mta(d)->active = 7;
    store_dest_touch(d);
    probe(d, REASON_OK, OUT_OK, 1);
    probe(d, REASON_ALL_FAILED, OUT_REFUSED, 1);
    const struct dest_view *v = store_dest_view(d);
    assert_int_equal(v->history->n, 3);
    assert_int_equal(v->history->s[1].active, 7);
    assert_int_equal(v->history->s[2].status, DEST_DOWN);
    assert_int_equal(store_snapshot_find(s, "calm.test")->history->n, 1);
    store_snapshot_release(s);
}

/* 1,000 destinations are four runs of views: a change rebuilds only its own run, the other
 * three are the very same in both snapshots; a destination that joins rebuilds them all,
 * in order across the run boundaries. */
static void a_publish_copies_only_the_runs_that_changed(void **state)
{
    (void)state;
    char name[32];
    struct dest *mid = NULL;
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "d%04d.test", i);
        struct dest *d = store_dest_add(name, ORIGIN_CONFIG);
        if (i == 600)
            mid = d;
    }
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    assert_int_equal(s1->n, 1000);
    assert_int_equal(s1->n_chunks, (1000 + STORE_CHUNK - 1) / STORE_CHUNK);
    probe(mid, REASON_OK, OUT_OK, 2);
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s2 = store_snapshot_acquire();
    size_t k_mid = 600 / STORE_CHUNK, shared = 0;
    for (size_t k = 0; k < s2->n_chunks; k++) {
        if (k == k_mid)
            assert_ptr_not_equal(s1->chunks[k], s2->chunks[k]);
        else
            shared += s1->chunks[k] == s2->chunks[k];
    }
    assert_int_equal(shared, s2->n_chunks - 1);
    assert_int_equal(store_snapshot_find(s2, "d0600.test")->status, DEST_UP);
    assert_int_equal(store_snapshot_find(s1, "d0600.test")->status, DEST_UNKNOWN);
    store_dest_add("d0255x.test", ORIGIN_CONFIG); /* lands at the end of the first run */
    store_publish();
    const struct snapshot *s3 = store_snapshot_acquire();
    assert_int_equal(s3->n, 1001);
    for (size_t i = 1; i < s3->n; i++)
        assert_true(
            strcmp(store_snapshot_dest(s3, i - 1)->domain, store_snapshot_dest(s3, i)->domain) < 0);
    assert_non_null(store_snapshot_find(s3, "d0999.test"));
    assert_non_null(store_snapshot_find(s3, "d0255x.test"));
    assert_int_equal(store_snapshot_find(s3, "d0600.test")->status, DEST_UP);
    store_snapshot_release(s1);
    store_snapshot_release(s2);
    store_snapshot_release(s3);
}

static int text_refs(const struct smtp_text *t)
{
    return atomic_load(&((struct smtp_text *)t)->refs);
}

/* A host whose one address holds a reference to t, as probe.c makes them from a result. */
static struct mx_host *host_with_text(const struct smtp_text *t)
{
    struct mx_host *h = one_host(OUT_OK, "");
    store_text_unref(h->addrs[0].text);
    h->addrs[0].text = store_text_ref(t);
    return h;
}

/* One SMTP session's texts reach every destination behind the address as one block: two
 * destinations fed the same result hold the very same pointer, a view copied for a write
 * shares its hosts and so the texts, and a released snapshot drops its references, so the
 * block lives exactly as long as the last view holding it. */
static void address_texts_are_shared_not_copied(void **state)
{
    (void)state;
    const struct smtp_text *t = store_text_new("220 shared ESMTP", "250-shared\n250 SIZE 1", "");
    struct dest *a = store_dest_add("a.test", ORIGIN_CONFIG);
    struct dest *b = store_dest_add("b.test", ORIGIN_CONFIG);
    enum dest_status o, n;
    store_dest_set_probe(a, host_with_text(t), 1, 0.01, 300, REASON_OK, OUT_OK, 1, &o, &n);
    store_dest_set_probe(b, host_with_text(t), 1, 0.01, 300, REASON_OK, OUT_OK, 1, &o, &n);
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    const struct dest_view *va = store_snapshot_find(s1, "a.test");
    assert_ptr_equal(va->hosts[0].addrs[0].text, t);
    assert_ptr_equal(store_snapshot_find(s1, "b.test")->hosts[0].addrs[0].text, t);
    assert_int_equal(text_refs(t), 3); /* ours, a's view, b's view */

    store_dest_touch(a); /* a's published view is copied before the write, not its hosts */
    store_publish();
    const struct snapshot *s2 = store_snapshot_acquire();
    const struct dest_view *va2 = store_snapshot_find(s2, "a.test");
    assert_ptr_not_equal(va2, va);
    assert_ptr_equal(va2->hosts, va->hosts);
    assert_ptr_equal(va2->hosts[0].addrs[0].text, t);
    assert_string_equal(store_addr_ehlo(&va2->hosts[0].addrs[0]), "250-shared\n250 SIZE 1");
    assert_int_equal(text_refs(t), 3);
    store_snapshot_release(s1); /* a's old view goes with it, its hosts stay with the new */
    assert_int_equal(text_refs(t), 3);
    assert_string_equal(va2->hosts[0].name, "mx.example.test");

    probe(a, REASON_OK, OUT_OK, 1); /* new results with texts of their own */
    probe(b, REASON_OK, OUT_OK, 1);
    store_publish();
    assert_int_equal(text_refs(t), 3); /* s2 still holds both old views */
    store_snapshot_release(s2);
    store_publish(); /* frees what only released snapshots showed */
    assert_int_equal(text_refs(t), 1);
    store_text_unref(t);
}

/* Texts are cut at their bounds, and an empty one reads as "". */
static void address_texts_are_bounded(void **state)
{
    (void)state;
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const struct smtp_text *t = store_text_new(big, big, "");
    assert_int_equal(strlen(t->banner), STORE_BANNER_MAX - 1);
    assert_int_equal(strlen(t->ehlo), STORE_EHLO_MAX - 1);
    store_text_unref(t);
    struct mx_addr_result none = {0};
    assert_string_equal(store_addr_banner(&none), "");
    assert_string_equal(store_addr_ehlo(&none), "");
}

static int transcript_refs(const struct store_transcript *t)
{
    return atomic_load(&((struct store_transcript *)t)->refs);
}

/* Readers never count views: a view that left the published set is freed by the loop at a
 * publish, once no snapshot that may show it is held, the snapshots in the order they were
 * taken (a newer one released first frees nothing an older one shows). */
static void retired_views_wait_for_their_readers(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("r.test", ORIGIN_CONFIG);
    const struct store_transcript *tr = own_transcript("kept");
    store_dest_set_transcript(d, tr);
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    const struct dest_view *v1 = store_snapshot_find(s1, "r.test");
    store_dest_touch(d);
    store_publish();
    const struct snapshot *s2 = store_snapshot_acquire();
    store_dest_touch(d);
    store_publish();
    assert_int_equal(transcript_refs(tr), 3); /* the views of s1, s2 and the store's */
    store_snapshot_release(s2);
    store_publish();
    assert_int_equal(transcript_refs(tr), 3);
    assert_string_equal(v1->domain, "r.test");
    assert_ptr_equal(v1->transcript, tr);
    store_snapshot_release(s1);
    store_publish();
    assert_int_equal(transcript_refs(tr), 1);
}

#define SESSION_TEXT "+0.0010 S: 220 shared ESMTP\n+0.0020 C: QUIT\n+0.0030 #: outcome=ok\n"

/* What probe.c builds for a destination behind one address: its own lines around the
 * session's transcript. */
static const struct store_transcript *dest_transcript(const char *domain, const struct smtp_text *t,
                                                      size_t max)
{
    struct store_transcript_builder b = {.max = max};
    char line[128];
    snprintf(line, sizeof line, "# MX %s: ok (1 records)", domain);
    store_tb_line(&b, line);
    store_tb_line(&b, "== mx.example.test [192.0.2.1]:25 (preference 10)");
    store_tb_session(&b, t);
    return store_tb_finish(&b);
}

/* One session's transcript is held once, whichever destinations showed it: two
 * destinations fed the same session refer to the very same block, which their transcripts
 * read as the concatenation a copy used to hold; a view copied for a write shares the
 * transcript instead of copying it; released snapshots drop their references, so the
 * session's block lives exactly as long as the last transcript showing it. */
static void session_transcripts_are_shared_not_copied(void **state)
{
    (void)state;
    const struct smtp_text *t = store_text_new("220 shared ESMTP", "", SESSION_TEXT);
    struct dest *a = store_dest_add("a.test", ORIGIN_CONFIG);
    struct dest *b = store_dest_add("b.test", ORIGIN_CONFIG);
    store_dest_set_transcript(a, dest_transcript("a.test", t, 8192));
    store_dest_set_transcript(b, dest_transcript("b.test", t, 8192));
    assert_int_equal(text_refs(t), 3); /* ours, a's transcript, b's */
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    const struct store_transcript *ta = store_snapshot_find(s1, "a.test")->transcript;
    const struct store_transcript *tb = store_snapshot_find(s1, "b.test")->transcript;
    assert_ptr_equal(ta->part[ta->n - 1].session, t);
    assert_ptr_equal(tb->part[tb->n - 1].session, t);
    assert_transcript(ta, "# MX a.test: ok (1 records)\n"
                          "== mx.example.test [192.0.2.1]:25 (preference 10)\n" SESSION_TEXT);
    assert_int_equal(ta->len,
                     strlen("# MX a.test: ok (1 records)\n"
                            "== mx.example.test [192.0.2.1]:25 (preference 10)\n" SESSION_TEXT));

    store_dest_touch(a); /* a's published view is copied before the write, not its transcript */
    store_publish();
    const struct snapshot *s2 = store_snapshot_acquire();
    const struct dest_view *va2 = store_snapshot_find(s2, "a.test");
    assert_ptr_not_equal(va2, store_snapshot_find(s1, "a.test"));
    assert_ptr_equal(va2->transcript, ta);
    assert_int_equal(transcript_refs(ta), 2); /* the old view and the new one */
    assert_int_equal(text_refs(t), 3);
    store_snapshot_release(s1);
    store_publish();
    assert_int_equal(transcript_refs(ta), 1);

    store_dest_set_transcript(a, own_transcript("new"));
    store_dest_set_transcript(b, own_transcript("new"));
    store_publish();
    assert_int_equal(text_refs(t), 3); /* s2 still holds both old transcripts */
    store_snapshot_release(s2);
    store_publish();
    assert_int_equal(text_refs(t), 1);
    store_text_unref(t);
}

/* The bound holds for the text as it did for a copy: a line goes in whole or not at all
 * (and only below the bound), a session's transcript is cut at what is left, and nothing
 * said is no transcript at all. */
static void transcripts_keep_within_their_bound(void **state)
{
    (void)state;
    const struct smtp_text *t = store_text_new("", "", SESSION_TEXT);
    const char *lines = "# MX a.test: ok (1 records)\n"
                        "== mx.example.test [192.0.2.1]:25 (preference 10)\n";
    size_t nl = strlen(lines);
    for (size_t max = 0; max < nl + strlen(SESSION_TEXT) + 8; max++) {
        const struct store_transcript *tr = dest_transcript("a.test", t, max);
        char want[512] = "";
        size_t first = strlen("# MX a.test: ok (1 records)\n");
        size_t head = max > first ? first : 0; /* the first line fits when it is below max */
        if (max > nl)
            head = nl;
        memcpy(want, lines, head);
        size_t cut = max > head ? max - head : 0;
        if (cut > strlen(SESSION_TEXT))
            cut = strlen(SESSION_TEXT);
        memcpy(want + head, SESSION_TEXT, cut);
        want[head + cut] = '\0';
        assert_transcript(tr, want[0] ? want : NULL);
        assert_true(!tr || tr->len <= max);
        store_transcript_unref(tr);
    }
    assert_int_equal(text_refs(t), 1);
    store_text_unref(t);
}

/* An MX host's name is held at its own length, cut below STORE_DOMAIN_MAX as the array it
 * replaced cut it, and setting it again replaces it (ASan sees the old one freed). */
static void host_names_are_kept_at_their_length(void **state)
{
    (void)state;
    struct mx_host *h = one_host(OUT_OK, "");
    assert_int_equal(malloc_usable_size(h->name) < 32, 1);
    char big[STORE_DOMAIN_MAX + 40];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    store_host_set_name(h, big);
    assert_int_equal(strlen(h->name), STORE_DOMAIN_MAX - 1);
    store_hosts_free(h, 1);
}

/* The error table travels by reference: none is allocated for a destination without
 * errors, a view copied for a write shares the block, a count then changes a copy and never
 * the published block, an unshared block is counted in place, and figures set equal to
 * what the store holds copy no view. */
/* The delay histogram: cumulative counts per bound, shared by copies until one is written
 * (a copy then counts on its own block), and started again when the bounds change. */
static void delay_histograms_are_shared_until_written(void **state)
{
    (void)state;
    static const double le[] = {1, 10};
    struct mta_figures a = {0}, b = {0};
    store_mta_observe_delay(&a, le, 2, 0.2);
    store_mta_observe_delay(&a, le, 2, 1); /* at the bound: counted in it */
    store_mta_observe_delay(&a, le, 2, 11);
    store_mta_observe_delay(&a, le, 2, -1); /* not a delay */
    const struct mta_delays *h = a.delays;
    assert_int_equal(h->count, 3);
    assert_true(h->sum == 12.2);
    assert_int_equal(h->b[0].count, 2);
    assert_int_equal(h->b[1].count, 2);
    store_mta_copy(&b, &a);
    assert_ptr_equal(b.delays, h);
    store_mta_observe_delay(&b, le, 2, 5); /* shared: b counts on a copy */
    assert_ptr_not_equal(b.delays, h);
    assert_int_equal(h->count, 3);
    assert_int_equal(b.delays->count, 4);
    assert_int_equal(b.delays->b[1].count, 3);
    const struct mta_delays *own = b.delays;
    store_mta_observe_delay(&b, le, 2, 5); /* unshared now: in place */
    assert_ptr_equal(b.delays, own);
    static const double other[] = {60};
    store_mta_observe_delay(&b, other, 1, 5); /* new bounds: a new histogram */
    assert_int_equal(b.delays->n, 1);
    assert_int_equal(b.delays->count, 1);
    store_mta_clear(&a);
    store_mta_clear(&b);
    assert_null(a.delays);
}

/* The MTA's routes travel with the snapshots, sorted by key, copied from the caller. */
static void routes_are_published_sorted(void **state)
{
    (void)state;
    const char *keys[] = {"b.test", "*", "a.test"}, *dests[] = {"relay.test", NULL, "relay.test"};
    store_set_routes(keys, dests, 3);
    assert_int_equal(store_publish(), 1);
    const struct snapshot *s = store_snapshot_acquire();
    assert_int_equal(s->routes->n, 3);
    assert_string_equal(s->routes->r[0].key, "*");
    assert_string_equal(s->routes->r[0].dest, ""); /* its own MX records */
    assert_string_equal(s->routes->r[1].key, "a.test");
    assert_string_equal(s->routes->r[2].dest, "relay.test");
    store_set_routes(NULL, NULL, 0);
    store_publish();
    assert_string_equal(s->routes->r[1].key, "a.test"); /* the old snapshot keeps its own */
    store_snapshot_release(s);
    s = store_snapshot_acquire();
    assert_null(s->routes);
    store_snapshot_release(s);
}

static void error_tables_are_shared_until_written(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("err.test", ORIGIN_CONFIG);
    assert_null(store_dest_view(d)->mta.errors);
    assert_int_equal(store_mta_count_error(store_dest_mta(d), 5, 1, 1, 2), 0);
    store_publish();
    const struct snapshot *s1 = store_snapshot_acquire();
    const struct dest_view *v1 = store_snapshot_find(s1, "err.test");
    const struct mta_error_count *e1 = v1->mta.errors;
    store_dest_mta(d)->active = 3; /* the view is copied, its errors are not */
    assert_ptr_not_equal(store_dest_view(d), v1);
    assert_ptr_equal(store_dest_view(d)->mta.errors, e1);
    store_mta_count_error(store_dest_mta(d), 5, 1, 1, 1);
    const struct mta_error_count *e2 = store_dest_view(d)->mta.errors;
    assert_ptr_not_equal(e2, e1);
    assert_int_equal(v1->mta.errors[0].count, 2);
    assert_int_equal(e2[0].count, 3);
    store_mta_count_error(store_dest_mta(d), 5, 1, 1, 1);
    assert_ptr_equal(store_dest_view(d)->mta.errors, e2);
    assert_int_equal(e2[0].count, 4);
    store_publish();

    struct mta_figures same = {0};
    store_mta_copy(&same, &store_dest_view(d)->mta);
    assert_ptr_equal(same.errors, e2);
    store_dest_set_mta(d, &same);
    assert_int_equal(store_publish(), 0);
    store_mta_count_error(&same, 4, 2, 0, 1); /* shared with the store: counted on a copy */
    assert_int_equal(store_dest_view(d)->mta.n_errors, 1);
    store_dest_set_mta(d, &same);
    assert_int_equal(store_publish(), 1);
    assert_int_equal(store_dest_view(d)->mta.n_errors, 2);
    assert_int_equal(store_dest_view(d)->mta.errors[0].code, 4002000);
    store_mta_clear(&same);
    store_snapshot_release(s1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(snapshot_taken_before_a_write_is_unchanged),
        T(unchanged_views_are_shared_and_unchanged_stores_not_republished),
        T(a_publish_copies_only_the_runs_that_changed),
        T(address_texts_are_shared_not_copied),
        T(address_texts_are_bounded),
        T(session_transcripts_are_shared_not_copied),
        T(transcripts_keep_within_their_bound),
        T(host_names_are_kept_at_their_length),
        T(error_tables_are_shared_until_written),
        T(routes_are_published_sorted),
        T(delay_histograms_are_shared_until_written),
        T(snapshots_are_sorted_and_find_uses_them),
        T(observer_sees_damped_status_changes),
        T(local_failures_make_the_status_unknown_and_do_not_count),
        T(sweep_removes_unmarked_configured_destinations_only),
        T(discovered_destination_becomes_configured),
        T(history_is_bounded),
        T(history_keeps_changes_only),
        T(retired_views_wait_for_their_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
