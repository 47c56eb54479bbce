//! The reports doctor produces: [`Report`] for a tenant, [`DeviceCheck`] for a device's
//! `dsregcmd /status`. Both know their exit: 0 healthy, 2 findings.

use hangar_model::Cloud;
use serde::Serialize;

use crate::checks::DeviceStatus;
use crate::dsregcmd::compare::DeviceReport;
use crate::finding::{CheckResult, Finding, Severity};

/// Version of the JSON format (`docs/doctor.md`).
pub const FORMAT_VERSION: u32 = 1;

/// Which tenant a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRef {
    /// The cloud.
    pub cloud: Cloud,
    /// The tenant id.
    pub tenant_id: String,
    /// The `Tenant` document's name, with a configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A tenant check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The tenant.
    pub tenant: TenantRef,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// Devices per group tag, when they were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<DeviceStatus>,
}

/// A device's `dsregcmd /status` against the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceCheck {
    /// The tenant.
    pub tenant: TenantRef,
    /// The file, as given.
    pub file: String,
    /// The comparison.
    pub device: DeviceReport,
}

/// Errors and warnings among `findings`.
pub fn count<'f>(findings: impl Iterator<Item = &'f Finding>) -> (usize, usize) {
    findings.fold((0, 0), |(errors, warnings), f| match f.severity {
        Severity::Error => (errors + 1, warnings),
        Severity::Warning => (errors, warnings + 1),
    })
}

impl Report {
    /// Every finding, in check order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.checks.iter().flat_map(|c| c.findings.iter())
    }

    /// Whether anything was found (exit 2).
    pub fn has_findings(&self) -> bool {
        self.findings().next().is_some()
    }
}

impl DeviceCheck {
    /// Whether anything was found (exit 2).
    pub fn has_findings(&self) -> bool {
        !self.device.findings.is_empty()
    }
}

/// `2 errors, 1 warning`, or `no findings`.
pub fn tally(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no findings".to_owned(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}
