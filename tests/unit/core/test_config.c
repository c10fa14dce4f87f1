/*
 * Unit tests of the configuration loader (agent/core/config.c): every kind of type error names
 * file:line:col and the key path (list items by index); durations in every unit and their
 * bounds; per-destination overrides on top of the global defaults, whatever the order in the
 * file; duplicates; cross-field checks pointing at the section they are about; loading
 * from files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "txn.h"
#include "util.h"

static struct config *parse(const char *text, char *err)
{
    err[0] = '\0';
    return config_parse("t.yml", text, strlen(text), err, CONFIG_ERR_MAX);
}

/* The config must be rejected with exactly this message. */
static void rejects(const char *text, const char *want)
{
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse(text, err);
    if (cfg) {
        config_free(cfg);
        fail_msg("accepted:\n%s", text);
    }
    if (strcmp(err, want) != 0)
        fail_msg("for:\n%s\nwant: %s\ngot:  %s", text, want, err);
}

static void type_errors_name_file_line_column_and_key(void **state)
{
    (void)state;
    /* F_STR */
    rejects("global:\n  ehlo_name: {a: 1}\n",
            "t.yml:2:14: global.ehlo_name: expected a single value, not a mapping");
    rejects("global:\n  source_address: [1]\n",
            "t.yml:2:19: global.source_address: expected a single value, not a list");
    /* F_BOOL */
    rejects("web:\n  delivernow:\n    enabled: maybe\n",
            "t.yml:3:14: web.delivernow.enabled: 'maybe' is not true or false");
    /* F_UINT */
    rejects("global:\n  dns_tries: x\n", "t.yml:2:14: global.dns_tries: 'x' is not a whole number");
    rejects("global:\n  dns_tries: -1\n",
            "t.yml:2:14: global.dns_tries: '-1' is not a whole number");
    rejects("global:\n  dns_tries: 11\n",
            "t.yml:2:14: global.dns_tries: 11 is out of range (1..10)");
    rejects("global:\n  max_smtp_in_flight: {}\n",
            "t.yml:2:23: global.max_smtp_in_flight: expected a single value, not a mapping");
    /* F_DURATION */
    rejects("global:\n  probe_interval: fast\n",
            "t.yml:2:19: global.probe_interval: bad duration 'fast' (use e.g. 500ms, 30s, 5m, 1h)");
    rejects("global:\n  probe_interval: 0s\n",
            "t.yml:2:19: global.probe_interval: duration must be positive");
    rejects("global:\n  probe_interval: 2d\n",
            "t.yml:2:19: global.probe_interval: duration '2d' is longer than 86400s");
    /* F_DURATION0: zero is a value (dns_cache_min_ttl's documented default), not more */
    rejects("global:\n  dns_cache_min_ttl: 2d\n",
            "t.yml:2:22: global.dns_cache_min_ttl: duration '2d' is longer than 86400s");
    /* F_STRLIST and its items */
    rejects("global:\n  dns_servers: 127.0.0.1\n",
            "t.yml:2:16: global.dns_servers: expected a list");
    rejects("global:\n  dns_servers: [127.0.0.1, [x]]\n",
            "t.yml:2:28: global.dns_servers[1]: expected a string");
    /* F_UINTLIST items */
    rejects("sources:\n  connections:\n    ports: [25, 70000]\n",
            "t.yml:3:17: sources.connections.ports[1]: 70000 is out of range (1..65535)");
    /* F_ENUM */
    rejects("global:\n  starttls: sometimes\n",
            "t.yml:2:13: global.starttls: 'sometimes' is not one of the allowed values");
    rejects("destinations:\n  - domain: a.test\n    mx_policy: any\n",
            "t.yml:3:16: destinations[0].mx_policy: 'any' is not one of the allowed values");
    /* F_SECTION and F_LIST */
    rejects("global: [1]\n", "t.yml:1:9: global: expected a mapping of keys");
    rejects("destinations: {a: 1}\n", "t.yml:1:15: destinations: expected a list");
    rejects("sources:\n  gateways:\n    - 12\n",
            "t.yml:3:7: sources.gateways[0]: expected a mapping of keys");
}

