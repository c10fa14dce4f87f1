/*
 * store.h - the destination state store: one record per destination (configured or
 * discovered) holding its probe results, MTA figures and status, plus agent-wide figures.
 *
 * Concurrency rules (the whole contract; see also docs/ARCHITECTURE.md):
 *  - The store is written only on the loop thread (probes, sources, scheduler, reload).
 *    Writers change the loop-private working records through the store_* setters below.
 *  - Readers on other threads (HTTP, SNMP) never see working records. They call
 *    store_snapshot_acquire(), which returns the latest published snapshot: an immutable,
 *    reference-counted, sorted array of immutable destination views. They read it without
 *    locks for as long as they like and give it back with store_snapshot_release().
 *  - store_publish() (loop thread) turns the working records into a new snapshot, and only
 *    when something changed. Views of destinations that did not change are shared, not
 *    copied, and so are whole runs of STORE_CHUNK of them: a publish costs
 *    O(N / STORE_CHUNK) pointer copies plus O(changed), and O(N) only when destinations
 *    came or went. Readers count snapshots only: a view or run that leaves the published
 *    set is freed by the loop at a later publish, once no snapshot that may show it is held.
 *  - The only lock is a mutex around the "current snapshot" pointer swap and ref-count
 *    increment; it is held for a few instructions, never across I/O.
 *  - Gateway views follow the same rule: the gateway source builds a new one per poll on the
 *    loop thread, and from store_set_gateways on it is immutable and shared by reference
 *    between the store and the snapshots that publish it.
 */
#ifndef MXW_STORE_H
#define MXW_STORE_H

#include "buf.h"
#include "gwstatus.h"
#include "jobs.h"
#include "shard.h"
#include "txn.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_DOMAIN_MAX   254 /* 253 characters and the terminator */
#define STORE_BANNER_MAX   512 /* first greeting line(s) kept per address */
#define STORE_EHLO_MAX     1024
#define STORE_REASON_MAX   64
#define STORE_TLSVER_MAX   32
#define STORE_ADDR_STR_MAX 46
#define STORE_HISTORY_MAX  240 /* recent changes kept per destination for charts */
#define STORE_REPLY_MAX    256 /* reply text of the last delivery attempt, terminator included */

enum dest_status { DEST_UNKNOWN = 0, DEST_UP = 1, DEST_DOWN = 2 };
enum dest_origin { ORIGIN_CONFIG = 0, ORIGIN_DISCOVERED = 1 };

/* Outcome of one SMTP check of one MX address (issue: probe engine). */
enum mx_outcome {
    OUT_NOT_PROBED = 0,
    OUT_OK,
    OUT_REFUSED,
    OUT_UNREACHABLE,
    OUT_CONNECT_TIMEOUT,
    OUT_BANNER_TIMEOUT,
    OUT_BANNER_4XX,
    OUT_BANNER_5XX,
    OUT_EHLO_REJECTED,
    OUT_TLS_FAILED,
    OUT_PROTOCOL_ERROR,
    OUT_LOCAL_ERROR,
    OUT__COUNT
};

/* Destination-level reasons beyond the per-address outcomes. */
enum dest_reason {
    REASON_NOT_PROBED = 0,
    REASON_OK,
    REASON_DNS_NXDOMAIN,
    REASON_DNS_TEMPORARY,
    REASON_NULL_MX,
    REASON_NO_ADDRESS,
    REASON_ALL_FAILED, /* every address failed; the class of the primary is in addr_outcome */
    REASON_LOCAL,
    /* Answering addresses, none the MTA may use: an enforced MTA-STS policy no MX passes, or
     * authenticated TLSA records no address matches (docs/TLS.md). */
    REASON_MTA_STS,
    REASON_DANE,
    REASON__COUNT
};

/* The outcome of one delivery attempt of the MTA, from its log (issue 15 item 2). */
enum delivery_class {
    DELIV_NONE = 0,
    DELIV_SENT,     /* status=sent */
    DELIV_CONNECT,  /* connect to ...: refused, timed out, no route */
    DELIV_GREETING, /* the greeting: "refused to talk to me: 4xx/5xx" */
    DELIV_TLS,      /* TLS could not be started or was required and missing */
    DELIV_REPLY,    /* a 4xx/5xx reply to a command after the greeting */
    DELIV_LOST,     /* lost connection, or conversation timed out, while ... */
    DELIV__COUNT
};

/* The SMTP command a reply answered (or the step a connection was lost in). */
enum delivery_cmd {
    DCMD_NONE = 0,
    DCMD_CONNECT,
    DCMD_GREETING,
    DCMD_EHLO, /* EHLO, HELO or LHLO */
    DCMD_STARTTLS,
    DCMD_MAIL,
    DCMD_RCPT,
    DCMD_DATA,
    DCMD_END_OF_DATA,
    DCMD_OTHER,
    DCMD__COUNT
};

/* Which signal set a destination's status: its probes, the MTA's deliveries, or the agent's
 * own transaction probe (store_dest_set_transaction). */
enum dest_signal { SIGNAL_NONE = 0, SIGNAL_PROBE, SIGNAL_DELIVERY, SIGNAL_TRANSACTION };

/* What a delivery attempt or a transaction probe says of the destination's status
 * (store_delivery_vote, store_txn_vote). Only a transaction votes rejected: a 5xx to one of
 * the MTA's messages is that message's trouble, a 5xx to the operator's own canary sender
 * and recipient is the destination refusing the mail it was asked to take. */
enum delivery_vote { VOTE_NONE = 0, VOTE_UP, VOTE_DOWN, VOTE_THROTTLED, VOTE_REJECTED };

