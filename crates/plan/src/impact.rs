//! Device impact: where every known device lands before and after the plan.
//!
//! "After" is `hangar-config`'s routing over the desired state (the same answer `validate` and
//! `explain` give). "Before" is the same decision made over the live tenant: its dynamic
//! groups' rules (evaluated with `hangar-membership`), its profiles', ESPs' and domain join
//! profiles' assignments, its ESP priorities and its name templates. Known devices are the
//! tenant's registered devices and the devices in CSVs, matched by serial.
//!
//! The plan keeps per-tag counts for every device and one row per device whose profile, ESP or
//! name changes, so a 100,000-device tenant where nothing moves costs a few lines.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hangar_config::naming::{self, Part};
use hangar_config::routing::{self, KnownDevice, Route, Routing, Via};
use hangar_config::{DesiredState, Membership};
use hangar_membership::Rule;
use hangar_model::well_known::odata;
use hangar_model::{Kind, LiveDevice, LiveObject, LiveState};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::matching::is_builtin;

/// The label of Intune's built-in ESP, whichever side names it.
pub const DEFAULT_ESP: &str = "(default)";

/// Where devices land, before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    /// Known devices (registered or in a CSV).
    pub devices: usize,
    /// Devices whose profile, ESP or name changes.
    pub moved: usize,
    /// Per group tag (after the plan); `tag: null` for untagged devices.
    pub tags: Vec<TagImpact>,
    /// Every device whose profile, ESP or name changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<DeviceImpact>,
    /// Per object: how many devices its changes move, and their tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_object: Vec<ObjectImpact>,
}

/// Where one device lands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    /// Deployment profile; several names joined with ` | ` when more than one reaches the
    /// device (Intune then picks one, undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// ESP ([`DEFAULT_ESP`] for the built-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp: Option<String>,
    /// Device name (`#` = a random character).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A device whose landing changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceImpact {
    /// Serial number.
    pub serial: String,
    /// Whether the device is registered now.
    pub registered: bool,
    /// Group tag now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_before: Option<String>,
    /// Group tag after the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_after: Option<String>,
    /// Landing now (empty when not registered).
    pub before: Landing,
    /// Landing after the plan (empty when the device is deleted).
    pub after: Landing,
}

/// Devices of one group tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagImpact {
    /// The tag; `None` for untagged devices.
    pub tag: Option<String>,
    /// Devices with the tag after the plan.
    pub devices: usize,
    /// Of those, how many move.
    pub moved: usize,
    /// Groups the tag lands in after the plan.
    pub groups: Vec<String>,
    /// Profiles now.
    pub profiles_before: Vec<String>,
    /// Profiles after.
    pub profiles_after: Vec<String>,
    /// ESPs now.
    pub esps_before: Vec<String>,
    /// ESPs after.
    pub esps_after: Vec<String>,
}

/// How many devices an object's changes move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectImpact {
    /// Kind.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Devices that move because of it.
    pub devices: usize,
    /// Their tags (after).
    pub tags: Vec<String>,
}

/// The routing model of the live tenant.
struct LiveRouting<'a> {
    groups: Vec<(&'a str, Option<Rule>)>,
    group_index: HashMap<String, usize>,
    by_tag: HashMap<String, Vec<usize>>,
    general: Vec<usize>,
    profiles: Vec<Reach<'a>>,
    templates: Vec<Option<Vec<Part>>>,
    hybrid: Vec<bool>,
    esps: Vec<(u32, Reach<'a>)>,
    joins: Vec<(String, Reach<'a>)>,
}

struct Reach<'a> {
    name: &'a str,
    include: Vec<usize>,
    exclude: Vec<usize>,
    all: bool,
}

impl Reach<'_> {
    fn reaches(&self, groups: &[usize]) -> bool {
        if self.exclude.iter().any(|g| groups.binary_search(g).is_ok()) {
            return false;
        }
        self.all || self.include.iter().any(|g| groups.binary_search(g).is_ok())
    }
}

