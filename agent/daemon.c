/*
 * daemon.c - `mxwatch run`, the one place that wires the parts together: loads the
 * configuration, fills the state store, creates the loop and the libcurl multi handle and
 * lends them to the parts, starts the parts in the order of `parts` below, then runs the
 * loop until SIGTERM or SIGINT. SIGHUP (or POST /-/reload) reloads the configuration; a bad
 * new one is reported and the old one keeps running. Main (loop) thread, except the web
 * actions, which the HTTP thread calls and which only post to the loop.
 *
 * Parts below never call up here: the web reaches the daemon through http_actions, the
 * probes and sources through the store. Shutdown runs the same table backwards, and every
 * part closes its own sockets and children, so the process is gone well within 2 seconds
 * of SIGTERM.
 */
#include "daemon.h"

#include "agentx.h"
#include "cli.h"
#include "curlm.h"
#include "delivernow.h"
#include "engine.h"
#include "gwxml.h"
#include "log.h"
#include "pfaccess.h"
#include "privileges.h"
#include "shard.h"
#include "sources.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define PUBLISH_INTERVAL_MS 250 /* readers see changes within a quarter of a second */

static struct {
    struct loop *loop;
    struct curlm *curlm; /* the loop's libcurl multi handle: probes and the gateway source */
    struct config *cfg;
    struct cli_flags flags;
    int sigfd;
} dm = {.sigfd = -1};

/* Discovered destinations stay while this agent owns them (a reshard may hand them over). */
static void mark_owned_discovered(struct dest *d, void *arg)
{
    const struct shard *s = arg;
    if (store_dest_origin(d) == ORIGIN_DISCOVERED)
        store_mark(d, shard_owns(*s, store_dest_domain(d)));
}

/* Makes the store's configured destinations those of cfg that this agent's shard owns;
 * counters of destinations that stay are kept, destinations that went (removed from the
 * file, or now another shard's) are dropped, and so are discovered ones of another shard. */
static void sync_destinations(const struct config *cfg)
{
    size_t owned = 0;
    store_unmark_all();
    for (size_t i = 0; i < cfg->n_dests; i++) {
        if (!shard_owns(cfg->shard, cfg->dests[i].domain))
            continue;
        struct dest *d = store_dest_add(cfg->dests[i].domain, ORIGIN_CONFIG);
        store_mark(d, true);
        store_dest_set_params(d, &cfg->dests[i].params);
        store_dest_set_txn_config(d, &cfg->dests[i].txn);
        owned++;
    }
    store_foreach(mark_owned_discovered, (void *)&cfg->shard);
    size_t gone = store_sweep_unmarked(ORIGIN_CONFIG);
    size_t handed = store_sweep_unmarked(ORIGIN_DISCOVERED);
    if (gone || handed)
        log_info("config", "destinations removed count=%zu discovered=%zu", gone, handed);
    if (cfg->shard.count > 1)
        log_info("config", "shard owns destinations=%zu of=%zu shard=%u/%u", owned, cfg->n_dests,
                 cfg->shard.index, cfg->shard.count);
    store_agent()->shard = cfg->shard;
    store_set_status_policy(&(struct store_status_policy){
        .source = (enum status_source)cfg->status_source,
        .throttled_is_down = cfg->throttled_is_down,
        .delivery_fresh_s = (double)cfg->delivery_fresh_ms / 1000.0,
    });
}

/* ---- reload: read and checked on a thread of its own, applied on the loop ----
 * Parsing 100,000 destinations takes about 0.1 s, which the loop should spend probing; so
 * a reload reads the file on a short-lived thread (the flags it reads never change after
 * start, and the parser neither logs nor touches the store) and posts the result to the
 * loop, which only applies it. One reload at a time, and one start a second at most
 * (RELOAD_MIN_INTERVAL_MS): a request meanwhile is remembered once and runs when the current
 * one is applied or the second is over, so a flood of POST /-/reload or SIGHUP costs two
 * reloads, not one each. */
#define RELOAD_MIN_INTERVAL_MS 1000

