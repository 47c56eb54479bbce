//! Autopilot's deployment profile assignment, on the simulated clock: which registered devices
//! a profile reaches, written to their `deploymentProfileAssignmentStatus`.
//!
//! Autopilot evaluates group membership and assigns a profile minutes after a device registers
//! or its groups change. The simulator does it at once, whenever a change could alter the
//! outcome: an import completes, a device's group tag changes, a profile or one of its
//! assignments is created or deleted, a group is created, changed or deleted.
//!
//! Membership is evaluated for the two rule shapes Autopilot groups use, and only those: the
//! group tag rule `device.devicePhysicalIds -any (_ -eq "[OrderID]:TAG")` (with or without the
//! inner parentheses, any case and spacing) and the all-Autopilot-devices rule
//! `device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")`. Any other rule, and an assigned
//! group, reaches no device here (the simulator does not evaluate the rule language; hangar's
//! own evaluator is in `hangar-membership`, deliberately not reused). `allDevices` targets
//! reach every device; exclusion targets win over inclusions.
//!
//! Only the two states the simulator itself produces are rewritten, `notAssigned` and
//! `assignedInSync`: a status seeded by a test (`pending`, `failed`, `assignedOutOfSync`,
//! `unknown`) stays until the test changes it.

use std::collections::{BTreeSet, HashMap};

use crate::state::SimState;

const ASSIGNED: &str = "assignedInSync";
const NOT_ASSIGNED: &str = "notAssigned";

/// Which devices a group holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Members {
    /// Devices with this group tag (lower case).
    Tag(String),
    /// Every registered device.
    All,
    /// None (assigned groups, rules the simulator does not evaluate, missing groups).
    Nobody,
}

/// The members of a dynamic rule, for the two Autopilot shapes (see the module docs).
fn members_of_rule(rule: &str) -> Members {
    let (Some(open), Some(close)) = (rule.find('"'), rule.rfind('"')) else {
        return Members::Nobody;
    };
    if close <= open {
        return Members::Nobody;
    }
    let literal = &rule[open + 1..close];
    let shape: String = format!("{}\u{0}{}", &rule[..open], &rule[close + 1..])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let shape = shape.trim_start_matches('(').trim_end_matches(')');
    let equals = [
        "device.devicephysicalids-any(_-eq\u{0}",
        "device.devicephysicalids-any_-eq\u{0}",
    ];
    let starts = [
        "device.devicephysicalids-any(_-startswith\u{0}",
        "device.devicephysicalids-any_-startswith\u{0}",
    ];
    if equals.contains(&shape) {
        let lower = literal.to_ascii_lowercase();
        if let Some(tag) = lower.strip_prefix("[orderid]:") {
            return Members::Tag(tag.trim().to_owned());
        }
    } else if starts.contains(&shape) && literal.eq_ignore_ascii_case("[ZTDId]") {
        return Members::All;
    }
    Members::Nobody
}

/// The groups one profile includes and excludes, as [`Members`] collapsed into a set of tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Reach {
    all: bool,
    /// Group tags, lower case.
    tags: BTreeSet<String>,
}

impl Reach {
    fn add(&mut self, members: Members) {
        match members {
            Members::Tag(tag) => {
                self.tags.insert(tag);
            }
            Members::All => self.all = true,
            Members::Nobody => {}
        }
    }

    /// `tag` trimmed and in ASCII lower case, as the rule's literal is kept.
    fn holds(&self, tag: &str) -> bool {
        self.all || self.tags.contains(tag)
    }
}

/// What every profile reaches, profile by profile: all a device's status depends on besides
/// its own group tag.
type Rules = Vec<(Reach, Reach)>;

/// The [`Rules`] the statuses were last computed from, so that a write that changes none (a
/// group nobody assigns created, a profile renamed) costs no walk over the devices. Derived:
/// not saved, equal to any other (it never makes two states differ), forgotten whenever the
/// devices may have changed outside a request ([`crate::Sim::with_state`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReachCache(Option<Rules>);

impl PartialEq for ReachCache {
    fn eq(&self, _: &ReachCache) -> bool {
        true
    }
}

