//! Renderers: text for terminals and logs, JSON for machines, Markdown for pull requests.

pub mod json;
pub mod markdown;
pub mod text;

/// Whether a plan is shown as a plan (what apply would do) or as drift (how the tenant differs
/// from Git).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// `hangar plan`.
    Plan,
    /// `hangar drift`.
    Drift,
}
