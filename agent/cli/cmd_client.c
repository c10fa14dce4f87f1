/*
 * cmd_client.c - the operator's commands that talk to a running agent over HTTP
 * (client.h), laid out like the gateway's: `tophosts` (the destinations table), `hoststatus
 * DOMAIN` (one destination's counters, gauges, MX records and addresses), `delivernow
 * DOMAIN|all` (retry deferred mail now, then wait for the job's result). --json prints the
 * agent's JSON as it came. Replies are parsed with json-c. Main thread of the command.
 *
 * Exit codes: 0 ok; 1 the agent answered with an error (no such destination, delivernow
 * refused or failed); 2 usage, or the agent could not be reached.
 *
 * Everything printed that came from outside (names, banners, errors, the agent's words) goes
 * through cli_put_text() (termout.c): control characters, C1 controls and invalid UTF-8
 * become \xNN, so a banner cannot drive the terminal.
 */
#include "cli.h"
#include "client.h"
#include "fmt.h"
#include "html.h"
#include "ui.h"
#include "util.h"

#include <json.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOPHOSTS_DEFAULT_LIMIT 20
#define DELIVERNOW_WAIT_S      120 /* how long delivernow waits for its job */
#define VALUE_COL              44  /* where hoststatus's numbers end */

/* ---- small helpers ---- */

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static uint64_t ju64(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);
    return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static double jnum(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : 0;
}

static char *count(char *t, uint64_t v)
{
    return fmt_count(t, FMT_COUNT_MAX, v);
}

static void status_as_of(double taken_at)
{
    char when[FMT_TIME_MAX];
    printf("%-24s%s\n", "Status as of:",
           fmt_time(when, sizeof when, taken_at > 0 ? taken_at : (double)time(NULL)));
}

/* One request whose reply must be JSON. Returns the document (caller puts it), or NULL
 * with *rc set: EXIT_USAGE when unreachable, EXIT_BAD when the agent said no. */
static struct json_object *fetch(struct client *c, const char *method, const char *path,
                                 const char *body, const char *what, long *status, int *rc,
                                 struct buf *raw)
{
    char err[512];
    raw->len = 0;
    if (client_request(c, method, path, body, status, raw, err, sizeof err) < 0) {
        fprintf(stderr, "mxwatch %s: cannot reach the agent: %s\n", what, err);
        *rc = EXIT_USAGE;
        return NULL;
    }
    buf_append(raw, "", 1);
    raw->len--;
    struct json_object *doc = json_tokener_parse(raw->p);
    if (*status == 401)
        fprintf(stderr,
                "mxwatch %s: the agent wants credentials (--auth.file, MXWATCH_USER "
                "and MXWATCH_PASSWORD, or MXWATCH_TOKEN)\n",
                what);
    else if (!doc)
        fprintf(stderr, "mxwatch %s: the agent answered %ld without JSON\n", what, *status);
    if (!doc || *status == 401) {
        json_object_put(doc);
        *rc = EXIT_BAD;
        return NULL;
    }
    return doc;
}

static void agent_error(const char *what, long status, struct json_object *doc)
{
    fprintf(stderr, "mxwatch %s: the agent answered %ld: ", what, status);
    cli_put_text(stderr, jstr(doc, "error") ? jstr(doc, "error") : "error");
    fputc('\n', stderr);
}

/* ---- tophosts ---- */

