/*
 * client.c - the client commands' HTTP side (client.h). Main thread of the mxwatch
 * command. Secrets are wiped when the client closes and never printed.
 */
#include "client.h"

#include "util.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct client {
    CURL *curl;
    char base[1024];
    struct client_auth auth;
    char bearer[CLIENT_SECRET_MAX + 32];
};

static char *trim(char *s)
{
    s += strspn(s, " \t\r");
    size_t n = strlen(s);
    while (n && strchr(" \t\r", s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int auth_line(char *line, struct client_auth *a)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    const char *k = trim(line), *v = trim(colon + 1);
    char *dst = !strcmp(k, "username")   ? a->user
                : !strcmp(k, "password") ? a->password
                : !strcmp(k, "token")    ? a->token
                                         : NULL;
    size_t cap = dst == a->user ? sizeof a->user : CLIENT_SECRET_MAX;
    if (!dst || !*v || mxw_strlcpy(dst, v, cap) >= cap)
        return -1;
    return 0;
}

int client_parse_auth(const char *text, struct client_auth *a, char *err, size_t errlen)
{
    char copy[CLIENT_AUTH_FILE_MAX + 1];
    if (mxw_strlcpy(copy, text, sizeof copy) >= sizeof copy) {
        snprintf(err, errlen, "longer than %d bytes", CLIENT_AUTH_FILE_MAX);
        return -1;
    }
    memset(a, 0, sizeof *a);
    int no = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        no++;
        char *t = trim(line);
        if (!*t || *t == '#')
            continue;
        if (auth_line(t, a) < 0) {
            snprintf(err, errlen,
                     "line %d: expected 'username: NAME', 'password: SECRET' or "
                     "'token: TOKEN'",
                     no);
            memset(copy, 0, sizeof copy);
            return -1;
        }
    }
    memset(copy, 0, sizeof copy);
    if (!a->token[0] && (!a->user[0] != !a->password[0])) {
        snprintf(err, errlen, "a username needs a password and a password a username");
        return -1;
    }
    return 0;
}

static int read_auth_file(const char *path, struct client_auth *a, char *err, size_t errlen)
{
    char text[CLIENT_AUTH_FILE_MAX + 1], why[160];
    size_t n;
    int rc = mxw_read_bounded(path, text, sizeof text, &n);
    if (rc < 0)
        snprintf(why, sizeof why, "%s", errno == EFBIG ? "too long" : strerror(errno));
    else
        rc = client_parse_auth(text, a, why, sizeof why);
    memset(text, 0, sizeof text);
    if (rc < 0)
        snprintf(err, errlen, "--auth.file %s: %s", path, why);
    return rc;
}

static void auth_from_env(struct client_auth *a)
{
    const char *tok = getenv("MXWATCH_TOKEN"), *u = getenv("MXWATCH_USER"),
               *p = getenv("MXWATCH_PASSWORD");
    if (tok && *tok)
        mxw_strlcpy(a->token, tok, sizeof a->token);
    else if (u && *u && p) {
        mxw_strlcpy(a->user, u, sizeof a->user);
        mxw_strlcpy(a->password, p, sizeof a->password);
    }
}

struct client *client_open(const struct cli_flags *f, char *err, size_t errlen)
{
    struct client *c = xcalloc(1, sizeof *c);
    const char *url = f->url ? f->url : CLIENT_DEFAULT_URL;
    if (mxw_strlcpy(c->base, url, sizeof c->base) >= sizeof c->base ||
        (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
        snprintf(err, errlen, "--url '%s': expected http://HOST:PORT or https://HOST:PORT", url);
        free(c);
        return NULL;
    }
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    if (f->auth_file ? read_auth_file(f->auth_file, &c->auth, err, errlen) < 0
                     : (auth_from_env(&c->auth), 0)) {
        client_close(c);
        return NULL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c->curl = curl_easy_init();
    if (!c->curl) {
        snprintf(err, errlen, "cannot initialise libcurl");
        client_close(c);
        return NULL;
    }
    if (c->auth.token[0])
        snprintf(c->bearer, sizeof c->bearer, "Authorization: Bearer %s", c->auth.token);
    return c;
}

void client_close(struct client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    memset(c, 0, sizeof *c);
    free(c);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    if (b->len + size * n > CLIENT_REPLY_MAX)
        return 0; /* libcurl reports a write error */
    buf_append(b, p, size * n);
    return size * n;
}

static struct curl_slist *headers(struct client *c, bool json)
{
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/json");
    if (json) {
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "X-Mxwatch-Request: mxwatch-cli");
    }
    if (c->bearer[0])
        h = curl_slist_append(h, c->bearer);
    return h;
}

int client_request(struct client *c, const char *method, const char *path, const char *json_body,
                   long *status, struct buf *reply, char *err, size_t errlen)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct curl_slist *hdr = headers(c, json_body != NULL);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
    if (json_body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    if (!c->bearer[0] && c->auth.user[0]) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->auth.user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->auth.password);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", c->base,
                 rc == CURLE_WRITE_ERROR ? "reply too long" : curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}
