//! The [`Plan`] value: what `hangar plan` shows, what `plan --out` saves and what `apply` runs.
//!
//! A plan is self-contained: every action carries the full Graph body hangar would send, group
//! references are symbolic ([`GroupRef`]) because groups created by the same plan have no id
//! yet, and [`ReadRecord`] holds the fingerprint of every live object the plan was computed
//! from. A saved plan also records the configuration it was made from ([`Configuration`]: its
//! directory and the digest of every file read), so that `apply plan.json` can plan that
//! configuration again and run only what was reviewed ([`Plan::differences`]). The JSON form is
//! documented in `docs/plan-format.md`; [`FORMAT_VERSION`] changes when it changes
//! incompatibly.

use std::collections::BTreeSet;
use std::fmt;

use hangar_model::{Cloud, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the JSON plan format. Readers must refuse any other version. 2: the
/// `configuration` a saved plan was made from, which `apply` needs. 3: changes name the YAML
/// field (`field`) before the Graph property (`graph`, was `path`); creates list their YAML
/// fields; validation warnings are recorded.
pub const FORMAT_VERSION: u32 = 3;

/// The result of planning: ordered actions, device impact and what was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`FORMAT_VERSION`] for plans this build writes.
    pub format_version: u32,
    /// The version of hangar that made the plan.
    pub hangar_version: String,
    /// The cloud of the tenant.
    pub cloud: Cloud,
    /// `Tenant.tenantId`.
    pub tenant_id: String,
    /// `Tenant.name`: a label for people.
    pub tenant: String,
    /// Counts per resource.
    pub summary: Summary,
    /// Every action, in a valid execution order (a topological order of `depends_on`).
    pub actions: Vec<Action>,
    /// Where known devices land before and after.
    pub impact: crate::impact::Impact,
    /// What the plan was computed from.
    pub read: ReadRecord,
    /// Things a reviewer should know that do not stop the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The configuration's validation warnings (what `hangar validate` reports without
    /// stopping), so that a pull-request comment shows them; set by the CLI, which loads the
    /// configuration (the planner sees only the validated state).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation: Vec<ValidationWarning>,
    /// Live objects not in the configuration that are assigned to managed groups (or all
    /// devices); each also has a sentence in `warnings`. Additive: absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<crate::unmanaged::UnmanagedObject>,
    /// The configuration the plan was made from; set by `hangar plan --out` (the planner
    /// itself does no IO and leaves it `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    /// Who last changed the objects that differ, from the tenant's audit logs: filled by
    /// `hangar drift` only, never by planning (a plan is a pure function of Git and the tenant).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ObjectHistory>,
}

/// One validation warning of the configuration a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationWarning {
    /// The rule id (`docs/rules.md`).
    pub rule: String,
    /// What the rule found.
    pub message: String,
    /// The file, as shown to people.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl ValidationWarning {
    /// The warnings among `diagnostics` (errors stop a plan before it is made).
    pub fn of(
        diagnostics: &[hangar_config::Diagnostic],
        sources: &hangar_config::SourceMap,
    ) -> Vec<ValidationWarning> {
        diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| {
                let at = sources.location(d.span);
                ValidationWarning {
                    rule: d.rule.to_owned(),
                    message: d.message.clone(),
                    file: at.file,
                    line: at.line,
                }
            })
            .collect()
    }
}

/// The configuration a saved plan was made from: where it was, and the digest of every file
/// read ([`hangar_config::ConfigDigest`]). `apply plan.json` loads the configuration from
/// `dir` (or `--config`), refuses it unless the digest is equal, plans it again and refuses
/// unless the actions are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// The directory (or YAML file) as given to `hangar plan`, relative to where it ran.
    pub dir: String,
    /// The digest and its files.
    #[serde(flatten)]
    pub digest: hangar_config::ConfigDigest,
}

/// The newest audit-log events of one object that differs from Git.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectHistory {
    /// The object.
    pub address: Address,
    /// Its Graph id.
    pub live_id: String,
    /// Newest first.
    pub events: Vec<hangar_model::audit::ChangeEvent>,
}

impl Plan {
    /// The objects that differ and exist in the tenant (kind, address, Graph id), each once,
    /// in action order: what `hangar drift` asks the audit logs about.
    pub fn drifted_objects(&self) -> Vec<(&Address, &str)> {
        let mut seen = BTreeSet::new();
        self.actions
            .iter()
            .filter_map(|action| action.live_id.as_deref().map(|id| (&action.address, id)))
            .filter(|(_, id)| seen.insert(*id))
            .collect()
    }

