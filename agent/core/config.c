/*
 * config.c - loads the YAML configuration (config.h) with libyaml's document API and a
 * table-driven schema: each section is a table of fields (key, type, where it goes). Unknown
 * keys, wrong types and bad values are errors naming file, line, column and key path.
 * Called on the main thread at start-up, by `check-config`, and on reload. Never logs.
 */
#include "config.h"

#include "hostport.h"
#include "strmap.h"
#include "txn.h"
#include "util.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <yaml.h>

#define CONFIG_FILE_MAX (4u << 20) /* a config larger than 4 MiB is a mistake */
#define CONFIG_LIST_MAX 100000     /* items in one list (destinations included) */

enum ftype {
    F_STR,
    F_BOOL,
    F_AUTOBOOL,
    F_UINT,
    F_DURATION,
    F_DURATION0, /* a duration that may be zero (a clamp whose default is none) */
    F_STRLIST,
    F_UINTLIST,
    F_DURLIST,
    F_ENUM,
    F_SHARD,
    F_SECTION,
    F_LIST
};

struct ctx;
struct field {
    const char *key;
    enum ftype type;
    size_t off;                    /* where the value goes, from the section's base */
    size_t count_off;              /* F_STRLIST / F_UINTLIST / F_LIST: where the count goes */
    unsigned min, max;             /* F_UINT bounds, F_DURATION bounds in seconds (max 0: none) */
    const char *const *enum_names; /* F_ENUM: NULL-terminated; the value is the index */
    const struct field *sub;       /* F_SECTION / F_LIST: the nested schema */
    int (*item)(struct ctx *c, yaml_node_t *n, void *base); /* F_LIST: one item */
    /* F_STR, F_STRLIST: the value's own check (config_check_*), or NULL */
    int (*check)(const char *value, char *why, size_t cap);
};

struct ctx {
    const char *name; /* file name for messages */
    yaml_document_t *doc;
    struct config *cfg;
    char path[256]; /* key path, "global.probe_interval" */
    char *err;
    size_t errlen;
    struct strmap dests; /* domain -> its dest_config index + 1: duplicates in O(1) */
};

static const char *const starttls_names[] = {"try", "never", "require", NULL};
static const char *const mx_policy_names[] = {"all", "first", NULL};
static const char *const dns_cache_names[] = {"ttl", "off", NULL};
static const char *const status_source_names[] = {"probe", "delivery", "both", NULL};

const char *config_starttls_name(enum starttls_mode m)
{
    return starttls_names[m];
}

static int fault(struct ctx *c, yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fault(struct ctx *c, yaml_node_t *n, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: %s", c->name, n ? n->start_mark.line + 1 : 0,
             n ? n->start_mark.column + 1 : 0, c->path[0] ? c->path : "(top)", msg);
    return -1;
}

