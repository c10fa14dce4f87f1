/*
 * gateway.c - the "gateway" source (gateway.h): one poller per configured appliance, all
 * on the loop thread and the loop's libcurl multi handle.
 *
 * A poll is a small state machine: GP_IDLE -> GP_FETCHING (libcurl transfer running; the
 * write callback checks the status line and Content-Type once, then feeds the body to
 * gwxml) -> one exit, poll_end(), with the outcome class, which builds the appliance's next
 * gateway_view and hands all of them to the store. A failed poll keeps the previous good
 * document in the view (SNMP shows it with mxwGwUp false); /metrics leaves it out.
 *
 * Scheduling: each appliance is due every `interval` from its previous start; collect()
 * starts the due ones and asks to run again when the next one is due (at most a second
 * later, so appliances added by a reload start soon). A poll still running when its turn
 * comes skips that turn. Logging: the first failure of an appliance, a change of reason,
 * a repeat every 10 minutes while it persists, and the recovery, with appliance=NAME.
 *
 * Never: follow a redirect, log or keep the password outside the appliance record (and the
 * libcurl handle while a poll runs), block the loop.
 */
#include "gateway.h"

#include "curlm.h"
#include "gwxml.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_NAME    "gateway"
#define TICK_MAX_MS    1000
#define ERROR_REPEAT_S 600.0
#define SETUP_ERR_MAX  STORE_GATEWAY_ERROR_MAX

enum poll_state { GP_IDLE, GP_FETCHING };

struct appliance {
    char name[STORE_GATEWAY_NAME_MAX];
    char url[GATEWAY_URL_MAX];
    char *username, *ca_file;
    char password[GATEWAY_PASSWORD_MAX];
    enum gateway_reason setup;     /* GW_OK, or why no request can be made */
    char setup_err[SETUP_ERR_MAX]; /* then: what to report at each turn */
    bool insecure;
    int64_t interval_ms, timeout_ms;
    size_t max_bytes;
    int64_t next_due_ms, last_turn_ms; /* last_turn_ms: 0 before the first turn */

    /* the poll in flight */
    enum poll_state state;
    CURL *h;
    struct gwxml_parser *parser;
    int64_t started_us;
    bool head_checked;         /* status line and Content-Type looked at */
    enum gateway_reason early; /* decided in the write callback, GW_OK if not */
    char early_err[STORE_GATEWAY_ERROR_MAX];
    char curl_err[CURL_ERROR_SIZE];

    /* what the readers see, and what the logs said */
    struct gateway_view *view;
    enum gateway_reason logged; /* GW_OK while healthy */
    double logged_at;
    bool skipped_warned;
};

static struct {
    struct loop *loop;
    struct curlm *curlm;
    struct appliance **a; /* in configuration order */
    size_t n;
} gw;

static const char *const reason_names[GW__COUNT] = {
    "ok",
    "password_file",
    "connect_failed",
    "tls_failed",
    "timeout",
    "connection_lost",
    "protocol_error",
    "http_401",
    "http_403",
    "http_5xx",
    "http_status",
    "redirect",
    "not_status_page",
    "truncated",
    "malformed",
    "too_large",
    "transfer_failed",
    "local_error",
};

/* ---- pure helpers ---- */

const char *gateway_reason_name(enum gateway_reason r)
{
    return (unsigned)r < GW__COUNT ? reason_names[r] : "local_error";
}

enum gateway_reason gateway_reason_of_http(long code)
{
    if (code == 200)
        return GW_OK;
    if (code == 401)
        return GW_HTTP_401;
    if (code == 403)
        return GW_HTTP_403;
    if (code >= 300 && code <= 399)
        return GW_REDIRECT;
    if (code >= 500 && code <= 599)
        return GW_HTTP_5XX;
    return GW_HTTP_STATUS;
}

enum gateway_reason gateway_reason_of_curl(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK: return GW_OK;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: return GW_CONNECT_FAILED;
    case CURLE_OPERATION_TIMEDOUT: return GW_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED: return GW_TLS_FAILED;
    case CURLE_PARTIAL_FILE: return GW_TRUNCATED;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return GW_CONNECTION_LOST;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UNSUPPORTED_PROTOCOL: return GW_PROTOCOL_ERROR;
    case CURLE_FILESIZE_EXCEEDED: return GW_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY: return GW_LOCAL_ERROR;
    default: return GW_TRANSFER_FAILED;
    }
}