static void tophosts_table(struct json_object *doc)
{
    struct json_object *rows = jget(doc, "destinations");
    size_t n = rows ? json_object_array_length(rows) : 0;
    bool mta = ju64(doc, "mta_sources") > 0;
    int w = 24;
    for (size_t i = 0; i < n; i++) {
        const char *d = jstr(json_object_array_get_idx(rows, i), "domain");
        int len = d ? (int)strlen(d) : 0;
        w = len > w ? (len > 60 ? 60 : len) : w;
    }
    status_as_of(jnum(doc, "taken_at"));
    printf("Hosts marked with '*' were down at the last probe, '?' not probed yet.\n");
    if (!mta)
        printf("No MTA source is configured: recipient and connection figures are not known.\n");
    printf("%6s %-*s %10s %8s %10s %9s %9s\n", "", w, "", "Active", "Conn.", "Deliv.", "Soft",
           "Hard");
    printf("%6s %-*s %10s %8s %10s %9s %9s\n", "#", w, "Recipient Host", "Recip.", "Out", "Recip.",
           "Bounced", "Bounced");
    for (size_t i = 0; i < n; i++) {
        struct json_object *r = json_object_array_get_idx(rows, i);
        const char *st = jstr(r, "status");
        char a[FMT_COUNT_MAX], co[FMT_COUNT_MAX], dl[FMT_COUNT_MAX], sb[FMT_COUNT_MAX],
            hb[FMT_COUNT_MAX];
        printf("%5zu%c ", i + 1,
               st && !strcmp(st, "down") ? '*'
               : st && !strcmp(st, "up") ? ' '
                                         : '?');
        int len = (int)cli_put_text(stdout, jstr(r, "domain"));
        printf("%*s %10s %8s %10s %9s %9s\n", len < w ? w - len : 0, "",
               mta ? count(a, ju64(r, "active")) : "-",
               mta ? count(co, ju64(r, "connections_out")) : "-",
               mta ? count(dl, ju64(r, "delivered")) : "-",
               mta ? count(sb, ju64(r, "soft_bounced")) : "-",
               mta ? count(hb, ju64(r, "hard_bounced")) : "-");
    }
    if (n < ju64(doc, "matched"))
        printf("(%zu of %llu destinations; --limit N shows more)\n", n,
               (unsigned long long)ju64(doc, "matched"));
}

static int tophosts_help(void)
{
    printf("usage: mxwatch tophosts [--sort COLUMN] [--limit N] [--json] [--url URL] "
           "[--auth.file FILE]\n\n"
           "The destinations with the most waiting recipients, from a running agent.\n"
           "  --sort    active_rcpts (default; or active), conn_out, deliv_rcpts (or\n"
           "            delivered), soft_bounced, hard_bounced, latency (mean time to the\n"
           "            final delivery attempt), oldest (oldest queued message), or domain,\n"
           "            status, mx, changed\n"
           "  --limit   rows to show (default %d, at most %d)\n"
           "  --json    the agent's JSON (GET /api/v1/tophosts)\n"
           "  --url     the agent (default " CLIENT_DEFAULT_URL ")\n"
           "exit status: 0 ok, 1 the agent answered with an error, 2 usage or agent "
           "unreachable\n",
           TOPHOSTS_DEFAULT_LIMIT, UI_PER_PAGE_MAX);
    return EXIT_OK;
}

int cmd_tophosts(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help)
        return tophosts_help();
    int sort = ui_sort_parse(f.sort ? f.sort : "active");
    if (sort < 0 || f.first_arg < argc) {
        fprintf(stderr, "mxwatch tophosts: %s (see mxwatch tophosts --help)\n",
                sort < 0 ? "unknown --sort column" : "takes no arguments");
        return EXIT_USAGE;
    }
    unsigned limit = f.limit ? f.limit : TOPHOSTS_DEFAULT_LIMIT;
    char err[512], path[128];
    struct client *c = client_open(&f, err, sizeof err);
    if (!c) {
        fprintf(stderr, "mxwatch tophosts: %s\n", err);
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s?sort=%s&per=%u", UI_TOPHOSTS_PATH,
             ui_sort_name((enum ui_sort)sort), limit > UI_PER_PAGE_MAX ? UI_PER_PAGE_MAX : limit);
    struct buf raw = {0};
    long status = 0;
    int rc = EXIT_OK;
    struct json_object *doc = fetch(c, "GET", path, NULL, "tophosts", &status, &rc, &raw);
    if (doc && status != 200) {
        agent_error("tophosts", status, doc);
        rc = EXIT_BAD;
    } else if (doc && f.json) {
        fwrite(raw.p, 1, raw.len, stdout);
    } else if (doc) {
        tophosts_table(doc);
    }
    json_object_put(doc);
    buf_free(&raw);
    client_close(c);
    return rc;
}

