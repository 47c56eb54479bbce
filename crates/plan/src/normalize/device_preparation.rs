//! Device Preparation policies (graph-api-notes §5).

use super::{Entry, Example, Rule};

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        id: "dpp.read-only",
        paths: &[
            "settingCount",
            "creationSource",
            "priorityMetaData",
            "templateReference/templateDisplayName",
            "templateReference/templateDisplayVersion",
            "disableEntraGroupPolicyAssignment",
        ],
        rule: Rule::Ignore,
        reason: "computed by the service",
        source: "graph-api-notes §5 (read-only on the policy)",
        example: Example {
            desired: r#"{"settingCount":9,"templateReference":{"templateDisplayName":"x"}}"#,
            live: r#"{"settingCount":11,"templateReference":{"templateDisplayName":"Device Preparation"}}"#,
        },
    },
    Entry {
        id: "dpp.settings-by-definition",
        paths: &["settings"],
        rule: Rule::SettingsByDefinition,
        reason: "`settings[]` come back in any order, with instance ids and template references; only each definition's value matters",
        source: "graph-api-notes §5 (setting instance JSON shape)",
        example: Example {
            desired: r##"{"settings":[{"settingInstance":{"settingDefinitionId":"enrollment_autopilot_dpp_timeout","simpleSettingValue":{"value":60}}},{"settingInstance":{"settingDefinitionId":"enrollment_autopilot_dpp_allowskip","choiceSettingValue":{"value":"enrollment_autopilot_dpp_allowskip_0","children":[]}}}]}"##,
            live: r##"{"settings":[{"id":"1","settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance","settingDefinitionId":"enrollment_autopilot_dpp_allowskip","choiceSettingValue":{"value":"enrollment_autopilot_dpp_allowskip_0","children":[],"settingValueTemplateReference":{"settingValueTemplateId":"a2323e5e-ac56-4517-8847-b0a6fdb467e7","useTemplateDefault":false}}}},{"id":"0","settingInstance":{"settingDefinitionId":"enrollment_autopilot_dpp_timeout","simpleSettingValue":{"value":60}}}]}"##,
        },
    },
    Entry {
        id: "dpp.error-message-empty",
        paths: &["settings/enrollment_autopilot_dpp_customerrormessage"],
        rule: Rule::EmptyMeans(r#""""#),
        reason: "without a custom message the setting is absent or empty",
        source: "graph-api-notes §5",
        example: Example {
            desired: r#"{"settings":{"enrollment_autopilot_dpp_customerrormessage":""}}"#,
            live: r#"{"settings":{}}"#,
        },
    },
    Entry {
        id: "dpp.app-ids",
        paths: &["settings/enrollment_autopilot_dpp_allowedappids"],
        rule: Rule::AppIds,
        reason: "each allowed app is a JSON string `{\"id\":…,\"type\":…}`; key order, spacing and the app type are not choices",
        source: "graph-api-notes §5 (allowed apps value format)",
        example: Example {
            desired: r##"{"settings":{"enrollment_autopilot_dpp_allowedappids":["{\"id\":\"a1\",\"type\":\"#microsoft.graph.win32LobApp\"}"]}}"##,
            live: r##"{"settings":{"enrollment_autopilot_dpp_allowedappids":["{\"type\": \"#microsoft.graph.winGetApp\", \"id\": \"a1\"}"]}}"##,
        },
    },
    Entry {
        id: "dpp.id-lists-empty",
        paths: &[
            "settings/enrollment_autopilot_dpp_allowedappids",
            "settings/enrollment_autopilot_dpp_allowedscriptids",
        ],
        rule: Rule::EmptyMeans("[]"),
        reason: "no allowed apps or scripts is an absent or empty setting",
        source: "graph-api-notes §5",
        example: Example {
            desired: r#"{"settings":{"enrollment_autopilot_dpp_allowedscriptids":[]}}"#,
            live: r#"{"settings":{}}"#,
        },
    },
    Entry {
        id: "dpp.ids-case",
        paths: &[
            "settings/enrollment_autopilot_dpp_allowedappids",
            "settings/enrollment_autopilot_dpp_allowedscriptids",
            "settings/enrollment_autopilot_dpp_devicesecuritygroupids",
            "deviceGroup",
        ],
        rule: Rule::CaseInsensitive,
        reason: "app, script and group ids are GUIDs",
        source: "field-lessons §d.5",
        example: Example {
            desired: r#"{"deviceGroup":["0f1e2d3c-aaaa-4bbb-8ccc-0123456789ab"]}"#,
            live: r#"{"deviceGroup":["0F1E2D3C-AAAA-4BBB-8CCC-0123456789AB"]}"#,
        },
    },
    Entry {
        id: "dpp.id-lists-set",
        paths: &[
            "settings/enrollment_autopilot_dpp_allowedappids",
            "settings/enrollment_autopilot_dpp_allowedscriptids",
            "deviceGroup",
        ],
        rule: Rule::Set,
        reason: "allowed apps, scripts and device groups are sets",
        source: "field-lessons §d.5",
        example: Example {
            desired: r#"{"settings":{"enrollment_autopilot_dpp_allowedscriptids":["a","b"]}}"#,
            live: r#"{"settings":{"enrollment_autopilot_dpp_allowedscriptids":["b","a"]}}"#,
        },
    },
];
