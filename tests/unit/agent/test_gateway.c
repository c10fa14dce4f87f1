/*
 * Unit tests of the gateway source's pure parts and of what it hands to readers: the
 * password file rules (each bound hit), the status URL, the failure classes of HTTP codes,
 * libcurl codes and every gwxml error the fixtures provoke, the config checks of
 * sources.gateways, gateway views in snapshots (a reader's snapshot keeps its view alive),
 * and the /metrics families (figures left out while down, one group per family when
 * destinations share it, escaping of names from the appliance).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "gateway.h"
#include "gwxml.h"
#include "prom.h"
#include "store.h"

#include <curl/curl.h>

static char dir[] = "/tmp/mxw-gwtest.XXXXXX";

static int setup_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes n bytes of s to dir/name and returns the path (static buffer). */
static const char *file_with(const char *name, const char *s, size_t n)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, n, f), n);
    fclose(f);
    return path;
}

static int read_pw(const char *path, char *out, size_t cap, char *err)
{
    memset(out, 'X', cap);
    err[0] = '\0';
    return gateway_read_password(path, out, cap, err, 256);
}

static void password_rules(void **state)
{
    (void)state;
    char pw[GATEWAY_PASSWORD_MAX], err[256];
    assert_int_equal(read_pw(file_with("a", "s3cret\n", 7), pw, sizeof pw, err), 0);
    assert_string_equal(pw, "s3cret");
    assert_int_equal(read_pw(file_with("b", "s3cret\r\n\n", 9), pw, sizeof pw, err), 0);
    assert_string_equal(pw, "s3cret");
    assert_int_equal(read_pw(file_with("c", " spaces kept ", 13), pw, sizeof pw, err), 0);
    assert_string_equal(pw, " spaces kept ");
    assert_int_equal(read_pw(file_with("d", "\n", 1), pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, ": empty"));
    assert_int_equal(read_pw(file_with("e", "ab\0cd", 5), pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, "holds a NUL byte"));
    assert_int_equal(read_pw(dir, pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    assert_int_equal(read_pw(missing, pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, "cannot open"));
    /* A FIFO with no writer would block a plain open() forever. */
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(read_pw(fifo, pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

/* The bound: cap - 1 bytes before stripping fit, cap bytes do not, and nothing of a
 * refused file is left in the output or the error. */
static void password_bound(void **state)
{
    (void)state;
    char big[GATEWAY_PASSWORD_MAX + 8], pw[GATEWAY_PASSWORD_MAX], err[256];
    memset(big, 'p', sizeof big);
    assert_int_equal(read_pw(file_with("f", big, GATEWAY_PASSWORD_MAX - 1), pw, sizeof pw, err), 0);
    assert_int_equal(strlen(pw), GATEWAY_PASSWORD_MAX - 1);
    assert_int_equal(read_pw(file_with("g", big, GATEWAY_PASSWORD_MAX), pw, sizeof pw, err), -1);
    assert_non_null(strstr(err, "longer than 1023 bytes"));
    assert_string_equal(pw, "");
    assert_null(strstr(err, "ppp"));
    /* A smaller caller buffer is a smaller bound. */
    assert_int_equal(read_pw(file_with("h", "12345678\n", 9), pw, 9, err), -1);
    assert_non_null(strstr(err, "longer than 8 bytes"));
    assert_int_equal(read_pw(file_with("i", "1234567\n", 8), pw, 9, err), 0);
    assert_string_equal(pw, "1234567");
}

static void status_url(void **state)
{
    (void)state;
    char url[GATEWAY_URL_MAX], err[128];
    assert_int_equal(gateway_status_url("https://gw:8443", url, sizeof url, err, sizeof err), 0);
    assert_string_equal(url, "https://gw:8443/xml/status");
    assert_int_equal(gateway_status_url("https://gw/", url, sizeof url, err, sizeof err), 0);
    assert_string_equal(url, "https://gw/xml/status");
    char small[20 + sizeof GATEWAY_STATUS_PATH];
    assert_int_equal(gateway_status_url("https://gw.example12/", small, sizeof small, err, 128), 0);
    assert_int_equal(gateway_status_url("https://gw.example123", small, sizeof small, err, 128),
                     -1);
    assert_non_null(strstr(err, "url longer than 20 bytes"));
}

static void reasons_of_http_and_curl(void **state)
{
    (void)state;
    assert_int_equal(gateway_reason_of_http(200), GW_OK);
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(401)), "http_401");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(403)), "http_403");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(302)), "redirect");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(500)), "http_5xx");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(503)), "http_5xx");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(404)), "http_status");
    assert_string_equal(gateway_reason_name(gateway_reason_of_http(204)), "http_status");
    assert_int_equal(gateway_reason_of_curl(CURLE_OK), GW_OK);
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_COULDNT_CONNECT)),
                        "connect_failed");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_OPERATION_TIMEDOUT)),
                        "timeout");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_PEER_FAILED_VERIFICATION)),
                        "tls_failed");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_PARTIAL_FILE)),
                        "truncated");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_RECV_ERROR)),
                        "connection_lost");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_FILESIZE_EXCEEDED)),
                        "too_large");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_WEIRD_SERVER_REPLY)),
                        "protocol_error");
    assert_string_equal(gateway_reason_name(gateway_reason_of_curl(CURLE_LDAP_CANNOT_BIND)),
                        "transfer_failed");
    assert_string_equal(gateway_reason_name(GW__COUNT), "local_error");
}