/* ---- hoststatus ---- */

static void line_count(int indent, const char *label, struct json_object *mta, const char *key,
                       const char *sub)
{
    char t[FMT_COUNT_MAX];
    struct json_object *o = sub ? jget(mta, sub) : mta;
    int pad = VALUE_COL - indent - (int)strlen(label);
    printf("%*s%s%*s\n", indent, "", label, pad > 1 ? pad : 1, mta ? count(t, ju64(o, key)) : "-");
}

static void counters(struct json_object *m)
{
    char t[FMT_COUNT_MAX];
    struct json_object *hard = jget(m, "hard_bounced");
    uint64_t hard_total = ju64(hard, "dns") + ju64(hard, "5xx") + ju64(hard, "filter") +
                          ju64(hard, "expired") + ju64(hard, "other");
    printf("\nCounters:\n  Queue\n");
    line_count(4, "Soft Bounced Events", m, "soft_bounce_events", NULL);
    printf("  Completion\n");
    line_count(4, "Completed Recipients", m, "completed", NULL);
    int pad = VALUE_COL - 4 - (int)strlen("Hard Bounced Recipients");
    printf("    Hard Bounced Recipients%*s\n", pad, m ? count(t, hard_total) : "-");
    line_count(6, "DNS Hard Bounces", m, "dns", "hard_bounced");
    line_count(6, "5XX Hard Bounces", m, "5xx", "hard_bounced");
    line_count(6, "Filter Hard Bounces", m, "filter", "hard_bounced");
    line_count(6, "Expired Hard Bounces", m, "expired", "hard_bounced");
    line_count(6, "Other Hard Bounces", m, "other", "hard_bounced");
    line_count(4, "Delivered Recipients", m, "delivered", NULL);
    line_count(4, "Deleted Recipients", m, "deleted", NULL);
}

static void gauges(struct json_object *d, struct json_object *m)
{
    char t[FMT_DURATION_MAX], age[FMT_DURATION_MAX + 16];
    printf("\nGauges:\n  Queue\n");
    line_count(4, "Active Recipients", m, "active", NULL);
    line_count(4, "Unattempted Recipients", m, "unattempted", NULL);
    line_count(4, "Attempted Recipients", m, "attempted", NULL);
    printf("  Connections\n");
    line_count(4, "Current Outbound Connections", m, "connections_current", NULL);
    line_count(4, "Pending Outbound Connections", m, "connections_pending", NULL);
    const char *oldest = !m ? "-"
                         : ju64(m, "active") == 0
                             ? "No Messages"
                             : fmt_duration(t, sizeof t, jnum(m, "oldest_message_age_seconds"));
    printf("\n%-*s%s\n",
           VALUE_COL - (int)strlen(oldest) > 16 ? VALUE_COL - (int)strlen(oldest) : 16,
           "Oldest Message", oldest);
    double last = jnum(d, "last_probe");
    snprintf(age, sizeof age, "%s ago (probe)",
             fmt_duration(t, sizeof t, (double)time(NULL) - last));
    const char *la = last > 0 ? age : "never";
    printf("%-*s%s\n", VALUE_COL - (int)strlen(la) > 16 ? VALUE_COL - (int)strlen(la) : 16,
           "Last Activity", la);
    if (!m)
        printf("(no MTA source is configured: counters and gauges come from the Postfix queue "
               "and log)\n");
}

