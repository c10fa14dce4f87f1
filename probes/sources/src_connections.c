/*
 * src_connections.c - the connections source: this host's outbound TCP connections to the
 * SMTP ports (sources.connections.ports, default 25), from the kernel through a
 * NETLINK_SOCK_DIAG dump (what `ss` uses), so it works for any local MTA. ESTABLISHED
 * sockets are current connections, SYN-SENT ones pending. A socket counts for every
 * destination whose MX addresses (resolved by the probe engine, store_dest_hosts) include
 * its remote address; the agent's own probe connections are left out (their socket inodes
 * are this process's file descriptors).
 *
 * Loop thread, never blocking: the netlink socket is non-blocking and watched with
 * loop_fd_set; the dump (IPv4, then IPv6) is read as it comes and counted per remote
 * address; attribution to destinations happens once the dump is complete, from the store
 * as it is then. A dump that has not finished within CONN_TIMEOUT_MS is abandoned.
 */
#include "source.h"
#include "xalloc.h"

#include "sockdiag.h"
#include "srcagg.h"
#include "strmap.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_NAME        "connections"
#define CONN_TIMEOUT_MS  5000
#define CONN_ADDRS_MAX   65536 /* distinct remote addresses counted per dump */
#define CONN_OWN_MAX     4096  /* own socket inodes remembered */
#define CONN_RECV_ROUNDS 16    /* recv() calls per wakeup (32 KiB each) */
#define CONN_PORTS_MAX   64

struct addr_count {
    char key[INET6_ADDRSTRLEN]; /* the map's key */
    uint64_t current, pending;
};

static struct {
    struct loop *loop;
    unsigned ports[CONN_PORTS_MAX];
    size_t n_ports;
    int64_t interval_ms;
    int fd;     /* the netlink socket while a dump runs, else -1 */
    int family; /* AF_INET, then AF_INET6 */
    uint32_t seq;
    int64_t started_us;
    struct loop_timer *timeout;
    struct strmap addrs; /* remote address -> struct addr_count */
    uint64_t overflow;
    unsigned long own[CONN_OWN_MAX];
    size_t n_own;
    bool own_loaded;
} cn = {.fd = -1};

static bool conn_enabled(const struct config *cfg)
{
    return cfg->connections_enabled;
}

/* ---- the agent's own sockets ---- */

static void load_own_inodes(void)
{
    cn.own_loaded = true;
    cn.n_own = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while (d && (de = readdir(d)) && cn.n_own < CONN_OWN_MAX) {
        char link[64];
        ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);
        unsigned long ino;
        if (n <= 0)
            continue;
        link[n] = '\0';
        char *end;
        if (!strncmp(link, "socket:[", 8) && (ino = strtoul(link + 8, &end, 10)) != 0 &&
            !strcmp(end, "]"))
            cn.own[cn.n_own++] = ino;
    }
    if (d)
        closedir(d);
}

static bool is_own(unsigned long ino)
{
    if (!cn.own_loaded)
        load_own_inodes();
    for (size_t i = 0; i < cn.n_own; i++)
        if (cn.own[i] == ino)
            return true;
    return false;
}

/* ---- counting the dump ---- */

static bool port_watched(unsigned port)
{
    for (size_t i = 0; i < cn.n_ports; i++)
        if (cn.ports[i] == port)
            return true;
    return false;
}

/* One socket of the dump (sockdiag_fn). */
static void count_socket(void *arg, const struct sockdiag_sock *s)
{
    (void)arg;
    if (!port_watched(s->dport) || is_own(s->inode))
        return;
    struct addr_count *c = strmap_get(&cn.addrs, s->remote);
    if (!c) {
        if (cn.addrs.n >= CONN_ADDRS_MAX) {
            cn.overflow++;
            return;
        }
        c = xcalloc(1, sizeof *c);
        mxw_strlcpy(c->key, s->remote, sizeof c->key);
        strmap_put(&cn.addrs, c->key, c);
    }
    if (s->state == TCP_ESTABLISHED)
        c->current++;
    else
        c->pending++;
}

static void free_counts(void)
{
    strmap_clear(&cn.addrs, free);
    cn.overflow = 0;
    cn.own_loaded = false;
}

/* ---- attribution ---- */

/* Whether address ai of host hi already appeared earlier in the destination's list (two MX
 * names may share an address; its connections count once per destination). */
static bool seen_before(const struct mx_host *h, size_t hi, size_t ai)
{
    const char *a = h[hi].addrs[ai].addr_str;
    for (size_t i = 0; i <= hi; i++)
        for (size_t j = 0; j < (i == hi ? ai : h[i].n_addrs); j++)
            if (!strcmp(h[i].addrs[j].addr_str, a))
                return true;
    return false;
}