    /// Attaches audit-log events read per Graph id (`hangar drift`) to the objects they are
    /// about; events of an id no action has are dropped.
    pub fn attach_history(&mut self, events: Vec<(String, Vec<hangar_model::audit::ChangeEvent>)>) {
        for (id, events) in events {
            let address = self
                .actions
                .iter()
                .find(|action| action.live_id.as_deref() == Some(id.as_str()))
                .map(|action| action.address.clone());
            if let Some(address) = address {
                self.history.push(ObjectHistory {
                    address,
                    live_id: id,
                    events,
                });
            }
        }
    }

    /// The history of the object at `address`, if drift read one.
    pub fn history_of(&self, address: &Address) -> Option<&ObjectHistory> {
        self.history.iter().find(|history| &history.address == address)
    }

    /// Whether applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// Reads a plan saved with `--out`, refusing other format versions.
    pub fn from_json(text: &str) -> Result<Plan, crate::Error> {
        #[derive(Deserialize)]
        struct Probe {
            format_version: Option<u32>,
        }
        let probe: Probe = serde_json::from_str(text).map_err(crate::Error::PlanFile)?;
        match probe.format_version {
            Some(FORMAT_VERSION) => serde_json::from_str(text).map_err(crate::Error::PlanFile),
            found => Err(crate::Error::PlanVersion {
                found,
                supported: FORMAT_VERSION,
            }),
        }
    }

    /// The action with this id.
    pub fn action(&self, id: ActionId) -> Option<&Action> {
        self.actions.iter().find(|action| action.id == id)
    }

    /// How the actions of `now` (a plan made again from the same configuration) differ from
    /// this plan's, one line each; empty when they are the same actions in the same order.
    /// Hash locations are compared relative to each plan's configuration directory, so the same
    /// configuration checked out elsewhere compares equal.
    pub fn differences(&self, now: &Plan) -> Vec<String> {
        let saved = comparable(self);
        let fresh = comparable(now);
        let mut out = Vec::new();
        let key = |action: &Action| (action.address.clone(), action.op.name());
        for (index, action) in saved.iter().enumerate() {
            let found = fresh.iter().position(|other| key(other) == key(action));
            match found {
                None => out.push(format!(
                    "{} {} {}: in the saved plan, not in a plan made now",
                    action.symbol(),
                    action.address,
                    action.op.name()
                )),
                Some(position) => {
                    let other = &fresh[position];
                    if let Some(path) = first_difference(action, other) {
                        out.push(format!(
                            "{} {} {}: differs at `{path}`",
                            action.symbol(),
                            action.address,
                            action.op.name()
                        ));
                    } else if position != index {
                        out.push(format!(
                            "{} {} {}: in another order (step {} then, {} now)",
                            action.symbol(),
                            action.address,
                            action.op.name(),
                            index,
                            position
                        ));
                    }
                }
            }
        }
        for action in &fresh {
            if !saved.iter().any(|other| key(other) == key(action)) {
                out.push(format!(
                    "{} {} {}: a plan made now has it, the saved plan does not",
                    action.symbol(),
                    action.address,
                    action.op.name()
                ));
            }
        }
        out
    }
}

/// `plan`'s actions with hash locations made relative to its configuration directory.
fn comparable(plan: &Plan) -> Vec<Action> {
    let dir = plan.configuration.as_ref().map(|c| c.dir.clone());
    plan.actions
        .iter()
        .cloned()
        .map(|mut action| {
            // The YAML terms are derived from the same configuration (its digest is compared)
            // and name files relative to where hangar ran: not part of what was reviewed.
            match &mut action.op {
                Op::Create { fields, .. } => fields.clear(),
                Op::Update { changes, .. } | Op::Replace { changes, .. } => {
                    changes.iter_mut().for_each(|change| change.field = None);
                }
                Op::Assign(change) => change.fields.clear(),
                _ => {}
            }
            if let (Op::ImportDevice(import), Some(dir)) = (&mut action.op, &dir) {
                let csv = std::path::Path::new(&import.source.csv);
                if let Ok(inside) = csv.strip_prefix(dir) {
                    import.source.csv = inside.to_string_lossy().into_owned();
                }
            }
            action
        })
        .collect()
}