/* The queue's shape (docs/METRICS.md): recipients by age, hold excluded, and by queue. */
static void queue_shape(struct json_object *m)
{
    static const char *const ages[] = {MTA_AGE_LABELS}, *const queues[] = {MTA_QUEUE_LABELS};
    static const char *const age_text[] = {"Younger Than 5m", "5m To 1h", "1h To 4h", "4h To 1d",
                                           "1d Or Older"};
    static const char *const queue_text[] = {"Active Queue", "Deferred Queue", "Hold Queue",
                                             "Incoming Queue"};
    char t[FMT_DURATION_MAX];
    printf("\nQueue Shape:\n  Recipients By Age (hold excluded)\n");
    _Static_assert(MXW_ARRAY_LEN(age_text) == MTA_AGE__COUNT, "a line per age bucket");
    _Static_assert(MXW_ARRAY_LEN(queue_text) == MTA_Q__COUNT, "a line per queue");
    for (size_t i = 0; i < MXW_ARRAY_LEN(ages); i++)
        line_count(4, age_text[i], m, ages[i], "queued_by_age");
    printf("  Recipients By Queue\n");
    for (size_t i = 0; i < MXW_ARRAY_LEN(queues); i++)
        line_count(4, queue_text[i], m, queues[i], "queued_by_queue");
    const char *newest = !m ? "-"
                         : ju64(m, "active") == 0
                             ? "No Messages"
                             : fmt_duration(t, sizeof t, jnum(m, "newest_message_age_seconds"));
    static const char label[] = "  Newest Message";
    printf("%s%*s\n", label, VALUE_COL - (int)(sizeof label - 1), newest);
}

static void mx_records(struct json_object *d)
{
    struct json_object *mx = jget(d, "mx");
    size_t n = mx ? json_object_array_length(mx) : 0;
    char ttl[FMT_DURATION_MAX];
    printf("\nMX Records:\n  %-12s %-8s %s\n", "Preference", "TTL", "Hostname");
    for (size_t i = 0; i < n; i++) {
        struct json_object *h = json_object_array_get_idx(mx, i);
        printf("  %-12llu %-8s ", (unsigned long long)ju64(h, "preference"),
               fmt_duration(ttl, sizeof ttl, jnum(h, "ttl")));
        cli_put_text(stdout, jstr(h, "name"));
        printf("%s\n", json_object_get_boolean(jget(h, "implicit")) ? " (implicit MX)" : "");
    }
    if (!n)
        printf("  (none)\n");
}

/* The MTA's routes that concern the destination (the agent's transport_maps): which
 * domains go through it, or where its own mail goes; its MX records when none. */
static void smtp_routes(struct json_object *d)
{
    struct json_object *routes = jget(d, "smtp_routes");
    size_t n = routes ? json_object_array_length(routes) : 0;
    printf("\nSMTP Routes:\n");
    for (size_t i = 0; i < n; i++) {
        struct json_object *r = json_object_array_get_idx(routes, i);
        const char *via = jstr(r, "via");
        printf("  ");
        cli_put_text(stdout, jstr(r, "domains") ? jstr(r, "domains") : "");
        printf(" -> ");
        cli_put_text(stdout, via && *via ? via : "its own MX records");
        printf("\n");
    }
    if (!n)
        printf("  (none: its own MX records)\n");
}

/* s made safe, padded to w columns (a longer s pushes the rest right). */
static void put_col(const char *s, int w)
{
    int len = (int)cli_put_text(stdout, s);
    printf("%*s", len < w ? w - len : 1, "");
}

static void ms_col(struct json_object *a, const char *key)
{
    struct json_object *v = jget(a, key);
    if (!v || json_object_is_type(v, json_type_null))
        printf(" %9s", "-");
    else
        printf(" %7.1fms", json_object_get_double(v) * 1000);
}

static void address(struct json_object *h, struct json_object *a)
{
    printf("  ");
    put_col(jstr(h, "name"), 25);
    put_col(jstr(a, "address"), 17);
    put_col(jstr(a, "outcome"), 16);
    long long code = json_object_get_int64(jget(a, "smtp_code"));
    if (code)
        printf("%4lld", code);
    else
        printf("%4s", "-");
    ms_col(a, "connect_seconds");
    ms_col(a, "banner_seconds");
    const char *tls = jstr(a, "tls_version");
    bool offered = json_object_get_boolean(jget(a, "starttls_offered"));
    printf("  ");
    cli_put_text(stdout, tls ? tls : offered ? "offered" : "-");
    printf("%s\n", tls && json_object_get_boolean(jget(a, "tls_verified")) ? " verified" : "");
    const char *ptr = jstr(a, "ptr");
    if (ptr && *ptr) {
        printf("      PTR: ");
        cli_put_text(stdout, ptr);
        printf("\n");
    }
    const char *banner = jstr(a, "banner");
    if (banner && *banner) {
        printf("      banner: ");
        cli_put_text(stdout, banner);
        printf("\n");
    }
}

