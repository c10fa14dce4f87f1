/*
 * test_prom.c - the /metrics rendering (exporters/prom/prom.c) on snapshots built through the
 * store's writer API: every family of the issue present with HELP and TYPE once and its
 * samples grouped, the values where they belong, hostile names escaped, banners never in a
 * label, and the real output accepted by `promtool check metrics`.
 */
#include "prom.h"
#include "promtext.h"
#include "snapfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Renders the current published snapshot; the caller frees the result. */
static char *render(void)
{
    store_publish();
    const struct snapshot *s = store_snapshot_acquire();
    struct buf b = {0};
    prom_render(s, &b);
    store_snapshot_release(s);
    return buf_steal(&b, NULL);
}

static int setup(void **state)
{
    (void)state;
    store_init();
    store_agent()->metrics_per_address = true; /* what the daemon sets below 10,000 */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_shutdown();
    return 0;
}

/* The value of the sample whose "name{labels}" is exactly key, or NaN-free -1 when absent. */
static double value_of(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line)
        if (!strncmp(line, key, klen) && line[klen] == ' ')
            return strtod(line + klen + 1, NULL);
    return -1;
}

static void assert_value(const char *text, const char *key, double want)
{
    double got = value_of(text, key);
    if (got != want)
        fail_msg("%s: expected %g, got %g", key, want, got);
}

/* A world with an up destination (2 MX, TLS), a down one (refused), one never probed,
 * MTA figures on the first and a configured source. */
static void build_world(void)
{
    snapfix_source("postfix_queue", true);
    struct dest *up = store_dest_add("up.test", ORIGIN_CONFIG);
    snapfix_probe(up, 2, 2, OUT_OK);
    snapfix_mta(up, 100);
    struct dest *down = store_dest_add("down.test", ORIGIN_CONFIG);
    snapfix_probe(down, 1, 1, OUT_REFUSED);
    store_dest_add("never.test", ORIGIN_DISCOVERED);
}

/* Every family the issue names; per-address and MTA ones need the world above. */
static const char *const issue_families[] = {
    "mxwatch_destination_up",
    "mxwatch_destination_status",
    "mxwatch_destination_status_reason_info",
    "mxwatch_destination_status_change_timestamp_seconds",
    "mxwatch_destination_mx_records",
    "mxwatch_dns_lookup_duration_seconds",
    "mxwatch_dns_ttl_seconds",
    "mxwatch_probes_total",
    "mxwatch_last_probe_timestamp_seconds",
    "mxwatch_mx_up",
    "mxwatch_smtp_connect_duration_seconds",
    "mxwatch_smtp_banner_duration_seconds",
    "mxwatch_smtp_ehlo_duration_seconds",
    "mxwatch_smtp_starttls_offered",
    "mxwatch_tls_handshake_duration_seconds",
    "mxwatch_tls_cert_expiry_timestamp_seconds",
    "mxwatch_tls_version_info",
    "mxwatch_active_recipients",
    "mxwatch_unattempted_recipients",
    "mxwatch_attempted_recipients",
    "mxwatch_outbound_connections",
    "mxwatch_delivered_recipients_total",
    "mxwatch_completed_recipients_total",
    "mxwatch_soft_bounce_events_total",
    "mxwatch_hard_bounced_recipients_total",
    "mxwatch_deleted_recipients_total",
    "mxwatch_oldest_message_age_seconds",
    "mxwatch_delivery_delay_seconds",
    "mxwatch_newest_message_age_seconds",
    "mxwatch_queued_recipients",
    "mxwatch_queued_recipients_by_queue",
    "mxwatch_build_info",
    "mxwatch_shard_info",
    "mxwatch_destinations",
    "mxwatch_probes_in_flight",
    "mxwatch_probe_loop_lag_seconds",
    "mxwatch_config_last_reload_successful",
    "mxwatch_config_last_reload_success_timestamp_seconds",
    "mxwatch_source_up",
    "mxwatch_agentx_connected",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_open_fds",
};

#define FAMILIES_MAX 128

/* Checks the exposition's structure: each family has one HELP then one TYPE, its samples
 * follow them and nothing of it appears after another family started. Returns the
 * number of families; their names go into names. */
