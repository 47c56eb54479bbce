//! Guardrails: what the configuration allows any plan to do, checked on the plan about to run,
//! independently of the planner that made it.
//!
//! The planner already keeps to these rules; this check exists for the plan that did not come
//! from the planner as it is (a saved plan edited after review, a bug). The rules come from
//! the configuration ([`Guardrails::from_config`]), never from the plan, so a plan cannot widen
//! them. One table ([`RULES`]) says what each kind of action may touch:
//!
//! - creates, updates, replaces, owners, priorities, device groups and device imports or
//!   changes only for what Git declares (by kind and name, devices by serial);
//! - deletes (objects and devices) only for what Git does not declare, only with pruning on,
//!   only inside `prune.only`, never more than `maxDeletes` in one run, never a built-in;
//! - assignments of an object Git does not declare only to remove them before its delete;
//! - never two creates (or a create and a replace) of one name, never a create of a name the
//!   tenant already holds, never a second import of a serial or an import of a registered one;
//! - built-ins (the default ESP, the default restriction) are only updated.

use std::collections::{BTreeMap, BTreeSet};

use hangar_config::{DesiredState, PrunePattern};
use hangar_model::{Cloud, Kind, LiveState};
use hangar_plan::{Action, Op, Plan};

/// What an action kind may touch ([`RULES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Something the configuration declares.
    Declared,
    /// Something the configuration does not declare, inside the prune scope; counts against
    /// `maxDeletes`.
    Pruned,
    /// An object the configuration does not declare only when the same plan deletes it;
    /// otherwise something it declares.
    DeclaredOrBeingPruned,
}

/// One row of [`RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The `action` tag ([`Op::name`]).
    pub action: &'static str,
    /// What it may touch.
    pub target: Target,
    /// Whether it may touch a built-in.
    pub builtin: bool,
    /// Whether it brings an object (or a registration) into being: one per name, never over
    /// an existing one.
    pub creates: bool,
}

/// What each kind of action may do. A kind of action missing here is refused.
pub const RULES: &[Rule] = &[
    Rule {
        action: "create",
        target: Target::Declared,
        builtin: false,
        creates: true,
    },
    Rule {
        action: "update",
        target: Target::Declared,
        builtin: true,
        creates: false,
    },
    Rule {
        action: "replace",
        target: Target::Declared,
        builtin: false,
        creates: true,
    },
    Rule {
        action: "delete",
        target: Target::Pruned,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "assign",
        target: Target::DeclaredOrBeingPruned,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "add_owners",
        target: Target::Declared,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "set_priority",
        target: Target::Declared,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "set_device_group",
        target: Target::Declared,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "import_device",
        target: Target::Declared,
        builtin: false,
        creates: true,
    },
    Rule {
        action: "update_device",
        target: Target::Declared,
        builtin: false,
        creates: false,
    },
    Rule {
        action: "delete_device",
        target: Target::Pruned,
        builtin: false,
        creates: false,
    },
];

/// The configuration's limits on any plan.
#[derive(Debug, Clone)]
pub struct Guardrails {
    tenant_id: String,
    cloud: Cloud,
    prune_enabled: bool,
    prune_only: Vec<PrunePattern>,
    max_deletes: u32,
    /// Declared objects by kind and exact name; `true` for built-ins.
    declared: BTreeMap<(Kind, String), bool>,
    /// Declared device serials, upper case.
    serials: BTreeSet<String>,
}

impl Guardrails {
    /// The guardrails of `desired`.
    pub fn from_config(desired: &DesiredState) -> Guardrails {
        let mut declared = BTreeMap::new();
        for (kind, meta) in desired.objects() {
            declared.insert((kind, meta.name.value.clone()), false);
        }
        for esp in desired.esps.iter().filter(|esp| esp.builtin) {
            declared.insert((Kind::EnrollmentStatusPage, esp.meta.name.value.clone()), true);
        }
        for restriction in desired.restrictions.iter().filter(|r| r.builtin) {
            declared.insert(
                (Kind::EnrollmentRestriction, restriction.meta.name.value.clone()),
                true,
            );
        }
        let prune = &desired.tenant.prune;
        Guardrails {
            tenant_id: desired.tenant.tenant_id.value.clone(),
            cloud: desired.tenant.cloud.value,
            prune_enabled: prune.enabled.value,
            prune_only: prune.only.clone(),
            max_deletes: prune.max_deletes.value,
            declared,
            serials: desired
                .devices
                .iter()
                .map(|device| device.serial.trim().to_ascii_uppercase())
                .collect(),
        }
    }

    fn is_declared(&self, action: &Action) -> bool {
        let address = &action.address;
        if address.kind == Kind::AutopilotDevice {
            return self.serials.contains(&address.name.trim().to_ascii_uppercase());
        }
        self.declared.contains_key(&(address.kind, address.name.clone()))
    }

    fn prunable(&self, action: &Action) -> bool {
        self.prune_enabled
            && self
                .prune_only
                .iter()
                .any(|pattern| pattern.matches(action.address.kind, action.address.name.trim()))
    }

