//! Markdown, for a pull-request or ticket comment: a table of checks, the findings with their
//! fixes, and the devices per group tag.

use std::fmt::Write as _;

use super::{status_word, yes_no};
use crate::finding::Finding;
use crate::report::{DeviceCheck, Report, TenantRef, count, tally};

/// Escapes what would break a table cell or start markup.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn tenant(tenant: &TenantRef) -> String {
    match &tenant.name {
        Some(name) => format!("`{name}` (`{}`, {})", tenant.tenant_id, tenant.cloud),
        None => format!("`{}` ({})", tenant.tenant_id, tenant.cloud),
    }
}

fn finding(out: &mut String, finding: &Finding) {
    let _ = writeln!(out, "- **{}**: {}", finding.severity.as_str(), finding.message);
    for item in &finding.items {
        let _ = writeln!(out, "  - `{}`", item.replace('`', "'"));
    }
    if finding.more > 0 {
        let _ = writeln!(out, "  - … and {} more", finding.more);
    }
    let _ = writeln!(out, "  - *Fix:* {}", finding.fix);
}

/// A tenant report.
pub fn report(report: &Report) -> String {
    let mut out = String::new();
    let (errors, warnings) = count(report.findings());
    let _ = writeln!(out, "## hangar doctor: {}\n", tenant(&report.tenant));
    let _ = writeln!(
        out,
        "**{}** in {} checks.\n",
        tally(errors, warnings),
        report.checks.len()
    );
    let _ = writeln!(out, "| check | result | what doctor saw |");
    let _ = writeln!(out, "|---|---|---|");
    for result in &report.checks {
        let _ = writeln!(
            out,
            "| [{}]({}) | {} | {} |",
            cell(result.check.title),
            result.check.source,
            status_word(result.status),
            cell(&result.summary)
        );
    }
    if report.has_findings() {
        let _ = writeln!(out, "\n### Findings\n");
        for result in report.checks.iter().filter(|c| !c.findings.is_empty()) {
            let _ = writeln!(out, "#### {}\n", result.check.title);
            for f in &result.findings {
                finding(&mut out, f);
            }
            let _ = writeln!(out);
        }
    }
    let notes: Vec<_> = report
        .checks
        .iter()
        .filter_map(|c| c.note.as_ref().map(|n| (c, n)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Notes ({})</summary>\n", notes.len());
        for (check, note) in notes {
            let _ = writeln!(out, "- **{}**: {}", check.check.title, note);
        }
        let _ = writeln!(out, "\n</details>");
    }
    if let Some(devices) = report.devices.as_ref().filter(|d| !d.tags.is_empty()) {
        let _ = writeln!(out, "\n### Devices by group tag\n");
        let _ = writeln!(
            out,
            "| group tag | devices | assigned | pending | failed | none | profile (configuration) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
        for row in &devices.tags {
            let tag = if row.tag.is_empty() {
                "*(no group tag)*".to_owned()
            } else {
                format!("`{}`", cell(&row.tag))
            };
            let _ = writeln!(
                out,
                "| {tag} | {} | {} | {} | {} | {} | {} |",
                row.devices,
                row.assigned,
                row.pending,
                row.failed,
                row.none,
                row.expected.as_deref().map_or_else(|| "-".to_owned(), cell)
            );
        }
    }
    out
}

/// A device check.
pub fn device(check: &DeviceCheck) -> String {
    let mut out = String::new();
    let device = &check.device;
    let o = &device.observed;
    let (errors, warnings) = count(device.findings.iter());
    let _ = writeln!(
        out,
        "## hangar doctor: `{}` against {}\n",
        cell(&check.file),
        tenant(&check.tenant)
    );
    let _ = writeln!(out, "**{}**.\n", tally(errors, warnings));
    let _ = writeln!(out, "| | configuration | device |");
    let _ = writeln!(out, "|---|---|---|");
    let intent = device.intent.as_ref();
    let _ = writeln!(
        out,
        "| identified by | {} | {} |",
        intent.map_or("-".to_owned(), |i| cell(&i.identified_by)),
        o.device_name.as_deref().map_or("-".to_owned(), cell)
    );
    let _ = writeln!(
        out,
        "| join | {} | AzureAdJoined {}, DomainJoined {} |",
        intent.and_then(|i| i.join).unwrap_or("-"),
        yes_no(o.azure_ad_joined),
        yes_no(o.domain_joined)
    );
    let _ = writeln!(
        out,
        "| profile | {} | - |",
        intent
            .and_then(|i| i.profile.as_deref())
            .map_or("-".to_owned(), cell)
    );
    let _ = writeln!(
        out,
        "| tenant | `{}` | {} |",
        check.tenant.tenant_id,
        o.tenant_id
            .as_deref()
            .map_or("-".to_owned(), |t| format!("`{t}`"))
    );
    let _ = writeln!(
        out,
        "| MDM URL | | {} |",
        o.mdm_url.as_deref().map_or("-".to_owned(), cell)
    );
    if !device.findings.is_empty() {
        let _ = writeln!(out, "\n### Findings\n");
        for f in &device.findings {
            finding(&mut out, f);
        }
    }
    if !device.notes.is_empty() {
        let _ = writeln!(out);
        for note in &device.notes {
            let _ = writeln!(out, "> {note}");
        }
    }
    out
}
