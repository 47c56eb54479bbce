//! Entries shared by several kinds.

use super::{Entry, Example, Rule};

/// Zero GUID Intune uses for "no assignment filter".
const NO_FILTER: &str = r#""00000000-0000-0000-0000-000000000000""#;

/// Run first, for every kind.
pub(super) const FIRST: &[Entry] = &[
    Entry {
        id: "common.annotations",
        paths: &["*"],
        rule: Rule::Annotations,
        reason: "`@odata.context`, `@odata.etag` and navigation links describe the response, not the object",
        source: "graph-api-notes §1 (IM strips every `*@odata.*` except `@odata.type`); field-lessons §c.5",
        example: Example {
            desired: r#"{"displayName":"a","@odata.context":"https://graph.microsoft.us/beta/$metadata#x"}"#,
            live: r#"{"displayName":"a","@odata.context":"https://graph.microsoft.com/beta/$metadata#x","assignments@odata.context":"y"}"#,
        },
    },
    Entry {
        id: "common.read-only",
        paths: &[
            "id",
            "createdDateTime",
            "lastModifiedDateTime",
            "version",
            "modifiedDateTime",
            "deletedDateTime",
        ],
        rule: Rule::Ignore,
        reason: "set by the service on every write; differs per tenant and per edit",
        source: "graph-api-notes §11 (PATCH hygiene); field-lessons §c.5 (IntuneCommander #115, IM #128)",
        example: Example {
            desired: r#"{"id":"a","lastModifiedDateTime":"2024-01-01T00:00:00Z","version":1}"#,
            live: r#"{"id":"b","lastModifiedDateTime":"2026-05-01T10:00:00Z","version":7}"#,
        },
    },
    Entry {
        id: "common.odata-type-omitted",
        paths: &["@odata.type"],
        rule: Rule::OmittedByServer,
        reason: "Graph omits `@odata.type` under minimal metadata; when absent it cannot be compared",
        source: "graph-api-notes §1 (IM reads with `odata.metadata=full` because it is not always included)",
        example: Example {
            desired: r##"{"@odata.type":"#microsoft.graph.windowsDomainJoinConfiguration","displayName":"a"}"##,
            live: r#"{"displayName":"a"}"#,
        },
    },
    Entry {
        id: "common.description-empty",
        paths: &["description"],
        rule: Rule::EmptyMeans(r#""""#),
        reason: "an empty description is returned as `null` or omitted",
        source: "field-lessons §c.5 (DSC #4830, #7253: null vs unset)",
        example: Example {
            desired: r#"{"description":""}"#,
            live: r#"{"description":null}"#,
        },
    },
];

/// Intune objects (every kind but groups).
pub(super) const INTUNE: &[Entry] = &[
    Entry {
        id: "intune.scope-tags-default",
        paths: &["roleScopeTagIds"],
        rule: Rule::EmptyMeans(r#"["0"]"#),
        reason: "no scope tag means the Default scope tag `0`",
        source: "graph-api-notes §1 (`roleScopeTagIds` default `[\"0\"]`)",
        example: Example {
            desired: r#"{"roleScopeTagIds":["0"]}"#,
            live: r#"{"roleScopeTagIds":[]}"#,
        },
    },
    Entry {
        id: "intune.scope-tags-set",
        paths: &["roleScopeTagIds"],
        rule: Rule::Set,
        reason: "scope tags are a set; Graph returns them in any order",
        source: "field-lessons §c.5 (array ordering, IntuneCommander #115)",
        example: Example {
            desired: r#"{"roleScopeTagIds":["0","12"]}"#,
            live: r#"{"roleScopeTagIds":["12","0","0"]}"#,
        },
    },
    Entry {
        id: "intune.supports-scope-tags",
        paths: &[
            "supportsScopeTags",
            "isAssigned",
            "deviceEnrollmentConfigurationType",
            "priority",
        ],
        rule: Rule::Ignore,
        reason: "server-computed; `priority` is compared and written through `setPriority`, never in a body",
        source: "graph-api-notes §2 (setPriority: `priority` removed from POST/PATCH), §11",
        example: Example {
            desired: r#"{"priority":1,"isAssigned":false}"#,
            live: r#"{"priority":3,"isAssigned":true,"supportsScopeTags":true}"#,
        },
    },
];

/// Kinds with assignments.
pub(super) const ASSIGNMENTS: &[Entry] = &[
    Entry {
        id: "assignments.direct-only",
        paths: &["assignments"],
        rule: Rule::DirectOnly,
        reason: "assignments with `source: policySets` come from a policy set, not from this object",
        source: "graph-api-notes §1 (read-back has `source`/`sourceId`; IM deletes only `source == direct`)",
        example: Example {
            desired: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g1"}}]}"##,
            live: r##"{"assignments":[{"source":"direct","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g1"}},{"source":"policySets","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g2"}}]}"##,
        },
    },
    Entry {
        id: "assignments.unmanaged-targets",
        paths: &["assignments"],
        rule: Rule::UnmanagedTargets,
        reason: "target types hangar does not write (a Configuration Manager collection, …) are the portal's: never compared, never removed, kept in a replace-all `assign`",
        source: "graph-api-notes §1 (TF: supported targets), §2 (IM keeps only known target fields); issue 11 (nothing live is silently dropped)",
        example: Example {
            desired: r##"{"assignments":[]}"##,
            live: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.configurationManagerCollectionAssignmentTarget","collectionId":"SMS00001"}}]}"##,
        },
    },
    Entry {
        id: "assignments.read-only",
        paths: &[
            "assignments[]/id",
            "assignments[]/source",
            "assignments[]/sourceId",
            "assignments[]/@odata.type",
            "assignments[]/intent",
        ],
        rule: Rule::Ignore,
        reason: "assignment ids and provenance are set by the service; only the target is managed",
        source: "graph-api-notes §1 (read-back shape `{id, target, source, sourceId}`), §2",
        example: Example {
            desired: r##"{"assignments":[{"id":"x","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}"##,
            live: r##"{"assignments":[{"id":"a1b2_c3","sourceId":"s","@odata.type":"#microsoft.graph.windowsAutopilotDeploymentProfileAssignment","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}"##,
        },
    },
    Entry {
        id: "assignments.no-filter",
        paths: &["assignments[]/target/deviceAndAppManagementAssignmentFilterId"],
        rule: Rule::AbsentWhen(&["null", r#""""#, NO_FILTER]),
        reason: "no assignment filter is returned as `null`, `\"\"` or the zero GUID",
        source: "graph-api-notes §2 (IM keeps filter id and type); field-lessons §c.3 (DSC #7254, IntuneCD #163)",
        example: Example {
            desired: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}"##,
            live: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"00000000-0000-0000-0000-000000000000"}}]}"##,
        },
    },
    Entry {
        id: "assignments.no-filter-type",
        paths: &["assignments[]/target/deviceAndAppManagementAssignmentFilterType"],
        rule: Rule::AbsentWhen(&["null", r#""none""#]),
        reason: "filter type `none` is the same as no filter",
        source: "graph-api-notes §2; field-lessons §c.3 (DSC #7254: `dataType` empty)",
        example: Example {
            desired: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}"##,
            live: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterType":"none"}}]}"##,
        },
    },
    Entry {
        id: "assignments.group-id-case",
        paths: &["assignments[]/target/groupId"],
        rule: Rule::CaseInsensitive,
        reason: "group ids are GUIDs, which compare case-insensitively",
        source: "field-lessons §d.5 (case-insensitive GUIDs)",
        example: Example {
            desired: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"6a4f0c2e-aaaa-4bbb-8ccc-0123456789ab"}}]}"##,
            live: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"6A4F0C2E-AAAA-4BBB-8CCC-0123456789AB"}}]}"##,
        },
    },
    Entry {
        id: "assignments.set",
        paths: &["assignments"],
        rule: Rule::Set,
        reason: "assignments are a set; Graph lists them in any order",
        source: "field-lessons §c.3 (TF PR #1382/#1383 perpetual assignment diff), §d.5",
        example: Example {
            desired: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"a"}},{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"b"}}]}"##,
            live: r##"{"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"b"}},{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"a"}}]}"##,
        },
    },
];

/// Run last, for every kind.
pub(super) const LAST: &[Entry] = &[Entry {
    id: "common.unmanaged",
    paths: &["*"],
    rule: Rule::Unmanaged,
    reason: "properties hangar does not send (new Graph properties, portal-only settings) are not its to compare",
    source: "field-lessons §c.5 (IntuneCD #214, IM #128: naive diffs are always noisy)",
    example: Example {
        desired: r#"{"displayName":"a","outOfBoxExperienceSetting":{"eulaHidden":true}}"#,
        live: r#"{"displayName":"a","managementServiceAppId":"x","outOfBoxExperienceSetting":{"eulaHidden":true,"newFlag":false}}"#,
    },
}];
