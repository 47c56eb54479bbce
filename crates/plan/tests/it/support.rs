//! Fixtures: the test configuration, an empty tenant, and an in-memory "apply" that turns a
//! plan into the live state Graph would then return.

use std::path::Path;

use hangar_config::DesiredState;
use hangar_model::device_preparation::{ChoiceOption, PolicyTemplate, SettingTemplate};
use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX, odata};
use hangar_model::{Kind, LiveAssignment, LiveDevice, LiveObject, LiveState};
use hangar_plan::{AssignmentTarget, Op, OwnerRef, Plan};
use serde_json::{Map, Value, json};

pub const PROVISIONING_CLIENT: &str = "9d0c4a1e-5b7f-4c2d-8e3a-1f6b2d9c0e71";

pub fn fixture_dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn load(name: &str) -> DesiredState {
    let loaded = hangar_config::load(&fixture_dir(name)).expect("fixture readable");
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    loaded
        .state
        .unwrap_or_else(|| panic!("fixture `{name}` has errors: {errors:#?}"))
}

/// A tenant with nothing but its built-ins and its Device Preparation templates (options in
/// the admin center's order), every kind read completely.
pub fn empty_tenant() -> LiveState {
    let referenced = |id: &str, name: &str, odata_type: Option<&str>| hangar_model::Referenced {
        id: id.into(),
        display_name: name.into(),
        odata_type: odata_type.map(str::to_owned),
    };
    let mut live = LiveState {
        complete: Kind::ALL.into_iter().collect(),
        // The apps the fixtures name by id, with the types the tenant gives them.
        mobile_apps: Some(vec![
            referenced(
                "7c1f0a3e-2b9d-4e5a-8f61-0d3c4b2a1e90",
                "Company Portal",
                Some("#microsoft.graph.winGetApp"),
            ),
            referenced(
                "0b8e5d2c-6a4f-4c1b-9e3d-7f2a1c5b8d64",
                "Visual Studio Code",
                Some("#microsoft.graph.win32LobApp"),
            ),
            referenced(
                "3d5f7a91-0c2e-4b6d-8a14-9e7c5b3f1d20",
                "Microsoft 365 Apps",
                Some("#microsoft.graph.officeSuiteApp"),
            ),
            referenced(
                "a8c24e6f-1d3b-4f59-b7e0-6c2d9a4f8e13",
                "Defender for Endpoint onboarding",
                Some("#microsoft.graph.win32LobApp"),
            ),
        ]),
        scripts: Some(vec![referenced(
            "5e9b1c3d-7f2a-4e68-9d40-1b8c6a2e5f97",
            "Set time zone",
            None,
        )]),
        scope_tags: Some(vec![
            referenced("0", "Default", None),
            referenced("3", "Sales EU", None),
        ]),
        ..LiveState::default()
    };
    let mut esp = LiveObject::new(
        Kind::EnrollmentStatusPage,
        format!("4c2f1a90-0000-0000-0000-000000000000{DEFAULT_ESP_ID_SUFFIX}"),
        "All users and all devices",
    );
    esp.builtin = true;
    esp.odata_type = Some(odata::ESP.into());
    esp.properties = obj(json!({
        "displayName": "All users and all devices", "description": "", "priority": 0,
        "showInstallationProgress": false, "blockDeviceSetupRetryByUser": false,
        "allowDeviceResetOnInstallFailure": false, "allowDeviceUseOnInstallFailure": false,
        "installProgressTimeoutInMinutes": 60, "allowLogCollectionOnInstallFailure": false,
        "trackInstallProgressForAutopilotOnly": false, "customErrorMessage": null,
        "selectedMobileAppIds": [], "roleScopeTagIds": ["0"]
    }));
    esp.assignments = Some(vec![]);
    live.objects.push(esp);
    let mut restriction = LiveObject::new(
        Kind::EnrollmentRestriction,
        format!("4c2f1a90-0000-0000-0000-000000000000{DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX}"),
        "All users",
    );
    restriction.builtin = true;
    restriction.odata_type = Some(odata::DEFAULT_PLATFORM_RESTRICTIONS.into());
    restriction.properties = obj(json!({
        "displayName": "All users", "description": "", "priority": 0, "roleScopeTagIds": ["0"],
        "windowsRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": true,
            "osMinimumVersion": null, "osMaximumVersion": null, "blockedManufacturers": [], "blockedSkus": []}
    }));
    restriction.assignments = Some(vec![]);
    live.objects.push(restriction);
    live.provisioning_client_id = Some(PROVISIONING_CLIENT.into());
    live.device_preparation_templates = Some(device_preparation_templates(false));
    live
}

