/*
 * web.c - the HTTP server on libmicrohttpd (web.h). libmicrohttpd runs its own thread with
 * epoll; every request is answered from the store's latest snapshot, so a scrape never
 * waits on a probe and a slow client never delays one. Who may hold a connection and how long
 * its header may take is webconn.c's; bcrypt runs on authq.c's thread, never on this one.
 *
 * Threads: web_listen, web_start, web_stop on the main thread; everything else on the HTTP
 * thread. The settings the HTTP thread needs are copied at start (the loop owns the config).
 */
#include "web.h"

#include "hostport.h"
#include "xalloc.h"

#include "admin.h"
#include "api.h"
#include "authq.h"
#include "log.h"
#include "routes.h"
#include "ui.h"
#include "util.h"
#include "webauth.h"
#include "webconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define GZIP_MIN_BYTES 1024 /* smaller bodies are not worth compressing */

struct route {
    const char *method;
    const char *path;
    bool prefix; /* path is a prefix: "/api/v1/destinations/" */
    http_handler *fn;
};

static const struct route routes[] = {
    {"GET", "/metrics", false, web_handle_metrics},
    {"GET", "/-/healthy", false, web_handle_healthy},
    {"GET", "/-/ready", false, web_handle_ready},
    {"POST", "/-/reload", false, admin_handle_reload},
    {"PUT", "/-/reload", false, admin_handle_reload},
    {"GET", API_LIST_PATH, false, api_handle_destinations},
    {"GET", API_DEST_PREFIX, true, api_handle_destination},
    {"GET", API_DEBUG_PREFIX, true, api_handle_debug},
    {"GET", UI_TOPHOSTS_PATH, false, ui_handle_tophosts},
    {"POST", ADMIN_DELIVERNOW_PATH, false, admin_handle_delivernow},
    {"GET", ADMIN_JOB_PREFIX, true, admin_handle_job},
    {"GET", UI_DEST_PREFIX, true, ui_handle_destination},
    {"GET", UI_STATIC_PREFIX, true, ui_handle_static},
    {"GET", "/", false, ui_handle_index},
};

static struct {
    struct MHD_Daemon *mhd;
    struct webauth *auth; /* NULL: no web config file, no TLS, no authentication */
    struct authq *authq;  /* the bcrypt worker, when there are basic-auth users */
    int listen_fd;        /* bound by web_listen; libmicrohttpd's (it closes it) once started */
    int listen_family;    /* AF_INET or AF_INET6 */
    char **hosts;         /* the Host header values answered (web_host_allowed); NULL: any */
    size_t n_hosts;
} web = {.listen_fd = -1};

/* Response bodies at 10,000 destinations are tens of megabytes, and a fresh buffer costs a
 * page fault per 4 KiB: about as much as rendering the metrics. So one spare body buffer
 * is kept with its pages mapped and reused; libmicrohttpd hands it back when it frees the
 * response (or gzip does, once it has compressed it). Its size is that of the largest
 * recent body. */
static struct {
    pthread_mutex_t lock;
    char *p;
    size_t cap;
} spare = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void body_take(struct buf *b)
{
    pthread_mutex_lock(&spare.lock);
    if (spare.p) {
        b->p = spare.p;
        b->cap = spare.cap;
        b->len = 0;
        b->p[0] = '\0';
        spare.p = NULL;
    }
    pthread_mutex_unlock(&spare.lock);
}

/* The free callback of every response body: keeps the larger of it and the spare. */
static void body_give(void *p)
{
    size_t cap = malloc_usable_size(p);
    pthread_mutex_lock(&spare.lock);
    if (!spare.p || cap > spare.cap) {
        char *old = spare.p;
        spare.p = p;
        spare.cap = cap;
        p = old;
    }
    pthread_mutex_unlock(&spare.lock);
    free(p);
}

/* Where a request's password check stands (authq.h). */
enum check_state { CHECK_NONE, CHECK_WAITING, CHECK_DONE };

