/*
 * prom.c - the /metrics exposition (prom.h): every family with HELP and TYPE, its samples
 * grouped together, label values escaped (destination and MX names are outside input).
 *
 * For speed the label sets are escaped once per render (one string per destination and
 * per MX address) and each family is then a pass over those strings, so rendering is
 * O(families x rows) appends with no formatting of names per sample.
 * Runs on the HTTP thread on an immutable snapshot; never touches the working store.
 */
#include "prom.h"
#include "prom_gateway.h"

#include "routes.h"
#include "util.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

void prom_label_value(struct buf *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        buf_append(out, run, (size_t)(s - run));
        buf_puts(out, esc);
        run = s + 1;
    }
    buf_append(out, run, (size_t)(s - run));
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels[,extra]} value\n */
static void sample(struct buf *b, const char *name, const char *labels, const char *extra, double v)
{
    buf_puts(b, name);
    if ((labels && *labels) || extra) {
        buf_append(b, "{", 1);
        if (labels)
            buf_puts(b, labels);
        if (extra) {
            if (labels && *labels)
                buf_append(b, ",", 1);
            buf_puts(b, extra);
        }
        buf_append(b, "}", 1);
    }
    buf_append(b, " ", 1);
    buf_double(b, v);
    buf_append(b, "\n", 1);
}

/* ---- per-destination families ---- */

struct rows {
    const struct snapshot *s;
    char **dest_labels; /* destination="..." per destination */
    size_t n_addr;
    char **addr_labels; /* destination,mx,address,preference per address */
    const struct dest_view **addr_dest;
    const struct mx_addr_result **addr;
};

typedef double dest_get(const struct dest_view *d);

static double g_up(const struct dest_view *d)
{
    return d->status == DEST_UP;
}
static double g_changed(const struct dest_view *d)
{
    return d->status_changed;
}
static double g_mx(const struct dest_view *d)
{
    return (double)d->n_hosts;
}
static double g_dns(const struct dest_view *d)
{
    return d->dns_s;
}
static double g_ttl(const struct dest_view *d)
{
    return d->dns_ttl;
}
static double g_last(const struct dest_view *d)
{
    return d->last_probe;
}
static double g_active(const struct dest_view *d)
{
    return (double)d->mta.active;
}
static double g_unatt(const struct dest_view *d)
{
    return (double)d->mta.unattempted;
}
static double g_att(const struct dest_view *d)
{
    return (double)d->mta.attempted;
}
static double g_deliv(const struct dest_view *d)
{
    return (double)d->mta.delivered;
}
static double g_compl(const struct dest_view *d)
{
    return (double)d->mta.completed;
}
static double g_soft(const struct dest_view *d)
{
    return (double)d->mta.soft_bounce;
}
static double g_del(const struct dest_view *d)
{
    return (double)d->mta.deleted;
}
static double g_oldest(const struct dest_view *d)
{
    return d->mta.oldest_age_s;
}

struct dest_family {
    const char *name, *type, *help;
    dest_get *get;
    bool mta;    /* only for destinations a source has reported */
    bool probed; /* only once the destination has been probed */
};

static const struct dest_family dest_families[] = {
    {"mxwatch_destination_up", "gauge",
     "Whether an MX address of the destination accepts SMTP (1) or not (0).", g_up, false, false},
    {"mxwatch_destination_status_change_timestamp_seconds", "gauge",
     "When the destination's status last changed, seconds since 1970.", g_changed, false, true},
    {"mxwatch_destination_mx_records", "gauge",
     "MX records of the destination (implicit MX counts as one).", g_mx, false, true},
    {"mxwatch_dns_lookup_duration_seconds", "gauge",
     "Time the last DNS resolution of the destination took (MX and addresses).", g_dns, false,
     true},
    {"mxwatch_dns_ttl_seconds", "gauge", "Smallest TTL of the destination's MX answer.", g_ttl,
     false, true},
    {"mxwatch_last_probe_timestamp_seconds", "gauge", "When the destination was last probed.",
     g_last, false, true},
    {"mxwatch_active_recipients", "gauge", "Recipients queued for the destination now.", g_active,
     true, false},
    {"mxwatch_unattempted_recipients", "gauge",
     "Queued recipients not yet tried for the destination.", g_unatt, true, false},
    {"mxwatch_attempted_recipients", "gauge",
     "Queued recipients tried at least once (deferred) for the destination.", g_att, true, false},
    {"mxwatch_delivered_recipients_total", "counter", "Recipients delivered to the destination.",
     g_deliv, true, false},
    {"mxwatch_completed_recipients_total", "counter",
     "Recipients completed (delivered or hard-bounced) for the destination.", g_compl, true, false},
    {"mxwatch_soft_bounce_events_total", "counter",
     "Temporary delivery failures (deferrals) to the destination.", g_soft, true, false},
    {"mxwatch_deleted_recipients_total", "counter",
     "Recipients removed from the queue by an administrator.", g_del, true, false},
    {"mxwatch_oldest_message_age_seconds", "gauge",
     "Age of the oldest queued message for the destination.", g_oldest, true, false},
};

