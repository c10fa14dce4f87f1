/*
 * test_mib_oids.c: checks the OID constants of exporters/snmp/mxw_mib.h for the shape SNMP needs
 * (one tree under the module root, sub-identifiers numbered without gaps, every instance
 * OID within 128 sub-identifiers) without any MIB tooling. Run by tests/run.sh. With
 * `--list` it prints "CONSTANT descriptor numeric-oid" for every OID constant instead, which
 * tests/integration/mib_lint.sh compares with the header and with snmptranslate's reading
 * of mibs/MXWATCH-MIB.txt, so this hand-written table provably covers the whole header.
 */
#include "mxw_mib.h" /* first: proves the header stands alone, without net-snmp */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define OID_MAX_LEN  128 /* RFC 2578 section 3.5 */
#define NODE_MAX_LEN 16  /* deeper than any node of the module */

struct mib_node {
    const char *constant;
    const char *descriptor;
    unsigned long oid[NODE_MAX_LEN];
    size_t len;
};

#define OID_LEN(...) (sizeof((unsigned long[]){__VA_ARGS__}) / sizeof(unsigned long))
#define NODE(c, d)                                                                                 \
    {                                                                                              \
#c, d, {c }, OID_LEN(c)                                                                    \
    }
#define SUB(base, c, d)                                                                            \
    {                                                                                              \
#c, d, {base, c }, OID_LEN(base, c)                                                        \
    }