/* Per-request state: the POST body as it arrives, and the password check. */
struct req_state {
    struct buf body;
    struct MHD_Connection *conn;
    enum check_state check; /* CHECK_WAITING: suspended until the worker answers */
    enum authq_result result;
    struct webauth_pending pend;
    bool too_large;
    bool bad_framing; /* Content-Length headers that disagree, or with Transfer-Encoding */
    bool responded;   /* a response is queued: ignore whatever else arrives */
    bool good;        /* answered below 400: the client earns good standing (webconn.h) */
};

void web_handle_healthy(const struct http_request *rq, const struct snapshot *snap,
                        struct http_response *rs)
{
    (void)rq;
    (void)snap;
    rs->content_type = "text/plain; charset=utf-8";
    buf_puts(&rs->body, "mxwatch is healthy.\n");
}

void web_handle_ready(const struct http_request *rq, const struct snapshot *snap,
                      struct http_response *rs)
{
    (void)rq;
    rs->content_type = "text/plain; charset=utf-8";
    if (snap && snap->agent.first_round_done) {
        buf_puts(&rs->body, "mxwatch is ready.\n");
    } else {
        rs->status = 503;
        buf_puts(&rs->body, "mxwatch is not ready: the first probe round is not finished.\n");
    }
}

static const struct route *find_route(const char *method, const char *path, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < MXW_ARRAY_LEN(routes); i++) {
        const struct route *r = &routes[i];
        bool match = r->prefix ? !strncmp(path, r->path, strlen(r->path)) : !strcmp(path, r->path);
        if (!match)
            continue;
        *path_known = true;
        if (!strcmp(method, r->method) || (!strcmp(method, "HEAD") && !strcmp(r->method, "GET")))
            return r;
    }
    return NULL;
}

/* Whether an Accept-Encoding value allows gzip: "gzip" (or "x-gzip", or "*" when gzip is
 * not named) with a q-value above 0 (RFC 9110 12.5.3). Only the first 256 bytes count. */
bool web_accepts_gzip(const char *ae)
{
    char copy[256], *save = NULL;
    int named = -1, star = -1; /* -1 absent, 0 refused (q=0), 1 accepted */
    if (!ae)
        return false;
    mxw_strlcpy(copy, ae, sizeof copy);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *params = strchr(tok, ';');
        if (params)
            *params++ = '\0';
        tok += strspn(tok, " \t");
        tok[strcspn(tok, " \t")] = '\0';
        char *q = params ? strstr(params, "q=") : NULL;
        int ok = !q || strtod(q + 2, NULL) > 0;
        if (!strcasecmp(tok, "gzip") || !strcasecmp(tok, "x-gzip"))
            named = named == 1 ? 1 : ok;
        else if (!strcmp(tok, "*"))
            star = ok;
    }
    return named >= 0 ? named == 1 : star == 1;
}

