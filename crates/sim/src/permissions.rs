//! Application permissions: which roles in the token each request needs, and the 403 Graph
//! answers without them.
//!
//! The simulator's own table (it does not reuse `hangar-graph`'s, so a wrong row there cannot
//! hide here), from the permissions section of each API's page on learn.microsoft.com: every
//! role Microsoft accepts for application tokens, least and higher privileged. A path outside the
//! table needs nothing. Directory resources refuse with `Authorization_RequestDenied`
//! ("Insufficient privileges to complete the operation."), Intune with `Forbidden` and its JSON
//! message naming the scopes ("Application is not authorized to perform this operation.
//! Application must have one of the following scopes: …"), as Graph does.
//!
//! A registered client without `roles` gets the configuration's `app_roles`
//! ([`crate::config::DEFAULT_APP_ROLES`] unless changed: everything hangar uses).

use crate::odata::Call;
use crate::reply::{GraphError, IntuneService};

const SERVICE_CONFIG_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
];
const SERVICE_CONFIG_WRITE: &[&str] = &["DeviceManagementServiceConfig.ReadWrite.All"];
const CONFIGURATION_READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const CONFIGURATION_WRITE: &[&str] = &["DeviceManagementConfiguration.ReadWrite.All"];

/// Who answers a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refuser {
    Directory,
    Intune(IntuneService),
}

/// One resource family: the first path segments, and the roles accepted for reads and writes.
struct Row {
    prefix: &'static [&'static str],
    read: &'static [&'static str],
    write: &'static [&'static str],
    refuser: Refuser,
}