static const struct mib_node nodes[] = {
    NODE(MXW_MIB_ROOT, "mxwatchMIB"),
    NODE(MXW_MIB_NOTIFICATIONS, "mxwNotifications"),
    SUB(MXW_MIB_NOTIFICATIONS, MXW_DESTINATION_DOWN, "mxwDestinationDown"),
    SUB(MXW_MIB_NOTIFICATIONS, MXW_DESTINATION_UP, "mxwDestinationUp"),
    NODE(MXW_MIB_OBJECTS, "mxwObjects"),
    NODE(MXW_MIB_AGENT, "mxwAgent"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_DESTINATIONS, "mxwAgentDestinations"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_PROBES_IN_FLIGHT, "mxwAgentProbesInFlight"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_LOOP_LAG, "mxwAgentLoopLag"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_SOURCES_UP, "mxwAgentSourcesUp"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_SOURCES_CONFIGURED, "mxwAgentSourcesConfigured"),
    SUB(MXW_MIB_AGENT, MXW_AGENT_VERSION, "mxwAgentVersion"),
    NODE(MXW_MIB_DESTINATION_TABLE, "mxwDestinationTable"),
    NODE(MXW_MIB_DESTINATION_ENTRY, "mxwDestinationEntry"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_NAME, "mxwDestName"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS, "mxwDestStatus"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS_REASON, "mxwDestStatusReason"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS_CHANGED, "mxwDestStatusChanged"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_MX_COUNT, "mxwDestMxCount"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_ACTIVE_RECIPIENTS, "mxwDestActiveRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_UNATTEMPTED_RECIPIENTS, "mxwDestUnattemptedRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_ATTEMPTED_RECIPIENTS, "mxwDestAttemptedRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_CONNECTIONS_CURRENT, "mxwDestConnectionsCurrent"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_CONNECTIONS_PENDING, "mxwDestConnectionsPending"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_SOFT_BOUNCE_EVENTS, "mxwDestSoftBounceEvents"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_COMPLETED_RECIPIENTS, "mxwDestCompletedRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_HARD_BOUNCED_RECIPIENTS,
        "mxwDestHardBouncedRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DNS_HARD_BOUNCES, "mxwDestDnsHardBounces"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_5XX_HARD_BOUNCES, "mxwDest5xxHardBounces"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_FILTER_HARD_BOUNCES, "mxwDestFilterHardBounces"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_EXPIRED_HARD_BOUNCES, "mxwDestExpiredHardBounces"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_OTHER_HARD_BOUNCES, "mxwDestOtherHardBounces"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DELIVERED_RECIPIENTS, "mxwDestDeliveredRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DELETED_RECIPIENTS, "mxwDestDeletedRecipients"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DNS_LOOKUP_TIME, "mxwDestDnsLookupTime"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_BANNER_TIME, "mxwDestBannerTime"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_LAST_BANNER, "mxwDestLastBanner"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TLS_CERT_EXPIRY, "mxwDestTlsCertExpiry"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_OLDEST_MESSAGE_AGE, "mxwDestOldestMessageAge"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_ORIGIN, "mxwDestOrigin"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS_SIGNAL, "mxwDestStatusSignal"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_LAST_DELIVERY_TIME, "mxwDestLastDeliveryTime"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_LAST_DELIVERY_SUCCESS, "mxwDestLastDeliverySuccess"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_LAST_ERROR_REPLY_CODE, "mxwDestLastErrorReplyCode"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_LAST_ERROR_REPLY, "mxwDestLastErrorReply"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_MTA_STS_MODE, "mxwDestMtaStsMode"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_MTA_STS_POLICY_EXPIRY, "mxwDestMtaStsPolicyExpiry"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_MTA_STS_FAILING_MX, "mxwDestMtaStsFailingMx"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_MTA_STS_FAULT, "mxwDestMtaStsFault"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TLS_RPT_RUA, "mxwDestTlsRptRua"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DANE_AUTHENTICATED, "mxwDestDaneAuthenticated"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DANE_MATCHING_ADDRS, "mxwDestDaneMatchingAddrs"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_DANE_FAILING_ADDRS, "mxwDestDaneFailingAddrs"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TXN_SUCCESS, "mxwDestTxnSuccess"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TXN_TIME, "mxwDestTxnTime"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TXN_FAILED_PHASE, "mxwDestTxnFailedPhase"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TXN_REPLY_CODE, "mxwDestTxnReplyCode"),
    SUB(MXW_MIB_DESTINATION_ENTRY, MXW_DEST_TXN_REPLY, "mxwDestTxnReply"),
    NODE(MXW_MIB_MX_TABLE, "mxwMxTable"),
    NODE(MXW_MIB_MX_ENTRY, "mxwMxEntry"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_PREFERENCE, "mxwMxPreference"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_ADDRESS_TYPE, "mxwMxAddressType"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_ADDRESS, "mxwMxAddress"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_HOST_NAME, "mxwMxHostName"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_STATUS, "mxwMxStatus"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_OUTCOME, "mxwMxOutcome"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_CONNECT_TIME, "mxwMxConnectTime"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_BANNER_TIME, "mxwMxBannerTime"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_EHLO_TIME, "mxwMxEhloTime"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_TLS_TIME, "mxwMxTlsTime"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_START_TLS_OFFERED, "mxwMxStartTlsOffered"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_TLS_NEGOTIATED, "mxwMxTlsNegotiated"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_TLS_VERSION, "mxwMxTlsVersion"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_TLS_CERT_EXPIRY, "mxwMxTlsCertExpiry"),
    SUB(MXW_MIB_MX_ENTRY, MXW_MX_BANNER, "mxwMxBanner"),
    NODE(MXW_MIB_GATEWAY_TABLE, "mxwGatewayTable"),
    NODE(MXW_MIB_GATEWAY_ENTRY, "mxwGatewayEntry"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_NAME, "mxwGwName"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_UP, "mxwGwUp"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_SYSTEM_STATUS, "mxwGwSystemStatus"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_OLDEST_MESSAGE_AGE, "mxwGwOldestMessageAge"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_ACTIVE_RECIPIENTS, "mxwGwActiveRecipients"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_UNATTEMPTED_RECIPIENTS, "mxwGwUnattemptedRecipients"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_ATTEMPTED_RECIPIENTS, "mxwGwAttemptedRecipients"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_CONNECTIONS_IN, "mxwGwConnectionsIn"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_CONNECTIONS_OUT, "mxwGwConnectionsOut"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_DELIVERED_RECIPIENTS, "mxwGwDeliveredRecipients"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_SOFT_BOUNCE_EVENTS, "mxwGwSoftBounceEvents"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_HARD_BOUNCED_RECIPIENTS, "mxwGwHardBouncedRecipients"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_DNS_HARD_BOUNCES, "mxwGwDnsHardBounces"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_5XX_HARD_BOUNCES, "mxwGw5xxHardBounces"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_FILTER_HARD_BOUNCES, "mxwGwFilterHardBounces"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_EXPIRED_HARD_BOUNCES, "mxwGwExpiredHardBounces"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_OTHER_HARD_BOUNCES, "mxwGwOtherHardBounces"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_INJECTED_MESSAGES, "mxwGwInjectedMessages"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_LICENSE_SECONDS_REMAINING, "mxwGwLicenseSecondsRemaining"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_SCRAPE_DURATION, "mxwGwScrapeDuration"),
    SUB(MXW_MIB_GATEWAY_ENTRY, MXW_GW_LAST_SUCCESS, "mxwGwLastSuccess"),
    NODE(MXW_MIB_NOTIFY_OBJECTS, "mxwNotifyObjects"),
    SUB(MXW_MIB_NOTIFY_OBJECTS, MXW_NOTIFY_DEST_NAME, "mxwNotifyDestName"),
};
#define NODE_COUNT (sizeof(nodes) / sizeof(nodes[0]))

static const unsigned long root[] = {MXW_MIB_ROOT};
#define ROOT_LEN (sizeof(root) / sizeof(root[0]))

static int oid_eq(const unsigned long *a, size_t alen, const unsigned long *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen * sizeof(*a)) == 0;
}

/* The node whose OID is `len` sub-identifiers of `oid`, or NULL. */
static const struct mib_node *find(const unsigned long *oid, size_t len)
{
    for (size_t i = 0; i < NODE_COUNT; i++)
        if (oid_eq(nodes[i].oid, nodes[i].len, oid, len))
            return &nodes[i];
    return NULL;
}