static void unknown_keys_are_reported_at_their_own_line(void **state)
{
    (void)state;
    rejects("global:\n  ehlo_name: a.test\n  probe_intervall: 5s\n",
            "t.yml:3:3: global.probe_intervall: unknown key");
    rejects("destinations:\n  - a.test\n  - domain: b.test\n    interval: 5s\n",
            "t.yml:4:5: destinations[1].interval: unknown key");
    rejects("globals:\n  x: 1\n", "t.yml:1:1: globals: unknown key");
}

static void destination_items_name_their_index(void **state)
{
    (void)state;
    rejects("destinations:\n  - a.test\n  - {probe_interval: 5s}\n",
            "t.yml:3:5: destinations[1]: a destination needs a domain");
    rejects("destinations:\n  - \"bad domain\"\n",
            "t.yml:2:5: destinations[0]: 'bad domain' is not a valid domain name");
    rejects("destinations:\n  - a.test\n  - domain: b.test\n    smtp_port: 0\n",
            "t.yml:4:16: destinations[1].smtp_port: 0 is out of range (1..65535)");
}

/* Found by fuzz_config: "x.." lost one dot and was kept as "x.", beside "x". */
static void domain_names_lose_one_trailing_dot_only(void **state)
{
    (void)state;
    rejects("destinations:\n  - a.test..\n",
            "t.yml:2:5: destinations[0]: 'a.test..' is not a valid domain name");
    rejects("destinations:\n  - .a.test\n",
            "t.yml:2:5: destinations[0]: '.a.test' is not a valid domain name");
    rejects("destinations:\n  - a..test\n",
            "t.yml:2:5: destinations[0]: 'a..test' is not a valid domain name");
    rejects("destinations:\n  - \".\"\n",
            "t.yml:2:5: destinations[0]: '.' is not a valid domain name");
    static const char *const good[] = {"a", "a.", "xn--bcher-kva.example", "_dmarc.a.test"};
    for (size_t i = 0; i < MXW_ARRAY_LEN(good); i++)
        assert_int_equal(mxw_valid_domain(good[i]), 0);
    static const char *const bad[] = {"", ".", "a..", "a b", "a/b", "a\nb", "a.test\""};
    for (size_t i = 0; i < MXW_ARRAY_LEN(bad); i++)
        if (mxw_valid_domain(bad[i]) == 0)
            fail_msg("'%s' accepted as a domain name", bad[i]);
    char label[70];
    memset(label, 'a', 64);
    label[64] = '\0';
    assert_int_equal(mxw_valid_domain(label), -1);
    label[63] = '\0';
    assert_int_equal(mxw_valid_domain(label), 0);
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse("destinations: [A.Test., b.test]\n", err);
    assert_non_null(cfg);
    assert_string_equal(cfg->dests[0].domain, "a.test");
    config_free(cfg);
}

static void sender_reputation_keys_are_checked(void **state)
{
    (void)state;
    rejects("global:\n  sending_addresses: [192.0.2.1, mail.example]\n",
            "t.yml:2:34: global.sending_addresses[1]: 'mail.example' is not an IPv4 or IPv6 "
            "address");
    rejects("global:\n  dnsbl_zones: [\"bad..zone\"]\n",
            "t.yml:2:17: global.dnsbl_zones[0]: 'bad..zone' is not a DNS zone name (letters, "
            "digits, '-', labels of at most 63, at most 180 characters)");
    rejects("global:\n  reputation_interval: 10s\n",
            "t.yml:2:24: global.reputation_interval: is shorter than 60s (DNSBLs ask to be "
            "queried gently)");
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse("global:\n  sending_addresses: [192.0.2.1, \"2001:db8::1\"]\n"
                               "  dnsbl_zones: [zen.example]\n  reputation_interval: 5m\n",
                               err);
    assert_non_null(cfg);
    assert_int_equal(cfg->n_sending_addresses, 2);
    assert_string_equal(cfg->sending_addresses[1], "2001:db8::1");
    assert_string_equal(cfg->dnsbl_zones[0], "zen.example");
    assert_int_equal(cfg->reputation_interval_ms, 300000);
    config_free(cfg);
}