/// The Device Preparation templates of a tenant, defined by meaning (Microsoft's option names)
/// with the `_N` numbering `reversed` or not: planning must follow the names, never the numbers.
pub fn device_preparation_templates(reversed: bool) -> Vec<PolicyTemplate> {
    use hangar_model::well_known::device_preparation as ids;
    let choice = |setting: &ids::Setting, options: &[&str]| {
        let count = options.len();
        SettingTemplate {
            definition_id: setting.definition_id.to_owned(),
            instance_template_id: setting.instance_template_id.to_owned(),
            value_template_id: setting.value_template_id.map(str::to_owned),
            display_name: setting.definition_id.to_owned(),
            options: options
                .iter()
                .enumerate()
                .map(|(listed, name)| ChoiceOption {
                    item_id: format!(
                        "{}_{}",
                        setting.definition_id,
                        if reversed { count - 1 - listed } else { listed }
                    ),
                    display_name: (*name).to_owned(),
                    name: None,
                })
                .collect(),
        }
    };
    let simple = |setting: &ids::Setting, automatic: bool| SettingTemplate {
        definition_id: setting.definition_id.to_owned(),
        instance_template_id: match (automatic, setting.automatic_instance_template_id) {
            (true, Some(id)) => id.to_owned(),
            _ => setting.instance_template_id.to_owned(),
        },
        value_template_id: setting.value_template_id.map(str::to_owned),
        display_name: setting.definition_id.to_owned(),
        options: Vec::new(),
    };
    let simple_settings = [
        &ids::TIMEOUT,
        &ids::CUSTOM_ERROR_MESSAGE,
        &ids::DEVICE_SECURITY_GROUP,
        &ids::ALLOWED_APPS,
        &ids::ALLOWED_SCRIPTS,
    ];
    let mode = choice(&ids::DEPLOYMENT_MODE, &["User-driven", "Automatic"]);
    let mut user_driven = vec![
        mode.clone(),
        choice(&ids::DEPLOYMENT_TYPE, &["Single user", "Self-deploying"]),
        choice(
            &ids::JOIN_TYPE,
            &["Microsoft Entra joined", "Microsoft Entra hybrid joined"],
        ),
        choice(&ids::ACCOUNT_TYPE, &["Standard User", "Administrator"]),
        choice(&ids::ALLOW_SKIP, &["No", "Yes"]),
        choice(&ids::ALLOW_DIAGNOSTICS, &["No", "Yes"]),
    ];
    user_driven.extend(simple_settings.iter().map(|s| simple(s, false)));
    let mut automatic = vec![mode];
    automatic.extend(simple_settings.iter().map(|s| simple(s, true)));
    let template = |id: &str, name: &str, settings| PolicyTemplate {
        id: id.to_owned(),
        display_name: name.to_owned(),
        version: Some(1),
        lifecycle_state: Some("active".to_owned()),
        template_family: ids::TEMPLATE_FAMILY.to_owned(),
        settings,
    };
    vec![
        template(ids::USER_DRIVEN_TEMPLATE_ID, "Device Preparation", user_driven),
        template(
            ids::AUTOMATIC_TEMPLATE_ID,
            "Windows Autopilot device preparation",
            automatic,
        ),
    ]
}