/* global.status_source */
enum status_source { STATUS_SOURCE_PROBE = 0, STATUS_SOURCE_DELIVERY, STATUS_SOURCE_BOTH };

/* The last delivery attempt of a destination: made once per attempt on the loop thread
 * (store_delivery_new), immutable from then on, shared by reference between the log source
 * and every view that shows it, freed with its last reference on any thread. */
struct delivery_attempt {
    atomic_int refs;
    double at; /* wall time the agent read the log line (it follows the log near real time) */
    enum delivery_class cls;
    enum delivery_cmd cmd;
    enum mx_outcome outcome; /* the class in the probe's terms: refused, banner_4xx, ... */
    unsigned reply;          /* SMTP reply code, 0 when none */
    char enhanced[12];       /* "4.7.1", "" when none */
    char addr[STORE_ADDR_STR_MAX];
    const char *host; /* into data; "" when unknown */
    const char *text; /* into data: at most STORE_REPLY_MAX - 1 bytes, no control bytes */
    char data[];
};

/* The fields of a new attempt; strings are copied (host cut below STORE_DOMAIN_MAX, text
 * below STORE_REPLY_MAX, control and non-ASCII bytes of both replaced with '?'). */
struct delivery_fields {
    double at;
    enum delivery_class cls;
    enum delivery_cmd cmd;
    enum mx_outcome outcome;
    unsigned reply;
    const char *enhanced, *host, *addr, *text;
};
const struct delivery_attempt *store_delivery_new(const struct delivery_fields *f);
const struct delivery_attempt *store_delivery_ref(const struct delivery_attempt *a);
void store_delivery_unref(const struct delivery_attempt *a);
/* The status vote of an attempt (the rules of docs/CONFIGURATION.md, global.status_source):
 * sent: up; failed at connect, greeting, EHLO or TLS: down; greeted with 220 but a 4xx to
 * MAIL, RCPT or DATA: throttled; a 5xx after the greeting or a connection lost after EHLO:
 * no vote (the trouble of one message, not of the host). Pure. */
enum delivery_vote store_delivery_vote(const struct delivery_attempt *a);
const char *store_delivery_class_name(enum delivery_class c);
const char *store_delivery_cmd_name(enum delivery_cmd c);
const char *store_signal_name(enum dest_signal s);
const char *store_vote_name(enum delivery_vote v);

/* The last transaction probe of a destination (issue 16, probes/txnprobe.c): made once per
 * transaction on the loop thread (store_txn_new), immutable from then on, shared by the views
 * that show it, freed with its last reference on any thread. Only destinations with a
 * `transaction:` section have one. */
struct store_txn {
    atomic_int refs;
    enum mx_outcome outcome; /* the session's class (ok, refused, local_error, ...) */
    enum txn_signal signal;  /* what it said of delivery (txn_signal_of) */
    struct txn_result r;     /* mode, time, success, the failing phase, every phase's reply */
    const char *from, *to;   /* into data: the envelope, as configured */
    const char *mx;          /* into data: the MX host's name ("" when unknown) */
    char data[];
};
/* A block of one reference (the caller's): a copy of *r and of the three texts (each cut
 * below TXN_ADDR_MAX, or STORE_DOMAIN_MAX for mx; NULL is ""). */
const struct store_txn *store_txn_new(const struct txn_result *r, enum mx_outcome outcome,
                                      const char *from, const char *to, const char *mx);
const struct store_txn *store_txn_ref(const struct store_txn *t);
void store_txn_unref(const struct store_txn *t);
/* The status vote of a transaction: success up, a 4xx at MAIL, RCPT, DATA or the end of data
 * after a 2xx greeting throttled, a 5xx there rejected; anything else (it never got that far,
 * or the agent's own trouble) no vote: the banner probe speaks of connects and greetings.
 * Pure. */
enum delivery_vote store_txn_vote(const struct store_txn *t);

/* How statuses are derived (global.status_source, global.throttled_is_down,
 * global.delivery_fresh); set at start-up and reload, loop thread. Applies from the next
 * probe result or delivery attempt of each destination. */
struct store_status_policy {
    enum status_source source;
    bool throttled_is_down;
    double delivery_fresh_s; /* how long a delivery's vote stands against the probe */
};
void store_set_status_policy(const struct store_status_policy *p);

/* The texts of one SMTP session: the greeting and the EHLO reply lines it read ('\n'-separated)
 * and its transcript ("+0.001 S: 220 ..." lines), each "" when none. Made once per session
 * (store_text_new, loop thread), immutable from then on and freed with its last reference,
 * which may be dropped on any thread: every destination the session's result fans out to,
 * every view of theirs in any snapshot and every transcript that shows the session hold the
 * same block, so a view costs a pointer, not a copy of the text. */
#define STORE_CHAIN_MAX 4 /* certificates of a presented chain kept for DANE, leaf first */
struct store_tls_chain {
    uint8_t n;     /* certificates kept */
    uint8_t ta_ok; /* bit i: the leaf chains up to certificate i, valid for the MX name */
    struct {
        uint8_t cert256[32], cert512[64]; /* SHA-256 and SHA-512 of the DER certificate */
        uint8_t spki256[32], spki512[64]; /* and of its DER SubjectPublicKeyInfo */
    } c[STORE_CHAIN_MAX];
};

