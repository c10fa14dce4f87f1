/* pflog-bench: feeds every line of a Postfix log file to pflog_parse_line.
 *
 *   pflog-bench [--repeat N] FILE   parse FILE N times (default 5) and print the parsing rate
 *                                   in lines per second of CPU time (reading the file is
 *                                   not counted: it is loaded once before the clock starts)
 *   pflog-bench --events FILE       print one tab-separated line per event or malformed line,
 *                                   for tests/integration/postfix_harness.sh
 *
 * A test and bench tool, run by hand or by tests; it never writes anywhere but stdout.
 */
#include "pflog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct counts {
    unsigned long lines, events, malformed, kinds[PFLOG_CONNFAIL + 1];
};

static char *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pflog-bench: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (!buf)
        fprintf(stderr, "pflog-bench: out of memory reading %s\n", path);
    *len = n;
    return buf;
}

static void print_event(unsigned long lineno, int rc, const struct pflog_event *ev)
{
    if (rc < 0) {
        printf("malformed\t%lu\t%s\n", lineno, ev->why);
        return;
    }
    printf("%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\t%u\n", pflog_kind_name(ev->kind), ev->queue_id,
           ev->rcpt_domain[0] ? ev->rcpt_domain : "-", pflog_hard_class_name(ev->hard_class),
           ev->dsn[0] ? ev->dsn : "-", ev->smtp_reply, ev->service,
           ev->relay_host[0] ? ev->relay_host : "-", ev->relay_addr[0] ? ev->relay_addr : "-",
           ev->relay_port);
}

static void parse_all(const char *buf, size_t len, struct counts *c, int print)
{
    const char *p = buf, *end = buf + len;
    struct pflog_event ev;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        int rc = pflog_parse_line(p, (size_t)(eol - p), &ev);
        c->lines++;
        if (rc > 0) {
            c->events++;
            c->kinds[ev.kind]++;
        } else if (rc < 0) {
            c->malformed++;
        }
        if (print && rc != 0)
            print_event(c->lines, rc, &ev);
        p = eol + 1;
    }
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int repeat = 5, events = 0, i = 1;
    for (; i < argc - 1; i++) {
        if (strcmp(argv[i], "--events") == 0)
            events = 1;
        else if (strcmp(argv[i], "--repeat") == 0 && i + 2 < argc)
            repeat = atoi(argv[++i]);
        else
            break;
    }
    if (i != argc - 1 || repeat < 1) {
        fprintf(stderr, "usage: pflog-bench [--repeat N | --events] FILE\n");
        return 2;
    }
    size_t len;
    char *buf = load(argv[i], &len);
    if (!buf)
        return 1;
    struct counts c = {0};
    if (events) {
        parse_all(buf, len, &c, 1);
        free(buf);
        return 0;
    }
    double t0 = cpu_seconds();
    for (int r = 0; r < repeat; r++)
        parse_all(buf, len, &c, 0);
    double cpu = cpu_seconds() - t0;
    printf("lines=%lu events=%lu sent=%lu deferred=%lu bounced=%lu expired=%lu removed=%lu "
           "malformed=%lu cpu_s=%.3f lines_per_cpu_s=%.0f\n",
           c.lines / (unsigned long)repeat, c.events / (unsigned long)repeat,
           c.kinds[PFLOG_SENT] / (unsigned long)repeat,
           c.kinds[PFLOG_DEFERRED] / (unsigned long)repeat,
           c.kinds[PFLOG_BOUNCED] / (unsigned long)repeat,
           c.kinds[PFLOG_EXPIRED] / (unsigned long)repeat,
           c.kinds[PFLOG_REMOVED] / (unsigned long)repeat, c.malformed / (unsigned long)repeat, cpu,
           cpu > 0 ? (double)c.lines / cpu : 0.0);
    free(buf);
    return 0;
}
