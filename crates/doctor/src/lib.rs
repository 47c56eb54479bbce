//! `hangar doctor`: is the tenant ready for Windows Autopilot, and why did this device end up
//! the way it did?
//!
//! What it does:
//!
//! - **Tenant checks** ([`check_tenant`]): reads, never writes, everything outside hangar's
//!   configuration that Autopilot depends on, and says per cloud what is wrong and what to do:
//!   the signed-in app's permissions against what each hangar command needs
//!   ([`permissions`]), Intune licences, the MDM user scope and MDM URLs (`.us` in GCC High and
//!   DoD), whether users may join devices to Entra, the Intune Connector for Active Directory
//!   when hybrid profiles exist, the Intune Provisioning Client for Device Preparation, the
//!   Autopilot sync, and per group tag how many registered devices have their profile
//!   assigned, pending, failed or none ([`checks`]). With a configuration it compares with what
//!   the configuration manages; without one it checks what every Autopilot tenant needs.
//! - **Device checks** ([`check_device`]): parses `dsregcmd /status` collected from a device
//!   ([`dsregcmd`]; UTF-8 or the UTF-16 Windows PowerShell writes) and compares it with what
//!   the configuration intends for that device: Entra or hybrid join (catching the silent
//!   hybrid failure, Entra joined but not domain joined), the tenant, Intune's MDM URLs.
//! - **Reports** ([`report`], [`render`]): text, versioned JSON and Markdown; healthy or
//!   findings, each finding with its fix.
//!
//! What it does not do: change anything (no request it sends writes), decide what hangar should
//! change (that is `hangar plan`), print, or choose exit codes (the CLI does). The checks are
//! pure functions of the facts read ([`facts`]), so they are tested without a tenant; only
//! [`read`] does IO, through `hangar-graph`.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod checks;
pub mod dsregcmd;
mod error;
pub mod facts;
pub mod finding;
pub mod intent;
pub mod permissions;
pub mod read;
pub mod render;
pub mod report;
pub mod tables;

use std::path::Path;

use hangar_config::DesiredState;
use hangar_graph::GraphClient;
use hangar_model::Cloud;

pub use error::Error;
pub use finding::{Check, CheckResult, Finding, Severity, Status};
pub use intent::Intent;
pub use report::{DeviceCheck, Report, TenantRef};

use dsregcmd::DsregStatus;
use dsregcmd::compare::{Identify, compare, device_intent};

fn tenant_ref(intent: &Intent<'_>) -> TenantRef {
    TenantRef {
        cloud: intent.cloud,
        tenant_id: intent.tenant_id.to_owned(),
        name: intent.config.map(|c| c.tenant.name.value.clone()),
    }
}

/// Reads the tenant through `client` and runs every check. `now_ms` (the wall clock, ms since
/// the epoch) dates connector check-ins and syncs.
pub async fn check_tenant(client: &GraphClient, intent: &Intent<'_>, now_ms: i64) -> Result<Report, Error> {
    let facts = read::read_tenant(client, intent).await?;
    Ok(report_from(&facts, intent, now_ms))
}

/// Runs every check on facts already read.
pub fn report_from(facts: &facts::TenantFacts, intent: &Intent<'_>, now_ms: i64) -> Report {
    let (checks, devices) = checks::run_all(facts, intent, now_ms);
    Report {
        tenant: tenant_ref(intent),
        checks,
        devices,
    }
}

/// Compares a `dsregcmd /status` file's `bytes` with what `intent`'s configuration intends for
/// the device `identify` names (ignored without a configuration: then only the tenant and the
/// cloud's MDM URLs are compared). `path` names the file in messages.
pub fn check_device(
    bytes: &[u8],
    path: &Path,
    intent: &Intent<'_>,
    identify: &Identify,
) -> Result<DeviceCheck, Error> {
    let status = DsregStatus::parse(bytes).map_err(|problem| Error::Dsregcmd {
        path: path.to_owned(),
        problem,
    })?;
    let device = match intent.config {
        Some(config) => Some(device_intent(config, &status, identify)?),
        None => None,
    };
    Ok(DeviceCheck {
        tenant: tenant_ref(intent),
        file: path.display().to_string(),
        device: compare(&status, device, intent.cloud, intent.tenant_id),
    })
}

/// Without a configuration, the intent comes from flags.
pub fn bare_intent(cloud: Cloud, tenant_id: &str) -> Intent<'_> {
    Intent::bare(cloud, tenant_id)
}

/// With a configuration.
pub fn configured_intent(config: &DesiredState) -> Intent<'_> {
    Intent::of(config)
}
