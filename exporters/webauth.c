/*
 * webauth.c - exporter-toolkit web config: TLS and basic auth (webauth.h). Passwords are
 * checked with the system's crypt (libxcrypt: bcrypt $2y$/$2b$ among others) and the
 * result compared in constant time. Never logs a password or a hash.
 */
#include "webauth.h"

#include "util.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define WEBAUTH_USERS_MAX 256
#define WEBAUTH_FILE_MAX  (1u << 20)

struct webauth_user {
    char *name;
    char *hash;
    bool admin;
};

struct webauth {
    char *cert_pem, *key_pem;
    struct webauth_user users[WEBAUTH_USERS_MAX];
    size_t n_users;
};

static char *read_file(const char *path, size_t max, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = fread(buf, 1, max + 1, f);
    fclose(f);
    if (n > max) {
        snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
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

static int load_section(struct webauth *a, yaml_document_t *d, const char *key, yaml_node_t *v,
                        const char *path, char *err, size_t errlen)
{
    int line = (int)v->start_mark.line + 1;
    if (!strcmp(key, "tls_server_config") && v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            const char *k = scalar_of(d, p->key), *val = scalar_of(d, p->value);
            if (!k || !val)
                continue;
            char **dst = !strcmp(k, "cert_file")  ? &a->cert_pem
                         : !strcmp(k, "key_file") ? &a->key_pem
                                                  : NULL;
            if (!dst)
                continue; /* other toolkit TLS settings are accepted and not used */
            *dst = read_file(val, WEBAUTH_FILE_MAX, err, errlen);
            if (!*dst)
                return -1;
        }
        return 0;
    }
    if (!strcmp(key, "basic_auth_users") && v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            const char *u = scalar_of(d, p->key), *h = scalar_of(d, p->value);
            if (!u || !h || a->n_users == WEBAUTH_USERS_MAX) {
                snprintf(err, errlen, "%s:%d: basic_auth_users: bad entry or too many users", path,
                         line);
                return -1;
            }
            a->users[a->n_users++] = (struct webauth_user){.name = strdup(u), .hash = strdup(h)};
        }
        return 0;
    }
    if (!strcmp(key, "mxwatch_admin_users") && v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            const char *u = scalar_of(d, *it);
            struct webauth_user *wu = u ? find_user(a, u) : NULL;
            if (!wu) {
                snprintf(err, errlen, "%s:%d: mxwatch_admin_users: '%s' is not a basic_auth user",
                         path, line, u ? u : "?");
                return -1;
            }
            wu->admin = true;
        }
        return 0;
    }
    if (!strcmp(key, "http_server_config"))
        return 0;
    snprintf(err, errlen, "%s:%d: unknown or malformed key '%s'", path, line, key);
    return -1;
}

struct webauth *webauth_load(const char *path, char *err, size_t errlen)
{
    char *text = read_file(path, WEBAUTH_FILE_MAX, err, errlen);
    if (!text)
        return NULL;
    yaml_parser_t p;
    yaml_document_t d;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (unsigned char *)text, strlen(text));
    struct webauth *a = calloc(1, sizeof *a);
    int rc = 0;
    if (!yaml_parser_load(&p, &d)) {
        snprintf(err, errlen, "%s:%zu: YAML syntax: %s", path, p.problem_mark.line + 1,
                 p.problem ? p.problem : "error");
        rc = -1;
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&d);
        if (root && root->type == YAML_MAPPING_NODE) {
            /* Users first, so mxwatch_admin_users can refer to them wherever it stands. */
            for (int pass = 0; pass < 2 && rc == 0; pass++)
                for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
                     rc == 0 && pr < root->data.mapping.pairs.top; pr++) {
                    const char *k = scalar_of(&d, pr->key);
                    bool users = k && !strcmp(k, "basic_auth_users");
                    if (k && users == (pass == 0))
                        rc = load_section(a, &d, k, yaml_document_get_node(&d, pr->value), path,
                                          err, errlen);
                }
        }
        yaml_document_delete(&d);
    }
    yaml_parser_delete(&p);
    free(text);
    if (rc == 0 && (!a->cert_pem) != (!a->key_pem)) {
        snprintf(err, errlen, "%s: tls_server_config needs both cert_file and key_file", path);
        rc = -1;
    }
    if (rc < 0) {
        webauth_free(a);
        return NULL;
    }
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
    free(a->cert_pem);
    free(a->key_pem);
    free(a);
}

bool webauth_tls(const struct webauth *a)
{
    return a && a->cert_pem;
}

void webauth_tls_options(const struct webauth *a, struct MHD_OptionItem *opts)
{
    size_t i = 0;
    if (webauth_tls(a)) {
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, a->cert_pem};
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, a->key_pem};
    }
    opts[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

bool webauth_verify_password(const char *password, const char *hash)
{
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    const char *out = crypt_r(password, hash, &cd);
    if (!out || out[0] == '*')
        return false;
    size_t lo = strlen(out), lh = strlen(hash);
    unsigned char diff = (unsigned char)(lo != lh);
    for (size_t i = 0; i < lo && i < lh; i++)
        diff |= (unsigned char)(out[i] ^ hash[i]);
    return diff == 0;
}

bool webauth_check(const struct webauth *a, struct MHD_Connection *c, struct web_request *rq,
                   struct web_response *rs)
{
    if (a->n_users == 0)
        return true;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    const struct webauth_user *wu = NULL;
    for (size_t i = 0; user && i < a->n_users; i++)
        if (!strcmp(a->users[i].name, user))
            wu = &a->users[i];
    /* An unknown user still costs one hash, so timing does not tell which users exist. */
    bool ok = webauth_verify_password(pass ? pass : "", wu ? wu->hash : a->users[0].hash) && wu;
    if (ok) {
        rq->user = wu->name;
        rq->auth_admin = wu->admin;
    }
    MHD_free(user);
    MHD_free(pass);
    if (!ok) {
        web_error(rs, 401, "unauthorized");
        web_add_header(rs, "WWW-Authenticate", "Basic realm=\"mxwatch\", charset=\"UTF-8\"");
    }
    return ok;
}
