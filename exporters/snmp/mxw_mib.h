/*
 * mxw_mib.h: the numeric OIDs of mibs/MXWATCH-MIB.txt as C constants, for the AgentX
 * subagent (which registers and answers them) and its tests. Constants only, no code, no
 * state; usable from any thread. It must never include a net-snmp header, so modules that
 * do not link net-snmp can use it too: an OID here is a macro expanding to comma-separated
 * sub-identifiers, to be placed in an initialiser of whatever integer type the user needs,
 * e.g. `oid col[] = {MXW_MIB_DESTINATION_ENTRY, MXW_DEST_STATUS};`.
 *
 * tests/integration/mib_lint.sh checks every constant here against snmptranslate's reading
 * of the MIB, relying on conventions: a macro MXW_MIB_FOO_BAR is the MIB node mxwFooBar
 * (except MXW_MIB_ROOT, the module identity mxwatchMIB, and MXW_MIB_*_MAX, the SIZE bound
 * of an index or notification object); an enum constant MXW_FOO_BAR = N (a literal) is
 * sub-identifier N of mxwFooBar under the node named in the "Under MXW_MIB_..." comment
 * just above its enum. tests/unit/test_mib_oids.c lists them all once more by hand.
 */
#ifndef MXW_MIB_H
#define MXW_MIB_H

/*
 * PLACEHOLDER ARC: RFC 5612's documentation enterprise number 32473, until mxwatch has an
 * enterprise number of its own. Moving the module means changing this line and the
 * MODULE-IDENTITY value in mibs/MXWATCH-MIB.txt, nothing else.
 */
#define MXW_MIB_ROOT 1, 3, 6, 1, 4, 1, 32473, 725

#define MXW_MIB_NOTIFICATIONS     MXW_MIB_ROOT, 0
#define MXW_MIB_OBJECTS           MXW_MIB_ROOT, 1
#define MXW_MIB_AGENT             MXW_MIB_OBJECTS, 1
#define MXW_MIB_DESTINATION_TABLE MXW_MIB_OBJECTS, 2
#define MXW_MIB_DESTINATION_ENTRY MXW_MIB_DESTINATION_TABLE, 1
#define MXW_MIB_MX_TABLE          MXW_MIB_OBJECTS, 3
#define MXW_MIB_MX_ENTRY          MXW_MIB_MX_TABLE, 1
#define MXW_MIB_GATEWAY_TABLE     MXW_MIB_OBJECTS, 4
#define MXW_MIB_GATEWAY_ENTRY     MXW_MIB_GATEWAY_TABLE, 1
#define MXW_MIB_NOTIFY_OBJECTS    MXW_MIB_OBJECTS, 5

/*
 * Index bounds. A destination name longer than MXW_MIB_DEST_NAME_MAX octets has no row in
 * mxwDestinationTable or mxwMxTable: its instance OIDs would pass the 128 sub-identifier
 * limit. mxwNotifyDestName carries names up to MXW_MIB_NOTIFY_DEST_NAME_MAX.
 */
#define MXW_MIB_DEST_NAME_MAX        96
#define MXW_MIB_GW_NAME_MAX          64
#define MXW_MIB_NOTIFY_DEST_NAME_MAX 253

/* Under MXW_MIB_NOTIFICATIONS: SNMPv2 notification OIDs (snmpTrapOID.0 values). */
enum mxw_notification {
    MXW_DESTINATION_DOWN = 1,
    MXW_DESTINATION_UP = 2,
};

/* Under MXW_MIB_AGENT: scalars, instance .0. */
enum mxw_agent_scalar {
    MXW_AGENT_DESTINATIONS = 1,
    MXW_AGENT_PROBES_IN_FLIGHT = 2,
    MXW_AGENT_LOOP_LAG = 3,
    MXW_AGENT_SOURCES_UP = 4,
    MXW_AGENT_SOURCES_CONFIGURED = 5,
    MXW_AGENT_VERSION = 6,
};