/// Why statuses are looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// Devices were registered or their group tags changed: every device is looked at.
    Devices,
    /// Profiles, their assignments or groups changed: devices are looked at only when what
    /// the profiles reach changed.
    Reach,
}

/// Recomputes the profile-assignment status of every registered device (see the module docs).
///
/// Runs under the state lock after every write that could change the outcome, on tenants of
/// 100,000 devices and hundreds of profiles: whether a profile reaches a device depends only on
/// its group tag, so it is decided once per distinct tag (a set lookup per profile), each device
/// costs one lookup in that table, and a write that leaves what the profiles reach as it was
/// ([`Cause::Reach`]) costs no walk over the devices at all.
pub(crate) fn refresh(state: &mut SimState, now: i64, cause: Cause) {
    let rules = rules(state);
    if cause == Cause::Reach && state.profile_reach.0.as_ref() == Some(&rules) {
        return;
    }
    apply(state, &rules, now);
    state.profile_reach = ReachCache(Some(rules));
}

fn rules(state: &SimState) -> Rules {
    let members = |group_id: &str| -> Members {
        state
            .groups
            .get(group_id)
            .filter(|group| group.is_dynamic())
            .and_then(|group| group.properties.get("membershipRule"))
            .and_then(|rule| rule.as_str())
            .map_or(Members::Nobody, members_of_rule)
    };
    // Per profile: the memberships it includes and excludes.
    state
        .deployment_profiles
        .values()
        .map(|profile| {
            let mut include = Reach::default();
            let mut exclude = Reach::default();
            for assignment in &profile.assignments {
                match assignment.target_type() {
                    "allDevicesAssignmentTarget" => include.add(Members::All),
                    "exclusionGroupAssignmentTarget" => {
                        exclude.add(assignment.group_id().map_or(Members::Nobody, members));
                    }
                    "groupAssignmentTarget" => {
                        include.add(assignment.group_id().map_or(Members::Nobody, members));
                    }
                    _ => {}
                }
            }
            (include, exclude)
        })
        .filter(|(include, _)| include.all || !include.tags.is_empty())
        .collect()
}

