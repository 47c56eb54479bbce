//! Routing: where a device lands. Given a [`DesiredState`] and any device (a CSV row, or a live
//! tenant device the planner read), which groups it is in, which deployment profile, ESP,
//! Device Preparation policy and domain join profile reach it, and what it will be named.
//!
//! ```no_run
//! # fn demo(state: &hangar_config::DesiredState) {
//! use hangar_config::{KnownDevice, Routing};
//!
//! let routing = Routing::new(state);
//! let route = routing.route(&KnownDevice::new("5CG1234ABC").with_group_tag("Engineering"));
//! for line in routing.explain(&route) {
//!     println!("{line}");
//! }
//! # }
//! ```
//!
//! Devices are described with [`KnownDevice`] from `hangar-membership` (serial, group tag,
//! purchase order, any device property), so live devices route exactly like CSV rows.
//! [`known_device`] builds one from a CSV row and [`known_live_device`] from a
//! [`LiveDevice`](hangar_model::LiveDevice).
//!
//! Group membership uses the `hangar-membership` evaluator; group-tag groups are indexed so
//! that routing 100,000 devices over dozens of groups takes milliseconds. Only device-targeted
//! assignments (groups the device is in, `all-devices`) are followed: user-targeted ones
//! (`all-users`, user groups) depend on who signs in, and are reported as such.
//!
//! **Several profiles.** When more than one deployment profile reaches a device, Intune assigns
//! one of them and does not document which (microsoft/windows-itpro-docs#5923 reports it as
//! nondeterministic). [`Route::profiles`] lists all of them in document order and
//! [`Route::profile`] returns one only when it is unambiguous.

use std::collections::HashMap;

pub use hangar_membership::{DeviceAttributes, KnownDevice};

use crate::model::*;
use crate::naming::{self, Part};

/// How an object reaches a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// Through a group the device is in.
    Group(GroupId),
    /// Through `all-devices`.
    AllDevices,
    /// Through the users who sign in (`userGroups` of a Device Preparation policy).
    UserGroups,
    /// The built-in default (ESP).
    Default,
}

/// An object that reaches a device, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pick<T> {
    /// The object.
    pub id: T,
    /// How it reaches the device.
    pub via: Via,
}

/// Where the device name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    /// The Entra profile's `deviceName` template.
    Profile(ProfileId),
    /// The hybrid device's domain join profile (`computerNamePrefix` + random characters).
    DomainJoin(DomainJoinId),
}

/// A device's expected name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName {
    /// Where it comes from.
    pub source: NameSource,
    /// The name, `#` standing for each random character.
    pub name: String,
}

/// Where one device lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The groups the device is in (dynamic groups whose rule matches; never assigned groups).
    pub groups: Vec<GroupId>,
    /// Every deployment profile that reaches the device, in document order.
    pub profiles: Vec<Pick<ProfileId>>,
    /// The ESP: the highest-priority ESP among those targeted at the device, else the default
    /// (`Via::Default`, with the `name: default` document if there is one).
    pub esp: Option<Pick<EspId>>,
    /// User-driven Device Preparation policies that apply when one of their users signs in.
    /// Empty when a classic profile reaches the device (the classic profile wins).
    pub device_preparation: Vec<Pick<DppId>>,
    /// Domain join profiles that reach the device.
    pub domain_joins: Vec<Pick<DomainJoinId>>,
    /// The expected device name, when a template or domain join profile decides it.
    pub device_name: Option<DeviceName>,
}

impl Route {
    /// The deployment profile, when exactly one reaches the device.
    pub fn profile(&self) -> Option<Pick<ProfileId>> {
        match self.profiles.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// Whether several profiles reach the device (Intune then picks one, undocumented).
    pub fn is_ambiguous(&self) -> bool {
        self.profiles.len() > 1
    }
}

enum Matcher {
    Rule(hangar_membership::Rule),
    Never,
}

/// Routes devices through one desired state. Build once, route many.
pub struct Routing<'a> {
    state: &'a DesiredState,
    matchers: Vec<Matcher>,
    /// Lower-cased group tag → groups whose rule is exactly that tag.
    by_tag: HashMap<String, Vec<GroupId>>,
    /// Dynamic groups that must be evaluated for every device.
    general: Vec<GroupId>,
    /// The built-in ESP document, if any.
    default_esp: Option<EspId>,
    /// Compiled name templates per profile (`None`: no template or an invalid one).
    templates: Vec<Option<Vec<Part>>>,
    /// Which profiles, ESPs and domain join profiles each group (or all devices) can bring, so
    /// a route looks at a handful of candidates instead of every object.
    profile_index: AssignIndex,
    esp_index: AssignIndex,
    domain_join_index: AssignIndex,
}