/* Under MXW_MIB_DESTINATION_ENTRY; index: length-prefixed mxwDestName. */
enum mxw_dest_column {
    MXW_DEST_NAME = 1, /* index, not-accessible */
    MXW_DEST_STATUS = 2,
    MXW_DEST_STATUS_REASON = 3,
    MXW_DEST_STATUS_CHANGED = 4,
    MXW_DEST_MX_COUNT = 5,
    MXW_DEST_ACTIVE_RECIPIENTS = 6,
    MXW_DEST_UNATTEMPTED_RECIPIENTS = 7,
    MXW_DEST_ATTEMPTED_RECIPIENTS = 8,
    MXW_DEST_CONNECTIONS_CURRENT = 9,
    MXW_DEST_CONNECTIONS_PENDING = 10,
    MXW_DEST_SOFT_BOUNCE_EVENTS = 11,
    MXW_DEST_COMPLETED_RECIPIENTS = 12,
    MXW_DEST_HARD_BOUNCED_RECIPIENTS = 13,
    MXW_DEST_DNS_HARD_BOUNCES = 14,
    MXW_DEST_5XX_HARD_BOUNCES = 15,
    MXW_DEST_FILTER_HARD_BOUNCES = 16,
    MXW_DEST_EXPIRED_HARD_BOUNCES = 17,
    MXW_DEST_OTHER_HARD_BOUNCES = 18,
    MXW_DEST_DELIVERED_RECIPIENTS = 19,
    MXW_DEST_DELETED_RECIPIENTS = 20,
    MXW_DEST_DNS_LOOKUP_TIME = 21,
    MXW_DEST_BANNER_TIME = 22,
    MXW_DEST_LAST_BANNER = 23,
    MXW_DEST_TLS_CERT_EXPIRY = 24,
    MXW_DEST_OLDEST_MESSAGE_AGE = 25,
    MXW_DEST_ORIGIN = 26,
    MXW_DEST_STATUS_SIGNAL = 27,
    MXW_DEST_LAST_DELIVERY_TIME = 28,
    MXW_DEST_LAST_DELIVERY_SUCCESS = 29,
    MXW_DEST_LAST_ERROR_REPLY_CODE = 30,
    MXW_DEST_LAST_ERROR_REPLY = 31,
    MXW_DEST_MTA_STS_MODE = 32,
    MXW_DEST_MTA_STS_POLICY_EXPIRY = 33,
    MXW_DEST_MTA_STS_FAILING_MX = 34,
    MXW_DEST_MTA_STS_FAULT = 35,
    MXW_DEST_TLS_RPT_RUA = 36,
    MXW_DEST_DANE_AUTHENTICATED = 37,
    MXW_DEST_DANE_MATCHING_ADDRS = 38,
    MXW_DEST_DANE_FAILING_ADDRS = 39,
    MXW_DEST_TXN_SUCCESS = 40,
    MXW_DEST_TXN_TIME = 41,
    MXW_DEST_TXN_FAILED_PHASE = 42,
    MXW_DEST_TXN_REPLY_CODE = 43,
    MXW_DEST_TXN_REPLY = 44,
};

/*
 * Under MXW_MIB_MX_ENTRY; index: length-prefixed mxwDestName, mxwMxPreference,
 * mxwMxAddressType, length-prefixed mxwMxAddress (4 or 16 octets).
 */
enum mxw_mx_column {
    MXW_MX_PREFERENCE = 1,   /* index, not-accessible */
    MXW_MX_ADDRESS_TYPE = 2, /* index, not-accessible */
    MXW_MX_ADDRESS = 3,      /* index, not-accessible */
    MXW_MX_HOST_NAME = 4,
    MXW_MX_STATUS = 5,
    MXW_MX_OUTCOME = 6,
    MXW_MX_CONNECT_TIME = 7,
    MXW_MX_BANNER_TIME = 8,
    MXW_MX_EHLO_TIME = 9,
    MXW_MX_TLS_TIME = 10,
    MXW_MX_START_TLS_OFFERED = 11,
    MXW_MX_TLS_NEGOTIATED = 12,
    MXW_MX_TLS_VERSION = 13,
    MXW_MX_TLS_CERT_EXPIRY = 14,
    MXW_MX_BANNER = 15,
};

/* Under MXW_MIB_GATEWAY_ENTRY; index: length-prefixed mxwGwName. */
enum mxw_gw_column {
    MXW_GW_NAME = 1, /* index, not-accessible */
    MXW_GW_UP = 2,
    MXW_GW_SYSTEM_STATUS = 3,
    MXW_GW_OLDEST_MESSAGE_AGE = 4,
    MXW_GW_ACTIVE_RECIPIENTS = 5,
    MXW_GW_UNATTEMPTED_RECIPIENTS = 6,
    MXW_GW_ATTEMPTED_RECIPIENTS = 7,
    MXW_GW_CONNECTIONS_IN = 8,
    MXW_GW_CONNECTIONS_OUT = 9,
    MXW_GW_DELIVERED_RECIPIENTS = 10,
    MXW_GW_SOFT_BOUNCE_EVENTS = 11,
    MXW_GW_HARD_BOUNCED_RECIPIENTS = 12,
    MXW_GW_DNS_HARD_BOUNCES = 13,
    MXW_GW_5XX_HARD_BOUNCES = 14,
    MXW_GW_FILTER_HARD_BOUNCES = 15,
    MXW_GW_EXPIRED_HARD_BOUNCES = 16,
    MXW_GW_OTHER_HARD_BOUNCES = 17,
    MXW_GW_INJECTED_MESSAGES = 18,
    MXW_GW_LICENSE_SECONDS_REMAINING = 19,
    MXW_GW_SCRAPE_DURATION = 20,
    MXW_GW_LAST_SUCCESS = 21,
};

/* Under MXW_MIB_NOTIFY_OBJECTS: accessible-for-notify, instance .0 in notifications. */
enum mxw_notify_object {
    MXW_NOTIFY_DEST_NAME = 1,
};

#endif