struct smtp_text {
    atomic_int refs;
    /* Digests of the chain the address presented over TLS (dane.c), NULL without TLS; into
     * data. Shared like the texts: a session's, not a view's. */
    const struct store_tls_chain *chain;
    const char *banner;     /* at most STORE_BANNER_MAX - 1 bytes; into data */
    const char *ehlo;       /* at most STORE_EHLO_MAX - 1 bytes; into data */
    const char *transcript; /* as bounded by the session (transcript_max); into data */
    char data[];
};

/* A name shared by reference, immutable, freed with its last reference on any thread: an
 * MX address's PTR name (mxptr.c), held once however many views show it. */
struct store_name {
    atomic_int refs;
    char name[];
};
const struct store_name *store_name_new(const char *name, size_t len);
const struct store_name *store_name_ref(const struct store_name *n);
void store_name_unref(const struct store_name *n);

/* Result of one address probe. Copies of it share its text: whoever keeps a copy takes a
 * reference (store_text_ref) and drops it with the copy (store_hosts_free does for hosts). */
struct mx_addr_result {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    char addr_str[STORE_ADDR_STR_MAX];
    enum mx_outcome outcome;
    double connect_s, banner_s, ehlo_s, tls_s; /* phase durations, negative = not reached */
    int smtp_code;                             /* greeting code, 0 if none */
    bool starttls_offered, tls_negotiated, tls_verified;
    char tls_version[STORE_TLSVER_MAX];
    double tls_cert_expiry;       /* seconds since 1970, 0 = unknown */
    uint8_t dane;                 /* enum dane_state: the host's TLSA records against the chain */
    const struct store_name *ptr; /* the address's PTR name ("": none), NULL: not known yet */
    const struct smtp_text *text; /* banner, EHLO reply, transcript; NULL: none */
    double probed_at;             /* wall time */
};

/* A block holding copies of banner and ehlo (each cut at its bound) and of transcript, with
 * one reference: the caller's. O(length). */
const struct smtp_text *store_text_new(const char *banner, const char *ehlo,
                                       const char *transcript);
/* The same with a copy of the TLS chain's digests (NULL: none). */
const struct smtp_text *store_text_new_tls(const char *banner, const char *ehlo,
                                           const char *transcript,
                                           const struct store_tls_chain *chain);
/* Another reference to t (NULL is fine); returns t. Any thread. */
const struct smtp_text *store_text_ref(const struct smtp_text *t);
/* Drops a reference (NULL is fine); the last one frees the block. Any thread. */
void store_text_unref(const struct smtp_text *t);
/* The banner, the EHLO reply and the session transcript of an address result, "" when none. */
static inline const char *store_addr_banner(const struct mx_addr_result *a)
{
    return a->text ? a->text->banner : "";
}
static inline const char *store_addr_ehlo(const struct mx_addr_result *a)
{
    return a->text ? a->text->ehlo : "";
}
static inline const char *store_addr_transcript(const struct mx_addr_result *a)
{
    return a->text ? a->text->transcript : "";
}

/* A destination's transcript of its last probe, as parts: its own lines (the probe's notes)
 * and, for each SMTP session it used, the first len bytes of that session's transcript, by
 * reference (the session's struct smtp_text, shared by every destination behind the
 * address). Built once per probe (struct store_transcript_builder), immutable, shared by the
 * views of the destination and freed with its last reference on any thread. Readers see the
 * text through store_transcript_text: the parts in order, the same bytes a copy would hold. */
struct store_transcript_part {
    const struct smtp_text *session; /* NULL: own bytes, at off in the block's own bytes */
    uint32_t off, len;
};
struct store_transcript {
    atomic_int refs;
    uint32_t n;                          /* parts */
    uint32_t len;                        /* bytes of the text */
    struct store_transcript_part part[]; /* then the own bytes */
};

/* A transcript being put together on the loop thread: zero-initialised, then max set. Its
 * text stays within max bytes (below max as long as it ends in a whole line). */
struct store_transcript_builder {
    size_t max;
    size_t len; /* of the text so far */
    struct buf own;
    struct store_transcript_part *part;
    size_t n, cap;
};
/* Appends line and a '\n' when both fit below max, otherwise nothing (a line is never cut). */
void store_tb_line(struct store_transcript_builder *b, const char *line);
/* Appends n bytes of s as the destination's own, cut to what is left of max. */
void store_tb_own(struct store_transcript_builder *b, const char *s, size_t n);
/* Appends t's transcript by reference (NULL: nothing), cut to what is left of max. */
void store_tb_session(struct store_transcript_builder *b, const struct smtp_text *t);
/* The transcript built, with one reference (the caller's), NULL when empty; b is empty
 * afterwards. O(own bytes + parts). */
const struct store_transcript *store_tb_finish(struct store_transcript_builder *b);
/* Drops what b holds. */
void store_tb_free(struct store_transcript_builder *b);
/* Another reference (NULL is fine); returns t. Drops one: the last frees the block and drops
 * its sessions' references. Any thread. */
const struct store_transcript *store_transcript_ref(const struct store_transcript *t);
void store_transcript_unref(const struct store_transcript *t);
/* The text of t as a new string (free it), NULL when t is NULL. O(length). Any thread. */
char *store_transcript_text(const struct store_transcript *t);

enum mx_host_dns { MXH_OK = 0, MXH_NXDOMAIN, MXH_NODATA, MXH_TEMPORARY };

/* ---- TLS policy (RFC 8461 MTA-STS, RFC 7672 DANE, RFC 8460 TLS-RPT): docs/TLS.md ---- */

