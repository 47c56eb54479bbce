//! Which Microsoft Graph application permission each request hangar sends needs, and which
//! hangar commands need it: one table, read by the 403 handling ([`for_request`]) and by
//! `docs/security.md`, which lists the same rows.
//!
//! Sources: the permissions section of each API's page on learn.microsoft.com (checked through
//! `graph-api-notes.md` §10 and the pages themselves); rows marked `verified: false` are the
//! notes' best reading without a page that says so for application permissions. The least
//! privileged permission is named; a broader one (`Directory.ReadWrite.All`) also works.

use reqwest::Method;

use crate::request::GraphRequest;
use crate::retry::RequestKind;

/// The commands that read the tenant (every read permission is needed by all of them).
pub const READ_COMMANDS: &str = "`hangar plan`, `drift`, `apply`, `import` and `doctor`";

/// The command that writes (every write permission is needed by it alone).
pub const WRITE_COMMANDS: &str = "`hangar apply`";

/// One family of Graph resources and the application permissions that read and write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionRow {
    /// The resource path prefix, relative to the version root (`/groups`).
    pub path: &'static str,
    /// What hangar does there, for people.
    pub what: &'static str,
    /// Least privileged application permission for reads.
    pub read: &'static str,
    /// Least privileged application permission for writes.
    pub write: &'static str,
    /// Whether a Microsoft page states these for application permissions.
    pub verified: bool,
}

/// Every Graph resource hangar touches. Longest prefix wins (the table is searched for the
/// longest matching `path`).
pub const PERMISSIONS: &[PermissionRow] = &[
    PermissionRow {
        path: "/groups",
        what: "device groups, their owners, member counts (a membership type change), and the apply lock (a group with a `uniqueName`)",
        read: "Group.Read.All",
        write: "Group.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/servicePrincipals",
        what: "the Intune Provisioning Client service principal (found, or created once)",
        read: "Application.Read.All",
        // The create page names `Application.ReadWrite.OwnedBy` as least privileged; whether it
        // covers the service principal of a Microsoft first-party app is not documented.
        write: "Application.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/directoryObjects",
        what: "owners named by object id",
        read: "Directory.Read.All",
        write: "Directory.Read.All",
        verified: false,
    },
    PermissionRow {
        path: "/deviceManagement/windowsAutopilotDeploymentProfiles",
        what: "Autopilot deployment profiles and their assignments",
        read: "DeviceManagementServiceConfig.Read.All",
        write: "DeviceManagementServiceConfig.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/deviceEnrollmentConfigurations",
        what: "Enrollment Status Pages and enrollment restrictions (assign, setPriority)",
        read: "DeviceManagementServiceConfig.Read.All",
        write: "DeviceManagementServiceConfig.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/windowsAutopilotDeviceIdentities",
        what: "registered Autopilot devices",
        read: "DeviceManagementServiceConfig.Read.All",
        write: "DeviceManagementServiceConfig.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
        what: "device hash imports",
        read: "DeviceManagementServiceConfig.Read.All",
        write: "DeviceManagementServiceConfig.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/windowsAutopilotSettings",
        what: "the Autopilot sync after imports",
        read: "DeviceManagementServiceConfig.Read.All",
        write: "DeviceManagementServiceConfig.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/deviceConfigurations",
        what: "domain join profiles and their assignments",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/configurationPolicies",
        what: "Device Preparation policies, their assignments and device group",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/configurationPolicyTemplates",
        what: "Device Preparation templates and their setting definitions (choice values by meaning)",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/deviceManagement/domainJoinConnectors",
        what: "`hangar doctor`: the Intune Connectors for Active Directory (hybrid join)",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/policies/mobileDeviceManagementPolicies",
        what: "`hangar doctor`: the MDM user scope (Microsoft answers delegated tokens only)",
        read: "Policy.Read.All",
        write: "Policy.ReadWrite.MobilityManagement",
        verified: true,
    },
    PermissionRow {
        path: "/policies/deviceRegistrationPolicy",
        what: "`hangar doctor`: who may join devices to Entra",
        read: "Policy.Read.DeviceConfiguration",
        write: "Policy.ReadWrite.DeviceConfiguration",
        verified: true,
    },
    PermissionRow {
        path: "/subscribedSkus",
        what: "`hangar doctor`: licences (subscribed SKUs)",
        read: "Organization.Read.All",
        write: "Organization.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/configurationSettings",
        what: "setting definitions (Device Preparation choice values)",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/deviceManagement/assignmentFilters",
        what: "assignment filters, referenced by name",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/deviceManagement/roleScopeTags",
        what: "scope tags, referenced by name (read only when a `scopeTags:` entry is a name; Learn's roleScopeTag pages accept `DeviceManagementConfiguration.Read.All` as well as `DeviceManagementRBAC.Read.All`, so no permission of its own)",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceManagement/deviceManagementScripts",
        what: "platform scripts, referenced by name or id (Device Preparation)",
        read: "DeviceManagementConfiguration.Read.All",
        write: "DeviceManagementConfiguration.ReadWrite.All",
        verified: false,
    },
    PermissionRow {
        path: "/deviceManagement/auditEvents",
        what: "who changed a drifted Intune object (`drift` only, optional: without it drift says so and goes on)",
        read: "DeviceManagementApps.Read.All",
        write: "DeviceManagementApps.Read.All",
        verified: true,
    },
    PermissionRow {
        path: "/auditLogs/directoryAudits",
        what: "who changed a drifted group (`drift` only, optional; Learn requires `Directory.Read.All` with it)",
        read: "AuditLog.Read.All",
        write: "AuditLog.Read.All",
        verified: true,
    },
    PermissionRow {
        path: "/deviceAppManagement/mobileApps",
        what: "apps, referenced by name or id (ESP blocking apps, Device Preparation apps and their types)",
        read: "DeviceManagementApps.Read.All",
        write: "DeviceManagementApps.Read.All",
        verified: true,
    },
];

