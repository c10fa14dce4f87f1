/*
 * metrics.c - GET /metrics: the snapshot as Prometheus text (exporters/prom). HTTP thread;
 * reads only the snapshot it is given.
 */
#include "prom.h"
#include "routes.h"

void web_handle_metrics(const struct http_request *rq, const struct snapshot *snap,
                        struct http_response *rs)
{
    (void)rq;
    if (!snap) {
        http_error(rs, 503, "no snapshot yet");
        return;
    }
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
    prom_render(snap, &rs->body);
}