/* An MTA-STS policy's mode. */
enum sts_mode { STS_MODE_NONE = 0, STS_MODE_TESTING, STS_MODE_ENFORCE };
/* What a TXT record set says (the _mta-sts and _smtp._tls records). */
enum txt_policy {
    TXT_POLICY_ABSENT = 0, /* no record of this kind */
    TXT_POLICY_OK,         /* exactly one well-formed record */
    TXT_POLICY_MALFORMED,  /* one, not well formed */
    TXT_POLICY_MULTIPLE,   /* more than one: both RFCs say use none */
    TXT_POLICY_FAILED,     /* the lookup failed (temporary, or the agent's own trouble) */
};
/* An MX address's TLSA verdict (dane.c). */
enum dane_state {
    DANE_NONE = 0, /* the host has no TLSA records, or the address did not answer */
    DANE_MATCH,    /* a usable record matched the presented chain */
    DANE_MISMATCH, /* usable records, none matched: a DANE client refuses the address */
    DANE_NO_TLS,   /* usable records, but the session had no TLS: refused too */
    DANE_UNUSABLE, /* records, none usable: TLS still mandatory, unauthenticated */
    DANE__COUNT
};
/* How an MX host's TLSA lookup (_25._tcp.HOST) ended. */
enum tlsa_lookup { TLSA_NONE = 0, TLSA_RECORDS, TLSA_FAILED };
/* An MX host against the destination's MTA-STS policy in force. */
enum sts_host {
    STS_HOST_NA = 0,     /* no policy in force, or mode none */
    STS_HOST_OK,         /* listed, and every address that answered showed a valid certificate */
    STS_HOST_NOT_LISTED, /* no mx: pattern matches the host */
    STS_HOST_BAD_CERT,   /* listed, but an address had no TLS or a certificate not valid for it */
    STS_HOST__COUNT
};
const char *store_sts_mode_name(enum sts_mode m);
const char *store_txt_policy_name(enum txt_policy t);
const char *store_dane_name(enum dane_state s);
const char *store_tlsa_name(enum tlsa_lookup t);
const char *store_sts_host_name(enum sts_host s);

/* A destination's published policies as the policy checker (tlspolicy.c) last read them:
 * made once per check, immutable, shared by the views, freed with its last reference on any
 * thread. Its texts are as long as they are; the checks that find nothing at all (most
 * destinations publish no policy) share one block. */
#define STORE_STS_ID_MAX  33
#define STORE_POLICY_TEXT 256 /* bound of each text, NUL included */
struct store_tls_policy {
    atomic_int refs;
    enum txt_policy sts_txt; /* the _mta-sts record */
    char sts_id[STORE_STS_ID_MAX];
    bool sts_in_force;       /* a policy applies: fetched, or cached and not expired */
    enum sts_mode sts_mode;  /* with sts_in_force */
    unsigned sts_max_age;    /* seconds */
    double sts_fetched_at;   /* wall time the policy in force was fetched */
    enum txt_policy rpt_txt; /* the _smtp._tls record */
    /* Into data, "" when none: the policy's mx patterns, space-separated; the latest fault
     * (record, fetch, policy); where TLS reports go, as published. Each cut below
     * STORE_POLICY_TEXT. */
    const char *sts_mx, *sts_error, *rpt_rua;
    char data[];
};
/* A block of one reference: the scalars of *p (refs and texts ignored) and copies of the
 * three texts. */
const struct store_tls_policy *store_tls_policy_new(const struct store_tls_policy *p,
                                                    const char *sts_mx, const char *sts_error,
                                                    const char *rpt_rua);
/* A destination's TLS findings counted over its MX hosts (for /metrics and SNMP). Pure. */
struct store_tls_summary {
    unsigned sts_failing;    /* hosts STS_HOST_NOT_LISTED or STS_HOST_BAD_CERT */
    bool tlsa;               /* a host has TLSA records */
    bool tlsa_authenticated; /* and every such answer carried the AD bit */
    unsigned dane_match;     /* answering addresses DANE_MATCH */
    unsigned dane_failing;   /* answering addresses DANE_MISMATCH or DANE_NO_TLS */
};
struct dest_view;
void store_tls_summary(const struct dest_view *d, struct store_tls_summary *out);

const struct store_tls_policy *store_tls_policy_ref(const struct store_tls_policy *p);
void store_tls_policy_unref(const struct store_tls_policy *p);

struct mx_host {
    char *name; /* as long as it is (less than STORE_DOMAIN_MAX); set by store_host_set_name */
    unsigned preference;
    unsigned ttl;            /* of the MX record (the domain's own A TTL for implicit MX) */
    enum mx_host_dns dns;    /* outcome of the address lookups for this host */
    bool implicit;           /* RFC 5321 5.1 implicit MX: the domain itself */
    uint8_t tlsa;            /* enum tlsa_lookup */
    bool tlsa_authenticated; /* the TLSA answer carried the resolver's AD bit */
    uint8_t n_tlsa, n_tlsa_usable;
    uint8_t sts; /* enum sts_host */
    size_t n_addrs;
    struct mx_addr_result *addrs;
};

/* Outbound errors by enhanced status code (MTA-MIB mtaGroupErrorTable): 5.1.1 is 5001001. */
#define STORE_ERROR_CODES_MAX 32
struct mta_error_count {
    uint32_t code;
    uint64_t count;
};

/* The block behind mta_figures.errors: exactly n_errors entries, reference-counted. Most
 * destinations have none, and views that share figures share the block: copying a view
 * costs a pointer. A writer changes it in place only while it holds the one reference,
 * otherwise on a copy (store_mta_count_code), so a published block never changes. */
struct mta_errors {
    atomic_int refs;
    struct mta_error_count e[];
};

