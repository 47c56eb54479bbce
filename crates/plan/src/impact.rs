//! Device impact: where every known device lands before and after the plan.
//!
//! "After" is `hangar-config`'s routing over the desired state (the same answer `validate` and
//! `explain` give). "Before" is the same decision made over the live tenant: its dynamic
//! groups' rules (evaluated with `hangar-membership`), its profiles', ESPs' and domain join
//! profiles' assignments, its ESP priorities and its name templates. Known devices are the
//! tenant's registered devices and the devices in CSVs, matched by serial.
//!
//! Live objects that are not in the configuration and that pruning keeps (`Staying`: a
//! portal profile on a managed group, a competing ESP) are on both sides: "after" is the
//! configuration's routing plus what those objects decide over the groups they are assigned
//! to (the managed groups as the configuration routes them, the unmanaged groups by their
//! live rules), so an object hangar never touches moves no device.
//!
//! The plan keeps per-tag counts for every device and one row per device whose profile, ESP or
//! name changes, so a 100,000-device tenant where nothing moves costs a few lines.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hangar_config::naming::{self, Part};
use hangar_config::routing::{self, DeviceName, KnownDevice, NameSource, Route, Routing, Via};
use hangar_config::{DesiredState, GroupId, Membership};
use hangar_membership::Rule;
use hangar_model::well_known::odata;
use hangar_model::{Kind, LiveDevice, LiveObject, LiveState, LiveTarget};
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
    /// Live id (lowercase) → the name a `renamedFrom:` document gives it: the plan renames it
    /// in place, which moves no device, so both sides call it by its new name.
    renamed: &'a HashMap<String, String>,
    groups: Vec<(&'a str, Option<Rule>)>,
    group_ids: Vec<&'a str>,
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
    id: &'a str,
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
    fn new(live: &'a LiveState, renamed: &'a HashMap<String, String>) -> LiveRouting<'a> {
        let mut routing = LiveRouting {
            renamed,
            groups: Vec::new(),
            group_ids: Vec::new(),
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
            routing.groups.push((routing.name_of(group), rule));
            routing.group_ids.push(&group.id);
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

    /// The object's name, or the new name a `renamedFrom:` document gives it.
    fn name_of(&self, object: &'a LiveObject) -> &'a str {
        self.renamed
            .get(&object.id.to_lowercase())
            .map_or(object.display_name.as_str(), String::as_str)
    }

    fn reach(&self, object: &'a LiveObject) -> Reach<'a> {
        let mut reach = Reach {
            name: self.name_of(object),
            id: &object.id,
            include: Vec::new(),
            exclude: Vec::new(),
            all: false,
        };
        for assignment in object.direct_assignments() {
            let group = assignment
                .target
                .group_id()
                .and_then(|id| self.group_index.get(&id.to_lowercase()).copied());
            match (&assignment.target, group) {
                (LiveTarget::Group { .. }, Some(g)) => reach.include.push(g),
                (LiveTarget::ExcludeGroup { .. }, Some(g)) => reach.exclude.push(g),
                (LiveTarget::AllDevices, _) => reach.all = true,
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

    /// What a device in exactly `groups` (sorted) gets, everything but its serial.
    fn decide(&self, groups: &[usize]) -> Decision<'_> {
        let profiles: Vec<usize> = (0..self.profiles.len())
            .filter(|&p| self.profiles[p].reaches(groups))
            .collect();
        let esp = self
            .esps
            .iter()
            .enumerate()
            .filter(|(_, (_, reach))| reach.reaches(groups))
            .min_by_key(|(index, (priority, _))| (*priority, *index))
            .map_or(DEFAULT_ESP, |(_, (_, reach))| reach.name);
        let name = match profiles.first() {
            Some(&p) if self.hybrid[p] => self
                .joins
                .iter()
                .find(|(_, reach)| reach.reaches(groups))
                .map_or(NameRule::None, |(name, _)| NameRule::Fixed(name.clone())),
            Some(&p) => self.templates[p]
                .as_deref()
                .map_or(NameRule::None, NameRule::Template),
            None => NameRule::None,
        };
        Decision {
            profile: join_names(profiles.iter().map(|&p| self.profiles[p].name)),
            esp: esp.to_owned(),
            name,
            groups: groups.iter().map(|&g| self.groups[g].0).collect(),
            profile_rank: usize::MAX,
            esp_rank: None,
        }
    }
}

/// What a device's groups decide about its landing: everything but the parts of the name that
/// come from its serial. Devices with the same groups share one (computed once per distinct
/// set of groups, not once per device).
#[derive(Debug, Clone)]
struct Decision<'r> {
    profile: Option<String>,
    esp: String,
    name: NameRule<'r>,
    groups: Vec<&'r str>,
    /// After side: the live position of the first deployment profile that reaches the device
    /// (`usize::MAX` when none, or only new ones do), to pick the name rule as Intune's list
    /// order does when a live profile reaches the device too.
    profile_rank: usize,
    /// After side: the desired `priority:` of the ESP picked (`None`: the default ESP).
    esp_rank: Option<u32>,
}

/// How the device name is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameRule<'r> {
    /// Nothing decides it.
    None,
    /// A profile's template, expanded with the serial.
    Template(&'r [Part]),
    /// A fixed name (a domain join profile's prefix and random characters).
    Fixed(String),
}

impl NameRule<'_> {
    fn expand(&self, serial: &str) -> Option<String> {
        match self {
            NameRule::None => None,
            NameRule::Template(parts) => Some(naming::expand(parts, serial)),
            NameRule::Fixed(name) => Some(name.clone()),
        }
    }
}

impl Decision<'_> {
    fn landing(&self, serial: &str) -> Landing {
        Landing {
            profile: self.profile.clone(),
            esp: Some(self.esp.clone()),
            name: self.name.expand(serial),
        }
    }
}

/// Whether two decisions land a device with this serial in the same place (`None`: not
/// registered, or deleted). Names are expanded only when the rules differ.
fn same_landing(before: Option<&Decision<'_>>, after: Option<&Decision<'_>>, serial: &str) -> bool {
    match (before, after) {
        (None, None) => true,
        (Some(before), Some(after)) => {
            before.profile == after.profile
                && before.esp == after.esp
                && (before.name == after.name || before.name.expand(serial) == after.name.expand(serial))
        }
        _ => false,
    }
}

/// Decisions computed so far, by set of groups.
struct Decisions<'r, K> {
    index: HashMap<Vec<K>, usize>,
    decided: Vec<Decision<'r>>,
}

impl<'r, K: std::hash::Hash + Eq> Decisions<'r, K> {
    fn new() -> Self {
        Decisions {
            index: HashMap::new(),
            decided: Vec::new(),
        }
    }

    fn get(&mut self, groups: Vec<K>, decide: impl FnOnce(&[K]) -> Decision<'r>) -> usize {
        if let Some(&at) = self.index.get(&groups) {
            return at;
        }
        let decision = decide(&groups);
        self.decided.push(decision);
        self.index.insert(groups, self.decided.len() - 1);
        self.decided.len() - 1
    }
}

/// Whether every desired group's membership follows from the group tag alone (group-tag
/// groups, rules that are exactly a group-tag rule, assigned groups, which routing never
/// places a device in).
fn tag_only(state: &DesiredState) -> bool {
    state.groups.iter().all(|group| {
        group.membership.value.rule().is_none_or(|text| {
            hangar_membership::parse(&text).map_or(true, |rule| rule.exact_group_tag().is_some())
        })
    })
}

/// The desired side: `hangar-config`'s routing, with the name templates it uses.
struct DesiredRouting<'s> {
    routing: Routing<'s>,
    templates: Vec<Option<Vec<Part>>>,
    /// Per profile: its position among the live profiles (`usize::MAX` when it is new).
    profile_positions: Vec<usize>,
}

