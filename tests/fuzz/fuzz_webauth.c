/*
 * libFuzzer target for the web config loader (webauth_parse in exporters/web/webauth.c, what
 * webauth_load does with the file's bytes): any bytes as --web.config.file. The file sits in
 * a folder that does not exist, so a relative cert_file or key_file names nothing; an input
 * that names a file by a path with '/' in it is passed over, since the fuzzer could point it
 * at a device or a pipe that blocks. Besides the sanitizers' checks it holds the promises of
 * webauth.h: NULL with an error naming the file, or a config whose users number at most
 * WEBAUTH_USERS_MAX and whose TLS options are the three for a certificate or none.
 * Built by `make fuzz`; its corpus replays in tests/unit/web/test_fuzz_web.c.
 */
#include "fuzz.h"
#include "webauth.h"

#define WEBAUTH_FUZZ_PATH "/nonexistent-mxwatch-fuzz/web.yml"

FUZZ_ENTRY(webauth)
{
    char *text = fuzz_str(data, size);
    if (strstr(text, "_file") && strchr(text, '/')) {
        free(text);
        return 0;
    }
    char err[512] = "";
    struct webauth *a = webauth_parse(WEBAUTH_FUZZ_PATH, text, size, err, sizeof err);
    free(text);
    if (!a) {
        FUZZ_CHECK(strncmp(err, WEBAUTH_FUZZ_PATH, strlen(WEBAUTH_FUZZ_PATH)) == 0);
        return 0;
    }
    FUZZ_CHECK(webauth_users(a) <= WEBAUTH_USERS_MAX);
    struct MHD_OptionItem opts[WEBAUTH_TLS_OPTIONS_MAX];
    webauth_tls_options(a, opts);
    FUZZ_CHECK(opts[webauth_tls(a) ? 3 : 0].option == MHD_OPTION_END);
    FUZZ_CHECK(!webauth_has_user(a, ""));
    webauth_free(a);
    return 0;
}
