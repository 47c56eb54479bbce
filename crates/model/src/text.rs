//! Text that reaches a terminal or a pull-request comment: which characters are controls, and
//! how to show them without letting them act.
//!
//! A name typed into the portal, a YAML value written with `"\e[2J"`, or a file that is not
//! text can carry characters that move the cursor, clear the screen, rewrite a line, hide a
//! link, or reorder what a reviewer reads (bidirectional overrides, "Trojan Source"). hangar
//! refuses them in its own configuration (`validate`'s `text/control-character` rule) and
//! escapes them everywhere else before printing.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is a character that must never reach a renderer as itself: C0 controls other
/// than tab, line feed and carriage return; DEL; C1 controls; line and paragraph separators;
/// and the invisible bidirectional formatting characters (marks, embeddings, overrides,
/// isolates).
pub fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{c}'
        | '\u{e}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is a line break or a tab: allowed in multi-line text (descriptions, messages),
/// not in names and tags.
pub fn is_layout(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
}

/// The first character of `text` that [`is_control`], or, when `single_line`, that is a line
/// break or tab.
pub fn first_control(text: &str, single_line: bool) -> Option<char> {
    text.chars()
        .find(|&c| is_control(c) || (single_line && is_layout(c)))
}

/// How a character is named in a message: `U+001B (escape)`.
pub fn describe(c: char) -> String {
    let name = match c {
        '\u{0}' => "NUL",
        '\t' => "a tab",
        '\n' | '\r' => "a line break",
        '\u{1b}' => "escape",
        '\u{7f}' => "delete",
        '\u{80}'..='\u{9f}' => "a C1 control",
        '\u{2028}' | '\u{2029}' => "a line separator",
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            "a bidirectional formatting character"
        }
        _ => "a control character",
    };
    format!("U+{:04X} ({name})", u32::from(c))
}

/// `text` with every [`is_control`] character written as a visible `\u{…}` escape, and tabs and
/// line breaks as `\t`, `\n`, `\r` unless `keep_layout`. Borrowed when there is nothing to
/// escape.
pub fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let needs = |c: char| is_control(c) || (!keep_layout && is_layout(c));
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' if !keep_layout => out.push_str("\\t"),
            '\n' if !keep_layout => out.push_str("\\n"),
            '\r' if !keep_layout => out.push_str("\\r"),
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A one-line form of a value from the tenant or a file, for text that people read:
/// [`escape`]d, and cut to `max_chars` characters with `…`.
pub fn for_display(text: &str, max_chars: usize) -> Cow<'_, str> {
    let escaped = escape(text, false);
    if escaped.chars().count() <= max_chars {
        return escaped;
    }
    let mut cut: String = escaped.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    Cow::Owned(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(escape("Sales-EU é", false), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}[2Jb", false), "a\\u{1b}[2Jb");
        assert_eq!(escape("a\nb\tc", false), "a\\nb\\tc");
        assert_eq!(escape("a\nb", true), "a\nb");
        assert_eq!(escape("x\u{202e}y\u{0}", true), "x\\u{202e}y\\u{0}");
        assert_eq!(escape("\u{85}", true), "\\u{85}");
    }

    #[test]
    fn detection_and_names() {
        assert_eq!(first_control("ok name", true), None);
        assert_eq!(first_control("two\nlines", false), None);
        assert_eq!(first_control("two\nlines", true), Some('\n'));
        assert_eq!(first_control("a\u{2066}b", false), Some('\u{2066}'));
        assert!(describe('\u{1b}').contains("escape"));
        assert!(describe('\u{202e}').contains("bidirectional"));
        assert!(!is_control('é') && !is_control('\u{a0}') && !is_control('€'));
    }

    #[test]
    fn display_form_is_cut() {
        assert_eq!(for_display("abcdef", 4), "abc…");
        assert_eq!(for_display("ab", 4), "ab");
        assert_eq!(for_display("a\u{1b}", 40), "a\\u{1b}");
    }
}
