//! [`TenantFacts`]: what doctor read from the tenant, typed. Parsing from Graph's JSON is
//! lenient (unknown properties ignored, missing ones `None`), so a new property or a sparse
//! answer never fails a check; a read Graph refused is kept as a [`Refusal`], never as "empty".

use hangar_graph::TokenClaims;
use hangar_graph::resources::Body;
use hangar_graph::resources::devices::{ProfileStatus, SyncSettings, parse_time_ms};
use serde_json::Value;

/// The outcome of one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read<T> {
    /// Graph answered.
    Got(T),
    /// Graph refused (403: a permission is missing) or does not offer it here (400, 404).
    Refused(Refusal),
    /// Not read: the check that needs it does not apply.
    NotRead,
}

impl<T> Read<T> {
    /// The value, when read.
    pub fn got(&self) -> Option<&T> {
        match self {
            Read::Got(value) => Some(value),
            _ => None,
        }
    }
}

/// Why Graph did not answer a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Graph's error code.
    pub code: String,
    /// Graph's message (Intune's JSON-in-message already unwrapped by `hangar-graph`).
    pub message: String,
}

impl Refusal {
    /// Whether a permission is missing (403), as opposed to an API that is not offered.
    pub fn is_permission(&self) -> bool {
        self.status == 403
    }

    /// `403 Authorization_RequestDenied: Insufficient privileges…`, shortened.
    pub fn describe(&self) -> String {
        let message: String = self.message.chars().take(200).collect();
        format!("{} {}: {message}", self.status, self.code)
    }
}

/// An Entra MDM (mobility) policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdmPolicy {
    /// Graph id (Intune's is Intune's app id).
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `appliesTo`: `none`, `all` or `selected`.
    pub applies_to: String,
    /// `discoveryUrl`.
    pub discovery_url: Option<String>,
    /// `termsOfUseUrl`.
    pub terms_of_use_url: Option<String>,
    /// `complianceUrl`.
    pub compliance_url: Option<String>,
    /// `isValid`.
    pub is_valid: bool,
    /// `includedGroups` (display names, or ids when a group has no name).
    pub included_groups: Vec<String>,
}