static size_t check_structure(const char *text, char names[][96])
{
    size_t n = 0;
    char current[96] = "", ctype[16] = "";
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        assert_non_null(end); /* every line is terminated */
        char name[96];
        if (!strncmp(line, "# HELP ", 7)) {
            sscanf(line + 7, "%95s", name);
            for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                    fail_msg("family %s appears twice", name);
            assert_true(n < FAMILIES_MAX);
            strcpy(names[n++], name);
            strcpy(current, name);
            const char *type = end + 1;
            char tname[96], ttype[16];
            assert_int_equal(sscanf(type, "# TYPE %95s %15s", tname, ttype), 2);
            assert_string_equal(tname, name);
            strcpy(ctype, ttype);
            line = strchr(type, '\n') + 1;
            continue;
        }
        assert_true(line[0] != '#');
        size_t len = strcspn(line, "{ ");
        assert_true(len < sizeof name);
        memcpy(name, line, len);
        name[len] = '\0';
        size_t clen = strlen(current);
        bool histogram_part = !strcmp(ctype, "histogram") && !strncmp(name, current, clen) &&
                              (!strcmp(name + clen, "_bucket") || !strcmp(name + clen, "_sum") ||
                               !strcmp(name + clen, "_count"));
        if (strcmp(name, current) && !histogram_part)
            fail_msg("sample of %s outside its family (current %s)", name, current);
        line = end + 1;
    }
    return n;
}

static void test_every_issue_family_present_once_and_grouped(void **state)
{
    (void)state;
    build_world();
    char *text = render();
    static char names[FAMILIES_MAX][96];
    size_t n = check_structure(text, names);
    for (size_t i = 0; i < MXW_ARRAY_LEN(issue_families); i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = !strcmp(names[k], issue_families[i]);
        if (!found)
            fail_msg("family %s missing", issue_families[i]);
    }
    free(text);
}

static void test_values_of_up_down_and_unprobed_destinations(void **state)
{
    (void)state;
    build_world();
    char *t = render();
    assert_value(t, "mxwatch_destination_up{destination=\"up.test\"}", 1);
    assert_value(t, "mxwatch_destination_up{destination=\"down.test\"}", 0);
    assert_value(t, "mxwatch_destination_up{destination=\"never.test\"}", 0);
    assert_value(t, "mxwatch_destination_status{destination=\"down.test\",status=\"down\"}", 1);
    assert_value(t, "mxwatch_destination_status{destination=\"down.test\",status=\"up\"}", 0);
    assert_value(t, "mxwatch_destination_status{destination=\"never.test\",status=\"unknown\"}", 1);
    assert_value(
        t, "mxwatch_destination_status_reason_info{destination=\"down.test\",reason=\"refused\"}",
        1);
    assert_value(t,
                 "mxwatch_destination_status_reason_info{destination=\"never.test\",reason="
                 "\"not_probed\"}",
                 1);
    assert_value(t, "mxwatch_probes_total{destination=\"down.test\",result=\"refused\"}", 1);
    assert_value(t, "mxwatch_destination_mx_records{destination=\"up.test\"}", 2);
    assert_value(t, "mxwatch_dns_ttl_seconds{destination=\"up.test\"}", 300);
    assert_value(t, "mxwatch_dns_lookup_duration_seconds{destination=\"up.test\"}", 0.0031);
    /* Never probed: no probe figures at all rather than zeros. */
    assert_value(t, "mxwatch_last_probe_timestamp_seconds{destination=\"never.test\"}", -1);
    assert_value(t, "mxwatch_destinations{origin=\"config\"}", 2);
    assert_value(t, "mxwatch_destinations{origin=\"discovered\"}", 1);
    assert_value(t, "mxwatch_source_up{source=\"postfix_queue\"}", 1);
    free(t);
}

static void test_values_per_address(void **state)
{
    (void)state;
    build_world();
    char *t = render();
    const char *a = "{destination=\"up.test\",mx=\"mx2.up.test\",address=\"192.0.2.21\","
                    "preference=\"20\"}";
    char key[256];
    snprintf(key, sizeof key, "mxwatch_mx_up%s", a);
    assert_value(t, key, 1);
    snprintf(key, sizeof key, "mxwatch_smtp_connect_duration_seconds%s", a);
    assert_value(t, key, 0.000412);
    snprintf(key, sizeof key, "mxwatch_smtp_banner_duration_seconds%s", a);
    assert_value(t, key, 0.0123);
    snprintf(key, sizeof key, "mxwatch_smtp_starttls_offered%s", a);
    assert_value(t, key, 1);
    snprintf(key, sizeof key, "mxwatch_tls_cert_expiry_timestamp_seconds%s", a);
    assert_value(t, key, 1830000000);
    assert_non_null(strstr(t, "mxwatch_tls_version_info{destination=\"up.test\",mx=\"mx2.up."
                              "test\",address=\"192.0.2.21\",preference=\"20\",version=\"TLSv1."
                              "3\"} 1\n"));
    /* A refused address has a connect time but no banner, EHLO or STARTTLS figure. */
    const char *d = "{destination=\"down.test\",mx=\"mx1.down.test\",address=\"192.0.2.11\","
                    "preference=\"10\"}";
    snprintf(key, sizeof key, "mxwatch_mx_up%s", d);
    assert_value(t, key, 0);
    snprintf(key, sizeof key, "mxwatch_smtp_banner_duration_seconds%s", d);
    assert_value(t, key, -1);
    snprintf(key, sizeof key, "mxwatch_smtp_starttls_offered%s", d);
    assert_value(t, key, -1);
    free(t);
}

