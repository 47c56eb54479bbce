//! A device's `dsregcmd /status` against what the configuration intends for it: the join type
//! (Entra or hybrid: the silent hybrid failure is a device that completed setup Entra-joined
//! only), the tenant, and Intune's MDM URLs in the tenant's cloud.
//!
//! **Which device.** `dsregcmd /status` does not print the serial number, so the caller says
//! which device it is ([`Identify::Serial`], [`Identify::Tag`]), or doctor recognises it by its
//! name: recent Windows builds print `Device Name` under Device State, and the configuration
//! says what each device will be named (a `%SERIAL%` template names one device; a random one,
//! or a domain join profile's prefix, names a profile's devices, which is enough to know the
//! intended join). When neither works, doctor asks for `--serial`.

use hangar_config::routing::{NameSource, known_device};
use hangar_config::{DesiredState, JoinType, KnownDevice, Route, Routing};
use hangar_model::Cloud;
use serde::Serialize;

use super::DsregStatus;
use crate::Error;
use crate::finding::Finding;
use crate::tables::mdm_urls;

/// How the caller identified the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identify {
    /// By serial number (a device of the devices CSVs, or with `tag`, any device).
    Serial {
        /// The serial.
        serial: String,
        /// The group tag, when the device is not in the CSVs.
        tag: Option<String>,
    },
    /// A device registered with this group tag.
    Tag(String),
    /// By the `Device Name` in the output.
    Name,
}

/// What the configuration intends for the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceIntent {
    /// How the device was identified, in words.
    pub identified_by: String,
    /// Its serial, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The deployment profile that reaches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Device Preparation policies that apply when their users sign in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_preparation: Vec<String>,
    /// The intended join: `entra`, `hybrid`, or `None` when nothing in the configuration
    /// reaches the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<&'static str>,
    /// The domain of the domain join profile (hybrid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// What the output says, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// The file's encoding.
    pub encoding: &'static str,
    /// `AzureAdJoined`.
    pub azure_ad_joined: Option<bool>,
    /// `DomainJoined`.
    pub domain_joined: Option<bool>,
    /// `EnterpriseJoined`.
    pub enterprise_joined: Option<bool>,
    /// `DomainName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// `Device Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// `TenantName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    /// `TenantId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// `MdmUrl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdm_url: Option<String>,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    /// What the configuration intends (`None` without a configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<DeviceIntent>,
    /// What the output says.
    pub observed: Observed,
    /// Differences, each with what to do.
    pub findings: Vec<Finding>,
    /// Remarks that are not findings (a truncated tail, a domain name doctor cannot compare).
    pub notes: Vec<String>,
}

/// Decides which device the output is from and what the configuration intends for it.
pub fn device_intent(
    config: &DesiredState,
    status: &DsregStatus,
    identify: &Identify,
) -> Result<DeviceIntent, Error> {
    let routing = Routing::new(config);
    let (device, identified_by, serial) = match identify {
        Identify::Serial { serial, tag } => {
            let row = config
                .devices
                .iter()
                .find(|d| d.serial.trim().eq_ignore_ascii_case(serial.trim()));
            match (row, tag) {
                (_, Some(tag)) => (
                    KnownDevice::new(serial.clone()).with_group_tag(tag.clone()),
                    format!("serial {serial} with group tag `{tag}`"),
                    Some(serial.clone()),
                ),
                (Some(row), None) => (
                    known_device(row),
                    format!("serial {serial} (devices CSV)"),
                    Some(serial.clone()),
                ),
                (None, None) => {
                    return Err(Error::UnknownDevice(format!(
                        "serial `{serial}` is not in the devices CSVs of the configuration"
                    )));
                }
            }
        }
        Identify::Tag(tag) => (
            KnownDevice::new("%SERIAL%").with_group_tag(tag.clone()),
            format!("a device with group tag `{tag}`"),
            None,
        ),
        Identify::Name => return by_name(config, &routing, status),
    };
    let route = routing.route(&device);
    Ok(intent_of(config, &route, identified_by, serial))
}

fn intent_of(
    config: &DesiredState,
    route: &Route,
    identified_by: String,
    serial: Option<String>,
) -> DeviceIntent {
    let profile = route.profile().map(|pick| config.profile(pick.id));
    let device_preparation: Vec<String> = route
        .device_preparation
        .iter()
        .map(|pick| config.dpp(pick.id).meta.name.value.clone())
        .collect();
    let join = match profile.map(|p| p.join.value) {
        Some(JoinType::Hybrid) => Some("hybrid"),
        Some(JoinType::Entra) => Some("entra"),
        // Device Preparation is Entra join only.
        None if !device_preparation.is_empty() => Some("entra"),
        None => None,
    };
    DeviceIntent {
        identified_by,
        serial,
        profile: profile.map(|p| p.meta.name.value.clone()),
        device_preparation,
        join,
        domain: route
            .domain_joins
            .first()
            .map(|pick| config.domain_join(pick.id).domain.value.clone()),
    }
}