/// Writes each device's status from `profiles`.
fn apply(state: &mut SimState, profiles: &Rules, now: i64) {
    // Whether any profile reaches a device, by its group tag as stored.
    let mut reached: HashMap<String, bool> = HashMap::new();
    for device in state.devices.values() {
        if !reached.contains_key(&device.group_tag) {
            let tag = device.group_tag.trim().to_ascii_lowercase();
            let reach = profiles
                .iter()
                .any(|(include, exclude)| include.holds(&tag) && !exclude.holds(&tag));
            reached.insert(device.group_tag.clone(), reach);
        }
    }
    for device in state.devices.values_mut() {
        let status = device.deployment_profile_assignment_status.as_str();
        if status != NOT_ASSIGNED && status != ASSIGNED {
            continue;
        }
        let reached = reached.get(&device.group_tag).copied().unwrap_or(false);
        match (reached, status == ASSIGNED) {
            (true, false) => {
                device.deployment_profile_assignment_status = ASSIGNED.to_owned();
                device.deployment_profile_assigned_ms = Some(now);
            }
            (false, true) => {
                device.deployment_profile_assignment_status = NOT_ASSIGNED.to_owned();
                device.deployment_profile_assigned_ms = None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::SimCloud;
    use crate::state::{Assignment, DeviceSeed, GroupMembership};

    #[test]
    fn autopilot_rule_shapes_are_understood_and_others_reach_nobody() {
        assert_eq!(
            members_of_rule(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#),
            Members::Tag("sales".into())
        );
        assert_eq!(
            members_of_rule(r#"device.devicePhysicalIDs -any _ -eq "[orderid]:HQ Hybrid""#),
            Members::Tag("hq hybrid".into())
        );
        assert_eq!(
            members_of_rule(r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#),
            Members::All
        );
        assert_eq!(
            members_of_rule(r#"device.deviceModel -eq "[OrderID]:Sales""#),
            Members::Nobody
        );
        assert_eq!(members_of_rule("no quotes"), Members::Nobody);
        assert_eq!(members_of_rule(r#"""#), Members::Nobody);
    }

    #[test]
    fn assignment_follows_tags_exclusions_and_keeps_seeded_statuses() {
        let mut state = SimState::fresh(SimCloud::Commercial, None, 1, 0);
        let sales = state.add_group(
            "Sales",
            GroupMembership::Dynamic(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#.into()),
        );
        state.add_devices([
            DeviceSeed::new("A", "Sales"),
            DeviceSeed::new("B", "Kiosk"),
            DeviceSeed::new("C", "sales"),
        ]);
        let profile = state.add_profile("P", json!({}));
        let failed = state
            .devices
            .values_mut()
            .find(|d| d.serial_number == "C")
            .map(|d| {
                d.deployment_profile_assignment_status = "failed".into();
                d.id.clone()
            })
            .unwrap();
        state
            .deployment_profiles
            .get_mut(&profile)
            .unwrap()
            .assignments
            .push(Assignment {
                id: "a1".into(),
                target: json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": sales}),
            });
        refresh(&mut state, 42, Cause::Devices);
        let status = |state: &SimState, serial: &str| {
            state
                .device_by_serial(serial)
                .map(|d| {
                    (
                        d.deployment_profile_assignment_status.clone(),
                        d.deployment_profile_assigned_ms,
                    )
                })
                .unwrap()
        };
        assert_eq!(status(&state, "A"), ("assignedInSync".into(), Some(42)));
        assert_eq!(status(&state, "B"), ("notAssigned".into(), None));
        assert_eq!(status(&state, "C").0, "failed");

        // An exclusion wins; the assignment goes away again.
        state
            .deployment_profiles
            .get_mut(&profile)
            .unwrap()
            .assignments
            .push(Assignment {
                id: "a2".into(),
                target: json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": sales}),
            });
        refresh(&mut state, 50, Cause::Reach);
        assert_eq!(status(&state, "A"), ("notAssigned".into(), None));
        assert_eq!(
            state.devices[&failed].deployment_profile_assignment_status,
            "failed"
        );
    }

    /// The table by tag decides as the direct reading of the module docs would, device by
    /// device: tags in any case and spacing, inclusions, exclusions, `allDevices`, groups
    /// whose rule reaches nobody, and profiles without assignments.
    #[test]
    fn the_table_by_tag_decides_as_each_device_read_alone() {
        fn holds(members: &Members, group_tag: &str) -> bool {
            match members {
                Members::Tag(tag) => group_tag.trim().eq_ignore_ascii_case(tag),
                Members::All => true,
                Members::Nobody => false,
            }
        }
        let mut state = SimState::fresh(SimCloud::Commercial, None, 7, 0);
        let tags = ["Sales", "Kiosk", "HQ", "Lab", "Ops"];
        let rule = |tag: &str| format!(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))"#);
        let groups: Vec<String> = tags
            .iter()
            .map(|tag| state.add_group(&format!("G-{tag}"), GroupMembership::Dynamic(rule(tag))))
            .collect();
        let other = state.add_group(
            "Other",
            GroupMembership::Dynamic("device.deviceModel -eq \"x\"".into()),
        );
        let serials: Vec<String> = (0..60).map(|i| format!("S{i}")).collect();
        state.add_devices(serials.iter().enumerate().map(|(i, serial)| {
            let tag = tags[i % tags.len()];
            let shown = match i % 3 {
                0 => tag.to_owned(),
                1 => format!("  {} ", tag.to_ascii_uppercase()),
                _ => tag.to_ascii_lowercase(),
            };
            DeviceSeed::new(serial, if i % 11 == 0 { "" } else { &shown })
        }));
        let target = |kind: &str, group: Option<&String>| match group {
            Some(id) => json!({"@odata.type": format!("#microsoft.graph.{kind}"), "groupId": id}),
            None => json!({"@odata.type": format!("#microsoft.graph.{kind}")}),
        };
        let layouts: Vec<Vec<serde_json::Value>> = vec![
            vec![target("groupAssignmentTarget", Some(&groups[0]))],
            vec![
                target("groupAssignmentTarget", Some(&groups[1])),
                target("groupAssignmentTarget", Some(&groups[2])),
                target("exclusionGroupAssignmentTarget", Some(&groups[2])),
            ],
            vec![target("groupAssignmentTarget", Some(&other))],
            vec![],
            vec![
                target("allDevicesAssignmentTarget", None),
                target("exclusionGroupAssignmentTarget", Some(&groups[3])),
                target("exclusionGroupAssignmentTarget", Some(&groups[0])),
            ],
        ];
        for (round, layout) in layouts.iter().enumerate() {
            // Each round adds one more profile, so the outcome changes from round to round.
            let profile = state.add_profile(&format!("P{round}"), json!({}));
            for (k, target) in layout.iter().enumerate() {
                state
                    .deployment_profiles
                    .get_mut(&profile)
                    .unwrap()
                    .assignments
                    .push(Assignment {
                        id: format!("a{round}-{k}"),
                        target: target.clone(),
                    });
            }
            refresh(&mut state, 100 + round as i64, Cause::Reach);
            let members = |id: &str| {
                state
                    .groups
                    .get(id)
                    .and_then(|g| g.properties.get("membershipRule"))
                    .and_then(|r| r.as_str())
                    .map_or(Members::Nobody, members_of_rule)
            };
            for device in state.devices.values() {
                let reached = state.deployment_profiles.values().any(|profile| {
                    let mut include = false;
                    let mut exclude = false;
                    for assignment in &profile.assignments {
                        let reach =
                            |id: Option<&str>| id.is_some_and(|id| holds(&members(id), &device.group_tag));
                        match assignment.target_type() {
                            "allDevicesAssignmentTarget" => include = true,
                            "groupAssignmentTarget" => include |= reach(assignment.group_id()),
                            "exclusionGroupAssignmentTarget" => exclude |= reach(assignment.group_id()),
                            _ => {}
                        }
                    }
                    include && !exclude
                });
                let expected = if reached { "assignedInSync" } else { "notAssigned" };
                assert_eq!(
                    device.deployment_profile_assignment_status, expected,
                    "round {round}, tag {:?}",
                    device.group_tag
                );
            }
        }
    }

    /// A write that leaves what profiles reach unchanged skips the walk over devices; devices
    /// changed outside a request are looked at again once the cache is forgotten, as
    /// `Sim::with_state` does.
    #[test]
    fn unchanged_reach_skips_the_devices_until_they_change() {
        let mut state = SimState::fresh(SimCloud::Commercial, None, 3, 0);
        let sales = state.add_group(
            "Sales",
            GroupMembership::Dynamic(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#.into()),
        );
        state.add_devices([DeviceSeed::new("A", "Sales")]);
        let profile = state.add_profile("P", json!({}));
        state
            .deployment_profiles
            .get_mut(&profile)
            .unwrap()
            .assignments
            .push(Assignment {
                id: "a1".into(),
                target: json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": sales}),
            });
        refresh(&mut state, 1, Cause::Reach);
        let status = |state: &SimState, serial: &str| {
            state
                .device_by_serial(serial)
                .unwrap()
                .deployment_profile_assignment_status
                .clone()
        };
        assert_eq!(status(&state, "A"), "assignedInSync");
        // Registered directly, outside any request: not looked at while the reach is unchanged…
        state.add_devices([DeviceSeed::new("B", "Sales")]);
        refresh(&mut state, 2, Cause::Reach);
        assert_eq!(status(&state, "B"), "notAssigned");
        // …and looked at once the cache is forgotten, or when devices are the cause.
        state.profile_reach = ReachCache::default();
        refresh(&mut state, 3, Cause::Reach);
        assert_eq!(status(&state, "B"), "assignedInSync");
        state.add_devices([DeviceSeed::new("C", "sales")]);
        refresh(&mut state, 4, Cause::Devices);
        assert_eq!(status(&state, "C"), "assignedInSync");
        assert_eq!(state.clone(), state, "the cache never makes states differ");
    }
}