static void addresses(struct json_object *d)
{
    struct json_object *mx = jget(d, "mx");
    size_t n = mx ? json_object_array_length(mx) : 0;
    printf("\nAddresses:\n  %-25s%-17s%-16s%4s %9s %9s  %s\n", "Hostname", "Address", "Outcome",
           "Code", "Connect", "Banner", "TLS");
    for (size_t i = 0; i < n; i++) {
        struct json_object *h = json_object_array_get_idx(mx, i), *as = jget(h, "addresses");
        for (size_t k = 0; as && k < json_object_array_length(as); k++)
            address(h, json_object_array_get_idx(as, k));
    }
}

/* The MTA's last delivery attempt (when, and how it ended), then the latest 4xx/5xx reply a
 * server gave, with the command it answered, the MX and how long ago: it stays after later
 * deliveries succeed, as on the vendor's page. */
static void last_delivery(struct json_object *d)
{
    struct json_object *a = jget(d, "last_delivery"), *e = jget(d, "latest_error_reply");
    char when[FMT_TIME_MAX], ago[FMT_DURATION_MAX];
    if (a && !json_object_is_type(a, json_type_null)) {
        double t = jnum(a, "time");
        bool ok = json_object_get_boolean(jget(a, "success"));
        printf("%-24s%s (%s), ", "Last delivery attempt:", fmt_time(when, sizeof when, t),
               fmt_duration(ago, sizeof ago, (double)time(NULL) - t));
        cli_put_text(stdout, ok ? "sent" : jstr(a, "class") ? jstr(a, "class") : "failed");
        putchar('\n');
    }
    if (!e || json_object_is_type(e, json_type_null))
        return;
    const char *cmd = jstr(e, "command");
    printf("%-24s", "Latest 4XX/5XX reply:");
    cli_put_text(stdout, jstr(e, "reply") ? jstr(e, "reply") : "");
    printf(" (");
    for (const char *c = cmd ? cmd : ""; *c; c++)
        putchar(*c == '_' ? ' ' : toupper((unsigned char)*c));
    printf(", ");
    cli_put_text(stdout, jstr(e, "mx_host") ? jstr(e, "mx_host") : "");
    printf("[");
    cli_put_text(stdout, jstr(e, "mx_address") ? jstr(e, "mx_address") : "");
    printf("], %s ago)\n", fmt_duration(ago, sizeof ago, (double)time(NULL) - jnum(e, "time")));
}

/* Each MX host against the MTA-STS policy and its TLSA records, each address's DANE verdict. */
static void tls_hosts(struct json_object *d)
{
    struct json_object *mx = jget(d, "mx");
    for (size_t i = 0; mx && i < json_object_array_length(mx); i++) {
        struct json_object *h = json_object_array_get_idx(mx, i), *as = jget(h, "addresses");
        printf("  ");
        put_col(jstr(h, "name"), 25);
        printf("MTA-STS ");
        put_col(jstr(h, "mta_sts") ? jstr(h, "mta_sts") : "?", 11);
        const char *tlsa = jstr(h, "tlsa");
        printf("TLSA %s", tlsa ? tlsa : "?");
        if (tlsa && !strcmp(tlsa, "records"))
            printf(" (%lld, %lld usable, %s)",
                   (long long)json_object_get_int64(jget(h, "tlsa_records")),
                   (long long)json_object_get_int64(jget(h, "tlsa_usable")),
                   json_object_get_boolean(jget(h, "tlsa_authenticated")) ? "authenticated"
                                                                          : "not authenticated");
        printf("\n");
        for (size_t k = 0;
             tlsa && !strcmp(tlsa, "records") && as && k < json_object_array_length(as); k++) {
            struct json_object *a = json_object_array_get_idx(as, k);
            printf("    ");
            put_col(jstr(a, "address"), 17);
            printf("DANE ");
            cli_put_text(stdout, jstr(a, "dane") ? jstr(a, "dane") : "?");
            printf("\n");
        }
    }
}

