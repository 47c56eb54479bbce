//! Autopilot deployment profiles (graph-api-notes §1).

use super::{Condition, Entry, Example, Rule};

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "profile.deprecated-mirrors",
        paths: &[
            "language",
            "outOfBoxExperienceSettings",
            "extractHardwareHash",
            "enableWhiteGlove",
            "enrollmentStatusScreenSettings",
            "managementServiceAppId",
        ],
        rule: Rule::Ignore,
        reason: "read-only mirrors of deprecated properties (and the service's own app id); hangar writes the new shapes",
        source: "graph-api-notes §1 (properties table), §11 (PATCH hygiene); field-lessons §c.5 (CIPP #505)",
        example: Example {
            desired: r#"{"language":"en-US","extractHardwareHash":false}"#,
            live: r#"{"language":"os-default","extractHardwareHash":true}"#,
        },
    },
    Entry {
        id: "profile.locale-os-default",
        paths: &["locale"],
        rule: Rule::Alias {
            from: &["os-default"],
            to: "",
        },
        reason: "\"operating system default\" is written `os-default` or `\"\"`; hangar sends `\"\"`",
        source: "graph-api-notes §1 (`locale` quirk: TF sends `\"\"`, CIPP-API PR #1922/#1923); field-lessons §c.5 (CyberDrain/CIPP #643)",
        example: Example {
            desired: r#"{"locale":""}"#,
            live: r#"{"locale":"OS-DEFAULT"}"#,
        },
    },
    Entry {
        id: "profile.locale-empty",
        paths: &["locale"],
        rule: Rule::EmptyMeans(r#""""#),
        reason: "an absent or `null` locale is the operating system default",
        source: "field-lessons §c.5 (CyberDrain/CIPP #643: OS-DEFAULT vs null)",
        example: Example {
            desired: r#"{"locale":""}"#,
            live: r#"{"locale":null}"#,
        },
    },
    Entry {
        id: "profile.locale-case",
        paths: &["locale"],
        rule: Rule::CaseInsensitive,
        reason: "language tags are case-insensitive (BCP 47): `en-US` and `en-us` are one locale",
        source: "RFC 5646 §2.1.1",
        example: Example {
            desired: r#"{"locale":"en-US"}"#,
            live: r#"{"locale":"en-us"}"#,
        },
    },
    Entry {
        id: "profile.user-type-shared",
        paths: &["outOfBoxExperienceSetting/userType"],
        rule: Rule::IgnoreWhen(Condition {
            path: "outOfBoxExperienceSetting/deviceUsageType",
            equals: r#""shared""#,
        }),
        reason: "self-deploying (shared) profiles take no user type: hangar omits it and Graph never returns it",
        source: "graph-api-notes §1 (omit `userType` for shared, CIPP-API PR #1922/#1923); field-lessons §c.5 (CIPP #5554)",
        example: Example {
            desired: r#"{"outOfBoxExperienceSetting":{"deviceUsageType":"shared","userType":"standard"}}"#,
            live: r#"{"outOfBoxExperienceSetting":{"deviceUsageType":"shared","userType":"administrator"}}"#,
        },
    },
    Entry {
        id: "profile.escape-link-hidden",
        paths: &["outOfBoxExperienceSetting/escapeLinkHidden"],
        rule: Rule::OmittedByServer,
        reason: "`escapeLinkHidden` is required on write but not always returned",
        source: "graph-api-notes §1 (TF: \"always required to be set to TRUE\"); field-lessons §d.5",
        example: Example {
            desired: r#"{"outOfBoxExperienceSetting":{"eulaHidden":true,"escapeLinkHidden":true}}"#,
            live: r#"{"outOfBoxExperienceSetting":{"eulaHidden":true}}"#,
        },
    },
    Entry {
        id: "profile.device-type-default",
        paths: &["deviceType"],
        rule: Rule::EmptyMeans(r#""windowsPc""#),
        reason: "a profile without a device type is a Windows PC profile (`deviceType` is create-only, so a false difference would force a replace)",
        source: "graph-api-notes §1 (`deviceType` enum, create only)",
        example: Example {
            desired: r#"{"deviceType":"windowsPc"}"#,
            live: r#"{"deviceType":null}"#,
        },
    },
    Entry {
        id: "profile.skip-connectivity-check",
        paths: &["hybridAzureADJoinSkipConnectivityCheck"],
        rule: Rule::OmittedByServer,
        reason: "create-only on hybrid profiles; when Graph does not return it, it cannot be compared (and must not force a replace)",
        source: "graph-api-notes §1 (hybrid type only, create only)",
        example: Example {
            desired: r#"{"hybridAzureADJoinSkipConnectivityCheck":false}"#,
            live: r#"{}"#,
        },
    },
    Entry {
        id: "profile.booleans-default-false",
        paths: &["preprovisioningAllowed", "hardwareHashExtractionEnabled"],
        rule: Rule::EmptyMeans("false"),
        reason: "absent means off: both default to `false`",
        source: "graph-api-notes §1 (`hardwareHashExtractionEnabled` default false)",
        example: Example {
            desired: r#"{"preprovisioningAllowed":false}"#,
            live: r#"{"preprovisioningAllowed":null}"#,
        },
    },
    Entry {
        id: "profile.name-template-empty",
        paths: &["deviceNameTemplate"],
        rule: Rule::EmptyMeans(r#""""#),
        reason: "no name template is returned as `null` or `\"\"`",
        source: "graph-api-notes §1 (`deviceNameTemplate` must be empty for hybrid)",
        example: Example {
            desired: r#"{"deviceNameTemplate":""}"#,
            live: r#"{"deviceNameTemplate":null}"#,
        },
    },
];
