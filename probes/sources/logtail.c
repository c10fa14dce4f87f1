/*
 * logtail.c - the log follower (see logtail.h). Loop thread; reads regular files with
 * O_NONBLOCK reads (which never wait on a regular file) and a bounded budget per call.
 *
 * Rotation checks happen only at end of file, where they cost an fstat, a stat and one
 * pread of the first LOGTAIL_HEAD_MAX bytes:
 *  - the open file got shorter than what was read, or its first bytes changed: it was
 *    truncated (copytruncate) and maybe written again since: read it from the start;
 *  - the path names another file: it was renamed (logrotate's default, `postfix
 *    logrotate`). The old file is read until it has been quiet for the grace period, then
 *    the new one from its start. An incomplete last line of the old file is dropped and
 *    counted (cut_lines): nothing will complete it.
 */
#include "logtail.h"

#include "hash.h"
#include "xalloc.h"

#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOGTAIL_SIBLINGS_MAX 256 /* folder entries examined for a renamed log */
#define LOGTAIL_STATE_MAX    512 /* bytes of a state file */
#define LOGTAIL_STATE_MAGIC  "mxwatch-logtail-state 1"

struct logtail {
    char *path;
    int fd;
    uint64_t dev, ino;
    uint64_t read_off; /* offset of the next byte read() returns */
    unsigned char head[LOGTAIL_HEAD_MAX];
    size_t head_len;
    struct lineasm asm_;
    int64_t grace_ms, last_data_ms;
    struct logtail_stats st;
};

/* ---- line assembly ---- */

void lineasm_init(struct lineasm *a)
{
    memset(a, 0, sizeof *a);
    a->buf = xmalloc(LOGTAIL_LINE_MAX + LOGTAIL_READ_CHUNK);
}

void lineasm_free(struct lineasm *a)
{
    free(a->buf);
    memset(a, 0, sizeof *a);
}

char *lineasm_space(struct lineasm *a, size_t *avail)
{
    *avail = LOGTAIL_LINE_MAX + LOGTAIL_READ_CHUNK - a->len;
    return a->buf + a->len;
}

uint64_t lineasm_drop(struct lineasm *a)
{
    uint64_t n = a->pending;
    a->len = 0;
    a->pending = 0;
    a->skipping = false;
    return n;
}

void lineasm_commit(struct lineasm *a, size_t n, logtail_line_fn *fn, void *arg)
{
    char *line = a->buf, *scan = a->buf + a->len, *end = a->buf + a->len + n;
    if (a->skipping) {
        char *nl = memchr(scan, '\n', n);
        if (!nl) {
            a->pending += n;
            return;
        }
        a->skipping = false;
        a->overlong++;
        line = scan = nl + 1;
    }
    char *nl;
    while ((nl = memchr(scan, '\n', (size_t)(end - scan)))) {
        if ((size_t)(nl - line) > LOGTAIL_LINE_MAX) { /* it came whole in one read */
            a->overlong++;
        } else {
            fn(line, (size_t)(nl - line), arg);
            a->lines++;
        }
        line = scan = nl + 1;
    }
    size_t rest = (size_t)(end - line);
    a->pending = rest;
    if (rest > LOGTAIL_LINE_MAX) {
        a->skipping = true;
        a->len = 0;
        return;
    }
    memmove(a->buf, line, rest);
    a->len = rest;
}

/* ---- the follower ---- */

struct logtail *logtail_new(const char *path, int64_t grace_ms)
{
    struct logtail *t = xcalloc(1, sizeof *t);
    lineasm_init(&t->asm_);
    t->path = xstrdup(path);
    t->fd = -1;
    t->grace_ms = grace_ms;
    return t;
}

void logtail_close(struct logtail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    lineasm_drop(&t->asm_);
}

void logtail_free(struct logtail *t)
{
    if (!t)
        return;
    logtail_close(t);
    lineasm_free(&t->asm_);
    free(t->path);
    free(t);
}

bool logtail_is_open(const struct logtail *t)
{
    return t->fd >= 0;
}

const struct logtail_stats *logtail_stats(const struct logtail *t)
{
    return &t->st;
}

void logtail_position(const struct logtail *t, struct logtail_pos *pos)
{
    const struct lineasm *a = &t->asm_;
    *pos = (struct logtail_pos){
        .dev = t->dev,
        .ino = t->ino,
        .offset = t->read_off - a->pending,
        .head_len = (uint32_t)t->head_len,
        .head_hash = hash_fnv1a(t->head, t->head_len),
    };
}

/* Re-reads the file's first bytes (up to what it holds now). */
static void load_head(struct logtail *t)
{
    ssize_t n = pread(t->fd, t->head, LOGTAIL_HEAD_MAX, 0);
    t->head_len = n > 0 ? (size_t)n : 0;
}

