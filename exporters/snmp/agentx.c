/*
 * agentx.c - the SNMP subagent: a net-snmp AgentX subagent on a thread of its own, serving
 * MXWATCH-MIB, the MTA-MIB groups and applTable (agentx_mib.c) from the state store's
 * snapshots, and sending mxwDestinationDown/Up through the master (agentx_trap.c).
 *
 * net-snmp is not thread-safe, so every net-snmp call, from init to shutdown, happens on
 * the SNMP thread, which runs its own select loop over net-snmp's sockets, a queue of
 * status changes and a stop eventfd. The loop thread only pushes status changes into that
 * queue (on_status_change); other threads only read agentx_connected() (an atomic).
 *
 * Like keepalived's snmp.c: the AgentX session has a short timeout and no retries, and the
 * master is pinged every snmp.ping_interval, so a missing or restarted snmpd never stalls
 * the agent and is found again within one interval; net-snmp's own log goes to ours
 * (subsys "snmp"). agentx_start and agentx_stop are idempotent; net-snmp's subagent code
 * cannot be initialised twice in one process, so a start after a stop is refused.
 *
 * Reads take the short way: Get and GetNext PDUs are answered at the AgentX session itself
 * (on_session_pdu), skipping net-snmp's internal second transport; the registered handler
 * (on_request) serves anything else that reaches the agent core, from the same tables.
 *
 * It never reads the store's working records, and never blocks the loop thread.
 */
#include "agentx.h"

#include "agentx_int.h"
#include "log.h"
#include "mxw_mib.h"
#include "util.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* net-snmp's AgentX subagent module exports these from libnetsnmpagent without installing
 * their header (agent/mibgroup/agentx/subagent.h, snmp_agent.c). The stop path closes the
 * session itself with them; see close_master_session. */
extern void agentx_unregister_callbacks(netsnmp_session *ss);
extern netsnmp_session *main_session;

#define AX_APP_NAME   "mxwatch"
#define TRAPQ_CAP     4096 /* status changes waiting for the SNMP thread */
#define TRAP_BATCH    64
#define TRAP_RETRY_S  1.0   /* a notification held for want of a master is retried this often */
#define PRUNE_EVERY_S 300.0 /* forget trap state of destinations that are gone */
#define MAX_WAIT_S    1     /* longest select wait, so a stop is never missed for long */
#define VIEW_IDLE_S   10.0  /* a view unused this long gives its snapshot back */
#define LOG_PIECE_MAX 512   /* net-snmp log text gathered until a newline */

/* Shared between the main thread (start/stop), the loop thread (status changes) and the
 * SNMP thread. The settings are written before the thread starts and only read after; the
 * queue has its own lock; the flags are atomics. */
static struct {
    bool started, used;
    pthread_t thread;
    atomic_bool running;   /* status changes are wanted */
    atomic_bool connected; /* registered with a master now */
    int stop_fd;
    struct ax_trapq *queue;
    /* settings, copied at start */
    char socket[256];
    int ping_s, timeout_s;
    double trap_interval_s;
    /* the SNMP thread reports the end of its set-up here */
    pthread_mutex_t init_lock;
    pthread_cond_t init_cond;
    int init_state; /* 0 running, 1 ok, -1 failed */
    char init_err[256];
} ax = {
    .stop_fd = -1, .init_lock = PTHREAD_MUTEX_INITIALIZER, .init_cond = PTHREAD_COND_INITIALIZER};

/* SNMP thread only. */
static struct {
    struct ax_view view;
    struct ax_limiter *limiter;
    netsnmp_session *session; /* the open AgentX session to the master, or NULL */
    bool initializing;
    bool stopping; /* the stop path runs: a lost master is no news and never reconnected */
    char log_piece[LOG_PIECE_MAX];
    size_t log_len;
    double next_prune;
    double last_request; /* when a request last used the view */
} th;

static double now_s(void)
{
    return (double)mxw_now_ms() / 1000.0;
}

/* ---- net-snmp's log into ours ---- */

