/*
 * webauth.c - exporter-toolkit web config: TLS, basic auth and response headers
 * (webauth.h). Passwords are checked with the system's crypt (libxcrypt: bcrypt $2y$/$2b$
 * among others) and the result compared in constant time. Loaded on the main thread; the
 * cheap part of a check (remembered credentials) on the HTTP thread, bcrypt itself on the
 * password checker's thread (authq.c). Never logs; never keeps a password, only digests.
 */
#include "webauth.h"

#include "util.h"
#include "webconn.h"
#include "xalloc.h"

#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define DIGEST_LEN 32 /* SHA-256 */

struct webauth_user {
    char *name;
    char *hash;
};

/* A client address (IPv4, or the /64 of IPv6) that failed bcrypt checks recently. */
struct failing_client {
    unsigned char key[8];
    int64_t window_start_ms;
    unsigned fails;
};

/* The mutable part, under one lock: credentials that passed bcrypt, as digests (replaced
 * round-robin), and the addresses whose guessing is being throttled. */
struct auth_cache {
    pthread_mutex_t lock;
    unsigned char digest[WEBAUTH_CACHE_SLOTS][DIGEST_LEN];
    bool used[WEBAUTH_CACHE_SLOTS];
    size_t next;
    struct failing_client failing[WEBAUTH_THROTTLE_SLOTS];
};

struct webauth {
    char *dir; /* of the config file, for relative paths */
    char *cert_pem, *key_pem;
    char *priorities; /* GnuTLS priority string from min/max_version */
    int min_tls, max_tls;
    struct webauth_user users[WEBAUTH_USERS_MAX];
    size_t n_users;
    char *header_name[WEBAUTH_HEADERS_MAX], *header_value[WEBAUTH_HEADERS_MAX];
    size_t n_headers;
    struct auth_cache *cache;
};