/// Whether `name` is what `pattern` (`#` for each random character) produces.
fn name_matches(pattern: &str, name: &str) -> bool {
    pattern.len() == name.len()
        && pattern.chars().zip(name.chars()).all(|(p, n)| {
            if p == '#' {
                n.is_ascii_alphanumeric()
            } else {
                p.eq_ignore_ascii_case(&n)
            }
        })
}

fn by_name(
    config: &DesiredState,
    routing: &Routing<'_>,
    status: &DsregStatus,
) -> Result<DeviceIntent, Error> {
    let Some(name) = status.value("Device State", "Device Name") else {
        return Err(Error::UnknownDevice(
            "this `dsregcmd /status` output has no `Device Name` line (older Windows builds do not print it)"
                .to_owned(),
        ));
    };
    // An exact match names one device; a pattern match names where devices of a profile land.
    let mut exact = None;
    let mut patterns: Vec<(Route, String)> = Vec::new();
    for row in &config.devices {
        let route = routing.route(&known_device(row));
        let Some(expected) = &route.device_name else {
            continue;
        };
        if !expected.name.contains('#') && expected.name.eq_ignore_ascii_case(name) {
            exact = Some((route, row.serial.clone()));
            break;
        }
        if expected.name.contains('#') && name_matches(&expected.name, name) {
            patterns.push((route.clone(), expected.name.clone()));
        }
    }
    if let Some((route, serial)) = exact {
        return Ok(intent_of(
            config,
            &route,
            format!("device name {name} (serial {serial})"),
            Some(serial),
        ));
    }
    let same_source = |a: &Route, b: &Route| {
        a.device_name.as_ref().map(|n| n.source) == b.device_name.as_ref().map(|n| n.source)
    };
    match patterns.first() {
        Some((first, pattern)) if patterns.iter().all(|(route, _)| same_source(route, first)) => {
            let source = match first.device_name.as_ref().map(|n| n.source) {
                Some(NameSource::Profile(id)) => format!("profile `{}`", config.profile(id).meta.name.value),
                Some(NameSource::DomainJoin(id)) => {
                    format!("domain join profile `{}`", config.domain_join(id).meta.name.value)
                }
                None => "the configuration".to_owned(),
            };
            Ok(intent_of(
                config,
                first,
                format!("device name {name}, which matches `{pattern}` of {source}"),
                None,
            ))
        }
        Some(_) => Err(Error::UnknownDevice(format!(
            "device name `{name}` matches the naming of several profiles"
        ))),
        None => Err(Error::UnknownDevice(format!(
            "device name `{name}` matches no name the configuration gives a device"
        ))),
    }
}

/// Compares the output with the intent (when there is one), the tenant and the cloud.
pub fn compare(
    status: &DsregStatus,
    intent: Option<DeviceIntent>,
    cloud: Cloud,
    tenant_id: &str,
) -> DeviceReport {
    let observed = Observed {
        encoding: status.encoding,
        azure_ad_joined: status.yes("Device State", "AzureAdJoined"),
        domain_joined: status.yes("Device State", "DomainJoined"),
        enterprise_joined: status.yes("Device State", "EnterpriseJoined"),
        domain_name: status.value("Device State", "DomainName").map(str::to_owned),
        device_name: status.value("Device State", "Device Name").map(str::to_owned),
        tenant_name: status.value("Tenant Details", "TenantName").map(str::to_owned),
        tenant_id: status.value("Tenant Details", "TenantId").map(str::to_owned),
        mdm_url: status.value("Tenant Details", "MdmUrl").map(str::to_owned),
    };
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let entra = observed.azure_ad_joined == Some(true);
    let domain = observed.domain_joined == Some(true);
    if observed.enterprise_joined == Some(true) {
        findings.push(Finding::error(
            "the device is joined to on-premises DRS (EnterpriseJoined: YES), not to Microsoft Entra",
            "Autopilot joins devices to Microsoft Entra: reset the device and provision it again",
        ));
    }
    match intent.as_ref().and_then(|i| i.join) {
        Some("hybrid") => match (entra, domain) {
            (true, true) => {}
            (true, false) => findings.push(Finding::error(
                "the device is Entra joined but not domain joined: the hybrid join failed silently (AzureAdJoined: YES, DomainJoined: NO)",
                "reprovision it on a network with line of sight to a domain controller (DNS resolving the AD domain, NTP reachable), and check the Intune Connector for Active Directory (`hangar doctor` without --dsregcmd)",
            )),
            (false, true) => findings.push(
                Finding::error(
                    "the device is domain joined but not yet Entra joined: the hybrid join is not complete",
                    "Entra Connect must sync the computer object before the device can complete the join; wait for a sync cycle and sign in again, and look at the Diagnostic Data section of dsregcmd /status",
                )
                .naming(diagnostics(status)),
            ),
            (false, false) => findings.push(Finding::error(
                "the device is neither domain joined nor Entra joined, but the configuration intends a hybrid join",
                "reprovision it on the corporate network; check that its profile is the hybrid one",
            )),
        },
        Some(_) => match (entra, domain) {
            (true, false) => {}
            (_, true) => findings.push(Finding::error(
                "the device is domain joined, but the configuration intends Entra join: it received a hybrid profile or was joined by hand",
                "check which groups and profile reach the device (`hangar explain`), reset it and provision it again",
            )),
            (false, false) => findings.push(Finding::error(
                "the device is not joined to Microsoft Entra",
                "provision it again and note the error code shown on screen; Microsoft's Autopilot troubleshooting pages explain the codes",
            )),
        },
        None => {
            if intent.is_some() {
                notes.push("no profile or Device Preparation policy of the configuration reaches this device".to_owned());
            }
        }
    }
    if status
        .value("Device Details", "DeviceAuthStatus")
        .is_some_and(|v| v.to_ascii_uppercase().starts_with("FAILED"))
    {
        findings.push(Finding::error(
            "the device's authentication to Microsoft Entra fails (DeviceAuthStatus FAILED): its device object is disabled or deleted",
            "enable the device in Entra if it was disabled; if it was deleted, reset the device and provision it again",
        ));
    }
    if entra {
        match observed.tenant_id.as_deref() {
            Some(id) if !id.eq_ignore_ascii_case(tenant_id) && is_guid(tenant_id) => findings.push(Finding::error(
                format!("the device is joined to tenant {id}, not to {tenant_id}"),
                "the device was registered or joined in another tenant: deregister it there, then register and provision it in this one",
            )),
            _ => {}
        }
        login_host(status, cloud, &mut findings);
        mdm(status, cloud, &mut findings);
    }
    if let (Some(domain), Some(name)) = (
        intent.as_ref().and_then(|i| i.domain.as_deref()),
        &observed.domain_name,
    ) {
        notes.push(format!(
            "joined to domain {name}; the domain join profile names {domain} (a NetBIOS name and a DNS name may differ; doctor does not compare them)"
        ));
    }
    if let Some(section) = status.truncated_tail() {
        notes.push(format!(
            "the file stops inside the `{section}` section; the sections doctor compares are complete"
        ));
    }
    DeviceReport {
        intent,
        observed,
        findings,
        notes,
    }
}

