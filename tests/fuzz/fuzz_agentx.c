/*
 * libFuzzer target for the AgentX GET and GETNEXT lookups (exporters/snmp/agentx_index.c)
 * over a small fixed snapshot: the input names a region (first byte), whether the OID
 * starts at that region's root (second byte's low bit), and the sub-identifiers that follow
 * (a byte below 0x80 is itself, else it and the next three bytes make one up to 2^31), at
 * most MAX_OID_LEN in all, as a master hands a request over. Each OID is asked as GET,
 * GETNEXT and inclusive GETNEXT (GETBULK's first step). Besides the sanitizers' checks it
 * holds the promises of agentx_int.h: a GETNEXT answer lies after the OID asked, inside the
 * region, within MAX_OID_LEN, and is itself found by GET with the same value type; an
 * inclusive GETNEXT of an instance that GET finds is that instance; a string value fits
 * its buffer.
 * Built by `make fuzz`; its corpus replays in tests/unit/snmp/test_fuzz_snmp.c.
 */
#include "agentx_int.h"
#include "fuzz.h"
#include "snapfix.h"

/* The OID the input spells; returns its length. */
static size_t agentx_oid(const uint8_t *data, size_t size, const struct ax_region *rg, oid *name)
{
    size_t n = 0;
    if (size > 1 && data[1] & 1) {
        memcpy(name, rg->root, rg->root_len * sizeof *name);
        n = rg->root_len;
    }
    for (size_t i = 2; i < size && n < MAX_OID_LEN; i++) {
        oid sub = data[i];
        if (sub >= 0x80 && i + 3 < size) {
            sub = (oid)(data[i] & 0x7f) << 24 | (oid)data[i + 1] << 16 | (oid)data[i + 2] << 8 |
                  data[i + 3];
            i += 3;
        }
        name[n++] = sub;
    }
    return n;
}

static void agentx_check_value(const struct ax_value *val)
{
    if (val->ptr == val->buf)
        FUZZ_CHECK(val->len <= AX_STRING_MAX);
}

FUZZ_ENTRY(agentx)
{
    static const struct snapshot *snap;
    static struct ax_view view;
    if (!snap) {
        snap = snapfix_world();
        ax_view_use(&view, store_snapshot_acquire());
    }
    if (size == 0)
        return 0;
    const struct ax_region *rg = &ax_regions[data[0] % ax_n_regions];
    oid name[MAX_OID_LEN], out[MAX_OID_LEN];
    size_t len = agentx_oid(data, size, rg, name), out_len = 0;
    struct ax_value val, again;
    enum ax_found got = ax_get(&view, rg, name, len, &val);
    FUZZ_CHECK(got <= AX_END);
    if (got == AX_FOUND)
        agentx_check_value(&val);
    if (ax_next(&view, rg, name, len, false, out, &out_len, &val) == AX_FOUND) {
        FUZZ_CHECK(out_len <= MAX_OID_LEN && ax_oid_cmp(name, len, out, out_len) < 0);
        FUZZ_CHECK(out_len > rg->root_len && !memcmp(out, rg->root, rg->root_len * sizeof *out));
        agentx_check_value(&val);
        FUZZ_CHECK(ax_get(&view, rg, out, out_len, &again) == AX_FOUND && again.type == val.type);
    }
    if (ax_next(&view, rg, name, len, true, out, &out_len, &val) == AX_FOUND && got == AX_FOUND)
        FUZZ_CHECK(out_len == len && !memcmp(out, name, len * sizeof *out));
    return 0;
}