/// The JSON pointer of the first place where two actions differ, if they do.
fn first_difference(a: &Action, b: &Action) -> Option<String> {
    fn walk(a: &Value, b: &Value, at: &mut String) -> bool {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let (Some(xv), Some(yv)) = (x.get(key), y.get(key)) else {
                        at.push('/');
                        at.push_str(key);
                        return true;
                    };
                    let len = at.len();
                    at.push('/');
                    at.push_str(key);
                    if walk(xv, yv, at) {
                        return true;
                    }
                    at.truncate(len);
                }
                false
            }
            (Value::Array(x), Value::Array(y)) => {
                for (i, (xv, yv)) in x.iter().zip(y).enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    if walk(xv, yv, at) {
                        return true;
                    }
                    at.truncate(len);
                }
                if x.len() != y.len() {
                    at.push_str(&format!("/{}", x.len().min(y.len())));
                    return true;
                }
                false
            }
            _ => a != b,
        }
    }
    let (Ok(x), Ok(y)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return (a != b).then(String::new);
    };
    let mut at = String::new();
    walk(&x, &y, &mut at).then_some(at)
}

/// Counts per resource (an object or a device), not per action: an object created together
/// with its assignments counts once, as a create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Objects to create.
    pub create: usize,
    /// Objects to change in place (fields, assignments, owners, priority, device group).
    pub update: usize,
    /// Objects to delete and create again because a create-only field changed.
    pub replace: usize,
    /// Objects to delete (pruning).
    pub delete: usize,
    /// Desired objects that already match the tenant.
    pub unchanged: usize,
    /// Device registrations.
    pub devices: DeviceSummary,
}

impl Summary {
    /// Total number of resources that change.
    pub fn changed(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.devices.changed()
    }
}

/// Device registration counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Serials to import.
    pub import: usize,
    /// Registered devices whose group tag or assigned user changes.
    pub update: usize,
    /// Registered devices to delete (pruning).
    pub delete: usize,
    /// Devices in CSVs that already match the tenant.
    pub unchanged: usize,
}

impl DeviceSummary {
    /// Devices that change.
    pub fn changed(&self) -> usize {
        self.import + self.update + self.delete
    }
}

/// Identifies an action within its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionId(pub u32);

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a resource is: its kind and its name (a serial number for devices).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Address {
    /// The kind.
    pub kind: Kind,
    /// The display name (`name` of Device Preparation policies; the serial of devices).
    pub name: String,
}

