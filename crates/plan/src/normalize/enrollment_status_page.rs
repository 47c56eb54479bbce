//! Enrollment Status Pages (graph-api-notes §2).

use super::{Condition, Entry, Example, Rule};

const PROGRESS_HIDDEN: Condition = Condition {
    path: "showInstallationProgress",
    equals: "false",
};
const RETRY_BLOCKED: Condition = Condition {
    path: "blockDeviceSetupRetryByUser",
    equals: "true",
};

/// `hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE` as a JSON literal (a test checks).
pub(super) const DEFAULT_MESSAGE: &str =
    r#""Setup could not be completed. Please try again or contact your support person for help.""#;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "esp.progress-hidden",
        paths: &[
            "blockDeviceSetupRetryByUser",
            "allowLogCollectionOnInstallFailure",
            "allowNonBlockingAppInstallation",
            "customErrorMessage",
            "disableUserStatusTrackingAfterFirstUser",
            "installProgressTimeoutInMinutes",
            "installQualityUpdates",
            "trackInstallProgressForAutopilotOnly",
            "allowDeviceUseOnInstallFailure",
            "allowDeviceResetOnInstallFailure",
            "selectedMobileAppIds",
        ],
        rule: Rule::IgnoreWhen(PROGRESS_HIDDEN),
        reason: "with the page off (`showInstallationProgress: false`) the service ignores every other page setting",
        source: "graph-api-notes §2 (field interdependencies, DSC `MSFT_IntuneDeviceEnrollmentStatusPageWindows10`)",
        example: Example {
            desired: r#"{"showInstallationProgress":false,"installProgressTimeoutInMinutes":60,"customErrorMessage":""}"#,
            live: r#"{"showInstallationProgress":false,"installProgressTimeoutInMinutes":120,"customErrorMessage":"Call IT"}"#,
        },
    },
    Entry {
        id: "esp.retry-blocked",
        paths: &[
            "allowDeviceUseOnInstallFailure",
            "allowDeviceResetOnInstallFailure",
            "selectedMobileAppIds",
        ],
        rule: Rule::IgnoreWhen(RETRY_BLOCKED),
        reason: "with device use not blocked (`blockDeviceSetupRetryByUser: true`, the inverted flag) reset, use-on-error and blocking apps do not apply",
        source: "graph-api-notes §2 (polarity trap; DSC drops these fields when `blockDeviceSetupRetryByUser=true`)",
        example: Example {
            desired: r#"{"blockDeviceSetupRetryByUser":true,"allowDeviceResetOnInstallFailure":false,"selectedMobileAppIds":[]}"#,
            live: r#"{"blockDeviceSetupRetryByUser":true,"allowDeviceResetOnInstallFailure":true,"selectedMobileAppIds":["a"]}"#,
        },
    },
    Entry {
        id: "esp.app-ids-case",
        paths: &["selectedMobileAppIds"],
        rule: Rule::CaseInsensitive,
        reason: "app ids are GUIDs",
        source: "field-lessons §d.5",
        example: Example {
            desired: r#"{"selectedMobileAppIds":["9c1f7a4e-1111-4222-8333-444455556666"]}"#,
            live: r#"{"selectedMobileAppIds":["9C1F7A4E-1111-4222-8333-444455556666"]}"#,
        },
    },
    Entry {
        id: "esp.app-ids-set",
        paths: &["selectedMobileAppIds"],
        rule: Rule::Set,
        reason: "blocking apps are a set",
        source: "field-lessons §d.5 (set semantics for app ids)",
        example: Example {
            desired: r#"{"selectedMobileAppIds":["a","b"]}"#,
            live: r#"{"selectedMobileAppIds":["b","a"]}"#,
        },
    },
    Entry {
        id: "esp.app-ids-empty",
        paths: &["selectedMobileAppIds"],
        rule: Rule::EmptyMeans("[]"),
        reason: "no blocking apps is returned as `[]`, `null` or omitted",
        source: "field-lessons §c.5 (null vs empty)",
        example: Example {
            desired: r#"{"selectedMobileAppIds":[]}"#,
            live: r#"{"selectedMobileAppIds":null}"#,
        },
    },
    Entry {
        id: "esp.error-message-empty",
        paths: &["customErrorMessage"],
        rule: Rule::EmptyMeans(DEFAULT_MESSAGE),
        reason: "without a custom message (`null` or `\"\"`) the page shows Intune's own message, which is also what an omitted `errorMessage` sends",
        source: "Intune docs, *Set up the Enrollment Status Page* (\"No: the default message is shown\"); field-lessons §c.5 (null vs unset)",
        example: Example {
            desired: r#"{"customErrorMessage":"Setup could not be completed. Please try again or contact your support person for help."}"#,
            live: r#"{"customErrorMessage":null}"#,
        },
    },
    Entry {
        id: "esp.timeout-default",
        paths: &["installProgressTimeoutInMinutes"],
        rule: Rule::EmptyMeans("60"),
        reason: "the service default timeout is 60 minutes",
        source: "graph-api-notes §2 (`installProgressTimeoutInMinutes` default 60)",
        example: Example {
            desired: r#"{"installProgressTimeoutInMinutes":60}"#,
            live: r#"{"installProgressTimeoutInMinutes":null}"#,
        },
    },
    Entry {
        id: "esp.booleans-default-false",
        paths: &[
            "allowNonBlockingAppInstallation",
            "disableUserStatusTrackingAfterFirstUser",
            "installQualityUpdates",
        ],
        rule: Rule::EmptyMeans("false"),
        reason: "beta-only flags that older pages do not return; absent means off",
        source: "graph-api-notes §2 (beta properties)",
        example: Example {
            desired: r#"{"installQualityUpdates":false}"#,
            live: r#"{"installQualityUpdates":null}"#,
        },
    },
];
