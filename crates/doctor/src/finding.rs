//! What a check says: a [`CheckResult`] per [`Check`], each with its [`Finding`]s.

use serde::Serialize;

/// How much a finding matters. Both make `hangar doctor` exit 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Autopilot cannot work as configured until this is fixed.
    Error,
    /// Something may fail, or doctor could not tell.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Most items a finding names one by one; the rest are counted (a tenant can have thousands
/// of failed devices, a report cannot).
pub const MAX_NAMED: usize = 10;

/// One problem, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do.
    pub fix: String,
    /// The objects concerned (devices, connectors, groups), at most [`MAX_NAMED`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// How many more objects are concerned than `items` names.
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Finding {
    /// An error.
    pub fn error(message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            message: message.into(),
            fix: fix.into(),
            items: Vec::new(),
            more: 0,
        }
    }

    /// A warning.
    pub fn warning(message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(message, fix)
        }
    }

    /// Names the objects concerned, keeping the first [`MAX_NAMED`].
    pub fn naming(mut self, items: impl IntoIterator<Item = String>) -> Finding {
        let all: Vec<String> = items.into_iter().collect();
        self.more = all.len().saturating_sub(MAX_NAMED);
        self.items = all.into_iter().take(MAX_NAMED).collect();
        self
    }
}

/// One check `hangar doctor` runs: a row of [`crate::checks::CHECKS`].
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id, e.g. `mdm-scope` (used in JSON and in `docs/doctor.md`).
    pub id: &'static str,
    /// What it checks, for people.
    pub title: &'static str,
    /// Microsoft's page on the setting.
    pub source: &'static str,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Looked, and all is well.
    Passed,
    /// Looked, and found something (see the findings).
    Findings,
    /// Could not look (a permission, an API that is not available); `note` says how to check by
    /// hand. Not a finding by itself: a check that could be run with a missing application
    /// permission adds a warning saying so.
    NotChecked,
    /// Not relevant here (no hybrid profile, a cloud without classic Autopilot, …).
    Skipped,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub check: &'static Check,
    /// How it ended.
    pub status: Status,
    /// What was seen, in one line.
    pub summary: String,
    /// Problems found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Why it was skipped or not checked, and how to check by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CheckResult {
    /// Passed, or findings when `findings` is not empty.
    pub fn looked(check: &'static Check, summary: impl Into<String>, findings: Vec<Finding>) -> CheckResult {
        CheckResult {
            check,
            status: if findings.is_empty() {
                Status::Passed
            } else {
                Status::Findings
            },
            summary: summary.into(),
            findings,
            note: None,
        }
    }

    /// Skipped, with why.
    pub fn skipped(check: &'static Check, summary: impl Into<String>) -> CheckResult {
        CheckResult {
            check,
            status: Status::Skipped,
            summary: summary.into(),
            findings: Vec::new(),
            note: None,
        }
    }

    /// Not checked, with how to check by hand; `finding` when an application permission
    /// would have let doctor look.
    pub fn not_checked(
        check: &'static Check,
        summary: impl Into<String>,
        note: impl Into<String>,
        finding: Option<Finding>,
    ) -> CheckResult {
        CheckResult {
            check,
            status: Status::NotChecked,
            summary: summary.into(),
            findings: finding.into_iter().collect(),
            note: Some(note.into()),
        }
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> CheckResult {
        self.note = Some(note.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_capped_and_counted() {
        let finding = Finding::error("m", "f").naming((0..25).map(|i| i.to_string()));
        assert_eq!(finding.items.len(), MAX_NAMED);
        assert_eq!(finding.more, 15);
        let short = Finding::warning("m", "f").naming(["a".to_owned()]);
        assert_eq!((short.items.len(), short.more), (1, 0));
    }
}
