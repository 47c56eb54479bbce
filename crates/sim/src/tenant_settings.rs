//! [`TenantSettings`]: the tenant settings outside hangar's configuration that Autopilot
//! depends on, as `hangar doctor` reads them: the Entra MDM policy (user scope and URLs), the
//! device registration policy (who may join devices), the subscriptions (licences) and the
//! Intune Connectors for Active Directory.
//!
//! A fresh tenant is **ready for Autopilot**: MDM scope `all` with the cloud's Intune URLs,
//! every user may join devices, a Microsoft 365 E3 subscription with Intune and Entra ID P1,
//! and no connector (a fresh tenant has none; seed one for hybrid join). Tests break one setting
//! at a time through [`crate::Sim::with_state`]; a user can edit the same fields in the state
//! file (`tenantSettings`). A state file written before these settings existed loads with the
//! defaults.

use serde::{Deserialize, Serialize};

use crate::config::SimCloud;

/// App id of Microsoft Intune, which is also the id of its MDM policy in Entra.
pub const INTUNE_APP_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// Id of the "Microsoft Intune Enrollment" MDM policy every tenant also lists.
pub const INTUNE_ENROLLMENT_POLICY_ID: &str = "d4ebce55-015a-49b5-a083-c84d1797ae8c";

/// Everything in this module, as the state file keeps it. The default is a tenant ready for
/// Autopilot ([`TenantSettings::ready`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSettings {
    /// The "Microsoft Intune" MDM policy (Entra > Settings > Mobility > Microsoft Intune).
    pub mdm: MdmPolicy,
    /// The device registration policy.
    pub device_join: DeviceJoin,
    /// Subscribed SKUs.
    pub subscriptions: Vec<Subscription>,
    /// Intune Connectors for Active Directory.
    pub connectors: Vec<DomainJoinConnector>,
}

/// `appliesTo` of an MDM policy: the MDM user scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum MdmScope {
    /// No user's device enrolls automatically.
    None,
    /// Every user.
    #[default]
    All,
    /// Members of `includedGroups`.
    Selected,
}

impl MdmScope {
    /// The Graph value.
    pub fn as_str(self) -> &'static str {
        match self {
            MdmScope::None => "none",
            MdmScope::All => "all",
            MdmScope::Selected => "selected",
        }
    }
}

/// The "Microsoft Intune" MDM policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MdmPolicy {
    /// The MDM user scope.
    pub applies_to: MdmScope,
    /// Group ids of a `selected` scope.
    pub included_groups: Vec<String>,
    /// The URLs; `None`: the cloud's Intune URLs (what "Restore default MDM URLs" sets).
    pub urls: Option<MdmUrls>,
    /// `isValid`.
    pub is_valid: bool,
}

impl Default for MdmPolicy {
    fn default() -> Self {
        MdmPolicy {
            applies_to: MdmScope::All,
            included_groups: Vec::new(),
            urls: None,
            is_valid: true,
        }
    }
}

/// MDM URLs; `None` renders as `null`, as Graph returns unset URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MdmUrls {
    /// `discoveryUrl`.
    pub discovery: Option<String>,
    /// `termsOfUseUrl`.
    pub terms_of_use: Option<String>,
    /// `complianceUrl`.
    pub compliance: Option<String>,
}

impl MdmUrls {
    /// Intune's URLs in `cloud`: `manage.microsoft.com` in Commercial and GCC,
    /// `manage.microsoft.us` in GCC High and DoD (the provisioning guide's GCC High list; Intune
    /// documents `enrollment.manage.microsoft.us` for every US government cloud).
    pub fn intune(cloud: SimCloud) -> MdmUrls {
        let domain = match cloud {
            SimCloud::Commercial | SimCloud::Gcc => "manage.microsoft.com",
            SimCloud::GccHigh | SimCloud::Dod => "manage.microsoft.us",
        };
        MdmUrls {
            discovery: Some(format!(
                "https://enrollment.{domain}/enrollmentserver/discovery.svc"
            )),
            terms_of_use: Some(format!("https://portal.{domain}/TermsofUse.aspx")),
            compliance: Some(format!("https://portal.{domain}/?portalAction=Compliance")),
        }
    }
}