/* Parsing context: the document and where errors point. */
struct wctx {
    struct webauth *a;
    yaml_document_t *doc;
    const char *path;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fault(struct wctx *c, const yaml_node_t *n,
                                                       const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%zu: %s", c->path, n ? n->start_mark.line + 1 : 0, msg);
    return -1;
}

static char *read_file(const char *path, size_t max, char *err, size_t errlen)
{
    char *buf = xmalloc(max + 1);
    size_t n;
    if (mxw_read_bounded(path, buf, max + 1, &n) == 0)
        return buf;
    if (errno == EFBIG)
        snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
    else
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    free(buf);
    return NULL;
}

static const char *scalar_of(yaml_document_t *d, int id)
{
    yaml_node_t *n = yaml_document_get_node(d, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static struct webauth_user *find_user(struct webauth *a, const char *name)
{
    for (size_t i = 0; i < a->n_users; i++)
        if (!strcmp(a->users[i].name, name))
            return &a->users[i];
    return NULL;
}

/* Reads a PEM file named in the config; a relative name is relative to the config's
 * directory, as in the toolkit. */
static char *read_pem(struct wctx *c, const yaml_node_t *n, const char *name)
{
    char full[4096], ferr[256];
    if (name[0] == '/')
        mxw_strlcpy(full, name, sizeof full);
    else
        snprintf(full, sizeof full, "%s/%s", c->a->dir, name);
    char *pem = read_file(full, WEBAUTH_FILE_MAX, ferr, sizeof ferr);
    if (!pem)
        fault(c, n, "tls_server_config: %s", ferr);
    return pem;
}

/* "TLS10".."TLS13" as 0..3, or -1. */
static int tls_version(const char *s)
{
    static const char *const names[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static int tls_key(struct wctx *c, const char *k, const char *v, yaml_node_t *vn)
{
    struct webauth *a = c->a;
    bool cert = !strcmp(k, "cert_file") || !strcmp(k, "cert");
    if (cert || !strcmp(k, "key_file") || !strcmp(k, "key")) {
        char **pem = cert ? &a->cert_pem : &a->key_pem;
        if (!v || *pem)
            return fault(c, vn, "tls_server_config.%s: a string, given once", k);
        *pem = strchr(k, '_') ? read_pem(c, vn, v) : xstrdup(v);
        return *pem ? 0 : -1;
    }
    if (!strcmp(k, "min_version") || !strcmp(k, "max_version")) {
        int ver = v ? tls_version(v) : -1;
        if (ver < 0)
            return fault(c, vn, "tls_server_config.%s: expected TLS10, TLS11, TLS12 or TLS13", k);
        if (!strcmp(k, "min_version"))
            a->min_tls = ver;
        else
            a->max_tls = ver;
        return 0;
    }
    if (!strcmp(k, "client_auth_type") && v && (!*v || !strcmp(v, "NoClientCert")))
        return 0;
    if ((!strcmp(k, "client_ca_file") && v && !*v) || !strcmp(k, "prefer_server_cipher_suites"))
        return 0; /* empty, or only a preference: nothing to enforce */
    return fault(c, vn,
                 "tls_server_config.%s: not supported by mxwatch (client certificates, cipher "
                 "and curve lists are refused rather than ignored)",
                 k);
}

static int load_tls(struct wctx *c, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return fault(c, v, "%s: expected a mapping", "tls_server_config");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = scalar_of(c->doc, p->key);
        if (!k || tls_key(c, k, scalar_of(c->doc, p->value),
                          yaml_document_get_node(c->doc, p->value)) < 0)
            return k ? -1 : fault(c, v, "%s: bad key", "tls_server_config");
    }
    return 0;
}

/* bcrypt only ($2a$, $2b$, $2y$, 60 characters), as the toolkit: a plain-text password
 * pasted by mistake must not be taken as a DES salt. */
static bool is_bcrypt(const char *h)
{
    return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$';
}

static int load_users(struct wctx *c, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return fault(c, v, "%s: expected a mapping of user: bcrypt hash", "basic_auth_users");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *u = scalar_of(c->doc, p->key), *h = scalar_of(c->doc, p->value);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        if (!u || !*u || !h)
            return fault(c, vn, "%s: bad entry", "basic_auth_users");
        if (c->a->n_users == WEBAUTH_USERS_MAX)
            return fault(c, vn, "basic_auth_users: more than %d users", WEBAUTH_USERS_MAX);
        if (find_user(c->a, u))
            return fault(c, vn, "basic_auth_users: user '%s' is listed twice", u);
        if (!is_bcrypt(h))
            return fault(c, vn, "basic_auth_users: the hash of '%s' is not bcrypt", u);
        struct webauth_user *wu = &c->a->users[c->a->n_users++];
        *wu = (struct webauth_user){.name = xstrdup(u), .hash = xstrdup(h)};
    }
    return 0;
}

static int load_http(struct wctx *c, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return fault(c, v, "%s: expected a mapping", "http_server_config");
    struct webauth *a = c->a;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = scalar_of(c->doc, p->key);
        yaml_node_t *hv = yaml_document_get_node(c->doc, p->value);
        if (k && !strcmp(k, "http2"))
            continue; /* libmicrohttpd speaks HTTP/1.1 only; Prometheus is fine with it */
        if (!k || strcmp(k, "headers") || hv->type != YAML_MAPPING_NODE)
            return fault(c, hv, "http_server_config.%s: not supported", k ? k : "?");
        for (yaml_node_pair_t *h = hv->data.mapping.pairs.start; h < hv->data.mapping.pairs.top;
             h++) {
            const char *hn = scalar_of(c->doc, h->key), *hval = scalar_of(c->doc, h->value);
            if (!hn || !hval || strpbrk(hn, ":\r\n") || strpbrk(hval, "\r\n"))
                return fault(c, hv, "http_server_config.headers: bad header%s", "");
            if (a->n_headers == WEBAUTH_HEADERS_MAX)
                return fault(c, hv, "http_server_config.headers: more than %d",
                             WEBAUTH_HEADERS_MAX);
            a->header_name[a->n_headers] = xstrdup(hn);
            a->header_value[a->n_headers++] = xstrdup(hval);
        }
    }
    return 0;
}

static int load_section(struct wctx *c, const char *key, yaml_node_t *v)
{
    if (!strcmp(key, "tls_server_config"))
        return load_tls(c, v);
    if (!strcmp(key, "basic_auth_users"))
        return load_users(c, v);
    if (!strcmp(key, "http_server_config"))
        return load_http(c, v);
    if (!strcmp(key, "mxwatch_admin_users"))
        return fault(c, v,
                     "mxwatch_admin_users: moved to the main configuration, "
                     "web.delivernow.admin_users%s",
                     "");
    return fault(c, v, "unknown key '%s'", key);
}

static int load_root(struct wctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root || (root->type == YAML_SCALAR_NODE && !root->data.scalar.length))
        return 0; /* an empty file: no TLS, no authentication */
    if (root->type != YAML_MAPPING_NODE)
        return fault(c, root, "%s", "expected a mapping at the top");
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        const char *k = scalar_of(c->doc, pr->key);
        if (!k)
            return fault(c, root, "%s", "a key is not a string");
        if (load_section(c, k, yaml_document_get_node(c->doc, pr->value)) < 0)
            return -1;
    }
    return 0;
}

