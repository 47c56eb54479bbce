//! Entra device groups (graph-api-notes §3).

use super::{Entry, Example, Rule};

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "group.mail-nickname",
        paths: &["mailNickname"],
        rule: Rule::SentOnCreateOnly,
        reason: "required on create, invisible to people, and often different for groups made in the portal",
        source: "graph-api-notes §3 (`mailNickname` required even for security groups)",
        example: Example {
            desired: r#"{"mailNickname":"AutopilotSales"}"#,
            live: r#"{"mailNickname":"autopilot-sales-1f3"}"#,
        },
    },
    Entry {
        id: "group.read-only",
        paths: &[
            "membershipRuleProcessingStatus",
            "securityIdentifier",
            "renewedDateTime",
            "expirationDateTime",
            "onPremisesSyncEnabled",
            "proxyAddresses",
            "mail",
        ],
        rule: Rule::Ignore,
        reason: "computed by Entra",
        source: "autopilot-surface.json (`group` properties); field-lessons §c.5",
        example: Example {
            desired: r#"{"membershipRuleProcessingStatus":{"status":"Succeeded"}}"#,
            live: r#"{"membershipRuleProcessingStatus":{"status":"Evaluating"},"securityIdentifier":"S-1-12-1"}"#,
        },
    },
    Entry {
        id: "group.types-set",
        paths: &["groupTypes"],
        rule: Rule::Set,
        reason: "`groupTypes` is a set",
        source: "graph-api-notes §3; field-lessons §c.5 (DSC #7253: GroupTypes `@()` vs `$null`)",
        example: Example {
            desired: r#"{"groupTypes":["DynamicMembership","Unified"]}"#,
            live: r#"{"groupTypes":["Unified","DynamicMembership"]}"#,
        },
    },
    Entry {
        id: "group.types-empty",
        paths: &["groupTypes"],
        rule: Rule::EmptyMeans("[]"),
        reason: "an assigned group's `groupTypes` is `[]`, `null` or absent",
        source: "field-lessons §c.5 (DSC #7253: GroupTypes `@()` vs `$null`)",
        example: Example {
            desired: r#"{"groupTypes":[]}"#,
            live: r#"{"groupTypes":null}"#,
        },
    },
    Entry {
        id: "group.rule-structure",
        paths: &["membershipRule"],
        rule: Rule::MembershipRule,
        reason: "Entra keeps a rule as typed: whitespace, parentheses, operator case and `devicePhysicalIDs` spelling do not change what it matches",
        source: "hangar-membership (structural equality); graph-api-notes §3 (both parenthesised and bare `-any` forms accepted)",
        example: Example {
            desired: r#"{"membershipRule":"(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"}"#,
            live: r#"{"membershipRule":"device.devicePhysicalIDs -ANY _ -eq \"[OrderID]:Sales\""}"#,
        },
    },
    Entry {
        id: "group.processing-state-case",
        paths: &["membershipRuleProcessingState"],
        rule: Rule::Alias {
            from: &["on"],
            to: "On",
        },
        reason: "`On` is returned with varying case by older tenants",
        source: "graph-api-notes §3 (`membershipRuleProcessingState` takes `On` or `Paused`)",
        example: Example {
            desired: r#"{"membershipRuleProcessingState":"On"}"#,
            live: r#"{"membershipRuleProcessingState":"on"}"#,
        },
    },
    Entry {
        id: "group.owners-case",
        paths: &["owners"],
        rule: Rule::CaseInsensitive,
        reason: "owner object ids are GUIDs",
        source: "field-lessons §d.5 (case-insensitive GUIDs)",
        example: Example {
            desired: r#"{"owners":["5b3c1f0e-0000-4000-8000-00000000abcd"]}"#,
            live: r#"{"owners":["5B3C1F0E-0000-4000-8000-00000000ABCD"]}"#,
        },
    },
    Entry {
        id: "group.owners-superset",
        paths: &["owners"],
        rule: Rule::Superset,
        reason: "hangar adds the owners Git lists and leaves other owners (people, other apps) alone",
        source: "graph-api-notes §3 (owners; the Device Preparation group must be owned by the Intune Provisioning Client)",
        example: Example {
            desired: r#"{"owners":["a"]}"#,
            live: r#"{"owners":["b","a"]}"#,
        },
    },
    Entry {
        id: "group.owners-set",
        paths: &["owners"],
        rule: Rule::Set,
        reason: "owners are a set",
        source: "field-lessons §d.5",
        example: Example {
            desired: r#"{"owners":["a","b"]}"#,
            live: r#"{"owners":["b","a"]}"#,
        },
    },
];
