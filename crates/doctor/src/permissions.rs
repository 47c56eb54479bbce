//! What each hangar command needs from Microsoft Graph, as data, and whether a token's
//! permissions cover it.
//!
//! [`NEEDS`] is the table: one row per (command, permission), each with what the permission is
//! for. [`IMPLIED`] says which broader permissions also grant a narrower one. Both follow the
//! "least privileged" and "higher privileged" columns of Microsoft's permission tables for the
//! endpoints hangar calls (graph-api-notes §10 and the pages cited in `docs/doctor.md`).
//! `docs/security.md` keeps the same table for people; this one is what `hangar doctor` checks.

use serde::Serialize;

/// A hangar command that talks to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// `hangar plan` and `hangar drift` (read only).
    Plan,
    /// `hangar apply`.
    Apply,
    /// `hangar doctor`.
    Doctor,
}

impl Command {
    /// Every command, in table order.
    pub const ALL: [Command; 3] = [Command::Plan, Command::Apply, Command::Doctor];

    /// The command as typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Plan => "plan",
            Command::Apply => "apply",
            Command::Doctor => "doctor",
        }
    }
}

/// One permission a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Need {
    /// The command.
    pub command: Command,
    /// The least-privileged Graph application permission that allows it.
    pub permission: &'static str,
    /// What it is for.
    pub purpose: &'static str,
    /// Needed only in some configurations (`None`: always).
    pub only_when: Option<Condition>,
}

/// When a permission is needed only for some configurations: decided from the configuration
/// when doctor has one, said as a possibility when it has not (never an error then: most
/// configurations do not need it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A group has owners or a Device Preparation policy exists (the Intune Provisioning
    /// Client is looked up).
    OwnersOrDevicePreparation,
    /// An ESP blocks on apps or a Device Preparation policy allows apps (the tenant's apps are
    /// read to resolve names and take their types).
    AppsReferenced,
}

impl Condition {
    /// The condition in words, for findings and JSON.
    pub fn describe(self) -> &'static str {
        match self {
            Condition::OwnersOrDevicePreparation => {
                "a group has owners or a Device Preparation policy exists"
            }
            Condition::AppsReferenced => "an ESP blocks on apps or a Device Preparation policy allows apps",
        }
    }

    /// Whether `config` needs the permission: the same tests `hangar plan` uses to decide
    /// what it reads.
    pub fn holds(self, config: &hangar_config::DesiredState) -> bool {
        match self {
            Condition::OwnersOrDevicePreparation => config.reads_owners(),
            Condition::AppsReferenced => config.references_apps(),
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.describe())
    }
}

const fn need(command: Command, permission: &'static str, purpose: &'static str) -> Need {
    Need {
        command,
        permission,
        purpose,
        only_when: None,
    }
}

const fn need_when(
    command: Command,
    permission: &'static str,
    purpose: &'static str,
    when: Condition,
) -> Need {
    Need {
        command,
        permission,
        purpose,
        only_when: Some(when),
    }
}

/// What each command needs (application permissions; a delegated token needs the same scopes,
/// and its user needs an Intune or directory role that allows the same).
pub const NEEDS: &[Need] = &[
    need(
        Command::Plan,
        "DeviceManagementServiceConfig.Read.All",
        "read Autopilot profiles, ESPs, enrollment restrictions and registered devices",
    ),
    need(
        Command::Plan,
        "DeviceManagementConfiguration.Read.All",
        "read Device Preparation policies and domain join profiles",
    ),
    need(
        Command::Plan,
        "Group.Read.All",
        "read device groups and their owners",
    ),
    need_when(
        Command::Plan,
        "Application.Read.All",
        "look up the Intune Provisioning Client service principal",
        Condition::OwnersOrDevicePreparation,
    ),
    need_when(
        Command::Plan,
        "DeviceManagementApps.Read.All",
        "resolve the apps an ESP or a Device Preparation policy names, and take their types",
        Condition::AppsReferenced,
    ),
    need(
        Command::Apply,
        "DeviceManagementServiceConfig.ReadWrite.All",
        "write Autopilot profiles and assignments, ESPs, restrictions, priorities, devices, sync",
    ),
    need(
        Command::Apply,
        "DeviceManagementConfiguration.ReadWrite.All",
        "write Device Preparation policies and domain join profiles",
    ),
    need(
        Command::Apply,
        "Group.ReadWrite.All",
        "create and change device groups and their owners",
    ),
    need_when(
        Command::Apply,
        "Application.Read.All",
        "look up the Intune Provisioning Client service principal",
        Condition::OwnersOrDevicePreparation,
    ),
    need_when(
        Command::Apply,
        "DeviceManagementApps.Read.All",
        "resolve the apps an ESP or a Device Preparation policy names, and take their types",
        Condition::AppsReferenced,
    ),
    need(
        Command::Doctor,
        "DeviceManagementServiceConfig.Read.All",
        "read profiles, registered devices and the Autopilot sync state",
    ),
    need(
        Command::Doctor,
        "DeviceManagementConfiguration.Read.All",
        "read the Intune Connectors for Active Directory",
    ),
    need(
        Command::Doctor,
        "Organization.Read.All",
        "read licences (subscribed SKUs)",
    ),
    need(
        Command::Doctor,
        "Policy.Read.DeviceConfiguration",
        "read who may join devices to Entra",
    ),
    need(
        Command::Doctor,
        "Application.Read.All",
        "look up the Intune Provisioning Client service principal",
    ),
];

