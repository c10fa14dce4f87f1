/*
 * admin.c - the admin role and the delivernow endpoints (admin.h). The settings are copied
 * on the main thread before the HTTP thread starts and only read afterwards. Handlers run
 * on the HTTP thread; they number a job, hand it to the daemon's delivernow action (which
 * posts it to the loop) and answer at once, never running a command or waiting for the
 * loop. A job's state is read back from the snapshot; the few jobs handed over but not yet
 * published are remembered here as queued. Refusals at the door are logged with who asked
 * and why; the rest are logged by the loop with the job id.
 */
#include "admin.h"

#include "expfmt.h"
#include "log.h"
#include "routes.h"
#include "util.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIGEST_LEN  32 /* SHA-256 */
#define PENDING_MAX 64 /* jobs handed to the loop, remembered until a snapshot shows them */
#define MXW_STR_(x) #x
#define MXW_STR(x)  MXW_STR_(x)

static struct {
    struct http_actions act;
    bool enabled;
    bool lifecycle;     /* --web.enable-lifecycle */
    bool auth_required; /* basic-auth users or a token: the lifecycle needs the admin role */
    char **users;
    size_t n_users;
    bool have_token;
    unsigned char token_digest[DIGEST_LEN];
    pthread_mutex_t lock; /* guards pending: every HTTP thread may hand over jobs */
    struct delivernow_job pending[PENDING_MAX]; /* a ring, by next_pending */
    size_t next_pending;
} adm = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void digest(const char *s, size_t n, unsigned char *out)
{
    EVP_Digest(s, n, out, NULL, EVP_sha256(), NULL);
}

/* Reads the token, the file's content without surrounding white space, into its digest. */
static int read_token(const char *path, unsigned char *out, char *err, size_t errlen)
{
    char buf[ADMIN_TOKEN_MAX + 3]; /* the token, a CR LF, the NUL */
    size_t n;
    if (mxw_read_bounded(path, buf, sizeof buf, &n) < 0 && errno != EFBIG) {
        snprintf(err, errlen, "web.delivernow.token_file %s: cannot open: %s", path,
                 strerror(errno));
        return -1;
    }
    char *s = buf;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    int rc = 0;
    if (n > ADMIN_TOKEN_MAX || n < ADMIN_TOKEN_MIN || memchr(s, '\n', n)) {
        snprintf(err, errlen,
                 "web.delivernow.token_file %s: the token must be one line of %d to %d "
                 "characters (e.g. openssl rand -hex 32)",
                 path, ADMIN_TOKEN_MIN, ADMIN_TOKEN_MAX);
        rc = -1;
    } else {
        digest(s, n, out);
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* Every admin user is a basic-auth user, and the token file holds a token (its digest
 * into digest, when not NULL). 0, or -1 with err. */
static int check(const struct config *cfg, const struct webauth *auth, unsigned char *digest,
                 char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_delivernow_users; i++) {
        const char *u = cfg->delivernow_users[i];
        if (!webauth_has_user(auth, u)) {
            snprintf(err, errlen,
                     "web.delivernow.admin_users: '%s' is not a basic_auth user of the web "
                     "config file",
                     u);
            return -1;
        }
    }
    unsigned char scratch[DIGEST_LEN];
    if (cfg->delivernow_token_file && cfg->delivernow_token_file[0])
        return read_token(cfg->delivernow_token_file, digest ? digest : scratch, err, errlen);
    return 0;
}

int admin_check(const struct config *cfg, const struct webauth *auth, char *err, size_t errlen)
{
    return check(cfg, auth, NULL, err, errlen);
}

int admin_configure(const struct config *cfg, const struct webauth *auth,
                    const struct http_actions *act, char *err, size_t errlen)
{
    admin_reset();
    if (check(cfg, auth, adm.token_digest, err, errlen) < 0)
        return -1;
    adm.have_token = cfg->delivernow_token_file && cfg->delivernow_token_file[0];
    adm.act = *act;
    adm.enabled = cfg->delivernow_enabled;
    adm.lifecycle = cfg->web_enable_lifecycle;
    adm.auth_required = webauth_users(auth) > 0 || adm.have_token;
    adm.users = xcalloc(cfg->n_delivernow_users + 1, sizeof *adm.users);
    for (size_t i = 0; adm.users && i < cfg->n_delivernow_users; i++)
        adm.users[adm.n_users++] = xstrdup(cfg->delivernow_users[i]);
    return 0;
}

void admin_reset(void)
{
    for (size_t i = 0; i < adm.n_users; i++)
        free(adm.users[i]);
    free(adm.users);
    OPENSSL_cleanse(&adm, sizeof adm);
    adm.lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
}

const char *admin_bearer_token(const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    return authorization + 7 + strspn(authorization + 7, " ");
}

bool admin_bearer(const struct http_request *rq)
{
    const char *t = adm.have_token ? admin_bearer_token(http_header(rq, "Authorization")) : NULL;
    if (!t)
        return false;
    unsigned char given[DIGEST_LEN];
    digest(t, strlen(t), given);
    return CRYPTO_memcmp(given, adm.token_digest, DIGEST_LEN) == 0;
}

void admin_identify(struct http_request *rq)
{
    for (size_t i = 0; rq->user && !rq->auth_admin && i < adm.n_users; i++)
        if (!strcmp(adm.users[i], rq->user))
            rq->auth_admin = true;
}

bool admin_may_retry(const struct http_request *rq)
{
    return adm.enabled && rq->auth_admin;
}

/* ---- pure checks ---- */

static bool is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';');
}