/* web.metrics.per_address off: the destination families stay, no per-address family at all. */
static void test_per_address_families_switched_off(void **state)
{
    (void)state;
    build_world();
    store_agent()->metrics_per_address = false;
    store_publish();
    char *t = render();
    assert_non_null(strstr(t, "mxwatch_destination_up{destination=\"up.test\"} 1\n"));
    static const char *const gone[] = {"mxwatch_mx_up", "mxwatch_smtp_connect_duration_seconds",
                                       "mxwatch_smtp_banner_duration_seconds",
                                       "mxwatch_tls_version_info", "address=\""};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
        if (strstr(t, gone[i]))
            fail_msg("%s present with per_address off", gone[i]);
    free(t);
}

static void test_mta_values_and_presence(void **state)
{
    (void)state;
    build_world();
    char *t = render();
    assert_value(t, "mxwatch_active_recipients{destination=\"up.test\"}", 101);
    assert_value(t, "mxwatch_outbound_connections{destination=\"up.test\",state=\"current\"}", 104);
    assert_value(t, "mxwatch_outbound_connections{destination=\"up.test\",state=\"pending\"}", 105);
    assert_value(t, "mxwatch_hard_bounced_recipients_total{destination=\"up.test\",reason=\"5xx\"}",
                 111);
    assert_value(
        t, "mxwatch_hard_bounced_recipients_total{destination=\"up.test\",reason=\"other\"}", 114);
    assert_value(t, "mxwatch_oldest_message_age_seconds{destination=\"up.test\"}", 115.5);
    /* The delay histogram: cumulative buckets, +Inf equal to the count. */
    assert_value(t, "mxwatch_delivery_delay_seconds_bucket{destination=\"up.test\",le=\"1\"}", 1);
    assert_value(t, "mxwatch_delivery_delay_seconds_bucket{destination=\"up.test\",le=\"5\"}", 2);
    assert_value(t, "mxwatch_delivery_delay_seconds_bucket{destination=\"up.test\",le=\"60\"}", 2);
    assert_value(t, "mxwatch_delivery_delay_seconds_bucket{destination=\"up.test\",le=\"+Inf\"}",
                 3);
    assert_value(t, "mxwatch_delivery_delay_seconds_sum{destination=\"up.test\"}", 7003.5);
    assert_value(t, "mxwatch_delivery_delay_seconds_count{destination=\"up.test\"}", 3);
    assert_non_null(strstr(t, "# TYPE mxwatch_delivery_delay_seconds histogram\n"));
    /* A source is configured: destinations it has not reported show zeros, not nothing. */
    assert_value(t, "mxwatch_active_recipients{destination=\"down.test\"}", 0);
    free(t);
}

/* The queue's shape: one sample per age bucket and per queue, labels as documented in
 * docs/METRICS.md; zeros for a destination the source has not reported. */
static void test_queue_shape_families(void **state)
{
    (void)state;
    build_world();
    struct mta_figures *m = store_dest_mta(store_dest_find("up.test"));
    const uint32_t ages[MTA_AGE__COUNT] = {1, 2, 3, 4, 5}, queues[MTA_Q__COUNT] = {6, 7, 8, 9};
    memcpy(m->queued_age, ages, sizeof ages);
    memcpy(m->queued_in, queues, sizeof queues);
    m->newest_age_s = 12.5;
    char *t = render();
    assert_value(t, "mxwatch_newest_message_age_seconds{destination=\"up.test\"}", 12.5);
    assert_value(t, "mxwatch_queued_recipients{destination=\"up.test\",age=\"5m\"}", 1);
    assert_value(t, "mxwatch_queued_recipients{destination=\"up.test\",age=\"1h\"}", 2);
    assert_value(t, "mxwatch_queued_recipients{destination=\"up.test\",age=\"4h\"}", 3);
    assert_value(t, "mxwatch_queued_recipients{destination=\"up.test\",age=\"1d\"}", 4);
    assert_value(t, "mxwatch_queued_recipients{destination=\"up.test\",age=\"older\"}", 5);
    assert_value(t, "mxwatch_queued_recipients_by_queue{destination=\"up.test\",queue=\"active\"}",
                 6);
    assert_value(
        t, "mxwatch_queued_recipients_by_queue{destination=\"up.test\",queue=\"deferred\"}", 7);
    assert_value(t, "mxwatch_queued_recipients_by_queue{destination=\"up.test\",queue=\"hold\"}",
                 8);
    assert_value(
        t, "mxwatch_queued_recipients_by_queue{destination=\"up.test\",queue=\"incoming\"}", 9);
    assert_value(t, "mxwatch_queued_recipients{destination=\"down.test\",age=\"5m\"}", 0);
    assert_value(t, "mxwatch_queued_recipients_by_queue{destination=\"down.test\",queue=\"hold\"}",
                 0);
    free(t);
}

