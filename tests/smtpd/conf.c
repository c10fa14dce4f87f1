/*
 * conf.c: parses the mxw-smtpd command line into a struct conf.
 *
 * Called once by main.c. Pure: it opens nothing and never logs; every fault comes back in
 * the caller's error buffer naming the argument at fault, so main can exit 2 with it.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX_LISTENERS   256
#define CONF_MAX_CONNS_LIMIT 65536
#define CONF_SECONDS_MAX     (86400 * 1000)
#define CONF_BYTES_MAX       (64u << 20)

static const char *const mode_names[MODE_COUNT] = {
    [MODE_OK] = "ok",           [MODE_RCPT5XX] = "rcpt5xx", [MODE_DELAY] = "delay",
    [MODE_SLOW] = "slow",       [MODE_421] = "421",         [MODE_554] = "554",
    [MODE_GARBAGE] = "garbage", [MODE_HUGE] = "huge",       [MODE_SILENT] = "silent",
    [MODE_NOEHLO] = "noehlo",   [MODE_RESET] = "reset",     [MODE_NOQUIT] = "noquit",
    [MODE_BADTLS] = "badtls",   [MODE_BACKLOG] = "backlog", [MODE_RCPT4XX] = "rcpt4xx",
    [MODE_MAIL4XX] = "mail4xx", [MODE_MAIL5XX] = "mail5xx", [MODE_GREYLIST] = "greylist",
};

#define M(x) (1u << (x))
#define TXN_MODES                                                                                  \
    (M(MODE_OK) | M(MODE_RCPT5XX) | M(MODE_DELAY) | M(MODE_SLOW) | M(MODE_HUGE) | M(MODE_NOQUIT) | \
     M(MODE_BADTLS) | M(MODE_RCPT4XX) | M(MODE_MAIL4XX) | M(MODE_MAIL5XX) | M(MODE_GREYLIST))
#define BANNER_MODES (TXN_MODES | M(MODE_NOEHLO))             /* the modes that greet with 220 */
#define SESS_MODES   ((M(MODE_COUNT) - 1) & ~M(MODE_BACKLOG)) /* backlog has no sessions */

enum opt_kind { OPT_SECONDS, OPT_BYTES, OPT_TEXT };

/* The per-listener options: which modes take them and the range they accept. */
static const struct opt_def {
    const char *name;
    enum opt_kind kind;
    size_t offset; /* into struct conf_listener: an int64_t (ms), a size_t or a char array */
    unsigned modes;
    int64_t min, max; /* in ms for seconds, in bytes for bytes and text */
} opt_defs[] = {
    {"idle", OPT_SECONDS, offsetof(struct conf_listener, idle_ms), SESS_MODES, 1, CONF_SECONDS_MAX},
    {"delay", OPT_SECONDS, offsetof(struct conf_listener, delay_ms), M(MODE_DELAY), 0,
     CONF_SECONDS_MAX},
    {"wait", OPT_SECONDS, offsetof(struct conf_listener, wait_ms), M(MODE_GREYLIST), 0,
     CONF_SECONDS_MAX},
    {"interval", OPT_SECONDS, offsetof(struct conf_listener, interval_ms), M(MODE_SLOW), 1,
     CONF_SECONDS_MAX},
    {"size", OPT_BYTES, offsetof(struct conf_listener, huge_size), M(MODE_HUGE), 1024, 1 << 20},
    {"bytes", OPT_BYTES, offsetof(struct conf_listener, garbage_size), M(MODE_GARBAGE), 1,
     CONF_BYTES_MAX},
    {"maxmsg", OPT_BYTES, offsetof(struct conf_listener, max_msg), TXN_MODES, 1, 1 << 30},
    {"banner", OPT_TEXT, offsetof(struct conf_listener, banner), BANNER_MODES, 1, CONF_BANNER_MAX},
};

const char *conf_mode_name(enum conf_mode m)
{
    return m < MODE_COUNT ? mode_names[m] : "?";
}

static void listener_defaults(struct conf_listener *l)
{
    memset(l, 0, sizeof(*l));
    l->idle_ms = 300000;
    l->delay_ms = 10000;
    l->interval_ms = 1000;
    l->huge_size = 100 * 1024;
    l->garbage_size = 16 * 1024;
    l->max_msg = 10 * 1024 * 1024;
}

/* A decimal number with at most three fraction digits, scaled by 1000: "1.5" -> 1500. */
static int parse_milli(const char *v, int64_t *out)
{
    int64_t n = 0;
    int frac = -1;
    const char *p = v;
    for (; *p; p++) {
        if (*p == '.' && frac < 0 && p != v) {
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || frac == 3 || n > INT64_MAX / 100)
            return -1;
        n = n * 10 + (*p - '0');
        if (frac >= 0)
            frac++;
    }
    if (p == v || (frac == 0))
        return -1;
    for (int f = frac < 0 ? 0 : frac; f < 3; f++)
        n *= 10;
    *out = n;
    return 0;
}

