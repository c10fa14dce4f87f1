/*
 * transport.c - the domain -> destination map of sources.postfix.transport_maps (see
 * transport.h). A string map from key to next hop; lookups try the domain, then each parent
 * as ".parent", then "*". Loop thread; pure.
 */
#include "transport.h"

#include "strmap.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRANSPORT_NAME_MAX 254 /* a domain name and its terminator */

struct route {
    char *key;     /* "example.com", ".example.com" or "*" (the map's key) */
    char *nexthop; /* NULL: the recipient's own domain */
};

struct transport_map {
    struct strmap routes;
};

struct transport_map *transport_new(void)
{
    return xcalloc(1, sizeof(struct transport_map));
}

static void route_free(void *val)
{
    struct route *r = val;
    free(r->key);
    free(r->nexthop);
    free(r);
}

void transport_free(struct transport_map *m)
{
    if (!m)
        return;
    strmap_clear(&m->routes, route_free);
    free(m);
}

size_t transport_count(const struct transport_map *m)
{
    return m->routes.n;
}

/* The key, lower-cased, without a trailing dot: "*", ".domain" or "domain". */
static int parse_key(const char *s, size_t n, char *out, char *err, size_t errlen)
{
    while (n && s[0] == ' ')
        s++, n--;
    while (n && s[n - 1] == ' ')
        n--;
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (n == 0 || n >= TRANSPORT_NAME_MAX) {
        snprintf(err, errlen, "the domain is empty or longer than 253 bytes");
        return -1;
    }
    mxw_strncpy0(out, TRANSPORT_NAME_MAX, s, n);
    mxw_lower(out);
    if (!strcmp(out, "*"))
        return 0;
    if (mxw_valid_domain(out[0] == '.' ? out + 1 : out) < 0) {
        snprintf(err, errlen, "'%s' is not a domain, .domain or *", out);
        return -1;
    }
    return 0;
}

/* transport(5) next hop: [transport:][ '[' host ']' | host ][:port]. Leaves the host in out,
 * empty when the entry names only a transport. */
static int parse_nexthop(const char *s, char *out, char *err, size_t errlen)
{
    s += strspn(s, " ");
    const char *colon = strchr(s, ':');
    if (colon && s[0] != '[' &&
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == (size_t)(colon - s))
        s = colon + 1;
    const char *end = s + strlen(s);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb) {
            snprintf(err, errlen, "next hop '%s' has '[' without ']'", s);
            return -1;
        }
        end = rb;
        s++;
    } else if ((colon = strchr(s, ':'))) {
        end = colon;
    }
    size_t n = (size_t)(end - s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n && s[n - 1] == '.')
        n--;
    if (n >= TRANSPORT_NAME_MAX) {
        snprintf(err, errlen, "next hop longer than 253 bytes");
        return -1;
    }
    mxw_strncpy0(out, TRANSPORT_NAME_MAX, s, n);
    mxw_lower(out);
    if (n && mxw_valid_domain(out) < 0) {
        snprintf(err, errlen, "next hop '%s' is not a host name", out);
        return -1;
    }
    return 0;
}

int transport_add(struct transport_map *m, const char *entry, char *err, size_t errlen)
{
    const char *eq = strchr(entry, '=');
    char key[TRANSPORT_NAME_MAX], hop[TRANSPORT_NAME_MAX];
    if (!eq) {
        snprintf(err, errlen, "'%s' is not domain=nexthop", entry);
        return -1;
    }
    if (parse_key(entry, (size_t)(eq - entry), key, err, errlen) < 0 ||
        parse_nexthop(eq + 1, hop, err, errlen) < 0)
        return -1;
    struct route *r = strmap_get(&m->routes, key);
    if (r) {
        free(r->nexthop);
    } else {
        r = xcalloc(1, sizeof *r);
        r->key = xstrdup(key);
        strmap_put(&m->routes, r->key, r);
    }
    r->nexthop = hop[0] ? xstrdup(hop) : NULL;
    return 0;
}

static const char *hop_of(const struct route *r, const char *domain)
{
    return r->nexthop ? r->nexthop : domain;
}

const char *transport_lookup(const struct transport_map *m, const char *domain)
{
    if (!m || m->routes.n == 0)
        return domain;
    const struct route *r = strmap_get(&m->routes, domain);
    if (r)
        return hop_of(r, domain);
    /* ".parent" keys: "a.b.example.com" tries ".b.example.com", ".example.com", ".com". */
    for (const char *p = strchr(domain, '.'); p; p = strchr(p + 1, '.'))
        if ((r = strmap_get(&m->routes, p)))
            return hop_of(r, domain);
    r = strmap_get(&m->routes, "*");
    return r ? hop_of(r, domain) : domain;
}

void transport_each(const struct transport_map *m, transport_each_fn *fn, void *arg)
{
    const struct route *r;
    for (size_t it = 0; m && (r = strmap_next(&m->routes, &it));)
        fn(r->key, r->nexthop, arg);
}