static enum log_level level_of(int priority)
{
    if (priority <= LOG_ERR)
        return LOG_LVL_ERROR;
    if (priority == LOG_WARNING)
        return LOG_LVL_WARN;
    return priority == LOG_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

/* The library looks for MIB files at start-up, which the subagent does not need and
 * Debian does not ship: those complaints are noise, kept for debugging only. */
static bool mib_noise(const char *line)
{
    return th.initializing &&
           (!strncmp(line, "Cannot find module", 18) || !strncmp(line, "MIB search path", 15));
}

static void log_piece_flush(int priority)
{
    if (!th.log_len)
        return;
    th.log_piece[th.log_len] = '\0';
    enum log_level lvl = mib_noise(th.log_piece) ? LOG_LVL_DEBUG : level_of(priority);
    log_msg(lvl, "snmp", "net-snmp: %s", th.log_piece);
    th.log_len = 0;
}

/* net-snmp logs pieces of lines at times; a line goes out at its newline. */
static int on_lib_log(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)client;
    const struct snmp_log_message *m = server;
    for (const char *p = m->msg ? m->msg : ""; *p; p++) {
        if (*p == '\n' || th.log_len == LOG_PIECE_MAX - 1)
            log_piece_flush(m->priority);
        if (*p != '\n')
            th.log_piece[th.log_len++] = *p;
    }
    return 0;
}

/* ---- requests ----
 *
 * Two ways in, one way to answer. net-snmp hands each AgentX request to its agent core
 * through an internal callback transport (two more pipe round trips and a request cache per
 * PDU), which costs more than answering it, and the master sends one GetNext per repetition
 * of a GETBULK, so that cost is paid per varbind of a walk. Get and GetNext PDUs are
 * therefore answered right at the AgentX session (on_session_pdu); the handler registered
 * with the agent core (on_request) serves what still reaches the core (SETs are refused
 * there as read-only). Both answer through serve_get and serve_next. */

/* RFC 2741 6.1 PDU types. */
#define AGENTX_PDU_CLOSE      2
#define AGENTX_PDU_GET        5
#define AGENTX_PDU_GETNEXT    6
#define AGENTX_PDU_RESPONSE   18
#define AGENTX_CLOSE_SHUTDOWN 5 /* reasonShutdown of an agentx-Close-PDU */

static netsnmp_callback lib_session_callback; /* net-snmp's handler of the AgentX session */

static void answer(netsnmp_variable_list *vb, const struct ax_value *val)
{
    snmp_set_var_typed_value(vb, val->type, val->ptr, val->len);
}

/* GET of vb's name in regions [first, first + n). Returns 0 when answered, else the
 * exception (SNMP_NOSUCHOBJECT or SNMP_NOSUCHINSTANCE) for the caller to report. */
static int serve_get(netsnmp_variable_list *vb, const struct ax_region *first, size_t n)
{
    struct ax_value val;
    for (const struct ax_region *rg = first; rg < first + n; rg++) {
        if (vb->name_length < rg->root_len ||
            memcmp(vb->name, rg->root, rg->root_len * sizeof(oid)) != 0)
            continue;
        enum ax_found f = ax_get(&th.view, rg, vb->name, vb->name_length, &val);
        if (f != AX_FOUND)
            return f == AX_NO_SUCH_OBJECT ? SNMP_NOSUCHOBJECT : SNMP_NOSUCHINSTANCE;
        answer(vb, &val);
        return 0;
    }
    return SNMP_NOSUCHOBJECT;
}

/* GETNEXT from vb's name (or at it, when inclusive) in regions [first, first + n), up to
 * end (excluded; end_len 0: no end). Returns false, leaving vb alone, when nothing is left. */
static bool serve_next(netsnmp_variable_list *vb, bool inclusive, const oid *end, size_t end_len,
                       const struct ax_region *first, size_t n)
{
    oid out[MAX_OID_LEN];
    size_t out_len;
    struct ax_value val;
    for (const struct ax_region *rg = first; rg < first + n; rg++) {
        if (ax_next(&th.view, rg, vb->name, vb->name_length, inclusive, out, &out_len, &val) !=
            AX_FOUND)
            continue;
        if (end_len && ax_oid_cmp(out, out_len, end, end_len) >= 0)
            return false;
        snmp_set_var_objid(vb, out, out_len);
        answer(vb, &val);
        return true;
    }
    return false;
}

