//! Every normalisation entry, at plan level: a converged tenant perturbed the way that entry
//! describes (raw values differ) plans nothing.

use hangar_model::{Kind, LiveAssignment, LiveState};
use hangar_plan::normalize;
use serde_json::{Value, json};

use crate::support::{PROVISIONING_CLIENT, converged, load, object_mut};

type Perturb = fn(&mut LiveState);

fn props<'a>(live: &'a mut LiveState, kind: Kind, name: &str) -> &'a mut serde_json::Map<String, Value> {
    &mut object_mut(live, kind, name).properties
}

fn set(live: &mut LiveState, kind: Kind, name: &str, pointer: &str, value: Value) {
    let properties = props(live, kind, name);
    let mut root = Value::Object(std::mem::take(properties));
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        Some(&mut root)
    } else {
        root.pointer_mut(parent)
    };
    target
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
    *properties = root.as_object().cloned().unwrap();
}

fn remove(live: &mut LiveState, kind: Kind, name: &str, pointer: &str) {
    let properties = props(live, kind, name);
    let mut root = Value::Object(std::mem::take(properties));
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        Some(&mut root)
    } else {
        root.pointer_mut(parent)
    };
    target.unwrap().as_object_mut().unwrap().remove(key);
    *properties = root.as_object().cloned().unwrap();
}

/// The raw assignments of an object, parsed again when the guard is dropped (as Graph's JSON is
/// parsed when read).
struct RawAssignments<'a> {
    target: &'a mut Vec<LiveAssignment>,
    raw: Vec<Value>,
}

impl std::ops::Deref for RawAssignments<'_> {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.raw
    }
}

impl std::ops::DerefMut for RawAssignments<'_> {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.raw
    }
}

impl Drop for RawAssignments<'_> {
    fn drop(&mut self) {
        *self.target = self.raw.drain(..).map(LiveAssignment::parse).collect();
    }
}

fn assignments<'a>(live: &'a mut LiveState, kind: Kind, name: &str) -> RawAssignments<'a> {
    let target = object_mut(live, kind, name).assignments.as_mut().unwrap();
    let raw = target.iter().map(|a| a.raw.clone()).collect();
    RawAssignments { target, raw }
}

fn settings(live: &mut LiveState) -> &mut Vec<Value> {
    object_mut(live, Kind::DevicePreparationPolicy, "Device Preparation")
        .settings
        .as_mut()
        .unwrap()
}

fn setting<'a>(live: &'a mut LiveState, definition: &str) -> &'a mut Value {
    settings(live)
        .iter_mut()
        .find(|s| {
            s.pointer("/settingInstance/settingDefinitionId")
                .and_then(Value::as_str)
                == Some(definition)
        })
        .unwrap()
}

const PROFILE: Kind = Kind::DeploymentProfile;
const ESP: Kind = Kind::EnrollmentStatusPage;
const GROUP: Kind = Kind::DeviceGroup;
const JOIN: Kind = Kind::DomainJoinProfile;
const RESTRICTION: Kind = Kind::EnrollmentRestriction;

