//! Enrollment (platform) restrictions (graph-api-notes §7).

use super::{Entry, Example, Rule};

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "restriction.os-versions-empty",
        paths: &[
            "platformRestriction/osMinimumVersion",
            "platformRestriction/osMaximumVersion",
            "windowsRestriction/osMinimumVersion",
            "windowsRestriction/osMaximumVersion",
        ],
        rule: Rule::EmptyMeans("null"),
        reason: "no version bound is `null`, `\"\"` or omitted",
        source: "graph-api-notes §7 (`deviceEnrollmentPlatformRestriction`)",
        example: Example {
            desired: r#"{"platformRestriction":{"osMinimumVersion":null}}"#,
            live: r#"{"platformRestriction":{"osMinimumVersion":""}}"#,
        },
    },
    Entry {
        id: "restriction.lists-empty",
        paths: &[
            "platformRestriction/blockedManufacturers",
            "platformRestriction/blockedSkus",
            "windowsRestriction/blockedManufacturers",
            "windowsRestriction/blockedSkus",
        ],
        rule: Rule::EmptyMeans("[]"),
        reason: "beta-only lists; absent or `null` means nothing blocked",
        source: "graph-api-notes §7 (beta only `blockedManufacturers`, `blockedSkus`)",
        example: Example {
            desired: r#"{"platformRestriction":{"blockedSkus":[]}}"#,
            live: r#"{"platformRestriction":{"blockedSkus":null}}"#,
        },
    },
    Entry {
        id: "restriction.lists-set",
        paths: &[
            "platformRestriction/blockedManufacturers",
            "platformRestriction/blockedSkus",
            "windowsRestriction/blockedManufacturers",
            "windowsRestriction/blockedSkus",
        ],
        rule: Rule::Set,
        reason: "blocked manufacturers and SKUs are sets",
        source: "field-lessons §d.5",
        example: Example {
            desired: r#"{"platformRestriction":{"blockedManufacturers":["Acme","Globex"]}}"#,
            live: r#"{"platformRestriction":{"blockedManufacturers":["Globex","Acme"]}}"#,
        },
    },
    Entry {
        id: "restriction.booleans-default-false",
        paths: &[
            "platformRestriction/platformBlocked",
            "platformRestriction/personalDeviceEnrollmentBlocked",
            "windowsRestriction/platformBlocked",
            "windowsRestriction/personalDeviceEnrollmentBlocked",
        ],
        rule: Rule::EmptyMeans("false"),
        reason: "absent means allowed",
        source: "graph-api-notes §7",
        example: Example {
            desired: r#"{"windowsRestriction":{"personalDeviceEnrollmentBlocked":false}}"#,
            live: r#"{"windowsRestriction":{"personalDeviceEnrollmentBlocked":null}}"#,
        },
    },
];
