/* sources-bench: the MTA sources' own costs, measured in CPU seconds of this process.
 *
 *   sources-bench log FILE            the whole postfix_log source (src_postfix_log_ops):
 *                                     file reads, line assembly, pflog, attribution and
 *                                     store updates, with the 1000 busiest domains of FILE
 *                                     as configured destinations and a store publish after
 *                                     every turn, as in the agent
 *   sources-bench queue FILE          `postqueue -j` output through the queue path: pfqueue
 *                                     fed in 64 KiB chunks, tally, srcagg_apply_queue with
 *                                     discovery (cap 1000) and a publish
 *   sources-bench queue-gen N FILE    writes a synthetic `postqueue -j` listing of N messages
 *                                     (1-3 recipients over 5000 domains, 30% tried once)
 *
 * A bench tool run by hand or by tests/bench/sources.sh; writes only FILE (queue-gen) and a
 * state file beside the log (log).
 */
#include "config.h"
#include "logtail.h"
#include "pflog.h"
#include "pfqueue.h"
#include "sources.h"
#include "srcagg.h"
#include "store.h"
#include "strmap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BENCH_DESTS 1000

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static struct config *bench_config(const char *log, const char *state)
{
    char yml[2048], err[CONFIG_ERR_MAX];
    snprintf(yml, sizeof yml,
             "sources:\n  postfix:\n    enabled: true\n    log_file: \"%s\"\n"
             "    state_file: \"%s\"\n  discovery: {enabled: true, max_destinations: %d}\n",
             log ? log : "/dev/null", state ? state : "", BENCH_DESTS);
    struct config *cfg = config_parse("bench", yml, strlen(yml), err, sizeof err);
    if (!cfg)
        fprintf(stderr, "sources-bench: %s\n", err);
    return cfg;
}

/* ---- log ---- */

struct dom_count {
    char *name;
    unsigned long n;
};

static int by_count(const void *a, const void *b)
{
    const struct dom_count *x = *(struct dom_count *const *)a, *y = *(struct dom_count *const *)b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

/* Configures the BENCH_DESTS domains with the most status lines (before the clock runs). */
static void add_busiest_domains(const char *path)
{
    FILE *f = fopen(path, "r");
    struct strmap m = {0};
    struct dom_count **v = NULL;
    size_t n = 0, cap = 0;
    static char line[LOGTAIL_LINE_MAX + 2];
    struct pflog_event ev;
    while (f && fgets(line, sizeof line, f)) {
        if (pflog_parse_line(line, strlen(line), &ev) != 1 || !ev.rcpt_domain[0])
            continue;
        struct dom_count *c = strmap_get(&m, ev.rcpt_domain);
        if (!c) {
            if (n == cap)
                v = realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof *v);
            c = v[n++] = calloc(1, sizeof *c);
            c->name = strdup(ev.rcpt_domain);
            strmap_put(&m, c->name, c);
        }
        c->n++;
    }
    if (f)
        fclose(f);
    if (n)
        qsort(v, n, sizeof *v, by_count);
    for (size_t i = 0; i < n; i++) {
        if (i < BENCH_DESTS)
            store_dest_add(v[i]->name, ORIGIN_CONFIG);
        free(v[i]->name);
        free(v[i]);
    }
    free(v);
    strmap_free(&m);
}

static int bench_log(const char *path)
{
    char state[4096], err[256];
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return 1;
    }
    snprintf(state, sizeof state, "%s.bench-state", path);
    struct logtail_pos start = {.dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino};
    if (logtail_state_save(state, &start, err, sizeof err) < 0) {
        fprintf(stderr, "sources-bench: %s\n", err);
        return 1;
    }
    struct config *cfg = bench_config(path, state);
    if (!cfg)
        return 1;
    store_init();
    add_busiest_domains(path);
    srcagg_configure(cfg, err, sizeof err);
    src_postfix_log_ops.start(NULL, cfg, err, sizeof err);
    double t0 = cpu_seconds();
    unsigned long turns = 0;
    do {
        turns++;
        store_publish();
    } while (src_postfix_log_ops.collect(NULL) == 0);
    store_publish();
    double cpu = cpu_seconds() - t0;
    unsigned long lines = 0;
    for (FILE *f = fopen(path, "r"); f; fclose(f), f = NULL)
        for (int c; (c = getc(f)) != EOF;)
            lines += c == '\n';
    printf("postfix_log source: lines=%lu bytes=%lld turns=%lu cpu_s=%.3f lines_per_cpu_s=%.0f "
           "destinations=%zu max_rss_kb=%ld\n",
           lines, (long long)st.st_size, turns, cpu, cpu > 0 ? (double)lines / cpu : 0.0,
           srcagg_count(), max_rss_kb());
    src_postfix_log_ops.stop();
    srcagg_shutdown();
    store_shutdown();
    config_free(cfg);
    unlink(state);
    return 0;
}