const ROWS: &[Row] = &[
    Row {
        prefix: &["groups"],
        read: &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        refuser: Refuser::Directory,
    },
    Row {
        prefix: &["servicePrincipals"],
        read: &[
            "Application.Read.All",
            "Application.ReadWrite.OwnedBy",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &[
            "Application.ReadWrite.OwnedBy",
            "Application.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        refuser: Refuser::Directory,
    },
    Row {
        prefix: &["deviceManagement", "windowsAutopilotDeploymentProfiles"],
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_WRITE,
        refuser: Refuser::Intune(IntuneService::Enrollment),
    },
    Row {
        prefix: &["deviceManagement", "deviceEnrollmentConfigurations"],
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_WRITE,
        refuser: Refuser::Intune(IntuneService::Enrollment),
    },
    Row {
        prefix: &["deviceManagement", "windowsAutopilotDeviceIdentities"],
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_WRITE,
        refuser: Refuser::Intune(IntuneService::Enrollment),
    },
    Row {
        prefix: &["deviceManagement", "importedWindowsAutopilotDeviceIdentities"],
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_WRITE,
        refuser: Refuser::Intune(IntuneService::Enrollment),
    },
    Row {
        prefix: &["deviceManagement", "windowsAutopilotSettings"],
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_WRITE,
        refuser: Refuser::Intune(IntuneService::Enrollment),
    },
    Row {
        prefix: &["deviceManagement", "deviceConfigurations"],
        read: CONFIGURATION_READ,
        write: CONFIGURATION_WRITE,
        refuser: Refuser::Intune(IntuneService::DeviceConfiguration),
    },
    Row {
        prefix: &["deviceManagement", "configurationPolicies"],
        read: CONFIGURATION_READ,
        write: CONFIGURATION_WRITE,
        refuser: Refuser::Intune(IntuneService::DeviceConfigV2),
    },
    Row {
        prefix: &["deviceManagement", "configurationPolicyTemplates"],
        read: CONFIGURATION_READ,
        write: CONFIGURATION_WRITE,
        refuser: Refuser::Intune(IntuneService::DeviceConfigV2),
    },
    Row {
        prefix: &["deviceManagement", "deviceManagementScripts"],
        read: CONFIGURATION_READ,
        write: CONFIGURATION_WRITE,
        refuser: Refuser::Intune(IntuneService::DeviceConfiguration),
    },
    Row {
        prefix: &["deviceManagement", "roleScopeTags"],
        // Learn's roleScopeTag pages accept the configuration permissions as well.
        read: &[
            "DeviceManagementConfiguration.Read.All",
            "DeviceManagementConfiguration.ReadWrite.All",
            "DeviceManagementRBAC.Read.All",
            "DeviceManagementRBAC.ReadWrite.All",
        ],
        write: &[
            "DeviceManagementConfiguration.ReadWrite.All",
            "DeviceManagementRBAC.ReadWrite.All",
        ],
        refuser: Refuser::Intune(IntuneService::DeviceConfiguration),
    },
    Row {
        prefix: &["deviceAppManagement", "mobileApps"],
        read: &[
            "DeviceManagementApps.Read.All",
            "DeviceManagementApps.ReadWrite.All",
        ],
        write: &["DeviceManagementApps.ReadWrite.All"],
        refuser: Refuser::Intune(IntuneService::DeviceConfiguration),
    },
];

/// Refuses `call` with Graph's 403 unless `roles` holds one the request needs.
pub(crate) fn check(call: &Call, roles: &[String]) -> Result<(), GraphError> {
    let Some(row) = ROWS.iter().find(|row| {
        row.prefix.len() <= call.segments.len()
            && row
                .prefix
                .iter()
                .zip(&call.segments)
                .all(|(want, got)| want.eq_ignore_ascii_case(got))
    }) else {
        return Ok(());
    };
    // `retrieve…` actions are reads, whatever their method.
    let read = !call.method.is_write() || call.path.contains("/retrieve");
    let accepted = if read { row.read } else { row.write };
    if roles
        .iter()
        .any(|role| accepted.iter().any(|a| a.eq_ignore_ascii_case(role)))
    {
        return Ok(());
    }
    Err(match row.refuser {
        Refuser::Directory => GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ),
        Refuser::Intune(service) => GraphError::intune(
            403,
            "Forbidden",
            service,
            format!(
                "Application is not authorized to perform this operation. Application must have one of the following scopes: {}",
                accepted.join(", ")
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::Method;

    fn call(method: &str, path: &str) -> Call {
        Call {
            method: Method::parse(method),
            version: crate::schema::ApiVersion::Beta,
            segments: Call::split_path(path),
            path: path.to_owned(),
            raw_query: String::new(),
            query: Vec::new(),
            body: Vec::new(),
            base_url: String::new(),
            client_id: "app".into(),
            grant: Default::default(),
            consistency_eventual: false,
        }
    }

    fn roles(list: &[&str]) -> Vec<String> {
        list.iter().map(|r| (*r).to_owned()).collect()
    }

    #[test]
    fn reads_need_a_read_role_and_writes_a_write_role() {
        let read_only = roles(&["Group.Read.All", "DeviceManagementServiceConfig.Read.All"]);
        assert!(check(&call("GET", "/groups"), &read_only).is_ok());
        let refused = check(&call("POST", "/groups"), &read_only).unwrap_err();
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (403, "Authorization_RequestDenied")
        );
        assert!(
            check(
                &call("GET", "/deviceManagement/windowsAutopilotDeploymentProfiles"),
                &read_only
            )
            .is_ok()
        );
        let refused = check(
            &call("PATCH", "/deviceManagement/deviceEnrollmentConfigurations/x"),
            &read_only,
        )
        .unwrap_err();
        assert_eq!(refused.code, "Forbidden");
        assert!(
            refused
                .message
                .contains("DeviceManagementServiceConfig.ReadWrite.All")
        );
        // Not in the table: nothing needed.
        assert!(check(&call("GET", "/organization"), &[]).is_ok());
        // A retrieve action reads.
        let config = roles(&["DeviceManagementConfiguration.Read.All"]);
        assert!(
            check(
                &call(
                    "POST",
                    "/deviceManagement/configurationPolicies/x/retrieveEnrollmentTimeDeviceMembershipTarget"
                ),
                &config
            )
            .is_ok()
        );
        let defaults = roles(&crate::config::DEFAULT_APP_ROLES);
        assert!(check(&call("POST", "/servicePrincipals"), &defaults).is_ok());
    }
}
