//! Plain text, for a terminal or a CI log. No colour codes: the same bytes on every output.

use std::fmt::Write as _;

use super::yes_no;
use crate::finding::{Finding, Status};
use crate::report::{DeviceCheck, Report, TenantRef, count, tally};

fn tenant_line(tenant: &TenantRef) -> String {
    match &tenant.name {
        Some(name) => format!("tenant {name} ({}) in {}", tenant.tenant_id, tenant.cloud),
        None => format!("tenant {} in {}", tenant.tenant_id, tenant.cloud),
    }
}

fn finding(out: &mut String, finding: &Finding, indent: &str) {
    let _ = writeln!(out, "{indent}{}: {}", finding.severity.as_str(), finding.message);
    for item in &finding.items {
        let _ = writeln!(out, "{indent}  - {item}");
    }
    if finding.more > 0 {
        let _ = writeln!(out, "{indent}  - … and {} more", finding.more);
    }
    let _ = writeln!(out, "{indent}  fix: {}", finding.fix);
}

/// A tenant report.
pub fn report(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "hangar doctor: {}", tenant_line(&report.tenant));
    for result in &report.checks {
        let marker = match result.status {
            Status::Passed => "[ok]",
            Status::Findings
                if result
                    .findings
                    .iter()
                    .any(|f| f.severity == crate::Severity::Error) =>
            {
                "[error]"
            }
            Status::Findings => "[warning]",
            Status::NotChecked => "[not checked]",
            Status::Skipped => "[skipped]",
        };
        let _ = writeln!(out, "\n{marker} {}: {}", result.check.id, result.check.title);
        let _ = writeln!(out, "    {}", result.summary);
        for f in &result.findings {
            finding(&mut out, f, "    ");
        }
        if let Some(note) = &result.note {
            let _ = writeln!(out, "    note: {note}");
        }
    }
    if let Some(devices) = report.devices.as_ref().filter(|d| !d.tags.is_empty()) {
        let _ = writeln!(out, "\nDevices by group tag:");
        let width = devices
            .tags
            .iter()
            .map(|r| r.tag.chars().count().max(14))
            .max()
            .unwrap_or(14);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>7}  {:>8}  {:>7}  {:>6}  {:>4}  profile (configuration)",
            "group tag", "devices", "assigned", "pending", "failed", "none"
        );
        for row in &devices.tags {
            let tag = if row.tag.is_empty() {
                "(no group tag)"
            } else {
                &row.tag
            };
            let _ = writeln!(
                out,
                "  {tag:<width$}  {:>7}  {:>8}  {:>7}  {:>6}  {:>4}  {}",
                row.devices,
                row.assigned,
                row.pending,
                row.failed,
                row.none,
                row.expected.as_deref().unwrap_or("-")
            );
        }
    }
    let (errors, warnings) = count(report.findings());
    let _ = writeln!(
        out,
        "\n{} in {} checks ({} ok, {} not checked, {} skipped).",
        tally(errors, warnings),
        report.checks.len(),
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::Passed)
            .count(),
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::NotChecked)
            .count(),
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .count(),
    );
    out
}

/// A device check.
pub fn device(check: &DeviceCheck) -> String {
    let mut out = String::new();
    let device = &check.device;
    let o = &device.observed;
    let _ = writeln!(
        out,
        "hangar doctor: {} against {}",
        check.file,
        tenant_line(&check.tenant)
    );
    if let Some(intent) = &device.intent {
        let _ = writeln!(out, "\nThe configuration, for {}:", intent.identified_by);
        let _ = writeln!(
            out,
            "    join: {}",
            intent.join.unwrap_or("(nothing reaches this device)")
        );
        if let Some(profile) = &intent.profile {
            let _ = writeln!(out, "    deployment profile: {profile}");
        }
        if !intent.device_preparation.is_empty() {
            let _ = writeln!(
                out,
                "    device preparation: {}",
                intent.device_preparation.join(", ")
            );
        }
        if let Some(domain) = &intent.domain {
            let _ = writeln!(out, "    domain: {domain}");
        }
    }
    let _ = writeln!(out, "\nThe device ({}):", o.encoding);
    let _ = writeln!(
        out,
        "    AzureAdJoined {}, DomainJoined {}, EnterpriseJoined {}",
        yes_no(o.azure_ad_joined),
        yes_no(o.domain_joined),
        yes_no(o.enterprise_joined)
    );
    for (label, value) in [
        ("device name", &o.device_name),
        ("domain", &o.domain_name),
        ("tenant", &o.tenant_name),
        ("tenant id", &o.tenant_id),
        ("MDM URL", &o.mdm_url),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "    {label}: {value}");
        }
    }
    if !device.findings.is_empty() {
        let _ = writeln!(out);
        for f in &device.findings {
            finding(&mut out, f, "");
        }
    }
    for note in &device.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let (errors, warnings) = count(device.findings.iter());
    let _ = writeln!(out, "\n{}.", tally(errors, warnings));
    out
}