/* Text sent to clients as one reply line: printable, no CR, LF or other control byte (8-bit
 * bytes pass, as hostile servers send them), within the option's length range. */
static int opt_text(const struct opt_def *d, const char *v, struct conf_listener *l)
{
    size_t n = strlen(v);
    if ((int64_t)n < d->min || (int64_t)n > d->max)
        return -1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < ' ' || *p == 0x7f)
            return -1;
    memcpy((char *)l + d->offset, v, n + 1);
    return 0;
}

/* "1.5" seconds (stored as ms), "4096" bytes or a text, within the option's range. */
static int opt_value(const struct opt_def *d, const char *v, struct conf_listener *l)
{
    if (d->kind == OPT_TEXT)
        return opt_text(d, v, l);
    int64_t milli;
    if (parse_milli(v, &milli) < 0)
        return -1;
    if (d->kind == OPT_BYTES && milli % 1000 != 0)
        return -1;
    int64_t x = d->kind == OPT_SECONDS ? milli : milli / 1000;
    if (x < d->min || x > d->max)
        return -1;
    char *field = (char *)l + d->offset;
    if (d->kind == OPT_SECONDS) {
        memcpy(field, &x, sizeof(x));
    } else {
        size_t n = (size_t)x;
        memcpy(field, &n, sizeof(n));
    }
    return 0;
}

static int parse_opt(const char *arg, char *kv, struct conf_listener *l, char *err, size_t errlen)
{
    char *eq = strchr(kv, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "--listen '%s': option '%s' is not NAME=VALUE", arg, kv);
        return -1;
    }
    *eq = '\0';
    for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
        const struct opt_def *d = &opt_defs[i];
        if (strcmp(d->name, kv) != 0)
            continue;
        if (!(d->modes & M(l->mode))) {
            snprintf(err, errlen, "--listen '%s': option '%s' does not apply to mode %s", arg, kv,
                     mode_names[l->mode]);
            return -1;
        }
        if (opt_value(d, eq + 1, l) < 0) {
            double scale = d->kind == OPT_SECONDS ? 1000.0 : 1.0;
            snprintf(err, errlen, "--listen '%s': bad value '%s' for %s (%g..%g %s)", arg, eq + 1,
                     kv, (double)d->min / scale, (double)d->max / scale,
                     d->kind == OPT_SECONDS ? "seconds"
                     : d->kind == OPT_BYTES ? "bytes"
                                            : "printable characters");
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "--listen '%s': unknown option '%s'", arg, kv);
    return -1;
}

/* The comma-separated options after the mode (NULL: none). banner= comes last and takes the
 * rest of the argument, commas included, as hostile banners may hold any. opts is modified. */
static int parse_opts(const char *arg, char *opts, struct conf_listener *l, char *err,
                      size_t errlen)
{
    while (opts != NULL && *opts != '\0') {
        char *comma = strncmp(opts, "banner=", 7) == 0 ? NULL : strchr(opts, ',');
        if (comma != NULL)
            *comma++ = '\0';
        if (parse_opt(arg, opts, l, err, errlen) < 0)
            return -1;
        opts = comma;
    }
    return 0;
}

/* "1.2.3.4:25" or "[::1]:25" into l->addr. hp is modified. */
static int parse_addr(const char *arg, char *hp, struct conf_listener *l, char *err, size_t errlen)
{
    char *host = hp, *colon;
    if (*hp == '[') {
        char *close = strchr(hp, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        *close = '\0';
        host = hp + 1;
        colon = close + 1;
    } else if ((colon = strrchr(hp, ':')) == NULL) {
        goto bad;
    }
    *colon = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 || port > 65535) {
        snprintf(err, errlen, "--listen '%s': bad port '%s'", arg, colon + 1);
        return -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&l->addr;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->addr;
    if (host != hp && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        l->addrlen = sizeof(*s6);
    } else if (host == hp && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        l->addrlen = sizeof(*s4);
    } else {
        snprintf(err, errlen, "--listen '%s': bad address '%s' (IPv4 or [IPv6])", arg, host);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen, "--listen '%s': expected ADDR:PORT=MODE[,opt=val...]", arg);
    return -1;
}

static int parse_mode(const char *arg, const char *name, struct conf_listener *l, char *err,
                      size_t errlen)
{
    for (int m = 0; m < MODE_COUNT; m++) {
        if (strcmp(name, mode_names[m]) == 0) {
            l->mode = (enum conf_mode)m;
            return 0;
        }
    }
    int n = snprintf(err, errlen, "--listen '%s': unknown mode '%s' (", arg, name);
    for (int m = 0; m < MODE_COUNT && n > 0 && (size_t)n < errlen; m++)
        n += snprintf(err + n, errlen - (size_t)n, "%s%s", m ? " " : "", mode_names[m]);
    if (n > 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, ")");
    return -1;
}

static int parse_listen(const char *arg, struct conf_listener *l, char *err, size_t errlen)
{
    char buf[512];
    if (strlen(arg) >= sizeof(buf)) {
        snprintf(err, errlen, "--listen: argument longer than %zu bytes", sizeof(buf) - 1);
        return -1;
    }
    strcpy(buf, arg);
    listener_defaults(l);
    char *eq = strchr(buf, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "--listen '%s': expected ADDR:PORT=MODE[,opt=val...]", arg);
        return -1;
    }
    *eq = '\0';
    if (strlen(buf) >= sizeof(l->name)) {
        snprintf(err, errlen, "--listen '%s': address too long", arg);
        return -1;
    }
    strcpy(l->name, buf);
    if (parse_addr(arg, buf, l, err, errlen) < 0)
        return -1;
    char *opts = strchr(eq + 1, ',');
    if (opts != NULL)
        *opts++ = '\0';
    if (eq[1] == '\0') {
        snprintf(err, errlen, "--listen '%s': no mode after '='", arg);
        return -1;
    }
    if (parse_mode(arg, eq + 1, l, err, errlen) < 0)
        return -1;
    return parse_opts(arg, opts, l, err, errlen);
}

