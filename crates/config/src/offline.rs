//! The offline Autopilot profile: `AutopilotConfigurationFile.json` for a deployment profile, as
//! the WindowsAutopilotIntune PowerShell module's `ConvertTo-AutopilotConfigurationJSON` writes
//! it, for "Windows Autopilot for existing devices" (a Configuration Manager task sequence drops
//! the file into `%WINDIR%\Provisioning\Autopilot\` before OOBE).
//!
//! The keys and their values follow the module (v5.x on the PowerShell Gallery) and Microsoft
//! Learn's description of the file (`autopilot/existing-devices`):
//!
//! | key | value |
//! |---|---|
//! | `Comment_File` | `Profile <name>` |
//! | `Version` | `2049` |
//! | `ZtdCorrelationId` | a GUID; the module uses the profile's id (see [`Correlation`]) |
//! | `CloudAssignedTenantId` | the tenant's GUID (`Tenant.tenantId`) |
//! | `CloudAssignedTenantDomain` | the tenant's domain (not in the configuration: an input) |
//! | `CloudAssignedAadServerData` | compact JSON `{"ZeroTouchConfig":{"CloudAssignedTenantUpn":"","ForcedEnrollment":F,"CloudAssignedTenantDomain":D}}` |
//! | `CloudAssignedDomainJoinMethod` | `0` Entra join, `1` hybrid join |
//! | `HybridJoinSkipDCConnectivityCheck` | `1`, only when a hybrid profile skips the check |
//! | `CloudAssignedDeviceName` | the name template, when there is one |
//! | `CloudAssignedLanguage` | the locale, only when the keyboard page is skipped and the locale is a language (not `os-default`) |
//! | `CloudAssignedOobeConfig` | the bitmap of [`oobe_config`] |
//! | `CloudAssignedForcedEnrollment` | `1` when the change account options are hidden, else `0` |
//! | `CloudAssignedAutopilotUpdateDisabled` | `1` (fixed by the module) |
//! | `CloudAssignedAutopilotUpdateTimeout` | `1800000` (fixed by the module) |
//!
//! The file is ASCII (Learn: OOBE ignores a UTF-8 or Unicode file): any other character, which can
//! only come from the profile's name, is written as a JSON `\uXXXX` escape. Lines end in CRLF, as
//! the module's output does on Windows.
//!
//! This module builds the text and says why the file cannot work or what else it needs; it does
//! not write the file (the CLI does) and reads nothing.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::lower::{is_domain, is_guid};
use crate::model::*;
use crate::{Error, diagnostic::did_you_mean};

/// The file name OOBE looks for (any other name is ignored).
pub const FILE_NAME: &str = "AutopilotConfigurationFile.json";

/// What the file needs that the configuration does not hold.
#[derive(Debug, Clone, Copy)]
pub struct OfflineInputs<'a> {
    /// `CloudAssignedTenantDomain`: the tenant's domain, e.g. `contoso.onmicrosoft.com`.
    pub tenant_domain: &'a str,
    /// `ZtdCorrelationId` to use instead of the default ([`Correlation`]).
    pub correlation_id: Option<&'a str>,
}

/// Where `ZtdCorrelationId` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correlation {
    /// Given by the caller (`--correlation-id`).
    Given,
    /// The profile's pinned `id:`: what the module writes (it uses the live profile's id).
    PinnedId,
    /// Derived from the tenant id and the profile name (a SHA-256-based RFC 9562 version 8
    /// UUID), so that writing the file again gives the same id: Intune names devices that used
    /// the file `OfflineAutoPilotProfile-<ZtdCorrelationId>` (their `enrollmentProfileName`).
    Derived,
}

/// A written offline profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineProfile {
    /// The profile's name.
    pub profile: String,
    /// The JSON document, pretty-printed with four spaces, CRLF line ends, ASCII only.
    pub text: String,
    /// The `ZtdCorrelationId` written.
    pub correlation_id: String,
    /// Where it came from.
    pub correlation: Correlation,
    /// What else a device needs for the file to work (hybrid join, pre-provisioning, enrollment
    /// restrictions), one sentence each.
    pub notes: Vec<String>,
}

/// `CloudAssignedOobeConfig`: the OOBE bitmap `ConvertTo-AutopilotConfigurationJSON` computes.
///
/// Learn documents bits 1 (SkipCortanaOptIn), 2 (OobeUserNotLocalAdmin), 4 (SkipExpressSettings),
/// 8 (SkipOemRegistration) and 16 (SkipEula). The module also sets 256 always, 1024 when the
/// keyboard page is skipped, and 32 + 64 for self-deploying (shared) profiles; Learn does not name
/// those bits.
pub fn oobe_config(profile: &DeploymentProfile) -> u32 {
    // (bit, whether the profile sets it), in the module's order.
    let bits = [
        (8 + 256, true),
        (
            2,
            profile
                .oobe
                .user_type
                .as_ref()
                .is_some_and(|user| user.value == UserType::Standard),
        ),
        (4, profile.oobe.hide_privacy_settings.value),
        (16, profile.oobe.hide_license_terms.value),
        (1024, profile.oobe.skip_keyboard_selection.value),
        (32 + 64, profile.mode.value == DeploymentMode::SelfDeploying),
    ];
    bits.iter().filter(|(_, set)| *set).map(|(bit, _)| bit).sum()
}

