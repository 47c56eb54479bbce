//! Profile assignment of registered devices, per group tag: how many have their deployment
//! profile assigned, pending, failed or none (`deploymentProfileAssignmentStatus`). Failures
//! are findings, named (capped). With a configuration, devices of a tag the configuration
//! gives a profile to but that have none are a warning too; in clouds without classic
//! profiles (GCC High, DoD) "none" is what Device Preparation devices show, never a finding.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{DEVICE_STATUS, expect_read};
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};
use crate::intent::{ExpectedProfile, Intent};

/// One group tag's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRow {
    /// The group tag (empty: devices without one).
    pub tag: String,
    /// Registered devices with this tag.
    pub devices: usize,
    /// Profile assigned (`assignedInSync`, `assignedOutOfSync`, `assignedUnkownSyncState`).
    pub assigned: usize,
    /// Assignment in progress (`pending`).
    pub pending: usize,
    /// Assignment failed (`failed`).
    pub failed: usize,
    /// No profile (`notAssigned`, `unknown`, or no status).
    pub none: usize,
    /// The profile the configuration gives these devices (with a configuration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// The per-tag table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceStatus {
    /// One row per group tag, sorted by tag (devices without one first).
    pub tags: Vec<TagRow>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Assigned,
    Pending,
    Failed,
    None,
}

fn bucket(status: Option<&str>) -> Bucket {
    match status.unwrap_or("") {
        s if s.starts_with("assigned") => Bucket::Assigned,
        "pending" => Bucket::Pending,
        "failed" => Bucket::Failed,
        _ => Bucket::None,
    }
}

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>) -> (CheckResult, Option<DeviceStatus>) {
    let devices = match expect_read(
        &facts.devices,
        &DEVICE_STATUS,
        "the registered devices",
        "DeviceManagementServiceConfig.Read.All",
    ) {
        Ok(devices) => devices,
        Err(result) => return (result, None),
    };
    // Group tags compare without case, as Autopilot's dynamic rules do; the first spelling
    // seen names the row.
    let mut rows: BTreeMap<String, TagRow> = BTreeMap::new();
    let mut failed = Vec::new();
    let mut unassigned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for device in devices {
        let tag = device.group_tag.as_deref().unwrap_or("").trim();
        let row = rows.entry(tag.to_ascii_lowercase()).or_insert_with(|| TagRow {
            tag: tag.to_owned(),
            devices: 0,
            assigned: 0,
            pending: 0,
            failed: 0,
            none: 0,
            expected: None,
        });
        row.devices += 1;
        let serial = device
            .serial_number
            .as_deref()
            .unwrap_or(&device.id)
            .trim()
            .to_owned();
        match bucket(device.deployment_profile_assignment_status.as_deref()) {
            Bucket::Assigned => row.assigned += 1,
            Bucket::Pending => row.pending += 1,
            Bucket::Failed => {
                row.failed += 1;
                let detail = device
                    .deployment_profile_assignment_detailed_status
                    .as_deref()
                    .filter(|d| *d != "none")
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default();
                let tag = if tag.is_empty() {
                    "no group tag".to_owned()
                } else {
                    format!("tag {tag}")
                };
                failed.push(format!("{serial} ({tag}{detail})"));
            }
            Bucket::None => {
                row.none += 1;
                unassigned
                    .entry(tag.to_ascii_lowercase())
                    .or_default()
                    .push(serial);
            }
        }
    }
    let mut findings = Vec::new();
    if !failed.is_empty() {
        findings.push(
            Finding::error(
                format!("{} device(s) failed to get their deployment profile", failed.len()),
                "look at each device in the Intune admin center (Devices > Windows > Enrollment > Devices): a detailed status such as hardwareRequirementsNotMet names the cause; fix it, then reassign by changing the device's group tag or the profile's groups, and sync",
            )
            .naming(failed),
        );
    }
    if let Some(expectations) = intent
        .profile_expectations()
        .filter(|_| intent.cloud.has_classic_autopilot())
    {
        for (key, row) in &mut rows {
            let expected = expectations.for_tag(&row.tag);
            row.expected = match &expected {
                ExpectedProfile::One(name) => Some(name.clone()),
                ExpectedProfile::Several(names) => Some(names.join(" | ")),
                ExpectedProfile::None => None,
            };
            let (ExpectedProfile::One(profile), Some(serials)) = (&expected, unassigned.get(key)) else {
                continue;
            };
            let tag = if row.tag.is_empty() {
                "without a group tag".to_owned()
            } else {
                format!("tagged `{}`", row.tag)
            };
            findings.push(
                Finding::warning(
                    format!(
                        "{} device(s) {tag} have no deployment profile, though the configuration gives them `{profile}`",
                        serials.len()
                    ),
                    "run `hangar plan` to see whether the tenant matches the configuration; right after an import or a group change Autopilot needs some minutes to assign, and a sync (Devices > Windows > Enrollment > Devices > Sync) speeds it up",
                )
                .naming(serials.iter().cloned()),
            );
        }
    }
    let table = DeviceStatus {
        tags: rows.into_values().collect(),
    };
    let sum = |f: fn(&TagRow) -> usize| table.tags.iter().map(f).sum::<usize>();
    let summary = format!(
        "{} device(s) in {} group tag(s): {} assigned, {} pending, {} failed, {} without a profile",
        devices.len(),
        table.tags.len(),
        sum(|r| r.assigned),
        sum(|r| r.pending),
        sum(|r| r.failed),
        sum(|r| r.none)
    );
    (
        CheckResult::looked(&DEVICE_STATUS, summary, findings),
        Some(table),
    )
}