/* Delivery delays (Postfix's delay= of final status lines: sent and bounced, never the
 * retries), as a histogram: b[i].count delays were at most b[i].le seconds (cumulative, as
 * Prometheus has it); count and sum over all of them. At most STORE_DELAY_BUCKETS_MAX
 * bounds, carried in the block so a reload that changes them starts a new one. Shared and
 * written like struct mta_errors: in place only while unshared. */
#define STORE_DELAY_BUCKETS_MAX 16
struct mta_delays {
    atomic_int refs;
    size_t n;
    uint64_t count;
    double sum;
    struct {
        double le;
        uint64_t count;
    } b[];
};

/* Queued recipients by age: qshape's buckets, each exclusive and labelled by its upper
 * bound (5m: younger than 5 min; 1h: 5 min to 1 h; ...; older: 1 d and more). Bounds in
 * seconds, and the label of each bucket (the /metrics age label, the JSON keys), as lists
 * for an initializer: {MTA_AGE_LABELS}. */
enum mta_age { MTA_AGE_5M, MTA_AGE_1H, MTA_AGE_4H, MTA_AGE_1D, MTA_AGE_OLDER, MTA_AGE__COUNT };
#define MTA_AGE_BOUNDS_S 300, 3600, 14400, 86400
#define MTA_AGE_LABELS   "5m", "1h", "4h", "1d", "older"
/* The Postfix queue a recipient waits in; maildrop (not yet picked up) counts as incoming. */
enum mta_queue { MTA_Q_ACTIVE, MTA_Q_DEFERRED, MTA_Q_HOLD, MTA_Q_INCOMING, MTA_Q__COUNT };
#define MTA_QUEUE_LABELS "active", "deferred", "hold", "incoming"

/* Figures from the MTA sources (queue, log, kernel sockets), per destination. */
struct mta_figures {
    bool present; /* a source has reported this destination */
    uint64_t active, unattempted, attempted;
    uint64_t conn_current, conn_pending;
    uint64_t delivered, completed, soft_bounce, deleted;
    uint64_t hard_dns, hard_5xx, hard_filter, hard_expired, hard_other;
    double oldest_age_s;
    /* The queue's shape, as of the latest scan: the newest message's age and the recipients
     * by age (both hold excluded, like active), the recipients by queue (hold included). */
    double newest_age_s;
    uint32_t queued_age[MTA_AGE__COUNT];
    uint32_t queued_in[MTA_Q__COUNT];
    uint64_t conn_failed; /* failed outbound associations (MTA-MIB) */
    char last_failure[STORE_REASON_MAX * 2];
    /* errors[0..n_errors), sorted by code, at most STORE_ERROR_CODES_MAX (codes beyond the
     * bound are not counted); NULL when none. The e[] of a struct mta_errors this struct
     * holds a reference to: copy with store_mta_copy, drop with store_mta_clear. */
    size_t n_errors;
    const struct mta_error_count *errors;
    const struct mta_delays *delays; /* NULL before the first final delivery */
};

struct history_sample {
    double t;
    uint32_t active;
    uint8_t status; /* enum dest_status */
};

struct store_history {
    atomic_int refs;
    size_t n;
    struct history_sample s[];
};

/* One destination, immutable once published. */
struct dest_view {
    enum dest_origin origin;
    unsigned index; /* stable small integer for the agent's lifetime (MTA-MIB) */
    enum dest_status status;
    enum dest_reason reason;
    enum mx_outcome addr_outcome; /* with REASON_ALL_FAILED: the primary address's class */
    double status_changed;        /* wall time of the last status change, 0 = never */
    double last_probe;            /* wall time, 0 = never */
    double dns_s;                 /* duration of the last DNS resolution */
    unsigned dns_ttl;             /* min TTL of the MX answer */
    bool dns_cached;              /* the MX answer came from the agent's cache */
    double dns_age_s;             /* its age then (0 when the resolver was asked) */
    uint64_t
        probes[OUT__COUNT + REASON__COUNT]; /* probes_total by result name, see store_result_name */
    unsigned consecutive_failures;
    /* The latest up or down status before the current one (unknown is not news): observers
     * see the one before the change they are told of. DEST_UNKNOWN = never up or down. */
    enum dest_status last_definite;
    /* The signal that set the current status (observers read it from the view they are
     * given), the status the probes alone give (with damping), and the last delivery vote
     * that counted, with its time and class (what combines with the probe's). */
    enum dest_signal status_signal;
    enum dest_status probe_status;
    enum delivery_vote vote;
    enum mx_outcome vote_outcome;
    double vote_at;
    /* The MTA's last delivery attempt (any, voting or not); NULL before the first. And the
     * latest one a server answered with a 4xx or 5xx reply, kept after later successes as
     * the vendor's "Latest 4XX/5XX reply" is; NULL before one. */
    const struct delivery_attempt *delivery;
    const struct delivery_attempt *last_error;
    size_t n_hosts;
    struct mx_host *hosts; /* sorted by preference; shared by the views of one probe result */
    struct store_hosts_refs *hosts_refs; /* how many views share hosts; NULL when no hosts */
    struct mta_figures mta;
    const struct store_transcript *transcript; /* of the last probe, bounded; may be NULL */
    /* What changed at probes (status or active recipients), at most STORE_HISTORY_MAX,
     * oldest first; NULL before the first probe. Immutable and shared by the views of the
     * destination until the next change, so a view costs a pointer, not 240 samples. */
    const struct store_history *history;
    /* The latest TLS policy check: its findings (NULL before the first; the many checks
     * that find nothing share one block) and when it ended (wall time). */
    const struct store_tls_policy *tls_policy;
    double tls_checked_at;
    /* The last transaction probe; NULL when none ran (or the destination has none). */
    const struct store_txn *txn;
    /* Which signal cast the vote above: SIGNAL_DELIVERY or SIGNAL_TRANSACTION. */
    enum dest_signal vote_signal;
    char domain[]; /* as long as it is (less than STORE_DOMAIN_MAX): allocated with the view */
};