static void attribute(struct dest *d, void *arg)
{
    (void)arg;
    size_t nh;
    const struct mx_host *h = store_dest_hosts(d, &nh);
    uint64_t cur = 0, pend = 0;
    for (size_t i = 0; i < nh; i++)
        for (size_t j = 0; j < h[i].n_addrs; j++) {
            const struct addr_count *c = strmap_get(&cn.addrs, h[i].addrs[j].addr_str);
            if (c && !seen_before(h, i, j)) {
                cur += c->current;
                pend += c->pending;
            }
        }
    struct mta_figures *m = srcagg_figures(store_dest_domain(d));
    m->conn_current = cur;
    m->conn_pending = pend;
}

/* ---- the dump ---- */

static void end_dump(bool ok, const char *err)
{
    if (cn.fd >= 0) {
        loop_fd_del(cn.loop, cn.fd);
        close(cn.fd);
        cn.fd = -1;
    }
    if (cn.timeout)
        loop_timer_del(cn.loop, cn.timeout);
    cn.timeout = NULL;
    if (ok) {
        store_foreach(attribute, NULL);
        srcagg_publish();
    }
    source_report(CONN_NAME, ok, (double)(mxw_now_us() - cn.started_us) / 1e6, err);
    free_counts();
}

static int send_request(int family, char *err, size_t errlen)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req = {
        .nlh = {.nlmsg_len = sizeof req,
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                .nlmsg_seq = ++cn.seq},
        .r = {.sdiag_family = (uint8_t)family,
              .sdiag_protocol = IPPROTO_TCP,
              .idiag_states = (1u << TCP_ESTABLISHED) | (1u << TCP_SYN_SENT)},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    cn.family = family;
    if (sendto(cn.fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        snprintf(err, errlen, "sock_diag request: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void on_netlink(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l, (void)events, (void)arg;
    static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
    char err[256] = "";
    for (int round = 0; round < CONN_RECV_ROUNDS; round++) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            snprintf(err, sizeof err, "sock_diag recv: %s", n ? strerror(errno) : "closed");
            end_dump(false, err);
            return;
        }
        int rc = sockdiag_datagram(buf, (size_t)n, cn.seq, count_socket, NULL, err, sizeof err);
        if (rc < 0 || (rc == 1 && cn.family == AF_INET6)) {
            end_dump(rc == 1, err);
            return;
        }
        if (rc == 1 && send_request(AF_INET6, err, sizeof err) < 0) {
            end_dump(false, err);
            return;
        }
    }
}

static int64_t on_timeout(struct loop *l, void *arg)
{
    (void)l, (void)arg;
    cn.timeout = NULL; /* freed by the loop when this returns -1 */
    end_dump(false, "sock_diag dump did not finish in time");
    return -1;
}

static int64_t conn_collect(struct loop *l)
{
    (void)l;
    char err[256];
    if (cn.fd >= 0)
        return cn.interval_ms; /* the previous dump is still running (its timeout ends it) */
    cn.started_us = mxw_now_us();
    cn.fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (cn.fd < 0) {
        snprintf(err, sizeof err, "cannot open a NETLINK_SOCK_DIAG socket: %s", strerror(errno));
        source_report(CONN_NAME, false, 0, err);
        return cn.interval_ms;
    }
    loop_fd_set(cn.loop, cn.fd, LOOP_READ, on_netlink, NULL);
    cn.timeout = loop_timer_add(cn.loop, CONN_TIMEOUT_MS, on_timeout, NULL);
    if (send_request(AF_INET, err, sizeof err) < 0)
        end_dump(false, err);
    return cn.interval_ms;
}

static void copy_config(const struct config *cfg)
{
    cn.n_ports = 0;
    for (size_t i = 0; i < cfg->n_connections_ports && cn.n_ports < CONN_PORTS_MAX; i++)
        cn.ports[cn.n_ports++] = cfg->connections_ports[i];
    if (cn.n_ports == 0)
        cn.ports[cn.n_ports++] = 25;
    cn.interval_ms = cfg->connections_interval_ms > 0 ? cfg->connections_interval_ms : 15000;
}

static int conn_start(const struct source_env *env, const struct config *cfg, char *err,
                      size_t errlen)
{
    (void)err, (void)errlen;
    cn.loop = env->loop;
    copy_config(cfg);
    return 0;
}

static void conn_stop(void)
{
    if (cn.fd >= 0) {
        loop_fd_del(cn.loop, cn.fd);
        close(cn.fd);
    }
    if (cn.timeout)
        loop_timer_del(cn.loop, cn.timeout);
    free_counts();
    memset(&cn, 0, sizeof cn);
    cn.fd = -1;
}

const struct source_ops src_connections_ops = {
    .name = CONN_NAME,
    .per_destination = true,
    .enabled = conn_enabled,
    .start = conn_start,
    .collect = conn_collect,
    .reload = copy_config,
    .stop = conn_stop,
};