static bool dest_has(const struct dest_view *d, const struct dest_family *f)
{
    return (!f->mta || d->mta.present) && (!f->probed || d->last_probe > 0);
}

static void render_dest_family(struct buf *b, const struct rows *r, const struct dest_family *f)
{
    bool any = false;
    for (size_t i = 0; i < r->s->n && !any; i++)
        any = dest_has(r->s->dests[i], f);
    if (!any)
        return;
    family(b, f->name, f->type, f->help);
    for (size_t i = 0; i < r->s->n; i++)
        if (dest_has(r->s->dests[i], f))
            sample(b, f->name, r->dest_labels[i], NULL, f->get(r->s->dests[i]));
}

static void render_dest_status(struct buf *b, const struct rows *r)
{
    static const char *const states[] = {"up", "down", "unknown"};
    static const enum dest_status vals[] = {DEST_UP, DEST_DOWN, DEST_UNKNOWN};
    if (!r->s->n)
        return;
    family(b, "mxwatch_destination_status", "gauge",
           "Status of the destination as a state set: up, down or unknown.");
    for (size_t i = 0; i < r->s->n; i++)
        for (size_t k = 0; k < 3; k++) {
            char extra[32];
            snprintf(extra, sizeof extra, "status=\"%s\"", states[k]);
            sample(b, "mxwatch_destination_status", r->dest_labels[i], extra,
                   r->s->dests[i]->status == vals[k]);
        }
    family(b, "mxwatch_destination_status_reason_info", "gauge",
           "Why the destination has its status (the latest probe's outcome class).");
    for (size_t i = 0; i < r->s->n; i++) {
        char extra[96];
        snprintf(extra, sizeof extra, "reason=\"%s\"", store_dest_reason_text(r->s->dests[i]));
        sample(b, "mxwatch_destination_status_reason_info", r->dest_labels[i], extra, 1);
    }
}

static void render_probes_total(struct buf *b, const struct rows *r)
{
    if (!r->s->n)
        return;
    family(b, "mxwatch_probes_total", "counter", "Probes of the destination by result.");
    for (size_t i = 0; i < r->s->n; i++) {
        const struct dest_view *d = r->s->dests[i];
        for (size_t k = 0; k < store_result_slots(); k++) {
            if (!d->probes[k])
                continue;
            char extra[64];
            snprintf(extra, sizeof extra, "result=\"%s\"", store_result_name(k));
            sample(b, "mxwatch_probes_total", r->dest_labels[i], extra, (double)d->probes[k]);
        }
    }
}