static struct {
    bool running; /* a reading thread runs, or its result waits for the loop */
    bool again;   /* asked for meanwhile */
    pthread_t thread;
    struct config *cfg; /* the thread's result, NULL when refused (err says why) */
    char err[CONFIG_ERR_MAX];
    int64_t last_start_ms;    /* monotonic; 0 before the first reload */
    struct loop_timer *timer; /* the remembered reload, waiting for the interval to pass */
} rl;

static void apply_reload(struct loop *l, void *arg);

/* The configuration file as `run` would take it, with every check check-config makes; NULL
 * with err when any part is refused. */
static struct config *read_checked(char *err, size_t errlen)
{
    struct config *cfg = cli_load_config(&dm.flags, err, errlen);
    if (cfg && web_check(cfg, err, errlen) < 0) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void *read_config(void *arg)
{
    (void)arg;
    rl.cfg = read_checked(rl.err, sizeof rl.err);
    if (loop_post(dm.loop, apply_reload, NULL) < 0)
        log_error("config", "reload lost: cannot reach the loop (out of memory)");
    return NULL;
}

static int64_t on_reload_due(struct loop *l, void *arg);

static void start_reload(void)
{
    if (rl.timer)
        return; /* the remembered request, waiting for the interval */
    if (rl.running) {
        rl.again = true;
        return;
    }
    int64_t now = mxw_now_ms();
    if (rl.last_start_ms && now - rl.last_start_ms < RELOAD_MIN_INTERVAL_MS) {
        rl.timer = loop_timer_add(dm.loop, rl.last_start_ms + RELOAD_MIN_INTERVAL_MS - now,
                                  on_reload_due, NULL);
        if (rl.timer)
            return;
    }
    rl.last_start_ms = now;
    rl.running = true;
    if (pthread_create(&rl.thread, NULL, read_config, NULL) != 0) {
        rl.running = false;
        rl.cfg = read_checked(rl.err, sizeof rl.err); /* on the loop, then */
        apply_reload(dm.loop, NULL);
    }
}

static int64_t on_reload_due(struct loop *l, void *arg)
{
    (void)l, (void)arg;
    rl.timer = NULL;
    start_reload();
    return -1;
}

static void reload_with(struct config *cfg, const char *err)
{
    struct agent_figures *ag = store_agent();
    if (!cfg) {
        ag->config_reload_ok = false;
        log_error("config", "reload rejected, keeping the running configuration error=\"%s\"", err);
        return;
    }
    int64_t start_us = mxw_now_us();
    struct config *old = dm.cfg;
    dm.cfg = cfg;
    sync_destinations(cfg);
    char perr[CONFIG_ERR_MAX] = "";
    bool applied = engine_reload(cfg, perr, sizeof perr) == 0;
    sources_reload(cfg);
    delivernow_reload(cfg);
    config_free(old);
    ag->config_reload_ok = applied;
    if (!applied) {
        log_error("config", "reload applied only in part error=\"%s\"", perr);
        return;
    }
    ag->config_reload_time = mxw_wall_time();
    store_publish();
    /* apply_ms: how long the loop was busy with it (the file was read on another thread) */
    log_info("config", "reloaded destinations=%zu apply_ms=%.1f", cfg->n_dests,
             (double)(mxw_now_us() - start_us) / 1000);
}

static void apply_reload(struct loop *l, void *arg)
{
    (void)l, (void)arg;
    if (rl.running)
        pthread_join(rl.thread, NULL);
    rl.running = false;
    struct config *cfg = rl.cfg;
    rl.cfg = NULL;
    reload_with(cfg, rl.err);
    if (rl.again) {
        rl.again = false;
        start_reload();
    }
}

/* At shutdown: a reading thread still running is waited for, its result dropped. */
static void stop_reload(void)
{
    if (rl.running)
        pthread_join(rl.thread, NULL);
    if (rl.timer)
        loop_timer_del(dm.loop, rl.timer);
    config_free(rl.cfg);
    memset(&rl, 0, sizeof rl);
}

/* Set while a reload request of the HTTP thread is posted and not yet taken by the loop:
 * further requests meanwhile are the same request, so a flood posts one. */
static atomic_bool web_reload_posted;

static void reload_on_loop(struct loop *l, void *arg)
{
    (void)l;
    (void)arg;
    atomic_store(&web_reload_posted, false);
    start_reload();
}

/* ---- what the HTTP thread may ask (http_actions): posted to the loop, never waited for ---- */

static int web_reload(void *arg)
{
    (void)arg;
    if (atomic_exchange(&web_reload_posted, true))
        return 0;
    if (loop_post(dm.loop, reload_on_loop, NULL) < 0) {
        atomic_store(&web_reload_posted, false);
        return -1;
    }
    return 0;
}

struct dn_request {
    uint64_t id;
    bool all;
    char destination[JOBS_DOMAIN_MAX];
    char who[JOBS_WHO_MAX];
};

static void delivernow_on_loop(struct loop *l, void *arg)
{
    (void)l;
    struct dn_request *r = arg;
    delivernow_request(r->id, r->all ? NULL : r->destination, DELIVERNOW_MANUAL, r->who);
    free(r);
}

static int web_delivernow(void *arg, uint64_t id, const char *destination, const char *who)
{
    (void)arg;
    struct dn_request *r = xcalloc(1, sizeof *r);
    r->id = id;
    r->all = !destination;
    mxw_strlcpy(r->destination, destination ? destination : "", sizeof r->destination);
    mxw_strlcpy(r->who, who, sizeof r->who);
    if (loop_post(dm.loop, delivernow_on_loop, r) < 0) {
        free(r);
        return -1;
    }
    return 0;
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            log_info("daemon", "SIGHUP: reloading configuration");
            start_reload();
        } else {
            log_info("daemon", "stopping signal=%s", strsignal((int)si.ssi_signo));
            loop_stop(l);
        }
    }
}