static void use_latest_snapshot(void)
{
    ax_view_use(&th.view, store_snapshot_acquire());
    th.last_request = now_s();
}

/* The agent core's way: one call per region per PDU, the snapshot taken once per call. An
 * unanswered GETNEXT varbind makes the core go on with the next registration. */
static int on_request(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
                      netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)reg;
    const struct ax_region *rg = handler->myvoid;
    use_latest_snapshot();
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        if (req->processed)
            continue;
        int ex = 0;
        if (reqinfo->mode == MODE_GET)
            ex = serve_get(req->requestvb, rg, 1);
        else if (reqinfo->mode == MODE_GETNEXT)
            serve_next(req->requestvb, req->inclusive != 0, NULL, 0, rg, 1);
        if (ex)
            netsnmp_set_request_error(reqinfo, req, ex);
    }
    return SNMP_ERR_NOERROR;
}

/* A GetNext varbind of an AgentX PDU carries its search range: the name is the start, the
 * type says whether the start itself may be the answer, the value is the end. */
static void session_next(netsnmp_variable_list *vb)
{
    oid end[MAX_OID_LEN];
    size_t end_len = 0;
    bool inclusive = vb->type == ASN_PRIV_INCL_RANGE;
    if ((vb->type == ASN_PRIV_INCL_RANGE || vb->type == ASN_PRIV_EXCL_RANGE) && vb->val.objid) {
        end_len = vb->val_len / sizeof(oid);
        end_len = end_len > MAX_OID_LEN ? MAX_OID_LEN : end_len;
        memcpy(end, vb->val.objid, end_len * sizeof(oid));
    }
    if (!serve_next(vb, inclusive, end, end_len, ax_regions, ax_n_regions))
        snmp_set_var_typed_value(vb, SNMP_ENDOFMIBVIEW, NULL, 0);
}

/* The AgentX session's way: Get and GetNext answered here, the rest to net-snmp. */
static int on_session_pdu(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE ||
        (pdu->command != AGENTX_PDU_GET && pdu->command != AGENTX_PDU_GETNEXT))
        return lib_session_callback(op, sess, reqid, pdu, magic);
    netsnmp_pdu *resp = snmp_clone_pdu(pdu);
    if (!resp)
        return lib_session_callback(op, sess, reqid, pdu, magic);
    use_latest_snapshot();
    for (netsnmp_variable_list *vb = resp->variables; vb; vb = vb->next_variable) {
        int ex = 0;
        if (pdu->command == AGENTX_PDU_GET)
            ex = serve_get(vb, ax_regions, ax_n_regions);
        else
            session_next(vb);
        if (ex)
            snmp_set_var_typed_value(vb, (u_char)ex, NULL, 0);
    }
    resp->command = AGENTX_PDU_RESPONSE;
    resp->errstat = SNMP_ERR_NOERROR;
    resp->errindex = 0;
    if (!snmp_send(sess, resp))
        snmp_free_pdu(resp);
    return 1;
}

/* ---- connection state ---- */

/* server: the new AgentX session, whose reads the fast path takes over. */
static int on_connected(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)client;
    netsnmp_session *sess = server;
    if (sess && sess->callback != on_session_pdu) {
        lib_session_callback = sess->callback;
        sess->callback = on_session_pdu;
    }
    th.session = sess;
    atomic_store(&ax.connected, true);
    log_info("snmp", "registered with the AgentX master socket=%s", ax.socket);
    return 0;
}

static int on_disconnected(int major, int minor, void *server, void *client)
{
    (void)major;
    (void)minor;
    (void)server;
    (void)client;
    th.session = NULL;
    atomic_store(&ax.connected, false);
    if (th.stopping)
        log_info("snmp", "the AgentX master went away during the stop socket=%s", ax.socket);
    else
        log_warn("snmp", "lost the AgentX master, reconnecting every %ds socket=%s", ax.ping_s,
                 ax.socket);
    return 0;
}