/* The latest MTA-STS and TLS-RPT check, then the hosts against them. */
static void tls_policy(struct json_object *d)
{
    struct json_object *p = jget(d, "tls_policy");
    if (!p || json_object_is_type(p, json_type_null))
        return;
    struct json_object *sts = jget(p, "mta_sts"), *rpt = jget(p, "tls_rpt");
    char ago[FMT_DURATION_MAX], when[FMT_TIME_MAX];
    printf("\nTLS policy:\n  %-10s", "MTA-STS:");
    if (sts && json_object_get_boolean(jget(sts, "in_force"))) {
        cli_put_text(stdout, jstr(sts, "mode"));
        printf(" (id ");
        cli_put_text(stdout, jstr(sts, "id"));
        printf(", fetched %s ago, expires %s; mx: ",
               fmt_duration(ago, sizeof ago, (double)time(NULL) - jnum(sts, "fetched_at")),
               fmt_time(when, sizeof when, jnum(sts, "expires_at")));
        cli_put_text(stdout, jstr(sts, "mx"));
        printf(")\n");
    } else {
        printf("no policy in force (record ");
        cli_put_text(stdout, sts && jstr(sts, "record") ? jstr(sts, "record") : "?");
        printf(")\n");
    }
    const char *err = sts ? jstr(sts, "error") : NULL;
    if (err && *err) {
        printf("  %-10s", "fault:");
        cli_put_text(stdout, err);
        printf("\n");
    }
    printf("  %-10s", "TLS-RPT:");
    const char *rua = rpt ? jstr(rpt, "rua") : NULL;
    cli_put_text(stdout, rua && *rua                  ? rua
                         : rpt && jstr(rpt, "record") ? jstr(rpt, "record")
                                                      : "?");
    printf("\n");
    tls_hosts(d);
}

/* The last transaction probe: mode, envelope, when and how it ended, then each phase it
 * reached with its time and reply (a stranger's text, through cli_put_text). */
static void transaction(struct json_object *d)
{
    struct json_object *t = jget(d, "transaction"), *ph = t ? jget(t, "phases") : NULL;
    if (!t || json_object_is_type(t, json_type_null))
        return;
    char when[FMT_TIME_MAX], ago[FMT_DURATION_MAX];
    double at = jnum(t, "time");
    bool ok = json_object_get_boolean(jget(t, "success"));
    printf("\nTransaction probe:\n  %-10s", "mode:");
    cli_put_text(stdout, jstr(t, "mode") ? jstr(t, "mode") : "?");
    printf(", MAIL FROM:<");
    cli_put_text(stdout, jstr(t, "from") ? jstr(t, "from") : "");
    printf("> RCPT TO:<");
    cli_put_text(stdout, jstr(t, "to") ? jstr(t, "to") : "");
    printf(">\n  %-10s%s (%s ago) via ", "when:", fmt_time(when, sizeof when, at),
           fmt_duration(ago, sizeof ago, (double)time(NULL) - at));
    cli_put_text(stdout, jstr(t, "mx_host") ? jstr(t, "mx_host") : "");
    printf(" [");
    cli_put_text(stdout, jstr(t, "mx_address") ? jstr(t, "mx_address") : "");
    printf("]\n  %-10s", "success:");
    if (ok) {
        printf("yes\n");
    } else {
        printf("no, failed at ");
        cli_put_text(stdout, jstr(t, "failed_phase") ? jstr(t, "failed_phase") : "?");
        printf(" (");
        cli_put_text(stdout, jstr(t, "outcome") ? jstr(t, "outcome") : "?");
        printf(")\n");
    }
    for (size_t i = 0; ph && i < json_object_array_length(ph); i++) {
        struct json_object *p = json_object_array_get_idx(ph, i), *s = jget(p, "seconds");
        printf("  ");
        put_col(jstr(p, "phase"), 10);
        if (s && !json_object_is_type(s, json_type_null))
            printf("%8.1f ms  ", json_object_get_double(s) * 1000);
        else
            printf("%8s     ", "-");
        long long code = json_object_get_int64(jget(p, "reply_code"));
        const char *enh = jstr(p, "enhanced_code");
        if (code)
            printf("%lld %-6s ", code, enh && *enh ? enh : "-");
        cli_put_text(stdout, jstr(p, "reply") ? jstr(p, "reply") : "");
        printf("\n");
    }
}