static void render_mta_labelled(struct buf *b, const struct rows *r)
{
    bool any = false;
    for (size_t i = 0; i < r->s->n && !any; i++)
        any = r->s->dests[i]->mta.present;
    if (!any)
        return;
    family(b, "mxwatch_outbound_connections", "gauge",
           "Outbound SMTP connections to the destination: current (established) or pending.");
    for (size_t i = 0; i < r->s->n; i++) {
        const struct dest_view *d = r->s->dests[i];
        if (!d->mta.present)
            continue;
        sample(b, "mxwatch_outbound_connections", r->dest_labels[i], "state=\"current\"",
               (double)d->mta.conn_current);
        sample(b, "mxwatch_outbound_connections", r->dest_labels[i], "state=\"pending\"",
               (double)d->mta.conn_pending);
    }
    family(b, "mxwatch_hard_bounced_recipients_total", "counter",
           "Recipients hard-bounced for the destination, by class.");
    for (size_t i = 0; i < r->s->n; i++) {
        const struct mta_figures *m = &r->s->dests[i]->mta;
        if (!m->present)
            continue;
        const char *l = r->dest_labels[i];
        sample(b, "mxwatch_hard_bounced_recipients_total", l, "reason=\"dns\"",
               (double)m->hard_dns);
        sample(b, "mxwatch_hard_bounced_recipients_total", l, "reason=\"5xx\"",
               (double)m->hard_5xx);
        sample(b, "mxwatch_hard_bounced_recipients_total", l, "reason=\"filter\"",
               (double)m->hard_filter);
        sample(b, "mxwatch_hard_bounced_recipients_total", l, "reason=\"expired\"",
               (double)m->hard_expired);
        sample(b, "mxwatch_hard_bounced_recipients_total", l, "reason=\"other\"",
               (double)m->hard_other);
    }
}

/* ---- per-address families ---- */

typedef double addr_get(const struct mx_addr_result *a);
static double a_up(const struct mx_addr_result *a)
{
    return a->outcome == OUT_OK;
}
static double a_conn(const struct mx_addr_result *a)
{
    return a->connect_s;
}
static double a_banner(const struct mx_addr_result *a)
{
    return a->banner_s;
}
static double a_ehlo(const struct mx_addr_result *a)
{
    return a->ehlo_s;
}
static double a_stls(const struct mx_addr_result *a)
{
    return a->starttls_offered;
}
static double a_tls(const struct mx_addr_result *a)
{
    return a->tls_s;
}
static double a_exp(const struct mx_addr_result *a)
{
    return a->tls_cert_expiry;
}

struct addr_family {
    const char *name, *help;
    addr_get *get;
    bool timing; /* absent when the phase was not reached (negative) */
    bool expiry; /* absent when unknown (0) */
};

static const struct addr_family addr_families[] = {
    {"mxwatch_mx_up",
     "Whether the MX address answered the SMTP check with a 2xx greeting and EHLO.", a_up, false,
     false},
    {"mxwatch_smtp_connect_duration_seconds", "TCP connect time to the MX address.", a_conn, true,
     false},
    {"mxwatch_smtp_banner_duration_seconds", "Time from connect to the complete 220 greeting.",
     a_banner, true, false},
    {"mxwatch_smtp_ehlo_duration_seconds", "Time for the EHLO command to be answered.", a_ehlo,
     true, false},
    {"mxwatch_smtp_starttls_offered", "Whether the MX address offered STARTTLS in its EHLO reply.",
     a_stls, false, false},
    {"mxwatch_tls_handshake_duration_seconds", "Time the STARTTLS handshake took.", a_tls, true,
     false},
    {"mxwatch_tls_cert_expiry_timestamp_seconds",
     "When the MX address's TLS certificate expires, seconds since 1970.", a_exp, false, true},
};

static bool addr_has(const struct mx_addr_result *a, const struct addr_family *f)
{
    if (a->outcome == OUT_NOT_PROBED && f->get != a_up)
        return false;
    if (f->timing && f->get(a) < 0)
        return false;
    return !f->expiry || a->tls_cert_expiry > 0;
}

static void render_addr_family(struct buf *b, const struct rows *r, const struct addr_family *f)
{
    bool any = false;
    for (size_t i = 0; i < r->n_addr && !any; i++)
        any = addr_has(r->addr[i], f);
    if (!any)
        return;
    family(b, f->name, "gauge", f->help);
    for (size_t i = 0; i < r->n_addr; i++)
        if (addr_has(r->addr[i], f))
            sample(b, f->name, r->addr_labels[i], NULL, f->get(r->addr[i]));
}