/// Candidate objects of one kind per included group, plus those assigned to all devices.
#[derive(Debug, Default)]
struct AssignIndex {
    all: Vec<u32>,
    by_group: Vec<Vec<u32>>,
}

impl AssignIndex {
    fn new<'x>(groups: usize, assigns: impl Iterator<Item = Option<&'x Assignments>>) -> AssignIndex {
        let mut index = AssignIndex {
            all: Vec::new(),
            by_group: vec![Vec::new(); groups],
        };
        for (object, assign) in assigns.enumerate() {
            let Some(assign) = assign else { continue };
            for target in &assign.include {
                match target.value {
                    Target::AllDevices => index.all.push(object as u32),
                    Target::Group(group) => index.by_group[group.index()].push(object as u32),
                    Target::AllUsers => {}
                }
            }
        }
        index
    }

    /// Objects that may reach a device in `groups`, in document order (exclusions not applied).
    fn candidates(&self, groups: &[GroupId]) -> Vec<u32> {
        let mut out = self.all.clone();
        for group in groups {
            out.extend_from_slice(&self.by_group[group.index()]);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl std::fmt::Debug for Routing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing")
            .field("tags", &self.by_tag.len())
            .field("general", &self.general)
            .finish()
    }
}

impl<'a> Routing<'a> {
    /// Prepares routing: parses every membership rule and name template once.
    pub fn new(state: &'a DesiredState) -> Routing<'a> {
        let mut by_tag: HashMap<String, Vec<GroupId>> = HashMap::new();
        let mut general = Vec::new();
        let mut matchers = Vec::with_capacity(state.groups.len());
        for (index, group) in state.groups.iter().enumerate() {
            let id = GroupId(index as u32);
            let rule = group
                .membership
                .value
                .rule()
                .and_then(|text| hangar_membership::parse(&text).ok());
            match rule {
                Some(rule) => {
                    match rule.exact_group_tag() {
                        Some(tag) => by_tag.entry(tag.to_lowercase()).or_default().push(id),
                        None => general.push(id),
                    }
                    matchers.push(Matcher::Rule(rule));
                }
                None => matchers.push(Matcher::Never),
            }
        }
        let default_esp = state
            .esps
            .iter()
            .position(|esp| esp.builtin)
            .map(|index| EspId(index as u32));
        let templates = state
            .profiles
            .iter()
            .map(|profile| {
                profile
                    .device_name
                    .as_ref()
                    .and_then(|template| naming::parse(&template.value).ok())
            })
            .collect();
        let groups = state.groups.len();
        let profile_index =
            AssignIndex::new(groups, state.profiles.iter().map(|profile| Some(&profile.assign)));
        let esp_index = AssignIndex::new(
            groups,
            state.esps.iter().map(|esp| (!esp.builtin).then_some(&esp.assign)),
        );
        let domain_join_index =
            AssignIndex::new(groups, state.domain_joins.iter().map(|join| Some(&join.assign)));
        Routing {
            state,
            matchers,
            by_tag,
            general,
            default_esp,
            templates,
            profile_index,
            esp_index,
            domain_join_index,
        }
    }

    /// The state this routes through.
    pub fn state(&self) -> &'a DesiredState {
        self.state
    }

