//! The one error type of this crate, and the warnings a valid rule can still earn.

/// Why a rule text was refused, and where.
///
/// `offset` and `len` are byte positions in the text given to [`parse`](crate::parse), so a
/// caller that knows where that text starts in a file can render `file:line:col`;
/// [`RuleError::line_column`] does the in-rule part. `message` is lowercase and says what to do;
/// `help` adds a suggested fix when there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    /// Byte offset of the offending text in the rule.
    pub offset: usize,
    /// Length in bytes of the offending text (0 at the end of the rule).
    pub len: usize,
    /// What is wrong and what to do, lowercase, identifiers in backticks.
    pub message: String,
    /// A suggested fix, such as the property name the author probably meant.
    pub help: Option<String>,
}

impl RuleError {
    pub(crate) fn new(offset: usize, len: usize, message: impl Into<String>) -> Self {
        RuleError {
            offset,
            len,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// One-based line and column (in characters) of [`offset`](Self::offset) within `text`,
    /// which must be the text that was parsed. Rules pasted from YAML block scalars can span
    /// several lines.
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        line_column(text, self.offset)
    }
}

/// A valid rule that probably does not do what its author wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleWarning {
    /// A stable identifier for the finding, such as `ztdid-casing`.
    pub code: &'static str,
    /// Byte offset, in the text given to [`parse`](crate::parse), of the literal concerned.
    pub offset: usize,
    /// Length in bytes of that literal, quotes included.
    pub len: usize,
    /// What the risk is and what to do, lowercase.
    pub message: String,
}

pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_and_lines() {
        let text = "a\nbé c";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (2, 1));
        // `c` is at byte 6 (é is two bytes) but column 4.
        assert_eq!(line_column(text, 6), (2, 4));
        assert_eq!(line_column(text, 99), (2, 5));
    }
}