/* Periodic: agent-wide figures into the store, then a snapshot for the readers if anything
 * changed. The loop lag is kept to the millisecond, so that an idle agent's jitter of a
 * few microseconds is no change. */
static int64_t on_publish(struct loop *l, void *arg)
{
    (void)arg;
    struct agent_figures *ag = store_agent();
    ag->loop_lag_s = round(loop_lag(l) * 1000) / 1000;
    ag->metrics_per_address = config_metrics_per_address(dm.cfg, store_count());
    engine_figures(ag);
    ag->agentx_connected = agentx_connected();
    store_publish();
    return PUBLISH_INTERVAL_MS;
}

static int setup_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Blocked before any thread starts, so every thread inherits the mask and only the
     * signalfd on the loop sees these signals. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    dm.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return dm.sigfd < 0 ? -1 : loop_fd_set(dm.loop, dm.sigfd, LOOP_READ, on_signal, NULL);
}

/* ---- start-up and shutdown ---- */

static int start_listen(char *err, size_t errlen)
{
    return web_listen(dm.cfg, err, errlen);
}

/* Right after the listener, the one step that may need root: become --user while the
 * process still has a single thread and no child, then check, as the user the agent runs
 * as from here on, what the Postfix sources will read. */
static int start_privileges(char *err, size_t errlen)
{
    if (dm.flags.user && priv_drop(dm.flags.user, err, errlen) < 0)
        return -1;
    priv_warn_readable_secrets(dm.cfg);
    return pfaccess_check(dm.cfg, err, errlen);
}

static int start_curlm(char *err, size_t errlen)
{
    dm.curlm = curlm_new(dm.loop, err, errlen);
    return dm.curlm ? 0 : -1;
}

static void stop_curlm(void)
{
    curlm_free(dm.curlm); /* after every part that added transfers to it */
    dm.curlm = NULL;
}

static int start_delivernow(char *err, size_t errlen)
{
    (void)err, (void)errlen;
    delivernow_start(dm.loop, dm.cfg);
    return 0;
}

static int start_web(char *err, size_t errlen)
{
    static const struct http_actions act = {.reload = web_reload, .delivernow = web_delivernow};
    return web_start(dm.cfg, &act, err, errlen);
}

static int start_agentx(char *err, size_t errlen)
{
    return agentx_start(dm.cfg, err, errlen);
}

static int start_engine(char *err, size_t errlen)
{
    return engine_start(dm.loop, dm.curlm, dm.cfg, err, errlen);
}

static int start_sources(char *err, size_t errlen)
{
    struct source_env env = {.loop = dm.loop, .curlm = dm.curlm};
    return sources_start(&env, dm.cfg, err, errlen);
}