/* "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3" for the configured range. */
static int tls_finish(struct webauth *a, const char *path, char *err, size_t errlen)
{
    if (!a->cert_pem != !a->key_pem) {
        snprintf(err, errlen, "%s: tls_server_config needs both a certificate and a key", path);
        return -1;
    }
    if (a->min_tls > a->max_tls) {
        snprintf(err, errlen, "%s: tls_server_config: min_version above max_version", path);
        return -1;
    }
    char prio[128] = "NORMAL:-VERS-ALL";
    for (int v = a->min_tls; v <= a->max_tls; v++)
        snprintf(prio + strlen(prio), sizeof prio - strlen(prio), ":+VERS-TLS1.%d", v);
    a->priorities = xstrdup(prio);
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

struct webauth *webauth_parse(const char *path, const char *text, size_t len, char *err,
                              size_t errlen)
{
    struct webauth *a = xcalloc(1, sizeof *a);
    a->dir = dir_of(path);
    a->min_tls = 2; /* TLS 1.2, the toolkit's default */
    a->max_tls = 3;
    yaml_parser_t p;
    yaml_document_t d;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0;
    if (!yaml_parser_load(&p, &d)) {
        snprintf(err, errlen, "%s:%zu: YAML syntax: %s", path, p.problem_mark.line + 1,
                 p.problem ? p.problem : "error");
        rc = -1;
    } else {
        struct wctx c = {a, &d, path, err, errlen};
        rc = load_root(&c);
        yaml_document_delete(&d);
    }
    yaml_parser_delete(&p);
    if (rc == 0)
        rc = tls_finish(a, path, err, errlen);
    if (rc == 0 && a->n_users) {
        a->cache = xcalloc(1, sizeof *a->cache);
        pthread_mutex_init(&a->cache->lock, NULL);
    }
    if (rc < 0) {
        webauth_free(a);
        return NULL;
    }
    return a;
}

struct webauth *webauth_load(const char *path, char *err, size_t errlen)
{
    char *text = read_file(path, WEBAUTH_FILE_MAX, err, errlen);
    if (!text)
        return NULL;
    struct webauth *a = webauth_parse(path, text, strlen(text), err, errlen);
    free(text);
    return a;
}

void webauth_free(struct webauth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_users; i++) {
        free(a->users[i].name);
        free(a->users[i].hash);
    }
    for (size_t i = 0; i < a->n_headers; i++) {
        free(a->header_name[i]);
        free(a->header_value[i]);
    }
    if (a->cache) {
        pthread_mutex_destroy(&a->cache->lock);
        OPENSSL_cleanse(a->cache, sizeof *a->cache);
        free(a->cache);
    }
    if (a->key_pem)
        OPENSSL_cleanse(a->key_pem, strlen(a->key_pem));
    free(a->key_pem);
    free(a->cert_pem);
    free(a->priorities);
    free(a->dir);
    free(a);
}

bool webauth_tls(const struct webauth *a)
{
    return a && a->cert_pem;
}

size_t webauth_users(const struct webauth *a)
{
    return a ? a->n_users : 0;
}

bool webauth_has_user(const struct webauth *a, const char *name)
{
    return a && find_user((struct webauth *)a, name);
}

void webauth_tls_options(const struct webauth *a, struct MHD_OptionItem *opts)
{
    size_t i = 0;
    if (webauth_tls(a)) {
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, a->cert_pem};
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, a->key_pem};
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, a->priorities};
    }
    opts[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

void webauth_add_headers(const struct webauth *a, struct MHD_Response *r)
{
    for (size_t i = 0; a && i < a->n_headers; i++)
        MHD_add_response_header(r, a->header_name[i], a->header_value[i]);
}

bool webauth_verify_password(const char *password, const char *hash)
{
    struct crypt_data *cd = xcalloc(1, sizeof *cd); /* ~32 KiB: not on the HTTP thread's stack */
    const char *out = crypt_r(password, hash, cd);
    bool ok = false;
    if (out && out[0] != '*') {
        size_t lo = strlen(out), lh = strlen(hash);
        unsigned char diff = (unsigned char)(lo != lh);
        for (size_t i = 0; i < lo && i < lh; i++)
            diff |= (unsigned char)(out[i] ^ hash[i]);
        ok = diff == 0;
    }
    OPENSSL_cleanse(cd, sizeof *cd);
    free(cd);
    return ok;
}

/* SHA-256 of user, password and hash, NUL-separated. */
static void cred_digest(const char *user, const char *pass, const char *hash, unsigned char *out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, user, strlen(user) + 1);
    EVP_DigestUpdate(md, pass, strlen(pass) + 1);
    EVP_DigestUpdate(md, hash, strlen(hash));
    EVP_DigestFinal_ex(md, out, NULL);
    EVP_MD_CTX_free(md);
}