/// One perturbation per catalog entry.
fn perturbations() -> Vec<(&'static str, Perturb)> {
    vec![
        ("common.annotations", |l| {
            set(
                l,
                PROFILE,
                "Autopilot Sales",
                "/@odata.context",
                json!("https://graph.microsoft.com/beta/$metadata#x"),
            );
            set(
                l,
                PROFILE,
                "Autopilot Sales",
                "/assignments@odata.context",
                json!("y"),
            );
        }),
        ("common.read-only", |l| {
            set(
                l,
                ESP,
                "ESP Engineering",
                "/createdDateTime",
                json!("2025-01-01T00:00:00Z"),
            );
            set(l, ESP, "ESP Engineering", "/version", json!(7));
        }),
        ("common.odata-type-omitted", |l| {
            object_mut(l, JOIN, "HQ Domain Join").odata_type = None
        }),
        ("common.description-empty", |l| {
            set(l, PROFILE, "Autopilot Sales", "/description", Value::Null)
        }),
        ("intune.scope-tags-default", |l| {
            set(l, JOIN, "HQ Domain Join", "/roleScopeTagIds", json!([]))
        }),
        ("intune.scope-tags-set", |l| {
            set(l, JOIN, "HQ Domain Join", "/roleScopeTagIds", json!(["0", "0"]))
        }),
        ("intune.supports-scope-tags", |l| {
            set(l, ESP, "ESP Engineering", "/supportsScopeTags", json!(true));
            set(l, ESP, "ESP Engineering", "/isAssigned", json!(true));
            set(
                l,
                ESP,
                "ESP Engineering",
                "/deviceEnrollmentConfigurationType",
                json!("windows10EnrollmentCompletionPageConfiguration"),
            );
        }),
        ("assignments.direct-only", |l| {
            assignments(l, PROFILE, "Autopilot Sales")
                .push(json!({"id": "ps", "source": "policySets", "sourceId": "x",
                "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}));
        }),
        ("assignments.unmanaged-targets", |l| {
            assignments(l, ESP, "ESP Engineering").push(json!({"id": "cm", "source": "direct",
                "target": {"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "SMS00001"}}));
        }),
        ("assignments.read-only", |l| {
            for a in assignments(l, PROFILE, "Autopilot Sales").iter_mut() {
                a["id"] = json!("f00d_0");
                a["sourceId"] = json!("");
                a["@odata.type"] = json!("#microsoft.graph.windowsAutopilotDeploymentProfileAssignment");
            }
        }),
        ("assignments.no-filter", |l| {
            for a in assignments(l, ESP, "ESP Engineering").iter_mut() {
                a["target"]["deviceAndAppManagementAssignmentFilterId"] =
                    json!("00000000-0000-0000-0000-000000000000");
            }
        }),
        ("assignments.no-filter-type", |l| {
            for a in assignments(l, ESP, "ESP Engineering").iter_mut() {
                a["target"]["deviceAndAppManagementAssignmentFilterType"] = json!("none");
            }
        }),
        ("assignments.group-id-case", |l| {
            for a in assignments(l, JOIN, "HQ Domain Join").iter_mut() {
                let id = a["target"]["groupId"].as_str().unwrap().to_uppercase();
                a["target"]["groupId"] = json!(id);
            }
        }),
        ("assignments.set", |l| {
            assignments(l, ESP, "ESP Engineering").reverse()
        }),
        ("profile.deprecated-mirrors", |l| {
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/language",
                json!("os-default"),
            );
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/outOfBoxExperienceSettings",
                json!({"hideEULA": true}),
            );
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/managementServiceAppId",
                json!("0000000a-0000-0000-c000-000000000000"),
            );
        }),
        ("profile.locale-os-default", |l| {
            set(l, PROFILE, "Autopilot Sales", "/locale", json!("os-default"))
        }),
        ("profile.locale-empty", |l| {
            set(l, PROFILE, "Autopilot Sales", "/locale", Value::Null)
        }),
        ("profile.locale-case", |l| {
            set(l, PROFILE, "Autopilot Engineering", "/locale", json!("EN-us"))
        }),
        ("profile.user-type-shared", |l| {
            set(
                l,
                PROFILE,
                "Autopilot Kiosk",
                "/outOfBoxExperienceSetting/userType",
                json!("administrator"),
            )
        }),
        ("profile.escape-link-hidden", |l| {
            remove(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/outOfBoxExperienceSetting/escapeLinkHidden",
            )
        }),
        ("profile.device-type-default", |l| {
            remove(l, PROFILE, "Autopilot Sales", "/deviceType")
        }),
        ("profile.skip-connectivity-check", |l| {
            remove(
                l,
                PROFILE,
                "Autopilot HQ Hybrid",
                "/hybridAzureADJoinSkipConnectivityCheck",
            )
        }),
        ("profile.booleans-default-false", |l| {
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/preprovisioningAllowed",
                Value::Null,
            )
        }),
        ("profile.name-template-empty", |l| {
            set(
                l,
                PROFILE,
                "Autopilot HQ Hybrid",
                "/deviceNameTemplate",
                Value::Null,
            )
        }),
        ("group.mail-nickname", |l| {
            set(l, GROUP, "Autopilot-Sales", "/mailNickname", json!("sales-1f3"))
        }),
        ("group.read-only", |l| {
            set(
                l,
                GROUP,
                "Autopilot-Sales",
                "/membershipRuleProcessingStatus",
                json!({"status": "Succeeded"}),
            );
            set(
                l,
                GROUP,
                "Autopilot-Sales",
                "/securityIdentifier",
                json!("S-1-12-1-1"),
            );
        }),
        ("group.types-set", |l| {
            set(
                l,
                GROUP,
                "Autopilot-Sales",
                "/groupTypes",
                json!(["DynamicMembership", "DynamicMembership"]),
            )
        }),
        ("group.types-empty", |l| {
            set(l, GROUP, "Autopilot Users", "/groupTypes", Value::Null)
        }),
        ("group.rule-structure", |l| {
            set(
                l,
                GROUP,
                "Autopilot-Sales",
                "/membershipRule",
                json!("device.devicePhysicalIDs -ANY _ -EQ \"[OrderID]:Sales\""),
            )
        }),
        ("group.processing-state-case", |l| {
            set(
                l,
                GROUP,
                "Autopilot-Sales",
                "/membershipRuleProcessingState",
                json!("on"),
            )
        }),
        ("group.owners-case", |l| {
            object_mut(l, GROUP, "Autopilot Deployed").owners = Some(vec![PROVISIONING_CLIENT.to_uppercase()])
        }),
        ("group.owners-superset", |l| {
            object_mut(l, GROUP, "Autopilot Deployed")
                .owners
                .as_mut()
                .unwrap()
                .push("7e57ab1e-0000-4000-8000-000000000001".into())
        }),
        ("group.owners-set", |l| {
            object_mut(l, GROUP, "Autopilot Deployed").owners =
                Some(vec![PROVISIONING_CLIENT.into(), PROVISIONING_CLIENT.into()])
        }),
        ("esp.progress-hidden", |l| {
            set(
                l,
                ESP,
                "ESP Kiosk",
                "/installProgressTimeoutInMinutes",
                json!(999),
            );
            set(
                l,
                ESP,
                "ESP Kiosk",
                "/customErrorMessage",
                json!("ignored while the page is off"),
            );
            set(l, ESP, "ESP Kiosk", "/blockDeviceSetupRetryByUser", json!(true));
        }),
        ("esp.retry-blocked", |l| {
            set(
                l,
                ESP,
                "ESP Sales",
                "/allowDeviceResetOnInstallFailure",
                json!(true),
            );
            set(
                l,
                ESP,
                "ESP Sales",
                "/selectedMobileAppIds",
                json!(["7c1f0a3e-2b9d-4e5a-8f61-0d3c4b2a1e90"]),
            );
        }),
        ("esp.app-ids-case", |l| {
            let apps: Vec<Value> = props(l, ESP, "ESP Engineering")["selectedMobileAppIds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| json!(a.as_str().unwrap().to_uppercase()))
                .collect();
            set(
                l,
                ESP,
                "ESP Engineering",
                "/selectedMobileAppIds",
                Value::Array(apps),
            );
        }),
        ("esp.app-ids-set", |l| {
            let mut apps = props(l, ESP, "ESP Engineering")["selectedMobileAppIds"]
                .as_array()
                .unwrap()
                .clone();
            apps.reverse();
            set(
                l,
                ESP,
                "ESP Engineering",
                "/selectedMobileAppIds",
                Value::Array(apps),
            );
        }),
        ("esp.app-ids-empty", |l| {
            set(l, ESP, "default", "/selectedMobileAppIds", Value::Null)
        }),
        ("esp.error-message-empty", |l| {
            set(l, ESP, "ESP Engineering", "/customErrorMessage", Value::Null)
        }),
        ("esp.timeout-default", |l| {
            set(
                l,
                ESP,
                "ESP Sales",
                "/installProgressTimeoutInMinutes",
                Value::Null,
            )
        }),
        ("esp.booleans-default-false", |l| {
            remove(l, ESP, "ESP Engineering", "/allowNonBlockingAppInstallation")
        }),
        ("domain-join.read-only", |l| {
            set(
                l,
                JOIN,
                "HQ Domain Join",
                "/deviceManagementApplicabilityRuleOsEdition",
                json!({"osEditionTypes": []}),
            )
        }),
        ("domain-join.ou-default", |l| {
            set(l, JOIN, "Branch Domain Join", "/organizationalUnit", json!(""))
        }),
        ("domain-join.names-case", |l| {
            set(
                l,
                JOIN,
                "HQ Domain Join",
                "/activeDirectoryDomainName",
                json!("CORP.Contoso.com"),
            );
            set(
                l,
                JOIN,
                "HQ Domain Join",
                "/organizationalUnit",
                json!("ou=Autopilot,dc=corp,dc=contoso,dc=com"),
            );
            set(
                l,
                JOIN,
                "HQ Domain Join",
                "/computerNameStaticPrefix",
                json!("hq-"),
            );
        }),
        ("restriction.os-versions-empty", |l| {
            set(
                l,
                RESTRICTION,
                "Block personal Windows devices",
                "/platformRestriction/osMaximumVersion",
                json!(""),
            )
        }),
        ("restriction.lists-empty", |l| {
            set(
                l,
                RESTRICTION,
                "Block personal Windows devices",
                "/platformRestriction/blockedSkus",
                Value::Null,
            )
        }),
        ("restriction.lists-set", |l| {
            set(
                l,
                RESTRICTION,
                "Block personal Windows devices",
                "/platformRestriction/blockedManufacturers",
                json!(["Globex", "Acme"]),
            )
        }),
        ("restriction.booleans-default-false", |l| {
            set(
                l,
                RESTRICTION,
                "default",
                "/windowsRestriction/platformBlocked",
                Value::Null,
            )
        }),
        ("dpp.read-only", |l| {
            set(
                l,
                Kind::DevicePreparationPolicy,
                "Device Preparation",
                "/settingCount",
                json!(9),
            );
            set(
                l,
                Kind::DevicePreparationPolicy,
                "Device Preparation",
                "/templateReference/templateDisplayName",
                json!("Device Preparation"),
            );
        }),
        ("dpp.settings-by-definition", |l| {
            let settings = settings(l);
            settings.reverse();
            for (index, setting) in settings.iter_mut().enumerate() {
                setting["id"] = json!(index.to_string());
            }
        }),
        ("dpp.error-message-empty", |l| {
            settings(l).push(json!({"settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                "settingDefinitionId": "enrollment_autopilot_dpp_customerrormessage",
                "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": ""}}}))
        }),
        ("dpp.app-ids", |l| {
            let values = setting(l, "enrollment_autopilot_dpp_allowedappids")["settingInstance"]["simpleSettingCollectionValue"]
                .as_array_mut()
                .unwrap();
            for value in values {
                let app: Value = serde_json::from_str(value["value"].as_str().unwrap()).unwrap();
                value["value"] = json!(format!(
                    "{{\"type\": \"#microsoft.graph.winGetApp\", \"id\": {}}}",
                    app["id"]
                ));
            }
        }),
        ("dpp.id-lists-empty", |l| {
            settings(l).retain(|s| {
                s.pointer("/settingInstance/settingDefinitionId")
                    .and_then(Value::as_str)
                    != Some("enrollment_autopilot_dpp_allowedscriptids")
            })
        }),
        ("dpp.ids-case", |l| {
            let targets = object_mut(l, Kind::DevicePreparationPolicy, "Device Preparation")
                .device_membership_targets
                .as_mut()
                .unwrap();
            for target in targets {
                *target = target.to_uppercase();
            }
        }),
        ("dpp.id-lists-set", |l| {
            setting(l, "enrollment_autopilot_dpp_allowedappids")["settingInstance"]["simpleSettingCollectionValue"]
                .as_array_mut()
                .unwrap()
                .reverse()
        }),
        ("common.unmanaged", |l| {
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/someNewGraphProperty",
                json!(true),
            );
            set(
                l,
                PROFILE,
                "Autopilot Engineering",
                "/outOfBoxExperienceSetting/newFlag",
                json!(false),
            );
        }),
    ]
}

#[test]
fn every_catalog_entry_has_a_plan_level_case() {
    let ids: Vec<&str> = perturbations().iter().map(|(id, _)| *id).collect();
    let missing: Vec<&str> = normalize::catalog()
        .iter()
        .map(|e| e.id)
        .filter(|id| !ids.contains(id))
        .collect();
    assert!(missing.is_empty(), "no plan-level case for {missing:?}");
    let unknown: Vec<&&str> = ids
        .iter()
        .filter(|id| !normalize::catalog().iter().any(|e| e.id == **id))
        .collect();
    assert!(unknown.is_empty(), "cases for unknown entries {unknown:?}");
}

#[test]
fn each_perturbation_changes_raw_values_and_plans_nothing() {
    let state = load("tenant");
    let base = converged(&state);
    let mut failures = Vec::new();
    for (id, perturb) in perturbations() {
        let mut live = base.clone();
        perturb(&mut live);
        if live == base {
            failures.push(format!("{id}: the perturbation changed nothing"));
            continue;
        }
        match hangar_plan::plan(&state, &live) {
            Ok(plan) if plan.actions.is_empty() => {}
            Ok(plan) => failures.push(format!("{id}: planned {:#?}", plan.actions)),
            Err(errors) => failures.push(format!("{id}: {errors}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_perturbations_at_once_plan_nothing() {
    let state = load("tenant");
    let mut live = converged(&state);
    for (id, perturb) in perturbations() {
        // Entries that reshape the same field cannot all hold at once.
        if [
            "profile.locale-empty",
            "group.owners-case",
            "group.owners-set",
            "intune.scope-tags-set",
        ]
        .contains(&id)
        {
            continue;
        }
        perturb(&mut live);
    }
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
}