/// The permission one request needs, and who needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needed {
    /// The application permission.
    pub permission: &'static str,
    /// Whether it is a read permission (else write).
    pub read: bool,
    /// The table row.
    pub row: &'static PermissionRow,
}

impl Needed {
    /// The commands that need this permission.
    pub fn commands(&self) -> &'static str {
        if self.read { READ_COMMANDS } else { WRITE_COMMANDS }
    }
}

impl std::fmt::Display for Needed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this request needs the Microsoft Graph application permission `{}` (granted with admin consent; needed by {}, for {}){}",
            self.permission,
            self.commands(),
            self.row.what,
            if self.row.verified {
                ""
            } else {
                "; hangar could not confirm this one in Microsoft's documentation, see docs/security.md"
            }
        )
    }
}

/// The permission `method` on `relative` (a path relative to the version root, with or
/// without a query) needs; `None` for a path outside the table.
pub fn needed(method: &Method, relative: &str, kind: RequestKind) -> Option<Needed> {
    let path = relative.split(['?', '(']).next().unwrap_or(relative);
    let row = PERMISSIONS
        .iter()
        .filter(|row| {
            path.len() >= row.path.len()
                && path[..row.path.len()].eq_ignore_ascii_case(row.path)
                && matches!(path.as_bytes().get(row.path.len()), None | Some(b'/'))
        })
        .max_by_key(|row| row.path.len())
        .or_else(|| {
            // `/groups(uniqueName='…')` and `/servicePrincipals(appId='…')`: alternate keys.
            PERMISSIONS.iter().find(|row| {
                relative.len() > row.path.len()
                    && relative[..row.path.len()].eq_ignore_ascii_case(row.path)
                    && relative.as_bytes()[row.path.len()] == b'('
            })
        })?;
    let read = kind == RequestKind::Read || *method == Method::GET;
    Some(Needed {
        permission: if read { row.read } else { row.write },
        read,
        row,
    })
}

/// The permission `request` needs.
pub fn for_request(request: &GraphRequest) -> Option<Needed> {
    needed(&request.method, &request.relative, request.kind())
}

/// The permission a request needs, from its method and URL as an [`crate::ApiError`] keeps
/// them (`https://graph.microsoft.com/v1.0/groups?…`): the 403 message names it.
pub fn for_method_and_url(method: &str, url: &str) -> Option<Needed> {
    let parsed = url::Url::parse(url).ok()?;
    let path = parsed.path();
    let relative = ["/v1.0", "/beta"]
        .iter()
        .find_map(|root| path.strip_prefix(root))
        .unwrap_or(path);
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let kind = if method == Method::GET || relative.contains("/retrieve") {
        RequestKind::Read
    } else {
        RequestKind::SafeWrite
    };
    needed(&method, relative, kind)
}