static const char *scalar(yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

#define AT(base, off, T) ((T *)((char *)(base) + (off)))

static int parse_uint(struct ctx *c, yaml_node_t *n, unsigned min, unsigned max, unsigned *out)
{
    const char *s = scalar(n);
    if (!s)
        return fault(c, n, "expected a number");
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        return fault(c, n, "'%s' is not a whole number", s);
    if (v < min || (max && v > max))
        return fault(c, n, "%lu is out of range (%u..%u)", v, min, max);
    *out = (unsigned)v;
    return 0;
}

/* A value that fails its field's check is a fault at its place in the file. */
static int checked(struct ctx *c, const struct field *f, yaml_node_t *n, const char *s)
{
    char why[200];
    if (f->check && f->check(s, why, sizeof why) < 0)
        return fault(c, n, "'%.64s%s' %s", s, strlen(s) > 64 ? "..." : "", why);
    return 0;
}

/* A duration of field f ("500ms", "30s", "5m", "1h", "1d"), within f's bounds. */
static int parse_duration(struct ctx *c, const struct field *f, yaml_node_t *n, const char *s,
                          int64_t *out)
{
    int64_t ms;
    if (mxw_parse_duration_ms(s, &ms) < 0)
        return fault(c, n, "bad duration '%s' (use e.g. 500ms, 30s, 5m, 1h)", s);
    if (ms < 0 || (ms == 0 && f->type != F_DURATION0))
        return fault(c, n, "duration must be positive");
    if (f->max && ms > (int64_t)f->max * 1000)
        return fault(c, n, "duration '%s' is longer than %us", s, f->max);
    *out = ms;
    return 0;
}

static int set_scalar(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
    const char *s = scalar(n);
    if (!s)
        return fault(c, n, "expected a single value, not a %s",
                     n->type == YAML_MAPPING_NODE ? "mapping" : "list");
    switch (f->type) {
    case F_STR:
        if (checked(c, f, n, s) < 0)
            return -1;
        free(*AT(base, f->off, char *));
        *AT(base, f->off, char *) = xstrdup(s);
        return 0;
    case F_BOOL:
    case F_AUTOBOOL: {
        int v = -1; /* F_AUTOBOOL: an int, -1 for "auto" */
        if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
            v = 1;
        else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
            v = 0;
        else if (f->type == F_BOOL || strcmp(s, "auto"))
            return fault(c, n, "'%s' is not true or false%s", s,
                         f->type == F_AUTOBOOL ? " (or auto)" : "");
        if (f->type == F_BOOL)
            *AT(base, f->off, bool) = v;
        else
            *AT(base, f->off, int) = v;
        return 0;
    }
    case F_UINT: return parse_uint(c, n, f->min, f->max, AT(base, f->off, unsigned));
    case F_DURATION:
    case F_DURATION0: return parse_duration(c, f, n, s, AT(base, f->off, int64_t));
    case F_ENUM:
        for (int i = 0; f->enum_names[i]; i++) {
            if (!strcmp(s, f->enum_names[i])) {
                *AT(base, f->off, int) = i;
                return 0;
            }
        }
        return fault(c, n, "'%s' is not one of the allowed values", s);
    case F_SHARD: {
        char why[128];
        if (shard_parse(s, AT(base, f->off, struct shard), why, sizeof why) < 0)
            return fault(c, n, "%s", why);
        return 0;
    }
    default: return fault(c, n, "internal: not a scalar field");
    }
}

static int set_list(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fault(c, n, "expected a list");
    yaml_node_item_t *it = n->data.sequence.items.start, *end = n->data.sequence.items.top;
    size_t count = (size_t)(end - it);
    if (count > CONFIG_LIST_MAX)
        return fault(c, n, "list has %zu items, more than %u", count, CONFIG_LIST_MAX);
    if (f->type != F_LIST) { /* a list in the file replaces the default list */
        size_t *cnt = AT(base, f->count_off, size_t);
        if (f->type == F_STRLIST)
            for (size_t i = 0; i < *cnt; i++)
                free((*AT(base, f->off, char **))[i]);
        free(*AT(base, f->off, void *));
        *AT(base, f->off, void *) = NULL;
        *cnt = 0;
    }
    size_t plen = strlen(c->path);
    for (; it < end; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        size_t *cnt = AT(base, f->count_off, size_t);
        /* Errors inside an item name it: "destinations[3].probe_interval". */
        snprintf(c->path + plen, sizeof c->path - plen, "[%zu]", count - (size_t)(end - it));
        if (f->type == F_LIST) {
            if (f->item(c, item, base) < 0)
                return -1;
            c->path[plen] = '\0';
            continue;
        }
        if (f->type == F_STRLIST) {
            const char *s = scalar(item);
            if (!s)
                return fault(c, item, "expected a string");
            if (checked(c, f, item, s) < 0)
                return -1;
            char ***arr = AT(base, f->off, char **);
            *arr = xrealloc(*arr, (*cnt + 2) * sizeof **arr);
            (*arr)[(*cnt)++] = xstrdup(s);
            (*arr)[*cnt] = NULL;
        } else if (f->type == F_DURLIST) {
            const char *s = scalar(item);
            int64_t ms, **arr = AT(base, f->off, int64_t *);
            if (!s)
                return fault(c, item, "expected a duration");
            if (parse_duration(c, f, item, s, &ms) < 0)
                return -1;
            *arr = xreallocarray(*arr, *cnt + 1, sizeof **arr);
            (*arr)[(*cnt)++] = ms;
        } else {
            unsigned v;
            if (parse_uint(c, item, f->min, f->max, &v) < 0)
                return -1;
            unsigned **arr = AT(base, f->off, unsigned *);
            *arr = xrealloc(*arr, (*cnt + 1) * sizeof **arr);
            (*arr)[(*cnt)++] = v;
        }
        c->path[plen] = '\0';
    }
    return 0;
}

static int walk_section(struct ctx *c, const struct field *schema, yaml_node_t *n, void *base);

static int set_field(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
    switch (f->type) {
    case F_SECTION: return walk_section(c, f->sub, n, base);
    case F_STRLIST:
    case F_UINTLIST:
    case F_DURLIST:
    case F_LIST: return set_list(c, f, n, base);
    default: return set_scalar(c, f, n, base);
    }
}

static yaml_node_t *lookup(struct ctx *c, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = scalar(yaml_document_get_node(c->doc, p->key));
        if (k && !strcmp(k, key))
            return yaml_document_get_node(c->doc, p->value);
    }
    return NULL;
}

/* Rejects unknown keys first (so a misspelt key is reported at its own line), then applies
 * the known ones in schema order (so "global" defaults exist before "destinations"). */
static int walk_section(struct ctx *c, const struct field *schema, yaml_node_t *n, void *base)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return 0; /* "section:" with nothing under it */
    if (n->type != YAML_MAPPING_NODE)
        return fault(c, n, "expected a mapping of keys");
    size_t plen = strlen(c->path);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        const char *k = scalar(kn);
        const struct field *f = schema;
        while (k && f->key && strcmp(f->key, k))
            f++;
        if (!k || !f->key) {
            snprintf(c->path + plen, sizeof c->path - plen, "%s%s", plen ? "." : "", k ? k : "?");
            return fault(c, kn, "unknown key");
        }
    }
    for (const struct field *f = schema; f->key; f++) {
        yaml_node_t *v = lookup(c, n, f->key);
        if (!v)
            continue;
        snprintf(c->path + plen, sizeof c->path - plen, "%s%s", plen ? "." : "", f->key);
        if (set_field(c, f, v, base) < 0)
            return -1;
        c->path[plen] = '\0';
    }
    return 0;
}