enum gateway_reason gateway_reason_of_parse(const char *e)
{
    if (!strncmp(e, "truncated", 9) || !strncmp(e, "empty document", 14))
        return GW_TRUNCATED;
    if (!strncmp(e, "not a status document", 21))
        return GW_NOT_STATUS_PAGE;
    if (!strncmp(e, "document larger than", 20))
        return GW_TOO_LARGE;
    if (!strncmp(e, "out of memory", 13))
        return GW_LOCAL_ERROR;
    return GW_MALFORMED;
}

int gateway_status_url(const char *base, char *out, size_t cap, char *err, size_t errlen)
{
    size_t n = strlen(base);
    if (n > 0 && base[n - 1] == '/')
        n--;
    if (n + sizeof GATEWAY_STATUS_PATH > cap) {
        snprintf(err, errlen, "url longer than %zu bytes", cap - sizeof GATEWAY_STATUS_PATH);
        return -1;
    }
    memcpy(out, base, n);
    memcpy(out + n, GATEWAY_STATUS_PATH, sizeof GATEWAY_STATUS_PATH);
    return 0;
}

/* Reads at most cap bytes of fd into out; returns the count, or -1 on a read error. */
static ssize_t read_upto(int fd, char *out, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, out + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Checks and strips what read_upto gave (it asked for cap bytes): the rules of
 * gateway_read_password. */
static int password_check(char *buf, size_t got, size_t cap, const char *path, char *err,
                          size_t errlen)
{
    if (got >= cap) {
        snprintf(err, errlen, "%s: longer than %zu bytes", path, cap - 1);
        return -1;
    }
    if (memchr(buf, '\0', got)) {
        snprintf(err, errlen, "%s: holds a NUL byte", path);
        return -1;
    }
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
        got--;
    buf[got] = '\0';
    if (got == 0) {
        snprintf(err, errlen, "%s: empty", path);
        return -1;
    }
    return 0;
}

int gateway_read_password(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
    out[0] = '\0';
    /* O_NONBLOCK: a FIFO put there by mistake must not hang the loop at open. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat sb;
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    char buf[GATEWAY_PASSWORD_MAX];
    size_t want = cap < sizeof buf ? cap : sizeof buf; /* reading all of it means too long */
    ssize_t got = read_upto(fd, buf, want);
    int saved = errno;
    close(fd);
    int rc = -1;
    if (got < 0)
        snprintf(err, errlen, "%s: read error: %s", path, strerror(saved));
    else if (password_check(buf, (size_t)got, want, path, err, errlen) == 0) {
        memcpy(out, buf, strlen(buf) + 1);
        rc = 0;
    }
    explicit_bzero(buf, sizeof buf);
    return rc;
}

/* Outside text (server messages, libxml2's words about the document) made safe for a log
 * field and a label: quotes, backslashes and control characters become plain characters. */
static void plain_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)(c == '"' ? '\'' : c == '\\' ? '/' : c < 0x20 || c == 0x7f ? ' ' : c);
    }
    dst[i] = '\0';
}

/* ---- views ---- */

static void *dup_items(const void *src, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    void *p = xmalloc(n * size);
    memcpy(p, src, n * size);
    return p;
}

static void status_copy(struct gw_status *dst, const struct gw_status *src)
{
    *dst = *src;
    dst->counters = dup_items(src->counters, src->ncounters, sizeof *src->counters);
    dst->rates = dup_items(src->rates, src->nrates, sizeof *src->rates);
    dst->gauges = dup_items(src->gauges, src->ngauges, sizeof *src->gauges);
    dst->features = dup_items(src->features, src->nfeatures, sizeof *src->features);
}

static void publish_views(void)
{
    struct gateway_view **v = xcalloc(gw.n ? gw.n : 1, sizeof *v);
    for (size_t i = 0; i < gw.n; i++)
        v[i] = gw.a[i]->view;
    store_set_gateways(v, gw.n);
    free(v);
}

/* The appliance's next view: this poll's outcome, and the document of this poll (moved out
 * of *st) or of the latest good one. */
static void set_view(struct appliance *a, enum gateway_reason r, const char *err,
                     struct gw_status *st, double duration_s)
{
    struct gateway_view *v = store_gateway_view_new(a->name), *old = a->view;
    double now = mxw_wall_time();
    v->polled = true;
    v->up = r == GW_OK;
    mxw_strlcpy(v->reason, gateway_reason_name(r), sizeof v->reason);
    plain_copy(v->error, sizeof v->error, err ? err : "");
    v->last_poll = now;
    v->scrape_duration_s = duration_s;
    if (r == GW_OK) {
        v->status = *st;
        memset(st, 0, sizeof *st);
        v->has_status = true;
        v->last_success = now;
    } else if (old && old->has_status) {
        status_copy(&v->status, &old->status);
        v->has_status = true;
        v->last_success = old->last_success;
    }
    a->view = v;
    store_gateway_view_unref(old);
    publish_views();
}

