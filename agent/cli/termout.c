/*
 * termout.c - text from outside (SMTP banners and EHLO replies, MX names, what the agent
 * answers) printed to a terminal by the client commands: on one line, with every control
 * character (C0, DEL, C1 such as CSI) and every byte that is not valid UTF-8 shown as \xNN
 * (expfmt_text_line), so nothing it holds can drive the terminal. Main thread of a command;
 * never logs.
 */
#include "cli.h"

#include "buf.h"
#include "expfmt.h"

#include <stdint.h>

size_t cli_put_textn(FILE *out, const char *s, size_t n)
{
    struct buf b = {0};
    if (!s)
        return 0;
    expfmt_text_line(&b, s, n);
    if (b.len)
        fwrite(b.p, 1, b.len, out);
    size_t len = b.len;
    buf_free(&b);
    return len;
}

size_t cli_put_text(FILE *out, const char *s)
{
    return cli_put_textn(out, s, SIZE_MAX);
}