/* ---- queue ---- */

static const char *dest_of(const char *domain, void *arg)
{
    (void)arg;
    return srcagg_destination(domain);
}

static int bench_queue(const char *path)
{
    char err[256], buf[65536];
    int fd = open(path, O_RDONLY);
    struct config *cfg = bench_config(NULL, NULL);
    if (fd < 0 || !cfg) {
        perror(path);
        return 1;
    }
    store_init();
    srcagg_configure(cfg, err, sizeof err);
    struct pfqueue_parser *p = pfqueue_parser_new();
    struct pfqueue_tally t;
    pfqueue_tally_init(&t);
    t.now = time(NULL);
    double t0 = cpu_seconds();
    ssize_t n;
    long long bytes = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        pfqueue_feed(p, buf, (size_t)n, &t, dest_of, NULL);
        bytes += n;
    }
    int rc = pfqueue_end(p, &t);
    double parsed = cpu_seconds();
    srcagg_apply_queue(&t, (double)time(NULL));
    srcagg_publish();
    store_publish();
    double cpu = cpu_seconds() - t0;
    printf("postfix_queue path: messages=%llu recipients=%llu held=%llu skipped=%llu bytes=%lld "
           "destinations=%zu end=%d parse_cpu_s=%.3f total_cpu_s=%.3f messages_per_cpu_s=%.0f "
           "store=%zu max_rss_kb=%ld\n",
           (unsigned long long)t.messages, (unsigned long long)t.recipients,
           (unsigned long long)t.held, (unsigned long long)t.skipped_records, bytes, t.n, rc,
           parsed - t0, cpu, cpu > 0 ? (double)(t.messages + t.held) / cpu : 0.0, store_count(),
           max_rss_kb());
    close(fd);
    pfqueue_tally_free(&t);
    pfqueue_parser_free(p);
    srcagg_shutdown();
    store_shutdown();
    config_free(cfg);
    return 0;
}

static int queue_gen(long n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f || n < 1) {
        perror(path);
        return 1;
    }
    unsigned long long x = 88172645463325252ull; /* xorshift: deterministic */
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    for (long i = 0; i < n; i++) {
        int nr = 1 + (int)(NEXT() % 3);
        bool tried = NEXT() % 10 < 3;
        fprintf(f,
                "{\"queue_name\": \"%s\", \"queue_id\": \"%lX\", \"arrival_time\": %ld, "
                "\"message_size\": %d, \"forced_expire\": false, \"sender\": "
                "\"sender%ld@origin.example\", \"recipients\": [",
                tried ? "deferred" : "active", 0x4A2F1B000L + i, 1795900000L + i / 10,
                (int)(1000 + NEXT() % 50000), i % 300);
        for (int r = 0; r < nr; r++) {
            unsigned long d = (unsigned long)(NEXT() % 5000);
            d = d * d / 5000; /* a few big domains, a long tail */
            fprintf(f, "%s{\"address\": \"user%d@domain%lu.example\"", r ? ", " : "", r, d);
            if (tried)
                fprintf(f,
                        ", \"delay_reason\": \"connect to mx.domain%lu.example[192.0.2.%lu]:"
                        "25: Connection timed out\"",
                        d, d % 250);
            fputs("}", f);
        }
        fputs("]}\n", f);
    }
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "log"))
        return bench_log(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "queue"))
        return bench_queue(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "queue-gen"))
        return queue_gen(atol(argv[2]), argv[3]);
    fprintf(stderr, "usage: sources-bench log FILE | queue FILE | queue-gen N FILE\n");
    return 2;
}