/* The class of gwxml's own message for each bad fixture: the classifier reads its
 * wording, so a change there must show here. */
static void classify_fixture(const char *name, size_t max, const char *want)
{
    const char *top = getenv("MXW_TOP");
    char path[1024], err[GW_REASON_MAX];
    snprintf(path, sizeof path, "%s/tests/fixtures/gateway/%s", top ? top : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc, f);
    fclose(f);
    struct gw_status st;
    assert_int_equal(gwxml_parse(doc, n, max, &st, err, sizeof err), -1);
    if (strcmp(gateway_reason_name(gateway_reason_of_parse(err)), want))
        fail_msg("%s: '%s' classified %s, want %s", name, err,
                 gateway_reason_name(gateway_reason_of_parse(err)), want);
}

static void reasons_of_parse(void **state)
{
    (void)state;
    classify_fixture("truncated.xml", GWXML_DEFAULT_MAX_BYTES, "truncated");
    classify_fixture("malformed.xml", GWXML_DEFAULT_MAX_BYTES, "malformed");
    classify_fixture("entities.xml", GWXML_DEFAULT_MAX_BYTES, "malformed");
    classify_fixture("xxe.xml", GWXML_DEFAULT_MAX_BYTES, "malformed");
    classify_fixture("login.html", GWXML_DEFAULT_MAX_BYTES, "not_status_page");
    classify_fixture("status.xml", 1000, "too_large");
    char err[GW_REASON_MAX];
    struct gw_status st;
    assert_int_equal(gwxml_parse("", 0, 100, &st, err, sizeof err), -1);
    assert_string_equal(gateway_reason_name(gateway_reason_of_parse(err)), "truncated");
}

static struct config *parse(const char *yaml, char *err)
{
    return config_parse("t.yml", yaml, strlen(yaml), err, CONFIG_ERR_MAX);
}