static int register_regions(char *err, size_t errlen)
{
    for (size_t i = 0; i < ax_n_regions; i++) {
        const struct ax_region *rg = &ax_regions[i];
        netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
            rg->name, on_request, rg->root, rg->root_len, HANDLER_CAN_RONLY);
        if (!reg) {
            snprintf(err, errlen, "agentx: cannot create the registration of %s", rg->name);
            return -1;
        }
        reg->handler->myvoid = (void *)rg;
        if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
            snprintf(err, errlen, "agentx: cannot register %s", rg->name);
            return -1;
        }
    }
    return 0;
}

/* ---- notifications ---- */

static void add_var(netsnmp_variable_list **vars, const oid *name, size_t len, u_char type,
                    const void *val, size_t val_len)
{
    snmp_varlist_add_variable(vars, name, len, type, val, val_len);
}

/* A column instance of the destination's row; a name too long to be an index gets the
 * instance .0 (an empty name, which no row has). */
static size_t dest_instance(oid *out, unsigned col, const char *domain)
{
    static const oid entry[] = {MXW_MIB_DESTINATION_ENTRY};
    memcpy(out, entry, sizeof entry);
    size_t n = MXW_ARRAY_LEN(entry);
    out[n++] = col;
    size_t k = ax_dest_index(domain, out + n);
    if (!k)
        out[n + k++] = 0;
    return n + k;
}

static bool send_trap(const struct ax_trap_event *ev, void *arg)
{
    (void)arg;
    if (!atomic_load(&ax.connected))
        return false;
    static const oid trap_oid_name[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
    static const oid notify_name[] = {MXW_MIB_NOTIFY_OBJECTS, MXW_NOTIFY_DEST_NAME, 0};
    oid trap[] = {MXW_MIB_NOTIFICATIONS,
                  ev->status == DEST_DOWN ? MXW_DESTINATION_DOWN : MXW_DESTINATION_UP};
    oid inst[MAX_OID_LEN];
    long status = ev->status == DEST_UP ? 1 : ev->status == DEST_DOWN ? 2 : 3;
    u_long active = ev->active;
    netsnmp_variable_list *vars = NULL;
    add_var(&vars, trap_oid_name, MXW_ARRAY_LEN(trap_oid_name), ASN_OBJECT_ID, trap, sizeof trap);
    add_var(&vars, notify_name, MXW_ARRAY_LEN(notify_name), ASN_OCTET_STR, ev->domain,
            strlen(ev->domain));
    size_t n = dest_instance(inst, MXW_DEST_STATUS, ev->domain);
    add_var(&vars, inst, n, ASN_INTEGER, &status, sizeof status);
    n = dest_instance(inst, MXW_DEST_STATUS_REASON, ev->domain);
    add_var(&vars, inst, n, ASN_OCTET_STR, ev->reason, strlen(ev->reason));
    n = dest_instance(inst, MXW_DEST_ACTIVE_RECIPIENTS, ev->domain);
    add_var(&vars, inst, n, ASN_GAUGE, &active, sizeof active);
    send_v2trap(vars);
    snmp_free_varbind(vars);
    log_info("snmp", "notification sent notification=%s destination=%s reason=%s",
             ev->status == DEST_DOWN ? "mxwDestinationDown" : "mxwDestinationUp", ev->domain,
             ev->reason[0] ? ev->reason : "-");
    return true;
}

static void offer_trap(const struct ax_trap_event *ev, double now)
{
    if (!ax_limiter_offer(th.limiter, ev, now)) {
        log_debug("snmp", "notification held or not needed destination=%s status=%s", ev->domain,
                  store_status_name(ev->status));
        return;
    }
    ax_limiter_sent(th.limiter, ev, now, send_trap(ev, NULL), TRAP_RETRY_S);
}

static void drain_queue(void)
{
    struct ax_trap_event evs[TRAP_BATCH];
    uint64_t dropped;
    size_t n = ax_trapq_take(ax.queue, evs, TRAP_BATCH, &dropped);
    if (dropped)
        log_warn("snmp", "status change queue full, changes dropped count=%llu",
                 (unsigned long long)dropped);
    double now = now_s();
    for (size_t i = 0; i < n; i++)
        offer_trap(&evs[i], now);
}

/* Loop thread, from the store: a copy of what the notification needs goes to the queue. */
static void on_status_change(struct dest *d, enum dest_status old_status,
                             enum dest_status new_status, void *arg)
{
    (void)arg;
    /* Only a turn to down, or a return to up from down, can become a notification, also
     * when the agent's own trouble (unknown, reason local) came between; a turn to unknown
     * tells the NMS nothing. */
    const struct dest_view *v = store_dest_view(d);
    if (!atomic_load(&ax.running) || new_status == DEST_UNKNOWN ||
        (new_status == DEST_UP && !store_back_from_down(v, old_status)))
        return;
    struct ax_trap_event ev = {.status = new_status};
    mxw_strlcpy(ev.domain, v->domain, sizeof ev.domain);
    mxw_strlcpy(ev.reason, ax_dest_reason(v), sizeof ev.reason);
    ev.active = v->mta.active > UINT32_MAX ? UINT32_MAX : (uint32_t)v->mta.active;
    ax_trapq_push(ax.queue, &ev); /* a full queue counts the loss; the SNMP thread logs it */
}

/* ---- the thread ---- */

static void lib_settings(void)
{
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, ax.socket);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, ax.ping_s);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT,
                       ax.timeout_s * 1000000);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES, 0);
    /* We log connection changes ourselves, once, instead of a warning per attempt. */
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    /* Alarms (ping, reconnect) run from our select loop, never from SIGALRM. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    /* The subagent serves numeric OIDs and needs no MIB file: a search path that does not
     * exist spares parsing the host's MIBs (noise and memory) at start-up. */
    netsnmp_set_mib_directory("/nonexistent/mxwatch-needs-no-mibs");
}