struct source_status {
    char name[32];
    bool up;
    uint64_t errors;
    double last_duration_s;
    double last_success;  /* wall time */
    bool per_destination; /* reports MTA figures per destination (not the gateway poller) */
};

#define STORE_SOURCES_MAX 16

/* Agent-wide figures, copied into every snapshot. */
/* The probe engine's own figures: what it did, and the trouble on this side (never a
 * destination's fault). */
struct probe_figures {
    uint64_t dns_timeouts, dns_retries, dns_socket_drops;
    uint64_t dns_cache_hits, dns_cache_misses, dns_cache_entries;
    uint64_t smtp_sessions, smtp_answers, smtp_shared, smtp_rate_waits;
    uint64_t smtp_addresses;
    /* probes ended "local", by cause: the resolver answered nobody, no descriptor/memory/port,
     * a deadline the loop missed */
    uint64_t local_resolver, local_resources, local_late;
};

struct agent_figures {
    unsigned dns_in_flight, smtp_in_flight, http_in_flight;
    bool metrics_per_address; /* /metrics carries the per-MX-address families */
    struct probe_figures probe;
    double loop_lag_s;
    bool config_reload_ok;
    double config_reload_time;
    bool agentx_connected;
    bool first_round_done; /* every destination probed once: /-/ready */
    double start_time;
    struct shard shard; /* the share of the destinations this agent owns; set with them */
    size_t n_sources;
    struct source_status sources[STORE_SOURCES_MAX];
    uint64_t delivernow_manual, delivernow_recovery;
};

/* One polled mail gateway appliance (issue: gateway source): the outcome of its latest poll
 * and the document of its latest good one. Built by the gateway source on the loop thread,
 * immutable once given to store_set_gateways, freed with its last reference. */
#define STORE_GATEWAY_NAME_MAX  65 /* 64 octets, as mxwGwName allows, and the terminator */
#define STORE_GATEWAY_ERROR_MAX 256
struct gateway_view {
    atomic_int refs;
    char name[STORE_GATEWAY_NAME_MAX];
    bool polled;                         /* a poll has ended (nothing to report before) */
    bool up;                             /* the latest poll read a status document */
    char reason[STORE_REASON_MAX];       /* "ok" or the latest failure class (docs/GATEWAYS.md) */
    char error[STORE_GATEWAY_ERROR_MAX]; /* the failure in words; never holds credentials */
    double last_poll, last_success;      /* wall time the latest (good) poll ended, 0 = never */
    double scrape_duration_s;            /* of the latest poll, failed or not */
    bool has_status;                     /* status holds the latest good document */
    struct gw_status status;
};

/* The admin jobs the loop knows (running, waiting, and the last JOBS_KEPT finished), by
 * increasing id. Immutable once given to the store; shared by the snapshots that hold it. */
struct jobs_view {
    atomic_int refs;
    size_t n;
    struct delivernow_job jobs[];
};

/* The routes the agent knows the MTA takes (sources.postfix.transport_maps), sorted by key:
 * the domains of key ("example.com", ".example.com" for its subdomains, "*" for all) go
 * through dest ("" for their own MX records). Immutable once given to the store; shared by
 * the snapshots that hold it. */
struct store_route {
    const char *key, *dest;
};
struct routes_view {
    atomic_int refs;
    size_t n;
    struct store_route r[]; /* then the strings */
};

/* The sending addresses' reputation (global.sending_addresses, probes/reputation.c): per
 * address its PTR and forward-confirmed reverse DNS, and its listing on each DNSBL zone.
 * The agent's own DNS trouble leaves a state unknown, never failed or listed. Built by the
 * reputation check on the loop thread after each round, immutable once given to the store;
 * shared by the snapshots that hold it. */
#define STORE_SENDERS_MAX     16  /* addresses checked (config.h: CONFIG_SENDERS_MAX) */
#define STORE_ZONES_MAX       16  /* DNSBL zones (config.h: CONFIG_DNSBL_ZONES_MAX) */
#define STORE_SENDER_TEXT_MAX 256 /* a listing's TXT reason or an error, cut */
enum fcrdns_state { FCRDNS_UNKNOWN = 0, FCRDNS_OK, FCRDNS_FAIL };
enum dnsbl_state { DNSBL_UNKNOWN = 0, DNSBL_CLEAN, DNSBL_LISTED, DNSBL_ERROR };
struct sender_zone {
    char zone[STORE_DOMAIN_MAX];
    enum dnsbl_state state;
    double checked_at;                /* wall time of the last definite answer, 0 = none */
    char code[STORE_ADDR_STR_MAX];    /* listed or error: the A answer, "127.0.0.2" */
    char text[STORE_SENDER_TEXT_MAX]; /* listed: the TXT reason; error/unknown: why */
};
struct sender_address {
    char addr[STORE_ADDR_STR_MAX];
    enum fcrdns_state fcrdns;
    char ptr[STORE_DOMAIN_MAX];         /* the PTR name ("" none or not known) */
    char detail[STORE_SENDER_TEXT_MAX]; /* the FCrDNS verdict in words */
    double checked_at;                  /* wall time the last round ended for it, 0 = never */
    size_t n_zones;
    struct sender_zone zones[STORE_ZONES_MAX];
};
struct sender_view {
    atomic_int refs;
    size_t n;
    struct sender_address a[]; /* n of them, in configuration order */
};
/* A zeroed view for n addresses (at most STORE_SENDERS_MAX) with one reference, the
 * caller's; unref on any thread. */