static void config_checks(void **state)
{
    (void)state;
    char err[CONFIG_ERR_MAX];
    struct config *c =
        parse("sources:\n  gateways:\n    - {name: a, url: 'https://gw:8443/'}\n", err);
    assert_non_null(c);
    assert_int_equal(c->gateways[0].interval_ms, 60000);
    assert_int_equal(c->gateways[0].max_bytes, 4u << 20);
    assert_false(c->gateways[0].insecure_skip_verify);
    config_free(c);
    static const char *const bad_urls[] = {
        "http://gw", "https://", "https://u:p@gw", "https://gw/xml/status", "https://gw?x=1", "gw"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
        char y[256];
        snprintf(y, sizeof y, "sources:\n  gateways:\n    - {name: a, url: '%s'}\n", bad_urls[i]);
        assert_null(parse(y, err));
        assert_non_null(strstr(err, "gateway url must be https://host[:port]"));
        assert_null(strstr(err, "u:p@")); /* credentials are not echoed */
    }
    assert_null(
        parse("sources:\n  gateways:\n    - {name: a, url: 'https://gw', max_bytes: 100}\n", err));
    char y[256], name[66];
    memset(name, 'n', 65);
    name[65] = '\0';
    snprintf(y, sizeof y, "sources:\n  gateways:\n    - {name: %s, url: 'https://gw'}\n", name);
    assert_null(parse(y, err));
    assert_non_null(strstr(err, "1 to 64 characters"));
    name[64] = '\0';
    snprintf(y, sizeof y, "sources:\n  gateways:\n    - {name: %s, url: 'https://gw'}\n", name);
    c = parse(y, err);
    assert_non_null(c);
    config_free(c);
}

/* ---- views, snapshots and /metrics ---- */

static struct gateway_view *view_from(const char *name, const char *doc, bool up)
{
    struct gateway_view *v = store_gateway_view_new(name);
    char err[GW_REASON_MAX];
    v->polled = true;
    v->up = up;
    strcpy(v->reason, up ? "ok" : "http_5xx");
    v->scrape_duration_s = 0.25;
    v->last_success = 1700000000;
    if (doc) {
        assert_int_equal(gwxml_parse(doc, strlen(doc), 1 << 20, &v->status, err, sizeof err), 0);
        v->has_status = true;
    }
    return v;
}

static const char doc1[] =
    "<status hostname='h\"1' build='b'><system status='receiving suspended'/>"
    "<oldest_message secs='7'/><counters>"
    "<counter name='delivered_recips' reset='1' uptime='2' lifetime='30'/>"
    "<counter name='we\"ird' reset='1' uptime='2' lifetime='5'/></counters>"
    "<gauges><gauge name='active_recips' current='4'/></gauges>"
    "<features><feature name='F' time_remaining='Dormant'/></features></status>";