static void test_mta_families_absent_without_a_source(void **state)
{
    (void)state;
    store_dest_add("plain.test", ORIGIN_CONFIG);
    char *t = render();
    assert_null(strstr(t, "mxwatch_active_recipients"));
    assert_null(strstr(t, "mxwatch_queued_recipients"));
    assert_null(strstr(t, "mxwatch_source_up"));
    assert_value(t, "mxwatch_destination_up{destination=\"plain.test\"}", 0);
    free(t);
}

/* Only a gateway poller runs: its figures are the appliance's, not any destination's, so
 * destinations must not show zero queues as if they had been measured. */
static void test_mta_families_absent_with_only_the_gateway_source(void **state)
{
    (void)state;
    store_dest_add("plain.test", ORIGIN_CONFIG);
    snapfix_source("gateway", true);
    char *t = render();
    assert_null(strstr(t, "mxwatch_active_recipients{destination="));
    assert_value(t, "mxwatch_source_up{source=\"gateway\"}", 1);
    free(t);
}

static void test_empty_store_has_agent_families_only(void **state)
{
    (void)state;
    char *t = render();
    static char names[FAMILIES_MAX][96];
    check_structure(t, names);
    assert_null(strstr(t, "mxwatch_destination_up"));
    assert_value(t, "mxwatch_destinations{origin=\"config\"}", 0);
    assert_non_null(strstr(t, "mxwatch_build_info{version=\"" MXW_VERSION "\""));
    assert_value(t, "mxwatch_shard_info{shard=\"0\",shards=\"1\"}", 1); /* not sharded */
    assert_true(value_of(t, "process_open_fds") > 0);
    assert_true(value_of(t, "process_start_time_seconds") > 1.6e9);
    free(t);
}

/* Outcome and reason slots named alike ("not_probed") are one series, summed; "local" (the
 * agent's trouble) and "local_error" (an address's check that could not run) are two. */
static void test_probe_results_with_the_same_name_are_one_series(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("local.test", ORIGIN_CONFIG);
    enum dest_status o, n;
    store_dest_set_probe(d, NULL, 0, 0.001, 0, REASON_NOT_PROBED, OUT_NOT_PROBED, 1, &o, &n);
    store_dest_set_probe(d, NULL, 0, 0.001, 0, REASON_ALL_FAILED, OUT_NOT_PROBED, 1, &o, &n);
    store_dest_set_probe(d, NULL, 0, 0.001, 0, REASON_LOCAL, OUT_LOCAL_ERROR, 1, &o, &n);
    store_dest_set_probe(d, NULL, 0, 0.001, 0, REASON_ALL_FAILED, OUT_LOCAL_ERROR, 1, &o, &n);
    char *t = render();
    assert_value(t, "mxwatch_probes_total{destination=\"local.test\",result=\"not_probed\"}", 2);
    const char *first = strstr(t, "result=\"not_probed\"");
    assert_null(strstr(first + 1, "result=\"not_probed\""));
    assert_value(t, "mxwatch_probes_total{destination=\"local.test\",result=\"local\"}", 1);
    assert_value(t, "mxwatch_probes_total{destination=\"local.test\",result=\"local_error\"}", 1);
    free(t);
}

static void test_unprobed_address_has_no_samples(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("first.test", ORIGIN_CONFIG);
    struct mx_host *h = calloc(1, sizeof *h);
    snapfix_host(h, "mx.first.test", 10, 2, OUT_OK);
    store_text_unref(h->addrs[1].text); /* snapfix_addr starts afresh */
    snapfix_addr(&h->addrs[1], "192.0.2.99", OUT_NOT_PROBED);
    enum dest_status o, n;
    store_dest_set_probe(d, h, 1, 0.001, 60, REASON_OK, OUT_OK, 1, &o, &n);
    char *t = render();
    assert_non_null(strstr(t, "address=\"192.0.2.11\""));
    assert_null(strstr(t, "192.0.2.99"));
    free(t);
}

