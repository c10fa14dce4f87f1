/*
 * gwstatus.h - what a commercial mail gateway's status page says, as plain data: counters,
 * rates, gauges, licence features and the root facts. The gateway source fills one from its
 * XML parser (probes/sources/gwxml.c), the store keeps it in the snapshot, and the
 * Prometheus and SNMP exporters read it; none of them needs the parser for that.
 *
 * A filled gw_status holds no library state (no libxml2 inside): once published it is an
 * immutable value that any thread may read. The helpers are pure and thread-free.
 */
#ifndef MXW_GWSTATUS_H
#define MXW_GWSTATUS_H

#include <stddef.h>

#define GW_NAME_MAX          64 /* item names and feature words, with the NUL */
#define GW_BUILD_MAX         64
#define GW_HOSTNAME_MAX      256
#define GW_TIMESTAMP_MAX     64
#define GW_SYSTEM_STATUS_MAX 32
#define GW_REASON_MAX        160

/* All strings are UTF-8, NUL-terminated, and were shorter than their buffer in the document
 * (longer ones are not truncated: their item or field is skipped). Every item struct starts
 * with its name, which gw_find_item relies on. */
struct gw_counter {
    char name[GW_NAME_MAX];
    double reset, uptime, lifetime; /* since reset, since boot, over the appliance's life */
};

struct gw_rate {
    char name[GW_NAME_MAX];
    double m1, m5, m15; /* last_1_min, last_5_min, last_15_min */
};

struct gw_gauge {
    char name[GW_NAME_MAX];
    double current; /* suffixes already applied: "79G" is 79 * 2^30 */
};

struct gw_feature {
    char name[GW_NAME_MAX];
    int has_seconds;        /* time_remaining was a number */
    double seconds;         /* then: seconds left, negative once expired */
    char word[GW_NAME_MAX]; /* otherwise: the word ("Perpetual", "Dormant"), or "" */
};

struct gw_status {
    char build[GW_BUILD_MAX]; /* root attributes, "" when absent */
    char hostname[GW_HOSTNAME_MAX];
    char timestamp[GW_TIMESTAMP_MAX];         /* as given, e.g. "20240314093015" */
    char system_status[GW_SYSTEM_STATUS_MAX]; /* <system status>, e.g. "online" */
    int has_oldest;
    double oldest_message_secs; /* age of the oldest message in the queue */
    int has_birth;
    double birth_time; /* Unix seconds; "YYYYMMDDhhmmss[ ...]" is read as UTC */
    struct gw_counter *counters;
    size_t ncounters;
    struct gw_rate *rates;
    size_t nrates;
    struct gw_gauge *gauges;
    size_t ngauges;
    struct gw_feature *features;
    size_t nfeatures;
    unsigned skipped;                /* items or fields dropped as malformed */
    char skip_reason[GW_REASON_MAX]; /* the first of them, with its line; "" if none */
};

/* Frees the arrays and zeroes *st; safe on a zeroed or already freed status. */
void gw_status_free(struct gw_status *st);

/* The item of that exact name in an array of n items of `size` bytes that each start with
 * their name, or NULL. O(n). */
const void *gw_find_item(const void *items, size_t n, size_t size, const char *name);

/* The item of that exact name, or NULL. O(n). */
const struct gw_counter *gw_find_counter(const struct gw_status *st, const char *name);
const struct gw_rate *gw_find_rate(const struct gw_status *st, const char *name);
const struct gw_gauge *gw_find_gauge(const struct gw_status *st, const char *name);
const struct gw_feature *gw_find_feature(const struct gw_status *st, const char *name);

#endif
