/*
 * pfdefer.h - which queued Postfix messages are deferred mail to one destination, read
 * from `postqueue -j` (one JSON object per message, one per line): the line splitter fed
 * with chunks as they come from the pipe, and the decision for one record. Used by
 * delivernow (probes/sources/delivernow.c) on the loop thread. Pure: no I/O, no logging; json-c
 * parses one record at a time, so memory is bounded by PFDEFER_RECORD_MAX whatever the
 * size of the queue.
 *
 * A message counts when it is in the deferred queue and at least one of its recipients'
 * domains maps (dest_fn: the transport map) to the destination. Postfix schedules whole
 * messages, so `postqueue -i` on it retries its other recipients too. Recipient domains
 * are read as the queue source reads them (pfqueue_domain), so a retry picks the messages
 * the page counted under the destination.
 */
#ifndef MXW_PFDEFER_H
#define MXW_PFDEFER_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFDEFER_RECORD_MAX (4u << 20) /* bytes of one message's JSON; longer lines are skipped */
#define PFDEFER_ID_MAX     32         /* queue ids are at most 17 characters (long ids) */

struct pfdefer_lines {
    struct buf line; /* the record being assembled */
    bool skipping;   /* inside a record that went over PFDEFER_RECORD_MAX */
    uint64_t skipped;
};

typedef void pfdefer_line_fn(void *arg, const char *line, size_t len);
/* Feeds output; fn is called with every complete line (without its newline). */
void pfdefer_feed(struct pfdefer_lines *p, const char *data, size_t len, pfdefer_line_fn *fn,
                  void *arg);
/* End of output: a last line without a newline is passed on too (fn NULL: dropped).
 * Frees the buffer; the splitter can be fed again afterwards. */
void pfdefer_end(struct pfdefer_lines *p, pfdefer_line_fn *fn, void *arg);

/* Maps a lower-case recipient domain to its destination. */
typedef const char *pfdefer_dest_fn(const char *domain, void *arg);

/* One record: 1 when it is a deferred message with a recipient for dest (its queue id,
 * checked to be letters and digits only, in id), 0 when it is not, -1 when the line is not
 * a queue record or its queue id is malformed. */
int pfdefer_match(const char *line, size_t len, const char *dest, pfdefer_dest_fn *dest_fn,
                  void *arg, char *id, size_t idcap);

#endif