/// Builds `AutopilotConfigurationFile.json` for the deployment profile named `name`.
///
/// Errors: no such profile (with a suggestion), a profile offline provisioning cannot use
/// (self-deploying: TPM attestation needs the Autopilot service), a `tenantId` that is not a
/// GUID, a malformed domain or correlation id.
pub fn offline_profile(
    state: &DesiredState,
    name: &str,
    inputs: OfflineInputs<'_>,
) -> Result<OfflineProfile, Error> {
    if !state.tenant.cloud.value.has_classic_autopilot() {
        return Err(Error::OfflineUnsupported {
            profile: name.to_owned(),
            reasons: vec![format!(
                "the tenant is in `{}`, which has no classic Autopilot deployment profiles, and Device Preparation has no offline file",
                state.tenant.cloud.value
            )],
        });
    }
    if state
        .device_preparation
        .iter()
        .any(|dpp| dpp.meta.name.value == name)
    {
        return Err(Error::OfflineUnsupported {
            profile: name.to_owned(),
            reasons: vec![
                "it is a Device Preparation policy, which starts when a member of its user groups signs in during OOBE and has no offline file".to_owned(),
            ],
        });
    }
    let Some(profile) = state.profiles.iter().find(|p| p.meta.name.value == name) else {
        let names = state.profiles.iter().map(|p| p.meta.name.value.as_str());
        let suggestion = did_you_mean(name, names.clone())
            .or_else(|| {
                state
                    .profiles
                    .iter()
                    .find(|p| p.meta.name.value.eq_ignore_ascii_case(name))
                    .map(|p| p.meta.name.value.as_str())
            })
            .map(str::to_owned);
        return Err(Error::UnknownProfile {
            name: name.to_owned(),
            suggestion,
            known: names.map(str::to_owned).collect(),
        });
    };
    let mut blockers = Vec::new();
    if profile.mode.value == DeploymentMode::SelfDeploying {
        blockers.push(
            "it is self-deploying: a self-deploying device proves itself with TPM attestation, which needs the profile from the Autopilot service; the file supports user-driven profiles only (Learn, Windows Autopilot for existing devices)".to_owned(),
        );
    }
    if !blockers.is_empty() {
        return Err(Error::OfflineUnsupported {
            profile: name.to_owned(),
            reasons: blockers,
        });
    }
    let tenant_id = state.tenant.tenant_id.value.trim();
    if !is_guid(tenant_id) {
        return Err(Error::OfflineInput {
            what: "`tenantId`".to_owned(),
            value: tenant_id.to_owned(),
            help: "`CloudAssignedTenantId` is the tenant's GUID: write the GUID (Entra admin center > Overview > Tenant ID) as `tenantId` in the `Tenant` document".to_owned(),
        });
    }
    let domain = inputs.tenant_domain.trim();
    if !is_domain(domain) {
        return Err(Error::OfflineInput {
            what: "`--tenant-domain`".to_owned(),
            value: domain.to_owned(),
            help:
                "pass the tenant's domain, e.g. `contoso.onmicrosoft.com` (Entra admin center > Domain names)"
                    .to_owned(),
        });
    }
    let (correlation_id, correlation) = match (inputs.correlation_id, &profile.meta.id) {
        (Some(given), _) => {
            let given = given.trim();
            if !is_guid(given) {
                return Err(Error::OfflineInput {
                    what: "`--correlation-id`".to_owned(),
                    value: given.to_owned(),
                    help: "write a GUID without braces, e.g. `7f9e6025-1e13-45f3-bf82-a3e8c5b59eac`"
                        .to_owned(),
                });
            }
            (given.to_owned(), Correlation::Given)
        }
        (None, Some(id)) if is_guid(id.value.trim()) => (id.value.trim().to_owned(), Correlation::PinnedId),
        (None, _) => (derived_id(tenant_id, name), Correlation::Derived),
    };

    let forced = u8::from(profile.oobe.hide_change_account_options.value);
    let domain_json = Value::String(domain.to_owned()).to_string();
    // Written by hand: `serde_json::Map` sorts its keys, and this is the module's (and Learn's
    // example's) order.
    let server_data = format!(
        r#"{{"ZeroTouchConfig":{{"CloudAssignedTenantUpn":"","ForcedEnrollment":{forced},"CloudAssignedTenantDomain":{domain_json}}}}}"#
    );
    let hybrid = profile.join.value == JoinType::Hybrid;
    let mut file: Vec<(&str, Value)> = vec![
        ("Comment_File", json!(format!("Profile {name}"))),
        ("Version", json!(2049)),
        ("ZtdCorrelationId", json!(correlation_id)),
        ("CloudAssignedTenantId", json!(tenant_id)),
        ("CloudAssignedTenantDomain", json!(domain)),
        ("CloudAssignedAadServerData", json!(server_data)),
        ("CloudAssignedDomainJoinMethod", json!(u8::from(hybrid))),
    ];
    if hybrid && profile.skip_domain_connectivity_check.value {
        file.push(("HybridJoinSkipDCConnectivityCheck", json!(1)));
    }
    if let Some(template) = profile.device_name.as_ref().filter(|t| !t.value.is_empty()) {
        file.push(("CloudAssignedDeviceName", json!(template.value)));
    }
    let language = &profile.locale.value;
    if profile.oobe.skip_keyboard_selection.value
        && !language.is_empty()
        && !language.eq_ignore_ascii_case("os-default")
    {
        file.push(("CloudAssignedLanguage", json!(language)));
    }
    file.extend([
        ("CloudAssignedOobeConfig", json!(oobe_config(profile))),
        ("CloudAssignedForcedEnrollment", json!(forced)),
        ("CloudAssignedAutopilotUpdateDisabled", json!(1)),
        ("CloudAssignedAutopilotUpdateTimeout", json!(1_800_000)),
    ]);

    Ok(OfflineProfile {
        profile: name.to_owned(),
        text: render(&file),
        correlation_id,
        correlation,
        notes: notes(state, profile),
    })
}