impl MdmPolicy {
    /// Reads one policy.
    pub fn of(body: &Body) -> MdmPolicy {
        MdmPolicy {
            id: text(body, "id").unwrap_or_default(),
            display_name: text(body, "displayName").unwrap_or_default(),
            applies_to: text(body, "appliesTo").unwrap_or_else(|| "none".to_owned()),
            discovery_url: text(body, "discoveryUrl"),
            terms_of_use_url: text(body, "termsOfUseUrl"),
            compliance_url: text(body, "complianceUrl"),
            is_valid: body.get("isValid").and_then(Value::as_bool).unwrap_or(true),
            included_groups: body
                .get("includedGroups")
                .and_then(Value::as_array)
                .map(|groups| {
                    groups
                        .iter()
                        .filter_map(|g| {
                            let g = g.as_object()?;
                            text(g, "displayName").or_else(|| text(g, "id"))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Who may join devices to Entra (`azureADJoin.allowedToJoin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinScope {
    /// Everyone.
    All,
    /// These users (ids) and groups (names once resolved, else ids).
    Selected {
        /// User ids.
        users: Vec<String>,
        /// Groups.
        groups: Vec<String>,
    },
    /// Nobody.
    None,
    /// A type doctor does not know.
    Other(String),
}

/// The device registration policy, as far as Autopilot cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRegistration {
    /// Who may join.
    pub allowed_to_join: JoinScope,
    /// `userDeviceQuota`.
    pub user_device_quota: Option<i64>,
    /// `multiFactorAuthConfiguration`.
    pub mfa: Option<String>,
}

impl DeviceRegistration {
    /// Reads the policy.
    pub fn of(body: &Body) -> DeviceRegistration {
        let allowed = body
            .get("azureADJoin")
            .and_then(|join| join.get("allowedToJoin"))
            .and_then(Value::as_object);
        let ids = |map: &Body, key: &str| -> Vec<String> {
            map.get(key)
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let allowed_to_join = match allowed {
            None => JoinScope::Other("(missing)".to_owned()),
            Some(map) => match text(map, "@odata.type").as_deref().map(short_type) {
                Some("allDeviceRegistrationMembership") => JoinScope::All,
                Some("noDeviceRegistrationMembership") => JoinScope::None,
                Some("enumeratedDeviceRegistrationMembership") => JoinScope::Selected {
                    users: ids(map, "users"),
                    groups: ids(map, "groups"),
                },
                other => JoinScope::Other(other.unwrap_or("(no @odata.type)").to_owned()),
            },
        };
        DeviceRegistration {
            allowed_to_join,
            user_device_quota: body.get("userDeviceQuota").and_then(Value::as_i64),
            mfa: text(body, "multiFactorAuthConfiguration"),
        }
    }
}

/// One service plan of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInfo {
    /// `servicePlanId`.
    pub id: String,
    /// `servicePlanName`.
    pub name: String,
    /// `provisioningStatus`.
    pub status: String,
}

/// A subscribed SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    /// `skuPartNumber`.
    pub part_number: String,
    /// `capabilityStatus`.
    pub capability_status: String,
    /// `prepaidUnits.enabled`.
    pub enabled_units: Option<i64>,
    /// Service plans.
    pub plans: Vec<PlanInfo>,
}

impl Sku {
    /// Reads one SKU.
    pub fn of(body: &Body) -> Sku {
        Sku {
            part_number: text(body, "skuPartNumber").unwrap_or_default(),
            capability_status: text(body, "capabilityStatus").unwrap_or_default(),
            enabled_units: body
                .get("prepaidUnits")
                .and_then(|units| units.get("enabled"))
                .and_then(Value::as_i64),
            plans: body
                .get("servicePlans")
                .and_then(Value::as_array)
                .map(|plans| {
                    plans
                        .iter()
                        .filter_map(Value::as_object)
                        .map(|plan| PlanInfo {
                            id: text(plan, "servicePlanId").unwrap_or_default(),
                            name: text(plan, "servicePlanName").unwrap_or_default(),
                            status: text(plan, "provisioningStatus").unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Whether the subscription is usable (`Enabled`, or `Warning`: in its grace period).
    pub fn is_active(&self) -> bool {
        self.capability_status.eq_ignore_ascii_case("Enabled")
            || self.capability_status.eq_ignore_ascii_case("Warning")
    }
}

/// An Intune Connector for Active Directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    /// `displayName`.
    pub name: String,
    /// `state`.
    pub state: String,
    /// `version`.
    pub version: Option<String>,
    /// `lastConnectionDateTime` as written.
    pub last_connection: Option<String>,
    /// The same, in ms since the epoch.
    pub last_connection_ms: Option<i64>,
}

impl Connector {
    /// Reads one connector.
    pub fn of(body: &Body) -> Connector {
        let last_connection = text(body, "lastConnectionDateTime");
        Connector {
            name: text(body, "displayName").unwrap_or_else(|| text(body, "id").unwrap_or_default()),
            state: text(body, "state").unwrap_or_default(),
            version: text(body, "version"),
            last_connection_ms: last_connection.as_deref().and_then(parse_time_ms),
            last_connection,
        }
    }
}

/// A deployment profile as doctor sees it (without a configuration: is there a hybrid one?).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSummary {
    /// `displayName`.
    pub name: String,
    /// A hybrid (`activeDirectoryWindowsAutopilotDeploymentProfile`) profile.
    pub hybrid: bool,
}

impl ProfileSummary {
    /// Reads one profile.
    pub fn of(body: &Body) -> ProfileSummary {
        ProfileSummary {
            name: text(body, "displayName").unwrap_or_default(),
            hybrid: text(body, "@odata.type")
                .is_some_and(|t| short_type(&t) == "activeDirectoryWindowsAutopilotDeploymentProfile"),
        }
    }
}

/// The Intune Provisioning Client service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
}

impl ServicePrincipal {
    /// Reads one service principal.
    pub fn of(body: &Body) -> ServicePrincipal {
        ServicePrincipal {
            id: text(body, "id").unwrap_or_default(),
            display_name: text(body, "displayName").unwrap_or_default(),
        }
    }
}

/// Everything doctor read from the tenant.
#[derive(Debug, Clone)]
pub struct TenantFacts {
    /// The claims of the token doctor signed in with (`None`: an opaque token).
    pub token: Option<TokenClaims>,
    /// MDM policies.
    pub mdm: Read<Vec<MdmPolicy>>,
    /// The device registration policy.
    pub device_registration: Read<DeviceRegistration>,
    /// Subscribed SKUs.
    pub skus: Read<Vec<Sku>>,
    /// Intune Connectors for Active Directory.
    pub connectors: Read<Vec<Connector>>,
    /// The Intune Provisioning Client (`Got(None)`: not in the tenant).
    pub provisioning_client: Read<Option<ServicePrincipal>>,
    /// Autopilot sync state.
    pub sync: Read<SyncSettings>,
    /// Registered devices' profile assignment.
    pub devices: Read<Vec<ProfileStatus>>,
    /// The tenant's deployment profiles (read only without a configuration).
    pub profiles: Read<Vec<ProfileSummary>>,
}

fn text(map: &Body, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
}

fn short_type(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Body {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn microsofts_documented_answers_parse() {
        // The example of "List mobileDeviceManagementPolicies" (beta).
        let policy = MdmPolicy::of(&body(json!({
            "@odata.type": "#microsoft.graph.mobilityManagementPolicy",
            "id": "ab90bacf-55a3-4a3e-839a-aa4b74e4f020", "appliesTo": "selected",
            "complianceUrl": "https://portal.mdm.contoso.com/?portalAction=Compliance",
            "discoveryUrl": "https://enrollment.mdm.contoso.com/enrollmentserver/discovery.svc",
            "displayName": "Contoso mobilty app",
            "termsOfUseUrl": "https://portal.mdm.contoso.com/TermsofUse.aspx",
            "includedGroups": [{"id": "dc3d2ce5-7c5e-4dca-a0ef-2145bf6e53ef", "displayName": "Test MDM Group"}]
        })));
        assert_eq!(policy.applies_to, "selected");
        assert_eq!(policy.included_groups, ["Test MDM Group"]);
        assert!(policy.is_valid);

        // The example of "Get deviceRegistrationPolicy" (v1.0).
        let registration = DeviceRegistration::of(&body(json!({
            "id": "deviceRegistrationPolicy", "userDeviceQuota": 2,
            "multiFactorAuthConfiguration": "notRequired",
            "azureADJoin": {"isAdminConfigurable": true,
                "allowedToJoin": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}}
        })));
        assert_eq!(registration.allowed_to_join, JoinScope::All);
        assert_eq!(registration.user_device_quota, Some(2));

        // The example of "List subscribedSkus" (v1.0).
        let sku = Sku::of(&body(json!({
            "capabilityStatus": "Suspended", "skuPartNumber": "CRMSTANDARD",
            "prepaidUnits": {"enabled": 0, "suspended": 25},
            "servicePlans": [{"servicePlanId": "f9646fb2-e3b2-4309-95de-dc4833737456",
                "servicePlanName": "CRMSTANDARD", "provisioningStatus": "Disabled", "appliesTo": "User"}]
        })));
        assert!(!sku.is_active());
        assert_eq!(sku.plans[0].status, "Disabled");

        // The example of "List deviceManagementDomainJoinConnectors" (beta).
        let connector = Connector::of(&body(json!({
            "@odata.type": "#microsoft.graph.deviceManagementDomainJoinConnector",
            "id": "77296cf7-6cf7-7729-f76c-2977f76c2977", "displayName": "Display Name value",
            "lastConnectionDateTime": "2016-12-31T23:58:36.6670033-08:00", "state": "error",
            "version": "Version value"
        })));
        assert_eq!(connector.state, "error");
        assert!(connector.last_connection_ms.is_some());
    }

    #[test]
    fn enumerated_and_unknown_join_scopes_are_kept() {
        let scope = |allowed: Value| {
            DeviceRegistration::of(&body(json!({"azureADJoin": {"allowedToJoin": allowed}}))).allowed_to_join
        };
        assert_eq!(
            scope(
                json!({"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                "users": ["u1"], "groups": ["g1", "g2"]})
            ),
            JoinScope::Selected {
                users: vec!["u1".into()],
                groups: vec!["g1".into(), "g2".into()]
            }
        );
        assert_eq!(
            scope(json!({"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"})),
            JoinScope::None
        );
        assert!(matches!(scope(json!({})), JoinScope::Other(_)));
        assert!(matches!(
            DeviceRegistration::of(&Body::new()).allowed_to_join,
            JoinScope::Other(_)
        ));
    }
}
