//! An in-memory [`Tenant`] for unit tests, with scripted faults: a request refused before it
//! runs, a write that commits and loses its answer, a group Intune does not know yet, the
//! app-only 500 of the Device Preparation binding. The simulator (`hangar-sim`) is the real
//! test double; this one makes the executor's rules cheap to test one by one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use hangar_graph::resources::devices::{DeviceProperties, ImportState, ImportedDevice};
use hangar_graph::{ApiError, Error as GraphError, ReadScope};
use hangar_model::{Cloud, Kind, LiveAssignment, LiveDevice, LiveObject, LiveState};
use hangar_plan::{Action, Plan};
use serde_json::{Value, json};

use crate::tenant::{Body, Found, StagedImport, Tenant};

/// A plan around `actions`.
pub(crate) fn plan(actions: Vec<Action>) -> Plan {
    Plan {
        format_version: hangar_plan::FORMAT_VERSION,
        hangar_version: "test".into(),
        cloud: Cloud::Commercial,
        tenant_id: "tenant".into(),
        tenant: "test".into(),
        summary: hangar_plan::Summary::default(),
        actions,
        impact: hangar_plan::Impact::default(),
        read: hangar_plan::ReadRecord::default(),
        warnings: Vec::new(),
        validation: Vec::new(),
        unmanaged: Vec::new(),
        configuration: None,
        history: Vec::new(),
    }
}

/// What a scripted fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer this status; nothing happens.
    Refuse(u16),
    /// Do it, then lose the answer.
    Lose,
}

#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub kind: Kind,
    pub name: String,
    pub odata_type: Option<String>,
    pub body: Body,
    pub assignments: Vec<(String, Value)>,
    pub owners: Vec<String>,
    pub device_group: Vec<String>,
    pub priority: Option<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    next: u64,
    pub objects: BTreeMap<String, Object>,
    pub service_principals: BTreeMap<String, String>,
    /// Scripted faults: (operation, times left, fault). Operations are `create`, `update`,
    /// `delete`, `add_assignment`, `delete_assignment`, `assign`, `set_priority`, `add_owner`,
    /// `set_device_group`, optionally `:<kind>`.
    pub faults: Vec<(String, u32, Fault)>,
    /// Groups Intune refuses as unknown this many more times.
    pub unreplicated: BTreeMap<String, u32>,
    /// Every write, in order: `op kind name`.
    pub log: Vec<String>,
}

/// The in-memory tenant.
#[derive(Debug, Default)]
pub(crate) struct FakeTenant {
    pub state: Mutex<State>,
}

fn api(status: u16, code: &str, message: &str) -> GraphError {
    GraphError::Api(Box::new(ApiError {
        method: "POST".into(),
        url: "fake".into(),
        status,
        code: code.into(),
        message: message.into(),
        request_id: "request-1".into(),
        client_request_id: "client-1".into(),
        retries: 0,
    }))
}

fn lost() -> GraphError {
    GraphError::OutcomeUnknown {
        method: "POST".into(),
        url: "fake".into(),
        retries: 0,
        client_request_id: "client-lost".into(),
        message: "connection closed before the answer".into(),
    }
}

fn name_of(body: &Body) -> String {
    body.get("displayName")
        .or_else(|| body.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl FakeTenant {
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock().expect("fake tenant lock");
        f(&mut state)
    }

    /// Adds an object; returns its id.
    pub fn add(&self, kind: Kind, name: &str, odata_type: Option<&str>) -> String {
        self.with(|s| {
            s.next += 1;
            let id = format!("id-{}", s.next);
            s.objects.insert(
                id.clone(),
                Object {
                    kind,
                    name: name.to_owned(),
                    odata_type: odata_type.map(str::to_owned),
                    body: Body::new(),
                    assignments: Vec::new(),
                    owners: Vec::new(),
                    device_group: Vec::new(),
                    priority: None,
                },
            );
            id
        })
    }

    pub fn fault(&self, op: &str, times: u32, fault: Fault) {
        self.with(|s| s.faults.push((op.to_owned(), times, fault)));
    }

    pub fn log(&self) -> Vec<String> {
        self.with(|s| s.log.clone())
    }

    pub fn named(&self, kind: Kind, name: &str) -> Vec<(String, Object)> {
        self.with(|s| {
            s.objects
                .iter()
                .filter(|(_, o)| o.kind == kind && o.name == name)
                .map(|(id, o)| (id.clone(), o.clone()))
                .collect()
        })
    }

    /// Runs a write: scripted faults first, then `f`, logged.
    fn write<R>(
        &self,
        op: &str,
        kind: Option<Kind>,
        what: &str,
        f: impl FnOnce(&mut State) -> Result<R, GraphError>,
    ) -> Result<R, GraphError> {
        self.with(|s| {
            let keys = [
                op.to_owned(),
                kind.map(|k| format!("{op}:{k}")).unwrap_or_default(),
            ];
            let fault = s
                .faults
                .iter_mut()
                .find(|(key, left, _)| *left > 0 && keys.contains(key))
                .map(|(_, left, fault)| {
                    *left -= 1;
                    *fault
                });
            if let Some(Fault::Refuse(status)) = fault {
                return Err(api(status, "Injected", "injected fault"));
            }
            let result = f(s)?;
            s.log
                .push(format!("{op} {} {what}", kind.map(|k| k.name()).unwrap_or("-")));
            match fault {
                Some(Fault::Lose) => Err(lost()),
                _ => Ok(result),
            }
        })
    }

    fn check_groups(s: &mut State, targets: &[Value]) -> Result<(), GraphError> {
        for target in targets {
            if let Some(group) = target.get("groupId").and_then(Value::as_str)
                && let Some(left) = s.unreplicated.get_mut(group)
                && *left > 0
            {
                *left -= 1;
                return Err(api(400, "BadRequest", &format!("Group {group} was not found")));
            }
        }
        Ok(())
    }

    fn object<'s>(s: &'s mut State, id: &str) -> Result<&'s mut Object, GraphError> {
        s.objects
            .get_mut(id)
            .ok_or_else(|| api(404, "ResourceNotFound", &format!("object {id} not found")))
    }
}