/* Makes fd the followed file, reading from off. */
static void adopt(struct logtail *t, int fd, const struct stat *st, uint64_t off)
{
    if (t->fd >= 0 && t->fd != fd)
        close(t->fd);
    t->fd = fd;
    t->dev = (uint64_t)st->st_dev;
    t->ino = (uint64_t)st->st_ino;
    lineasm_drop(&t->asm_);
    lseek(fd, (off_t)off, SEEK_SET);
    t->read_off = off;
    t->last_data_ms = mxw_now_ms();
    load_head(t);
}

static bool same_head(int fd, const struct logtail_pos *p)
{
    unsigned char buf[LOGTAIL_HEAD_MAX];
    if (p->head_len == 0)
        return true;
    if (p->head_len > LOGTAIL_HEAD_MAX || pread(fd, buf, p->head_len, 0) != (ssize_t)p->head_len)
        return false;
    return hash_fnv1a(buf, p->head_len) == p->head_hash;
}

/* Whether fd (with stat st) is the saved file, unchanged up to the saved offset. */
static bool is_saved_file(int fd, const struct stat *st, const struct logtail_pos *p)
{
    return (uint64_t)st->st_dev == p->dev && (uint64_t)st->st_ino == p->ino &&
           (uint64_t)st->st_size >= p->offset && same_head(fd, p);
}

/* The saved file under another name in the log's folder (renamed by a rotation while the
 * agent was away), opened; or -1. */
static int find_renamed(const char *path, const struct logtail_pos *p, struct stat *st)
{
    char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
    const char *dir = dirname(copy1), *base = basename(copy2);
    size_t blen = strlen(base);
    int found = -1;
    DIR *d = opendir(dir);
    struct dirent *de;
    for (int i = 0; d && found < 0 && i < LOGTAIL_SIBLINGS_MAX && (de = readdir(d)); i++) {
        if (strncmp(de->d_name, base, blen) || !de->d_name[blen])
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && is_saved_file(fd, st, p))
            found = fd;
        else if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
    free(copy1);
    free(copy2);
    return found;
}

/* Where a fresh start begins: after the last newline among the file's last
 * LOGTAIL_LINE_MAX bytes, so the line being written is read whole. */
static uint64_t start_of_last_line(int fd, uint64_t size)
{
    static char buf[LOGTAIL_LINE_MAX];
    size_t n = size < sizeof buf ? (size_t)size : sizeof buf;
    if (n == 0 || pread(fd, buf, n, (off_t)(size - n)) != (ssize_t)n)
        return size;
    char *nl = memrchr(buf, '\n', n);
    return nl ? size - n + (uint64_t)(nl - buf) + 1 : size;
}

static int open_path(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    return fd;
}

int logtail_open(struct logtail *t, const struct logtail_pos *resume, char *err, size_t errlen)
{
    struct stat st, old;
    logtail_close(t);
    int fd = open_path(t->path, &st, err, errlen);
    if (fd < 0)
        return -1;
    if (!resume) {
        adopt(t, fd, &st, start_of_last_line(fd, (uint64_t)st.st_size));
        return 0;
    }
    if (is_saved_file(fd, &st, resume)) {
        adopt(t, fd, &st, resume->offset);
        return 0;
    }
    int oldfd = find_renamed(t->path, resume, &old);
    if (oldfd >= 0) {
        close(fd);
        adopt(t, oldfd, &old, resume->offset);
        return 0;
    }
    adopt(t, fd, &st, 0);
    return 0;
}

/* Truncated, or truncated and written again (first bytes differ): start over. */
static bool was_truncated(struct logtail *t, const struct stat *st)
{
    if ((uint64_t)st->st_size < t->read_off)
        return true;
    unsigned char buf[LOGTAIL_HEAD_MAX];
    return t->head_len && (pread(t->fd, buf, t->head_len, 0) != (ssize_t)t->head_len ||
                           memcmp(buf, t->head, t->head_len) != 0);
}

static void restart(struct logtail *t, int fd, const struct stat *st, uint64_t *counter)
{
    (*counter)++;
    if (t->asm_.pending)
        t->st.cut_lines++;
    adopt(t, fd, st, 0);
}

/* Truncated (copytruncate) since the last look: read again from the start. Checked before
 * every read call too, not only at end of file: a file truncated and written past the old
 * offset would otherwise hand over the tail of its first new line. Returns 1 if so. */
static int check_truncation(struct logtail *t)
{
    struct stat fs;
    if (fstat(t->fd, &fs) < 0)
        return 0;
    if (was_truncated(t, &fs)) {
        restart(t, t->fd, &fs, &t->st.truncations);
        return 1;
    }
    if (t->head_len < LOGTAIL_HEAD_MAX && (uint64_t)fs.st_size > t->head_len)
        load_head(t);
    return 0;
}