static void cross_field_checks_point_at_their_section(void **state)
{
    (void)state;
    rejects("destinations:\n  - a.test\n  - domain: b.test\n    total_timeout: 1s\n"
            "    connect_timeout: 5s\n",
            "t.yml:3:5: destinations[1]: total_timeout is shorter than connect_timeout");
    rejects("global:\n  total_timeout: 1s\n  connect_timeout: 5s\ndestinations: [a.test]\n",
            "t.yml:2:3: global: total_timeout is shorter than connect_timeout");
    rejects("web:\n  delivernow:\n    enabled: true\n",
            "t.yml:3:5: web.delivernow: enabled, but names no admin_users and no token_file");
    rejects("sources:\n  postfix:\n    delay_buckets: [1s, 1m, 30s]\n",
            "t.yml:3:5: sources.postfix.delay_buckets: must be at most 16 increasing durations");
    rejects("sources:\n  postfix:\n    delay_buckets: [1s, soon]\n",
            "t.yml:3:25: sources.postfix.delay_buckets[1]: bad duration 'soon' (use e.g. 500ms, "
            "30s, 5m, 1h)");
    rejects(
        "sources:\n  gateways:\n    - name: a\n      url: ftp://x\n",
        "t.yml:3:7: sources.gateways[0]: gateway url must be https://host[:port] (no user, path "
        "or query)");
}

static void transaction_probes_are_opt_in_and_bounded(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    struct config *cfg =
        parse("destinations:\n"
              "  - plain.test\n"
              "  - domain: x.test\n"
              "    transaction: {from: p@a.test, to: c@x.test, mode: rcpt}\n"
              "  - domain: y.test\n"
              "    transaction: {to: c@y.test, mode: data, every: 1m, size: 2048}\n",
              err);
    assert_non_null(cfg);
    assert_int_equal(cfg->dests[0].txn.mode, TXN_MODE_NONE); /* never on by default */
    assert_int_equal(cfg->dests[1].txn.mode, TXN_MODE_RCPT);
    assert_string_equal(cfg->dests[1].txn.from, "p@a.test");
    assert_int_equal(cfg->dests[1].txn.every_ms, 15 * 60000);
    assert_int_equal(cfg->dests[2].txn.mode, TXN_MODE_DATA);
    assert_null(cfg->dests[2].txn.from);
    assert_int_equal(cfg->dests[2].txn.every_ms, 60000);
    assert_int_equal(cfg->dests[2].txn.size, 2048);
    config_free(cfg);
    rejects("destinations:\n  - domain: x.test\n    transaction: {to: c@x.test, mode: rcpt, "
            "every: 30s}\n",
            "t.yml:2:5: destinations[0]: transaction.every: 30000 ms is below the floor of 1m");
    rejects("destinations:\n  - domain: x.test\n    transaction: {mode: data}\n",
            "t.yml:2:5: destinations[0]: transaction.to: a transaction probe needs a recipient");
    rejects("destinations:\n  - domain: x.test\n    transaction: {to: 'a b@x', mode: rcpt}\n",
            "t.yml:3:23: destinations[0].transaction.to: 'a b@x' is not a recipient address "
            "(local@domain)");
    rejects("destinations:\n  - domain: x.test\n    transaction: {to: c@x.test, mode: send}\n",
            "t.yml:3:39: destinations[0].transaction.mode: 'send' is not one of the allowed "
            "values");
    rejects("destinations:\n  - domain: x.test\n    transaction: {to: c@x.test, mode: data, "
            "size: 20000000}\n",
            "t.yml:3:51: destinations[0].transaction.size: 20000000 is out of range "
            "(0..10485760)");
}