static void hoststatus_text(struct json_object *d)
{
    char since[FMT_TIME_MAX], ago[FMT_DURATION_MAX];
    printf("%-24s'", "Host mail status for:");
    cli_put_text(stdout, jstr(d, "domain"));
    printf("'\n");
    status_as_of(0);
    double changed = jnum(d, "status_changed");
    printf("%-24s", "Host up/down:");
    cli_put_text(stdout, jstr(d, "status") ? jstr(d, "status") : "?");
    printf(" (");
    cli_put_text(stdout, jstr(d, "reason") ? jstr(d, "reason") : "?");
    printf(")");
    const char *signal = jstr(d, "status_signal");
    if (signal && strcmp(signal, "none")) {
        printf(" by ");
        cli_put_text(stdout, signal);
    }
    if (changed > 0)
        printf(", since %s (%s)", fmt_time(since, sizeof since, changed),
               fmt_duration(ago, sizeof ago, (double)time(NULL) - changed));
    printf("\n");
    last_delivery(d);
    struct json_object *m = jget(d, "mta");
    if (m && json_object_is_type(m, json_type_null))
        m = NULL;
    counters(m);
    gauges(d, m);
    queue_shape(m);
    smtp_routes(d);
    mx_records(d);
    addresses(d);
    tls_policy(d);
    transaction(d);
    const char *failure = m ? jstr(m, "last_failure") : NULL;
    if (failure && *failure) {
        printf("\nLatest failure:\n  ");
        cli_put_text(stdout, failure);
        printf("\n");
    }
}

static int hoststatus_help(void)
{
    printf("usage: mxwatch hoststatus [--json] [--url URL] [--auth.file FILE] DOMAIN\n\n"
           "One destination in detail, from a running agent: host up/down, counters,\n"
           "gauges, MX records with preference and TTL, every address with its outcome.\n"
           "  --json    the agent's JSON (GET /api/v1/destinations/DOMAIN)\n"
           "exit status: 0 ok, 1 no such destination or another error from the agent,\n"
           "2 usage or agent unreachable\n");
    return EXIT_OK;
}

int cmd_hoststatus(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help)
        return hoststatus_help();
    if (f.first_arg != argc - 1) {
        fprintf(stderr, "mxwatch hoststatus: expected one DOMAIN (see --help)\n");
        return EXIT_USAGE;
    }
    char err[512];
    struct client *c = client_open(&f, err, sizeof err);
    if (!c) {
        fprintf(stderr, "mxwatch hoststatus: %s\n", err);
        return EXIT_USAGE;
    }
    struct buf path = {0}, raw = {0};
    buf_puts(&path, "/api/v1/destinations/");
    html_urlenc(&path, argv[f.first_arg]);
    long status = 0;
    int rc = EXIT_OK;
    struct json_object *doc = fetch(c, "GET", path.p, NULL, "hoststatus", &status, &rc, &raw);
    if (doc && status == 404) {
        fprintf(stderr, "mxwatch hoststatus: the agent does not watch '");
        cli_put_text(stderr, argv[f.first_arg]);
        fprintf(stderr, "'\n");
        rc = EXIT_BAD;
    } else if (doc && status != 200) {
        agent_error("hoststatus", status, doc);
        rc = EXIT_BAD;
    } else if (doc && f.json) {
        fwrite(raw.p, 1, raw.len, stdout);
    } else if (doc) {
        hoststatus_text(doc);
    }
    json_object_put(doc);
    buf_free(&raw);
    buf_free(&path);
    client_close(c);
    return rc;
}

/* ---- delivernow ---- */