static char *render(void)
{
    const struct snapshot *s = store_snapshot_acquire();
    struct buf b = {0};
    prom_render(s, &b);
    store_snapshot_release(s);
    return buf_steal(&b, NULL);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void views_in_snapshots(void **state)
{
    (void)state;
    store_init();
    struct gateway_view *v = view_from("gw", doc1, true);
    store_set_gateways(&v, 1);
    assert_int_equal(store_publish(), 1);
    const struct snapshot *old = store_snapshot_acquire();
    assert_int_equal(old->n_gateways, 1);
    assert_ptr_equal(old->gateways[0], v);
    /* The source replaces its view: the reader's snapshot keeps the old one. */
    struct gateway_view *w = view_from("gw", NULL, false);
    store_set_gateways(&w, 1);
    store_gateway_view_unref(v);
    store_gateway_view_unref(w);
    assert_int_equal(store_publish(), 1);
    assert_int_equal(store_publish(), 0);
    assert_string_equal(old->gateways[0]->status.counters[0].name, "delivered_recips");
    const struct snapshot *cur = store_snapshot_acquire();
    assert_false(cur->gateways[0]->up);
    store_snapshot_release(cur);
    store_snapshot_release(old);
    store_shutdown();
}

static void metrics_up_and_down(void **state)
{
    (void)state;
    store_init();
    struct gateway_view *v[3] = {view_from("up", doc1, true), view_from("down", doc1, false),
                                 store_gateway_view_new("new")};
    store_set_gateways(v, 3);
    for (int i = 0; i < 3; i++)
        store_gateway_view_unref(v[i]);
    store_publish();
    char *m = render();
    assert_non_null(strstr(m, "mxwatch_gateway_up{appliance=\"up\"} 1\n"));
    assert_non_null(strstr(m, "mxwatch_gateway_up{appliance=\"down\"} 0\n"));
    assert_non_null(
        strstr(m, "mxwatch_gateway_last_error_info{appliance=\"down\",reason=\"http_5xx\"} 1\n"));
    assert_non_null(
        strstr(m, "mxwatch_gateway_scrape_duration_seconds{appliance=\"down\"} 0.25\n"));
    assert_non_null(strstr(
        m, "mxwatch_gateway_last_success_timestamp_seconds{appliance=\"down\"} 1700000000\n"));
    /* The down appliance's document is in the view (for SNMP) but not on /metrics. */
    assert_int_equal(count(m, "appliance=\"down\""), 4);
    assert_null(strstr(m, "appliance=\"new\""));
    assert_non_null(
        strstr(m, "mxwatch_gateway_info{appliance=\"up\",hostname=\"h\\\"1\",build=\"b\"} 1\n"));
    assert_non_null(
        strstr(m, "mxwatch_gateway_system_status{appliance=\"up\",status=\"online\"} 0\n"));
    assert_non_null(strstr(
        m, "mxwatch_gateway_system_status{appliance=\"up\",status=\"receiving suspended\"} 1\n"));
    assert_non_null(
        strstr(m, "mxwatch_gateway_counter_total{appliance=\"up\",name=\"we\\\"ird\"} 5\n"));
    assert_non_null(strstr(m, "mxwatch_gateway_oldest_message_age_seconds{appliance=\"up\"} 7\n"));
    assert_null(strstr(m, "feature=\"F\"")); /* a dormant feature has no figure */
    assert_non_null(strstr(m, "mxwatch_active_recipients{appliance=\"up\"} 4\n"));
    assert_non_null(strstr(m, "mxwatch_delivered_recipients_total{appliance=\"up\"} 30\n"));
    assert_null(strstr(m, "mxwatch_hard_bounced_recipients_total")); /* no such counters */
    free(m);
    store_shutdown();
}

/* A destination with MTA figures opens mxwatch_active_recipients first: the appliance's
 * sample joins that group, right after the destination's, under one TYPE line. */
static void metrics_shared_family_one_group(void **state)
{
    (void)state;
    store_init();
    struct dest *d = store_dest_add("example.test", ORIGIN_CONFIG);
    struct mta_figures *mf = store_dest_mta(d);
    mf->present = true;
    mf->active = 9;
    mf->delivered = 11;
    struct gateway_view *v = view_from("gw", doc1, true);
    store_set_gateways(&v, 1);
    store_gateway_view_unref(v);
    store_publish();
    char *m = render();
    assert_int_equal(count(m, "# TYPE mxwatch_active_recipients "), 1);
    assert_int_equal(count(m, "# TYPE mxwatch_delivered_recipients_total "), 1);
    assert_int_equal(count(m, "# TYPE mxwatch_outbound_connections "), 1);
    assert_non_null(strstr(m, "mxwatch_active_recipients{destination=\"example.test\"} 9\n"
                              "mxwatch_active_recipients{appliance=\"gw\"} 4\n"));
    assert_non_null(strstr(m, "mxwatch_delivered_recipients_total{destination=\"example.test\"} "
                              "11\nmxwatch_delivered_recipients_total{appliance=\"gw\"} 30\n# "));
    free(m);
    store_shutdown();
}

int main(void)
{
    gwxml_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_rules),
        cmocka_unit_test(password_bound),
        cmocka_unit_test(status_url),
        cmocka_unit_test(reasons_of_http_and_curl),
        cmocka_unit_test(reasons_of_parse),
        cmocka_unit_test(config_checks),
        cmocka_unit_test(views_in_snapshots),
        cmocka_unit_test(metrics_up_and_down),
        cmocka_unit_test(metrics_shared_family_one_group),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
