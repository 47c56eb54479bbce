//! Domain join profiles (graph-api-notes §6).

use super::{Entry, Example, Rule};

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "domain-join.read-only",
        paths: &[
            "deviceManagementApplicabilityRuleDeviceMode",
            "deviceManagementApplicabilityRuleOsEdition",
            "deviceManagementApplicabilityRuleOsVersion",
        ],
        rule: Rule::Ignore,
        reason: "applicability rules are not part of a domain join profile hangar manages",
        source: "graph-api-notes §6 (base `deviceConfiguration` fields)",
        example: Example {
            desired: r#"{"deviceManagementApplicabilityRuleOsEdition":null}"#,
            live: r#"{"deviceManagementApplicabilityRuleOsEdition":{"osEditionTypes":[]}}"#,
        },
    },
    Entry {
        id: "domain-join.ou-default",
        paths: &["organizationalUnit"],
        rule: Rule::EmptyMeans("null"),
        reason: "no OU (the default computers container) is `null`, `\"\"` or omitted",
        source: "graph-api-notes §6 (`organizationalUnit`: null = default computers container)",
        example: Example {
            desired: r#"{"organizationalUnit":null}"#,
            live: r#"{"organizationalUnit":""}"#,
        },
    },
    Entry {
        id: "domain-join.names-case",
        paths: &[
            "organizationalUnit",
            "activeDirectoryDomainName",
            "computerNameStaticPrefix",
        ],
        rule: Rule::CaseInsensitive,
        reason: "domain names, LDAP distinguished names and NetBIOS computer names are case-insensitive",
        source: "RFC 4514 §2.4 (attribute types and values compared case-insensitively for DN strings in AD); RFC 4343 (DNS)",
        example: Example {
            desired: r#"{"activeDirectoryDomainName":"corp.contoso.com","organizationalUnit":"OU=Autopilot,DC=corp,DC=contoso,DC=com"}"#,
            live: r#"{"activeDirectoryDomainName":"CORP.contoso.com","organizationalUnit":"ou=Autopilot,dc=corp,dc=contoso,dc=com"}"#,
        },
    },
];