struct sender_view *store_sender_view_new(size_t n);
void store_sender_view_unref(const struct sender_view *v);

/* The destinations of a snapshot, in runs of STORE_CHUNK views sorted by domain. A chunk
 * whose destinations did not change is shared by consecutive snapshots, so a publish costs
 * O(destinations / STORE_CHUNK + changed x STORE_CHUNK), not O(destinations). */
#define STORE_CHUNK 256
struct store_chunk {
    size_t n;
    struct dest_view *v[STORE_CHUNK]; /* n of them: a run is allocated as long as it is */
};

struct snapshot {
    atomic_int refs;
    struct snapshot *newer; /* the store's list of snapshots not yet freed (loop thread) */
    uint64_t generation;
    /* Equal in two snapshots when they hold the very same destination and gateway views
     * (only the agent figures differ), so per-snapshot indexes built on the views of one
     * are valid for the other. */
    uint64_t content_generation;
    double taken_at;
    size_t n; /* destinations, sorted by domain (strcmp) */
    size_t n_chunks;
    struct store_chunk **chunks; /* destination i: store_snapshot_dest(s, i) */
    struct agent_figures agent;
    size_t n_gateways;
    struct gateway_view **gateways;   /* in configuration order */
    const struct jobs_view *jobs;     /* NULL before the first job */
    const struct routes_view *routes; /* NULL when no route is configured */
    const struct sender_view *sender; /* NULL when no sending address is checked */
};

/* ---- readers: any thread ---- */
/* Destination i (0 <= i < s->n) in domain order. */
static inline const struct dest_view *store_snapshot_dest(const struct snapshot *s, size_t i)
{
    return s->chunks[i / STORE_CHUNK]->v[i % STORE_CHUNK];
}
const struct snapshot *store_snapshot_acquire(void);
void store_snapshot_release(const struct snapshot *s);
/* Binary search by domain; NULL when absent. O(log N). */
const struct dest_view *store_snapshot_find(const struct snapshot *s, const char *domain);
/* The job of that id in the snapshot, or NULL. O(log jobs). */
const struct delivernow_job *store_snapshot_job(const struct snapshot *s, uint64_t id);

/* Names for the enums, as used in metrics, JSON and logs. */
const char *store_status_name(enum dest_status s);
const char *store_outcome_name(enum mx_outcome o);
const char *store_reason_name(enum dest_reason r);
/* The reason string users see: "refused" for REASON_ALL_FAILED with OUT_REFUSED; with a
 * status set by a delivery or a transaction: "ok", "throttled", "rejected" (transactions
 * only), or the attempt's class ("refused"...). */
const char *store_dest_reason_text(const struct dest_view *d);
/* probes[] slot names: outcome names, then reason names. */
const char *store_result_name(size_t slot);
size_t store_result_slots(void);

/* ---- writers: loop thread only ---- */
struct dest; /* the working record, private to the store */

void store_init(void);
/* Frees everything, the snapshots too: call it once the readers have stopped. */
void store_shutdown(void);

/* Adds (or finds) a destination. A configured destination that already exists as
 * discovered becomes configured. Returns the working record. */
struct dest *store_dest_add(const char *domain, enum dest_origin origin);
struct dest *store_dest_find(const char *domain);
/* Removes destinations of the given origin that are not marked; used by reload (config)
 * and discovery (idle). store_mark_all(false) clears the marks. */
void store_mark(struct dest *d, bool mark);
void store_unmark_all(void);
size_t store_sweep_unmarked(enum dest_origin origin);
size_t store_count(void);
/* Iterates working records in insertion order; the callback may not add or remove. */
void store_foreach(void (*fn)(struct dest *d, void *arg), void *arg);

const char *store_dest_domain(const struct dest *d);
/* Kept beside a destination for the loop's owners, so that a reload of 100,000 finds them
 * without a lookup by name: the probe parameters of its configuration entry (NULL: the
 * defaults; valid until the next reload, which sets them again), and the probe engine's
 * handle for it (its target; NULL: none). Never in a view. */
struct probe_params;
void store_dest_set_params(struct dest *d, const struct probe_params *p);
const struct probe_params *store_dest_params(const struct dest *d);
void store_dest_set_handle(struct dest *d, void *handle);
/* The transaction probe of its configuration entry (NULL: none; valid until the next reload,
 * which sets it again). Never in a view. */
struct txn_config;
void store_dest_set_txn_config(struct dest *d, const struct txn_config *c);
const struct txn_config *store_dest_txn_config(const struct dest *d);
void *store_dest_handle(const struct dest *d);
enum dest_origin store_dest_origin(const struct dest *d);
enum dest_status store_dest_status(const struct dest *d);

/* Probe results: replaces the MX hosts (ownership of hosts moves to the store), the DNS
 * figures, and applies the status rule with flap damping (down only after down_after
 * consecutive failures, up at the first success). Returns the status change, if any, in
 * *old_status / *new_status (equal when unchanged). */
void store_dest_set_probe(struct dest *d, struct mx_host *hosts, size_t n_hosts, double dns_s,
                          unsigned dns_ttl, enum dest_reason reason, enum mx_outcome primary,
                          unsigned down_after, enum dest_status *old_status,
                          enum dest_status *new_status);