impl<'s> DesiredRouting<'s> {
    fn new(state: &'s DesiredState, profile_positions: Vec<usize>) -> DesiredRouting<'s> {
        DesiredRouting {
            profile_positions,
            routing: Routing::new(state),
            // Parsed exactly as `Routing` parses them, so a template decides the same name.
            templates: state
                .profiles
                .iter()
                .map(|profile| {
                    profile
                        .device_name
                        .as_ref()
                        .and_then(|template| naming::parse(&template.value).ok())
                })
                .collect(),
        }
    }

    fn decide(&self, groups: &[GroupId]) -> Decision<'_> {
        let state = self.routing.state();
        let route: Route = self.routing.route_groups("", groups.to_vec());
        let esp = match route.esp {
            Some(pick) if pick.via != Via::Default => state.esp(pick.id).meta.name.value.as_str(),
            _ => DEFAULT_ESP,
        };
        let name = match route.device_name {
            None => NameRule::None,
            Some(DeviceName {
                source: NameSource::Profile(profile),
                name,
            }) => self.templates[profile.index()]
                .as_deref()
                .map_or(NameRule::Fixed(name), NameRule::Template),
            Some(DeviceName { name, .. }) => NameRule::Fixed(name),
        };
        Decision {
            profile: join_names(
                route
                    .profiles
                    .iter()
                    .map(|pick| state.profile(pick.id).meta.name.value.as_str()),
            ),
            esp: esp.to_owned(),
            name,
            groups: route
                .groups
                .iter()
                .map(|&g| state.group(g).meta.name.value.as_str())
                .collect(),
            profile_rank: route
                .profiles
                .iter()
                .filter_map(|pick| self.profile_positions.get(pick.id.index()).copied())
                .min()
                .unwrap_or(usize::MAX),
            esp_rank: route
                .esp
                .filter(|pick| pick.via != Via::Default)
                .and_then(|pick| state.esp(pick.id).priority.as_ref())
                .map(|priority| priority.value),
        }
    }
}

