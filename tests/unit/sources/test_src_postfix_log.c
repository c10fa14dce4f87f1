/* Unit test of the postfix_log source as a whole (probes/sources/src_postfix_log.c through its
 * source_ops), on the real log of a private Postfix 3.7 (tests/fixtures/postfix/
 * maillog.sample, see test_pflog.c): per-destination counters in the state store, the
 * attribution of expiry and postsuper removal to the recipients' destinations, failed
 * connections tied to the delivery that follows them, error codes, transport maps, and the
 * state file: a restart counts nothing twice and misses nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "logtail.h"
#include "source.h"
#include "srcagg.h"
#include "store.h"

static char dir[64], log_path[128], state_path[128];
static struct config *cfg;

static void copy_fixture(void)
{
    const char *top = getenv("MXW_TOP");
    char src[512], cmd[1024];
    snprintf(src, sizeof src, "%s/tests/fixtures/postfix/maillog.sample", top ? top : ".");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, log_path);
    assert_int_equal(system(cmd), 0);
}

/* A state file that says "read from the start". */
static void state_at_start(void)
{
    struct stat st;
    char err[256];
    assert_int_equal(stat(log_path, &st), 0);
    struct logtail_pos p = {.dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino};
    assert_int_equal(logtail_state_save(state_path, &p, err, sizeof err), 0);
}

static void start_all(void)
{
    char err[256];
    store_init();
    const char *doms[] = {"up.test", "down.test", "soft.test", "reject.test", "origin.test"};
    for (size_t i = 0; i < sizeof doms / sizeof doms[0]; i++)
        store_dest_add(doms[i], ORIGIN_CONFIG);
    assert_int_equal(srcagg_configure(cfg, err, sizeof err), 0);
    assert_int_equal(src_postfix_log_ops.start(NULL, cfg, err, sizeof err), 0);
}

static void stop_all(void)
{
    src_postfix_log_ops.stop();
    srcagg_shutdown();
    store_shutdown();
}

/* Collects until the source has caught up (it then asks to be called again in 250 ms). */
static void drain(void)
{
    for (int i = 0; i < 100 && src_postfix_log_ops.collect(NULL) == 0; i++)
        ;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mxw-srclog.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(log_path, sizeof log_path, "%s/mail.log", dir);
    snprintf(state_path, sizeof state_path, "%s/state", dir);
    char yml[1024], err[CONFIG_ERR_MAX];
    snprintf(yml, sizeof yml,
             "sources:\n  postfix:\n    enabled: true\n    log_file: %s\n    state_file: %s\n"
             "    transport_maps: [\"lmtp.test=up.test\"]\n",
             log_path, state_path);
    cfg = config_parse("t.yml", yml, strlen(yml), err, sizeof err);
    assert_non_null(cfg);
    copy_fixture();
    state_at_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    config_free(cfg);
    return system(cmd) == 0 ? 0 : -1;
}

static const struct mta_figures *fig(const char *d)
{
    struct dest *x = store_dest_find(d);
    assert_non_null(x);
    return &store_dest_view(x)->mta;
}

static uint64_t error_count(const struct mta_figures *m, uint32_t code)
{
    for (size_t i = 0; i < m->n_errors; i++)
        if (m->errors[i].code == code)
            return m->errors[i].count;
    return 0;
}

static void append(const char *s)
{
    int fd = open(log_path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void test_counts_from_a_real_log(void **state)
{
    (void)state;
    start_all();
    drain();
    const struct mta_figures *up = fig("up.test"), *down = fig("down.test");
    /* up.test: 5 sent; the header_checks reject (filter); lmtp.test's 5xx via transport_maps. */
    assert_int_equal(up->delivered, 5);
    assert_int_equal(up->hard_filter, 1);
    assert_int_equal(up->hard_5xx, 1);
    assert_int_equal(up->completed, 7);
    /* down.test: 5 deferrals, one message removed by postsuper (1 recipient), one expired;
     * 5 refused connections, each followed by a down.test status line. */
    assert_int_equal(down->soft_bounce, 5);
    assert_int_equal(down->deleted, 1);
    assert_int_equal(down->hard_expired, 1);
    assert_int_equal(down->completed, 1);
    assert_int_equal(down->conn_failed, 5);
    assert_string_equal(down->last_failure,
                        "connect to 127.0.0.32[127.0.0.32]:25168: Connection refused");
    assert_int_equal(error_count(down, 4004001), 5);
    const struct mta_figures *soft = fig("soft.test"), *rej = fig("reject.test");
    assert_int_equal(soft->soft_bounce, 4);
    assert_int_equal(soft->hard_expired, 1);
    assert_int_equal(soft->conn_failed, 0);
    assert_int_equal(error_count(soft, 4003000), 4);
    assert_int_equal(rej->hard_5xx, 1);
    assert_int_equal(error_count(rej, 5001001), 1);
    assert_int_equal(fig("origin.test")->delivered, 7);
    assert_true(up->present && rej->present);
    const struct source_status *s = &store_agent()->sources[0];
    assert_string_equal(s->name, "postfix_log");
    assert_true(s->up);
    stop_all();
}

static void test_restart_counts_nothing_twice(void **state)
{
    (void)state;
    start_all();
    drain();
    assert_int_equal(fig("up.test")->delivered, 5);
    stop_all(); /* saves the position */
    append("Nov 29 17:00:00 mxw-test postfix/smtp[1]: AB12: to=<new@up.test>, relay=x[127.0.0.31]"
           ":25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)\n");
    start_all();
    drain();
    assert_int_equal(fig("up.test")->delivered, 1); /* only the line written while away */
    assert_int_equal(fig("down.test")->soft_bounce, 0);
    /* A line written in two pieces counts once, when whole. */
    append("Nov 29 17:00:01 mxw-test postfix/smtp[1]: AB13: to=<n2@up.test>, relay=x[127.0.0.31]");
    drain();
    stop_all();
    append(":25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)\n");
    start_all();
    drain();
    assert_int_equal(fig("up.test")->delivered, 1);
    stop_all();
}

static void test_unreadable_log_is_reported_and_retried(void **state)
{
    (void)state;
    unlink(log_path);
    start_all();
    drain();
    const struct source_status *s = &store_agent()->sources[0];
    assert_false(s->up);
    assert_int_equal(s->errors, 1);
    copy_fixture();
    drain();
    assert_true(store_agent()->sources[0].up);
    stop_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_from_a_real_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_counts_nothing_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_log_is_reported_and_retried, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("src_postfix_log", tests, NULL, NULL);
}
