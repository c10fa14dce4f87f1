/*
 * jobs.c - job ids and names (jobs.h). Any thread.
 */
#include "jobs.h"

#include <stdatomic.h>

static atomic_uint_fast64_t last_id;

uint64_t jobs_next_id(void)
{
    return (uint64_t)atomic_fetch_add(&last_id, 1) + 1;
}

const char *delivernow_state_name(enum delivernow_state s)
{
    static const char *const names[] = {"queued", "running", "done", "failed"};
    return (unsigned)s < 4 ? names[s] : "unknown";
}

const char *delivernow_trigger_name(enum delivernow_trigger t)
{
    return t == DELIVERNOW_RECOVERY ? "recovery" : "manual";
}