/// What stays in the tenant beside the configuration after the plan: the live objects no
/// document matched and pruning keeps, and where the configuration's groups and profiles are
/// in the tenant.
pub(crate) struct Staying {
    /// Per desired group: its live id (lowercase), `None` when the plan creates it.
    groups: Vec<Option<String>>,
    /// Per desired profile: its live id (lowercase), `None` when the plan creates it.
    profiles: Vec<Option<String>>,
    /// `(kind, lowercase id)` of every unmatched live object that stays: groups and the kinds
    /// whose assignments decide enrollment.
    unmanaged: std::collections::HashSet<(Kind, String)>,
    /// Live id (lowercase) → new name, for the objects a `renamedFrom:` document renames.
    renamed: HashMap<String, String>,
}

impl Staying {
    pub(crate) fn new(
        state: &DesiredState,
        matching: &crate::matching::Matching<'_>,
        pruning: &crate::prune::Pruning,
    ) -> Staying {
        use crate::matching::DesiredRef;
        let mut groups = vec![None; state.groups.len()];
        let mut profiles = vec![None; state.profiles.len()];
        let renamed = matching
            .pairs
            .iter()
            .filter_map(|(object, found)| {
                let found = (*found).filter(|_| !object.builtin(state))?;
                let name = &object.meta(state).name.value;
                (found.display_name != *name).then(|| (found.id.to_lowercase(), name.clone()))
            })
            .collect();
        for (object, found) in &matching.pairs {
            match (object, found) {
                (DesiredRef::Group(id), Some(found)) => groups[id.index()] = Some(found.id.to_lowercase()),
                (DesiredRef::Profile(id), Some(found)) => {
                    profiles[id.index()] = Some(found.id.to_lowercase());
                }
                _ => {}
            }
        }
        let unmanaged = matching
            .unmatched
            .iter()
            .filter(|object| {
                object.kind == Kind::DeviceGroup || crate::unmanaged::ASSIGNED_KINDS.contains(&object.kind)
            })
            .filter(|object| !pruning.allows(object.kind, &object.display_name))
            .map(|object| (object.kind, object.id.to_lowercase()))
            .collect();
        Staying {
            groups,
            profiles,
            unmanaged,
            renamed,
        }
    }

    fn stays(&self, kind: Kind, id: &str) -> bool {
        self.unmanaged.contains(&(kind, id.to_lowercase()))
    }
}

/// A group a device is in after the plan: one of the configuration's, or a live group that
/// stays unmanaged (by its index in [`LiveRouting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum AfterGroup {
    Desired(GroupId),
    Live(usize),
}

/// The after side: the configuration's routing plus the unmanaged live objects that stay.
struct AfterRouting<'s> {
    desired: DesiredRouting<'s>,
    /// Per desired group: its index in the live routing, `None` when the plan creates it.
    group_live: Vec<Option<usize>>,
    /// Staying unmanaged objects, as indices into the live routing's lists.
    profiles: Vec<usize>,
    esps: Vec<usize>,
    joins: Vec<usize>,
    /// Unmanaged live groups that stay and that a staying object is assigned to, sorted.
    groups: Vec<usize>,
    /// `external: true` groups with their live index: their members are the live rule's.
    externals: Vec<(GroupId, usize)>,
    /// Whether membership after follows from the group tag alone.
    tag_only: bool,
}

