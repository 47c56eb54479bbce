//! [`Snippet`]: the few source lines a diagnostic shows, made safe to print.
//!
//! A configuration is input from whoever can open a pull request, and `validate` runs in CI
//! where its output is public. So the window of source text a diagnostic shows is:
//!
//! - **narrow**: each line is cut to [`MAX_COLUMNS`] characters around what the diagnostic
//!   points at (`…` marks a cut). A devices CSV row is mostly a 4 KB hardware hash; a line can
//!   be 250 MB; and the renderer (miette) panics past column 65,535. Only the bytes needed are
//!   read, from memory or from disk.
//! - **short**: at most [`MAX_SPREAD`] lines between the first and last span drawn; labels
//!   further away are listed by location instead.
//! - **text only**: a window with a NUL byte, invalid UTF-8 or a replacement character (a
//!   file that was not text) is not shown at all; other control characters (escape sequences,
//!   bidirectional overrides) are shown as visible symbols, never sent to the terminal.
//! - **without secrets**: every occurrence of a [`Secrets`] value is replaced by
//!   `[redacted]` (the CLI fills it with the values of secret-looking environment variables).

use std::borrow::Cow;
use std::path::Path;

use crate::span::{SourceMap, Span};

/// Characters shown per line at most (plus `…` marks).
pub const MAX_COLUMNS: usize = 100;
/// Characters kept before the point a line is cut around.
const BEFORE: usize = 32;
/// Lines between the primary span and a label for the label to be drawn in the same window.
pub const MAX_SPREAD: u32 = 6;
/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Values that must never be printed. Multi-line values count line by line; values shorter
/// than [`Secrets::MIN_LEN`] characters are ignored (they would redact ordinary words).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// The shortest value that is redacted.
    pub const MIN_LEN: usize = 6;

    /// No secrets.
    pub fn none() -> Secrets {
        Secrets::default()
    }

    /// These values (each line of each value).
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut lines: Vec<String> = values
            .into_iter()
            .flat_map(|value| {
                value
                    .lines()
                    .map(|line| line.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|line| line.chars().count() >= Secrets::MIN_LEN)
            .collect();
        // Longest first, so that a value containing another is redacted whole.
        lines.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        lines.dedup();
        Secrets { values: lines }
    }

    /// The values of the environment variables whose names look like secrets
    /// ([`Secrets::is_secret_name`]).
    pub fn from_environment() -> Secrets {
        Secrets::new(
            std::env::vars_os()
                .filter(|(name, _)| Secrets::is_secret_name(&name.to_string_lossy()))
                .filter_map(|(_, value)| value.into_string().ok()),
        )
    }

    /// Whether an environment variable's name looks like it holds a secret: it contains
    /// `SECRET`, `TOKEN`, `PASSWORD`, `PASSWD`, `PASSPHRASE`, `CREDENTIAL`, `PRIVATE_KEY`,
    /// `API_KEY`, `ACCESS_KEY` or `CONNECTION_STRING`, or starts with `AZURE_CLIENT_` or
    /// `ARM_CLIENT_` (case ignored).
    pub fn is_secret_name(name: &str) -> bool {
        let name = name.to_ascii_uppercase();
        const PARTS: [&str; 10] = [
            "SECRET",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "PASSPHRASE",
            "CREDENTIAL",
            "PRIVATE_KEY",
            "API_KEY",
            "ACCESS_KEY",
            "CONNECTION_STRING",
        ];
        PARTS.iter().any(|part| name.contains(part))
            || name.starts_with("AZURE_CLIENT_")
            || name.starts_with("ARM_CLIENT_")
    }

    /// The longest value, in bytes.
    fn longest(&self) -> usize {
        self.values.first().map_or(0, String::len)
    }

    /// Byte ranges of `text` that hold a secret (sorted, non-overlapping).
    fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for value in &self.values {
            for (at, _) in text.match_indices(value.as_str()) {
                let range = (at, at + value.len());
                if !ranges.iter().any(|r| r.0 < range.1 && range.0 < r.1) {
                    ranges.push(range);
                }
            }
        }
        ranges.sort_unstable();
        ranges
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in ranges {
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// A window of source lines ready to print, with the requested spans mapped into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The lines, each ending in `\n`, cut and made safe.
    pub text: String,
    /// 1-based number of the first line.
    pub first_line: u32,
    /// For each requested span: its `(start, length)` in `text`, or `None` when it is in
    /// another file or too far from the first span to be drawn.
    pub spans: Vec<Option<(usize, usize)>>,
}

/// Why a diagnostic has no snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSnippet {
    /// The file cannot be read any more (or the span is outside it).
    Unreadable,
    /// The lines are not text: a NUL byte, invalid UTF-8, or a replacement character.
    NotText,
}

