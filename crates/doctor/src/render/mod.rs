//! Renderers: text (people, logs), JSON (machines; versioned, `docs/doctor.md`), Markdown (a
//! pull-request or ticket comment). Pure: they return strings, the CLI prints.

pub mod json;
pub mod markdown;
pub mod text;

use crate::finding::Status;

/// A word for a status.
pub(crate) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Passed => "ok",
        Status::Findings => "findings",
        Status::NotChecked => "not checked",
        Status::Skipped => "skipped",
    }
}

/// `yes`, `no` or `?`.
pub(crate) fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "YES",
        Some(false) => "NO",
        None => "?",
    }
}