static void test_banner_and_ehlo_never_become_labels(void **state)
{
    (void)state;
    struct dest *d = store_dest_add("banner.test", ORIGIN_CONFIG);
    struct mx_host *h = calloc(1, sizeof *h);
    snapfix_host(h, "mx.banner.test", 10, 1, OUT_OK);
    snapfix_text(&h->addrs[0], "220 SECRET-BANNER-TEXT", "250 SECRET-EHLO-TEXT");
    enum dest_status o, n;
    store_dest_set_probe(d, h, 1, 0.001, 60, REASON_OK, OUT_OK, 1, &o, &n);
    char *t = render();
    assert_null(strstr(t, "SECRET"));
    free(t);
}

/* Hostile names: backslash, double quote, newline, invalid UTF-8, and the longest name
 * the store keeps, made only of characters that double when escaped (the bound). */
static void build_hostile(void)
{
    struct dest *d = store_dest_add("ev\"il\\dom\nain", ORIGIN_DISCOVERED);
    struct mx_host *h = calloc(2, sizeof *h);
    snapfix_host(&h[0], "mx\"1\\x\ny\xff.test", 10, 1, OUT_OK);
    char longname[STORE_DOMAIN_MAX];
    memset(longname, '"', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    snapfix_host(&h[1], longname, 20, 1, OUT_REFUSED);
    mxw_strlcpy(h[0].addrs[0].tls_version, "TLS\"1\n", sizeof h[0].addrs[0].tls_version);
    enum dest_status o, n;
    store_dest_set_probe(d, h, 2, 0.001, 60, REASON_OK, OUT_OK, 1, &o, &n);
}

static void test_hostile_names_are_escaped(void **state)
{
    (void)state;
    build_hostile();
    char *t = render();
    const char *dl = "destination=\"ev\\\"il\\\\dom\\nain\"";
    char key[128];
    snprintf(key, sizeof key, "mxwatch_destination_up{%s}", dl);
    assert_value(t, key, 1);
    assert_non_null(strstr(t, ",mx=\"mx\\\"1\\\\x\\ny\xef\xbf\xbd.test\",address="));
    assert_non_null(strstr(t, "version=\"TLS\\\"1\\n\"} 1\n"));
    /* The 253 quotes come out as 253 escaped quotes, whole. */
    char want[2 * STORE_DOMAIN_MAX + 8] = "mx=\"";
    for (size_t i = 0; i < STORE_DOMAIN_MAX - 1; i++)
        strcat(want, "\\\"");
    strcat(want, "\",");
    assert_non_null(strstr(t, want));
    static char names[FAMILIES_MAX][96];
    check_structure(t, names); /* no raw newline split a sample */
    free(t);
}

/* promtool is the reference parser and linter; it must accept what we serve. */
static void promtool_accepts(const char *text)
{
    char path[] = "/tmp/mxw-prom-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096] = "";
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    unlink(path);
    if (rc != 0)
        fail_msg("promtool check metrics failed (%d): %s", rc, out);
}

static void test_promtool_accepts_world_and_hostile_output(void **state)
{
    (void)state;
    build_world();
    build_hostile();
    char *t = render();
    promtool_accepts(t);
    free(t);
}

static void test_label_value_escapes_drops_cr_and_replaces_invalid_utf8(void **state)
{
    (void)state;
    struct buf b = {0};
    promtext_label_value(&b, "a\\b\"c\nd\xc3\xa9\xc3(\xf0\x9f\x98\x80\xed\xa0\x80");
    assert_string_equal(b.p, "a\\\\b\\\"c\\nd\xc3\xa9\xef\xbf\xbd(\xf0\x9f\x98\x80"
                             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* A carriage return has no escape in the format and ends a line for some readers. */
    b.len = 0;
    promtext_label_value(&b, "gw\r1\r\n");
    assert_string_equal(b.p, "gw1\\n");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_issue_family_present_once_and_grouped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_values_of_up_down_and_unprobed_destinations, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_values_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_address_families_switched_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mta_values_and_presence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_shape_families, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mta_families_absent_without_a_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mta_families_absent_with_only_the_gateway_source,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_store_has_agent_families_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_results_with_the_same_name_are_one_series, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unprobed_address_has_no_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_banner_and_ehlo_never_become_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names_are_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promtool_accepts_world_and_hostile_output, setup,
                                        teardown),
        cmocka_unit_test(test_label_value_escapes_drops_cr_and_replaces_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