impl Address {
    /// An address.
    pub fn new(kind: Kind, name: impl Into<String>) -> Address {
        Address {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// A group's membership type changing: Entra drops members ("When changing an existing static
/// group to a dynamic group, all existing members are removed from the group, and then the
/// membership rule is processed", Microsoft Learn, groups-change-type), or stops following the
/// rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChange {
    /// `true`: assigned → dynamic; `false`: dynamic → assigned.
    pub to_dynamic: bool,
    /// The group's direct members now (`GET /groups/{id}/members/$count`), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
}

impl MembershipChange {
    /// One sentence for the text and Markdown plans.
    pub fn sentence(&self) -> String {
        let members = |n: Option<u64>| {
            n.map_or_else(
                || "its members (not counted)".to_owned(),
                |n| hangar_model::plural::count(n as usize, "member", "members"),
            )
        };
        if self.to_dynamic {
            format!(
                "membership: assigned → dynamic drops {}: Entra removes every explicit member, then adds the devices the rule matches (destructive)",
                members(self.members)
            )
        } else {
            format!(
                "membership: dynamic → assigned: Entra stops evaluating the rule, so no device joins or leaves by rule any more; the group has {} now (destructive)",
                members(self.members)
            )
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Position in [`Plan::actions`]; dependencies refer to it.
    pub id: ActionId,
    /// The resource acted on.
    pub address: Address,
    /// Graph id of the live object, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_id: Option<String>,
    /// Whether the action deletes something (delete, replace, device delete) or drops a
    /// group's members (a membership type change).
    pub destructive: bool,
    /// Why the action is planned.
    pub reason: Reason,
    /// Actions that must finish first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ActionId>,
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
}

impl Action {
    /// Every group this action references (in its body, targets or binding), for ordering and
    /// for apply's "wait until the group is visible".
    pub fn referenced_groups(&self) -> Vec<&GroupRef> {
        let mut groups: Vec<&GroupRef> = Vec::new();
        match &self.op {
            Op::Create { body, .. } | Op::Update { body, .. } | Op::Replace { body, .. } => {
                groups.extend(body.group_slots.iter().map(|slot| &slot.group));
            }
            Op::Assign(change) => {
                groups.extend(change.after.iter().filter_map(AssignmentTarget::group));
            }
            Op::SetDeviceGroup { after, .. } => groups.extend(after.iter()),
            _ => {}
        }
        groups
    }

    /// The terraform-like symbol of the action: `+`, `~`, `-/+`, `-`.
    pub fn symbol(&self) -> &'static str {
        self.op.symbol()
    }
}

/// What an action does. The set is closed: `apply` handles every variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Op {
    /// POST a new object with `body`.
    Create {
        /// The full create body.
        body: Body,
        /// The object's fields in YAML terms (every row of its kind with a value), what plans
        /// show instead of the body; `after` only.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<FieldRef>,
    },
    /// Change fields of an existing object. `body` is the complete write body (create-only
    /// fields removed): PATCH for most kinds, PUT (with `settings`) for Device Preparation.
    Update {
        /// The fields that differ.
        changes: Vec<Change>,
        /// The complete write body.
        body: Body,
        /// Groups only: the membership type changes (assigned ↔ dynamic), which makes the
        /// action destructive. Additive: absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        membership: Option<MembershipChange>,
    },
    /// A create-only field changed: the object must be deleted and created again (new id,
    /// assignments re-created by the assignment actions that depend on this one).
    Replace {
        /// The fields that differ; those with `create_only` force the replace.
        changes: Vec<Change>,
        /// The full create body of the new object.
        body: Body,
        /// The old object's direct assignments, which must be removed before it is deleted.
        live_assignments: Vec<Assignment>,
        /// Properties of the old object that hangar does not manage and the new object will
        /// not have (set in the admin center, or new in Graph): lost by the replace.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lost: Vec<String>,
    },
    /// Delete the object (its assignments are removed by an earlier action).
    Delete,
    /// Change an object's assignments.
    Assign(AssignmentChange),
    /// Add owners to a group. Owners not listed in Git are left alone.
    AddOwners {
        /// Owners to add.
        add: Vec<OwnerRef>,
    },
    /// Set an ESP's or restriction's priority with `POST …/setPriority`.
    SetPriority {
        /// Live priority (`None` for an object this plan creates or replaces).
        before: Option<u32>,
        /// Priority to set.
        after: u32,
    },
    /// Bind a Device Preparation policy's device group with
    /// `setEnrollmentTimeDeviceMembershipTarget` (or clear it when `after` is `None`).
    SetDeviceGroup {
        /// Group ids bound now.
        before: Vec<String>,
        /// The group to bind.
        after: Option<GroupRef>,
    },
    /// Import a device registration (`importedWindowsAutopilotDeviceIdentities/import`).
    ImportDevice(DeviceImport),
    /// Change a registered device with `updateDeviceProperties`.
    UpdateDevice(DeviceUpdate),
    /// Delete a registered device (pruning).
    DeleteDevice {
        /// Serial number as Graph returned it.
        serial_number: String,
    },
}

impl Op {
    /// The terraform-like symbol: `+` create, `~` change, `-/+` replace, `-` delete.
    pub fn symbol(&self) -> &'static str {
        match self {
            Op::Create { .. } | Op::ImportDevice(_) => "+",
            Op::Replace { .. } => "-/+",
            Op::Delete | Op::DeleteDevice { .. } => "-",
            _ => "~",
        }
    }

    /// The `action` tag as it appears in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Create { .. } => "create",
            Op::Update { .. } => "update",
            Op::Replace { .. } => "replace",
            Op::Delete => "delete",
            Op::Assign(_) => "assign",
            Op::AddOwners { .. } => "add_owners",
            Op::SetPriority { .. } => "set_priority",
            Op::SetDeviceGroup { .. } => "set_device_group",
            Op::ImportDevice(_) => "import_device",
            Op::UpdateDevice(_) => "update_device",
            Op::DeleteDevice { .. } => "delete_device",
        }
    }
}