/// The table as Markdown, for `docs/security.md` (a test fails when the page is stale).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Graph resource | what hangar does there | read (plan, drift, apply, import, doctor) | write (apply) | documented |\n|---|---|---|---|---|\n",
    );
    for row in PERMISSIONS {
        out.push_str(&format!(
            "| `{}` | {} | `{}` | `{}` | {} |\n",
            row.path,
            row.what,
            row.read,
            row.write,
            if row.verified { "yes" } else { "UNVERIFIED" }
        ));
    }
    out
}

/// Every distinct read permission, then every distinct write permission, in table order: what
/// the read-only app and the apply app are granted.
pub fn all() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut read: Vec<&'static str> = Vec::new();
    let mut write: Vec<&'static str> = Vec::new();
    for row in PERMISSIONS {
        if !read.contains(&row.read) {
            read.push(row.read);
        }
        if !write.contains(&row.write) {
            write.push(row.write);
        }
    }
    (read, write)
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::endpoint::{ApiVersion, Endpoint};
    use crate::request::Repeat;

    #[test]
    fn longest_prefix_and_method_decide() {
        let found = needed(
            &Method::GET,
            "/deviceManagement/windowsAutopilotDeploymentProfiles/p1/assignments?$top=5",
            RequestKind::Read,
        )
        .unwrap();
        assert_eq!(found.permission, "DeviceManagementServiceConfig.Read.All");
        assert!(found.to_string().contains("`hangar plan`, `drift`, `apply`"));
        let write = needed(
            &Method::POST,
            "/deviceManagement/configurationPolicies/x/assign",
            RequestKind::SafeWrite,
        )
        .unwrap();
        assert_eq!(write.permission, "DeviceManagementConfiguration.ReadWrite.All");
        assert!(write.to_string().contains("`hangar apply`"));
        let lock = needed(
            &Method::GET,
            "/groups(uniqueName='hangar-apply-lock')",
            RequestKind::Read,
        )
        .unwrap();
        assert_eq!(lock.permission, "Group.Read.All");
        // `/groupsX` is not `/groups`.
        assert!(needed(&Method::GET, "/groupsX", RequestKind::Read).is_none());
        assert!(needed(&Method::GET, "/users", RequestKind::Read).is_none());
    }

    #[test]
    fn every_request_hangar_builds_has_a_row() {
        let ep = Endpoint::new(Cloud::Commercial);
        for request in crate::resources::every_request(&ep) {
            let request = request.unwrap();
            // `$batch` needs nothing itself: each inner request is checked on its own.
            if request.relative == "/$batch" {
                continue;
            }
            assert!(
                for_request(&request).is_some(),
                "{} {} has no permission row",
                request.method,
                request.relative
            );
        }
        let retrieve = GraphRequest::new(
            &ep,
            Method::POST,
            ApiVersion::Beta,
            "/deviceManagement/configurationPolicies/x/retrieveEnrollmentTimeDeviceMembershipTarget",
            None,
            Repeat::Unsafe,
        )
        .unwrap();
        assert_eq!(
            for_request(&retrieve).unwrap().permission,
            "DeviceManagementConfiguration.Read.All"
        );
    }

    #[test]
    fn urls_as_errors_keep_them_are_mapped() {
        let found = for_method_and_url(
            "PATCH",
            "https://graph.microsoft.us/beta/deviceManagement/deviceEnrollmentConfigurations/e1",
        )
        .unwrap();
        assert_eq!(found.permission, "DeviceManagementServiceConfig.ReadWrite.All");
        let found = for_method_and_url(
            "GET",
            "http://127.0.0.1:9/v1.0/groups?$filter=displayName%20eq%20%27x%27",
        )
        .unwrap();
        assert_eq!(found.permission, "Group.Read.All");
        assert!(for_method_and_url("GET", "not a url").is_none());
    }

    #[test]
    fn the_security_page_lists_this_table() {
        let page = include_str!("../../../docs/security.md");
        let table = markdown_table();
        assert!(
            page.contains(&table),
            "docs/security.md is stale: replace its permissions table with the output of `hangar_graph::permissions::markdown_table()`:\n{table}"
        );
    }

    #[test]
    fn the_read_set_has_no_write_permission() {
        let (read, write) = all();
        assert!(read.iter().all(|p| !p.contains("ReadWrite")), "{read:?}");
        assert!(write.contains(&"Group.ReadWrite.All"));
    }
}