impl<'a> LiveRouting<'a> {
    fn new(live: &'a LiveState) -> LiveRouting<'a> {
        let mut routing = LiveRouting {
            groups: Vec::new(),
            group_index: HashMap::new(),
            by_tag: HashMap::new(),
            general: Vec::new(),
            profiles: Vec::new(),
            templates: Vec::new(),
            hybrid: Vec::new(),
            esps: Vec::new(),
            joins: Vec::new(),
        };
        for group in live.objects_of(Kind::DeviceGroup) {
            let dynamic = group
                .property("groupTypes")
                .and_then(Value::as_array)
                .is_some_and(|types| {
                    types.iter().any(|t| {
                        t.as_str()
                            .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
                    })
                });
            let rule = dynamic
                .then(|| group.property("membershipRule").and_then(Value::as_str))
                .flatten()
                .and_then(|text| hangar_membership::parse(text).ok());
            let index = routing.groups.len();
            match rule.as_ref().map(Rule::exact_group_tag) {
                Some(Some(tag)) => routing.by_tag.entry(tag.to_lowercase()).or_default().push(index),
                Some(None) => routing.general.push(index),
                None => {}
            }
            routing.group_index.insert(group.id.to_lowercase(), index);
            routing.groups.push((group.display_name.as_str(), rule));
        }
        for profile in live.objects_of(Kind::DeploymentProfile) {
            let hybrid = profile.odata_type.as_deref() == Some(odata::HYBRID_PROFILE)
                || profile.property("@odata.type").and_then(Value::as_str) == Some(odata::HYBRID_PROFILE);
            let template = profile
                .property("deviceNameTemplate")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .and_then(|t| naming::parse(t).ok());
            routing.profiles.push(routing.reach(profile));
            routing.templates.push(template);
            routing.hybrid.push(hybrid);
        }
        for esp in live
            .objects_of(Kind::EnrollmentStatusPage)
            .filter(|esp| !is_builtin(esp))
        {
            let priority = esp
                .property("priority")
                .and_then(Value::as_u64)
                .map_or(u32::MAX, |p| p as u32);
            routing.esps.push((priority, routing.reach(esp)));
        }
        for join in live.objects_of(Kind::DomainJoinProfile) {
            let mut name = join
                .property("computerNameStaticPrefix")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let count = join
                .property("computerNameSuffixRandomCharCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            name.extend(std::iter::repeat_n('#', count as usize));
            routing.joins.push((name, routing.reach(join)));
        }
        routing
    }

    fn reach(&self, object: &'a LiveObject) -> Reach<'a> {
        let mut reach = Reach {
            name: &object.display_name,
            include: Vec::new(),
            exclude: Vec::new(),
            all: false,
        };
        for assignment in object.assignments.iter().flatten() {
            if assignment
                .get("source")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.eq_ignore_ascii_case("direct"))
            {
                continue;
            }
            let odata_type = assignment
                .pointer("/target/@odata.type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let group = assignment
                .pointer("/target/groupId")
                .and_then(Value::as_str)
                .and_then(|id| self.group_index.get(&id.to_lowercase()).copied());
            match (odata_type.trim_start_matches('#'), group) {
                ("microsoft.graph.groupAssignmentTarget", Some(g)) => reach.include.push(g),
                ("microsoft.graph.exclusionGroupAssignmentTarget", Some(g)) => reach.exclude.push(g),
                ("microsoft.graph.allDevicesAssignmentTarget", _) => reach.all = true,
                _ => {}
            }
        }
        reach
    }

    fn groups_of(&self, device: &KnownDevice) -> Vec<usize> {
        let matches = |&g: &usize| self.groups[g].1.as_ref().is_some_and(|rule| rule.matches(device));
        let mut groups: Vec<usize> = Vec::new();
        if let Some(tag) = device.group_tag()
            && let Some(candidates) = self.by_tag.get(&tag.to_lowercase())
        {
            groups.extend(candidates.iter().copied().filter(matches));
        }
        groups.extend(self.general.iter().copied().filter(matches));
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    fn land(&self, device: &KnownDevice) -> (Landing, Vec<&'a str>) {
        let groups = self.groups_of(device);
        let profiles: Vec<usize> = (0..self.profiles.len())
            .filter(|&p| self.profiles[p].reaches(&groups))
            .collect();
        let esp = self
            .esps
            .iter()
            .enumerate()
            .filter(|(_, (_, reach))| reach.reaches(&groups))
            .min_by_key(|(index, (priority, _))| (*priority, *index))
            .map_or(DEFAULT_ESP, |(_, (_, reach))| reach.name);
        let name = profiles.first().and_then(|&p| {
            if self.hybrid[p] {
                self.joins
                    .iter()
                    .find(|(_, reach)| reach.reaches(&groups))
                    .map(|(name, _)| name.clone())
            } else {
                self.templates[p]
                    .as_ref()
                    .map(|parts| naming::expand(parts, device.serial()))
            }
        });
        let landing = Landing {
            profile: join_names(profiles.iter().map(|&p| self.profiles[p].name)),
            esp: Some(esp.to_owned()),
            name,
        };
        (landing, groups.iter().map(|&g| self.groups[g].0).collect())
    }
}

fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    (!names.is_empty()).then(|| names.join(" | "))
}

fn land_desired<'s>(routing: &Routing<'s>, device: &KnownDevice) -> (Landing, Vec<&'s str>) {
    let state = routing.state();
    let route: Route = routing.route(device);
    let esp = match route.esp {
        Some(pick) if pick.via != Via::Default => state.esp(pick.id).meta.name.value.as_str(),
        _ => DEFAULT_ESP,
    };
    let landing = Landing {
        profile: join_names(
            route
                .profiles
                .iter()
                .map(|pick| state.profile(pick.id).meta.name.value.as_str()),
        ),
        esp: Some(esp.to_owned()),
        name: route.device_name.as_ref().map(|name| name.name.clone()),
    };
    let groups = route
        .groups
        .iter()
        .map(|&g| state.group(g).meta.name.value.as_str())
        .collect();
    (landing, groups)
}

#[derive(Default)]
struct TagAccumulator {
    devices: usize,
    moved: usize,
    groups: BTreeSet<String>,
    profiles_before: BTreeSet<String>,
    profiles_after: BTreeSet<String>,
    esps_before: BTreeSet<String>,
    esps_after: BTreeSet<String>,
}

/// Computes the impact. `deleted(device)` says whether the plan deletes a registered device;
/// `managed` whether device registrations are managed (CSV tags win over live tags).
pub(crate) fn compute(
    state: &DesiredState,
    live: &LiveState,
    deleted: &dyn Fn(&LiveDevice) -> bool,
) -> Impact {
    let managed = !state.device_lists.is_empty();
    let before_routing = LiveRouting::new(live);
    let after_routing = Routing::new(state);
    let mut registered: HashMap<&str, &LiveDevice> = HashMap::with_capacity(live.devices.len());
    for device in &live.devices {
        registered.entry(device.serial()).or_insert(device);
    }
    let mut tags: BTreeMap<Option<String>, TagAccumulator> = BTreeMap::new();
    let mut by_object: BTreeMap<(Kind, String), (usize, BTreeSet<String>)> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut devices = 0;

    let mut visit = |serial: &str, found: Option<&LiveDevice>, after_tag: Option<Option<&str>>| {
        devices += 1;
        let (before, groups_before) = match found {
            Some(found) => before_routing.land(&routing::known_live_device(found)),
            None => (Landing::default(), Vec::new()),
        };
        let (after, groups_after) = match after_tag {
            Some(tag) => {
                let known = match found {
                    Some(found) => routing::known_live_device(found),
                    None => KnownDevice::new(serial.to_owned()),
                };
                let known = known.with_group_tag(tag.unwrap_or_default().to_owned());
                land_desired(&after_routing, &known)
            }
            None => (Landing::default(), Vec::new()),
        };
        let tag_before = found.and_then(|f| f.group_tag.clone());
        let tag_after = after_tag.flatten().map(str::to_owned);
        let moved = before != after;
        let accumulator = tags.entry(tag_after.clone()).or_default();
        accumulator.devices += 1;
        if accumulator.groups.is_empty() {
            accumulator
                .groups
                .extend(groups_after.iter().map(|g| (*g).to_owned()));
        }
        accumulator.profiles_before.extend(before.profile.clone());
        accumulator.profiles_after.extend(after.profile.clone());
        accumulator.esps_before.extend(before.esp.clone());
        accumulator.esps_after.extend(after.esp.clone());
        if !moved {
            return;
        }
        accumulator.moved += 1;
        let tag_label = tag_after.clone().unwrap_or_else(|| "(untagged)".to_owned());
        let mut blamed: BTreeSet<(Kind, &str)> = BTreeSet::new();
        if before.profile != after.profile || before.name != after.name {
            for names in before.profile.iter().chain(after.profile.iter()) {
                blamed.extend(names.split(" | ").map(|name| (Kind::DeploymentProfile, name)));
            }
        }
        if before.esp != after.esp {
            for name in before
                .esp
                .iter()
                .chain(after.esp.iter())
                .filter(|n| n.as_str() != DEFAULT_ESP)
            {
                blamed.insert((Kind::EnrollmentStatusPage, name.as_str()));
            }
        }
        let before_set: BTreeSet<&str> = groups_before.iter().copied().collect();
        let after_set: BTreeSet<&str> = groups_after.iter().copied().collect();
        for group in before_set.symmetric_difference(&after_set) {
            blamed.insert((Kind::DeviceGroup, group));
        }
        for (kind, name) in blamed {
            let entry = by_object.entry((kind, name.to_owned())).or_default();
            entry.0 += 1;
            entry.1.insert(tag_label.clone());
        }
        changes.push(DeviceImpact {
            serial: serial.to_owned(),
            registered: found.is_some(),
            tag_before,
            tag_after,
            before,
            after,
        });
    };

    let mut in_csv: std::collections::HashSet<&str> = std::collections::HashSet::new();
    if managed {
        for device in &state.devices {
            in_csv.insert(device.serial.as_str());
            let found = registered.get(device.serial.as_str()).copied();
            visit(&device.serial, found, Some(device.group_tag.as_deref()));
        }
    }
    for device in &live.devices {
        if in_csv.contains(device.serial())
            || !registered
                .get(device.serial())
                .is_some_and(|d| std::ptr::eq(*d, device))
        {
            continue;
        }
        let after_tag = if deleted(device) {
            None
        } else {
            Some(device.group_tag.as_deref())
        };
        visit(device.serial(), Some(device), after_tag);
    }
    let moved = changes.len();

    // Tags the configuration routes that no known device carries yet, so the impact (and the
    // Markdown diagram) shows the whole design.
    for group in &state.groups {
        if let Membership::GroupTag(tag) = &group.membership.value {
            let key = Some(tag.value.clone());
            if tags.contains_key(&key) {
                continue;
            }
            let probe = KnownDevice::new(String::new()).with_group_tag(tag.value.clone());
            let (before, _) = before_routing.land(&probe);
            let (after, groups) = land_desired(&after_routing, &probe);
            let accumulator = tags.entry(key).or_default();
            accumulator.groups.extend(groups.iter().map(|g| (*g).to_owned()));
            accumulator.profiles_before.extend(before.profile);
            accumulator.profiles_after.extend(after.profile);
            accumulator.esps_before.extend(before.esp);
            accumulator.esps_after.extend(after.esp);
        }
    }
    let tags = tags
        .into_iter()
        .map(|(tag, acc)| TagImpact {
            tag,
            devices: acc.devices,
            moved: acc.moved,
            groups: acc.groups.into_iter().collect(),
            profiles_before: acc.profiles_before.into_iter().collect(),
            profiles_after: acc.profiles_after.into_iter().collect(),
            esps_before: acc.esps_before.into_iter().collect(),
            esps_after: acc.esps_after.into_iter().collect(),
        })
        .collect();
    let by_object = by_object
        .into_iter()
        .map(|((kind, name), (devices, tags))| ObjectImpact {
            kind,
            name,
            devices,
            tags: tags.into_iter().collect(),
        })
        .collect();
    Impact {
        devices,
        moved,
        tags,
        changes,
        by_object,
    }
}