/* The host[:port] of an origin "scheme://host[:port]". */
static const char *origin_host(const char *origin)
{
    const char *p = strstr(origin, "://");
    return p ? p + 3 : NULL;
}

unsigned admin_check_cross_site(const char *origin, const char *fetch_site, const char *host,
                                char *why, size_t cap)
{
    if (fetch_site && strcmp(fetch_site, "same-origin") && strcmp(fetch_site, "none")) {
        snprintf(why, cap, "cross-site request refused (Sec-Fetch-Site: %.40s)", fetch_site);
        return 403;
    }
    if (origin) {
        const char *oh = origin_host(origin);
        if (!oh || !host || strcasecmp(oh, host)) {
            snprintf(why, cap, "cross-origin request refused (Origin is not this server)");
            return 403;
        }
    }
    return 0;
}

unsigned admin_check_forgery(const char *content_type, const char *marker, const char *origin,
                             const char *fetch_site, const char *host, char *why, size_t cap)
{
    if (!marker || !*marker) {
        snprintf(why, cap, "the %s header is required", ADMIN_REQUEST_HEADER);
        return 403;
    }
    unsigned st = admin_check_cross_site(origin, fetch_site, host, why, cap);
    if (st)
        return st;
    if (!is_json(content_type)) {
        snprintf(why, cap, "the body must be application/json");
        return 415;
    }
    return 0;
}

/* The content types an HTML form can send without a CORS preflight. */
static bool is_form(const char *ct)
{
    static const char *const forms[] = {"application/x-www-form-urlencoded", "multipart/form-data",
                                        "text/plain"};
    for (size_t i = 0; ct && i < MXW_ARRAY_LEN(forms); i++)
        if (!strncasecmp(ct, forms[i], strlen(forms[i])))
            return true;
    return false;
}

unsigned admin_check_lifecycle(const char *content_type, const char *origin, const char *fetch_site,
                               const char *host, char *why, size_t cap)
{
    unsigned st = admin_check_cross_site(origin, fetch_site, host, why, cap);
    if (st)
        return st;
    if (is_form(content_type)) {
        snprintf(why, cap, "a form body is refused: POST without one (curl -X POST URL)");
        return 415;
    }
    return 0;
}

static int parse_fields(struct json_object *o, char *dest, size_t cap, bool *all, char *err,
                        size_t errlen)
{
    struct json_object *d = NULL, *a = NULL;
    bool has_d = json_object_object_get_ex(o, "destination", &d);
    bool has_a = json_object_object_get_ex(o, "all", &a);
    if (has_a && (!json_object_is_type(a, json_type_boolean) || !json_object_get_boolean(a))) {
        snprintf(err, errlen, "all must be true");
        return -1;
    }
    if (has_a == has_d) {
        snprintf(err, errlen, "give either destination or all: true");
        return -1;
    }
    *all = has_a;
    dest[0] = '\0';
    if (has_a)
        return 0;
    const char *s = json_object_is_type(d, json_type_string) ? json_object_get_string(d) : NULL;
    size_t n = s ? strlen(s) : 0;
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (!s || n == 0 || n >= cap || s[n - 1] == '.') { /* "a..": a dot stays after the drop */
        snprintf(err, errlen, "destination must be a domain name");
        return -1;
    }
    mxw_strncpy0(dest, cap, s, n);
    mxw_lower(dest);
    if (mxw_valid_domain(dest) < 0) {
        snprintf(err, errlen, "destination is not a valid domain name");
        return -1;
    }
    return 0;
}