impl Tenant for FakeTenant {
    fn cloud(&self) -> Cloud {
        Cloud::Commercial
    }

    async fn find(&self, kind: Kind, name: &str) -> Result<Vec<Found>, GraphError> {
        Ok(self
            .named(kind, name)
            .into_iter()
            .map(|(id, o)| Found {
                id,
                name: o.name,
                odata_type: o.odata_type,
            })
            .collect())
    }

    async fn create(&self, kind: Kind, body: &Body) -> Result<String, GraphError> {
        let name = name_of(body);
        self.write("create", Some(kind), &name.clone(), |s| {
            s.next += 1;
            let id = format!("id-{}", s.next);
            s.objects.insert(
                id.clone(),
                Object {
                    kind,
                    name,
                    odata_type: body.get("@odata.type").and_then(Value::as_str).map(str::to_owned),
                    body: body.clone(),
                    assignments: Vec::new(),
                    owners: Vec::new(),
                    device_group: Vec::new(),
                    priority: None,
                },
            );
            Ok(id)
        })
    }

    async fn update(&self, kind: Kind, id: &str, body: &Body) -> Result<(), GraphError> {
        self.write("update", Some(kind), id, |s| {
            let object = Self::object(s, id)?;
            if let Some(name) = body.get("displayName").and_then(Value::as_str) {
                object.name = name.to_owned();
            }
            object.body.extend(body.clone());
            Ok(())
        })
    }

    async fn delete(&self, kind: Kind, id: &str) -> Result<(), GraphError> {
        self.write("delete", Some(kind), id, |s| {
            let object = Self::object(s, id)?;
            if kind == Kind::DeploymentProfile && !object.assignments.is_empty() {
                return Err(api(400, "BadRequest", "the profile still has assignments"));
            }
            s.objects.remove(id);
            Ok(())
        })
    }

    async fn assignments(&self, _kind: Kind, id: &str) -> Result<Vec<LiveAssignment>, GraphError> {
        self.with(|s| {
            let object = Self::object(s, id)?;
            Ok(object
                .assignments
                .iter()
                .map(|(aid, target)| LiveAssignment::parse(json!({"id": aid, "target": target})))
                .collect())
        })
    }

    async fn add_assignment(&self, kind: Kind, id: &str, target: Value) -> Result<(), GraphError> {
        self.write("add_assignment", Some(kind), id, |s| {
            Self::check_groups(s, std::slice::from_ref(&target))?;
            let all_devices = |t: &Value| {
                t.get("@odata.type").and_then(Value::as_str)
                    == Some(hangar_model::well_known::odata::ALL_DEVICES_TARGET)
            };
            if all_devices(&target)
                && s.objects.iter().any(|(other, o)| {
                    other != id
                        && o.kind == Kind::DeploymentProfile
                        && o.assignments.iter().any(|(_, t)| all_devices(t))
                })
            {
                return Err(api(
                    400,
                    "BadRequest",
                    "Another Profile is already assigned to All Devices",
                ));
            }
            s.next += 1;
            let aid = format!("a-{}", s.next);
            Self::object(s, id)?.assignments.push((aid, target));
            Ok(())
        })
    }

    async fn delete_assignment(&self, kind: Kind, id: &str, assignment_id: &str) -> Result<(), GraphError> {
        self.write("delete_assignment", Some(kind), assignment_id, |s| {
            let object = Self::object(s, id)?;
            let before = object.assignments.len();
            object.assignments.retain(|(aid, _)| aid != assignment_id);
            if object.assignments.len() == before {
                return Err(api(404, "ResourceNotFound", "no such assignment"));
            }
            Ok(())
        })
    }

