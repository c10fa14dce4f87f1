/*
 * client.h - how the client commands (tophosts, hoststatus, delivernow: cmd_client.c) talk
 * to a running agent: one HTTP request at a time with libcurl's easy interface (a command
 * line tool, not the loop), credentials from --auth.file or the environment, bounded
 * replies. Main thread of the mxwatch command; never used by the agent itself.
 *
 * Credentials, first found wins:
 *   --auth.file FILE   lines "username: NAME" and "password: SECRET", or "token: TOKEN"
 *                      ('#' starts a comment; at most CLIENT_AUTH_FILE_MAX bytes)
 *   MXWATCH_TOKEN                       the delivernow bearer token
 *   MXWATCH_USER and MXWATCH_PASSWORD   basic auth
 */
#ifndef MXW_CLIENT_H
#define MXW_CLIENT_H

#include "buf.h"
#include "cli.h"

#define CLIENT_DEFAULT_URL   "http://127.0.0.1:9725"
#define CLIENT_AUTH_FILE_MAX 4096
#define CLIENT_REPLY_MAX     (64u << 20) /* a longer reply is cut off and is an error */
#define CLIENT_SECRET_MAX    1024

struct client_auth {
    char user[256];
    char password[CLIENT_SECRET_MAX];
    char token[CLIENT_SECRET_MAX];
};

struct client;

/* Reads credentials from the text of an auth file. 0, or -1 with err (the line). Pure. */
int client_parse_auth(const char *text, struct client_auth *a, char *err, size_t errlen);

/* Sets up the connection settings from the flags and the environment. NULL with err. */
struct client *client_open(const struct cli_flags *f, char *err, size_t errlen);
void client_close(struct client *c);
/* One request: path relative to the base URL (already percent-encoded), body JSON or
 * NULL. Fills *status and the reply body. Returns 0, or -1 with err when no HTTP answer
 * came (agent unreachable, timeout, reply too long). */
int client_request(struct client *c, const char *method, const char *path, const char *json_body,
                   long *status, struct buf *reply, char *err, size_t errlen);

#endif