/* At end of file: returns 1 when there is something new to read (truncated, or switched
 * to the renamed log's successor), 0 when caught up. */
static int at_eof(struct logtail *t)
{
    struct stat ps;
    if (check_truncation(t))
        return 1;
    if (stat(t->path, &ps) < 0 || ((uint64_t)ps.st_dev == t->dev && (uint64_t)ps.st_ino == t->ino))
        return 0; /* no new file yet, or no rotation */
    if (mxw_now_ms() - t->last_data_ms < t->grace_ms)
        return 0;
    char err[8];
    int fd = open_path(t->path, &ps, err, sizeof err);
    if (fd < 0)
        return 0;
    restart(t, fd, &ps, &t->st.rotations);
    return 1;
}

int logtail_read(struct logtail *t, size_t budget, logtail_line_fn *fn, void *arg, char *err,
                 size_t errlen)
{
    size_t done = 0;
    bool got = false;
    check_truncation(t);
    while (done < budget) {
        size_t avail;
        char *space = lineasm_space(&t->asm_, &avail);
        if (avail > budget - done)
            avail = budget - done;
        ssize_t n = read(t->fd, space, avail);
        if (n > 0) {
            t->read_off += (uint64_t)n;
            done += (size_t)n;
            got = true;
            lineasm_commit(&t->asm_, (size_t)n, fn, arg);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN) {
            snprintf(err, errlen, "cannot read %s: %s", t->path, strerror(errno));
            return -1;
        }
        if (got)
            t->last_data_ms = mxw_now_ms();
        got = false;
        if (!at_eof(t))
            break;
    }
    t->st.bytes += done;
    t->st.lines = t->asm_.lines;
    t->st.overlong = t->asm_.overlong;
    return done < budget ? 1 : 0;
}

/* ---- the state file ---- */

int logtail_state_save(const char *path, const struct logtail_pos *pos, char *err, size_t errlen)
{
    char tmp[4096], line[LOGTAIL_STATE_MAX];
    int n = snprintf(line, sizeof line,
                     LOGTAIL_STATE_MAGIC " dev=%" PRIu64 " ino=%" PRIu64 " offset=%" PRIu64
                                         " head_len=%" PRIu32 " head_hash=%016" PRIx64 "\n",
                     pos->dev, pos->ino, pos->offset, pos->head_len, pos->head_hash);
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "state file path too long");
        return -1;
    }
    /* A new file of a name nobody could guess (O_CREAT | O_EXCL): a link planted in the
     * folder is never followed, and rename() replaces the name, never a link's target. */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write state file %s: %s", path, strerror(errno));
        return -1;
    }
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) < 0 || !ok || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write state file %s: %s", path, strerror(ok ? errno : saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* After key at p, an unsigned number in base: where the text goes on, or NULL. Stricter
 * than sscanf: it starts with a digit (no sign, no space), and an overflow is refused. */
static const char *state_field(const char *p, const char *key, int base, uint64_t *out)
{
    size_t k = strlen(key);
    if (strncmp(p, key, k) || !isxdigit((unsigned char)p[k]))
        return NULL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + k, &end, base);
    if (errno == ERANGE || (base == 10 && !isdigit((unsigned char)p[k])))
        return NULL;
    *out = v;
    return end;
}

int logtail_state_parse(const char *text, size_t len, struct logtail_pos *pos)
{
    char buf[LOGTAIL_STATE_MAX];
    if (len == 0 || len >= LOGTAIL_STATE_MAX)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    static const char *const keys[] = {" dev=", " ino=", " offset=", " head_len=", " head_hash="};
    uint64_t v[MXW_ARRAY_LEN(keys)];
    const char *p = buf + strlen(LOGTAIL_STATE_MAGIC);
    if (strncmp(buf, LOGTAIL_STATE_MAGIC, strlen(LOGTAIL_STATE_MAGIC)))
        return -1;
    for (size_t i = 0; i < MXW_ARRAY_LEN(keys); i++)
        if (!(p = state_field(p, keys[i], i == 4 ? 16 : 10, &v[i])))
            return -1;
    if (strcmp(p, "\n") || v[3] > LOGTAIL_HEAD_MAX)
        return -1;
    *pos = (struct logtail_pos){v[0], v[1], v[2], (unsigned)v[3], v[4]};
    return 0;
}

int logtail_state_load(const char *path, struct logtail_pos *pos, char *err, size_t errlen)
{
    char buf[LOGTAIL_STATE_MAX];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        snprintf(err, errlen, "cannot read state file %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0 || logtail_state_parse(buf, (size_t)n, pos) < 0) {
        snprintf(err, errlen, "state file %s is not a log position (remove it to start afresh)",
                 path);
        return -1;
    }
    return 1;
}