static bool wants_gzip(struct MHD_Connection *c)
{
    return web_accepts_gzip(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding"));
}

/* Compresses src into a gzip member. Returns NULL on failure (then send uncompressed). */
static char *gzip_body(const char *src, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static void add_extra_headers(struct MHD_Response *r, char *lines)
{
    char *save = NULL;
    for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        MHD_add_response_header(r, line, colon + 1 + (colon[1] == ' '));
    }
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct http_response *rs)
{
    size_t len;
    char *body = buf_steal(&rs->body, &len);
    bool gz = false;
    if (!rs->no_gzip && len >= GZIP_MIN_BYTES && wants_gzip(c)) {
        size_t zlen;
        char *z = gzip_body(body, len, &zlen);
        if (z) {
            body_give(body);
            body = z;
            len = zlen;
            gz = true;
        }
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(len, body, body_give);
    if (!r) {
        body_give(body);
        return MHD_NO; /* out of memory: MHD closes the connection */
    }
    MHD_add_response_header(r, "Content-Type",
                            rs->content_type ? rs->content_type : "text/plain; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    add_extra_headers(r, rs->extra_headers);
    webauth_add_headers(web.auth, r);
    enum MHD_Result ret = MHD_queue_response(c, rs->status ? rs->status : 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* The name part of a Host value or an allowed entry ("[::1]" of "[::1]:9725") and its port
 * (NULL when none is given). */
static size_t host_name_len(const char *h, const char **port)
{
    const char *colon = h[0] == '[' ? strchr(h, ']') : strchr(h, ':');
    if (h[0] == '[' && colon)
        colon = colon[1] == ':' ? colon + 1 : NULL;
    else if (colon && strchr(colon + 1, ':'))
        colon = NULL; /* a bare IPv6 address, no port */
    *port = colon ? colon + 1 : NULL;
    return colon ? (size_t)(colon - h) : strlen(h);
}

bool web_host_allowed(const char *host, char *const *allowed, size_t n)
{
    if (!allowed || !host)
        return true; /* no check, or HTTP/1.0 without Host: not a browser's rebound request */
    const char *hport;
    size_t hlen = host_name_len(host, &hport);
    for (size_t i = 0; i < n; i++) {
        const char *aport;
        size_t alen = host_name_len(allowed[i], &aport);
        if (!strcmp(allowed[i], "*"))
            return true;
        if (alen == hlen && !strncasecmp(allowed[i], host, hlen) &&
            (!aport || (hport && !strcmp(aport, hport))))
            return true;
    }
    return false;
}

struct framing {
    const char *length; /* the first Content-Length */
    bool conflict;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (strcasecmp(key, "Content-Length"))
        return MHD_YES;
    if (f->length)
        f->conflict |= strcmp(f->length, value ? value : "") != 0;
    else
        f->length = value ? value : "";
    return MHD_YES;
}

/* Whether the request's length is ambiguous: Content-Length headers that disagree, or one
 * beside Transfer-Encoding (RFC 9112 6.3). libmicrohttpd 0.9.75 takes the first
 * Content-Length and reads the rest of the body as the next request (smuggling), so the
 * server refuses these and closes the connection. */
static bool bad_framing(struct MHD_Connection *c)
{
    struct framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
    if (f.length && MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding"))
        f.conflict = true;
    return f.conflict;
}

/* The worker's answer (authq thread): the connection runs again and dispatch reads it. */
static void on_checked(void *arg, enum authq_result r)
{
    struct req_state *st = arg;
    st->result = r;
    st->check = CHECK_DONE;
    MHD_resume_connection(st->conn);
}

enum auth_outcome { AUTH_GO, AUTH_REFUSED, AUTH_BUSY, AUTH_SUSPENDED };

/* Basic auth without bcrypt on this thread: remembered credentials pass at once; others
 * suspend the connection (it holds no thread) until the worker has checked them, and the
 * resumed request comes back here with the answer. */
static enum auth_outcome authenticate(struct MHD_Connection *c, struct http_request *rq,
                                      struct req_state *st)
{
    if (st->check == CHECK_DONE) {
        st->check = CHECK_NONE;
        if (st->result == AUTHQ_BUSY)
            return AUTH_BUSY;
        bool ok = webauth_finish(web.auth, &st->pend, st->result == AUTHQ_OK);
        rq->user = st->pend.user;
        return ok ? AUTH_GO : AUTH_REFUSED;
    }
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    enum webauth_verdict v =
        webauth_begin(web.auth, user, pass, ci ? ci->client_addr : NULL, &st->pend);
    enum auth_outcome out = v == WEBAUTH_PASS ? AUTH_GO : AUTH_REFUSED;
    if (v == WEBAUTH_PASS)
        rq->user = st->pend.user;
    if (v == WEBAUTH_CHECK && pass && strlen(pass) > AUTHQ_PASS_MAX) {
        webauth_finish(web.auth, &st->pend, false);
    } else if (v == WEBAUTH_CHECK) {
        out = AUTH_SUSPENDED;
        st->conn = c;
        st->check = CHECK_WAITING;
        MHD_suspend_connection(c);
        if (authq_submit(web.authq, pass ? pass : "", st->pend.hash, st->pend.fails, on_checked,
                         st) < 0)
            on_checked(st, AUTHQ_BUSY);
    }
    if (pass)
        OPENSSL_cleanse(pass, strlen(pass));
    MHD_free(user);
    MHD_free(pass);
    return out;
}

static enum MHD_Result dispatch(struct MHD_Connection *c, const char *method, const char *url,
                                struct req_state *st)
{
    struct http_request rq = {.method = method, .path = url, .conn = c};
    if (st->body.len) {
        rq.body = st->body.p;
        rq.body_len = st->body.len;
    }
    /* The delivernow bearer token is a credential of its own (admin.h). */
    if (admin_bearer(&rq)) {
        rq.user = "token";
        rq.auth_admin = true;
    }
    /* Framing and Host first (they say nothing about the routes); then credentials, as the
     * exporter-toolkit does: without them every path is a 401, so nothing leaks. */
    enum auth_outcome auth = AUTH_GO;
    bool host_ok = web_host_allowed(http_header(&rq, "Host"), web.hosts, web.n_hosts);
    if (!st->bad_framing && host_ok && !st->too_large && web.auth && !rq.auth_admin)
        auth = authenticate(c, &rq, st);
    if (auth == AUTH_SUSPENDED)
        return MHD_YES; /* on_checked resumes it, and libmicrohttpd calls on_request again */
    struct http_response rs = {.status = 200};
    body_take(&rs.body);
    bool known;
    const struct route *r = find_route(method, url, &known);
    if (st->bad_framing) {
        http_error(&rs, 400, "conflicting Content-Length or Transfer-Encoding headers");
        http_add_header(&rs, "Connection", "close");
    } else if (!host_ok) {
        http_error(&rs, 421, "this server does not answer for that Host (web.allowed_hosts)");
    } else if (st->too_large) {
        http_error(&rs, 413, "request body too large");
    } else if (auth == AUTH_REFUSED) {
        webauth_refuse(&rs);
    } else if (auth == AUTH_BUSY) {
        http_error(&rs, 429, "too many password checks waiting; try again");
        http_add_header(&rs, "Retry-After", "1");
    } else if (!r) {
        http_error(&rs, known ? 405 : 404, known ? "method not allowed" : "not found");
    } else {
        const struct snapshot *snap = store_snapshot_acquire();
        admin_identify(&rq);
        r->fn(&rq, snap, &rs);
        store_snapshot_release(snap);
    }
    st->good = rs.status < 400;
    enum MHD_Result ret = send_response(c, &rs);
    buf_free(&rs.body);
    st->responded = true;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct req_state *st = *con_cls;
    if (st && st->responded) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!st) {
        st = xcalloc(1, sizeof *st);
        *con_cls = st;
        webconn_request_started(c);
        if (bad_framing(c)) {
            st->bad_framing = true;
            return dispatch(c, method, url, st);
        }
        /* A declared body above the bound is refused before a byte of it is read. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
            st->too_large = true;
            return dispatch(c, method, url, st);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* A chunked body past the bound: libmicrohttpd cannot answer in the middle of an
         * upload, and reading on would let a client stream for ever, so close. */
        if (st->body.len + *upload_size > HTTP_BODY_MAX)
            return MHD_NO;
        buf_append(&st->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(c, method, url, st);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct req_state *st = *con_cls;
    webconn_request_done(c, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && st && st->good);
    if (st) {
        buf_free(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("web", "libmicrohttpd: %s", msg);
}

/* Resolves the listen address into a sockaddr; an empty host or "::" means every IPv4 and
 * IPv6 address (dual stack, as Go's listeners do for the exporters this one sits beside). */
static int listen_sockaddr(const char *addr, struct sockaddr_storage *ss, bool *dual, char *err,
                           size_t errlen)
{
    char host[128];
    unsigned port;
    memset(ss, 0, sizeof *ss);
    *dual = false;
    if (hostport_split(addr, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "web.listen_address '%s': expected host:port, [v6]:port or :port",
                 addr);
        return -1;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (host[0] == '\0' || !strcmp(host, "::")) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        v6->sin6_addr = in6addr_any;
        *dual = true;
    } else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
    } else if (!strcmp(host, "localhost")) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        snprintf(err, errlen, "web.listen_address '%s': host must be an IP address", addr);
        return -1;
    }
    return 0;
}

static struct MHD_Daemon *start_mhd(unsigned flags, const struct config *cfg)
{
    struct MHD_OptionItem tls_opts[WEBAUTH_TLS_OPTIONS_MAX];
    webauth_tls_options(web.auth, tls_opts);
    /* The idle timeout in whole seconds, rounded up: a client that sends nothing for that
     * long loses its slot. The header deadline and the limits per client and in total are
     * webconn's (webconn.h): libmicrohttpd's total sits above them so it never stops
     * accepting, and it keeps no per-address limit of its own. */
    unsigned timeout_s = (unsigned)((cfg->web_timeout_ms + 999) / 1000);
    return MHD_start_daemon(
        flags, 0, webconn_accept, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_LISTEN_SOCKET, web.listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        webconn_mhd_limit(), MHD_OPTION_CONNECTION_TIMEOUT, timeout_s ? timeout_s : 1,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, webconn_notify, NULL, MHD_OPTION_ARRAY,
        tls_opts, MHD_OPTION_END);
}

/* A listening socket on sa (dual stack: IPv6 that also takes IPv4), or -1 with errno. */
static int bind_listener(const struct sockaddr_storage *ss, bool dual)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int on = 1, v6only = !dual;
    socklen_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        (ss->ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) ||
        bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int web_listen(const struct config *cfg, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    bool dual;
    if (listen_sockaddr(cfg->web_listen_address, &ss, &dual, err, errlen) < 0)
        return -1;
    web.listen_family = ss.ss_family;
    web.listen_fd = bind_listener(&ss, dual);
    if (web.listen_fd < 0 && dual) {
        /* A host without IPv6 still gets every IPv4 address. */
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
        memset(&ss, 0, sizeof ss);
        v4->sin_family = AF_INET;
        v4->sin_port = port;
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        web.listen_family = AF_INET;
        web.listen_fd = bind_listener(&ss, false);
        if (web.listen_fd >= 0)
            log_warn("web", "IPv6 is not available, listening on IPv4 only address=%s",
                     cfg->web_listen_address);
    }
    if (web.listen_fd < 0) {
        snprintf(err, errlen, "web: cannot listen on %s: %s", cfg->web_listen_address,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void web_unlisten(void)
{
    if (web.listen_fd >= 0)
        close(web.listen_fd);
    web.listen_fd = -1;
}

int web_check(const struct config *cfg, char *err, size_t errlen)
{
    struct webauth *auth = NULL;
    if (cfg->web_config_file && cfg->web_config_file[0]) {
        auth = webauth_load(cfg->web_config_file, err, errlen);
        if (!auth)
            return -1;
    }
    int rc = admin_check(cfg, auth, err, errlen);
    webauth_free(auth);
    return rc;
}

static void free_hosts(void)
{
    for (size_t i = 0; i < web.n_hosts; i++)
        free(web.hosts[i]);
    free(web.hosts);
    web.hosts = NULL;
    web.n_hosts = 0;
}

static void add_host(const char *name, bool v6, unsigned port)
{
    char h[300];
    snprintf(h, sizeof h, v6 ? "[%s]:%u" : "%s:%u", name, port);
    web.hosts[web.n_hosts++] = xstrdup(h);
}

/* web.allowed_hosts, or when none is given and the listener is loopback-only (127.0.0.0/8,
 * ::1, localhost) the names a local browser uses for it, with its port: a page whose name
 * was rebound to 127.0.0.1 sends its own name as Host and is refused. */
static void set_allowed_hosts(const struct config *cfg)
{
    char host[128];
    unsigned port = 0;
    struct in6_addr a6;
    struct in_addr a4;
    free_hosts();
    if (cfg->n_web_allowed_hosts) {
        web.hosts = xcalloc(cfg->n_web_allowed_hosts, sizeof *web.hosts);
        for (size_t i = 0; web.hosts && i < cfg->n_web_allowed_hosts; i++)
            web.hosts[web.n_hosts++] = xstrdup(cfg->web_allowed_hosts[i]);
        return;
    }
    if (hostport_split(cfg->web_listen_address, host, sizeof host, &port) < 0)
        return;
    bool v4 = inet_pton(AF_INET, host, &a4) == 1, v6 = inet_pton(AF_INET6, host, &a6) == 1;
    bool loopback = !strcmp(host, "localhost") || (v4 && (ntohl(a4.s_addr) >> 24) == 127) ||
                    (v6 && IN6_IS_ADDR_LOOPBACK(&a6));
    if (!loopback || !(web.hosts = xcalloc(4, sizeof *web.hosts)))
        return;
    add_host("localhost", false, port);
    add_host("127.0.0.1", false, port);
    add_host("::1", true, port);
    if (strcmp(host, "localhost") && strcmp(host, "127.0.0.1") && strcmp(host, "::1"))
        add_host(host, v6, port);
}

/* Frees what web_start set up, after the server (if it ran) has stopped. */
static void unwind(void)
{
    webconn_stop();
    authq_free(web.authq);
    web.authq = NULL;
    free_hosts();
    webauth_free(web.auth);
    web.auth = NULL;
    admin_reset();
}

int web_start(const struct config *cfg, const struct http_actions *act, char *err, size_t errlen)
{
    if (web.listen_fd < 0) {
        snprintf(err, errlen, "web: no listener (web_listen first)");
        return -1;
    }
    if (cfg->web_config_file && cfg->web_config_file[0]) {
        web.auth = webauth_load(cfg->web_config_file, err, errlen);
        if (!web.auth)
            return -1;
    }
    if (admin_configure(cfg, web.auth, act, err, errlen) < 0) {
        webauth_free(web.auth);
        web.auth = NULL;
        return -1;
    }
    set_allowed_hosts(cfg);
    if (webauth_users(web.auth) && !(web.authq = authq_start())) {
        snprintf(err, errlen, "web: cannot start the password checker thread");
        unwind();
        return -1;
    }
    struct webconn_limits lim = {.max_connections = cfg->web_max_connections,
                                 .per_client = cfg->web_max_connections_per_ip,
                                 .header_ms = cfg->web_timeout_ms};
    if (webconn_start(&lim, err, errlen) < 0) {
        unwind();
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (webauth_tls(web.auth))
        flags |= MHD_USE_TLS;
    if (web.listen_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    web.mhd = start_mhd(flags, cfg);
    if (!web.mhd) {
        snprintf(err, errlen, "web: cannot serve on %s", cfg->web_listen_address);
        unwind();
        return -1;
    }
    web.listen_fd = -1; /* libmicrohttpd's now: MHD_stop_daemon closes it */
    log_info("web", "listening address=%s tls=%s auth=%s allowed_hosts=%s", cfg->web_listen_address,
             webauth_tls(web.auth) ? "on" : "off", webauth_users(web.auth) ? "basic" : "none",
             web.hosts ? "checked" : "any");
    return 0;
}

/* The checker first: it answers every suspended request, which libmicrohttpd must have
 * resumed before it stops; it is freed only once no request can reach it. */
void web_stop(void)
{
    authq_stop(web.authq);
    if (web.mhd)
        MHD_stop_daemon(web.mhd);
    web.mhd = NULL;
    unwind();
    pthread_mutex_lock(&spare.lock);
    free(spare.p);
    spare.p = NULL;
    pthread_mutex_unlock(&spare.lock);
}