/* The parts, in start-up order; shutdown runs the table backwards. Why this order:
 *  1. listen: binds the HTTP listener, the only step that may need root (port < 1024);
 *  2. privileges: drops to --user before anything else starts (no thread, no child, no
 *     socket but the listener yet), then checks as that user that the mail log and the
 *     queue are readable, naming the missing group otherwise;
 *  3. curlm: the loop's libcurl multi handle, lent to the engine and the gateway source;
 *  4. delivernow: the job runner, ready before the web can hand it a job;
 *  5. web: serves on the bound listener the snapshot published before any part started;
 *  6. agentx: the SNMP subagent, another snapshot reader (its own thread);
 *  7. engine: probes start writing the store;
 *  8. sources: MTA figures, last, since a slow source must not delay the probes.
 * So at shutdown the writers stop before the readers, the web (which posts jobs) before
 * delivernow, curlm after both of its users, and the listener goes last (closed there only
 * if the web never took it). */
static const struct part {
    const char *name;
    int (*start)(char *err, size_t errlen);
    void (*stop)(void);
} parts[] = {
    {"listen", start_listen, web_unlisten},
    {"privileges", start_privileges, NULL}, /* nothing to undo */
    {"curlm", start_curlm, stop_curlm},
    {"delivernow", start_delivernow, delivernow_stop},
    {"web", start_web, web_stop},
    {"agentx", start_agentx, agentx_stop},
    {"engine", start_engine, engine_stop},
    {"sources", start_sources, sources_stop},
};

static size_t n_started;

static int start_all(char *err, size_t errlen)
{
    for (n_started = 0; n_started < MXW_ARRAY_LEN(parts); n_started++)
        if (parts[n_started].start(err, errlen) < 0)
            return -1;
    return 0;
}

static void stop_all(void)
{
    while (n_started > 0)
        if (parts[--n_started].stop)
            parts[n_started].stop();
}

int cmd_run(int argc, char **argv)
{
    if (cli_parse_flags(argc, argv, &dm.flags) < 0)
        return EXIT_USAGE;
    if (dm.flags.help) {
        printf("usage: mxwatch run [flags]   (see mxwatch --help)\n");
        return EXIT_OK;
    }
    if (cli_setup_log(&dm.flags) < 0)
        return EXIT_USAGE;
    char err[CONFIG_ERR_MAX];
    if (priv_check_root(&dm.flags, err, sizeof err) < 0) {
        fprintf(stderr, "mxwatch: %s\n", err);
        return EXIT_USAGE;
    }
    dm.cfg = cli_load_config(&dm.flags, err, sizeof err);
    if (!dm.cfg) {
        log_error("config", "cannot start error=\"%s\"", err);
        return EXIT_BAD;
    }
    if (!dm.cfg->path)
        log_warn("config", "no configuration file, running on built-in defaults path=%s",
                 dm.flags.config_file);
    gwxml_global_init();          /* libxml2 wants it before any thread starts */
    xalloc_return_large_blocks(); /* the /metrics body is freed after each scrape */
    store_init();
    sync_destinations(dm.cfg);
    /* The listener takes connections from the first part on, and the web may answer them
     * before the loop's first turn: with the configured destinations already, then. */
    store_publish();
    dm.loop = loop_new();
    int rc = EXIT_OK;
    if (!dm.loop || setup_signals() < 0) {
        log_error("daemon", "cannot set up the event loop error=\"%s\"", strerror(errno));
        rc = EXIT_USAGE;
    } else if (start_all(err, sizeof err) < 0) {
        log_error("daemon", "cannot start error=\"%s\"", err);
        rc = EXIT_USAGE;
    } else {
        store_agent()->config_reload_ok = true;
        store_agent()->config_reload_time = mxw_wall_time();
        loop_timer_add(dm.loop, 0, on_publish, NULL);
        log_info("daemon", "started version=%s destinations=%zu shard=%u/%u listen=%s", MXW_VERSION,
                 store_count(), dm.cfg->shard.index, dm.cfg->shard.count,
                 dm.cfg->web_listen_address);
        loop_run(dm.loop);
    }
    stop_all();
    stop_reload();
    if (dm.sigfd >= 0)
        close(dm.sigfd);
    loop_free(dm.loop);
    store_shutdown();
    config_free(dm.cfg);
    log_info("daemon", "stopped");
    return rc;
}