    /// The dynamic groups a device is in, sorted.
    pub fn groups_of(&self, device: &KnownDevice) -> Vec<GroupId> {
        let mut groups = Vec::new();
        if let Some(tag) = device.group_tag()
            && let Some(candidates) = self.by_tag.get(&tag.to_lowercase())
        {
            groups.extend(
                candidates
                    .iter()
                    .copied()
                    .filter(|&id| self.is_member(id, device)),
            );
        }
        groups.extend(
            self.general
                .iter()
                .copied()
                .filter(|&id| self.is_member(id, device)),
        );
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    fn is_member(&self, group: GroupId, device: &KnownDevice) -> bool {
        match &self.matchers[group.index()] {
            Matcher::Rule(rule) => rule.matches(device),
            Matcher::Never => false,
        }
    }

    /// Where a device lands.
    pub fn route(&self, device: &KnownDevice) -> Route {
        let groups = self.groups_of(device);
        self.route_groups(device.serial(), groups)
    }

    /// Where a device in exactly these groups lands (`groups` sorted).
    pub fn route_groups(&self, serial: &str, groups: Vec<GroupId>) -> Route {
        let state = self.state;
        let reach = |assign: &Assignments| reach(assign, &groups);
        let profiles: Vec<Pick<ProfileId>> = self
            .profile_index
            .candidates(&groups)
            .into_iter()
            .filter_map(|index| {
                reach(&state.profiles[index as usize].assign).map(|via| Pick {
                    id: ProfileId(index),
                    via,
                })
            })
            .collect();
        let esp = self
            .esp_index
            .candidates(&groups)
            .into_iter()
            .filter_map(|index| {
                let esp = &state.esps[index as usize];
                reach(&esp.assign)
                    .map(|via| (esp.priority.as_ref().map_or(u32::MAX, |p| p.value), index, via))
            })
            .min()
            .map(|(_, index, via)| Pick {
                id: EspId(index),
                via,
            })
            .or_else(|| {
                self.default_esp.map(|id| Pick {
                    id,
                    via: Via::Default,
                })
            });
        let device_preparation = if profiles.is_empty() {
            state
                .device_preparation
                .iter()
                .enumerate()
                .filter(|(_, dpp)| dpp.mode.value == DppMode::UserDriven && !dpp.user_groups.is_empty())
                .map(|(index, _)| Pick {
                    id: DppId(index as u32),
                    via: Via::UserGroups,
                })
                .collect()
        } else {
            Vec::new()
        };
        let domain_joins: Vec<Pick<DomainJoinId>> = self
            .domain_join_index
            .candidates(&groups)
            .into_iter()
            .filter_map(|index| {
                reach(&state.domain_joins[index as usize].assign).map(|via| Pick {
                    id: DomainJoinId(index),
                    via,
                })
            })
            .collect();
        let device_name = profiles.first().and_then(|pick| {
            let profile = state.profile(pick.id);
            match profile.join.value {
                JoinType::Entra => self.templates[pick.id.index()].as_ref().map(|parts| DeviceName {
                    source: NameSource::Profile(pick.id),
                    name: naming::expand(parts, serial),
                }),
                JoinType::Hybrid => domain_joins.first().map(|join| {
                    let join_profile = state.domain_join(join.id);
                    let mut name = join_profile.computer_name_prefix.value.clone();
                    name.extend(std::iter::repeat_n('#', join_profile.random_chars.value as usize));
                    DeviceName {
                        source: NameSource::DomainJoin(join.id),
                        name,
                    }
                }),
            }
        });
        Route {
            groups,
            profiles,
            esp,
            device_preparation,
            domain_joins,
            device_name,
        }
    }

    /// Why the device is in a group, in words.
    pub fn group_reason(&self, group: GroupId) -> String {
        match &self.state.group(group).membership.value {
            Membership::GroupTag(tag) => format!("its group tag is `{}`", tag.value),
            Membership::Rule(rule) => format!("it matches the rule `{}`", rule.value),
            Membership::Assigned => "it is a member (assigned)".to_owned(),
        }
    }

    /// The route in words, one line per decision, for `hangar explain` and plan output.
    pub fn explain(&self, route: &Route) -> Vec<String> {
        let state = self.state;
        let group_name = |id: GroupId| state.group(id).meta.name.value.as_str();
        let via = |via: Via| match via {
            Via::Group(group) => format!("assigned to group `{}`", group_name(group)),
            Via::AllDevices => "assigned to all devices".to_owned(),
            Via::UserGroups => "applies when a member of its user groups signs in".to_owned(),
            Via::Default => "no other ESP targets the device".to_owned(),
        };
        let mut lines = Vec::new();
        if route.groups.is_empty() {
            lines.push("groups: none (no dynamic group matches)".to_owned());
        }
        for &group in &route.groups {
            lines.push(format!(
                "group `{}`: {}",
                group_name(group),
                self.group_reason(group)
            ));
        }
        match route.profiles.as_slice() {
            [] => lines.push("profile: none (no deployment profile reaches the device)".to_owned()),
            [only] => lines.push(format!(
                "profile `{}`: {}",
                state.profile(only.id).meta.name.value,
                via(only.via)
            )),
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|pick| format!("`{}` ({})", state.profile(pick.id).meta.name.value, via(pick.via)))
                    .collect();
                lines.push(format!(
                    "profile: ambiguous, Intune assigns one of {} and does not document which",
                    names.join(", ")
                ));
            }
        }
        match route.esp {
            Some(pick) => {
                let esp = state.esp(pick.id);
                let priority = esp
                    .priority
                    .as_ref()
                    .map(|p| format!(", priority {}", p.value))
                    .unwrap_or_default();
                lines.push(format!(
                    "esp `{}`: {}{priority}",
                    esp.meta.name.value,
                    via(pick.via)
                ));
            }
            None => lines.push(
                "esp: Intune's built-in default (not managed here): no other ESP targets the device"
                    .to_owned(),
            ),
        }
        // ESPs aimed at users cannot be resolved from device facts: say so instead of guessing.
        for esp in state.esps.iter().filter(|esp| !esp.builtin) {
            let for_users = esp.assign.include.iter().any(|target| match target.value {
                Target::AllUsers => true,
                Target::Group(group) => !state.group(group).is_dynamic(),
                Target::AllDevices => false,
            });
            if for_users
                && route
                    .esp
                    .is_none_or(|pick| state.esp(pick.id).meta.name != esp.meta.name)
            {
                lines.push(format!(
                    "esp `{}` may apply instead, depending on who signs in: it targets users",
                    esp.meta.name.value
                ));
            }
        }
        for pick in &route.device_preparation {
            let dpp = state.dpp(pick.id);
            let users: Vec<&str> = dpp
                .user_groups
                .iter()
                .map(|group| group_name(group.value))
                .collect();
            let device_group = dpp
                .device_group
                .as_ref()
                .map(|group| group_name(group.value))
                .unwrap_or("none");
            lines.push(format!(
                "device preparation `{}`: applies when a member of `{}` signs in; the device joins `{device_group}`",
                dpp.meta.name.value,
                users.join("`, `")
            ));
        }
        for pick in &route.domain_joins {
            lines.push(format!(
                "domain join `{}`: {}",
                state.domain_join(pick.id).meta.name.value,
                via(pick.via)
            ));
        }
        match &route.device_name {
            Some(name) => {
                let from = match name.source {
                    NameSource::Profile(profile) => format!(
                        "template `{}` of profile `{}`",
                        state
                            .profile(profile)
                            .device_name
                            .as_ref()
                            .map_or("", |t| t.value.as_str()),
                        state.profile(profile).meta.name.value
                    ),
                    NameSource::DomainJoin(join) => format!(
                        "domain join profile `{}`",
                        state.domain_join(join).meta.name.value
                    ),
                };
                lines.push(format!(
                    "name `{}`: from {from} (`#` = random character)",
                    name.name
                ));
            }
            None => lines.push("name: chosen by Windows (no name template reaches the device)".to_owned()),
        }
        lines
    }
}

