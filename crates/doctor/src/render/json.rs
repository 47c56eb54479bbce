//! JSON, versioned ([`crate::report::FORMAT_VERSION`]): the report with a summary, documented
//! in `docs/doctor.md`.

use serde::Serialize;
use serde_json::json;

use crate::finding::{CheckResult, Finding, Status};
use crate::report::{DeviceCheck, FORMAT_VERSION, Report, count};

#[derive(Serialize)]
struct CheckJson<'r> {
    id: &'static str,
    title: &'static str,
    status: Status,
    summary: &'r str,
    findings: &'r [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'r str>,
    source: &'static str,
}

fn check(result: &CheckResult) -> CheckJson<'_> {
    CheckJson {
        id: result.check.id,
        title: result.check.title,
        status: result.status,
        summary: &result.summary,
        findings: &result.findings,
        note: result.note.as_deref(),
        source: result.check.source,
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// A tenant report.
pub fn report(report: &Report) -> String {
    let (errors, warnings) = count(report.findings());
    pretty(&json!({
        "format_version": FORMAT_VERSION,
        "kind": "tenant",
        "tenant": report.tenant,
        "summary": {"errors": errors, "warnings": warnings, "healthy": errors + warnings == 0},
        "checks": report.checks.iter().map(check).collect::<Vec<_>>(),
        "devices": report.devices,
    }))
}

/// A device check.
pub fn device(check: &DeviceCheck) -> String {
    let (errors, warnings) = count(check.device.findings.iter());
    pretty(&json!({
        "format_version": FORMAT_VERSION,
        "kind": "device",
        "tenant": check.tenant,
        "file": check.file,
        "summary": {"errors": errors, "warnings": warnings, "healthy": errors + warnings == 0},
        "intent": check.device.intent,
        "observed": check.device.observed,
        "findings": check.device.findings,
        "notes": check.device.notes,
    }))
}