/// One line of the window, as shown: where each kept character came from.
struct ShownLine {
    /// Byte offset in the file where the line starts.
    start: u32,
    /// `(file offset, offset in the snippet text)` of each shown character, then of the end of
    /// the kept part.
    map: Vec<(u32, usize)>,
}

impl SourceMap {
    /// The snippet for `spans` (the first is the primary one) with `context` lines before and
    /// after; see the module docs.
    pub fn snippet(&self, spans: &[Span], context: u32, secrets: &Secrets) -> Result<Snippet, NoSnippet> {
        let primary = *spans.first().ok_or(NoSnippet::Unreadable)?;
        let file = self.file(primary.file);
        let line_of = |offset: u32| file.line_col(offset).0;
        let primary_line = line_of(primary.start);
        let drawn: Vec<bool> = spans
            .iter()
            .map(|span| span.file == primary.file && line_of(span.start).abs_diff(primary_line) <= MAX_SPREAD)
            .collect();
        let lines = spans
            .iter()
            .zip(&drawn)
            .filter(|(_, drawn)| **drawn)
            .map(|(span, _)| line_of(span.start));
        let first = lines.clone().min().unwrap_or(primary_line);
        let last = lines.max().unwrap_or(primary_line);
        let first_line = first.saturating_sub(context).max(1);
        let mut last_line = last.saturating_add(context);
        while last_line > first_line && file.line_start(last_line).is_none() {
            last_line -= 1;
        }
        let anchors: Vec<u32> = spans
            .iter()
            .zip(&drawn)
            .filter(|(_, drawn)| **drawn)
            .map(|(span, _)| span.start)
            .collect();

        let mut text = String::new();
        let mut shown: Vec<ShownLine> = Vec::new();
        for number in first_line..=last_line {
            let Some(start) = file.line_start(number) else {
                break;
            };
            let next = file.line_start(number + 1);
            let end = next.or_else(|| file.text.as_ref().map(|t| t.len() as u32));
            // Cut around the first span that starts on this line, else from the line start.
            let anchor = anchors
                .iter()
                .copied()
                .filter(|&a| a >= start && end.is_none_or(|end| a < end))
                .min()
                .unwrap_or(start);
            let margin = secrets.longest() as u32;
            let from = anchor.saturating_sub((BEFORE * 4) as u32 + margin).max(start);
            let want = ((MAX_COLUMNS * 4) as u32)
                .saturating_add(margin)
                .saturating_add(anchor - from);
            let to = end.map_or(from.saturating_add(want), |end| {
                end.min(from.saturating_add(want))
            });
            let bytes: Cow<'_, [u8]> = match &file.text {
                Some(all) => Cow::Borrowed(
                    all.as_bytes()
                        .get(from as usize..to as usize)
                        .ok_or(NoSnippet::Unreadable)?,
                ),
                None => Cow::Owned(read_bytes(&file.path, from, to).ok_or(NoSnippet::Unreadable)?),
            };
            if next.is_none() && bytes.is_empty() {
                // The empty "line" after the file's last line break.
                break;
            }
            // Without a known end (the last line of a file on disk), a short read is the end.
            let cut_after = match end {
                Some(end) => to < end,
                None => bytes.len() as u32 >= to - from,
            };
            let piece = decode(&bytes, from > start, cut_after)?;
            let piece_start = from + (bytes.len() - piece.len_from_start) as u32;
            let line = show_line(
                piece.text,
                piece_start,
                anchor,
                from > start,
                cut_after,
                secrets,
                &mut text,
            );
            shown.push(ShownLine { start, map: line });
        }
        if shown.is_empty() {
            return Err(NoSnippet::Unreadable);
        }
        let window_start = shown[0].start;
        let locate = |offset: u32| -> usize {
            if offset < window_start {
                return 0;
            }
            let index = shown
                .partition_point(|line| line.start <= offset)
                .saturating_sub(1);
            let line = &shown[index];
            if index + 1 == shown.len() && line.map.last().is_some_and(|&(end, _)| offset > end) {
                // Past the end of the last shown line: the end of the snippet (minus its `\n`).
                return text.len().saturating_sub(1);
            }
            let at = line.map.partition_point(|&(from, _)| from <= offset);
            match at {
                0 => line.map.first().map_or(0, |&(_, out)| out),
                at => line.map[at - 1].1,
            }
        };
        let mapped = spans
            .iter()
            .zip(&drawn)
            .map(|(span, drawn)| {
                drawn.then(|| {
                    let start = locate(span.start);
                    let end = locate(span.end).max(start);
                    (start, end - start)
                })
            })
            .collect();
        Ok(Snippet {
            text,
            first_line,
            spans: mapped,
        })
    }
}

