/*
 * mtasts.c - reading the TLS policy texts a destination publishes (mtasts.h): the MTA-STS
 * TXT record and policy file (RFC 8461) and the SMTP TLS reporting record (RFC 8460). Pure;
 * called by tlspolicy.c on the probe loop and by the tests. Every text is hostile: lengths
 * are ours, never the publisher's, and an error names the field or line at fault.
 */
#include "mtasts.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 1024 /* one policy line; longer is a fault, not a cut */

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* A span of the record text, trimmed of WSP at both ends. */
struct span {
    const char *p;
    size_t n;
};

static struct span trim(const char *p, size_t n)
{
    while (n && is_wsp(*p))
        p++, n--;
    while (n && is_wsp(p[n - 1]))
        n--;
    return (struct span){p, n};
}

static bool span_is(struct span s, const char *word)
{
    return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* Splits the next ';'-separated field "key = value" off *rest (NULL when none is left); an
 * empty field (a trailing ';') is skipped. */
static bool next_field(const char **rest, struct span *key, struct span *val)
{
    while (*rest) {
        const char *semi = strchr(*rest, ';');
        size_t n = semi ? (size_t)(semi - *rest) : strlen(*rest);
        struct span f = trim(*rest, n);
        *rest = semi ? semi + 1 : NULL;
        if (!f.n)
            continue;
        const char *eq = memchr(f.p, '=', f.n);
        if (!eq) {
            *key = f;
            *val = (struct span){f.p + f.n, 0};
        } else {
            *key = trim(f.p, (size_t)(eq - f.p));
            *val = trim(eq + 1, f.n - (size_t)(eq - f.p) - 1);
        }
        return true;
    }
    return false;
}

/* Whether txt is a record of the version given ("v=STSv1"): its first field says so. */
static bool has_version(const char *txt, const char *version)
{
    const char *rest = txt;
    struct span k, v;
    return next_field(&rest, &k, &v) && span_is(k, "v") && span_is(v, version);
}

/* The one record of the version among n, or a verdict without one. */
static enum txt_policy pick_record(const char *const *txt, size_t n, const char *version,
                                   const char **out)
{
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        if (txt[i] && has_version(txt[i], version) && found++ == 0)
            *out = txt[i];
    return found == 0 ? TXT_POLICY_ABSENT : found > 1 ? TXT_POLICY_MULTIPLE : TXT_POLICY_OK;
}

static enum txt_policy malformed(char *err, size_t errlen, const char *what, struct span s)
{
    snprintf(err, errlen, "%s '%.*s'", what, (int)(s.n > 40 ? 40 : s.n), s.p);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '.';
    return TXT_POLICY_MALFORMED;
}

enum txt_policy sts_parse_txt(const char *const *txt, size_t n, char id[STS_ID_MAX], char *err,
                              size_t errlen)
{
    const char *rec = NULL;
    id[0] = '\0';
    enum txt_policy t = pick_record(txt, n, "STSv1", &rec);
    if (t != TXT_POLICY_OK)
        return t;
    struct span k, v;
    const char *rest = rec;
    next_field(&rest, &k, &v); /* the version, checked by pick_record */
    while (next_field(&rest, &k, &v)) {
        if (!span_is(k, "id"))
            continue; /* extensions are allowed */
        if (v.n == 0 || v.n >= STS_ID_MAX)
            return malformed(err, errlen, "id of bad length", v);
        for (size_t i = 0; i < v.n; i++)
            if (!isalnum((unsigned char)v.p[i]))
                return malformed(err, errlen, "id not letters and digits", v);
        memcpy(id, v.p, v.n);
        id[v.n] = '\0';
        return TXT_POLICY_OK;
    }
    snprintf(err, errlen, "no id field");
    return TXT_POLICY_MALFORMED;
}

/* Lower-cases a host name or pattern into out and drops a trailing dot; false when it does
 * not fit or holds a byte no host name has. */
static bool host_copy(char *out, size_t cap, const char *p, size_t n)
{
    if (n && p[n - 1] == '.')
        n--;
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '*' && c != '_')
            return false;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return true;
}

/* A pattern is a host name, or "*." and one: the wildcard stands alone, leftmost. */
static bool pattern_ok(const char *pat)
{
    const char *star = strchr(pat, '*');
    if (!star)
        return pat[0] != '.' && !strstr(pat, "..");
    return star == pat && pat[1] == '.' && pat[2] && !strchr(pat + 1, '*') &&
           !strstr(pat + 1, "..");
}

static int policy_fault(char *err, size_t errlen, unsigned line, const char *what)
{
    snprintf(err, errlen, "line %u: %s", line, what);
    return -1;
}