    fn is_builtin(&self, action: &Action, live: Option<&LiveState>) -> bool {
        let declared_builtin = self
            .declared
            .get(&(action.address.kind, action.address.name.clone()))
            .copied()
            .unwrap_or(false);
        let live_builtin = action
            .live_id
            .as_deref()
            .and_then(|id| live.and_then(|live| live.object_by_id(id)))
            .is_some_and(hangar_plan::matching::is_builtin);
        let suffix_builtin = action.live_id.as_deref().is_some_and(|id| {
            hangar_plan::matching::builtin_suffix(action.address.kind).is_some_and(|s| id.ends_with(s))
        });
        declared_builtin || live_builtin || suffix_builtin
    }

    /// Every way `plan` breaks these guardrails, one line each; empty when it keeps to them.
    /// `live` is the tenant as last read (for names that already exist and built-ins).
    pub fn check(&self, plan: &Plan, live: Option<&LiveState>) -> Vec<String> {
        let mut out = Vec::new();
        if !plan.tenant_id.eq_ignore_ascii_case(&self.tenant_id) || plan.cloud != self.cloud {
            out.push(format!(
                "the plan is for tenant `{}` ({}), the configuration for `{}` ({})",
                plan.tenant_id, plan.cloud, self.tenant_id, self.cloud
            ));
        }
        let deleted: BTreeSet<&hangar_plan::Address> = plan
            .actions
            .iter()
            .filter(|a| matches!(a.op, Op::Delete))
            .map(|a| &a.address)
            .collect();
        let mut creates: BTreeMap<(Kind, String), usize> = BTreeMap::new();
        let mut deletes = 0usize;
        for action in &plan.actions {
            let name = action.op.name();
            let what = format!("{} {} ({name})", action.id, action.address);
            let Some(rule) = RULES.iter().find(|rule| rule.action == name) else {
                out.push(format!("{what}: hangar does not run this kind of action"));
                continue;
            };
            let declared = self.is_declared(action);
            match rule.target {
                Target::Declared if !declared => out.push(format!(
                    "{what}: the configuration does not declare {}",
                    action.address
                )),
                Target::Pruned => {
                    deletes += 1;
                    if declared {
                        out.push(format!(
                            "{what}: the configuration declares {}, so it is never deleted",
                            action.address
                        ));
                    } else if !self.prunable(action) {
                        out.push(format!(
                            "{what}: outside `prune.only`{}",
                            if self.prune_enabled {
                                ""
                            } else {
                                " (pruning is off)"
                            }
                        ));
                    }
                }
                Target::DeclaredOrBeingPruned if !declared && !deleted.contains(&action.address) => {
                    out.push(format!(
                        "{what}: the configuration does not declare {}, and the plan does not delete it",
                        action.address
                    ));
                }
                _ => {}
            }
            if !rule.builtin && self.is_builtin(action, live) {
                out.push(format!(
                    "{what}: {} is a built-in, which hangar only updates",
                    action.address
                ));
            }
            if rule.creates {
                let key = (
                    action.address.kind,
                    if action.address.kind == Kind::AutopilotDevice {
                        action.address.name.trim().to_ascii_uppercase()
                    } else {
                        action.address.name.clone()
                    },
                );
                *creates.entry(key).or_default() += 1;
                if name != "replace"
                    && let Some(live) = live
                    && exists(live, action)
                {
                    out.push(format!(
                        "{what}: the tenant already has {}; creating it again would duplicate it",
                        action.address
                    ));
                }
            }
        }
        for ((kind, name), count) in creates {
            if count > 1 {
                out.push(format!(
                    "{kind}/{name} is created {count} times; one name is one object"
                ));
            }
        }
        if deletes > self.max_deletes as usize {
            out.push(format!(
                "{deletes} deletes, more than `maxDeletes: {}`",
                self.max_deletes
            ));
        }
        out
    }
}

/// Whether the tenant already holds what `action` (a create or an import) brings into being.
fn exists(live: &LiveState, action: &Action) -> bool {
    if action.address.kind == Kind::AutopilotDevice {
        // The same serial as the plan matches devices: exactly. A registration whose serial
        // differs only in letter case is not this device to the plan; if it is the same
        // hardware, Intune refuses the import (806) and the import names the other spelling,
        // without stopping the rest of the plan.
        let serial = action.address.name.trim();
        return live.devices.iter().any(|device| device.serial() == serial);
    }
    live.objects_of(action.address.kind)
        .any(|object| object.display_name == action.address.name)
}

#[cfg(test)]
mod tests {
    use hangar_model::LiveObject;
    use hangar_plan::{ActionId, Address, Body, Reason};

    use super::*;

