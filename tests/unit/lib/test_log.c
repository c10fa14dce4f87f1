/*
 * Unit tests of the logger (agent/lib/log.c): whatever a message or a field value holds
 * (quotes, backslashes, line breaks, control bytes, C1 controls, invalid UTF-8, outside data
 * formatted into a quoted field), one event is one line, logfmt fields stay parseable and
 * JSON lines stay valid; the fields come from the format alone, so a value from outside
 * that looks like fields (` level=error msg="x"`) stays inside its own field in both
 * formats; every printf conversion the callers use formats as printf would. Captures stderr
 * through a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
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

/* The JSON line l as an object (the caller puts it); fails the test when it is not JSON. */
static json_object *parse_json(const char *l)
{
    json_object *o = json_tokener_parse(l);
    if (!o)
        fail_msg("not JSON: %s", l);
    return o;
}

/* Member key of o is the string want. */
static void assert_member(json_object *o, const char *key, const char *want)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no member %s", key);
    assert_string_equal(json_object_get_string(v), want);
}

static void json_lines_stay_valid(void **state)
{
    (void)state;
    const char *evil = "x\"}\n{\"level\":\"error\"";
    json_object *o =
        parse_json(capture(LOG_FMT_JSON, "text \"q\" error=\"%s\" bare=%s n=2", evil, "a\\b"));
    assert_member(o, "msg", "text \"q\"");
    assert_member(o, "error", evil);
    assert_member(o, "bare", "a\\b");
    assert_member(o, "n", "2");
    assert_member(o, "level", "info");
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

/* Outside data that looks like fields, in the message, a bare value and a quoted value. */
static void values_cannot_forge_fields(void **state)
{
    (void)state;
    const char *evil = "220 hi level=error msg=\"x\" subsys=forged";
    const char *l = capture(LOG_FMT_LOGFMT, "banner seen banner=%s next=%d", evil, 1);
    assert_string_equal(body(l), "msg=\"banner seen\" banner=\"220 hi level=error msg=\\\"x\\\" "
                                 "subsys=forged\" next=1");
    l = capture(LOG_FMT_LOGFMT, "net-snmp: %s", evil);
    assert_string_equal(body(l),
                        "msg=\"net-snmp: 220 hi level=error msg=\\\"x\\\" subsys=forged\"");
    const char *closing = "a\" next=2 level=\"error";
    l = capture(LOG_FMT_LOGFMT, "failed error=\"%s\" next=%d", closing, 3);
    assert_string_equal(body(l), "msg=\"failed\" error=\"a\\\" next=2 level=\\\"error\" next=3");
    json_object *o = parse_json(
        capture(LOG_FMT_JSON, "banner seen banner=%s error=\"%s\" next=%d", evil, closing, 1));
    assert_int_equal(json_object_object_length(o), 7); /* ts level subsys msg banner error next */
    assert_member(o, "banner", evil);
    assert_member(o, "error", closing);
    assert_member(o, "level", "info");
    assert_member(o, "subsys", "test");
    json_object_put(o);
}

/* C1 controls (CSI as c2 9b) and bytes that are not UTF-8 are escaped; other UTF-8 stays. */
static void c1_controls_and_invalid_bytes_are_escaped(void **state)
{
    (void)state;
    const char *l = capture(LOG_FMT_LOGFMT, "seen banner=%s",
                            "a\xc2\x9b"
                            "2Jb\x9b\xff caf\xc3\xa9");
    assert_string_equal(body(l), "msg=\"seen\" banner=\"a\\u009b2Jb\\ufffd\\ufffd caf\xc3\xa9\"");
    l = capture(LOG_FMT_LOGFMT, "seen name=%s", "caf\xc3\xa9");
    assert_string_equal(body(l), "msg=\"seen\" name=caf\xc3\xa9");
    json_object *o = parse_json(capture(LOG_FMT_JSON, "seen banner=%s", "a\xc2\x9b\xff"));
    assert_member(o, "banner", "a\xc2\x9b\xef\xbf\xbd");
    json_object_put(o);
}

/* Each conversion formats as printf would, the arguments taken in order across fields. */
static void conversions_format_as_printf(void **state)
{
    (void)state;
    char want[512];
    uint64_t big = UINT64_MAX;
    snprintf(want, sizeof want,
             "msg=\"n %d %+5d|%-4s|%%\" u=%u z=%zu ll=%lld x=%#x u64=%" PRIu64 " f=%.3f g=%g "
             "s=%.*s c=%c h=%hhd w=%*d",
             -7, 42, "ab", 7u, (size_t)123456, -9000000000LL, 255u, big, 3.14159, 1e-7, 3, "abcdef",
             'q', (signed char)-3, 5, 12);
    const char *l = capture(LOG_FMT_LOGFMT,
                            "n %d %+5d|%-4s|%% u=%u z=%zu ll=%lld x=%#x u64=%" PRIu64 " f=%.3f "
                            "g=%g s=%.*s c=%c h=%hhd w=%*d",
                            -7, 42, "ab", 7u, (size_t)123456, -9000000000LL, 255u, big, 3.14159,
                            1e-7, 3, "abcdef", 'q', (signed char)-3, 5, 12);
    /* w=%*d pads with spaces: that value is quoted, as a bare value cannot hold a space */
    char *w = strstr(want, " w=");
    snprintf(w, sizeof want - (size_t)(w - want), " w=\"%*d\"", 5, 12);
    assert_string_equal(body(l), want);
}

/* Past LOG_FIELDS_MAX fields, the rest of the format is the last value: still one line,
 * every argument in its place. */
static void many_fields(void **state)
{
    (void)state;
    const char *l = capture(LOG_FMT_LOGFMT,
                            "many a0=%d a1=%d a2=%d a3=%d a4=%d a5=%d a6=%d a7=%d a8=%d a9=%d "
                            "b0=%d b1=%d b2=%d b3=%d b4=%d b5=%d b6=%d b7=%d b8=%d b9=%d c0=%d "
                            "c1=%d c2=%d c3=%d c4=%d c5=%d",
                            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                            20, 21, 22, 23, 24, 25);
    assert_non_null(strstr(l, " c2=22 c3=\"23 c4=24 c5=25\""));
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
        cmocka_unit_test(values_cannot_forge_fields),
        cmocka_unit_test(c1_controls_and_invalid_bytes_are_escaped),
        cmocka_unit_test(conversions_format_as_printf),
        cmocka_unit_test(many_fields),
        cmocka_unit_test(levels_filter_and_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