/* ---- logs and the source's own figures ---- */

static void log_outcome(struct appliance *a, enum gateway_reason r, double duration_s)
{
    const struct gateway_view *v = a->view;
    double now = mxw_wall_time();
    if (r == GW_OK) {
        if (a->logged != GW_OK)
            log_info("gateway", "poll recovered appliance=%s url=%s", a->name, a->url);
        a->logged = GW_OK;
        log_debug("gateway",
                  "poll done appliance=%s seconds=%.3f counters=%zu rates=%zu gauges=%zu", a->name,
                  duration_s, v->status.ncounters, v->status.nrates, v->status.ngauges);
        if (v->status.skipped && !a->skipped_warned) {
            char first[GW_REASON_MAX];
            plain_copy(first, sizeof first, v->status.skip_reason);
            log_warn("gateway",
                     "items of the status page skipped appliance=%s count=%u first=\"%s\"", a->name,
                     v->status.skipped, first);
        }
        a->skipped_warned = v->status.skipped > 0;
        return;
    }
    if (a->logged != r || now - a->logged_at >= ERROR_REPEAT_S) {
        log_warn("gateway",
                 a->logged == r
                     ? "poll failed appliance=%s reason=%s error=\"%s\" url=%s repeated=true"
                     : "poll failed appliance=%s reason=%s error=\"%s\" url=%s",
                 a->name, v->reason, v->error, a->url);
        a->logged = r;
        a->logged_at = now;
    }
}

/* mxwatch_source_up{source="gateway"}: up while every appliance's latest poll succeeded. A
 * success while another appliance is still down changes nothing, so the source does not
 * flap between appliances and counts one error per failed poll. The error names only how
 * many fail (the gateway lines name them), so source_report, which logs a different error at
 * once, does not log again at every poll of appliances failing in different ways. */
static void report_source(enum gateway_reason r, double duration_s)
{
    size_t down = 0;
    for (size_t i = 0; i < gw.n; i++)
        down += gw.a[i]->view->polled && !gw.a[i]->view->up;
    if (r != GW_OK) {
        char e[96];
        snprintf(e, sizeof e, "%zu of %zu appliances failing", down, gw.n);
        source_report(SOURCE_NAME, false, duration_s, e);
    } else if (down == 0) {
        source_report(SOURCE_NAME, true, duration_s, NULL);
    }
}

/* ---- one poll ---- */

static void poll_release(struct appliance *a)
{
    if (a->h) {
        curlm_remove(gw.curlm, a->h);
        curl_easy_cleanup(a->h);
        a->h = NULL;
    }
    gwxml_parser_free(a->parser);
    a->parser = NULL;
    a->state = GP_IDLE;
}

/* The one exit of a poll, successful or not. st holds the document when r is GW_OK. */
static void poll_end(struct appliance *a, enum gateway_reason r, const char *err,
                     struct gw_status *st)
{
    double duration_s =
        a->state == GP_FETCHING ? (double)(mxw_now_us() - a->started_us) / 1e6 : 0.0;
    poll_release(a);
    set_view(a, r, err, st, duration_s);
    log_outcome(a, r, duration_s);
    report_source(r, duration_s);
}

/* Decides from the status line and Content-Type whether the body is worth parsing. */
static void check_head(struct appliance *a)
{
    long code = 0;
    char *ctype = NULL;
    a->head_checked = true;
    curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(a->h, CURLINFO_CONTENT_TYPE, &ctype);
    if (code != 200) {
        a->early = gateway_reason_of_http(code);
        snprintf(a->early_err, sizeof a->early_err, "HTTP status %ld", code);
    } else if (ctype && !strncasecmp(ctype, "text/html", 9)) {
        a->early = GW_NOT_STATUS_PAGE;
        snprintf(a->early_err, sizeof a->early_err,
                 "an HTML page (Content-Type %.60s) instead of the XML status page: a login page?",
                 ctype);
    }
}