/// Decoded text of a cut line and how many bytes it kept, counted from the cut's start.
struct Piece<'a> {
    text: &'a str,
    /// Bytes of the input from the first kept byte to the end.
    len_from_start: usize,
}

/// The bytes of a window line as text: partial UTF-8 sequences at a cut edge are dropped, the
/// line end removed; anything else that is not text refuses the snippet.
fn decode(bytes: &[u8], cut_start: bool, cut_end: bool) -> Result<Piece<'_>, NoSnippet> {
    let mut bytes = bytes;
    if cut_start {
        let skip = bytes.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
        bytes = &bytes[skip..];
    }
    let len_from_start = bytes.len();
    if memchr::memchr(0, bytes).is_some() {
        return Err(NoSnippet::NotText);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A sequence cut by the window's end, not a broken file.
        Err(error) if cut_end && error.error_len().is_none() => {
            std::str::from_utf8(&bytes[..error.valid_up_to()]).map_err(|_| NoSnippet::NotText)?
        }
        Err(_) => return Err(NoSnippet::NotText),
    };
    if text.contains('\u{fffd}') {
        return Err(NoSnippet::NotText);
    }
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Piece { text, len_from_start })
}

/// Appends one line of the window to `out`: cut to [`MAX_COLUMNS`] characters around `anchor`,
/// secrets redacted, controls made visible, ending in `\n`. Returns where each shown character
/// came from.
#[allow(clippy::too_many_arguments)]
fn show_line(
    piece: &str,
    piece_start: u32,
    anchor: u32,
    cut_before: bool,
    cut_after: bool,
    secrets: &Secrets,
    out: &mut String,
) -> Vec<(u32, usize)> {
    let chars: Vec<(usize, char)> = piece.char_indices().collect();
    let anchor_index = chars.partition_point(|&(at, _)| piece_start + (at as u32) < anchor);
    let keep_from = anchor_index.saturating_sub(BEFORE);
    let keep_to = chars.len().min(keep_from + MAX_COLUMNS);
    let secret_ranges = secrets.ranges(piece);
    let in_secret = |at: usize| secret_ranges.iter().find(|r| r.0 <= at && at < r.1).copied();
    let mut map = Vec::with_capacity(keep_to - keep_from + 1);
    if keep_from > 0 || cut_before {
        out.push('…');
    }
    let mut index = keep_from;
    while index < keep_to {
        let (at, c) = chars[index];
        map.push((piece_start + at as u32, out.len()));
        if let Some((_, secret_end)) = in_secret(at) {
            out.push_str(REDACTED);
            while index < chars.len() && chars[index].0 < secret_end {
                index += 1;
            }
            continue;
        }
        push_visible(c, out);
        index += 1;
    }
    let end_offset = chars
        .get(index)
        .map_or(piece_start + piece.len() as u32, |&(at, _)| {
            piece_start + at as u32
        });
    map.push((end_offset, out.len()));
    if index < chars.len() || cut_after {
        out.push('…');
    }
    out.push('\n');
    map
}

/// Pushes `c`, or a visible stand-in when it is a control character: C0 controls as their
/// Unicode control pictures (`␛`), other controls as `�`. Tabs stay (the renderer expands them).
fn push_visible(c: char, out: &mut String) {
    match c {
        '\t' => out.push('\t'),
        '\u{feff}' => {}
        c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
        '\u{7f}' => out.push('\u{2421}'),
        c if hangar_model::text::is_control(c) => out.push('\u{fffd}'),
        c => out.push(c),
    }
}