/* A delivery attempt of the MTA for d (the caller's reference moves to the store): it
 * becomes the latest attempt and, when it votes, the status is derived again by the policy.
 * Status observers are told of a change as for a probe. */
void store_dest_set_delivery(struct dest *d, const struct delivery_attempt *a);
/* The latest transaction probe of d (the caller's reference moves to the store; NULL clears
 * it): shown as the view's txn and, when it votes (store_txn_vote), a vote like a delivery
 * attempt's, with the signal SIGNAL_TRANSACTION. Status observers are told of a change. */
void store_dest_set_transaction(struct dest *d, const struct store_txn *t);
/* Replaces the transcript (the caller's reference moves to the store). */
void store_dest_set_transcript(struct dest *d, const struct store_transcript *transcript);
/* Takes the caller's reference to p, the findings of the policy check that ended at
 * checked_at (wall time). */
void store_dest_set_tls_policy(struct dest *d, const struct store_tls_policy *p, double checked_at);
/* MTA figures, for writing fields in place (errors through store_mta_count_*). */
struct mta_figures *store_dest_mta(struct dest *d);
/* Makes the figures of d a copy of m (sharing its error block); changes nothing, and copies
 * no view, when they are equal already. */
void store_dest_set_mta(struct dest *d, const struct mta_figures *m);
/* Adds n errors with the enhanced status code class.subject.detail (class 4 or 5, subject
 * and detail 0..999) to m, keeping the codes sorted. Returns 0, or -1 when the code is out of
 * range or STORE_ERROR_CODES_MAX other codes are counted already (the errors are dropped). */
int store_mta_count_error(struct mta_figures *m, unsigned cls, unsigned subject, unsigned detail,
                          uint64_t n);
/* The same with the code as a number (5.1.1 = 5001001), unchecked. O(codes). */
int store_mta_count_code(struct mta_figures *m, uint32_t code, uint64_t n);
/* One more delivery delay of seconds into m's histogram with these n upper bounds (sorted,
 * n <= STORE_DELAY_BUCKETS_MAX); a histogram with other bounds starts again. O(n). */
void store_mta_observe_delay(struct mta_figures *m, const double *le, size_t n, double seconds);
/* dst = src, the error and delay blocks shared: dst's old ones are dropped, src's
 * referenced. */
void store_mta_copy(struct mta_figures *dst, const struct mta_figures *src);
/* Drops m's error and delay blocks (m then has none). Any thread. */
void store_mta_clear(struct mta_figures *m);
void store_dest_touch(struct dest *d); /* mark changed, e.g. after editing mta figures */
const struct mx_host *store_dest_hosts(const struct dest *d, size_t *n);
/* How the last probe's MX answer was had: from the agent's cache (and how old), or asked. */
void store_dest_set_dns_answer(struct dest *d, bool cached, double age_s);
/* Makes h's name a copy of name, cut below STORE_DOMAIN_MAX (its old one is freed). */
void store_host_set_name(struct mx_host *h, const char *name);
/* Frees an array of n hosts, their names and addresses, dropping their texts (NULL is fine).
 * Any thread. */
void store_hosts_free(struct mx_host *hosts, size_t n);

struct agent_figures *store_agent(void);

/* Gateway views: a new one starts with one reference, the caller's; unref may run on any
 * thread (snapshots release theirs on the reader's). store_set_gateways makes views[0..n)
 * the gateways of the next snapshot, taking a reference of its own to each and dropping
 * those of the previous set. O(n). */
struct gateway_view *store_gateway_view_new(const char *name);
void store_gateway_view_unref(struct gateway_view *v);
void store_set_gateways(struct gateway_view *const *views, size_t n);

/* The admin jobs of the next snapshot: a copy of jobs[0..n), which must be sorted by id and
 * at most JOBS_PUBLISHED. O(n). */
void store_set_jobs(const struct delivernow_job *jobs, size_t n);

/* The routes of the next snapshot: copies of keys[i] -> dests[i] (NULL: own MX records),
 * sorted by key; n = 0 clears them. O(n log n). */
void store_set_routes(const char *const *keys, const char *const *dests, size_t n);

/* The sender reputation of the next snapshot (NULL: none checked); the caller's reference
 * moves to the store. */
void store_set_sender(struct sender_view *v);

/* Observers of status changes (SNMP traps, retry on recovery, logs). Called on the loop
 * thread from store_dest_set_probe after the change is applied; they must not block. At
 * most STORE_OBSERVERS_MAX, registered at start-up. */
#define STORE_OBSERVERS_MAX 8
typedef void store_status_fn(struct dest *d, enum dest_status old_status,
                             enum dest_status new_status, void *arg);
void store_subscribe_status(store_status_fn *fn, void *arg);
/* Observers of the set of destinations (the engine keeps a target per destination):
 * fn(domain, true) after a destination enters the store, fn(domain, false) just before one
 * leaves it. Loop thread; at most STORE_OBSERVERS_MAX, registered at start-up; fn must not
 * add or remove destinations itself. */
typedef void store_member_fn(const char *domain, bool added, void *arg);
void store_subscribe_members(store_member_fn *fn, void *arg);
/* Whether a change from old_status to up is a return from down: straight, or across the
 * agent's own trouble (unknown, reason local) in between. For status observers. */
bool store_back_from_down(const struct dest_view *v, enum dest_status old_status);
/* The working view of a record (loop thread; valid until the next store_* write). */
const struct dest_view *store_dest_view(const struct dest *d);

/* Publishes a new snapshot if anything changed since the last one. Returns 1 if published. */
int store_publish(void);

#endif
