//! The kinds of resource hangar manages.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of tenant object hangar manages. The YAML kinds map one to one, except `Tenant`
/// (settings, not an object) and `AutopilotDevices` (a list of [`Kind::AutopilotDevice`]).
///
/// The declaration order is the dependency order used when nothing more specific applies:
/// groups before anything that references them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Kind {
    /// An Entra security group (dynamic by group tag or rule, or assigned).
    DeviceGroup,
    /// A Windows Autopilot deployment profile (classic, v1).
    DeploymentProfile,
    /// An Enrollment Status Page (`windows10EnrollmentCompletionPageConfiguration`).
    EnrollmentStatusPage,
    /// A hybrid-join domain join profile (`windowsDomainJoinConfiguration`).
    DomainJoinProfile,
    /// A Windows enrollment (platform) restriction.
    EnrollmentRestriction,
    /// An Autopilot Device Preparation policy (v2, a Settings Catalog `configurationPolicy`).
    DevicePreparationPolicy,
    /// A registered Windows Autopilot device identity.
    AutopilotDevice,
}

impl Kind {
    /// Every kind, in dependency order.
    pub const ALL: [Kind; 7] = [
        Kind::DeviceGroup,
        Kind::DeploymentProfile,
        Kind::EnrollmentStatusPage,
        Kind::DomainJoinProfile,
        Kind::EnrollmentRestriction,
        Kind::DevicePreparationPolicy,
        Kind::AutopilotDevice,
    ];

    /// The name used in YAML `kind:` fields and in plans.
    pub fn name(self) -> &'static str {
        match self {
            Kind::DeviceGroup => "DeviceGroup",
            Kind::DeploymentProfile => "DeploymentProfile",
            Kind::EnrollmentStatusPage => "EnrollmentStatusPage",
            Kind::DomainJoinProfile => "DomainJoinProfile",
            Kind::EnrollmentRestriction => "EnrollmentRestriction",
            Kind::DevicePreparationPolicy => "DevicePreparationPolicy",
            Kind::AutopilotDevice => "AutopilotDevice",
        }
    }

    /// Parses a kind from its [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("Tenant"), None);
    }
}
