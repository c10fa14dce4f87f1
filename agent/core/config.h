/*
 * config.h - the agent's configuration: the YAML schema (docs/CONFIGURATION.md) loaded
 * into one immutable struct config. Loaded on the main thread at start-up and on reload;
 * once published, a config is never changed: a reload builds a new one and the old one is
 * freed when nobody uses it any more (the daemon swaps them on the loop thread).
 *
 * Errors name the file, line, column and key: "mxwatch.yml:12:5: global.probe_interval:
 * bad duration 'fast'".
 */
#ifndef MXW_CONFIG_H
#define MXW_CONFIG_H

#include "shard.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ERR_MAX 512

enum starttls_mode { STARTTLS_TRY, STARTTLS_NEVER, STARTTLS_REQUIRE };
enum mx_policy { MX_POLICY_ALL, MX_POLICY_FIRST };

/* Probe settings: global defaults, each may be overridden per destination. */
struct probe_params {
    int64_t interval_ms;        /* time between two probes of one destination */
    int64_t dns_timeout_ms;     /* per DNS query attempt */
    int64_t connect_timeout_ms; /* TCP connect to one MX address */
    int64_t banner_timeout_ms;  /* wait for the greeting and each later reply */
    int64_t total_timeout_ms;   /* whole SMTP session with one address */
    unsigned smtp_port;         /* 25 unless testing */
    enum starttls_mode starttls;
    enum mx_policy mx_policy; /* probe every address, or stop at the first that answers */
    unsigned down_after;      /* consecutive failed probes before "down" */
};

/* A destination's transaction probe (issue 16), `transaction:` under it; off unless asked. */
#define CONFIG_TXN_EVERY_MIN_MS 60000 /* the floor of `every`: the rate bound per destination */
struct txn_config {
    int mode;         /* enum txn_mode (txn.h); TXN_MODE_NONE (0): no transaction probe */
    char *from;       /* MAIL FROM; NULL or "": the null sender */
    char *to;         /* RCPT TO: an address the operator owns (data mode sends it mail) */
    int64_t every_ms; /* between two transactions of this destination, >= the floor */
    unsigned size;    /* data mode: the test message's bytes */
};

struct dest_config {
    char *domain; /* lower-case, no trailing dot */
    struct probe_params params;
    struct txn_config txn;
    int line; /* where it was declared, for messages */
};

struct gateway_config {
    char *name; /* 1..64 octets: the appliance="..." label and the mxwGwName index */
    char *url;  /* https://host[:port]; the status page is url + "/xml/status" */
    char *username;
    char *password_file; /* the password itself is never in the YAML */
    char *ca_file;
    bool insecure_skip_verify;
    int64_t interval_ms;
    int64_t timeout_ms;
    unsigned max_bytes; /* cap on the status document */
    int line;
};

#define CONFIG_DELAY_BUCKETS_MAX 16

struct config {
    char *path; /* the file it came from, or NULL for built-in defaults */

    /* global */
    struct probe_params defaults;
    char *ehlo_name;
    char *source_address;
    char **dns_servers; /* "ip:port" or "ip", NULL-terminated; empty = system resolver */
    size_t n_dns_servers;
    unsigned dns_tries;
    int64_t dns_first_timeout_ms; /* the first attempt; retries take dns_timeout */
    enum dns_cache_mode { DNS_CACHE_TTL, DNS_CACHE_OFF } dns_cache; /* global.dns_cache */
    /* global.status_source: the index of "probe", "delivery", "both" (the values of enum
     * status_source in store.h); global.throttled_is_down; global.delivery_fresh */
    int status_source;
    bool throttled_is_down;
    int64_t delivery_fresh_ms;
    /* global.tls_policy: TLSA lookups and DANE matching in the probes, MTA-STS and TLS-RPT
     * checks (tlspolicy.c) every tls_policy_interval; tls_ca_file: the CA bundle for the
     * policy hosts and the MX certificates (NULL: the system's); mta_sts_port: the policy
     * host's HTTPS port (443; another only for tests) */
    bool tls_policy;
    int64_t tls_policy_interval_ms;
    char *tls_ca_file;
    unsigned mta_sts_port;
    int64_t dns_cache_min_ttl_ms, dns_cache_max_ttl_ms; /* its TTL clamps */
    unsigned max_mx_hosts;                              /* per destination */
    unsigned max_addresses;                             /* per MX host and family */
    unsigned max_dns_in_flight;                         /* global caps */
    unsigned max_smtp_in_flight;
    unsigned smtp_address_per_minute; /* politeness: sessions to one MX address per minute */
    size_t transcript_bytes;          /* bound of the kept SMTP conversation per destination */
    struct shard shard;               /* the share of the destinations this agent owns (shard.h) */
    /* Sender reputation: the addresses mail leaves from (none given: source_address, if
     * set), the DNSBL zones each is looked up in, and how often (at least
     * CONFIG_REPUTATION_INTERVAL_MIN_MS). */
    char **sending_addresses;
    size_t n_sending_addresses;
    char **dnsbl_zones;
    size_t n_dnsbl_zones;
    int64_t reputation_interval_ms;