static bool cache_has(struct auth_cache *c, const unsigned char *dg)
{
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < WEBAUTH_CACHE_SLOTS; i++)
        hit |= c->used[i] && CRYPTO_memcmp(c->digest[i], dg, DIGEST_LEN) == 0;
    pthread_mutex_unlock(&c->lock);
    return hit;
}

/* The slot of key, or the one to reuse for it (the stalest). Under the lock. */
static struct failing_client *failing_slot(struct auth_cache *c, const unsigned char *key)
{
    struct failing_client *oldest = &c->failing[0];
    for (size_t i = 0; i < WEBAUTH_THROTTLE_SLOTS; i++) {
        struct failing_client *f = &c->failing[i];
        if (f->fails && !memcmp(f->key, key, 8))
            return f;
        if (f->window_start_ms < oldest->window_start_ms)
            oldest = f;
    }
    return oldest;
}

/* The client's failed checks in the current window: the order of its next check. */
static unsigned recent_failures(struct auth_cache *c, const unsigned char *key)
{
    int64_t now = mxw_now_ms();
    pthread_mutex_lock(&c->lock);
    struct failing_client *f = failing_slot(c, key);
    unsigned n =
        f->fails && !memcmp(f->key, key, 8) && now - f->window_start_ms < WEBAUTH_THROTTLE_WINDOW_MS
            ? f->fails
            : 0;
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void record_failure(struct auth_cache *c, const unsigned char *key)
{
    int64_t now = mxw_now_ms();
    pthread_mutex_lock(&c->lock);
    struct failing_client *f = failing_slot(c, key);
    if (memcmp(f->key, key, 8) || now - f->window_start_ms >= WEBAUTH_THROTTLE_WINDOW_MS)
        *f = (struct failing_client){.window_start_ms = now};
    memcpy(f->key, key, 8);
    f->fails++;
    pthread_mutex_unlock(&c->lock);
}

static void cache_put(struct auth_cache *c, const unsigned char *dg)
{
    pthread_mutex_lock(&c->lock);
    memcpy(c->digest[c->next], dg, DIGEST_LEN);
    c->used[c->next] = true;
    c->next = (c->next + 1) % WEBAUTH_CACHE_SLOTS;
    pthread_mutex_unlock(&c->lock);
}

enum webauth_verdict webauth_begin(const struct webauth *a, const char *user, const char *password,
                                   const struct sockaddr *client, struct webauth_pending *p)
{
    memset(p, 0, sizeof *p);
    if (!a || a->n_users == 0)
        return WEBAUTH_PASS;
    if (!user)
        return WEBAUTH_FAIL; /* nothing to hide: no bcrypt for requests without credentials */
    for (size_t i = 0; i < a->n_users; i++)
        if (!strcmp(a->users[i].name, user))
            p->user = a->users[i].name, p->hash = a->users[i].hash;
    /* An unknown user still costs one hash, so timing does not tell which users exist. */
    p->known = p->user != NULL;
    if (!p->known)
        p->hash = a->users[0].hash;
    cred_digest(user, password ? password : "", p->hash, p->digest);
    if (p->known && cache_has(a->cache, p->digest))
        return WEBAUTH_PASS;
    if (webconn_client_key(client, p->key))
        p->fails = recent_failures(a->cache, p->key);
    return WEBAUTH_CHECK;
}

bool webauth_finish(const struct webauth *a, struct webauth_pending *p, bool password_ok)
{
    bool ok = password_ok && p->known;
    if (ok)
        cache_put(a->cache, p->digest);
    else
        record_failure(a->cache, p->key);
    OPENSSL_cleanse(p->digest, sizeof p->digest);
    return ok;
}

bool webauth_check_credentials(const struct webauth *a, const char *user, const char *password,
                               const struct sockaddr *client, const char **user_out)
{
    struct webauth_pending p;
    enum webauth_verdict v = webauth_begin(a, user, password, client, &p);
    bool ok = v == WEBAUTH_PASS ||
              (v == WEBAUTH_CHECK &&
               webauth_finish(a, &p, webauth_verify_password(password ? password : "", p.hash)));
    if (ok && p.user)
        *user_out = p.user;
    return ok;
}

void webauth_refuse(struct http_response *rs)
{
    http_error(rs, 401, "unauthorized");
    http_add_header(rs, "WWW-Authenticate", "Basic realm=\"mxwatch\", charset=\"UTF-8\"");
}