static void render_tls_version(struct buf *b, const struct rows *r)
{
    bool any = false;
    for (size_t i = 0; i < r->n_addr && !any; i++)
        any = r->addr[i]->tls_version[0] != '\0';
    if (!any)
        return;
    family(b, "mxwatch_tls_version_info", "gauge", "TLS version negotiated with the MX address.");
    for (size_t i = 0; i < r->n_addr; i++) {
        if (!r->addr[i]->tls_version[0])
            continue;
        struct buf extra = {0};
        buf_puts(&extra, "version=\"");
        prom_label_value(&extra, r->addr[i]->tls_version);
        buf_puts(&extra, "\"");
        sample(b, "mxwatch_tls_version_info", r->addr_labels[i], extra.p, 1);
        buf_free(&extra);
    }
}

/* ---- the agent itself ---- */

static void render_process(struct buf *b, const struct snapshot *s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    family(b, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
    sample(b, "process_cpu_seconds_total", NULL, NULL, cpu);
    long rss_pages = 0, vsz_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &vsz_pages, &rss_pages) != 2)
            rss_pages = vsz_pages = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(b, "process_resident_memory_bytes", NULL, NULL, (double)rss_pages * (double)page);
    family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sample(b, "process_virtual_memory_bytes", NULL, NULL, (double)vsz_pages * (double)page);
    size_t fds = 0;
    DIR *dir = opendir("/proc/self/fd");
    if (dir) {
        while (readdir(dir))
            fds++;
        closedir(dir);
        fds = fds >= 3 ? fds - 3 : 0; /* ".", ".." and the directory's own fd */
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    sample(b, "process_open_fds", NULL, NULL, (double)fds);
    family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    sample(b, "process_max_fds", NULL, NULL, (double)rl.rlim_cur);
    family(b, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    sample(b, "process_start_time_seconds", NULL, NULL, s->agent.start_time);
}

static void render_agent(struct buf *b, const struct snapshot *s)
{
    const struct agent_figures *a = &s->agent;
    family(b, "mxwatch_build_info", "gauge", "Version and revision mxwatch was built from.");
    sample(b, "mxwatch_build_info", "version=\"" MXW_VERSION "\",revision=\"" MXW_REVISION "\"",
           NULL, 1);
    size_t n_cfg = 0;
    for (size_t i = 0; i < s->n; i++)
        n_cfg += s->dests[i]->origin == ORIGIN_CONFIG;
    family(b, "mxwatch_destinations", "gauge", "Destinations watched, by where they came from.");
    sample(b, "mxwatch_destinations", "origin=\"config\"", NULL, (double)n_cfg);
    sample(b, "mxwatch_destinations", "origin=\"discovered\"", NULL, (double)(s->n - n_cfg));
    family(b, "mxwatch_probes_in_flight", "gauge", "Probe operations running now, by kind.");
    sample(b, "mxwatch_probes_in_flight", "kind=\"dns\"", NULL, a->dns_in_flight);
    sample(b, "mxwatch_probes_in_flight", "kind=\"smtp\"", NULL, a->smtp_in_flight);
    family(b, "mxwatch_probe_loop_lag_seconds", "gauge",
           "How late the probe loop ran its timers over the last second.");
    sample(b, "mxwatch_probe_loop_lag_seconds", NULL, NULL, a->loop_lag_s);
    family(b, "mxwatch_config_last_reload_successful", "gauge",
           "Whether the last configuration reload succeeded.");
    sample(b, "mxwatch_config_last_reload_successful", NULL, NULL, a->config_reload_ok);
    family(b, "mxwatch_config_last_reload_success_timestamp_seconds", "gauge",
           "When the configuration was last loaded successfully.");
    sample(b, "mxwatch_config_last_reload_success_timestamp_seconds", NULL, NULL,
           a->config_reload_time);
    if (a->n_sources) {
        family(b, "mxwatch_source_up", "gauge", "Whether the source's last collection succeeded.");
        for (size_t i = 0; i < a->n_sources; i++) {
            char l[64];
            snprintf(l, sizeof l, "source=\"%s\"", a->sources[i].name);
            sample(b, "mxwatch_source_up", l, NULL, a->sources[i].up);
        }
        family(b, "mxwatch_source_errors_total", "counter", "Failed collections of the source.");
        for (size_t i = 0; i < a->n_sources; i++) {
            char l[64];
            snprintf(l, sizeof l, "source=\"%s\"", a->sources[i].name);
            sample(b, "mxwatch_source_errors_total", l, NULL, (double)a->sources[i].errors);
        }
        family(b, "mxwatch_source_duration_seconds", "gauge",
               "How long the source's last collection took.");
        for (size_t i = 0; i < a->n_sources; i++) {
            char l[64];
            snprintf(l, sizeof l, "source=\"%s\"", a->sources[i].name);
            sample(b, "mxwatch_source_duration_seconds", l, NULL, a->sources[i].last_duration_s);
        }
    }
    family(b, "mxwatch_agentx_connected", "gauge",
           "Whether the SNMP subagent is connected to its AgentX master.");
    sample(b, "mxwatch_agentx_connected", NULL, NULL, a->agentx_connected);
    family(b, "mxwatch_delivernow_total", "counter", "Requests to retry delivery, by trigger.");
    sample(b, "mxwatch_delivernow_total", "trigger=\"manual\"", NULL, (double)a->delivernow_manual);
    sample(b, "mxwatch_delivernow_total", "trigger=\"recovery\"", NULL,
           (double)a->delivernow_recovery);
}

/* ---- label sets ---- */

static void build_rows(struct rows *r, const struct snapshot *s)
{
    r->s = s;
    r->dest_labels = calloc(s->n + 1, sizeof *r->dest_labels);
    size_t n_addr = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t h = 0; h < s->dests[i]->n_hosts; h++)
            n_addr += s->dests[i]->hosts[h].n_addrs;
    r->addr_labels = calloc(n_addr + 1, sizeof *r->addr_labels);
    r->addr = calloc(n_addr + 1, sizeof *r->addr);
    r->n_addr = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct dest_view *d = s->dests[i];
        struct buf lb = {0};
        buf_puts(&lb, "destination=\"");
        prom_label_value(&lb, d->domain);
        buf_puts(&lb, "\"");
        for (size_t h = 0; h < d->n_hosts; h++) {
            const struct mx_host *mh = &d->hosts[h];
            for (size_t k = 0; k < mh->n_addrs; k++) {
                struct buf al = {0};
                buf_append(&al, lb.p, lb.len);
                buf_puts(&al, ",mx=\"");
                prom_label_value(&al, mh->name);
                buf_printf(&al, "\",address=\"%s\",preference=\"%u\"", mh->addrs[k].addr_str,
                           mh->preference);
                r->addr[r->n_addr] = &mh->addrs[k];
                r->addr_labels[r->n_addr++] = buf_steal(&al, NULL);
            }
        }
        r->dest_labels[i] = buf_steal(&lb, NULL);
    }
}