int admin_parse_request(const char *body, size_t len, char *dest, size_t cap, bool *all, char *err,
                        size_t errlen)
{
    if (!body || len == 0) {
        snprintf(err, errlen, "empty body: send a destination, or all: true, as JSON");
        return -1;
    }
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
    bool whole = tok && json_tokener_get_error(tok) == json_tokener_success;
    if (tok)
        json_tokener_free(tok);
    int rc = -1;
    if (!whole || !json_object_is_type(o, json_type_object))
        snprintf(err, errlen, "the body is not a JSON object");
    else
        rc = parse_fields(o, dest, cap, all, err, errlen);
    json_object_put(o);
    return rc;
}

static void kv_time(struct buf *b, const char *k, double t)
{
    buf_printf(b, ",\"%s\":", k);
    if (t > 0)
        expfmt_json_double(b, t);
    else
        buf_puts(b, "null");
}

void admin_render_job(struct buf *b, const struct delivernow_job *j)
{
    buf_printf(b, "{\"id\":%llu,\"state\":\"%s\",\"trigger\":\"%s\",\"all\":%s,\"destination\":",
               (unsigned long long)j->id, delivernow_state_name(j->state),
               delivernow_trigger_name(j->trigger), j->all ? "true" : "false");
    if (j->all)
        buf_puts(b, "null");
    else
        expfmt_json_stringn(b, j->destination, sizeof j->destination);
    buf_puts(b, ",\"who\":");
    expfmt_json_stringn(b, j->who, sizeof j->who);
    kv_time(b, "requested", j->requested);
    kv_time(b, "finished", j->finished);
    buf_printf(b, ",\"messages\":%llu,\"rescheduled\":%llu,\"failed\":%llu,\"error\":",
               (unsigned long long)j->messages, (unsigned long long)j->rescheduled,
               (unsigned long long)j->failed);
    if (j->error[0])
        expfmt_json_stringn(b, j->error, sizeof j->error);
    else
        buf_puts(b, "null");
    buf_puts(b, "}");
}

/* ---- handlers ---- */

static void answer(struct http_response *rs, unsigned status, const char *error,
                   const struct delivernow_job *job)
{
    rs->status = status;
    rs->content_type = "application/json";
    rs->body.len = 0;
    http_add_header(rs, "Cache-Control", "no-store");
    buf_puts(&rs->body, "{");
    if (error) {
        buf_puts(&rs->body, "\"error\":");
        expfmt_json_string(&rs->body, error);
    }
    if (job) {
        buf_puts(&rs->body, error ? ",\"job\":" : "\"job\":");
        admin_render_job(&rs->body, job);
    }
    buf_puts(&rs->body, "}\n");
}