    struct dest_config *dests;
    size_t n_dests;

    /* web */
    char *web_listen_address;  /* host:port, [v6]:port or :port */
    char *web_config_file;     /* exporter-toolkit web config (TLS, basic auth) */
    bool web_enable_lifecycle; /* --web.enable-lifecycle only: POST /-/reload answers */
    unsigned web_max_connections;
    unsigned web_max_connections_per_ip;
    int64_t web_timeout_ms;
    /* web.allowed_hosts: Host header values the server answers (DNS rebinding); none given:
     * the loopback names when the listener is loopback-only, any otherwise; "*": any. */
    char **web_allowed_hosts;
    size_t n_web_allowed_hosts;
    /* web.metrics.per_address: the per-MX-address families of /metrics; -1 auto (on below
     * CONFIG_PER_ADDRESS_AUTO_MAX destinations), 0 off, 1 on. See config_metrics_per_address. */
    int web_metrics_per_address;
    bool delivernow_enabled;
    char **delivernow_users; /* basic-auth users with the admin role */
    size_t n_delivernow_users;
    char *delivernow_token_file;
    bool retry_on_recovery;
    int64_t retry_min_interval_ms;

    /* snmp */
    bool snmp_enabled;
    char *agentx_socket;
    int64_t agentx_ping_interval_ms;
    int64_t agentx_timeout_ms;
    int64_t trap_min_interval_ms; /* per destination, so a flapping host cannot flood */

    /* sources */
    bool postfix_enabled;
    char *postfix_config_dir;
    char *postfix_queue_command; /* postqueue binary */
    int64_t postfix_queue_interval_ms;
    char *postfix_log_file;
    char *postfix_state_file;
    char **postfix_transport_maps; /* "domain=nexthop" pairs mapping domains to destinations */
    size_t n_postfix_transport_maps;
    /* mxwatch_delivery_delay_seconds's upper bounds, increasing, at most
     * CONFIG_DELAY_BUCKETS_MAX */
    int64_t *postfix_delay_buckets_ms;
    size_t n_postfix_delay_buckets;
    bool connections_enabled;
    unsigned *connections_ports;
    size_t n_connections_ports;
    int64_t connections_interval_ms;
    bool discovery_enabled;
    unsigned discovery_max_destinations;
    int64_t discovery_idle_ms;
    struct gateway_config *gateways;
    size_t n_gateways;
};

/* Loads and validates path. Returns a new config, or NULL with err filled in. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Parses YAML text (name is used in messages only). */
struct config *config_parse(const char *name, const char *text, size_t len, char *err,
                            size_t errlen);
/* The built-in defaults, as if from an empty file. */
struct config *config_defaults(void);
void config_free(struct config *cfg);

const char *config_starttls_name(enum starttls_mode m);

/* Whether /metrics carries the per-MX-address families under cfg for n destinations. */
#define CONFIG_PER_ADDRESS_AUTO_MAX 10000
bool config_metrics_per_address(const struct config *cfg, size_t n_destinations);

/* The checks of single values that the file parser runs at each key's place and the
 * command line runs on its overrides, so that `run`, `check-config` and a reload refuse the
 * same things: 0, or -1 with why filled (a phrase that follows the quoted value). */
#define CONFIG_AGENTX_SOCKET_MAX          255
#define CONFIG_SENDERS_MAX                16 /* global.sending_addresses */
#define CONFIG_DNSBL_ZONES_MAX            16 /* global.dnsbl_zones */
#define CONFIG_DNSBL_ZONE_MAX             180 /* a zone's length: an IPv6 query name (72) fits before it */
#define CONFIG_REPUTATION_INTERVAL_MIN_MS 60000
int config_check_listen_address(const char *s, char *why, size_t cap);
int config_check_dns_server(const char *s, char *why, size_t cap);
int config_check_agentx_socket(const char *s, char *why, size_t cap);
int config_check_allowed_host(const char *s, char *why, size_t cap);
int config_check_ip_address(const char *s, char *why, size_t cap);
int config_check_dnsbl_zone(const char *s, char *why, size_t cap);

#endif
