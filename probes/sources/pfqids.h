/*
 * pfqids.h - per queued message (Postfix queue id), the recipients still waiting and the
 * destination of each, learnt from the log's deferred lines. Postfix logs a message's
 * expiry (`status=expired, returned to sender`) and its removal by postsuper (`removed`)
 * once per message, naming no recipient; this map tells the log source which destinations
 * those recipients belonged to. Every delivery attempt logs each recipient still waiting
 * (the last one before expiry included), and a recipient is forgotten once it is sent or
 * bounced, so what the map holds at expiry is exactly who expired.
 *
 * Bounded in bytes, since anyone on the host can write deferred lines to the mail log
 * (`logger`): at most `messages` messages, `rcpts` recipients over all messages (and
 * PFQIDS_RCPTS_MAX in one message) and `bytes` bytes of messages, recipient slots and
 * destination names. A destination name is stored once however many recipients wait for
 * it (interned, counted by reference). To stay within the bounds the least recently
 * deferred message is forgotten first; a recipient that does not fit even then is not
 * remembered. Whatever is forgotten is counted (pfqids_dropped). Beyond `bytes`, only the two
 * hash tables take memory: at most 32 bytes per message and per name, each bounded by the
 * counts above. A recipient is identified within its message by a 64-bit hash of its
 * address (hash_fnv1a). Used by the Postfix log source on the loop thread; pure (no I/O, no
 * logging).
 */
#ifndef MXW_PFQIDS_H
#define MXW_PFQIDS_H

#include <stddef.h>
#include <stdint.h>

#define PFQIDS_RCPTS_MAX 256 /* recipients of one message */

struct pfqids_limits {
    size_t messages; /* messages remembered */
    size_t rcpts;    /* recipients remembered, over all messages */
    size_t bytes;    /* messages, recipient slots and interned names (see above) */
};

struct pfqids;

/* Limits of 0 are taken as 1. */
struct pfqids *pfqids_new(const struct pfqids_limits *lim);
void pfqids_free(struct pfqids *q);
/* A recipient of message qid was deferred: remembered once, under dest. */
void pfqids_deferred(struct pfqids *q, const char *qid, uint64_t rcpt, const char *dest);
/* A recipient was sent or bounced: forgotten (and its message when none is left). */
void pfqids_done(struct pfqids *q, const char *qid, uint64_t rcpt);
/* The message expired or was removed: fn(dest, arg) for each recipient remembered, then the
 * message is forgotten. Returns the number of recipients. */
typedef void pfqids_fn(const char *dest, void *arg);
size_t pfqids_finish(struct pfqids *q, const char *qid, pfqids_fn *fn, void *arg);
/* Messages, recipients and distinct destination names held now, and the bytes they take
 * (as the `bytes` limit counts them). */
size_t pfqids_count(const struct pfqids *q);
size_t pfqids_rcpts(const struct pfqids *q);
size_t pfqids_names(const struct pfqids *q);
size_t pfqids_bytes(const struct pfqids *q);
/* Recipients forgotten to stay within the bounds. */
uint64_t pfqids_dropped(const struct pfqids *q);

#endif
