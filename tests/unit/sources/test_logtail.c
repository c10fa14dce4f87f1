/* Unit tests of the log follower (probes/sources/logtail.c): line assembly across partial reads and
 * its LOGTAIL_LINE_MAX bound, the state file round trip and its refusals, a state file written
 * through no planted link, and the follower
 * on real files in a private temp folder: start at the end, a line completed later, the
 * read budget, rotation by rename (old file finished first), copytruncate (shrunk, and
 * shrunk then grown past the old offset), and resuming from a saved position, also when
 * the file was renamed away meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logtail.h"

/* ---- collected lines ---- */

struct lines {
    char text[65536];
    size_t len, n;
};

static void collect(const char *line, size_t len, void *arg)
{
    struct lines *l = arg;
    assert_true(l->len + len + 1 < sizeof l->text);
    memcpy(l->text + l->len, line, len);
    l->len += len;
    l->text[l->len++] = '|';
    l->text[l->len] = '\0';
    l->n++;
}

static void feed(struct lineasm *a, const char *s, size_t n, struct lines *out)
{
    size_t avail;
    char *p = lineasm_space(a, &avail);
    assert_true(avail >= n);
    memcpy(p, s, n);
    lineasm_commit(a, n, collect, out);
}

static void test_lines_across_partial_reads(void **state)
{
    (void)state;
    const char *s = "first line\nsecond\n\nthird, cut";
    size_t len = strlen(s);
    for (size_t cut = 0; cut <= len; cut++) {
        struct lineasm a;
        struct lines out = {0};
        lineasm_init(&a);
        feed(&a, s, cut, &out);
        feed(&a, s + cut, len - cut, &out);
        assert_string_equal(out.text, "first line|second||");
        assert_int_equal(a.pending, strlen("third, cut"));
        feed(&a, "\n", 1, &out);
        assert_string_equal(out.text, "first line|second||third, cut|");
        assert_int_equal(a.pending, 0);
        assert_int_equal(a.lines, 4);
        lineasm_free(&a);
    }
}

static void test_line_bound(void **state)
{
    (void)state;
    static char big[LOGTAIL_LINE_MAX + 2];
    struct lineasm a;
    struct lines out = {0};
    lineasm_init(&a);
    /* Exactly LOGTAIL_LINE_MAX bytes: handed over, in two pieces. */
    memset(big, 'a', LOGTAIL_LINE_MAX);
    feed(&a, big, LOGTAIL_LINE_MAX / 2, &out);
    feed(&a, big, LOGTAIL_LINE_MAX - LOGTAIL_LINE_MAX / 2, &out);
    feed(&a, "\n", 1, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.len, LOGTAIL_LINE_MAX + 1);
    /* One byte more: skipped up to its newline, counted, and the next line is intact. */
    memset(big, 'b', LOGTAIL_LINE_MAX + 1);
    feed(&a, big, LOGTAIL_LINE_MAX + 1, &out);
    assert_true(a.skipping);
    assert_int_equal(a.pending, LOGTAIL_LINE_MAX + 1);
    feed(&a, "bbbb", 4, &out);
    assert_int_equal(a.pending, LOGTAIL_LINE_MAX + 5);
    feed(&a, "b\nnext\n", 7, &out);
    assert_int_equal(a.overlong, 1);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.text + LOGTAIL_LINE_MAX + 1, "next|");
    /* One byte more, whole in one read with its newline: skipped and counted the same. */
    big[LOGTAIL_LINE_MAX + 1] = '\n';
    feed(&a, big, LOGTAIL_LINE_MAX + 2, &out);
    feed(&a, "last\n", 5, &out);
    assert_int_equal(a.overlong, 2);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.text + LOGTAIL_LINE_MAX + 1, "next|last|");
    assert_int_equal(lineasm_drop(&a), 0);
    lineasm_free(&a);
}

/* ---- files ---- */

static char dir[64], path[128], state_path[128];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mxw-logtail.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/mail.log", dir);
    snprintf(state_path, sizeof state_path, "%s/state", dir);
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void append(const char *p, const char *s)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void truncate_to(const char *p, off_t len)
{
    assert_int_equal(truncate(p, len), 0);
}

static void read_all(struct logtail *t, struct lines *out)
{
    char err[256];
    int rc;
    while ((rc = logtail_read(t, 1 << 20, collect, out, err, sizeof err)) == 0)
        ;
    assert_int_equal(rc, 1);
}

