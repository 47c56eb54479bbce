//! [`Diagnostic`]: one problem found in the configuration, with the rule that found it and where.
//!
//! Configuration problems are values, not errors: the loader and the rules collect every one of
//! them and return them together. The CLI renders them (miette, with snippets); other crates can
//! render them too, because every span resolves through the [`SourceMap`](crate::SourceMap).

use std::fmt;

use crate::rules::Rule;
use crate::span::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The configuration must not be applied.
    Error,
    /// Probably a mistake, or against the guide's recommendations; `--strict` makes it fail.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A secondary span with a note, e.g. "first defined here".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable rule id, e.g. `profile/name-template-length`. See [`crate::rules::RULES`].
    pub rule: &'static str,
    /// Error or warning (from the rule).
    pub severity: Severity,
    /// What is wrong, lowercase, identifiers in backticks, no trailing period.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The value at fault.
    pub span: Span,
    /// Other places that explain the problem.
    pub labels: Vec<Label>,
}

impl Diagnostic {
    /// A finding of `rule` at `span`.
    pub fn new(rule: &Rule, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: rule.id,
            severity: rule.severity,
            message: message.into(),
            help: None,
            span,
            labels: Vec::new(),
        }
    }

    /// Adds the "what to do" line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Suggests the closest of `candidates` to `input` ("did you mean"), if one is close enough.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_matches_only() {
        let fields = ["deviceName", "deviceType", "description"];
        assert_eq!(did_you_mean("devicename", fields), Some("deviceName"));
        assert_eq!(did_you_mean("devceType", fields), Some("deviceType"));
        assert_eq!(did_you_mean("zzz", fields), None);
    }
}