/* Under enterprises, where a private module belongs, whatever number it moves to. */
static void root_is_under_enterprises(void **state)
{
    (void)state;
    static const unsigned long enterprises[] = {1, 3, 6, 1, 4, 1};
    assert_true(ROOT_LEN > 6);
    assert_memory_equal(root, enterprises, sizeof(enterprises));
}

static void every_node_is_under_the_root(void **state)
{
    (void)state;
    for (size_t i = 0; i < NODE_COUNT; i++) {
        assert_true(nodes[i].len >= ROOT_LEN);
        assert_true(nodes[i].len <= NODE_MAX_LEN);
        assert_memory_equal(nodes[i].oid, root, sizeof(root));
    }
}

static void no_two_constants_share_an_oid_or_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < NODE_COUNT; i++)
        for (size_t j = i + 1; j < NODE_COUNT; j++) {
            if (oid_eq(nodes[i].oid, nodes[i].len, nodes[j].oid, nodes[j].len))
                fail_msg("%s and %s share an OID", nodes[i].constant, nodes[j].constant);
            assert_string_not_equal(nodes[i].descriptor, nodes[j].descriptor);
        }
}

/* The tree is closed: every node's parent is a listed node too, up to the root. */
static void every_parent_is_listed(void **state)
{
    (void)state;
    for (size_t i = 0; i < NODE_COUNT; i++) {
        if (nodes[i].len == ROOT_LEN)
            continue;
        if (find(nodes[i].oid, nodes[i].len - 1) == NULL)
            fail_msg("%s has no listed parent", nodes[i].constant);
    }
}

/*
 * Children of a node are numbered from 1 without gaps (from 0 under the root, whose arc 0
 * holds the notifications): a skipped column is a mistake in the header or the MIB.
 */
static void children_are_numbered_without_gaps(void **state)
{
    (void)state;
    for (size_t p = 0; p < NODE_COUNT; p++) {
        unsigned long first = nodes[p].len == ROOT_LEN ? 0 : 1;
        unsigned long count = 0, max = 0;
        for (size_t i = 0; i < NODE_COUNT; i++) {
            if (nodes[i].len != nodes[p].len + 1 ||
                memcmp(nodes[i].oid, nodes[p].oid, nodes[p].len * sizeof(unsigned long)) != 0)
                continue;
            unsigned long sub = nodes[i].oid[nodes[p].len];
            assert_true(sub >= first);
            count++;
            max = sub > max ? sub : max;
        }
        if (count > 0 && max != first + count - 1)
            fail_msg("children of %s are not numbered %lu..%lu", nodes[p].constant, first,
                     first + count - 1);
    }
}

/* Instance OIDs of the longest index values, entry prefix + column + index sub-ids. */
static void longest_instances_fit_in_an_oid(void **state)
{
    (void)state;
    size_t dest = OID_LEN(MXW_MIB_DESTINATION_ENTRY) + 1 + (1 + MXW_MIB_DEST_NAME_MAX);
    size_t mx = OID_LEN(MXW_MIB_MX_ENTRY) + 1 + (1 + MXW_MIB_DEST_NAME_MAX) + 1 + 1 + (1 + 16);
    size_t gw = OID_LEN(MXW_MIB_GATEWAY_ENTRY) + 1 + (1 + MXW_MIB_GW_NAME_MAX);
    assert_true(dest <= OID_MAX_LEN);
    assert_true(mx <= OID_MAX_LEN);
    assert_true(gw <= OID_MAX_LEN);
    assert_true(MXW_MIB_NOTIFY_DEST_NAME_MAX >= MXW_MIB_DEST_NAME_MAX);
}

/* The header's oid macros initialise the integer type a user picks (net-snmp's is u_long). */
static void oid_macros_fill_any_integer_array(void **state)
{
    (void)state;
    const unsigned int col[] = {MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS};
    const unsigned int want[] = {MXW_MIB_ROOT, 1, 2, 1, 2};
    assert_int_equal(sizeof(col), sizeof(want));
    assert_memory_equal(col, want, sizeof(want));
}

static void list_nodes(void)
{
    for (size_t i = 0; i < NODE_COUNT; i++) {
        printf("%s %s ", nodes[i].constant, nodes[i].descriptor);
        for (size_t k = 0; k < nodes[i].len; k++)
            printf("%s%lu", k ? "." : "", nodes[i].oid[k]);
        putchar('\n');
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        list_nodes();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_is_under_enterprises),
        cmocka_unit_test(every_node_is_under_the_root),
        cmocka_unit_test(no_two_constants_share_an_oid_or_name),
        cmocka_unit_test(every_parent_is_listed),
        cmocka_unit_test(children_are_numbered_without_gaps),
        cmocka_unit_test(longest_instances_fit_in_an_oid),
        cmocka_unit_test(oid_macros_fill_any_integer_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