#[cfg(test)]
mod tests {
    use hangar_graph::resources::devices::ProfileStatus;
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::facts::Read;
    use crate::finding::Status;

    fn device(serial: &str, tag: &str, status: &str) -> ProfileStatus {
        ProfileStatus {
            id: format!("id-{serial}"),
            serial_number: Some(serial.into()),
            group_tag: Some(tag.into()),
            display_name: None,
            enrollment_state: Some("notContacted".into()),
            deployment_profile_assignment_status: Some(status.into()),
            deployment_profile_assignment_detailed_status: Some(
                if status == "failed" {
                    "hardwareRequirementsNotMet"
                } else {
                    "none"
                }
                .into(),
            ),
            deployment_profile_assigned_date_time: None,
        }
    }

    #[test]
    fn counts_per_tag_and_names_failures() {
        let mut facts = healthy();
        let mut devices = vec![
            device("A1", "Sales", "assignedInSync"),
            device("A2", "sales", "pending"),
            device("A3", "Sales", "failed"),
            device("B1", "", "notAssigned"),
        ];
        devices.extend((0..12).map(|i| device(&format!("K{i:02}"), "Kiosk", "failed")));
        facts.devices = Read::Got(devices);
        let (result, table) = check(&facts, &Intent::bare(Cloud::Commercial, "t"));
        let table = table.unwrap();
        let rows: Vec<(&str, usize, usize, usize, usize, usize)> = table
            .tags
            .iter()
            .map(|r| (r.tag.as_str(), r.devices, r.assigned, r.pending, r.failed, r.none))
            .collect();
        assert_eq!(
            rows,
            [
                ("", 1, 0, 0, 0, 1),
                ("Kiosk", 12, 0, 0, 12, 0),
                ("Sales", 3, 1, 1, 1, 0)
            ]
        );
        assert_eq!(result.status, Status::Findings);
        let failed = &result.findings[0];
        assert_eq!(
            failed.message,
            "13 device(s) failed to get their deployment profile"
        );
        assert_eq!(failed.items.len(), 10);
        assert_eq!(failed.more, 3);
        assert_eq!(failed.items[0], "A3 (tag Sales, hardwareRequirementsNotMet)");
        assert_eq!(
            result.findings.len(),
            1,
            "without a configuration, no profile is not a finding"
        );
    }
}