/// Why an action is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The object is in Git and not in the tenant.
    NotInTenant,
    /// The tenant differs from Git.
    Drift,
    /// A field Graph takes only on create differs.
    CreateOnlyField,
    /// The object is in the tenant, not in Git, and inside `prune.only`.
    Pruned,
    /// The object is about to be deleted: its assignments go first.
    UnassignBeforeDelete,
    /// The object is new (or replaced): its assignments, owners, priority or device group are
    /// set after it exists.
    NewObject,
    /// Priorities are rewritten in order so that no two objects ever share one.
    PriorityOrder,
    /// A device serial in a CSV is not registered.
    NotRegistered,
    /// A registered device is in no CSV and inside `prune.only`.
    NotInCsv,
    /// The document's `renamedFrom:` names the live object: it is renamed in place.
    Renamed,
}

impl Reason {
    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::NotInTenant => "in Git, not in the tenant",
            Reason::Drift => "the tenant differs from Git",
            Reason::CreateOnlyField => "a field Graph sets only on create changed",
            Reason::Pruned => "in the tenant, not in Git, and pruning is on for it",
            Reason::UnassignBeforeDelete => "assignments are removed before the object is deleted",
            Reason::NewObject => "set once the new object exists",
            Reason::PriorityOrder => "priorities are set in order so that no two objects share one",
            Reason::NotRegistered => "in a devices CSV, not registered",
            Reason::NotInCsv => "registered, in no devices CSV, and pruning is on for it",
            Reason::Renamed => "renamed in place (`renamedFrom:`): one update, same object, no gap",
        }
    }
}

/// One field that differs. Values are shown normalised (what was compared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Dotted path of the Graph property, e.g. `outOfBoxExperienceSetting.userType` (`graph`
    /// in JSON: the secondary name, after [`Change::field`]).
    #[serde(rename = "graph")]
    pub path: String,
    /// Live value (Graph form); `None` when absent.
    pub before: Option<Value>,
    /// Desired value (Graph form); `None` when absent.
    pub after: Option<Value>,
    /// Graph takes this field only on create: changing it replaces the object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    /// The YAML field the property comes from, where it is written and its values in YAML
    /// form; `None` for a property no table row maps (what the reviewer then sees is the
    /// Graph path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldRef>,
}

/// A YAML field as the reviewer wrote it: the configuration's terms of a [`Change`] (from the
/// mapping tables of `hangar_config::fields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRef {
    /// Dotted YAML path in the document: `collectLogs`, `oobe.userType`.
    pub name: String,
    /// The file, as shown to people (relative to where hangar ran).
    pub file: String,
    /// 1-based line of the value, or of the document's `kind:` when the field is omitted.
    pub line: u32,
    /// The field is not written: its default applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// The live value in YAML form (`mode: user-driven`, not a choice id); `None` when hangar
    /// cannot say it in YAML terms (the Graph value in [`Change::before`] is then the one shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The desired value in YAML form, as the document holds it (names, not ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

impl FieldRef {
    /// `file:line`.
    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A reference to a group by name, with its live id when the group already exists. A group the
/// same plan creates has no id until apply creates it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupRef {
    /// Display name.
    pub name: String,
    /// Live id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl fmt::Display for GroupRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A Graph request body with symbolic group references.
///
/// `value` is the body as hangar would send it; at each [`GroupSlot::pointer`] (a JSON pointer
/// into `value`) it holds the group's live id when known and `null` otherwise. Apply fills every
/// slot with the resolved id ([`Body::resolve`]) before sending.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Body {
    /// The body.
    pub value: Map<String, Value>,
    /// Where group ids go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_slots: Vec<GroupSlot>,
}

impl Body {
    /// A body without group references.
    pub fn new(value: Map<String, Value>) -> Body {
        Body {
            value,
            group_slots: Vec::new(),
        }
    }

    /// The body with every group slot filled by `resolve`; `Err` names the first group it
    /// could not resolve.
    pub fn resolve(&self, resolve: impl Fn(&GroupRef) -> Option<String>) -> Result<Value, GroupRef> {
        let mut value = Value::Object(self.value.clone());
        for slot in &self.group_slots {
            let id = resolve(&slot.group).ok_or_else(|| slot.group.clone())?;
            if let Some(target) = value.pointer_mut(&slot.pointer) {
                *target = Value::String(id);
            }
        }
        Ok(value)
    }
}

/// A place in a [`Body`] that holds a group id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSlot {
    /// JSON pointer into [`Body::value`], e.g. `/settings/8/settingInstance/simpleSettingValue/value`.
    pub pointer: String,
    /// The group.
    pub group: GroupRef,
}

