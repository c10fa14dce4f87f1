/*
 * routes.h - the HTTP handlers that web.c's route table dispatches to, one group per file.
 * Every handler runs on the HTTP thread and reads only the snapshot it is given.
 */
#ifndef MXW_ROUTES_H
#define MXW_ROUTES_H

#include "http.h"

/* web.c */
http_handler web_handle_healthy, web_handle_ready;
/* ui_handlers.c */
http_handler ui_handle_index, ui_handle_destination, ui_handle_static, ui_handle_tophosts;
/* admin.c */
http_handler admin_handle_delivernow, admin_handle_job, admin_handle_reload;
/* metrics.c */
http_handler web_handle_metrics;
/* api.c */
http_handler api_handle_destinations, api_handle_destination, api_handle_debug;

#endif
