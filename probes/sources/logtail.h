/*
 * logtail.h - follows a growing log file line by line, as `tail -F` does: through rotation
 * by rename (the old file is read to its end, then the new one from its start) and by
 * copytruncate (the file shrinks or its first bytes change: read again from the start),
 * with a read position - device, inode, offset of the first unread line, and a fingerprint
 * of the file's first bytes - that a state file keeps across restarts, so a restart neither
 * skips nor repeats a line.
 *
 * Regular files are always "readable" to epoll, so the caller polls on a timer and reads a
 * bounded amount per call; reads never block. Lines are handed over whole: a line still
 * being written stays buffered until its newline arrives; a line longer than
 * LOGTAIL_LINE_MAX bytes is skipped and counted. Used by the Postfix log source on the loop
 * thread; never logs (errors go to the caller's buffer).
 */
#ifndef MXW_LOGTAIL_H
#define MXW_LOGTAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGTAIL_LINE_MAX   16384 /* longest line handed over, without its newline */
#define LOGTAIL_READ_CHUNK 65536 /* bytes asked of read() at a time */
#define LOGTAIL_HEAD_MAX   256   /* first bytes of the file that identify it */

typedef void logtail_line_fn(const char *line, size_t len, void *arg);

/* ---- line assembly across partial reads (pure) ---- */
struct lineasm {
    char *buf;        /* LOGTAIL_LINE_MAX + LOGTAIL_READ_CHUNK bytes */
    size_t len;       /* bytes of the incomplete line at buf[0] */
    uint64_t pending; /* bytes of the incomplete line read so far, skipped ones included */
    bool skipping;    /* inside an overlong line: dropping bytes up to its newline */
    uint64_t lines, overlong;
};

void lineasm_init(struct lineasm *a);
void lineasm_free(struct lineasm *a);
/* Where the next bytes go, and how many fit (at least LOGTAIL_READ_CHUNK). */
char *lineasm_space(struct lineasm *a, size_t *avail);
/* Takes n bytes written at lineasm_space(): fn(line, len, arg) for each completed line
 * (newline not included), the rest kept for later. */
void lineasm_commit(struct lineasm *a, size_t n, logtail_line_fn *fn, void *arg);
/* Forgets the incomplete line; returns how many bytes of it had been read. */
uint64_t lineasm_drop(struct lineasm *a);

/* ---- the follower ---- */
struct logtail_pos {
    uint64_t dev, ino;
    uint64_t offset; /* of the first byte of the first line not yet handed over */
    uint32_t head_len;
    uint64_t head_hash; /* FNV-1a of the file's first head_len bytes */
};

struct logtail_stats {
    uint64_t bytes, lines, overlong;
    uint64_t rotations;   /* switched to a new file after a rename */
    uint64_t truncations; /* started the same file again (copytruncate) */
    uint64_t cut_lines;   /* incomplete lines dropped at a rotation or truncation */
};

struct logtail;

/* grace_ms: after a rename, how long the old file must stay quiet before the new one is
 * read (writers reopen the log a moment after it is renamed). */
struct logtail *logtail_new(const char *path, int64_t grace_ms);
void logtail_free(struct logtail *t);
/* Opens the file. With resume (a saved position): the same file continues at its offset;
 * if the file was renamed away and a sibling in the same folder (PATH.1, PATH-2026...) is
 * that file, it is finished first; a file that is not the saved one is read from its
 * start. Without resume: from the end (from the start of its last, incomplete line).
 * Returns 0, or -1 with err ("cannot open PATH: reason"). */
int logtail_open(struct logtail *t, const struct logtail_pos *resume, char *err, size_t errlen);
bool logtail_is_open(const struct logtail *t);
void logtail_close(struct logtail *t);
/* Reads at most budget bytes, handing over complete lines. Returns 1 when it has caught
 * up with the writer, 0 when the budget ran out first (call again soon), -1 on a read
 * error (err filled; to retry, take the position, close, and open with it). */
int logtail_read(struct logtail *t, size_t budget, logtail_line_fn *fn, void *arg, char *err,
                 size_t errlen);
/* The position to save. Valid once open. */
void logtail_position(const struct logtail *t, struct logtail_pos *pos);
const struct logtail_stats *logtail_stats(const struct logtail *t);

/* The state file: one text line, written to a new file PATH.XXXXXX (mkostemp: never through
 * a link planted in the folder), flushed, then renamed over PATH (so it is whole or absent). load
 * returns 1 when loaded, 0 when there is none, -1 (err filled) when it cannot be read or is not a
 * state file. */
int logtail_state_save(const char *path, const struct logtail_pos *pos, char *err, size_t errlen);
int logtail_state_load(const char *path, struct logtail_pos *pos, char *err, size_t errlen);
/* The state file's text (len bytes, not NUL-terminated) into *pos: 0, or -1 when it is not
 * exactly one state line (and *pos is untouched). Pure. */
int logtail_state_parse(const char *text, size_t len, struct logtail_pos *pos);

#endif