/// One flat JSON object in the given key order: four-space indent, CRLF, every non-ASCII
/// character escaped.
fn render(entries: &[(&str, Value)]) -> String {
    let lines: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("    {}: {value}", Value::String((*key).to_owned())))
        .collect();
    let text = format!("{{\r\n{}\r\n}}\r\n", lines.join(",\r\n"));
    // Outside strings JSON is ASCII, so a non-ASCII character is always inside a string, where a
    // `\u` escape (UTF-16 code units) means the same character.
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// An RFC 9562 version 8 UUID from SHA-256 of the tenant id and the profile name.
fn derived_id(tenant_id: &str, profile: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"hangar offline profile\0");
    hash.update(tenant_id.to_ascii_lowercase().as_bytes());
    hash.update(b"\0");
    hash.update(profile.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// What else the file needs to work, from what the configuration says.
fn notes(state: &DesiredState, profile: &DeploymentProfile) -> Vec<String> {
    let mut notes = Vec::new();
    if profile.join.value == JoinType::Hybrid {
        let all_devices = state
            .domain_joins
            .iter()
            .find(|join| join.assign.includes_all_devices());
        notes.push(match all_devices {
            Some(join) => format!(
                "hybrid join: domain join profile `{}` is assigned to `all-devices`, as a device provisioned from this file needs (it has no Entra device object to be in a group); the Intune Connector for Active Directory must be running and the device must reach a domain controller during OOBE",
                join.meta.name.value
            ),
            None => "hybrid join: a device provisioned from this file has no Entra device object to be in a group, so it gets its domain join profile only if one is assigned to `all-devices`, and none in this configuration is (assign one in Git, or check the tenant); the Intune Connector for Active Directory must be running and the device must reach a domain controller during OOBE".to_owned(),
        });
    }
    if profile.pre_provisioning.value {
        notes.push(
            "pre-provisioning: the file carries no pre-provisioning; the technician flow needs TPM attestation and the profile from the Autopilot service, so a device provisioned from this file runs user-driven".to_owned(),
        );
    }
    for restriction in &state.restrictions {
        if restriction.windows.personal_devices_blocked.value {
            notes.push(format!(
                "enrollment restriction `{}` blocks personally owned Windows devices: Learn's requirements for Autopilot for existing devices include that restrictions do not block personal devices, so devices it applies to may fail to enroll",
                restriction.meta.name.value
            ));
        }
    }
    if profile.convert_targeted_devices.value {
        notes.push(
            "the profile converts the devices it targets to Autopilot: once a device is enrolled and in one of its groups, Intune registers it, and from then on the profile from the Autopilot service applies instead of this file".to_owned(),
        );
    }
    notes.push(
        "a device already registered with Autopilot that has a profile assigned uses that profile, not this file".to_owned(),
    );
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_version_8_guids() {
        let id = derived_id("1537de22-988c-4e93-b8a5-83890f34a69b", "Autopilot Profile");
        assert!(is_guid(&id), "{id}");
        assert_eq!(&id[14..15], "8");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_eq!(
            id,
            derived_id("1537DE22-988C-4E93-B8A5-83890F34A69B", "Autopilot Profile")
        );
        assert_ne!(
            id,
            derived_id("1537de22-988c-4e93-b8a5-83890f34a69b", "Autopilot Profile 2")
        );
    }

    #[test]
    fn render_is_ascii_with_crlf() {
        let text = render(&[
            ("Comment_File", json!("Profile Café 🚀")),
            ("Version", json!(2049)),
        ]);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(
            text,
            "{\r\n    \"Comment_File\": \"Profile Caf\\u00e9 \\ud83d\\ude80\",\r\n    \"Version\": 2049\r\n}\r\n"
        );
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["Comment_File"], "Profile Café 🚀");
    }
}
