/*
 * pfdefer.c - deferred messages of one destination in `postqueue -j` output (pfdefer.h).
 * Pure; the loop thread uses it.
 */
#include "pfdefer.h"

#include "pfqueue.h"
#include "util.h"

#include <ctype.h>
#include <json.h>
#include <string.h>

static void line_done(struct pfdefer_lines *p, pfdefer_line_fn *fn, void *arg)
{
    if (fn && !p->skipping && p->line.len)
        fn(arg, p->line.p, p->line.len);
    p->line.len = 0;
    p->skipping = false;
}

void pfdefer_feed(struct pfdefer_lines *p, const char *data, size_t len, pfdefer_line_fn *fn,
                  void *arg)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (!p->skipping && p->line.len + take > PFDEFER_RECORD_MAX) {
            p->skipping = true;
            p->skipped++;
        }
        if (!p->skipping)
            buf_append(&p->line, data, take);
        if (nl)
            line_done(p, fn, arg);
        data += take + (nl ? 1 : 0);
        len -= take + (nl ? 1 : 0);
    }
}

void pfdefer_end(struct pfdefer_lines *p, pfdefer_line_fn *fn, void *arg)
{
    line_done(p, fn, arg);
    buf_free(&p->line);
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool good_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= PFDEFER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]))
            return false;
    return true;
}

static bool has_recipient_for(struct json_object *rcpts, const char *dest, pfdefer_dest_fn *fn,
                              void *arg)
{
    size_t n = json_object_array_length(rcpts);
    for (size_t i = 0; i < n; i++) {
        char dom[256]; /* pfqueue_domain needs 254 */
        struct json_object *r = json_object_array_get_idx(rcpts, i);
        const char *addr = json_object_is_type(r, json_type_object) ? str_of(r, "address") : NULL;
        const char *mapped =
            addr && pfqueue_domain(addr, dom, sizeof dom) == 0 ? fn(dom, arg) : NULL;
        if (mapped && !strcmp(mapped, dest))
            return true;
    }
    return false;
}

int pfdefer_match(const char *line, size_t len, const char *dest, pfdefer_dest_fn *dest_fn,
                  void *arg, char *id, size_t idcap)
{
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return -1;
    struct json_object *rec = json_tokener_parse_ex(tok, line, (int)len);
    bool whole = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    int rc = -1;
    struct json_object *rcpts;
    const char *qname = rec && whole ? str_of(rec, "queue_name") : NULL;
    const char *qid = qname ? str_of(rec, "queue_id") : NULL;
    if (qname && good_id(qid) && json_object_object_get_ex(rec, "recipients", &rcpts) &&
        json_object_is_type(rcpts, json_type_array)) {
        rc = !strcmp(qname, "deferred") && has_recipient_for(rcpts, dest, dest_fn, arg);
        if (rc)
            mxw_strlcpy(id, qid, idcap);
    }
    json_object_put(rec);
    return rc;
}