/// How a kind's assignments are written (graph-api-notes §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentApi {
    /// Autopilot profiles: `POST …/assignments` one at a time, `DELETE …/assignments/{id}`.
    /// Apply uses [`AssignmentChange::add`] and [`AssignmentChange::remove`].
    OneByOne,
    /// ESPs and restrictions: `POST …/assign` with `enrollmentConfigurationAssignments`, the
    /// whole list ([`AssignmentChange::after`]; empty clears).
    EnrollmentConfigurationAssign,
    /// Domain join profiles and Device Preparation policies: `POST …/assign` with
    /// `assignments`, the whole list.
    Assign,
}

/// A change of an object's assignments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentChange {
    /// How to write them.
    pub api: AssignmentApi,
    /// Direct assignments now (empty for an object this plan creates).
    pub before: Vec<Assignment>,
    /// Every target after the change.
    pub after: Vec<AssignmentTarget>,
    /// Targets to add.
    pub add: Vec<AssignmentTarget>,
    /// Assignments to remove.
    pub remove: Vec<Assignment>,
    /// Where the object's targets are written, one entry per YAML list (`assign.include`,
    /// `assign.exclude`, a Device Preparation policy's `userGroups`) with the list in YAML
    /// terms as `after`; empty for an object not in Git (pruned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldRef>,
}

/// A live assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Assignment id (needed to delete a profile assignment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its target.
    pub target: AssignmentTarget,
}

/// What an assignment targets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssignmentTarget {
    /// `#microsoft.graph.groupAssignmentTarget`.
    Group {
        /// The group.
        group: GroupRef,
        /// The assignment filter that narrows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<FilterRef>,
    },
    /// `#microsoft.graph.exclusionGroupAssignmentTarget` (Intune takes no filter on an
    /// exclusion).
    ExcludeGroup {
        /// The group.
        group: GroupRef,
    },
    /// `#microsoft.graph.allDevicesAssignmentTarget`.
    AllDevices {
        /// The assignment filter that narrows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<FilterRef>,
    },
    /// `#microsoft.graph.allLicensedUsersAssignmentTarget`.
    AllUsers {
        /// The assignment filter that narrows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<FilterRef>,
    },
    /// A target type hangar does not manage (only ever on the live side): kept as it is, and
    /// sent back unchanged when a replace-all `assign` rewrites the list.
    Other {
        /// Its `@odata.type`.
        odata_type: String,
        /// Its `groupId`, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
        /// The target as Graph returned it (JSON text).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
}

/// An Intune assignment filter on a target: its name (as YAML and the admin center show it),
/// its id in the tenant, and whether it includes or excludes the devices it matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FilterRef {
    /// `displayName`, or the id when the tenant has no filter with that id.
    pub name: String,
    /// `deviceAndAppManagementAssignmentFilterId`.
    pub id: String,
    /// `deviceAndAppManagementAssignmentFilterType`.
    pub mode: hangar_model::FilterMode,
}

impl fmt::Display for FilterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter `{}` ({})", self.name, self.mode)
    }
}

impl AssignmentTarget {
    /// The group targeted or excluded, if any.
    pub fn group(&self) -> Option<&GroupRef> {
        match self {
            AssignmentTarget::Group { group, .. } | AssignmentTarget::ExcludeGroup { group } => Some(group),
            _ => None,
        }
    }

    /// The assignment filter that narrows the target, if any.
    pub fn filter(&self) -> Option<&FilterRef> {
        match self {
            AssignmentTarget::Group { filter, .. }
            | AssignmentTarget::AllDevices { filter }
            | AssignmentTarget::AllUsers { filter } => filter.as_ref(),
            AssignmentTarget::ExcludeGroup { .. } | AssignmentTarget::Other { .. } => None,
        }
    }