static int add_listener(struct conf *c, const char *arg, char *err, size_t errlen)
{
    if (c->nlisteners == CONF_MAX_LISTENERS) {
        snprintf(err, errlen, "--listen '%s': more than %d listeners", arg, CONF_MAX_LISTENERS);
        return -1;
    }
    struct conf_listener *nl = realloc(c->listeners, (c->nlisteners + 1) * sizeof(*nl));
    if (nl == NULL) {
        snprintf(err, errlen, "--listen '%s': out of memory", arg);
        return -1;
    }
    c->listeners = nl;
    if (parse_listen(arg, &nl[c->nlisteners], err, errlen) < 0)
        return -1;
    c->nlisteners++;
    return 0;
}

static int parse_max_conns(struct conf *c, const char *v, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 1 || n > CONF_MAX_CONNS_LIMIT) {
        snprintf(err, errlen, "--max-conns '%s': expected 1..%d", v, CONF_MAX_CONNS_LIMIT);
        return -1;
    }
    c->max_conns = (unsigned)n;
    return 0;
}

/* One "--name VALUE" or "--name=VALUE" pair. */
static int parse_pair(struct conf *c, const char *name, const char *v, char *err, size_t errlen)
{
    if (strcmp(name, "--listen") == 0)
        return add_listener(c, v, err, errlen);
    if (strcmp(name, "--max-conns") == 0)
        return parse_max_conns(c, v, err, errlen);
    if (*v == '\0') {
        snprintf(err, errlen, "%s: empty value", name);
        return -1;
    }
    if (strcmp(name, "--tls-cert") == 0)
        c->tls_cert = v;
    else if (strcmp(name, "--tls-key") == 0)
        c->tls_key = v;
    else if (strcmp(name, "--hostname") == 0)
        c->hostname = v;
    else if (strcmp(name, "--log") == 0)
        c->log_path = v;
    else if (strcmp(name, "--pidfile") == 0)
        c->pidfile = v;
    else {
        snprintf(err, errlen, "%s: unknown argument (see --help)", name);
        return -1;
    }
    return 0;
}

static int check_conf(struct conf *c, char *err, size_t errlen)
{
    if (c->nlisteners == 0) {
        snprintf(err, errlen, "--listen: at least one is required");
        return -1;
    }
    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        snprintf(err, errlen, "%s: given without %s", c->tls_cert ? "--tls-cert" : "--tls-key",
                 c->tls_cert ? "--tls-key" : "--tls-cert");
        return -1;
    }
    bool bad = strlen(c->hostname) > 255;
    for (const char *p = c->hostname; *p; p++)
        bad |= *p <= ' ' || *p >= 0x7f;
    if (bad) {
        snprintf(err, errlen, "--hostname '%s': not a host name", c->hostname);
        return -1;
    }
    return 0;
}

int conf_parse(struct conf *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->hostname = "localhost";
    c->max_conns = 4096;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        char name[32];
        const char *eq = strchr(a, '='), *v;
        if (strncmp(a, "--", 2) == 0 && eq != NULL && (size_t)(eq - a) < sizeof(name)) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            v = eq + 1;
        } else if (i + 1 < argc && strncmp(a, "--", 2) == 0 && strlen(a) < sizeof(name)) {
            strcpy(name, a);
            v = argv[++i];
        } else {
            snprintf(err, errlen, "%s: unknown argument or missing value (see --help)", a);
            return -1;
        }
        if (parse_pair(c, name, v, err, errlen) < 0)
            return -1;
    }
    return check_conf(c, err, errlen);
}

void conf_free(struct conf *c)
{
    free(c->listeners);
    c->listeners = NULL;
    c->nlisteners = 0;
}