fn diagnostics(status: &DsregStatus) -> Vec<String> {
    [
        "Error Phase",
        "Client ErrorCode",
        "Server ErrorCode",
        "Server Message",
    ]
    .iter()
    .filter_map(|key| {
        status
            .value("Diagnostic Data", key)
            .map(|v| format!("{key}: {v}"))
    })
    .collect()
}

fn login_host(status: &DsregStatus, cloud: Cloud, findings: &mut Vec<Finding>) {
    let Some(url) = status.value("Tenant Details", "AuthCodeUrl") else {
        return;
    };
    let host = url
        .trim()
        .trim_start_matches("https://")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if !host.eq_ignore_ascii_case(cloud.login_host()) {
        findings.push(Finding::error(
            format!("the device signs in at {host}, not at {} ({cloud}): it is joined to a tenant of another cloud", cloud.login_host()),
            "check the configuration's cloud, or whether the device was provisioned against another tenant",
        ));
    }
}

fn mdm(status: &DsregStatus, cloud: Cloud, findings: &mut Vec<Finding>) {
    let expected = mdm_urls(cloud);
    let rows = [
        ("MdmUrl", expected.discovery),
        ("MdmTouUrl", expected.terms_of_use),
        ("MdmComplianceUrl", expected.compliance),
    ];
    let present: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter_map(|(key, wanted)| status.value("Tenant Details", key).map(|v| (*key, v, *wanted)))
        .collect();
    if present.is_empty() {
        findings.push(Finding::error(
            "the device has no MDM URLs: the user who joined it is not in the MDM user scope, or automatic enrollment is not set up, so it never enrolled in Intune",
            format!(
                "add the users who provision devices to the MDM user scope (Entra admin center, Settings > Mobility > Microsoft Intune) with Intune's URLs ({}), then reset and provision the device",
                expected.discovery
            ),
        ));
        return;
    }
    let host = |url: &str| -> String {
        url.trim()
            .to_ascii_lowercase()
            .trim_start_matches("https://")
            .split(['/', '?'])
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let wrong: Vec<String> = present
        .iter()
        .filter(|(_, actual, wanted)| host(actual) != host(wanted))
        .map(|(key, actual, wanted)| format!("{key}: {actual} (expected {wanted})"))
        .collect();
    if !wrong.is_empty() {
        findings.push(
            Finding::error(
                format!("the device's MDM URLs are not Intune's in {cloud}"),
                "correct the MDM URLs of Microsoft Intune under Settings > Mobility in the Entra admin center (\"Restore default MDM URLs\"), then reset and provision the device",
            )
            .naming(wrong),
        );
    }
}

fn is_guid(text: &str) -> bool {
    let text = text.trim();
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_name_patterns_match_any_alphanumeric() {
        assert!(name_matches("SLS-######", "sls-a1b2c3"));
        assert!(!name_matches("SLS-######", "SLS-A1B2C"));
        assert!(!name_matches("SLS-######", "KSK-A1B2C3"));
        assert!(!name_matches("SLS-######", "SLS-A1B2C-"));
    }
}