/// Broader permissions that grant a narrower one: `(narrow, [broader…])`.
pub const IMPLIED: &[(&str, &[&str])] = &[
    (
        "DeviceManagementServiceConfig.Read.All",
        &["DeviceManagementServiceConfig.ReadWrite.All"],
    ),
    (
        "DeviceManagementConfiguration.Read.All",
        &["DeviceManagementConfiguration.ReadWrite.All"],
    ),
    (
        "DeviceManagementApps.Read.All",
        &["DeviceManagementApps.ReadWrite.All"],
    ),
    (
        "Group.Read.All",
        &[
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
    ),
    ("Group.ReadWrite.All", &["Directory.ReadWrite.All"]),
    (
        "Application.Read.All",
        &[
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
    ),
    (
        "Organization.Read.All",
        &[
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
    ),
    (
        "Policy.Read.DeviceConfiguration",
        &["Policy.ReadWrite.DeviceConfiguration"],
    ),
];

/// Whether `held` grants `permission`, directly or through a broader one.
pub fn grants(held: &[String], permission: &str) -> bool {
    let has = |name: &str| held.iter().any(|h| h.eq_ignore_ascii_case(name));
    has(permission)
        || IMPLIED
            .iter()
            .filter(|(narrow, _)| narrow.eq_ignore_ascii_case(permission))
            .any(|(_, broader)| broader.iter().any(|b| has(b)))
}

/// The rows of `command` that `held` does not grant and that apply: with a configuration, a
/// conditional row only when its condition holds; without one, every row (the caller tells
/// the conditional ones apart).
pub fn missing(
    held: &[String],
    command: Command,
    config: Option<&hangar_config::DesiredState>,
) -> Vec<&'static Need> {
    NEEDS
        .iter()
        .filter(|need| need.command == command && !grants(held, need.permission))
        .filter(|need| match (need.only_when, config) {
            (Some(condition), Some(config)) => condition.holds(config),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn write_permissions_grant_reads_and_directory_grants_groups() {
        let token = held(&[
            "DeviceManagementServiceConfig.ReadWrite.All",
            "Directory.Read.All",
        ]);
        assert!(grants(&token, "DeviceManagementServiceConfig.Read.All"));
        assert!(grants(&token, "group.read.all"));
        assert!(!grants(&token, "Group.ReadWrite.All"));
        assert!(!grants(&token, "DeviceManagementConfiguration.Read.All"));
    }

    #[test]
    fn a_plan_only_app_misses_apply_but_not_plan() {
        let token = held(&[
            "DeviceManagementServiceConfig.Read.All",
            "DeviceManagementConfiguration.Read.All",
            "Group.Read.All",
            "Application.Read.All",
            "DeviceManagementApps.Read.All",
        ]);
        assert!(missing(&token, Command::Plan, None).is_empty());
        let apply: Vec<&str> = missing(&token, Command::Apply, None)
            .iter()
            .map(|n| n.permission)
            .collect();
        assert_eq!(
            apply,
            [
                "DeviceManagementServiceConfig.ReadWrite.All",
                "DeviceManagementConfiguration.ReadWrite.All",
                "Group.ReadWrite.All"
            ]
        );
    }

    #[test]
    fn every_needed_permission_is_a_known_name() {
        // Each row's permission is spelled like Microsoft's (`Area.Level.Scope` or
        // `Policy.Read.DeviceConfiguration`), so a typo cannot make a need unsatisfiable.
        for need in NEEDS {
            let parts: Vec<&str> = need.permission.split('.').collect();
            assert!(parts.len() >= 2, "{}", need.permission);
            assert!(parts.iter().all(|p| p.chars().all(char::is_alphanumeric)));
        }
    }
}
