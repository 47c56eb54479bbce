//! [`Intent`]: what doctor compares the tenant with. The cloud and tenant id always; with a
//! configuration directory, also what it manages (hybrid profiles, Device Preparation policies
//! and their user groups, the profile each group tag should get).
//!
//! Without a configuration, doctor checks what every Autopilot tenant needs and says less about
//! the rest: whether hybrid join is used is then read from the tenant's profiles, and Device
//! Preparation is assumed where it is the only Autopilot (GCC High, DoD).

use hangar_config::{DesiredState, JoinType, KnownDevice, Routing};
use hangar_model::Cloud;

/// What the tenant is compared with.
#[derive(Clone, Copy)]
pub struct Intent<'a> {
    /// The tenant's cloud.
    pub cloud: Cloud,
    /// The tenant id (GUID or domain) doctor signs in to.
    pub tenant_id: &'a str,
    /// The configuration, when doctor was given a directory.
    pub config: Option<&'a DesiredState>,
}

/// The profile a configuration gives devices of one group tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedProfile {
    /// This profile.
    One(String),
    /// Several reach the tag's devices (Intune picks one; `validate` reports it).
    Several(Vec<String>),
    /// None: the devices get no classic profile (Device Preparation, or nothing).
    None,
}

impl<'a> Intent<'a> {
    /// Without a configuration.
    pub fn bare(cloud: Cloud, tenant_id: &'a str) -> Intent<'a> {
        Intent {
            cloud,
            tenant_id,
            config: None,
        }
    }

    /// From a configuration's `Tenant` document.
    pub fn of(config: &'a DesiredState) -> Intent<'a> {
        Intent {
            cloud: config.tenant.cloud.value,
            tenant_id: &config.tenant.tenant_id.value,
            config: Some(config),
        }
    }

    /// Names of the configuration's hybrid deployment profiles (`None` without one).
    pub fn hybrid_profiles(&self) -> Option<Vec<String>> {
        self.config.map(|config| {
            config
                .profiles
                .iter()
                .filter(|profile| profile.join.value == JoinType::Hybrid)
                .map(|profile| profile.meta.name.value.clone())
                .collect()
        })
    }

    /// The configuration's Device Preparation policies as `(name, user group names)` (`None`
    /// without a configuration).
    pub fn device_preparation(&self) -> Option<Vec<(String, Vec<String>)>> {
        self.config.map(|config| {
            config
                .device_preparation
                .iter()
                .map(|policy| {
                    let groups = policy
                        .user_groups
                        .iter()
                        .map(|group| config.group(group.value).meta.name.value.clone())
                        .collect();
                    (policy.meta.name.value.clone(), groups)
                })
                .collect()
        })
    }

    /// The user groups of every Device Preparation policy, deduplicated, in order.
    pub fn device_preparation_user_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for (_, policy_groups) in self.device_preparation().unwrap_or_default() {
            for group in policy_groups {
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
        }
        groups
    }

    /// A per-tag lookup of the expected profile (`None` without a configuration).
    pub fn profile_expectations(&self) -> Option<ProfileExpectations<'a>> {
        self.config.map(|config| ProfileExpectations {
            config,
            routing: Routing::new(config),
        })
    }
}

/// Which profile the configuration gives devices of a group tag.
pub struct ProfileExpectations<'a> {
    config: &'a DesiredState,
    routing: Routing<'a>,
}

impl ProfileExpectations<'_> {
    /// The profile a device registered with `tag` (empty: no tag) gets.
    pub fn for_tag(&self, tag: &str) -> ExpectedProfile {
        let device = KnownDevice::new("%SERIAL%");
        let device = if tag.is_empty() {
            device
        } else {
            device.with_group_tag(tag.to_owned())
        };
        let route = self.routing.route(&device);
        let names: Vec<String> = route
            .profiles
            .iter()
            .map(|pick| self.config.profile(pick.id).meta.name.value.clone())
            .collect();
        match names.len() {
            0 => ExpectedProfile::None,
            1 => ExpectedProfile::One(names.into_iter().next().unwrap_or_default()),
            _ => ExpectedProfile::Several(names),
        }
    }
}
