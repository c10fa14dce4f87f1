/*
 * Unit tests of the logger's escaping (agent/lib/log.c): whatever a message or a field value
 * holds (quotes, backslashes, line breaks, control bytes, outside data formatted into a
 * quoted field), one event is one line, logfmt fields stay parseable and JSON lines stay
 * valid. Captures stderr through a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char out[8192];

/* Runs log_msg with stderr redirected; the line (without its newline) lands in out. */
static const char *capture(enum log_format fmt, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static const char *capture(enum log_format fmt, const char *format, ...)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    log_setup(LOG_LVL_DEBUG, fmt);
    va_list ap;
    va_start(ap, format);
    log_vmsg(LOG_LVL_INFO, "test", format, ap);
    va_end(ap);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    fclose(tmp);
    out[n] = '\0';
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, ""); /* exactly one line */
    *nl = '\0';
    return out;
}

/* The part after "ts=... level=info subsys=test ". */
static const char *body(const char *line)
{
    const char *b = strstr(line, " subsys=test ");
    assert_non_null(b);
    return b + strlen(" subsys=test ");
}

static void message_text_is_quoted_and_escaped(void **state)
{
    (void)state;
    const char *l = capture(LOG_FMT_LOGFMT, "say \"hi\" \\ %s", "two\nlines\x01");
    assert_string_equal(body(l), "msg=\"say \\\"hi\\\" \\\\ two\\nlines\\u0001\"");
    assert_non_null(strstr(l, "level=info"));
}

static void fields_are_split_from_the_text(void **state)
{
    (void)state;
    const char *l = capture(LOG_FMT_LOGFMT, "probe done destination=%s status=%s secs=%.1f",
                            "a.test", "up", 0.5);
    assert_string_equal(body(l), "msg=\"probe done\" destination=a.test status=up secs=0.5");
    l = capture(LOG_FMT_LOGFMT, "no fields here: a = b, x=");
    assert_string_equal(body(l), "msg=\"no fields here: a = b,\" x=");
}

static void outside_data_in_a_quoted_field_cannot_break_the_line(void **state)
{
    (void)state;
    const char *evil = "t.yml:2:3: bad 'a\"b' \\ x\nts=forged level=error msg=\"owned\"";
    const char *l = capture(LOG_FMT_LOGFMT, "reload rejected error=\"%s\" n=%d", evil, 3);
    assert_string_equal(body(l), "msg=\"reload rejected\" error=\"t.yml:2:3: bad 'a\\\"b' \\\\ "
                                 "x\\nts=forged level=error msg=\\\"owned\\\"\" n=3");
}

static void bare_values_with_control_bytes_are_quoted(void **state)
{
    (void)state;
    const char *l = capture(LOG_FMT_LOGFMT, "banner seen banner=%s next=1", "220\rx\x1b[2J");
    assert_string_equal(body(l), "msg=\"banner seen\" banner=\"220\\u000dx\\u001b[2J\" next=1");
    l = capture(LOG_FMT_LOGFMT, "unterminated error=\"abc");
    assert_string_equal(body(l), "msg=\"unterminated\" error=\"abc\"");
}

static void json_lines_stay_valid(void **state)
{
    (void)state;
    const char *evil = "x\"}\n{\"level\":\"error\"";
    const char *l = capture(LOG_FMT_JSON, "text \"q\" error=\"%s\" bare=%s n=2", evil, "a\\b");
    json_object *o = json_tokener_parse(l);
    if (!o)
        fail_msg("not JSON: %s", l);
    json_object *v;
    assert_true(json_object_object_get_ex(o, "msg", &v));
    assert_string_equal(json_object_get_string(v), "text \"q\"");
    assert_true(json_object_object_get_ex(o, "error", &v));
    assert_string_equal(json_object_get_string(v), evil);
    assert_true(json_object_object_get_ex(o, "bare", &v));
    assert_string_equal(json_object_get_string(v), "a\\b");
    assert_true(json_object_object_get_ex(o, "n", &v));
    assert_string_equal(json_object_get_string(v), "2");
    assert_true(json_object_object_get_ex(o, "level", &v));
    assert_string_equal(json_object_get_string(v), "info");
    json_object_put(o);
}

static void long_messages_are_cut_not_overflowed(void **state)
{
    (void)state;
    char big[6000];
    memset(big, '\n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *l = capture(LOG_FMT_LOGFMT, "big error=\"%s\"", big);
    assert_true(strlen(l) < 4096);
    l = capture(LOG_FMT_JSON, "%s", big);
    assert_true(strlen(l) < 4096);
}

static void levels_filter_and_parse(void **state)
{
    (void)state;
    enum log_level lvl;
    enum log_format fmt;
    assert_int_equal(log_parse_level("warn", &lvl), 0);
    assert_int_equal(lvl, LOG_LVL_WARN);
    assert_int_equal(log_parse_level("verbose", &lvl), -1);
    assert_int_equal(log_parse_format("json", &fmt), 0);
    assert_int_equal(log_parse_format("xml", &fmt), -1);
    log_setup(LOG_LVL_WARN, LOG_FMT_LOGFMT);
    assert_false(log_enabled(LOG_LVL_INFO));
    assert_true(log_enabled(LOG_LVL_ERROR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_text_is_quoted_and_escaped),
        cmocka_unit_test(fields_are_split_from_the_text),
        cmocka_unit_test(outside_data_in_a_quoted_field_cannot_break_the_line),
        cmocka_unit_test(bare_values_with_control_bytes_are_quoted),
        cmocka_unit_test(json_lines_stay_valid),
        cmocka_unit_test(long_messages_are_cut_not_overflowed),
        cmocka_unit_test(levels_filter_and_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