    async fn assign(&self, kind: Kind, id: &str, targets: Vec<Value>) -> Result<(), GraphError> {
        self.write("assign", Some(kind), id, |s| {
            Self::check_groups(s, &targets)?;
            let mut assignments = Vec::new();
            for target in targets {
                s.next += 1;
                assignments.push((format!("a-{}", s.next), target));
            }
            Self::object(s, id)?.assignments = assignments;
            Ok(())
        })
    }

    async fn set_priority(&self, id: &str, priority: u32) -> Result<(), GraphError> {
        self.write("set_priority", None, id, |s| {
            Self::object(s, id)?.priority = Some(priority);
            Ok(())
        })
    }

    async fn group_exists(&self, id: &str) -> Result<bool, GraphError> {
        Ok(self.with(|s| s.objects.contains_key(id)))
    }

    async fn owners(&self, group_id: &str) -> Result<Vec<String>, GraphError> {
        self.with(|s| Ok(Self::object(s, group_id)?.owners.clone()))
    }

    async fn add_owner(&self, group_id: &str, object_id: &str) -> Result<(), GraphError> {
        self.write("add_owner", Some(Kind::DeviceGroup), group_id, |s| {
            let group = Self::object(s, group_id)?;
            if !group.owners.iter().any(|o| o == object_id) {
                group.owners.push(object_id.to_owned());
            }
            Ok(())
        })
    }

    async fn service_principal(&self, app_id: &str) -> Result<Option<String>, GraphError> {
        Ok(self.with(|s| s.service_principals.get(app_id).cloned()))
    }

    async fn create_service_principal(&self, app_id: &str) -> Result<String, GraphError> {
        self.write("create_service_principal", None, app_id, |s| {
            s.next += 1;
            let id = format!("sp-{}", s.next);
            s.service_principals.insert(app_id.to_owned(), id.clone());
            Ok(id)
        })
    }

    async fn set_device_group(&self, policy_id: &str, group_ids: &[String]) -> Result<(), GraphError> {
        self.write(
            "set_device_group",
            Some(Kind::DevicePreparationPolicy),
            policy_id,
            |s| {
                for group in group_ids {
                    if let Some(left) = s.unreplicated.get_mut(group)
                        && *left > 0
                    {
                        *left -= 1;
                        return Err(GraphError::MembershipTargetRejected {
                            policy_id: policy_id.to_owned(),
                            statuses: format!("{group}: securityGroupNotFound"),
                            codes: vec!["securityGroupNotFound".into()],
                        });
                    }
                    let owned = s.objects.get(group).is_some_and(|g| !g.owners.is_empty());
                    if !owned {
                        return Err(GraphError::MembershipTargetRejected {
                            policy_id: policy_id.to_owned(),
                            statuses: format!("{group}: firstPartyAppNotAnOwner"),
                            codes: vec!["firstPartyAppNotAnOwner".into()],
                        });
                    }
                }
                Self::object(s, policy_id)?.device_group = group_ids.to_vec();
                Ok(())
            },
        )
    }

    async fn clear_device_group(&self, policy_id: &str) -> Result<(), GraphError> {
        self.write(
            "clear_device_group",
            Some(Kind::DevicePreparationPolicy),
            policy_id,
            |s| {
                Self::object(s, policy_id)?.device_group.clear();
                Ok(())
            },
        )
    }

    async fn devices_by_serial(&self, _serial: &str) -> Result<Vec<LiveDevice>, GraphError> {
        Ok(Vec::new())
    }

    async fn import_device(&self, device: &ImportedDevice) -> Result<StagedImport, GraphError> {
        Ok(StagedImport {
            id: format!("staged-{}", device.serial_number),
            serial: device.serial_number.clone(),
            state: ImportState {
                status: "complete".into(),
                error_code: 0,
                error_name: String::new(),
            },
        })
    }

    async fn staged_by_serial(&self, _serial: &str) -> Result<Vec<StagedImport>, GraphError> {
        Ok(Vec::new())
    }

    async fn staged(&self, _id: &str) -> Result<Option<StagedImport>, GraphError> {
        Ok(None)
    }

    async fn delete_staged(&self, _id: &str) -> Result<(), GraphError> {
        Ok(())
    }

    async fn update_device(&self, _id: &str, _properties: &DeviceProperties) -> Result<(), GraphError> {
        Ok(())
    }

    async fn delete_device(&self, _id: &str) -> Result<(), GraphError> {
        Ok(())
    }

    async fn read(&self, _scope: &ReadScope) -> Result<LiveState, GraphError> {
        Ok(self.with(|s| LiveState {
            complete: Kind::ALL.into_iter().collect(),
            objects: s
                .objects
                .iter()
                .map(|(id, o)| {
                    let mut live = LiveObject::new(o.kind, id.clone(), o.name.clone());
                    live.odata_type = o.odata_type.clone();
                    live.assignments = Some(
                        o.assignments
                            .iter()
                            .map(|(aid, t)| LiveAssignment::parse(json!({"id": aid, "target": t})))
                            .collect(),
                    );
                    live
                })
                .collect(),
            ..LiveState::default()
        }))
    }
}