impl<'s> AfterRouting<'s> {
    fn new(state: &'s DesiredState, live: &LiveRouting<'_>, staying: &Staying) -> AfterRouting<'s> {
        let live_index = |id: &Option<String>| id.as_ref().and_then(|id| live.group_index.get(id).copied());
        let group_live: Vec<Option<usize>> = staying.groups.iter().map(live_index).collect();
        let profile_positions = staying
            .profiles
            .iter()
            .map(|id| {
                id.as_ref()
                    .and_then(|id| live.profiles.iter().position(|p| p.id.eq_ignore_ascii_case(id)))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let profiles: Vec<usize> = (0..live.profiles.len())
            .filter(|&p| staying.stays(Kind::DeploymentProfile, live.profiles[p].id))
            .collect();
        let esps: Vec<usize> = (0..live.esps.len())
            .filter(|&e| staying.stays(Kind::EnrollmentStatusPage, live.esps[e].1.id))
            .collect();
        let joins: Vec<usize> = (0..live.joins.len())
            .filter(|&j| staying.stays(Kind::DomainJoinProfile, live.joins[j].1.id))
            .collect();
        let mut groups: Vec<usize> = profiles
            .iter()
            .map(|&p| &live.profiles[p])
            .chain(esps.iter().map(|&e| &live.esps[e].1))
            .chain(joins.iter().map(|&j| &live.joins[j].1))
            .flat_map(|reach| reach.include.iter().chain(reach.exclude.iter()).copied())
            .filter(|&g| staying.stays(Kind::DeviceGroup, live.group_ids[g]))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let externals: Vec<(GroupId, usize)> = state
            .groups
            .iter()
            .enumerate()
            .filter(|(_, group)| group.is_external())
            .filter_map(|(index, _)| group_live[index].map(|live_index| (GroupId(index as u32), live_index)))
            .filter(|&(_, live_index)| live.groups[live_index].1.is_some())
            .collect();
        let tag_only = tag_only(state)
            && groups
                .iter()
                .chain(externals.iter().map(|(_, g)| g))
                .all(|g| !live.general.contains(g));
        AfterRouting {
            desired: DesiredRouting::new(state, profile_positions),
            group_live,
            profiles,
            esps,
            joins,
            groups,
            externals,
            tag_only,
        }
    }

    /// The groups a device is in after the plan, sorted.
    fn groups_of(&self, live: &LiveRouting<'_>, device: &KnownDevice) -> Vec<AfterGroup> {
        let mut groups: Vec<AfterGroup> = self
            .desired
            .routing
            .groups_of(device)
            .into_iter()
            .map(AfterGroup::Desired)
            .collect();
        if !self.groups.is_empty() || !self.externals.is_empty() {
            let in_live = live.groups_of(device);
            groups.extend(
                self.externals
                    .iter()
                    .filter(|(_, g)| in_live.binary_search(g).is_ok())
                    .map(|(id, _)| AfterGroup::Desired(*id)),
            );
            groups.extend(
                in_live
                    .into_iter()
                    .filter(|g| self.groups.binary_search(g).is_ok())
                    .map(AfterGroup::Live),
            );
            groups.sort_unstable();
            groups.dedup();
        }
        groups
    }

    /// What the configuration decides for a device in `groups`, then what the staying
    /// unmanaged objects add: their profiles beside the configuration's (the first in the
    /// tenant's order names the device, as before), an ESP of theirs when its live priority
    /// ranks above the configuration's pick (the configuration's first on a tie, as
    /// `priority.rs` numbers them).
    fn decide<'r>(&'r self, live: &'r LiveRouting<'_>, groups: &[AfterGroup]) -> Decision<'r> {
        let desired: Vec<GroupId> = groups
            .iter()
            .filter_map(|g| match g {
                AfterGroup::Desired(id) => Some(*id),
                AfterGroup::Live(_) => None,
            })
            .collect();
        let mut decision = self.desired.decide(&desired);
        let unmanaged_groups = groups.iter().filter_map(|g| match g {
            AfterGroup::Live(index) => Some(*index),
            AfterGroup::Desired(_) => None,
        });
        decision
            .groups
            .extend(unmanaged_groups.clone().map(|g| live.groups[g].0));
        if self.profiles.is_empty() && self.esps.is_empty() {
            return decision;
        }
        let mut on: Vec<usize> = desired
            .iter()
            .filter_map(|g| self.group_live[g.index()])
            .chain(unmanaged_groups)
            .collect();
        on.sort_unstable();
        on.dedup();
        let profiles: Vec<usize> = self
            .profiles
            .iter()
            .copied()
            .filter(|&p| live.profiles[p].reaches(&on))
            .collect();
        if let Some(&first) = profiles.first() {
            let mut names: Vec<&str> = decision
                .profile
                .as_deref()
                .map(|joined| joined.split(" | ").collect())
                .unwrap_or_default();
            names.extend(profiles.iter().map(|&p| live.profiles[p].name));
            if first < decision.profile_rank {
                decision.profile_rank = first;
                decision.name = if live.hybrid[first] {
                    self.joins
                        .iter()
                        .map(|&j| &live.joins[j])
                        .find(|(_, reach)| reach.reaches(&on))
                        .map_or(NameRule::None, |(name, _)| NameRule::Fixed(name.clone()))
                } else {
                    live.templates[first]
                        .as_deref()
                        .map_or(NameRule::None, NameRule::Template)
                };
            }
            decision.profile = join_names(names.into_iter());
        }
        let esp = self
            .esps
            .iter()
            .copied()
            .filter(|&e| live.esps[e].1.reaches(&on))
            .min_by_key(|&e| (live.esps[e].0, e));
        if let Some(e) = esp {
            let (priority, reach) = &live.esps[e];
            if decision.esp_rank.is_none_or(|rank| *priority < rank) {
                decision.esp = reach.name.to_owned();
            }
        }
        decision
    }
}

fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    (!names.is_empty()).then(|| names.join(" | "))
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

impl TagAccumulator {
    /// Adds what one device (or probe) contributes; names are copied only the first time.
    fn note(&mut self, before: Option<&Decision<'_>>, after: Option<&Decision<'_>>) {
        fn add(set: &mut BTreeSet<String>, value: Option<&str>) {
            if let Some(value) = value
                && !set.contains(value)
            {
                set.insert(value.to_owned());
            }
        }
        if self.groups.is_empty()
            && let Some(after) = after
        {
            self.groups.extend(after.groups.iter().map(|g| (*g).to_owned()));
        }
        add(
            &mut self.profiles_before,
            before.and_then(|d| d.profile.as_deref()),
        );
        add(&mut self.profiles_after, after.and_then(|d| d.profile.as_deref()));
        add(&mut self.esps_before, before.map(|d| d.esp.as_str()));
        add(&mut self.esps_after, after.map(|d| d.esp.as_str()));
    }
}

/// Computes the impact. `deleted(device)` says whether the plan deletes a registered device;
/// `managed` whether device registrations are managed (CSV tags win over live tags).
///
/// Cost: every device's groups are evaluated on both sides (a tag lookup plus any general
/// rule), but what those groups decide (profiles, ESP, name rule) is computed once per
/// distinct set of groups, and a landing is written out only for a device that moves.
pub(crate) fn compute<'x>(
    state: &'x DesiredState,
    live: &'x LiveState,
    staying: &'x Staying,
    deleted: &dyn Fn(&LiveDevice) -> bool,
) -> Impact {
    let managed = !state.device_lists.is_empty();
    let before_routing = LiveRouting::new(live, &staying.renamed);
    let after_routing = AfterRouting::new(state, &before_routing, staying);
    let mut before_decisions: Decisions<'_, usize> = Decisions::new();
    let mut after_decisions: Decisions<'_, AfterGroup> = Decisions::new();
    // When every dynamic group of a side is a group-tag group, a device's groups on that side
    // follow from its tag alone: one decision per tag, no route evaluated per device.
    let mut before_by_tag: Option<HashMap<Option<&'x str>, usize>> =
        before_routing.general.is_empty().then(HashMap::new);
    let mut after_by_tag: Option<HashMap<&'x str, usize>> = after_routing.tag_only.then(HashMap::new);
    let mut registered: HashMap<&str, &LiveDevice> = HashMap::with_capacity(live.devices.len());
    for device in &live.devices {
        registered.entry(device.serial()).or_insert(device);
    }
    let mut tags: BTreeMap<Option<&'x str>, TagAccumulator> = BTreeMap::new();
    let mut by_object: BTreeMap<(Kind, String), (usize, BTreeSet<String>)> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut devices = 0;

    let mut visit = |serial: &str, found: Option<&'x LiveDevice>, after_tag: Option<Option<&'x str>>| {
        devices += 1;
        // Only built when a route must be evaluated (always, when a general rule exists).
        let mut live_known: Option<KnownDevice> = None;
        let before = found.map(|found| {
            let key = found.group_tag.as_deref();
            if let Some(&at) = before_by_tag.as_ref().and_then(|cache| cache.get(&key)) {
                return at;
            }
            let known = live_known.get_or_insert_with(|| routing::known_live_device(found));
            let at = before_decisions.get(before_routing.groups_of(known), |groups| {
                before_routing.decide(groups)
            });
            if let Some(cache) = &mut before_by_tag {
                cache.insert(key, at);
            }
            at
        });
        let after = after_tag.map(|tag| {
            let tag = tag.unwrap_or_default();
            if let Some(&at) = after_by_tag.as_ref().and_then(|cache| cache.get(tag)) {
                return at;
            }
            let groups = match found {
                // The live device keeps its tag: route it as it is.
                Some(found) if found.group_tag.as_deref().unwrap_or_default() == tag => {
                    let known = live_known.get_or_insert_with(|| routing::known_live_device(found));
                    after_routing.groups_of(&before_routing, known)
                }
                Some(found) => after_routing.groups_of(
                    &before_routing,
                    &routing::known_live_device(found).with_group_tag(tag.to_owned()),
                ),
                None => after_routing.groups_of(
                    &before_routing,
                    &KnownDevice::new(serial.to_owned()).with_group_tag(tag.to_owned()),
                ),
            };
            let at = after_decisions.get(groups, |groups| after_routing.decide(&before_routing, groups));
            if let Some(cache) = &mut after_by_tag {
                cache.insert(tag, at);
            }
            at
        });
        let before = before.map(|at| &before_decisions.decided[at]);
        let after = after.map(|at| &after_decisions.decided[at]);
        let tag_after = after_tag.flatten();
        let moved = !same_landing(before, after, serial);
        let accumulator = tags.entry(tag_after).or_default();
        accumulator.devices += 1;
        accumulator.note(before, after);
        if !moved {
            return;
        }
        accumulator.moved += 1;
        let before_landing = before.map(|d| d.landing(serial)).unwrap_or_default();
        let after_landing = after.map(|d| d.landing(serial)).unwrap_or_default();
        let tag_label = tag_after.unwrap_or("(untagged)");
        let mut blamed: BTreeSet<(Kind, &str)> = BTreeSet::new();
        if before_landing.profile != after_landing.profile || before_landing.name != after_landing.name {
            for names in before_landing.profile.iter().chain(after_landing.profile.iter()) {
                blamed.extend(names.split(" | ").map(|name| (Kind::DeploymentProfile, name)));
            }
        }
        if before_landing.esp != after_landing.esp {
            for name in before_landing
                .esp
                .iter()
                .chain(after_landing.esp.iter())
                .filter(|n| n.as_str() != DEFAULT_ESP)
            {
                blamed.insert((Kind::EnrollmentStatusPage, name.as_str()));
            }
        }
        let no_groups: &[&str] = &[];
        let before_set: BTreeSet<&str> = before
            .map_or(no_groups, |d| d.groups.as_slice())
            .iter()
            .copied()
            .collect();
        let after_set: BTreeSet<&str> = after
            .map_or(no_groups, |d| d.groups.as_slice())
            .iter()
            .copied()
            .collect();
        for group in before_set.symmetric_difference(&after_set) {
            blamed.insert((Kind::DeviceGroup, group));
        }
        for (kind, name) in blamed {
            let entry = by_object.entry((kind, name.to_owned())).or_default();
            entry.0 += 1;
            if !entry.1.contains(tag_label) {
                entry.1.insert(tag_label.to_owned());
            }
        }
        changes.push(DeviceImpact {
            serial: serial.to_owned(),
            registered: found.is_some(),
            tag_before: found.and_then(|f| f.group_tag.clone()),
            tag_after: tag_after.map(str::to_owned),
            before: before_landing,
            after: after_landing,
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
            let key = Some(tag.value.as_str());
            if tags.contains_key(&key) {
                continue;
            }
            let probe = KnownDevice::new(String::new()).with_group_tag(tag.value.clone());
            let before = before_routing.decide(&before_routing.groups_of(&probe));
            let after =
                after_routing.decide(&before_routing, &after_routing.groups_of(&before_routing, &probe));
            let accumulator = tags.entry(key).or_default();
            accumulator
                .groups
                .extend(after.groups.iter().map(|g| (*g).to_owned()));
            accumulator.note(Some(&before), Some(&after));
        }
    }
    let tags = tags
        .into_iter()
        .map(|(tag, acc)| TagImpact {
            tag: tag.map(str::to_owned),
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
