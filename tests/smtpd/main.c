/*
 * main.c: mxw-smtpd, the project's own SMTP test server: one process, one thread, one epoll
 * loop serving any number of listeners, each with a behaviour (mode) from a well-behaved
 * ESMTP server to a hostile one. Used by `make run`'s demo world (deploy/demo/world.sh) and
 * by the integration tests of the SMTP probe and the status page; see usage() for the
 * command line.
 *
 * Sets everything up, runs the loop until SIGTERM or SIGINT, then closes every client and
 * listener and removes the pid file. Exits 2 on a bad argument (the message names it),
 * 1 when the system refuses (a port in use, ...).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "conf.h"
#include "evlog.h"
#include "listener.h"
#include "loop.h"
#include "session.h"
#include "tls.h"

#define FD_SPARE 64 /* descriptors beyond the sessions: listeners, log, epoll, TLS files */

static void usage(FILE *f)
{
    fputs("usage: mxw-smtpd [--tls-cert FILE --tls-key FILE] [--hostname NAME] [--log FILE]\n"
          "                 [--pidfile FILE] [--max-conns N] --listen "
          "ADDR:PORT=MODE[,opt=val...]...\n"
          "ADDR is IPv4 or [IPv6]. Modes:\n"
          "  ok       ESMTP: EHLO (PIPELINING SIZE 8BITMIME ENHANCEDSTATUSCODES, STARTTLS with a\n"
          "           certificate), HELO, MAIL, RCPT, DATA (body discarded), RSET, NOOP, QUIT\n"
          "  rcpt5xx  like ok, every RCPT gets 550 5.1.1\n"
          "  rcpt4xx  like ok, every RCPT gets 451 4.7.1 (a throttling MX)\n"
          "  mail4xx  like ok, every MAIL gets 451 4.7.1\n"
          "  mail5xx  like ok, every MAIL gets 550 5.7.1\n"
          "  greylist like ok, RCPT gets 451 4.7.1 the first time its sender and recipient\n"
          "           are seen together, 250 from wait=SECONDS (default 0) after that\n"
          "  delay    banner after delay=SECONDS (default 10), then like ok\n"
          "  slow     like ok, every byte sent interval=SECONDS apart (default 1)\n"
          "  421      421 greeting, then close\n"
          "  554      554 greeting, then 503 to everything until QUIT\n"
          "  garbage  bytes=N random bytes (default 16384; NULs, no CR/LF), then close\n"
          "  huge     a size=N byte multi-line 220 greeting (default 102400), then like ok\n"
          "  silent   never writes\n"
          "  noehlo   normal banner, then never answers\n"
          "  reset    close at once with RST\n"
          "  noquit   like ok, but QUIT (and anything after it) is never answered\n"
          "  badtls   like ok, STARTTLS offered even without a certificate; after its 220 the\n"
          "           TLS ClientHello gets a plain-text reply\n"
          "  backlog  never accepts: its accept queue is kept full, so connects time out\n"
          "Options for every mode but backlog: idle=SECONDS (default 300); for the modes with\n"
          "mail transactions: maxmsg=BYTES (default 10485760); for the modes that greet with\n"
          "220: banner=TEXT, the greeting's text and EHLO's first line (last option: it takes\n"
          "the rest of the argument, commas included). --max-conns defaults to 4096.\n"
          "The event log has one line per connection event and per command received; an\n"
          "accepted message is logged (event=message) with its Message-ID and\n"
          "X-Mxwatch-Probe headers.\n",
          f);
}

/* SIGTERM and SIGINT arrive as readable events, so the loop stops between two callbacks. */
static void on_signal(struct loop *lp, struct loop_io *io, uint32_t events)
{
    (void)events;
    struct signalfd_siginfo si;
    ssize_t r = read(io->fd, &si, sizeof(si));
    (void)r;
    loop_stop(lp);
}

static int watch_signals(struct loop *lp, struct loop_io *io)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    io->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    io->proc = on_signal;
    io->data = NULL;
    return io->fd < 0 ? -1 : loop_io_add(lp, io, EPOLLIN);
}

/* Room for every session: raise the soft descriptor limit as far as the hard one allows. */
static void raise_fd_limit(unsigned max_conns)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)max_conns + FD_SPARE;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int write_pidfile(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        snprintf(err, errlen, "--pidfile '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Files named by arguments: the log and the TLS certificate. Exit status 2 on failure. */
static int open_files(const struct conf *c, struct sess_server *srv, char *err, size_t errlen)
{
    if (c->log_path != NULL && (srv->log = evlog_open(c->log_path, err, errlen)) == NULL)
        return -1;
    if (c->tls_cert != NULL &&
        (srv->tls = tls_server_ctx(c->tls_cert, c->tls_key, err, errlen)) == NULL)
        return -1;
    return 0;
}

static int serve(const struct conf *c, struct sess_server *srv, char *err, size_t errlen)
{
    struct lsn **ls = calloc(c->nlisteners, sizeof(*ls));
    struct loop_io sig = {.fd = -1};
    int rc = -1;
    if (ls == NULL || watch_signals(srv->loop, &sig) < 0) {
        snprintf(err, errlen, "start-up: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < c->nlisteners; i++)
        if ((ls[i] = lsn_open(&c->listeners[i], srv, err, errlen)) == NULL)
            goto out;
    if (c->pidfile != NULL && write_pidfile(c->pidfile, err, errlen) < 0)
        goto out;
    evlog_line(srv->log, "event=ready listeners=%zu pid=%ld", c->nlisteners, (long)getpid());
    rc = loop_run(srv->loop, err, errlen);
    evlog_line(srv->log, "event=stop live=%u", srv->live);
out:
    sess_close_all(srv);
    for (size_t i = 0; ls != NULL && i < c->nlisteners; i++)
        lsn_close(ls[i]);
    free(ls);
    if (sig.fd >= 0)
        close(sig.fd);
    if (c->pidfile != NULL && rc == 0)
        unlink(c->pidfile);
    return rc;
}

int main(int argc, char **argv)
{
    struct conf c;
    char err[512];
    int r = conf_parse(&c, argc, argv, err, sizeof(err));
    if (r != 0) {
        if (r > 0)
            usage(stdout);
        else
            fprintf(stderr, "mxw-smtpd: %s\n", err);
        conf_free(&c);
        return r > 0 ? 0 : 2;
    }
    struct sess_server srv = {.hostname = c.hostname, .max_live = c.max_conns, .rng = 1};
    if (getrandom(&srv.rng, sizeof(srv.rng), 0) != (ssize_t)sizeof(srv.rng) || srv.rng == 0)
        srv.rng = (uint64_t)getpid() | 1;
    int status = 2;
    if (open_files(&c, &srv, err, sizeof(err)) == 0) {
        status = 1;
        raise_fd_limit(c.max_conns);
        if ((srv.loop = loop_new(err, sizeof(err))) != NULL &&
            serve(&c, &srv, err, sizeof(err)) == 0)
            status = 0;
    }
    if (status != 0)
        fprintf(stderr, "mxw-smtpd: %s\n", err);
    loop_free(srv.loop);
    SSL_CTX_free(srv.tls);
    evlog_close(srv.log);
    conf_free(&c);
    return status;
}