/// Who may join devices to Entra (`azureADJoin.allowedToJoin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", tag = "scope")]
pub enum JoinScope {
    /// Every user (`allDeviceRegistrationMembership`).
    #[default]
    All,
    /// These users and groups (`enumeratedDeviceRegistrationMembership`).
    Selected {
        /// User ids.
        #[serde(default)]
        users: Vec<String>,
        /// Group ids.
        #[serde(default)]
        groups: Vec<String>,
    },
    /// Nobody (`noDeviceRegistrationMembership`).
    None,
}

/// The device registration policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceJoin {
    /// Who may join devices.
    pub allowed_to_join: JoinScope,
    /// `userDeviceQuota` (Graph's default is 50; 0 blocks new joins).
    pub user_device_quota: i64,
    /// `multiFactorAuthConfiguration` is `required`.
    pub mfa_required: bool,
}

impl Default for DeviceJoin {
    fn default() -> Self {
        DeviceJoin {
            allowed_to_join: JoinScope::All,
            user_device_quota: 50,
            mfa_required: false,
        }
    }
}

/// One service plan of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// `servicePlanId`.
    pub id: String,
    /// `servicePlanName`, e.g. `INTUNE_A`.
    pub name: String,
    /// `provisioningStatus`: `Success`, `Disabled`, `PendingActivation`, ….
    pub provisioning_status: String,
}

/// A subscribed SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber`, e.g. `SPE_E3`.
    pub sku_part_number: String,
    /// `capabilityStatus`: `Enabled`, `Warning`, `Suspended`, `Deleted`, `LockedOut`.
    pub capability_status: String,
    /// `prepaidUnits.enabled`.
    pub enabled_units: i64,
    /// `consumedUnits`.
    pub consumed_units: i64,
    /// Service plans.
    pub service_plans: Vec<ServicePlan>,
}

impl Subscription {
    /// Microsoft 365 E3 (`SPE_E3`), which includes Intune Plan 1 (`INTUNE_A`) and Entra ID P1
    /// (`AAD_PREMIUM`). Ids from Microsoft's licensing service plan reference.
    pub fn microsoft_365_e3() -> Subscription {
        Subscription {
            sku_id: "05e9a617-0261-4cee-bb44-138d3ef5d965".to_owned(),
            sku_part_number: "SPE_E3".to_owned(),
            capability_status: "Enabled".to_owned(),
            enabled_units: 25,
            consumed_units: 14,
            service_plans: vec![
                ServicePlan {
                    id: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5".to_owned(),
                    name: "INTUNE_A".to_owned(),
                    provisioning_status: "Success".to_owned(),
                },
                ServicePlan {
                    id: "41781fb2-bc02-4b7c-bd55-b576c07bb09d".to_owned(),
                    name: "AAD_PREMIUM".to_owned(),
                    provisioning_status: "Success".to_owned(),
                },
            ],
        }
    }
}

/// An Intune Connector for Active Directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainJoinConnector {
    /// Graph id.
    pub id: String,
    /// `displayName` (the server's name).
    pub display_name: String,
    /// `state`: `active`, `error` or `inactive`.
    pub state: String,
    /// `version`.
    pub version: String,
    /// Simulated time of `lastConnectionDateTime`; `None`: the connector is running and
    /// checks in continuously, so it reports the current simulated time.
    #[serde(default)]
    pub last_connection_ms: Option<i64>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings::ready()
    }
}

impl TenantSettings {
    /// A tenant ready for Autopilot (see the module docs).
    pub fn ready() -> TenantSettings {
        TenantSettings {
            mdm: MdmPolicy::default(),
            device_join: DeviceJoin::default(),
            subscriptions: vec![Subscription::microsoft_365_e3()],
            connectors: Vec::new(),
        }
    }
}
