//! Ids at apply time: symbolic group references ([`GroupRef`]) and the objects this run creates.
//!
//! A plan names groups by display name and carries a group's id only when the group existed
//! when it was planned; a group the plan creates gets its id here, from the create. Objects the
//! plan creates or replaces get theirs the same way, so their assignments, priority and device
//! group find them. When neither the plan nor this run knows an id, it is looked up by name:
//! that covers a group or object created by an earlier, interrupted run of the same plan.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use hangar_model::Kind;
use hangar_plan::{Action, Address, GroupRef, Op, Plan};

use crate::Error;
use crate::tenant::Tenant;

/// What this run knows about ids. Shared by every action in flight.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
    /// Held while the Intune Provisioning Client is looked up or created.
    provisioning_client: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Object ids by address: the plan's live ids, then what this run created.
    objects: HashMap<Address, String>,
    /// Group ids by display name.
    groups: HashMap<String, String>,
    /// Lower-case ids of groups created by this run: they may not have replicated yet.
    fresh: HashSet<String>,
    /// Lower-case ids of groups seen in the directory since they were created.
    readable: HashSet<String>,
    /// Object id of the Intune Provisioning Client service principal.
    provisioning_client: Option<String>,
}

impl Registry {
    /// The ids a plan already knows.
    pub fn from_plan(plan: &Plan) -> Registry {
        let mut inner = Inner::default();
        for action in &plan.actions {
            if let Some(id) = &action.live_id
                && !matches!(action.op, Op::Delete)
            {
                inner
                    .objects
                    .entry(action.address.clone())
                    .or_insert_with(|| id.clone());
                if action.address.kind == Kind::DeviceGroup {
                    inner
                        .groups
                        .entry(action.address.name.clone())
                        .or_insert_with(|| id.clone());
                }
            }
            for group in referenced_groups(action) {
                if let Some(id) = &group.id {
                    inner
                        .groups
                        .entry(group.name.clone())
                        .or_insert_with(|| id.clone());
                }
            }
        }
        Registry {
            inner: Mutex::new(inner),
            provisioning_client: tokio::sync::Mutex::new(()),
        }
    }

    /// Serialises the lookup (and creation) of the Intune Provisioning Client.
    pub async fn provisioning_client_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.provisioning_client.lock().await
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        // A panic in another action cannot leave these maps half-written: every update is a
        // single insert, so a poisoned lock still holds consistent data.
        let mut inner = match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut inner)
    }

    /// Records the id of an object this run created (or found after an unknown outcome).
    pub fn created(&self, address: &Address, id: &str) {
        self.with(|inner| {
            inner.objects.insert(address.clone(), id.to_owned());
            if address.kind == Kind::DeviceGroup {
                inner.groups.insert(address.name.clone(), id.to_owned());
                inner.fresh.insert(id.to_ascii_lowercase());
            }
        });
    }

    /// The id of the object at `address`, if known.
    pub fn object(&self, address: &Address) -> Option<String> {
        self.with(|inner| inner.objects.get(address).cloned())
    }

    /// The id of a group, if known.
    pub fn group(&self, group: &GroupRef) -> Option<String> {
        self.with(|inner| inner.groups.get(&group.name).cloned())
            .or_else(|| group.id.clone())
    }

    /// Whether the group was created by this run and not yet seen in the directory.
    pub fn needs_read_check(&self, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        self.with(|inner| inner.fresh.contains(&id) && !inner.readable.contains(&id))
    }

    /// Records that a group created by this run is readable in the directory.
    pub fn mark_readable(&self, id: &str) {
        self.with(|inner| inner.readable.insert(id.to_ascii_lowercase()));
    }

    /// The Intune Provisioning Client's object id, once known.
    pub fn provisioning_client(&self) -> Option<String> {
        self.with(|inner| inner.provisioning_client.clone())
    }

    /// Records the Intune Provisioning Client's object id.
    pub fn set_provisioning_client(&self, id: &str) {
        self.with(|inner| inner.provisioning_client = Some(id.to_owned()));
    }
}