/// How an assignment reaches a device in `groups`, if it does (exclusions win).
fn reach(assign: &Assignments, groups: &[GroupId]) -> Option<Via> {
    if assign
        .exclude
        .iter()
        .any(|excluded| groups.binary_search(&excluded.value).is_ok())
    {
        return None;
    }
    assign.include.iter().find_map(|target| match target.value {
        Target::Group(group) if groups.binary_search(&group).is_ok() => Some(Via::Group(group)),
        Target::AllDevices => Some(Via::AllDevices),
        _ => None,
    })
}

/// A CSV row as a routable device.
pub fn known_device(device: &Device) -> KnownDevice {
    let mut known = KnownDevice::new(device.serial.clone());
    if let Some(tag) = &device.group_tag {
        known = known.with_group_tag(tag.clone());
    }
    if let Some(name) = &device.display_name {
        known = known.with_display_name(name.clone());
    }
    known
}

/// A live tenant device as a routable device (serial, group tag, purchase order, display name).
pub fn known_live_device(device: &hangar_model::LiveDevice) -> KnownDevice {
    let mut known = KnownDevice::new(device.serial().to_owned());
    if let Some(tag) = &device.group_tag {
        known = known.with_group_tag(tag.clone());
    }
    if let Some(order) = &device.purchase_order_identifier {
        known = known.with_purchase_order(order.clone());
    }
    if let Some(name) = &device.display_name {
        known = known.with_display_name(name.clone());
    }
    known
}