/* The subagent's own requests to the master (open, ping): one try of timeout_s. Set after
 * init_agent, whose library set-up writes net-snmp's defaults (5 retries) over them. */
static void session_settings(void)
{
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_TIMEOUT, ax.timeout_s);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_RETRIES, 0);
}

static int lib_init(char *err, size_t errlen)
{
    snmp_disable_log();
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_lib_log, NULL);
    lib_settings();
    th.initializing = true;
    if (init_agent(AX_APP_NAME) != 0) {
        snprintf(err, errlen, "agentx: net-snmp init_agent failed");
        return -1;
    }
    session_settings();
    if (register_regions(err, errlen) < 0)
        return -1;
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, on_connected,
                           NULL);
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, on_disconnected,
                           NULL);
    init_snmp(AX_APP_NAME); /* connects, or schedules the reconnection alarm */
    th.initializing = false;
    log_piece_flush(LOG_INFO);
    if (!atomic_load(&ax.connected))
        log_warn("snmp", "no AgentX master yet, trying every %ds socket=%s", ax.ping_s, ax.socket);
    return 0;
}

/* Says goodbye to the master: an agentx-Close-PDU (reason shutdown, RFC 2741 6.2.2) sent
 * without waiting for the answer, then the session closed. Left to snmp_shutdown, net-snmp's
 * subagent module sends its Close and waits for the answer from inside the library's
 * SHUTDOWN callback, with that callback list locked; a master that goes away meanwhile
 * (Ctrl-C reaches snmpd too) turns the wait into a disconnect whose handler unregisters that
 * very callback: a 100 ms lock wait, a netsnmp_assert at error level, a reconnect alarm
 * registered during the stop, and the address buffer of the read that saw the end leaked.
 * Here nothing is read during the stop, and the module's SHUTDOWN callback is gone first. */