/// Every group an action references, including those it only removes (for the registry).
fn referenced_groups(action: &Action) -> Vec<&GroupRef> {
    let mut groups = action.referenced_groups();
    match &action.op {
        Op::Assign(change) => {
            groups.extend(change.before.iter().filter_map(|a| a.target.group()));
            groups.extend(change.remove.iter().filter_map(|a| a.target.group()));
        }
        Op::Replace { live_assignments, .. } => {
            groups.extend(live_assignments.iter().filter_map(|a| a.target.group()));
        }
        _ => {}
    }
    groups
}

/// The id of `group`: from the plan, this run, or the tenant by name.
pub(crate) async fn group_id<T: Tenant>(
    tenant: &T,
    registry: &Registry,
    group: &GroupRef,
) -> Result<String, Error> {
    if let Some(id) = registry.group(group) {
        return Ok(id);
    }
    let found = tenant.find(Kind::DeviceGroup, &group.name).await?;
    match found.as_slice() {
        [one] => {
            registry.created(&Address::new(Kind::DeviceGroup, group.name.clone()), &one.id);
            Ok(one.id.clone())
        }
        [] => Err(Error::UnresolvedGroup {
            name: group.name.clone(),
        }),
        many => Err(Error::Duplicate {
            address: Address::new(Kind::DeviceGroup, group.name.clone()),
            ids: many.iter().map(|f| f.id.clone()).collect(),
        }),
    }
}

/// The id of the object an action acts on: the action's live id, else what this run created
/// at its address, else the tenant's object by that name.
pub(crate) async fn object_id<T: Tenant>(
    tenant: &T,
    registry: &Registry,
    action: &Action,
) -> Result<String, Error> {
    if let Some(id) = &action.live_id {
        return Ok(id.clone());
    }
    if let Some(id) = registry.object(&action.address) {
        return Ok(id);
    }
    let found = tenant.find(action.address.kind, &action.address.name).await?;
    match found.as_slice() {
        [one] => {
            registry.created(&action.address, &one.id);
            Ok(one.id.clone())
        }
        [] => Err(Error::UnresolvedObject {
            address: action.address.clone(),
        }),
        many => Err(Error::Duplicate {
            address: action.address.clone(),
            ids: many.iter().map(|f| f.id.clone()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use hangar_plan::{ActionId, AssignmentApi, AssignmentChange, AssignmentTarget, Body, Reason};

    use super::*;

    fn action(address: Address, live_id: Option<&str>, op: Op) -> Action {
        Action {
            id: ActionId(0),
            address,
            live_id: live_id.map(str::to_owned),
            destructive: false,
            reason: Reason::Drift,
            depends_on: vec![],
            op,
        }
    }

    #[test]
    fn plan_ids_then_created_ids() {
        let existing = GroupRef {
            name: "old".into(),
            id: Some("g-old".into()),
        };
        let new = GroupRef {
            name: "new".into(),
            id: None,
        };
        let assign = action(
            Address::new(Kind::DeploymentProfile, "p"),
            Some("p1"),
            Op::Assign(AssignmentChange {
                api: AssignmentApi::OneByOne,
                before: vec![],
                after: vec![
                    AssignmentTarget::Group {
                        group: existing.clone(),
                        filter: None,
                    },
                    AssignmentTarget::Group {
                        group: new.clone(),
                        filter: None,
                    },
                ],
                add: vec![],
                remove: vec![],
                fields: vec![],
            }),
        );
        let create = action(
            Address::new(Kind::DeviceGroup, "new"),
            None,
            Op::Create {
                body: Body::default(),
                fields: Vec::new(),
            },
        );
        let mut plan = crate::fake::plan(vec![]);
        plan.actions = vec![assign, create];
        let plan_registry = Registry::from_plan(&plan);
        assert_eq!(plan_registry.group(&existing).as_deref(), Some("g-old"));
        assert_eq!(plan_registry.group(&new), None);
        assert_eq!(
            plan_registry
                .object(&Address::new(Kind::DeploymentProfile, "p"))
                .as_deref(),
            Some("p1")
        );
        plan_registry.created(&Address::new(Kind::DeviceGroup, "new"), "G-NEW");
        assert_eq!(plan_registry.group(&new).as_deref(), Some("G-NEW"));
        assert!(plan_registry.needs_read_check("g-new"));
        plan_registry.mark_readable("G-new");
        assert!(!plan_registry.needs_read_check("g-new"));
        assert!(
            !plan_registry.needs_read_check("g-old"),
            "existing groups need no wait"
        );
    }
}
