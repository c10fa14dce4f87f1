/*
 * daemon.c - `mxwatch run`: loads the configuration, fills the state store, starts the
 * HTTP server, the SNMP subagent, the probe engine and the sources, then runs the loop until
 * SIGTERM or SIGINT. SIGHUP (or POST /-/reload) reloads the configuration; a bad new one is
 * reported and the old one keeps running. Main (loop) thread.
 *
 * Shutdown order is the reverse of start-up, and every part closes its own sockets and
 * children, so the process is gone well within 2 seconds of SIGTERM.
 */
#include "daemon.h"

#include "cli.h"
#include "delivernow.h"
#include "engine.h"
#include "gwxml.h"
#include "log.h"
#include "sources.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "agentx.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define PUBLISH_INTERVAL_MS 250 /* readers see changes within a quarter of a second */

static struct {
    struct loop *loop;
    struct config *cfg;
    struct cli_flags flags;
    int sigfd;
} dm = {.sigfd = -1};

const struct config *daemon_config(void)
{
    return dm.cfg;
}

struct loop *daemon_loop(void)
{
    return dm.loop;
}

/* Makes the store's configured destinations those of cfg; counters of destinations that
 * stay are kept, destinations that went are dropped, discovered ones are left alone. */
static void sync_destinations(const struct config *cfg)
{
    store_unmark_all();
    for (size_t i = 0; i < cfg->n_dests; i++)
        store_mark(store_dest_add(cfg->dests[i].domain, ORIGIN_CONFIG), true);
    size_t gone = store_sweep_unmarked(ORIGIN_CONFIG);
    if (gone)
        log_info("config", "destinations removed count=%zu", gone);
}

int daemon_reload(char *err, size_t errlen)
{
    struct config *cfg = cli_load_config(&dm.flags, err, errlen);
    struct agent_figures *ag = store_agent();
    if (!cfg) {
        ag->config_reload_ok = false;
        log_error("config", "reload rejected, keeping the running configuration error=\"%s\"", err);
        return -1;
    }
    struct config *old = dm.cfg;
    dm.cfg = cfg;
    sync_destinations(cfg);
    engine_reload(cfg);
    sources_reload(cfg);
    delivernow_reload(cfg);
    config_free(old);
    ag->config_reload_ok = true;
    ag->config_reload_time = mxw_wall_time();
    store_publish();
    log_info("config", "reloaded destinations=%zu", cfg->n_dests);
    return 0;
}

static void reload_on_loop(struct loop *l, void *arg)
{
    (void)l;
    (void)arg;
    char err[CONFIG_ERR_MAX];
    daemon_reload(err, sizeof err);
}

void daemon_request_reload(void)
{
    loop_post(dm.loop, reload_on_loop, NULL);
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            log_info("daemon", "SIGHUP: reloading configuration");
            reload_on_loop(l, NULL);
        } else {
            log_info("daemon", "stopping signal=%s", strsignal((int)si.ssi_signo));
            loop_stop(l);
        }
    }
}

/* Periodic: agent-wide figures into the store, then publish a snapshot for the readers. */
static int64_t on_publish(struct loop *l, void *arg)
{
    (void)arg;
    struct agent_figures *ag = store_agent();
    ag->loop_lag_s = loop_lag(l);
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

static int start_all(char *err, size_t errlen)
{
    delivernow_start(dm.loop, dm.cfg);
    if (web_start(dm.loop, dm.cfg, err, errlen) < 0)
        return -1;
    if (agentx_start(dm.cfg, err, errlen) < 0)
        return -1;
    if (engine_start(dm.loop, dm.cfg, err, errlen) < 0)
        return -1;
    if (sources_start(dm.loop, dm.cfg, err, errlen) < 0)
        return -1;
    return 0;
}

static void stop_all(void)
{
    sources_stop();
    engine_stop();
    agentx_stop();
    web_stop();
    delivernow_stop(); /* after the HTTP thread: nobody asks for jobs any more */
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
    dm.cfg = cli_load_config(&dm.flags, err, sizeof err);
    if (!dm.cfg) {
        log_error("config", "cannot start error=\"%s\"", err);
        return EXIT_BAD;
    }
    if (!dm.cfg->path)
        log_warn("config", "no configuration file, running on built-in defaults path=%s",
                 dm.flags.config_file);
    gwxml_global_init(); /* libxml2 wants it before any thread starts */
    store_init();
    sync_destinations(dm.cfg);
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
        log_info("daemon", "started version=%s destinations=%zu listen=%s", MXW_VERSION,
                 dm.cfg->n_dests, dm.cfg->web_listen_address);
        loop_run(dm.loop);
    }
    stop_all();
    if (dm.sigfd >= 0)
        close(dm.sigfd);
    loop_free(dm.loop);
    store_shutdown();
    config_free(dm.cfg);
    log_info("daemon", "stopped");
    return rc;
}