static void close_master_session(void)
{
    th.stopping = true;
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 0);
    netsnmp_session *s = th.session;
    if (!s)
        return;
    agentx_unregister_callbacks(s);
    netsnmp_pdu *pdu = snmp_pdu_create(AGENTX_PDU_CLOSE);
    if (pdu) {
        pdu->errstat = AGENTX_CLOSE_SHUTDOWN;
        pdu->sessid = s->sessid;
        if (!snmp_send(s, pdu))
            snmp_free_pdu(pdu);
    }
    remove_trap_session(s);
    if (main_session == s)
        main_session = NULL;
    snmp_close(s);
    th.session = NULL;
    atomic_store(&ax.connected, false);
}

static void lib_shutdown(void)
{
    close_master_session();
    snmp_shutdown(AX_APP_NAME);
    shutdown_agent();
    log_piece_flush(LOG_INFO);
    atomic_store(&ax.connected, false);
}

/* How long select may sleep: net-snmp's own timeout, capped by the next held notification. */
static void wait_time(struct timeval *tv)
{
    double due = ax_limiter_next_due(th.limiter);
    if (due < 0)
        return;
    double left = due - now_s();
    left = left < 0 ? 0 : left;
    struct timeval t = {.tv_sec = (time_t)left,
                        .tv_usec = (suseconds_t)((left - (double)(time_t)left) * 1e6)};
    if (t.tv_sec < tv->tv_sec || (t.tv_sec == tv->tv_sec && t.tv_usec < tv->tv_usec))
        *tv = t; /* timercmp(&t, tv, <), spelled out for the linter's parser */
}

static void housekeeping(void)
{
    double now = now_s();
    ax_limiter_run(th.limiter, now, TRAP_RETRY_S, send_trap, NULL);
    /* Between walks, the rows and the snapshot they point into are not kept alive. */
    if (th.view.snap && now - th.last_request > VIEW_IDLE_S)
        ax_view_clear(&th.view);
    if (now < th.next_prune)
        return;
    th.next_prune = now + PRUNE_EVERY_S;
    const struct snapshot *s = store_snapshot_acquire();
    ax_limiter_prune(th.limiter, s);
    store_snapshot_release(s);
}

/* One turn of the loop: wait for net-snmp's sockets, the queue or stop, then run what is
 * due. Returns false when asked to stop. */
static bool loop_once(netsnmp_large_fd_set *fds)
{
    int numfds = 0, block = 0;
    struct timeval tv = {.tv_sec = MAX_WAIT_S};
    NETSNMP_LARGE_FD_ZERO(fds);
    snmp_select_info2(&numfds, fds, &tv, &block);
    int qfd = ax_trapq_fd(ax.queue);
    NETSNMP_LARGE_FD_SET(qfd, fds);
    NETSNMP_LARGE_FD_SET(ax.stop_fd, fds);
    numfds = numfds > qfd + 1 ? numfds : qfd + 1;
    numfds = numfds > ax.stop_fd + 1 ? numfds : ax.stop_fd + 1;
    wait_time(&tv);
    int n = netsnmp_large_fd_set_select(numfds, fds, NULL, NULL, &tv);
    if (n < 0 && errno != EINTR) {
        log_error("snmp", "select failed error=\"%s\"", strerror(errno));
        usleep(100000);
    }
    if (n > 0 && NETSNMP_LARGE_FD_ISSET(ax.stop_fd, fds))
        return false;
    if (n > 0) {
        if (NETSNMP_LARGE_FD_ISSET(qfd, fds))
            drain_queue();
        snmp_read2(fds);
    } else if (n == 0) {
        snmp_timeout();
    }
    run_alarms();
    netsnmp_check_outstanding_agent_requests();
    housekeeping();
    return true;
}

static void init_done(int state, const char *err)
{
    pthread_mutex_lock(&ax.init_lock);
    ax.init_state = state;
    mxw_strlcpy(ax.init_err, err, sizeof ax.init_err);
    pthread_cond_signal(&ax.init_cond);
    pthread_mutex_unlock(&ax.init_lock);
}