/* libcurl's write callback: the body, piece by piece, into the parser, whose cap bounds
 * what is held. Returning less than given aborts the transfer (CURLE_WRITE_ERROR). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct appliance *a = arg;
    size_t n = size * nmemb;
    if (!a->head_checked)
        check_head(a);
    if (a->early != GW_OK)
        return 0;
    char err[GW_REASON_MAX];
    if (gwxml_parser_feed(a->parser, ptr, n, err, sizeof err) < 0) {
        a->early = gateway_reason_of_parse(err);
        mxw_strlcpy(a->early_err, err, sizeof a->early_err);
        return 0;
    }
    return n;
}

static void describe_http(struct appliance *a, long code, char *err, size_t errlen)
{
    char *loc = NULL;
    switch (gateway_reason_of_http(code)) {
    case GW_HTTP_401:
        snprintf(err, errlen, "HTTP 401: the gateway refused the username or password");
        break;
    case GW_HTTP_403:
        snprintf(err, errlen, "HTTP 403: the user may not read the status page");
        break;
    case GW_REDIRECT:
        curl_easy_getinfo(a->h, CURLINFO_REDIRECT_URL, &loc);
        snprintf(err, errlen, "HTTP %ld redirect to %.120s, not followed", code,
                 loc ? loc : "(no Location)");
        break;
    default: snprintf(err, errlen, "HTTP status %ld", code);
    }
}

static void on_done(void *arg, CURL *h, CURLcode rc)
{
    struct appliance *a = arg;
    long code = 0;
    char err[STORE_GATEWAY_ERROR_MAX];
    struct gw_status st = {0};
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    enum gateway_reason r = gateway_reason_of_http(code);
    if (r != GW_OK && (rc == CURLE_OK || a->early == r))
        describe_http(a, code, err, sizeof err); /* the status line says it best */
    else if (a->early != GW_OK) {
        r = a->early;
        mxw_strlcpy(err, a->early_err, sizeof err);
    } else if (rc == CURLE_FILESIZE_EXCEEDED) {
        r = GW_TOO_LARGE;
        snprintf(err, sizeof err, "the gateway announced more than %zu bytes (max_bytes)",
                 a->max_bytes);
    } else if (rc != CURLE_OK) {
        r = gateway_reason_of_curl(rc);
        snprintf(err, sizeof err, "%s", a->curl_err[0] ? a->curl_err : curl_easy_strerror(rc));
    } else if (gwxml_parser_finish(a->parser, &st, err, sizeof err) < 0)
        r = gateway_reason_of_parse(err);
    poll_end(a, r, err, &st);
    gw_status_free(&st);
}

static void set_options(struct appliance *a)
{
    CURL *h = a->h;
    curl_easy_setopt(h, CURLOPT_URL, a->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->max_bytes);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mxwatch/" MXW_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_err);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, a->insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, a->insecure ? 0L : 2L);
    if (a->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, a->ca_file);
    if (a->username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, a->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, a->password);
    }
}

static void poll_start(struct appliance *a)
{
    if (a->setup != GW_OK) {
        poll_end(a, a->setup, a->setup_err, NULL);
        return;
    }
    a->h = curl_easy_init();
    a->parser = gwxml_parser_new(a->max_bytes);
    a->head_checked = false;
    a->early = GW_OK;
    a->early_err[0] = a->curl_err[0] = '\0';
    if (!a->h || !a->parser) {
        poll_end(a, GW_LOCAL_ERROR, "out of memory", NULL);
        return;
    }
    set_options(a);
    if (curlm_add(gw.curlm, a->h, on_done, a) < 0) {
        poll_end(a, GW_LOCAL_ERROR, "libcurl refused the transfer", NULL);
        return;
    }
    a->state = GP_FETCHING;
    a->started_us = mxw_now_us();
    log_debug("gateway", "poll started appliance=%s url=%s", a->name, a->url);
}

/* ---- appliances and configuration ---- */

static void appliance_free(struct appliance *a)
{
    poll_release(a);
    store_gateway_view_unref(a->view);
    free(a->username);
    free(a->ca_file);
    explicit_bzero(a->password, sizeof a->password);
    free(a);
}

static char *strdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Takes the settings of g (copies: the config goes away on the next reload) and reads the
 * password file again. A poll in flight keeps libcurl's copies of the old settings. */