/* The user name for logs and the job: letters, digits and . _ @ - only. */
static void who_of(const struct http_request *rq, char *out, size_t cap)
{
    mxw_strlcpy(out, rq->user ? rq->user : "anonymous", cap);
    for (char *p = out; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._@-", *p))
            *p = '_';
}

/* Who may ask at all: 0, or the refusal already answered. */
static unsigned gate(const struct http_request *rq, struct http_response *rs, const char *who)
{
    const char *why = NULL;
    if (!adm.enabled)
        why = "delivernow is disabled (web.delivernow.enabled)";
    else if (!rq->auth_admin)
        why = "not allowed: delivernow needs a user in web.delivernow.admin_users or the "
              "bearer token";
    if (!why)
        return 0;
    log_warn("delivernow", "refused who=%s status=403 error=\"%s\"", who, why);
    answer(rs, 403, why, NULL);
    return 403;
}

void admin_handle_delivernow(const struct http_request *rq, const struct snapshot *snap,
                             struct http_response *rs)
{
    (void)snap;
    char who[JOBS_WHO_MAX], why[160], dest[STORE_DOMAIN_MAX];
    who_of(rq, who, sizeof who);
    if (gate(rq, rs, who))
        return;
    unsigned st =
        admin_check_forgery(http_header(rq, "Content-Type"), http_header(rq, ADMIN_REQUEST_HEADER),
                            http_header(rq, "Origin"), http_header(rq, "Sec-Fetch-Site"),
                            http_header(rq, "Host"), why, sizeof why);
    bool all = false;
    if (!st &&
        admin_parse_request(rq->body, rq->body_len, dest, sizeof dest, &all, why, sizeof why) < 0)
        st = 400;
    if (st) {
        log_warn("delivernow", "refused who=%s status=%u error=\"%s\"", who, st, why);
        answer(rs, st, why, NULL);
        return;
    }
    struct delivernow_job job = {.id = jobs_next_id(), .all = all, .requested = mxw_wall_time()};
    mxw_strlcpy(job.destination, all ? "" : dest, sizeof job.destination);
    mxw_strlcpy(job.who, who, sizeof job.who);
    pthread_mutex_lock(&adm.lock);
    adm.pending[adm.next_pending++ % PENDING_MAX] = job;
    pthread_mutex_unlock(&adm.lock);
    if (!adm.act.delivernow ||
        adm.act.delivernow(adm.act.arg, job.id, all ? NULL : dest, who) < 0) {
        answer(rs, 503, "the agent is busy; try again", NULL);
        return;
    }
    char loc[64];
    snprintf(loc, sizeof loc, "%s%llu", ADMIN_JOB_PREFIX, (unsigned long long)job.id);
    answer(rs, 202, NULL, &job);
    http_add_header(rs, "Location", loc);
}

/* The job of that id: the snapshot's, or one handed to the loop and not published yet. */
static bool find_job(const struct snapshot *snap, uint64_t id, struct delivernow_job *out)
{
    const struct delivernow_job *j = snap ? store_snapshot_job(snap, id) : NULL;
    if (j) {
        *out = *j;
        return true;
    }
    pthread_mutex_lock(&adm.lock);
    for (size_t i = 0; i < PENDING_MAX && !j; i++)
        if (adm.pending[i].id == id)
            j = &adm.pending[i];
    if (j)
        *out = *j;
    pthread_mutex_unlock(&adm.lock);
    return j != NULL;
}

void admin_handle_job(const struct http_request *rq, const struct snapshot *snap,
                      struct http_response *rs)
{
    char who[JOBS_WHO_MAX];
    who_of(rq, who, sizeof who);
    if (gate(rq, rs, who))
        return;
    const char *s = rq->path + strlen(ADMIN_JOB_PREFIX);
    char *end;
    errno = 0;
    unsigned long long id = strtoull(s, &end, 10);
    struct delivernow_job job;
    if (*s && !*end && !errno && isdigit((unsigned char)*s) && find_job(snap, id, &job))
        answer(rs, 200, NULL, &job);
    else
        answer(rs, 404, "no such job (only the last " MXW_STR(JOBS_KEPT) " are kept)", NULL);
}

void admin_handle_reload(const struct http_request *rq, const struct snapshot *snap,
                         struct http_response *rs)
{
    (void)snap;
    char who[JOBS_WHO_MAX], why[160];
    who_of(rq, who, sizeof who);
    rs->content_type = "text/plain; charset=utf-8";
    http_add_header(rs, "Cache-Control", "no-store");
    unsigned st = 0;
    if (!adm.lifecycle) {
        st = 403;
        mxw_strlcpy(why, "Lifecycle API is not enabled (--web.enable-lifecycle)", sizeof why);
    } else if (adm.auth_required && !rq->auth_admin) {
        st = 403;
        mxw_strlcpy(why,
                    "not allowed: /-/reload needs a user in web.delivernow.admin_users "
                    "or the bearer token",
                    sizeof why);
    } else {
        st = admin_check_lifecycle(http_header(rq, "Content-Type"), http_header(rq, "Origin"),
                                   http_header(rq, "Sec-Fetch-Site"), http_header(rq, "Host"), why,
                                   sizeof why);
    }
    if (st) {
        log_warn("web", "reload refused who=%s status=%u error=\"%s\"", who, st, why);
        rs->status = st;
        buf_printf(&rs->body, "%s\n", why);
        return;
    }
    if (!adm.act.reload || adm.act.reload(adm.act.arg) < 0) {
        rs->status = 503;
        buf_puts(&rs->body, "the agent is busy; try again\n");
        return;
    }
    buf_puts(&rs->body, "reload requested; see mxwatch_config_last_reload_successful\n");
}