static void free_rows(struct rows *r)
{
    for (size_t i = 0; i < r->s->n; i++)
        free(r->dest_labels[i]);
    for (size_t i = 0; i < r->n_addr; i++)
        free(r->addr_labels[i]);
    free(r->dest_labels);
    free(r->addr_labels);
    free(r->addr);
}

void prom_render(const struct snapshot *snap, struct buf *out)
{
    struct rows r = {0};
    build_rows(&r, snap);
    buf_reserve(out, 256 + snap->n * 2048);
    render_dest_family(out, &r, &dest_families[0]);
    render_dest_status(out, &r);
    for (size_t i = 1; i < MXW_ARRAY_LEN(dest_families); i++)
        render_dest_family(out, &r, &dest_families[i]);
    render_probes_total(out, &r);
    render_mta_labelled(out, &r);
    for (size_t i = 0; i < MXW_ARRAY_LEN(addr_families); i++)
        render_addr_family(out, &r, &addr_families[i]);
    render_tls_version(out, &r);
    prom_gateway_render(snap, out);
    render_agent(out, snap);
    render_process(out, snap);
    free_rows(&r);
}

void prom_handle_metrics(const struct web_request *rq, const struct snapshot *snap,
                         struct web_response *rs)
{
    (void)rq;
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (!snap) {
        web_error(rs, 503, "no snapshot yet");
        return;
    }
    prom_render(snap, &rs->body);
}