static void test_state_round_trip(void **state)
{
    (void)state;
    struct logtail_pos p = {.dev = 65024,
                            .ino = 10954129,
                            .offset = 1ull << 40,
                            .head_len = 256,
                            .head_hash = 0xfedcba9876543210ull},
                       q;
    char err[256];
    assert_int_equal(logtail_state_load(state_path, &q, err, sizeof err), 0); /* none yet */
    assert_int_equal(logtail_state_save(state_path, &p, err, sizeof err), 0);
    assert_int_equal(logtail_state_load(state_path, &q, err, sizeof err), 1);
    assert_memory_equal(&p.dev, &q.dev, sizeof p.dev);
    assert_true(q.ino == p.ino && q.offset == p.offset && q.head_len == p.head_len &&
                q.head_hash == p.head_hash);
    struct stat st;
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
    assert_int_equal(stat(tmp, &st), -1); /* renamed into place, no temp file left */
    const char *bad[] = {"",
                         "garbage\n",
                         "mxwatch-logtail-state 1 dev=1 ino=2 offset=3 head_len=4\n",
                         "mxwatch-logtail-state 1 dev=1 ino=2 offset=3 head_len=999 head_hash=0\n",
                         "mxwatch-logtail-state 1 dev=1 ino=2 offset=3 head_len=4 head_hash=0 x\n",
                         NULL};
    for (size_t i = 0; bad[i]; i++) {
        truncate_to(state_path, 0);
        append(state_path, bad[i]);
        err[0] = '\0';
        assert_int_equal(logtail_state_load(state_path, &q, err, sizeof err), -1);
        assert_non_null(strstr(err, state_path));
    }
    /* A state file at its size bound is refused, not cut. */
    static char huge[600];
    memset(huge, ' ', sizeof huge - 1);
    truncate_to(state_path, 0);
    append(state_path, huge);
    assert_int_equal(logtail_state_load(state_path, &q, err, sizeof err), -1);
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/missing/state", dir);
    assert_int_equal(logtail_state_save(nodir, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing"));
}

/* The state file is written through no link planted in its folder: neither one at the old
 * fixed temporary name (FILE.tmp) nor one at FILE itself sends the write to the link's
 * target, and no temporary file is left behind. */
static void test_state_save_follows_no_link(void **state)
{
    (void)state;
    struct logtail_pos p = {.dev = 1, .ino = 2, .offset = 3}, q;
    char victim[160], victim2[160], tmp[160], err[256], buf[64];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(victim2, sizeof victim2, "%s/victim2", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
    append(victim, "precious\n");
    append(victim2, "precious too\n");
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(logtail_state_save(state_path, &p, err, sizeof err), 0);
    assert_int_equal(logtail_state_load(state_path, &q, err, sizeof err), 1);
    assert_true(q.offset == 3);
    unlink(state_path);
    assert_int_equal(symlink(victim2, state_path), 0);
    assert_int_equal(logtail_state_save(state_path, &p, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(lstat(state_path, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the link was replaced, its target left alone */
    int fd = open(victim, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    assert_string_equal(buf, "precious\n");
    fd = open(victim2, O_RDONLY);
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    assert_string_equal(buf, "precious too\n");
    /* Nothing but the state file, the planted link and the victims. */
    DIR *d = opendir(dir);
    size_t entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 4);
}

static void test_start_at_end_and_wait_for_whole_lines(void **state)
{
    (void)state;
    char err[256];
    struct lines out = {0};
    append(path, "old 1\nold 2\nhalf of ");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    read_all(t, &out);
    assert_int_equal(out.n, 0); /* waits for the rest of the line being written */
    append(path, "a line\nnew");
    read_all(t, &out);
    assert_string_equal(out.text, "half of a line|");
    struct logtail_pos pos;
    logtail_position(t, &pos);
    assert_int_equal(pos.offset, strlen("old 1\nold 2\nhalf of a line\n"));
    append(path, " 2\n");
    read_all(t, &out);
    assert_string_equal(out.text, "half of a line|new 2|");
    logtail_free(t);
}

static void test_budget(void **state)
{
    (void)state;
    char err[256];
    struct lines out = {0};
    append(path, "");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    for (int i = 0; i < 100; i++)
        append(path, "0123456789\n");
    assert_int_equal(logtail_read(t, 55, collect, &out, err, sizeof err), 0);
    assert_int_equal(out.n, 5);
    read_all(t, &out);
    assert_int_equal(out.n, 100);
    logtail_free(t);
}

static void test_rotation_by_rename(void **state)
{
    (void)state;
    char err[256], old[160];
    struct lines out = {0};
    snprintf(old, sizeof old, "%s.1", path);
    append(path, "before\n");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    append(path, "a1\n");
    assert_int_equal(rename(path, old), 0);
    append(old, "a2 written after the rename\ncut"); /* the writer has not reopened yet */
    read_all(t, &out);                               /* no new file yet: keeps the old */
    append(path, "b1\n");
    read_all(t, &out);
    assert_string_equal(out.text, "a1|a2 written after the rename|b1|");
    const struct logtail_stats *st = logtail_stats(t);
    assert_int_equal(st->rotations, 1);
    assert_int_equal(st->cut_lines, 1);
    logtail_free(t);
}

static void test_grace_period(void **state)
{
    (void)state;
    char err[256], old[160];
    struct lines out = {0};
    snprintf(old, sizeof old, "%s.1", path);
    append(path, "");
    struct logtail *t = logtail_new(path, 60000);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    assert_int_equal(rename(path, old), 0);
    append(path, "new\n");
    read_all(t, &out);
    assert_int_equal(out.n, 0); /* the old file is still within its grace period */
    append(old, "late\n");
    read_all(t, &out);
    assert_string_equal(out.text, "late|");
    logtail_free(t);
}

static void test_copytruncate(void **state)
{
    (void)state;
    char err[256];
    struct lines out = {0};
    append(path, "x\n");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    append(path, "line one\nline two\n");
    read_all(t, &out);
    truncate_to(path, 0); /* copytruncate, then a short write */
    append(path, "c1\n");
    read_all(t, &out);
    assert_string_equal(out.text, "line one|line two|c1|");
    /* Truncated and written past the old offset before the follower looked. */
    truncate_to(path, 0);
    append(path, "d1 is a longer line than before\n");
    read_all(t, &out);
    assert_string_equal(out.text, "line one|line two|c1|d1 is a longer line than before|");
    assert_int_equal(logtail_stats(t)->truncations, 2);
    logtail_free(t);
}

static void test_resume_from_state(void **state)
{
    (void)state;
    char err[256];
    struct lines out = {0};
    struct logtail_pos pos;
    append(path, "seen 1\n");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    append(path, "seen 2\nhalf");
    read_all(t, &out);
    logtail_position(t, &pos);
    assert_int_equal(logtail_state_save(state_path, &pos, err, sizeof err), 0);
    logtail_free(t);
    /* Stopped; the log grows; started again at the saved position. */
    append(path, " done\nwhile away\n");
    struct logtail_pos loaded;
    assert_int_equal(logtail_state_load(state_path, &loaded, err, sizeof err), 1);
    t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, &loaded, err, sizeof err), 0);
    read_all(t, &out);
    assert_string_equal(out.text, "seen 2|half done|while away|");
    logtail_free(t);
    /* Replaced by a new, longer file meanwhile (same name, other content): from its start. */
    unlink(path);
    append(path, "a completely different first line of a new file\n");
    t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, &loaded, err, sizeof err), 0);
    read_all(t, &out);
    assert_string_equal(out.text, "seen 2|half done|while away|"
                                  "a completely different first line of a new file|");
    logtail_free(t);
}

static void test_resume_after_rename_while_away(void **state)
{
    (void)state;
    char err[256], old[160];
    struct lines out = {0};
    struct logtail_pos pos;
    snprintf(old, sizeof old, "%s-20261129", path);
    append(path, "seen\n");
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), 0);
    read_all(t, &out);
    logtail_position(t, &pos);
    logtail_free(t);
    append(path, "late in the old file\n");
    assert_int_equal(rename(path, old), 0);
    append(path, "in the new file\n");
    t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, &pos, err, sizeof err), 0);
    read_all(t, &out);
    assert_string_equal(out.text, "late in the old file|in the new file|");
    logtail_free(t);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[256];
    struct logtail *t = logtail_new(path, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_false(logtail_is_open(t));
    logtail_free(t);
    t = logtail_new(dir, 0);
    assert_int_equal(logtail_open(t, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    logtail_free(t);
}

#define FILE_TEST(f) cmocka_unit_test_setup_teardown(f, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_across_partial_reads),
        cmocka_unit_test(test_line_bound),
        FILE_TEST(test_state_round_trip),
        FILE_TEST(test_state_save_follows_no_link),
        FILE_TEST(test_start_at_end_and_wait_for_whole_lines),
        FILE_TEST(test_budget),
        FILE_TEST(test_rotation_by_rename),
        FILE_TEST(test_grace_period),
        FILE_TEST(test_copytruncate),
        FILE_TEST(test_resume_from_state),
        FILE_TEST(test_resume_after_rename_while_away),
        FILE_TEST(test_open_errors),
    };
    return cmocka_run_group_tests_name("logtail", tests, NULL, NULL);
}