/* ---- the schema ---- */

/* A field of a probe_params member m of T (the global defaults, or one destination's). */
#define PFLD(T, k, t, m, lo, hi, names)                                                            \
    {                                                                                              \
        k, t, offsetof(T, m), 0, lo, hi, names, NULL, NULL, NULL                                   \
    }
#define PROBE_FIELDS(T, m)                                                                         \
    PFLD(T, "probe_interval", F_DURATION, m.interval_ms, 1, 86400, NULL),                          \
        PFLD(T, "dns_timeout", F_DURATION, m.dns_timeout_ms, 0, 300, NULL),                        \
        PFLD(T, "connect_timeout", F_DURATION, m.connect_timeout_ms, 0, 600, NULL),                \
        PFLD(T, "banner_timeout", F_DURATION, m.banner_timeout_ms, 0, 600, NULL),                  \
        PFLD(T, "total_timeout", F_DURATION, m.total_timeout_ms, 0, 3600, NULL),                   \
        PFLD(T, "smtp_port", F_UINT, m.smtp_port, 1, 65535, NULL),                                 \
        PFLD(T, "starttls", F_ENUM, m.starttls, 0, 0, starttls_names),                             \
        PFLD(T, "mx_policy", F_ENUM, m.mx_policy, 0, 0, mx_policy_names),                          \
        PFLD(T, "down_after", F_UINT, m.down_after, 1, 100, NULL)

#define FLD(k, t, m)                                                                               \
    {                                                                                              \
        k, t, offsetof(struct config, m), 0, 0, 0, NULL, NULL, NULL, NULL                          \
    }
#define FLD_UINT(k, m, lo, hi)                                                                     \
    {                                                                                              \
        k, F_UINT, offsetof(struct config, m), 0, lo, hi, NULL, NULL, NULL, NULL                   \
    }
#define FLD_LIST(k, t, m, n)                                                                       \
    {                                                                                              \
        k, t, offsetof(struct config, m), offsetof(struct config, n), 0, 0, NULL, NULL, NULL, NULL \
    }

