/*
 * curlm.h - the probe loop's one libcurl multi handle: every libcurl transfer of the agent
 * (SMTP banner checks, gateway status polls) runs on it, driven by the loop through
 * curl_multi_socket_action and libcurl's socket and timer callbacks. A transfer's owner
 * gets one callback when libcurl says it is done. Loop thread only.
 */
#ifndef MXW_CURLM_H
#define MXW_CURLM_H

#include "loop.h"

#include <curl/curl.h>

struct curlm;

/* Called when libcurl finishes the transfer (rc is its CURLcode). The handle is still
 * added; the owner removes it with curlm_remove (possibly later, as SMTP's QUIT does). */
typedef void curlm_done_fn(void *arg, CURL *h, CURLcode rc);

struct curlm *curlm_new(struct loop *l, char *err, size_t errlen);
/* Every handle must have been removed first. */
void curlm_free(struct curlm *m);

/* Adds h; done(arg, h, rc) runs on the loop when the transfer ends. Uses CURLOPT_PRIVATE. */
int curlm_add(struct curlm *m, CURL *h, curlm_done_fn *done, void *arg);
void curlm_remove(struct curlm *m, CURL *h);

#endif