    /// Pruning on for `DeviceGroup/Autopilot-*`, at most 3 deletes; two groups declared.
    fn desired() -> DesiredState {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tenant.yaml"),
            "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\nprune:\n  enabled: true\n  only:\n    - DeviceGroup/Autopilot-*\n  maxDeletes: 3\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("groups.yaml"),
            "kind: DeviceGroup\nname: Autopilot-Sales\nmembership:\n  groupTag: Sales\n---\nkind: DeviceGroup\nname: Autopilot-Kiosk\nmembership:\n  groupTag: Kiosk\n",
        )
        .unwrap();
        let loaded = hangar_config::load(dir.path()).unwrap();
        loaded
            .state
            .unwrap_or_else(|| panic!("{:#?}", loaded.diagnostics))
    }

    fn action(id: u32, kind: Kind, name: &str, op: Op) -> Action {
        Action {
            id: ActionId(id),
            address: Address::new(kind, name),
            live_id: Some(format!("live-{id}")),
            destructive: matches!(op, Op::Delete),
            reason: Reason::Drift,
            depends_on: vec![],
            op,
        }
    }

    fn plan_for(desired: &DesiredState, actions: Vec<Action>) -> Plan {
        let mut plan = crate::fake::plan(actions);
        plan.tenant_id = desired.tenant.tenant_id.value.clone();
        plan.cloud = desired.tenant.cloud.value;
        plan
    }

    #[test]
    fn a_plan_the_planner_would_make_passes() {
        let desired = desired();
        let guard = Guardrails::from_config(&desired);
        let plan = plan_for(
            &desired,
            vec![
                action(
                    0,
                    Kind::DeviceGroup,
                    "Autopilot-Sales",
                    Op::Create {
                        body: Body::default(),
                        fields: Vec::new(),
                    },
                ),
                action(1, Kind::DeviceGroup, "Autopilot-Old", Op::Delete),
            ],
        );
        assert_eq!(guard.check(&plan, None), Vec::<String>::new());
    }

    #[test]
    fn every_tampering_is_named() {
        let desired = desired();
        let guard = Guardrails::from_config(&desired);
        let mut live = LiveState::default();
        live.objects
            .push(LiveObject::new(Kind::DeviceGroup, "g1", "Autopilot-Kiosk"));
        let plan = plan_for(
            &desired,
            vec![
                // An update turned into a delete of a declared object.
                action(0, Kind::DeviceGroup, "Autopilot-Sales", Op::Delete),
                // A delete outside `prune.only`.
                action(1, Kind::DeviceGroup, "Finance Laptops", Op::Delete),
                // A create repeated, and a create of a name the tenant holds.
                action(
                    2,
                    Kind::DeviceGroup,
                    "Autopilot-Kiosk",
                    Op::Create {
                        body: Body::default(),
                        fields: Vec::new(),
                    },
                ),
                action(
                    3,
                    Kind::DeviceGroup,
                    "Autopilot-Kiosk",
                    Op::Create {
                        body: Body::default(),
                        fields: Vec::new(),
                    },
                ),
                // A create of something the configuration does not declare.
                action(
                    4,
                    Kind::DeploymentProfile,
                    "Rogue",
                    Op::Create {
                        body: Body::default(),
                        fields: Vec::new(),
                    },
                ),
            ],
        );
        let found = guard.check(&plan, Some(&live));
        let all = found.join("\n");
        assert!(
            all.contains("#0 DeviceGroup/Autopilot-Sales (delete): the configuration declares"),
            "{all}"
        );
        assert!(
            all.contains("#1 DeviceGroup/Finance Laptops (delete): outside `prune.only`"),
            "{all}"
        );
        assert!(
            all.contains("the tenant already has DeviceGroup/Autopilot-Kiosk"),
            "{all}"
        );
        assert!(
            all.contains("DeviceGroup/Autopilot-Kiosk is created 2 times"),
            "{all}"
        );
        assert!(
            all.contains("#4 DeploymentProfile/Rogue (create): the configuration does not declare"),
            "{all}"
        );
    }

    #[test]
    fn deletes_past_max_deletes_and_built_ins_are_refused() {
        let desired = desired();
        let guard = Guardrails::from_config(&desired);
        let max = desired.tenant.prune.max_deletes.value;
        let actions: Vec<Action> = (0..=max)
            .map(|i| action(i, Kind::DeviceGroup, &format!("Autopilot-Old-{i}"), Op::Delete))
            .collect();
        let found = guard.check(&plan_for(&desired, actions), None).join("\n");
        assert!(
            found.contains(&format!("{} deletes, more than `maxDeletes: {max}`", max + 1)),
            "{found}"
        );

        let mut builtin = action(0, Kind::EnrollmentStatusPage, "Default", Op::Delete);
        builtin.live_id = Some(format!("abc{}", hangar_model::well_known::DEFAULT_ESP_ID_SUFFIX));
        let found = guard.check(&plan_for(&desired, vec![builtin]), None).join("\n");
        assert!(
            found.contains("is a built-in, which hangar only updates"),
            "{found}"
        );
    }

    #[test]
    fn every_action_kind_has_a_rule() {
        let ops = [
            "create",
            "update",
            "replace",
            "delete",
            "assign",
            "add_owners",
            "set_priority",
            "set_device_group",
            "import_device",
            "update_device",
            "delete_device",
        ];
        for op in ops {
            assert!(RULES.iter().any(|rule| rule.action == op), "{op}");
        }
    }
}