static void duplicates_are_rejected(void **state)
{
    (void)state;
    rejects("destinations:\n  - a.test\n  - b.test\n  - A.Test.\n",
            "t.yml:4:5: destinations[2]: destination 'a.test' is listed twice (first at line 2)");
    rejects("sources:\n  gateways:\n    - {name: g, url: https://a}\n"
            "    - {name: g, url: https://b}\n",
            "t.yml:4:7: sources.gateways[1]: gateway name 'g' is used twice");
}

static void yaml_syntax_errors_have_a_position(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    assert_null(parse("global:\n  a: [\n", err));
    assert_non_null(strstr(err, "t.yml:3:1: YAML syntax:"));
}

static void durations_in_every_unit(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {
        {"500ms", 500},   {"30s", 30000}, {"5m", 300000}, {"1h", 3600000},
        {"1d", 86400000}, {"1.5s", 1500}, {"90", 90000},  {"0.25m", 15000},
    };
    for (size_t i = 0; i < MXW_ARRAY_LEN(ok); i++) {
        int64_t ms = -1;
        assert_int_equal(mxw_parse_duration_ms(ok[i].text, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *const bad[] = {"", "s", "-1s", "1x", "1 s", "ms", "1e400s", ".5s", "5sec"};
    for (size_t i = 0; i < MXW_ARRAY_LEN(bad); i++) {
        int64_t ms = 0;
        if (mxw_parse_duration_ms(bad[i], &ms) == 0)
            fail_msg("'%s' parsed as %lld ms", bad[i], (long long)ms);
    }
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse("global:\n  probe_interval: 1500ms\n  banner_timeout: 2m\n", err);
    assert_non_null(cfg);
    assert_int_equal(cfg->defaults.interval_ms, 1500);
    assert_int_equal(cfg->defaults.banner_timeout_ms, 120000);
    config_free(cfg);
    /* The annotated example writes dns_cache_min_ttl's default out: 0s. */
    cfg = parse("global:\n  dns_cache_min_ttl: 0s\n", err);
    assert_non_null(cfg);
    assert_int_equal(cfg->dns_cache_min_ttl_ms, 0);
    config_free(cfg);
}

static void destinations_inherit_and_override_the_global_settings(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    /* destinations come first in the file: they still inherit the global section */
    struct config *cfg = parse("destinations:\n"
                               "  - plain.test\n"
                               "  - domain: Fast.Test.\n"
                               "    probe_interval: 5s\n"
                               "    mx_policy: first\n"
                               "    starttls: require\n"
                               "    down_after: 1\n"
                               "global:\n"
                               "  probe_interval: 30s\n"
                               "  smtp_port: 2525\n"
                               "  down_after: 3\n",
                               err);
    assert_non_null(cfg);
    assert_int_equal(cfg->n_dests, 2);
    const struct dest_config *plain = &cfg->dests[0], *fast = &cfg->dests[1];
    assert_string_equal(plain->domain, "plain.test");
    assert_int_equal(plain->params.interval_ms, 30000);
    assert_int_equal(plain->params.smtp_port, 2525);
    assert_int_equal(plain->params.down_after, 3);
    assert_int_equal(plain->params.mx_policy, MX_POLICY_ALL);
    assert_int_equal(plain->line, 2);
    assert_string_equal(fast->domain, "fast.test");
    assert_int_equal(fast->params.interval_ms, 5000);
    assert_int_equal(fast->params.smtp_port, 2525);
    assert_int_equal(fast->params.down_after, 1);
    assert_int_equal(fast->params.mx_policy, MX_POLICY_FIRST);
    assert_int_equal(fast->params.starttls, STARTTLS_REQUIRE);
    assert_int_equal(cfg->defaults.interval_ms, 30000);
    assert_int_equal(cfg->defaults.mx_policy, MX_POLICY_ALL);
    config_free(cfg);
}

static void empty_file_and_empty_sections_give_the_defaults(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    struct config *def = config_defaults();
    static const char *const texts[] = {"", "# nothing\n", "global:\nweb:\nsources:\n"};
    for (size_t i = 0; i < MXW_ARRAY_LEN(texts); i++) {
        struct config *cfg = parse(texts[i], err);
        assert_non_null(cfg);
        assert_memory_equal(&cfg->defaults, &def->defaults, sizeof def->defaults);
        assert_int_equal(cfg->max_smtp_in_flight, def->max_smtp_in_flight);
        assert_int_equal(cfg->transcript_bytes, def->transcript_bytes);
        assert_string_equal(cfg->ehlo_name, def->ehlo_name);
        assert_int_equal(cfg->n_dests, 0);
        assert_string_equal(cfg->path, "t.yml");
        config_free(cfg);
    }
    assert_null(def->path);
    config_free(def);
}

static void lists_and_strings_are_kept(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse("global:\n"
                               "  dns_servers: [\"127.0.0.1:53\", \"[::1]:5353\"]\n"
                               "  source_address: 192.0.2.1\n"
                               "  max_smtp_in_flight: 2\n"
                               "sources:\n  connections:\n    ports: [25, 587]\n",
                               err);
    assert_non_null(cfg);
    assert_int_equal(cfg->n_dns_servers, 2);
    assert_string_equal(cfg->dns_servers[1], "[::1]:5353");
    assert_null(cfg->dns_servers[2]);
    assert_string_equal(cfg->source_address, "192.0.2.1");
    assert_int_equal(cfg->max_smtp_in_flight, 2);
    assert_int_equal(cfg->n_connections_ports, 2);
    assert_int_equal(cfg->connections_ports[1], 587);
    assert_int_equal(cfg->n_postfix_delay_buckets, 9); /* the default */
    assert_int_equal(cfg->postfix_delay_buckets_ms[8], 86400000);
    config_free(cfg);
    cfg = parse("sources:\n  postfix:\n    delay_buckets: [500ms, 2s]\n", err);
    assert_non_null(cfg);
    assert_int_equal(cfg->n_postfix_delay_buckets, 2);
    assert_int_equal(cfg->postfix_delay_buckets_ms[0], 500);
    assert_int_equal(cfg->postfix_delay_buckets_ms[1], 2000);
    config_free(cfg);
}

static struct shard shard_in(const char *text)
{
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse(text, err);
    if (!cfg)
        fail_msg("%s", err);
    struct shard s = cfg->shard;
    config_free(cfg);
    return s;
}

/* global.shard is "I/N", 0-based; without it an agent owns everything (0/1). */
static void shard_is_a_0_based_index_of_a_count(void **state)
{
    (void)state;
    struct shard s = shard_in("global:\n  shard: 2/3\n");
    assert_true(s.index == 2 && s.count == 3);
    s = shard_in("");
    assert_true(s.index == 0 && s.count == 1);
    rejects("global:\n  shard: 3/3\n",
            "t.yml:2:10: global.shard: '3/3': the index 3 is not below the count (0-based: 0..2)");
    rejects("global:\n  shard: 0/0\n",
            "t.yml:2:10: global.shard: '0/0': the count 0 is out of range (1..1000)");
    rejects("global:\n  shard: 2\n",
            "t.yml:2:10: global.shard: '2' is not INDEX/COUNT (e.g. 0/3; the index is 0-based)");
    rejects("global:\n  shard: [0, 3]\n",
            "t.yml:2:10: global.shard: expected a single value, not a list");
}

static void loading_files(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX], path[] = "/tmp/mxw-test-config-XXXXXX";
    assert_null(config_load("/nonexistent/mxwatch.yml", err, sizeof err));
    assert_string_equal(err, "/nonexistent/mxwatch.yml: cannot open: No such file or directory");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "global:\n  probe_interval: 7s\n  bogus: 1\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_null(config_load(path, err, sizeof err));
    char want[128];
    snprintf(want, sizeof want, "%s:3:3: global.bogus: unknown key", path);
    assert_string_equal(err, want);
    unlink(path);
}

static void per_address_is_auto_true_or_false(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse("web:\n  listen_address: \":1\"\n", err);
    assert_non_null(cfg);
    assert_int_equal(cfg->web_metrics_per_address, -1);
    assert_true(config_metrics_per_address(cfg, CONFIG_PER_ADDRESS_AUTO_MAX - 1));
    assert_false(config_metrics_per_address(cfg, CONFIG_PER_ADDRESS_AUTO_MAX));
    config_free(cfg);
    cfg = parse("web:\n  metrics:\n    per_address: false\n", err);
    assert_non_null(cfg);
    assert_false(config_metrics_per_address(cfg, 10));
    config_free(cfg);
    cfg = parse("web:\n  metrics:\n    per_address: on\n", err);
    assert_non_null(cfg);
    assert_true(config_metrics_per_address(cfg, 1000000));
    config_free(cfg);
    cfg = parse("web:\n  metrics:\n    per_address: auto\n", err);
    assert_non_null(cfg);
    assert_int_equal(cfg->web_metrics_per_address, -1);
    config_free(cfg);
    rejects("web:\n  metrics:\n    per_address: maybe\n",
            "t.yml:3:18: web.metrics.per_address: 'maybe' is not true or false (or auto)");
}

/* The values `run` used to refuse only when it started a part: refused here, at their place. */
static void values_run_would_refuse_are_refused_at_their_place(void **state)
{
    (void)state;
    rejects("global:\n  dns_servers: [\"127.0.0.1:53\", bogus]\n",
            "t.yml:2:33: global.dns_servers[1]: 'bogus' is not ip, ip:port or [ipv6]:port");
    rejects(
        "global:\n  dns_servers: [\"10.0.0.1:70000\"]\n",
        "t.yml:2:17: global.dns_servers[0]: '10.0.0.1:70000' is not ip, ip:port or [ipv6]:port");
    rejects("web:\n  listen_address: \"9725\"\n",
            "t.yml:2:19: web.listen_address: '9725' is not host:port, [v6]:port or :port");
    rejects("web:\n  listen_address: \"www.example:80\"\n",
            "t.yml:2:19: web.listen_address: 'www.example:80' names a host that is not an IP "
            "address (or localhost)");
    char longsock[400] = "snmp:\n  agentx_socket: /";
    memset(longsock + strlen(longsock), 'a', 300);
    char want[200];
    snprintf(want, sizeof want, "is longer than %d characters", CONFIG_AGENTX_SOCKET_MAX);
    char err[CONFIG_ERR_MAX];
    struct config *cfg = parse(longsock, err);
    assert_null(cfg);
    assert_non_null(strstr(err, "snmp.agentx_socket"));
    assert_non_null(strstr(err, want));
    cfg = parse("global:\n  dns_servers: [\"::1\", \"[::1]:5353\", \"127.0.0.1\"]\nweb:\n"
                "  listen_address: \"localhost:9725\"\n",
                err);
    assert_non_null(cfg);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_errors_name_file_line_column_and_key),
        cmocka_unit_test(unknown_keys_are_reported_at_their_own_line),
        cmocka_unit_test(destination_items_name_their_index),
        cmocka_unit_test(domain_names_lose_one_trailing_dot_only),
        cmocka_unit_test(cross_field_checks_point_at_their_section),
        cmocka_unit_test(sender_reputation_keys_are_checked),
        cmocka_unit_test(duplicates_are_rejected),
        cmocka_unit_test(transaction_probes_are_opt_in_and_bounded),
        cmocka_unit_test(yaml_syntax_errors_have_a_position),
        cmocka_unit_test(durations_in_every_unit),
        cmocka_unit_test(destinations_inherit_and_override_the_global_settings),
        cmocka_unit_test(empty_file_and_empty_sections_give_the_defaults),
        cmocka_unit_test(lists_and_strings_are_kept),
        cmocka_unit_test(shard_is_a_0_based_index_of_a_count),
        cmocka_unit_test(loading_files),
        cmocka_unit_test(per_address_is_auto_true_or_false),
        cmocka_unit_test(values_run_would_refuse_are_refused_at_their_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