static void job_text(struct json_object *job)
{
    bool all = json_object_get_boolean(jget(job, "all"));
    const char *state = jstr(job, "state");
    printf("delivernow: ");
    cli_put_text(stdout, all ? "all deferred mail" : jstr(job, "destination"));
    if (state && !strcmp(state, "failed")) {
        printf(": failed: ");
        cli_put_text(stdout, jstr(job, "error"));
    } else if (state && !strcmp(state, "done") && all) {
        printf(": the MTA was asked to retry all deferred mail now");
    } else if (state && !strcmp(state, "done")) {
        printf(": %llu of %llu deferred message%s scheduled for delivery now",
               (unsigned long long)ju64(job, "rescheduled"),
               (unsigned long long)ju64(job, "messages"), ju64(job, "messages") == 1 ? "" : "s");
    } else {
        printf(": still ");
        cli_put_text(stdout, state ? state : "?");
        printf(" after %d s", DELIVERNOW_WAIT_S);
    }
    printf(" (job %llu)\n", (unsigned long long)ju64(job, "id"));
}

/* Polls the job until it is done or failed. Returns the final document (caller puts). */
static struct json_object *wait_job(struct client *c, struct json_object *doc, int *rc,
                                    struct buf *raw)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/delivernow/%llu",
             (unsigned long long)ju64(jget(doc, "job"), "id"));
    for (int i = 0; i < DELIVERNOW_WAIT_S * 5; i++) {
        const char *st = jstr(jget(doc, "job"), "state");
        if (st && (!strcmp(st, "done") || !strcmp(st, "failed")))
            break;
        usleep(200000);
        long status = 0;
        struct json_object *next = fetch(c, "GET", path, NULL, "delivernow", &status, rc, raw);
        if (!next)
            return doc;
        json_object_put(doc);
        doc = next;
        if (status != 200)
            break;
    }
    return doc;
}

static int delivernow_help(void)
{
    printf("usage: mxwatch delivernow [--json] [--url URL] [--auth.file FILE] DOMAIN|all\n\n"
           "Asks the agent to have the MTA retry deferred mail now: the deferred messages\n"
           "of DOMAIN, or all deferred mail. Waits up to %d s for the result.\n"
           "Needs web.delivernow.enabled and an admin user or the bearer token.\n"
           "exit status: 0 done, 1 refused or failed, 2 usage or agent unreachable\n",
           DELIVERNOW_WAIT_S);
    return EXIT_OK;
}

int cmd_delivernow(int argc, char **argv)
{
    struct cli_flags f;
    if (cli_parse_flags(argc, argv, &f) < 0)
        return EXIT_USAGE;
    if (f.help)
        return delivernow_help();
    if (f.first_arg != argc - 1) {
        fprintf(stderr, "mxwatch delivernow: expected one DOMAIN or 'all' (see --help)\n");
        return EXIT_USAGE;
    }
    char err[512];
    struct client *c = client_open(&f, err, sizeof err);
    if (!c) {
        fprintf(stderr, "mxwatch delivernow: %s\n", err);
        return EXIT_USAGE;
    }
    const char *target = argv[f.first_arg];
    struct json_object *req = json_object_new_object();
    if (!strcmp(target, "all"))
        json_object_object_add(req, "all", json_object_new_boolean(1));
    else
        json_object_object_add(req, "destination", json_object_new_string(target));
    struct buf raw = {0};
    long status = 0;
    int rc = EXIT_OK;
    struct json_object *doc =
        fetch(c, "POST", "/api/v1/delivernow", json_object_to_json_string(req), "delivernow",
              &status, &rc, &raw);
    json_object_put(req);
    if (doc && status != 202) {
        agent_error("delivernow", status, doc);
        rc = EXIT_BAD;
    } else if (doc) {
        doc = wait_job(c, doc, &rc, &raw);
        const char *st = jstr(jget(doc, "job"), "state");
        if (rc == EXIT_OK && !(st && !strcmp(st, "done")))
            rc = EXIT_BAD; /* the job failed, or the wait ended before it did */
        if (f.json)
            printf("%s\n", json_object_to_json_string(doc));
        else
            job_text(jget(doc, "job"));
    }
    json_object_put(doc);
    buf_free(&raw);
    client_close(c);
    return rc;
}