static const struct field global_schema[] = {
    PROBE_FIELDS(struct config, defaults),
    FLD("ehlo_name", F_STR, ehlo_name),
    FLD("source_address", F_STR, source_address),
    {"dns_servers", F_STRLIST, offsetof(struct config, dns_servers),
     offsetof(struct config, n_dns_servers), 0, 0, NULL, NULL, NULL, config_check_dns_server},
    FLD_UINT("dns_tries", dns_tries, 1, 10),
    {"dns_cache", F_ENUM, offsetof(struct config, dns_cache), 0, 0, 0, dns_cache_names, NULL, NULL,
     NULL},
    {"dns_cache_min_ttl", F_DURATION0, offsetof(struct config, dns_cache_min_ttl_ms), 0, 0, 86400,
     NULL, NULL, NULL, NULL},
    {"dns_cache_max_ttl", F_DURATION, offsetof(struct config, dns_cache_max_ttl_ms), 0, 0,
     7 * 86400, NULL, NULL, NULL, NULL},
    {"dns_first_timeout", F_DURATION, offsetof(struct config, dns_first_timeout_ms), 0, 0, 300,
     NULL, NULL, NULL, NULL},
    FLD_UINT("max_mx_hosts", max_mx_hosts, 1, 64),
    FLD_UINT("max_addresses", max_addresses, 1, 64),
    FLD_UINT("max_dns_in_flight", max_dns_in_flight, 1, 100000),
    FLD_UINT("max_smtp_in_flight", max_smtp_in_flight, 1, 100000),
    FLD_UINT("smtp_address_per_minute", smtp_address_per_minute, 1, 600),
    {"transcript_bytes", F_UINT, offsetof(struct config, transcript_bytes), 0, 256, 1u << 20, NULL,
     NULL, NULL, NULL},
    FLD("shard", F_SHARD, shard),
    {"status_source", F_ENUM, offsetof(struct config, status_source), 0, 0, 0, status_source_names,
     NULL, NULL, NULL},
    FLD("throttled_is_down", F_BOOL, throttled_is_down),
    {"delivery_fresh", F_DURATION, offsetof(struct config, delivery_fresh_ms), 0, 0, 7 * 86400,
     NULL, NULL, NULL, NULL},
    FLD("tls_policy", F_BOOL, tls_policy),
    {"tls_policy_interval", F_DURATION, offsetof(struct config, tls_policy_interval_ms), 0, 60,
     7 * 86400, NULL, NULL, NULL, NULL},
    FLD("tls_ca_file", F_STR, tls_ca_file),
    FLD_UINT("mta_sts_port", mta_sts_port, 1, 65535),
    {"sending_addresses", F_STRLIST, offsetof(struct config, sending_addresses),
     offsetof(struct config, n_sending_addresses), 0, 0, NULL, NULL, NULL, config_check_ip_address},
    {"dnsbl_zones", F_STRLIST, offsetof(struct config, dnsbl_zones),
     offsetof(struct config, n_dnsbl_zones), 0, 0, NULL, NULL, NULL, config_check_dnsbl_zone},
    {"reputation_interval", F_DURATION, offsetof(struct config, reputation_interval_ms), 0, 0,
     7 * 86400, NULL, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const char *const txn_mode_names[] = {"none", "rcpt", "data", NULL};

static int check_txn_from(const char *v, char *why, size_t cap)
{
    if (txn_addr_ok(v, true))
        return 0;
    snprintf(why, cap, "is not a sender address (local@domain, or empty for <>)");
    return -1;
}

static int check_txn_to(const char *v, char *why, size_t cap)
{
    if (txn_addr_ok(v, false))
        return 0;
    snprintf(why, cap, "is not a recipient address (local@domain)");
    return -1;
}

#define TXN_OFF(m) offsetof(struct dest_config, txn.m)
static const struct field txn_schema[] = {
    {"mode", F_ENUM, TXN_OFF(mode), 0, 0, 0, txn_mode_names, NULL, NULL, NULL},
    {"from", F_STR, TXN_OFF(from), 0, 0, 0, NULL, NULL, NULL, check_txn_from},
    {"to", F_STR, TXN_OFF(to), 0, 0, 0, NULL, NULL, NULL, check_txn_to},
    {"every", F_DURATION, TXN_OFF(every_ms), 0, 0, 7 * 86400, NULL, NULL, NULL, NULL},
    {"size", F_UINT, TXN_OFF(size), 0, 0, TXN_SIZE_MAX, NULL, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field dest_schema[] = {
    {"domain", F_STR, offsetof(struct dest_config, domain), 0, 0, 0, NULL, NULL, NULL, NULL},
    PROBE_FIELDS(struct dest_config, params),
    {"transaction", F_SECTION, 0, 0, 0, 0, NULL, txn_schema, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field delivernow_schema[] = {
    FLD("enabled", F_BOOL, delivernow_enabled),
    FLD_LIST("admin_users", F_STRLIST, delivernow_users, n_delivernow_users),
    FLD("token_file", F_STR, delivernow_token_file),
    FLD("retry_on_recovery", F_BOOL, retry_on_recovery),
    FLD("retry_min_interval", F_DURATION, retry_min_interval_ms),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field web_metrics_schema[] = {
    FLD("per_address", F_AUTOBOOL, web_metrics_per_address),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field web_schema[] = {
    {"listen_address", F_STR, offsetof(struct config, web_listen_address), 0, 0, 0, NULL, NULL,
     NULL, config_check_listen_address},
    FLD("config_file", F_STR, web_config_file),
    FLD_UINT("max_connections", web_max_connections, 1, 100000),
    FLD_UINT("max_connections_per_ip", web_max_connections_per_ip, 1, 100000),
    FLD("timeout", F_DURATION, web_timeout_ms),
    {"allowed_hosts", F_STRLIST, offsetof(struct config, web_allowed_hosts),
     offsetof(struct config, n_web_allowed_hosts), 0, 0, NULL, NULL, NULL,
     config_check_allowed_host},
    {"delivernow", F_SECTION, 0, 0, 0, 0, NULL, delivernow_schema, NULL, NULL},
    {"metrics", F_SECTION, 0, 0, 0, 0, NULL, web_metrics_schema, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field snmp_schema[] = {
    FLD("enabled", F_BOOL, snmp_enabled),
    {"agentx_socket", F_STR, offsetof(struct config, agentx_socket), 0, 0, 0, NULL, NULL, NULL,
     config_check_agentx_socket},
    FLD("ping_interval", F_DURATION, agentx_ping_interval_ms),
    FLD("timeout", F_DURATION, agentx_timeout_ms),
    FLD("trap_min_interval", F_DURATION, trap_min_interval_ms),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field postfix_schema[] = {
    FLD("enabled", F_BOOL, postfix_enabled),
    FLD("config_directory", F_STR, postfix_config_dir),
    FLD("postqueue", F_STR, postfix_queue_command),
    FLD("queue_interval", F_DURATION, postfix_queue_interval_ms),
    FLD("log_file", F_STR, postfix_log_file),
    FLD("state_file", F_STR, postfix_state_file),
    FLD_LIST("transport_maps", F_STRLIST, postfix_transport_maps, n_postfix_transport_maps),
    FLD_LIST("delay_buckets", F_DURLIST, postfix_delay_buckets_ms, n_postfix_delay_buckets),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field connections_schema[] = {
    FLD("enabled", F_BOOL, connections_enabled),
    {"ports", F_UINTLIST, offsetof(struct config, connections_ports),
     offsetof(struct config, n_connections_ports), 1, 65535, NULL, NULL, NULL, NULL},
    FLD("interval", F_DURATION, connections_interval_ms),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const struct field discovery_schema[] = {
    FLD("enabled", F_BOOL, discovery_enabled),
    FLD_UINT("max_destinations", discovery_max_destinations, 0, 1000000),
    FLD("idle", F_DURATION, discovery_idle_ms),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

#define GW(k, t, m)                                                                                \
    {                                                                                              \
        k, t, offsetof(struct gateway_config, m), 0, 0, 0, NULL, NULL, NULL, NULL                  \
    }
static const struct field gateway_schema[] = {
    GW("name", F_STR, name),
    GW("url", F_STR, url),
    GW("username", F_STR, username),
    GW("password_file", F_STR, password_file),
    GW("ca_file", F_STR, ca_file),
    GW("insecure_skip_verify", F_BOOL, insecure_skip_verify),
    GW("interval", F_DURATION, interval_ms),
    GW("timeout", F_DURATION, timeout_ms),
    {"max_bytes", F_UINT, offsetof(struct gateway_config, max_bytes), 0, 4096, 64u << 20, NULL,
     NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static int gateway_item(struct ctx *c, yaml_node_t *n, void *base);
static const struct field sources_schema[] = {
    {"postfix", F_SECTION, 0, 0, 0, 0, NULL, postfix_schema, NULL, NULL},
    {"connections", F_SECTION, 0, 0, 0, 0, NULL, connections_schema, NULL, NULL},
    {"discovery", F_SECTION, 0, 0, 0, 0, NULL, discovery_schema, NULL, NULL},
    {"gateways", F_LIST, offsetof(struct config, gateways), offsetof(struct config, n_gateways), 0,
     0, NULL, gateway_schema, gateway_item, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static int dest_item(struct ctx *c, yaml_node_t *n, void *base);
static const struct field root_schema[] = {
    {"global", F_SECTION, 0, 0, 0, 0, NULL, global_schema, NULL, NULL},
    {"destinations", F_LIST, offsetof(struct config, dests), offsetof(struct config, n_dests), 0, 0,
     NULL, dest_schema, dest_item, NULL},
    {"web", F_SECTION, 0, 0, 0, 0, NULL, web_schema, NULL, NULL},
    {"snmp", F_SECTION, 0, 0, 0, 0, NULL, snmp_schema, NULL, NULL},
    {"sources", F_SECTION, 0, 0, 0, 0, NULL, sources_schema, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

/* A destination is "example.com" or {domain: example.com, probe_interval: 30s, ...}. */
static int dest_item(struct ctx *c, yaml_node_t *n, void *base)
{
    struct config *cfg = base;
    if ((cfg->n_dests & (cfg->n_dests - 1)) == 0) /* at 0, 1, 2, 4, ...: double */
        cfg->dests =
            xrealloc(cfg->dests, (cfg->n_dests ? 2 * cfg->n_dests : 1) * sizeof *cfg->dests);
    struct dest_config *d = &cfg->dests[cfg->n_dests++];
    memset(d, 0, sizeof *d);
    d->params = cfg->defaults;
    d->txn.every_ms = 15 * 60000LL; /* transaction.every's default: 15m */
    d->txn.size = 512;
    d->line = (int)n->start_mark.line + 1;
    if (scalar(n))
        d->domain = xstrdup(scalar(n));
    else if (walk_section(c, dest_schema, n, d) < 0)
        return -1;
    if (!d->domain)
        return fault(c, n, "a destination needs a domain");
    if (d->txn.mode != TXN_MODE_NONE && (!d->txn.to || !d->txn.to[0]))
        return fault(c, n, "transaction.to: a transaction probe needs a recipient");
    if (d->txn.mode != TXN_MODE_NONE && d->txn.every_ms < CONFIG_TXN_EVERY_MIN_MS)
        return fault(c, n, "transaction.every: %lld ms is below the floor of 1m",
                     (long long)d->txn.every_ms);
    const struct probe_params *dp = &d->params, *gp = &cfg->defaults;
    bool inherited = dp->total_timeout_ms == gp->total_timeout_ms &&
                     dp->connect_timeout_ms == gp->connect_timeout_ms; /* validate() says so */
    if (dp->total_timeout_ms < dp->connect_timeout_ms && !inherited)
        return fault(c, n, "total_timeout is shorter than connect_timeout");
    /* Validated before the trailing dot goes, so "x.." cannot become "x.". */
    if (mxw_valid_domain(d->domain) < 0)
        return fault(c, n, "'%s' is not a valid domain name", d->domain);
    size_t len = strlen(d->domain);
    if (d->domain[len - 1] == '.')
        d->domain[len - 1] = '\0';
    mxw_lower(d->domain);
    uintptr_t first = (uintptr_t)strmap_get(&c->dests, d->domain);
    if (first)
        return fault(c, n, "destination '%s' is listed twice (first at line %d)", d->domain,
                     cfg->dests[first - 1].line);
    /* the map holds the 1-based position, not a pointer */
    strmap_put(&c->dests, d->domain,
               (void *)(uintptr_t)cfg->n_dests); /* NOLINT(performance-no-int-to-ptr) */
    return 0;
}

/* https://host[:port] with an optional trailing '/': Basic auth without TLS would send the
 * password in the clear, and a user or password in the URL would sit in the YAML. The URL
 * is not echoed in the error, for that same reason. */
static bool gateway_url_ok(const char *url)
{
    if (strncmp(url, "https://", 8) || strlen(url) > 300)
        return false;
    const char *host = url + 8;
    size_t n = strcspn(host, "@/?# \t");
    return n > 0 && (host[n] == '\0' || (host[n] == '/' && host[n + 1] == '\0'));
}

static int gateway_item(struct ctx *c, yaml_node_t *n, void *base)
{
    struct config *cfg = base;
    cfg->gateways = xrealloc(cfg->gateways, (cfg->n_gateways + 1) * sizeof *cfg->gateways);
    struct gateway_config *g = &cfg->gateways[cfg->n_gateways++];
    memset(g, 0, sizeof *g);
    g->interval_ms = 60000;
    g->timeout_ms = 10000;
    g->max_bytes = 4u << 20;
    g->line = (int)n->start_mark.line + 1;
    if (walk_section(c, gateway_schema, n, g) < 0)
        return -1;
    if (!g->name || !g->url)
        return fault(c, n, "a gateway needs a name and a url");
    if (!g->name[0] || strlen(g->name) > 64)
        return fault(c, n, "gateway name must be 1 to 64 characters long");
    if (!gateway_url_ok(g->url))
        return fault(c, n, "gateway url must be https://host[:port] (no user, path or query)");
    for (size_t i = 0; i + 1 < cfg->n_gateways; i++)
        if (!strcmp(cfg->gateways[i].name, g->name))
            return fault(c, n, "gateway name '%s' is used twice", g->name);
    if (g->username && !g->password_file)
        return fault(c, n, "gateway '%s' has a username but no password_file", g->name);
    return 0;
}

/* ---- defaults, validation, load ---- */

static void set_defaults(struct config *cfg)
{
    cfg->defaults = (struct probe_params){
        .interval_ms = 60000,
        .dns_timeout_ms = 5000,
        .connect_timeout_ms = 10000,
        .banner_timeout_ms = 30000,
        .total_timeout_ms = 60000,
        .smtp_port = 25,
        .starttls = STARTTLS_TRY,
        .mx_policy = MX_POLICY_ALL,
        .down_after = 2,
    };
    cfg->ehlo_name = xstrdup("mxwatch.localdomain");
    cfg->dns_tries = 3;
    cfg->dns_first_timeout_ms = 1000;
    cfg->max_mx_hosts = 10;
    cfg->max_addresses = 4;
    cfg->max_dns_in_flight = 512;
    cfg->max_smtp_in_flight = 256;
    cfg->smtp_address_per_minute = 12;
    cfg->transcript_bytes = 8192;
    cfg->shard = SHARD_ALL;
    cfg->status_source = 2; /* both */
    cfg->throttled_is_down = true;
    cfg->delivery_fresh_ms = (int64_t)15 * 60 * 1000;
    cfg->tls_policy = true;
    cfg->tls_policy_interval_ms = (int64_t)3600 * 1000;
    cfg->mta_sts_port = 443;
    cfg->reputation_interval_ms = (int64_t)15 * 60 * 1000;
    cfg->web_listen_address = xstrdup(":9725");
    cfg->web_max_connections = 64;
    cfg->web_max_connections_per_ip = 16;
    cfg->dns_cache = DNS_CACHE_TTL;
    cfg->dns_cache_min_ttl_ms = 0;
    cfg->dns_cache_max_ttl_ms = (int64_t)86400 * 1000;
    cfg->web_timeout_ms = 10000;
    cfg->web_metrics_per_address = -1;
    cfg->retry_min_interval_ms = 600000;
    cfg->snmp_enabled = true;
    cfg->agentx_socket = xstrdup("/var/agentx/master");
    cfg->agentx_ping_interval_ms = 15000;
    cfg->agentx_timeout_ms = 1000;
    cfg->trap_min_interval_ms = 60000;
    cfg->postfix_config_dir = xstrdup("/etc/postfix");
    cfg->postfix_queue_command = xstrdup("/usr/sbin/postqueue");
    cfg->postfix_queue_interval_ms = 30000;
    cfg->postfix_log_file = xstrdup("/var/log/mail.log");
    cfg->postfix_state_file = xstrdup("/var/lib/mxwatch/postfix-log.state");
    cfg->connections_interval_ms = 15000;
    static const int64_t delay_buckets_s[] = {1, 5, 30, 60, 300, 900, 3600, 14400, 86400};
    cfg->n_postfix_delay_buckets = MXW_ARRAY_LEN(delay_buckets_s);
    cfg->postfix_delay_buckets_ms = xcalloc(cfg->n_postfix_delay_buckets, sizeof(int64_t));
    for (size_t i = 0; i < cfg->n_postfix_delay_buckets; i++)
        cfg->postfix_delay_buckets_ms[i] = delay_buckets_s[i] * 1000;
    cfg->connections_ports = xmalloc(sizeof *cfg->connections_ports);
    cfg->connections_ports[0] = 25;
    cfg->n_connections_ports = 1;
    cfg->discovery_max_destinations = 1000;
    cfg->discovery_idle_ms = 3600000;
}

/* The node of a section by its path of keys (NULL-terminated), or the deepest one found,
 * so that a cross-field fault points at the section it is about. */
static yaml_node_t *section_node(struct ctx *c, yaml_node_t *root, const char *const *keys)
{
    yaml_node_t *n = root;
    for (; *keys && n->type == YAML_MAPPING_NODE; keys++) {
        yaml_node_t *sub = lookup(c, n, *keys);
        if (!sub)
            break;
        n = sub;
    }
    return n;
}

/* Checks across fields; the per-destination ones are in dest_item. */
static int validate(struct ctx *c, yaml_node_t *root)
{
    struct config *cfg = c->cfg;
    static const char *const delivernow[] = {"web", "delivernow", NULL};
    static const char *const global[] = {"global", NULL};
    if (cfg->delivernow_enabled && !cfg->n_delivernow_users && !cfg->delivernow_token_file) {
        mxw_strlcpy(c->path, "web.delivernow", sizeof c->path);
        return fault(c, section_node(c, root, delivernow),
                     "enabled, but names no admin_users and no token_file");
    }
    if (cfg->dns_cache_min_ttl_ms > cfg->dns_cache_max_ttl_ms) {
        mxw_strlcpy(c->path, "global", sizeof c->path);
        return fault(c, section_node(c, root, global),
                     "dns_cache_min_ttl is longer than dns_cache_max_ttl");
    }
    static const char *const postfix[] = {"sources", "postfix", NULL};
    for (size_t i = 0; i < cfg->n_postfix_delay_buckets; i++)
        if (i >= CONFIG_DELAY_BUCKETS_MAX ||
            (i && cfg->postfix_delay_buckets_ms[i] <= cfg->postfix_delay_buckets_ms[i - 1])) {
            mxw_strlcpy(c->path, "sources.postfix.delay_buckets", sizeof c->path);
            return fault(c, section_node(c, root, postfix),
                         "must be at most %d increasing durations", CONFIG_DELAY_BUCKETS_MAX);
        }
    static const char *const senders[] = {"global", "sending_addresses", NULL};
    static const char *const zones[] = {"global", "dnsbl_zones", NULL};
    static const char *const rep_iv[] = {"global", "reputation_interval", NULL};
    if (cfg->n_sending_addresses > CONFIG_SENDERS_MAX) {
        mxw_strlcpy(c->path, "global.sending_addresses", sizeof c->path);
        return fault(c, section_node(c, root, senders), "lists more than %d addresses",
                     CONFIG_SENDERS_MAX);
    }
    if (cfg->n_dnsbl_zones > CONFIG_DNSBL_ZONES_MAX) {
        mxw_strlcpy(c->path, "global.dnsbl_zones", sizeof c->path);
        return fault(c, section_node(c, root, zones), "lists more than %d zones",
                     CONFIG_DNSBL_ZONES_MAX);
    }
    if (cfg->reputation_interval_ms < CONFIG_REPUTATION_INTERVAL_MIN_MS) {
        mxw_strlcpy(c->path, "global.reputation_interval", sizeof c->path);
        return fault(c, section_node(c, root, rep_iv),
                     "is shorter than %ds (DNSBLs ask to be "
                     "queried gently)",
                     CONFIG_REPUTATION_INTERVAL_MIN_MS / 1000);
    }
    if (cfg->defaults.total_timeout_ms < cfg->defaults.connect_timeout_ms) {
        mxw_strlcpy(c->path, "global", sizeof c->path);
        return fault(c, section_node(c, root, global),
                     "total_timeout is shorter than connect_timeout");
    }
    return 0;
}

/* ---- checks of single values (also run on the command line's overrides, cli_load_config) ---- */

int config_check_listen_address(const char *s, char *why, size_t cap)
{
    char host[128];
    unsigned port;
    if (hostport_split(s, host, sizeof host, &port) < 0) {
        snprintf(why, cap, "is not host:port, [v6]:port or :port");
        return -1;
    }
    if (host[0] && strcmp(host, "localhost") && !hostport_is_ip(host)) {
        snprintf(why, cap, "names a host that is not an IP address (or localhost)");
        return -1;
    }
    return 0;
}

/* A host name or address as a Host header carries it, with or without a port: "*", or
 * letters, digits, '.', '-', '_', ':' and brackets. */
int config_check_allowed_host(const char *s, char *why, size_t cap)
{
    size_t n = strlen(s);
    if (!strcmp(s, "*"))
        return 0;
    if (n == 0 || n > 255 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789.-_:[]") != n) {
        snprintf(why, cap, "is not a host name or address (with an optional :port), or *");
        return -1;
    }
    return 0;
}

int config_check_ip_address(const char *s, char *why, size_t cap)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1) {
        snprintf(why, cap, "is not an IPv4 or IPv6 address");
        return -1;
    }
    return 0;
}

/* A DNSBL zone: a host name of letters, digits, '-', '_' and dots, no empty label, short
 * enough that the longest query name (an IPv6 address's 32 nibbles) fits in front of it. */
int config_check_dnsbl_zone(const char *s, char *why, size_t cap)
{
    size_t n = strlen(s);
    bool ok = n > 0 && n <= CONFIG_DNSBL_ZONE_MAX && s[0] != '.' && !strstr(s, "..") &&
              strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
    for (const char *p = s; ok && *p;) {
        size_t label = strcspn(p, ".");
        ok = label <= 63;
        p += label + (p[label] == '.');
    }
    if (!ok) {
        snprintf(why, cap,
                 "is not a DNS zone name (letters, digits, '-', labels of at most 63, "
                 "at most %d characters)",
                 CONFIG_DNSBL_ZONE_MAX);
        return -1;
    }
    return 0;
}

int config_check_dns_server(const char *s, char *why, size_t cap)
{
    char host[64];
    unsigned port;
    if (hostport_ip_port(s, host, sizeof host, &port) < 0) {
        snprintf(why, cap, "is not ip, ip:port or [ipv6]:port");
        return -1;
    }
    return 0;
}

int config_check_agentx_socket(const char *s, char *why, size_t cap)
{
    if (strlen(s) > CONFIG_AGENTX_SOCKET_MAX) {
        snprintf(why, cap, "is longer than %d characters", CONFIG_AGENTX_SOCKET_MAX);
        return -1;
    }
    return 0;
}

struct config *config_defaults(void)
{
    struct config *cfg = xcalloc(1, sizeof *cfg);
    set_defaults(cfg);
    return cfg;
}

struct config *config_parse(const char *name, const char *text, size_t len, char *err,
                            size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct config *cfg = config_defaults();
    struct ctx c = {.name = name, .doc = &doc, .cfg = cfg, .err = err, .errlen = errlen};
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: YAML syntax: %s", name, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "error");
        yaml_parser_delete(&parser);
        config_free(cfg);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
        rc = walk_section(&c, root_schema, root, cfg);
    if (rc == 0 && root)
        rc = validate(&c, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    strmap_free(&c.dests);
    if (rc < 0) {
        config_free(cfg);
        return NULL;
    }
    cfg->path = xstrdup(name);
    return cfg;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
    char *buf = xmalloc(CONFIG_FILE_MAX + 1);
    size_t n;
    struct config *cfg = NULL;
    if (mxw_read_bounded(path, buf, CONFIG_FILE_MAX + 1, &n) == 0)
        cfg = config_parse(path, buf, n, err, errlen);
    else if (errno == EFBIG)
        snprintf(err, errlen, "%s: larger than 4 MiB, refusing to parse", path);
    else
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    free(buf);
    return cfg;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->ehlo_name);
    free(cfg->source_address);
    free(cfg->tls_ca_file);
    free_strv(cfg->dns_servers, cfg->n_dns_servers);
    free_strv(cfg->sending_addresses, cfg->n_sending_addresses);
    free_strv(cfg->dnsbl_zones, cfg->n_dnsbl_zones);
    for (size_t i = 0; i < cfg->n_dests; i++) {
        free(cfg->dests[i].domain);
        free(cfg->dests[i].txn.from);
        free(cfg->dests[i].txn.to);
    }
    free(cfg->dests);
    free(cfg->web_listen_address);
    free(cfg->web_config_file);
    free_strv(cfg->delivernow_users, cfg->n_delivernow_users);
    free_strv(cfg->web_allowed_hosts, cfg->n_web_allowed_hosts);
    free(cfg->delivernow_token_file);
    free(cfg->agentx_socket);
    free(cfg->postfix_config_dir);
    free(cfg->postfix_queue_command);
    free(cfg->postfix_log_file);
    free(cfg->postfix_state_file);
    free_strv(cfg->postfix_transport_maps, cfg->n_postfix_transport_maps);
    free(cfg->connections_ports);
    free(cfg->postfix_delay_buckets_ms);
    for (size_t i = 0; i < cfg->n_gateways; i++) {
        struct gateway_config *g = &cfg->gateways[i];
        free(g->name);
        free(g->url);
        free(g->username);
        free(g->password_file);
        free(g->ca_file);
    }
    free(cfg->gateways);
    free(cfg);
}

bool config_metrics_per_address(const struct config *cfg, size_t n_destinations)
{
    if (cfg->web_metrics_per_address >= 0)
        return cfg->web_metrics_per_address;
    return n_destinations < CONFIG_PER_ADDRESS_AUTO_MAX;
}