static void *snmp_thread(void *arg)
{
    (void)arg;
    char err[256] = "";
    th.limiter = ax_limiter_new(ax.trap_interval_s);
    th.next_prune = now_s() + PRUNE_EVERY_S;
    if (!th.limiter || lib_init(err, sizeof err) < 0) {
        init_done(-1, err[0] ? err : "agentx: out of memory");
        return NULL;
    }
    init_done(1, "");
    netsnmp_large_fd_set fds;
    netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
    while (loop_once(&fds))
        ;
    netsnmp_large_fd_set_cleanup(&fds);
    lib_shutdown();
    ax_view_clear(&th.view);
    ax_limiter_free(th.limiter);
    th.limiter = NULL;
    return NULL;
}

/* ---- start and stop (main thread) ---- */

static int copy_settings(const struct config *cfg, char *err, size_t errlen)
{
    if (mxw_strlcpy(ax.socket, cfg->agentx_socket, sizeof ax.socket) >= sizeof ax.socket) {
        snprintf(err, errlen, "snmp.agentx_socket: longer than %zu characters",
                 sizeof ax.socket - 1);
        return -1;
    }
    int64_t ping = (cfg->agentx_ping_interval_ms + 999) / 1000;
    int64_t timeout = (cfg->agentx_timeout_ms + 999) / 1000;
    ax.ping_s = ping < 1 ? 1 : ping > 86400 ? 86400 : (int)ping;
    ax.timeout_s = timeout < 1 ? 1 : timeout > 60 ? 60 : (int)timeout;
    ax.trap_interval_s = (double)cfg->trap_min_interval_ms / 1000.0;
    return 0;
}

static int wait_init(char *err, size_t errlen)
{
    pthread_mutex_lock(&ax.init_lock);
    while (ax.init_state == 0)
        pthread_cond_wait(&ax.init_cond, &ax.init_lock);
    int state = ax.init_state;
    if (state < 0)
        snprintf(err, errlen, "%s", ax.init_err);
    pthread_mutex_unlock(&ax.init_lock);
    return state < 0 ? -1 : 0;
}

static void release_resources(void)
{
    ax_trapq_free(ax.queue);
    ax.queue = NULL;
    if (ax.stop_fd >= 0)
        close(ax.stop_fd);
    ax.stop_fd = -1;
}

int agentx_start(const struct config *cfg, char *err, size_t errlen)
{
    static bool subscribed;
    if (!cfg->snmp_enabled) {
        log_info("snmp", "SNMP subagent disabled (snmp.enabled: false)");
        return 0;
    }
    if (ax.started)
        return 0;
    if (ax.used) {
        snprintf(err, errlen, "agentx: net-snmp cannot start a subagent twice in one process");
        return -1;
    }
    if (copy_settings(cfg, err, errlen) < 0)
        return -1;
    ax.queue = ax_trapq_new(TRAPQ_CAP);
    ax.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ax.init_state = 0;
    if (!ax.queue || ax.stop_fd < 0 || pthread_create(&ax.thread, NULL, snmp_thread, NULL) != 0) {
        snprintf(err, errlen, "agentx: cannot start the SNMP thread: %s", strerror(errno));
        release_resources();
        return -1;
    }
    ax.used = true;
    if (wait_init(err, errlen) < 0) {
        pthread_join(ax.thread, NULL);
        release_resources();
        return -1;
    }
    if (!subscribed)
        store_subscribe_status(on_status_change, NULL);
    subscribed = true;
    atomic_store(&ax.running, true);
    ax.started = true;
    log_info("snmp", "SNMP subagent started socket=%s ping_interval=%ds trap_min_interval=%.0fs",
             ax.socket, ax.ping_s, ax.trap_interval_s);
    return 0;
}

void agentx_stop(void)
{
    if (!ax.started)
        return;
    atomic_store(&ax.running, false);
    uint64_t one = 1;
    if (write(ax.stop_fd, &one, sizeof one) < 0)
        log_warn("snmp", "cannot signal the SNMP thread error=\"%s\"", strerror(errno));
    pthread_join(ax.thread, NULL);
    release_resources();
    ax.started = false;
    log_info("snmp", "SNMP subagent stopped");
}

bool agentx_connected(void)
{
    return atomic_load(&ax.connected);
}
