//! OpenMetrics text for a drift run (`hangar drift --metrics FILE`): how many objects and
//! devices differ from Git, whether the run succeeded, when it last succeeded and how long it
//! took, labelled by tenant. One process is one tenant; a Prometheus scrape or node_exporter's
//! textfile collector gathers one file per tenant (`docs/many-tenants.md`).
//!
//! The text is OpenMetrics 1.0 (`# TYPE`, `# HELP`, `# UNIT`, `# EOF`), which the Prometheus
//! text parser of the textfile collector also reads (it takes `# UNIT` and `# EOF` as
//! comments). Every series is always written, zero or not, so a series never vanishes between
//! runs; a failed run writes `hangar_drift_success 0` and keeps the drift counts out (unknown,
//! not zero), carrying the last success time over from the previous file.

use std::fmt::Write as _;

use hangar_model::Cloud;

use crate::plan::Plan;

/// Who the metrics are about: the labels of every series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantLabels {
    /// `Tenant.name`.
    pub tenant: String,
    /// `Tenant.tenantId`.
    pub tenant_id: String,
    /// `Tenant.cloud`.
    pub cloud: Option<Cloud>,
}

/// One drift run, for [`render`].
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// The labels.
    pub labels: TenantLabels,
    /// The plan when the run read the tenant and planned; `None` when it failed.
    pub plan: Option<&'a Plan>,
    /// When the run ended (Unix seconds).
    pub finished_at: f64,
    /// How long it took (seconds).
    pub duration_seconds: f64,
    /// The last success before this run (from the previous file), kept when this one failed.
    pub previous_success: Option<f64>,
}

/// The metric whose value [`last_success`] reads back.
pub const LAST_SUCCESS: &str = "hangar_drift_last_success_timestamp_seconds";

/// The OpenMetrics text of `run`.
pub fn render(run: &Run<'_>) -> String {
    let labels = label_text(&run.labels);
    let mut out = String::new();
    let mut family = |name: &str, unit: Option<&str>, help: &str, samples: &[(Option<(&str, &str)>, f64)]| {
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(unit) = unit {
            let _ = writeln!(out, "# UNIT {name} {unit}");
        }
        let _ = writeln!(out, "# HELP {name} {help}");
        for (extra, value) in samples {
            let extra = extra.map_or(String::new(), |(key, value)| {
                format!(",{key}=\"{}\"", escape(value))
            });
            let _ = writeln!(out, "{name}{{{labels}{extra}}} {}", number(*value));
        }
    };
    if let Some(plan) = run.plan {
        let summary = &plan.summary;
        let changes = [
            ("create", summary.create),
            ("update", summary.update),
            ("replace", summary.replace),
            ("delete", summary.delete),
        ];
        let samples: Vec<(Option<(&str, &str)>, f64)> = changes
            .iter()
            .map(|(change, count)| (Some(("change", *change)), *count as f64))
            .collect();
        family(
            "hangar_drift_objects",
            None,
            "Objects whose tenant state differs from Git, by the change apply would make.",
            &samples,
        );
        let devices = &summary.devices;
        let changes = [
            ("import", devices.import),
            ("update", devices.update),
            ("delete", devices.delete),
        ];
        let samples: Vec<(Option<(&str, &str)>, f64)> = changes
            .iter()
            .map(|(change, count)| (Some(("change", *change)), *count as f64))
            .collect();
        family(
            "hangar_drift_devices",
            None,
            "Device registrations that differ from Git, by the change apply would make.",
            &samples,
        );
        family(
            "hangar_drift_changes",
            None,
            "Objects and device registrations that differ from Git (0: the tenant matches Git).",
            &[(None, summary.changed() as f64)],
        );
    }
    family(
        "hangar_drift_success",
        None,
        "1 when the last drift run read the tenant and compared it with Git, 0 when it failed.",
        &[(None, if run.plan.is_some() { 1.0 } else { 0.0 })],
    );
    family(
        "hangar_drift_last_run_timestamp_seconds",
        Some("seconds"),
        "When the last drift run ended (Unix time).",
        &[(None, run.finished_at)],
    );
    let last_success = if run.plan.is_some() {
        Some(run.finished_at)
    } else {
        run.previous_success
    };
    if let Some(last_success) = last_success {
        family(
            LAST_SUCCESS,
            Some("seconds"),
            "When a drift run last succeeded (Unix time).",
            &[(None, last_success)],
        );
    }
    family(
        "hangar_drift_duration_seconds",
        Some("seconds"),
        "How long the last drift run took, reading the tenant included.",
        &[(None, run.duration_seconds)],
    );
    out.push_str("# EOF\n");
    out
}

/// The last success time in a file [`render`] wrote, for the same tenant; `None` when there is
/// none or the file is something else.
pub fn last_success(previous: &str, labels: &TenantLabels) -> Option<f64> {
    let prefix = format!("{LAST_SUCCESS}{{{}}} ", label_text(labels));
    previous
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|value| value.is_finite())
}

fn label_text(labels: &TenantLabels) -> String {
    let cloud = labels.cloud.map_or("", Cloud::name);
    format!(
        "tenant=\"{}\",tenant_id=\"{}\",cloud=\"{}\"",
        escape(&labels.tenant),
        escape(&labels.tenant_id),
        escape(cloud)
    )
}

/// A label value as OpenMetrics writes it: `\`, `"` and newlines escaped. Other control
/// characters (a name typed into the portal can hold any) become spaces, so no value can
/// break a line of the exposition.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: integers without a fraction, times with millisecond precision.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> TenantLabels {
        TenantLabels {
            tenant: "con\"toso\n".into(),
            tenant_id: "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44".into(),
            cloud: Some(Cloud::GccHigh),
        }
    }

    #[test]
    fn a_failed_run_keeps_the_last_success_and_writes_no_counts() {
        let failed = render(&Run {
            labels: labels(),
            plan: None,
            finished_at: 1_700_000_100.0,
            duration_seconds: 2.5,
            previous_success: Some(1_700_000_000.0),
        });
        assert!(failed.contains("hangar_drift_success{tenant=\"con\\\"toso\\n\",tenant_id=\"3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\",cloud=\"gcc-high\"} 0\n"), "{failed}");
        assert!(!failed.contains("hangar_drift_objects"), "{failed}");
        assert_eq!(last_success(&failed, &labels()), Some(1_700_000_000.0));
        assert!(failed.ends_with("# EOF\n"));
        // Another tenant's file is not this tenant's history.
        let other = TenantLabels {
            tenant: "fabrikam".into(),
            ..labels()
        };
        assert_eq!(last_success(&failed, &other), None);
    }

    #[test]
    fn every_line_is_a_comment_or_a_sample() {
        let text = render(&Run {
            labels: labels(),
            plan: None,
            finished_at: 1.5,
            duration_seconds: 0.25,
            previous_success: None,
        });
        for line in text.lines() {
            assert!(
                line.starts_with("# ") || line.starts_with("hangar_drift_"),
                "{line}"
            );
        }
        assert!(!text.contains(LAST_SUCCESS), "never succeeded: {text}");
        assert!(text.contains("hangar_drift_duration_seconds{"));
        assert!(text.contains("} 0.250\n"), "{text}");
    }
}