pub fn obj(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn new_id(live: &LiveState, salt: usize) -> String {
    format!(
        "{:08x}-1111-4222-8333-{:012x}",
        live.objects.len() + salt,
        live.objects.len() * 7919 + salt
    )
}

/// Applies `plan` to `live` the way Graph would answer: new ids, bodies stored as properties,
/// assignments, owners, priorities and device groups recorded. Panics on anything apply could
/// not do (an unresolvable group), which is a planner bug.
pub fn apply(plan: &Plan, live: &mut LiveState) {
    let resolve = |live: &LiveState, name: &str| -> Option<String> {
        live.objects_of(Kind::DeviceGroup)
            .find(|g| g.display_name == name)
            .map(|g| g.id.clone())
    };
    for action in &plan.actions {
        let kind = action.address.kind;
        let find = |live: &mut LiveState| -> usize {
            live.objects
                .iter()
                .position(|o| o.kind == kind && o.display_name == action.address.name && !o.builtin)
                .or_else(|| {
                    live.objects
                        .iter()
                        .position(|o| Some(&o.id) == action.live_id.as_ref())
                })
                .unwrap_or_else(|| panic!("{} is not in the tenant", action.address))
        };
        match &action.op {
            Op::Create { body, .. } | Op::Replace { body, .. } => {
                if let Op::Replace { .. } = action.op {
                    let at = find(live);
                    live.objects.remove(at);
                }
                let value = body
                    .resolve(|g| resolve(live, &g.name))
                    .expect("groups exist before use");
                let mut properties = obj(value);
                let odata_type = properties
                    .remove("@odata.type")
                    .and_then(|v| v.as_str().map(str::to_owned));
                let id = new_id(live, 0);
                let mut object = LiveObject::new(kind, id, action.address.name.clone());
                object.odata_type = odata_type;
                if kind == Kind::DevicePreparationPolicy {
                    object.settings = properties.remove("settings").and_then(|s| s.as_array().cloned());
                    object.device_membership_targets = Some(vec![]);
                }
                if kind == Kind::DeviceGroup {
                    object.owners = Some(vec![]);
                } else {
                    object.assignments = Some(vec![]);
                }
                if matches!(kind, Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction) {
                    let count = live.objects_of(kind).filter(|o| !o.builtin).count();
                    properties.insert("priority".into(), json!(count + 1));
                }
                object.properties = properties;
                live.objects.push(object);
            }
            Op::Update { body, .. } => {
                let value = body
                    .resolve(|g| resolve(live, &g.name))
                    .expect("groups exist before use");
                let at = find(live);
                let mut properties = obj(value);
                properties.remove("@odata.type");
                if kind == Kind::DevicePreparationPolicy {
                    live.objects[at].settings =
                        properties.remove("settings").and_then(|s| s.as_array().cloned());
                }
                for (key, value) in properties {
                    live.objects[at].properties.insert(key, value);
                }
            }
            Op::Delete => {
                let at = find(live);
                live.objects.remove(at);
            }
            Op::Assign(change) => {
                let targets: Vec<LiveAssignment> = change
                    .after
                    .iter()
                    .enumerate()
                    .map(|(index, target)| {
                        let graph = target
                            .to_graph(|g| g.id.clone().or_else(|| resolve(live, &g.name)))
                            .expect("targets resolvable");
                        LiveAssignment::parse(
                            json!({"id": format!("assignment-{index}"), "source": "direct", "target": graph}),
                        )
                    })
                    .collect();
                let at = find(live);
                live.objects[at].assignments = Some(targets);
            }
            Op::AddOwners { add } => {
                let at = find(live);
                for owner in add {
                    let id = match owner {
                        OwnerRef::IntuneProvisioningClient { object_id } => {
                            object_id.clone().expect("client known")
                        }
                        OwnerRef::Object { object_id } => object_id.clone(),
                    };
                    live.objects[at].owners.get_or_insert_with(Vec::new).push(id);
                }
            }
            Op::SetPriority { after, .. } => {
                let at = find(live);
                live.objects[at]
                    .properties
                    .insert("priority".into(), json!(after));
            }
            Op::SetDeviceGroup { after, .. } => {
                let id = after
                    .as_ref()
                    .map(|g| g.id.clone().or_else(|| resolve(live, &g.name)).expect("group"));
                let at = find(live);
                live.objects[at].device_membership_targets = Some(id.into_iter().collect());
            }
            Op::ImportDevice(import) => {
                let index = live.devices.len();
                live.devices.push(LiveDevice {
                    id: format!("device-{index}"),
                    serial_number: import.serial_number.clone(),
                    group_tag: import.group_tag.clone(),
                    user_principal_name: import.assigned_user.clone(),
                    display_name: None,
                    purchase_order_identifier: None,
                    deployment_profile_assignment_status: None,
                });
            }
            Op::UpdateDevice(update) => {
                let device = live
                    .devices
                    .iter_mut()
                    .find(|d| Some(&d.id) == action.live_id.as_ref())
                    .expect("device");
                device.group_tag = (!update.group_tag.is_empty()).then(|| update.group_tag.clone());
                if let Some(user) = &update.user_principal_name {
                    device.user_principal_name = Some(user.clone());
                }
            }
            Op::DeleteDevice { .. } => live.devices.retain(|d| Some(&d.id) != action.live_id.as_ref()),
        }
    }
}

/// The tenant after applying the fixture's plan to an empty tenant.
pub fn converged(state: &DesiredState) -> LiveState {
    let mut live = empty_tenant();
    let plan = hangar_plan::plan(state, &live).expect("plans against an empty tenant");
    apply(&plan, &mut live);
    live
}

pub fn object_mut<'a>(live: &'a mut LiveState, kind: Kind, name: &str) -> &'a mut LiveObject {
    live.objects
        .iter_mut()
        .find(|o| o.kind == kind && (o.display_name == name || (name == "default" && o.builtin)))
        .unwrap_or_else(|| panic!("no {kind} `{name}`"))
}

/// Targets of an action's assignment change, for assertions.
pub fn added(plan: &Plan, kind: Kind, name: &str) -> Vec<AssignmentTarget> {
    plan.actions
        .iter()
        .filter(|a| a.address.kind == kind && a.address.name == name)
        .filter_map(|a| match &a.op {
            Op::Assign(change) => Some(change.add.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}