    /// The target in the configuration's terms for an object of `kind`: the YAML list it
    /// belongs to (`assign.include`, `assign.exclude`; a Device Preparation policy's
    /// `userGroups`) and the entry as YAML writes it (`Autopilot-Sales`, `all-devices`, or
    /// `{target, filter, filterMode}` when a filter narrows it). `None` for a target hangar does
    /// not model (the renderers show it in Graph terms).
    pub fn yaml(&self, kind: Kind) -> Option<(&'static str, Value)> {
        let include = match kind {
            Kind::DevicePreparationPolicy => "userGroups",
            _ => "assign.include",
        };
        let (list, target) = match self {
            AssignmentTarget::Group { group, .. } => (include, group.name.as_str()),
            AssignmentTarget::ExcludeGroup { group } => ("assign.exclude", group.name.as_str()),
            AssignmentTarget::AllDevices { .. } => (include, "all-devices"),
            AssignmentTarget::AllUsers { .. } => (include, "all-users"),
            AssignmentTarget::Other { .. } => return None,
        };
        let entry = match self.filter() {
            Some(filter) => serde_json::json!({
                "target": target,
                "filter": filter.name,
                "filterMode": filter.mode.name(),
            }),
            None => Value::String(target.to_owned()),
        };
        Some((list, entry))
    }

    /// Whether this is `all devices` (with or without a filter).
    pub fn is_all_devices(&self) -> bool {
        matches!(self, AssignmentTarget::AllDevices { .. })
    }

    /// The Graph `target` object, with group ids from `resolve`; `None` when a group cannot be
    /// resolved or the target is not one hangar writes.
    pub fn to_graph(&self, resolve: impl Fn(&GroupRef) -> Option<String>) -> Option<Value> {
        use hangar_model::well_known::odata;
        let mut target = Map::new();
        let (odata_type, group) = match self {
            AssignmentTarget::Group { group, .. } => (odata::GROUP_TARGET, Some(group)),
            AssignmentTarget::ExcludeGroup { group } => (odata::EXCLUSION_GROUP_TARGET, Some(group)),
            AssignmentTarget::AllDevices { .. } => (odata::ALL_DEVICES_TARGET, None),
            AssignmentTarget::AllUsers { .. } => (odata::ALL_USERS_TARGET, None),
            AssignmentTarget::Other { target, .. } => {
                return target.as_deref().and_then(|text| serde_json::from_str(text).ok());
            }
        };
        target.insert("@odata.type".into(), Value::String(odata_type.into()));
        if let Some(group) = group {
            target.insert("groupId".into(), Value::String(resolve(group)?));
        }
        if let Some(filter) = self.filter() {
            target.insert(
                "deviceAndAppManagementAssignmentFilterId".into(),
                Value::String(filter.id.clone()),
            );
            target.insert(
                "deviceAndAppManagementAssignmentFilterType".into(),
                Value::String(filter.mode.name().to_owned()),
            );
        }
        Some(Value::Object(target))
    }
}

impl fmt::Display for AssignmentTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignmentTarget::Group { group, .. } => write!(f, "group `{}`", group.name)?,
            AssignmentTarget::ExcludeGroup { group } => write!(f, "exclude group `{}`", group.name)?,
            AssignmentTarget::AllDevices { .. } => f.write_str("all devices")?,
            AssignmentTarget::AllUsers { .. } => f.write_str("all users")?,
            AssignmentTarget::Other {
                odata_type, group_id, ..
            } => {
                return match group_id {
                    Some(id) => write!(f, "{odata_type} `{id}`"),
                    None => f.write_str(odata_type),
                };
            }
        }
        match self.filter() {
            Some(filter) => write!(f, " with {filter}"),
            None => Ok(()),
        }
    }
}

/// A group owner to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OwnerRef {
    /// The Intune Provisioning Client service principal (app id
    /// [`hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID`]); `object_id` is `None`
    /// when the tenant has no such service principal yet (apply must create it first).
    IntuneProvisioningClient {
        /// Its object id in the tenant, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object_id: Option<String>,
    },
    /// A user or service principal by object id.
    Object {
        /// Object id.
        object_id: String,
    },
}

impl fmt::Display for OwnerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnerRef::IntuneProvisioningClient { .. } => f.write_str("Intune Provisioning Client"),
            OwnerRef::Object { object_id } => write!(f, "`{object_id}`"),
        }
    }
}

/// A device to import. The hardware hash is not in the plan (4 KB per device): apply reads it
/// back from `source` with `hangar_config::devices::read_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceImport {
    /// Serial number (trimmed).
    pub serial_number: String,
    /// Group tag to register with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_tag: Option<String>,
    /// User to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_user: Option<String>,
    /// Windows product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_key: Option<String>,
    /// Display name to set with `updateDeviceProperties` once the device is registered (an
    /// import cannot carry one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Where the hardware hash is.
    pub source: HashSource,
}