/// Reads `[start, end)` of a file (at most 64 KiB).
fn read_bytes(path: &Path, start: u32, end: u32) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = crate::files::open_regular(path).ok()?;
    file.seek(SeekFrom::Start(u64::from(start))).ok()?;
    let mut bytes = Vec::new();
    file.take(u64::from(end.saturating_sub(start)).min(64 * 1024))
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::span::SourceKind;

    fn map_of(text: &str) -> (SourceMap, crate::span::FileId) {
        let mut map = SourceMap::new();
        let id = map.add_text(
            "a.yaml".into(),
            "a.yaml".into(),
            SourceKind::Yaml,
            Arc::from(text),
        );
        (map, id)
    }

    #[test]
    fn a_short_window_is_shown_as_it_is() {
        let (map, id) = map_of("a: 1\nb: 2\nc: 3\n");
        let snippet = map.snippet(&[Span::new(id, 8, 9)], 1, &Secrets::none()).unwrap();
        assert_eq!(snippet.text, "a: 1\nb: 2\nc: 3\n");
        assert_eq!(snippet.first_line, 1);
        assert_eq!(snippet.spans, [Some((8, 1))]);
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let line = format!("d: \"{}\" bad", "x".repeat(70_000));
        let (map, id) = map_of(&format!("a: 1\n{line}\n"));
        let at = 5 + line.find(" bad").unwrap() as u32 + 1;
        let snippet = map
            .snippet(&[Span::new(id, at, at + 3)], 2, &Secrets::none())
            .unwrap();
        let shown = snippet.text.lines().nth(1).unwrap();
        assert!(shown.chars().count() <= MAX_COLUMNS + 2, "{shown}");
        assert!(shown.starts_with('…') && shown.ends_with("\" bad"), "{shown}");
        let (start, len) = snippet.spans[0].unwrap();
        assert_eq!(&snippet.text[start..start + len], "bad");
    }

    #[test]
    fn binary_is_never_shown_and_controls_are_visible() {
        let (map, id) = map_of("name: a\u{0}b\n");
        assert_eq!(
            map.snippet(&[Span::point(id, 0)], 0, &Secrets::none()),
            Err(NoSnippet::NotText)
        );
        let (map, id) = map_of("name: \u{1b}[2J\u{202e}x\n");
        let snippet = map.snippet(&[Span::point(id, 6)], 0, &Secrets::none()).unwrap();
        assert_eq!(snippet.text, "name: \u{241b}[2J\u{fffd}x\n");
        let (map, id) = map_of("bad \u{fffd} byte\n");
        assert_eq!(
            map.snippet(&[Span::point(id, 0)], 0, &Secrets::none()),
            Err(NoSnippet::NotText)
        );
    }

    #[test]
    fn secrets_are_redacted_even_when_cut() {
        let secrets = Secrets::new(["s3cr3t-value-123".to_owned(), "abc".to_owned()]);
        let (map, id) = map_of("A=s3cr3t-value-123 abc\n");
        let snippet = map.snippet(&[Span::point(id, 0)], 0, &secrets).unwrap();
        assert_eq!(snippet.text, "A=[redacted] abc\n");
        // The secret straddles the cut before the anchor: none of it shows.
        let text = format!("{}s3cr3t-value-123{}X\n", "y".repeat(200), "z".repeat(30));
        let (map, id) = map_of(&text);
        let at = text.find('X').unwrap() as u32;
        let snippet = map.snippet(&[Span::point(id, at)], 0, &secrets).unwrap();
        assert!(!snippet.text.contains("value-123"), "{}", snippet.text);
        assert!(!snippet.text.contains("s3cr3t"), "{}", snippet.text);
    }

    #[test]
    fn far_labels_are_not_drawn() {
        let text: String = (0..40).map(|i| format!("line{i}: x\n")).collect();
        let (map, id) = map_of(&text);
        let near = text.find("line3:").unwrap() as u32;
        let far = text.find("line30:").unwrap() as u32;
        let primary = text.find("line1:").unwrap() as u32;
        let snippet = map
            .snippet(
                &[
                    Span::point(id, primary),
                    Span::point(id, near),
                    Span::point(id, far),
                ],
                2,
                &Secrets::none(),
            )
            .unwrap();
        assert!(snippet.spans[1].is_some() && snippet.spans[2].is_none());
        assert!(snippet.text.lines().count() <= 8, "{}", snippet.text);
    }

    #[test]
    fn a_document_wide_span_is_cut_at_the_window() {
        let text: String = (0..1000).map(|i| format!("k{i}: v\n")).collect();
        let (map, id) = map_of(&text);
        let snippet = map
            .snippet(&[Span::new(id, 0, text.len() as u32)], 2, &Secrets::none())
            .unwrap();
        assert_eq!(snippet.text.lines().count(), 3);
        let (start, len) = snippet.spans[0].unwrap();
        assert!(start + len <= snippet.text.len());
    }

    #[test]
    fn secret_names() {
        for name in [
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "GITHUB_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(Secrets::is_secret_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "PWD", "AZURE_TENANT_ID", "HANGAR_ENDPOINT"] {
            assert!(!Secrets::is_secret_name(name), "{name}");
        }
    }
}
