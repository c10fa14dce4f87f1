/*
 * prom_bench.c - times prom_render (GET /metrics) on a snapshot of N destinations (default
 * 10,000) with two MX addresses each, every one probed with TLS, plus MTA figures, the
 * size the issue sets the target for (at most 50 ms on the 2-core reference machine).
 * Also times the gzip a scraper asking for it adds, and the JSON list. Prints figures;
 * never asserts. Built as build/prom-bench (Makefile); run: build/prom-bench [N] [rounds]
 * [per_address: 1 (default) or 0, as web.metrics.per_address].
 */
#include "api.h"
#include "buf.h"
#include "prom.h"
#include "store.h"
#include "util.h"
#include "../unit/snapfix.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void build(size_t n, bool per_address)
{
    store_init();
    store_agent()->metrics_per_address = per_address;
    snapfix_source("postfix_queue", true);
    for (size_t i = 0; i < n; i++) {
        char domain[64];
        snprintf(domain, sizeof domain, "d%05zu.example.com", i);
        struct dest *d = store_dest_add(domain, ORIGIN_CONFIG);
        snapfix_probe(d, 2, 1, i % 10 ? OUT_OK : OUT_REFUSED);
        snapfix_mta(d, i);
    }
    store_publish();
}

typedef void render_fn(const struct snapshot *s, struct buf *out);

static void render_api(const struct snapshot *s, struct buf *out)
{
    api_render_list(s, out);
}

/* Median, best and worst of rounds renders, in ms. With reuse, every round renders into
 * the previous round's buffer (emptied), as the agent does with its spare body buffer;
 * without, into a fresh one, which adds a page fault per 4 KiB of output. The last output
 * is left in *keep. */
static void timeit(const char *what, render_fn *fn, const struct snapshot *s, int rounds,
                   bool reuse, struct buf *keep)
{
    double *ms = calloc((size_t)rounds, sizeof *ms);
    for (int r = 0; r < rounds; r++) {
        if (!reuse)
            buf_free(keep);
        keep->len = 0;
        int64_t t0 = mxw_now_us();
        fn(s, keep);
        ms[r] = (double)(mxw_now_us() - t0) / 1000.0;
    }
    qsort(ms, (size_t)rounds, sizeof *ms, cmp_double);
    printf("%-34s median %7.2f ms  best %7.2f ms  worst %7.2f ms  %zu bytes\n", what,
           ms[rounds / 2], ms[0], ms[rounds - 1], keep->len);
    free(ms);
}

static void time_gzip(const struct buf *body)
{
    uLongf cap = compressBound((uLong)body->len);
    unsigned char *out = malloc(cap);
    z_stream z = {0};
    deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)body->p;
    z.avail_in = (uInt)body->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int64_t t0 = mxw_now_us();
    deflate(&z, Z_FINISH);
    double ms = (double)(mxw_now_us() - t0) / 1000.0;
    printf("%-34s %7.2f ms  %lu bytes\n", "gzip level 1 of it (web.c)", ms, z.total_out);
    deflateEnd(&z);
    free(out);
}

/* How many samples the exposition holds, in all and per destination. */
static void print_series(const struct buf *out, size_t n)
{
    size_t samples = 0;
    for (const char *p = out->p, *end = out->p + out->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        samples += *p != '#';
        p = nl ? nl + 1 : end;
    }
    printf("series                              %zu, %.1f per destination\n", samples,
           n ? (double)samples / (double)n : 0);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 21;
    if (rounds < 1)
        rounds = 1;
    int64_t t0 = mxw_now_us();
    build(n, argc > 3 ? atoi(argv[3]) != 0 : true);
    printf("snapshot: %zu destinations x 2 MX addresses, built in %.0f ms\n", n,
           (double)(mxw_now_us() - t0) / 1000.0);
    const struct snapshot *s = store_snapshot_acquire();
    struct buf out = {0};
    timeit("prom_render, reused buffer (agent)", prom_render, s, rounds, true, &out);
    timeit("prom_render, fresh buffer", prom_render, s, rounds, false, &out);
    time_gzip(&out);
    print_series(&out, n);
    timeit("api_render_list (JSON), reused", render_api, s, rounds > 5 ? 5 : rounds, true, &out);
    buf_free(&out);
    store_snapshot_release(s);
    store_shutdown();
    return 0;
}