/* Takes one "key: value" line of a policy into p; 0 or -1 with err. */
static int policy_line(struct sts_policy *p, struct span l, unsigned line, bool *version_seen,
                       bool *mode_seen, bool *age_seen, char *err, size_t errlen)
{
    const char *colon = memchr(l.p, ':', l.n);
    if (!colon)
        return policy_fault(err, errlen, line, "no ':' between key and value");
    struct span k = trim(l.p, (size_t)(colon - l.p));
    struct span v = trim(colon + 1, l.n - (size_t)(colon - l.p) - 1);
    if (span_is(k, "version")) {
        if (!span_is(v, "STSv1"))
            return policy_fault(err, errlen, line, "version is not STSv1");
        *version_seen = true;
    } else if (span_is(k, "mode")) {
        if (span_is(v, "enforce"))
            p->mode = STS_MODE_ENFORCE;
        else if (span_is(v, "testing"))
            p->mode = STS_MODE_TESTING;
        else if (span_is(v, "none"))
            p->mode = STS_MODE_NONE;
        else
            return policy_fault(err, errlen, line, "mode is not enforce, testing or none");
        *mode_seen = true;
    } else if (span_is(k, "max_age")) {
        unsigned long age = 0;
        if (v.n == 0 || v.n > 10)
            return policy_fault(err, errlen, line, "max_age is not a number of seconds");
        for (size_t i = 0; i < v.n; i++) {
            if (!isdigit((unsigned char)v.p[i]))
                return policy_fault(err, errlen, line, "max_age is not a number of seconds");
            age = age * 10 + (unsigned long)(v.p[i] - '0');
        }
        if (age > STS_MAX_AGE_MAX)
            return policy_fault(err, errlen, line, "max_age over 31557600");
        p->max_age = (unsigned)age;
        *age_seen = true;
    } else if (span_is(k, "mx")) {
        if (p->n_mx == STS_MX_MAX)
            return policy_fault(err, errlen, line, "more than 16 mx patterns");
        char *pat = p->mx[p->n_mx];
        if (!host_copy(pat, STS_PATTERN_MAX, v.p, v.n) || !pattern_ok(pat))
            return policy_fault(err, errlen, line, "mx is not a host name or *.name");
        p->n_mx++;
    }
    return 0;
}

int sts_parse_policy(const char *body, size_t len, struct sts_policy *p, char *err, size_t errlen)
{
    bool version_seen = false, mode_seen = false, age_seen = false;
    memset(p, 0, sizeof *p);
    if (len > STS_BODY_MAX)
        return policy_fault(err, errlen, 0, "policy over 65536 bytes");
    unsigned line = 0;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(body + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (body + off)) : len - off;
        line++;
        if (n > LINE_MAX_BYTES)
            return policy_fault(err, errlen, line, "line over 1024 bytes");
        if (memchr(body + off, '\0', n))
            return policy_fault(err, errlen, line, "NUL byte");
        struct span l = trim(body + off, n && body[off + n - 1] == '\r' ? n - 1 : n);
        off += n + 1;
        if (l.n && policy_line(p, l, line, &version_seen, &mode_seen, &age_seen, err, errlen))
            return -1;
    }
    if (!version_seen)
        return policy_fault(err, errlen, line, "no version: STSv1");
    if (!mode_seen)
        return policy_fault(err, errlen, line, "no mode");
    if (!age_seen)
        return policy_fault(err, errlen, line, "no max_age");
    if (p->mode != STS_MODE_NONE && p->n_mx == 0)
        return policy_fault(err, errlen, line, "no mx in a mode that needs one");
    return 0;
}

static bool pattern_matches(const char *pat, const char *host)
{
    if (pat[0] != '*')
        return strcmp(pat, host) == 0;
    const char *dot = strchr(host, '.'); /* the wildcard takes exactly the first label */
    return dot && dot != host && strcmp(dot, pat + 1) == 0;
}

bool sts_mx_matches(const struct sts_policy *p, const char *mx_host)
{
    char host[STS_PATTERN_MAX];
    if (!host_copy(host, sizeof host, mx_host, strlen(mx_host)) || strchr(host, '*'))
        return false;
    for (size_t i = 0; i < p->n_mx; i++)
        if (pattern_matches(p->mx[i], host))
            return true;
    return false;
}

/* Whether one rua URI has a scheme reports can go to. */
static bool rua_uri_ok(struct span u)
{
    return (u.n > 7 && strncasecmp(u.p, "mailto:", 7) == 0) ||
           (u.n > 8 && strncasecmp(u.p, "https://", 8) == 0);
}

/* Checks the rua value's URIs and copies them, comma-separated, into rua. */
static enum txt_policy rua_take(struct span v, char rua[TLSRPT_RUA_MAX], char *err, size_t errlen)
{
    size_t have = 0;
    while (v.n) {
        const char *comma = memchr(v.p, ',', v.n);
        size_t n = comma ? (size_t)(comma - v.p) : v.n;
        struct span u = trim(v.p, n);
        if (!rua_uri_ok(u))
            return malformed(err, errlen, "rua URI not mailto: or https:", u);
        for (size_t i = 0; i <= u.n && have + 1 < TLSRPT_RUA_MAX; i++) {
            unsigned char c = i < u.n ? (unsigned char)u.p[i] : (unsigned char)',';
            rua[have++] = (char)(c < 0x21 || c > 0x7e ? '.' : c);
        }
        v = comma ? (struct span){comma + 1, v.n - n - 1} : (struct span){v.p + n, 0};
    }
    if (have && rua[have - 1] == ',')
        have--;
    rua[have] = '\0';
    return have ? TXT_POLICY_OK : malformed(err, errlen, "empty rua", v);
}

enum txt_policy tlsrpt_parse_txt(const char *const *txt, size_t n, char rua[TLSRPT_RUA_MAX],
                                 char *err, size_t errlen)
{
    const char *rec = NULL;
    rua[0] = '\0';
    enum txt_policy t = pick_record(txt, n, "TLSRPTv1", &rec);
    if (t != TXT_POLICY_OK)
        return t;
    struct span k, v;
    const char *rest = rec;
    next_field(&rest, &k, &v);
    while (next_field(&rest, &k, &v))
        if (span_is(k, "rua"))
            return rua_take(v, rua, err, errlen);
    snprintf(err, errlen, "no rua field");
    return TXT_POLICY_MALFORMED;
}