static void appliance_configure(struct appliance *a, const struct gateway_config *g)
{
    char err[STORE_GATEWAY_ERROR_MAX];
    free(a->username);
    free(a->ca_file);
    a->username = strdup_or_null(g->username);
    a->ca_file = strdup_or_null(g->ca_file);
    a->insecure = g->insecure_skip_verify;
    a->timeout_ms = g->timeout_ms;
    a->max_bytes = g->max_bytes;
    a->setup = GW_OK;
    explicit_bzero(a->password, sizeof a->password);
    if (gateway_status_url(g->url, a->url, sizeof a->url, err, sizeof err) < 0)
        a->setup = GW_LOCAL_ERROR;
    else if (g->password_file && gateway_read_password(g->password_file, a->password,
                                                       sizeof a->password, err, sizeof err) < 0)
        a->setup = GW_PASSWORD_FILE;
    if (a->setup != GW_OK)
        mxw_strlcpy(a->setup_err, err, sizeof a->setup_err);
    if (a->interval_ms != g->interval_ms && a->last_turn_ms)
        a->next_due_ms = a->last_turn_ms + g->interval_ms;
    a->interval_ms = g->interval_ms;
    if (g->interval_ms < GATEWAY_ADVISED_MS)
        log_warn("gateway",
                 "polling more often than once a minute, against the vendor's advice "
                 "appliance=%s interval_seconds=%.3f",
                 a->name, (double)g->interval_ms / 1000);
    if (a->insecure)
        log_warn("gateway", "TLS certificate verification is off appliance=%s", a->name);
}

static struct appliance *appliance_new(const char *name)
{
    struct appliance *a = xcalloc(1, sizeof *a);
    mxw_strlcpy(a->name, name, sizeof a->name);
    a->view = store_gateway_view_new(name);
    a->next_due_ms = mxw_now_ms();
    return a;
}

/* Takes the appliance of that name out of old[0..n), or NULL. */
static struct appliance *take(struct appliance **old, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (old[i] && !strcmp(old[i]->name, name)) {
            struct appliance *a = old[i];
            old[i] = NULL;
            return a;
        }
    }
    return NULL;
}

/* Makes the appliances those of cfg: kept ones (same name) keep their figures and their
 * poll in flight, new ones are due now, gone ones are cancelled. */
static void apply_config(const struct config *cfg)
{
    struct appliance **old = gw.a;
    size_t n_old = gw.n;
    gw.a = xcalloc(cfg->n_gateways ? cfg->n_gateways : 1, sizeof *gw.a);
    gw.n = cfg->n_gateways;
    for (size_t i = 0; i < cfg->n_gateways; i++) {
        const struct gateway_config *g = &cfg->gateways[i];
        struct appliance *a = take(old, n_old, g->name);
        gw.a[i] = a ? a : appliance_new(g->name);
        appliance_configure(gw.a[i], g);
    }
    for (size_t i = 0; i < n_old; i++)
        if (old[i])
            appliance_free(old[i]);
    free(old);
    publish_views();
}

/* ---- source_ops ---- */

static bool gw_enabled(const struct config *cfg)
{
    return cfg->n_gateways > 0;
}

static int gw_start(const struct source_env *env, const struct config *cfg, char *err,
                    size_t errlen)
{
    (void)err, (void)errlen;
    gw.loop = env->loop;
    gw.curlm = env->curlm;
    apply_config(cfg);
    log_info("gateway", "polling appliances count=%zu", gw.n);
    return 0;
}

static int64_t gw_collect(struct loop *l)
{
    (void)l;
    int64_t now = mxw_now_ms(), wait = TICK_MAX_MS;
    if (!gw.curlm)
        return wait;
    for (size_t i = 0; i < gw.n; i++) {
        struct appliance *a = gw.a[i];
        if (now >= a->next_due_ms) {
            a->last_turn_ms = now;
            if (a->state == GP_IDLE)
                poll_start(a);
            else
                log_debug("gateway", "previous poll still running, skipping a turn appliance=%s",
                          a->name);
            a->next_due_ms += a->interval_ms;
            if (a->next_due_ms <= now)
                a->next_due_ms = now + a->interval_ms;
        }
        if (a->next_due_ms - now < wait)
            wait = a->next_due_ms - now;
    }
    return wait;
}

static void gw_reload(const struct config *cfg)
{
    if (gw.curlm)
        apply_config(cfg);
}

static void gw_stop(void)
{
    for (size_t i = 0; i < gw.n; i++)
        appliance_free(gw.a[i]);
    free(gw.a);
    gw.a = NULL;
    gw.n = 0;
    store_set_gateways(NULL, 0);
    gw.curlm = NULL;
}

const struct source_ops gateway_source = {
    .name = SOURCE_NAME,
    .enabled = gw_enabled,
    .start = gw_start,
    .collect = gw_collect,
    .reload = gw_reload,
    .stop = gw_stop,
};
