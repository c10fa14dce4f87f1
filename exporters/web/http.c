/*
 * http.c - reading a request's headers and arguments, and filling an error or a header into
 * a response (http.h). HTTP thread.
 */
#include "http.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

const char *http_header(const struct http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_error(struct http_response *rs, unsigned status, const char *msg)
{
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    rs->body.len = 0;
    buf_puts(&rs->body, msg);
    buf_puts(&rs->body, "\n");
}

void http_add_header(struct http_response *rs, const char *name, const char *value)
{
    size_t n = strlen(rs->extra_headers);
    snprintf(rs->extra_headers + n, sizeof rs->extra_headers - n, "%s: %s\n", name, value);
}