/// Where a device's hardware hash is: a CSV, the record and the column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashSource {
    /// The CSV, as hangar opened it.
    pub csv: String,
    /// 1-based data row.
    pub row: u32,
    /// Byte offset of the record.
    pub record_offset: u64,
    /// 0-based column of the hash.
    pub column: u32,
}

/// A change to a registered device through `updateDeviceProperties`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceUpdate {
    /// Serial number as Graph returned it.
    pub serial_number: String,
    /// The fields that differ (`groupTag`, `userPrincipalName`, `displayName`).
    pub changes: Vec<Change>,
    /// Group tag to set (`""` clears it).
    pub group_tag: String,
    /// Assigned user to set (`None`: leave as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name to set (`None`: leave as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// What the plan was computed from. `apply plan.json` re-reads these objects and refuses the
/// plan when any fingerprint differs or an object appeared where the plan creates one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadRecord {
    /// Kinds read completely.
    pub complete: BTreeSet<Kind>,
    /// Every live object read, with its fingerprint
    /// ([`hangar_model::LiveObject::fingerprint`]).
    pub objects: Vec<ObjectFingerprint>,
    /// Whether the owners of the groups were read, and so are part of their fingerprints.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_owners: bool,
    /// Number of registered devices read.
    pub devices: usize,
    /// A digest over the fingerprints of every device read (sorted by id); `None` when no
    /// device was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices_digest: Option<String>,
    /// Fingerprints of the devices the plan acts on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_fingerprints: Vec<DeviceFingerprint>,
}

/// A live object's identity and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectFingerprint {
    /// Kind.
    pub kind: Kind,
    /// Graph id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// [`hangar_model::LiveObject::fingerprint`].
    pub fingerprint: String,
}

/// A live device's identity and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFingerprint {
    /// Graph id.
    pub id: String,
    /// Serial number (trimmed).
    pub serial: String,
    /// [`hangar_model::LiveDevice::fingerprint`].
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn body_resolve_fills_slots() {
        let body = Body {
            value: json!({"settings": [{"value": null}]})
                .as_object()
                .cloned()
                .unwrap(),
            group_slots: vec![GroupSlot {
                pointer: "/settings/0/value".into(),
                group: GroupRef {
                    name: "g".into(),
                    id: None,
                },
            }],
        };
        let resolved = body
            .resolve(|group| (group.name == "g").then(|| "id-1".to_owned()))
            .unwrap();
        assert_eq!(resolved, json!({"settings": [{"value": "id-1"}]}));
        assert_eq!(body.resolve(|_| None).unwrap_err().name, "g");
    }

    #[test]
    fn target_to_graph() {
        let target = AssignmentTarget::Group {
            group: GroupRef {
                name: "g".into(),
                id: Some("x".into()),
            },
            filter: None,
        };
        let value = target.to_graph(|group| group.id.clone()).unwrap();
        assert_eq!(
            value,
            json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "x"})
        );
        assert_eq!(
            AssignmentTarget::AllDevices { filter: None }.to_graph(|_| None),
            Some(json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}))
        );
        let filtered = AssignmentTarget::AllDevices {
            filter: Some(FilterRef {
                name: "Kiosks".into(),
                id: "f1".into(),
                mode: hangar_model::FilterMode::Exclude,
            }),
        };
        assert_eq!(
            filtered.to_graph(|_| None),
            Some(
                json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                "deviceAndAppManagementAssignmentFilterId": "f1",
                "deviceAndAppManagementAssignmentFilterType": "exclude"})
            )
        );
        assert_eq!(filtered.to_string(), "all devices with filter `Kiosks` (exclude)");
        // The JSON plan of a target without a filter is what it was before filters existed.
        assert_eq!(
            serde_json::to_value(AssignmentTarget::AllDevices { filter: None }).unwrap(),
            json!({"type": "all_devices"})
        );
    }

    #[test]
    fn op_round_trips_through_json() {
        let action = Action {
            id: ActionId(0),
            address: Address::new(Kind::DeploymentProfile, "p"),
            live_id: Some("id".into()),
            destructive: false,
            reason: Reason::Drift,
            depends_on: vec![],
            op: Op::SetPriority {
                before: Some(2),
                after: 1,
            },
        };
        let text = serde_json::to_string(&action).unwrap();
        assert!(text.contains(r#""action":"set_priority""#), "{text}");
        let back: Action = serde_json::from_str(&text).unwrap();
        assert_eq!(back, action);
    }
}
