//! Where every value came from: [`Span`], [`Spanned`], and the [`SourceMap`] that turns a span
//! into `file:line:col` and a snippet.
//!
//! A span is a file id and a byte range. Byte ranges (not line/column pairs) are what the loader
//! records, because they are cheap to store for 100,000 CSV rows and because miette and every
//! other renderer wants offsets. Lines and columns are computed on demand from the file's line
//! index.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Identifies one file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file. `start == end` marks a position (for example "this
/// document", when a field is absent and its default applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from a file and a byte range.
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// A zero-length span at `offset`.
    pub fn point(file: FileId, offset: u32) -> Span {
        Span {
            file,
            start: offset,
            end: offset,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A value with the span it was read from.
///
/// For a value that was absent from the YAML and took its default, the span is the position of
/// the document's `kind:` value, so a diagnostic about it still points at the right document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }

    /// Maps the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            span: self.span,
        }
    }

    /// A reference to the value with the same span.
    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned {
            value: &self.value,
            span: self.span,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// What a source file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A YAML file of hangar documents.
    Yaml,
    /// A devices CSV (Get-WindowsAutopilotInfo format).
    Csv,
}

/// One file the loader read (or tried to read).
#[derive(Clone)]
pub struct SourceFile {
    /// The path as hangar opened it.
    pub path: PathBuf,
    /// The path shown to people: relative to the working directory when possible.
    pub name: String,
    /// What the file holds.
    pub kind: SourceKind,
    /// The text, for YAML files that were read. CSV files are not kept in memory (a real devices
    /// CSV is mostly hardware hashes and can be hundreds of megabytes); their snippets are read
    /// back from disk with [`SourceMap::excerpt`].
    pub text: Option<Arc<str>>,
    /// Byte offset of the start of every line (the first is 0).
    line_starts: Vec<u32>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("bytes", &self.text.as_ref().map(|text| text.len()))
            .field("lines", &self.line_starts.len())
            .finish()
    }
}

impl SourceFile {
    /// Line (1-based) and column (1-based, in characters when the text is known, else bytes) of
    /// a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = match &self.text {
            Some(text) => {
                let start = line_start as usize;
                let end = (offset as usize).min(text.len());
                text.get(start..end)
                    .map_or(end.saturating_sub(start), |slice| slice.chars().count())
            }
            None => offset.saturating_sub(line_start) as usize,
        };
        (line_index as u32 + 1, column as u32 + 1)
    }

    /// Byte offset where a 1-based line starts, if the file has that line.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.line_starts.get(line.checked_sub(1)? as usize).copied()
    }
}

/// Computes the start offset of every line of `text`.
pub(crate) fn line_starts(text: &[u8]) -> Vec<u32> {
    let mut starts = vec![0];
    starts.extend(
        text.iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .map(|(index, _)| index as u32 + 1),
    );
    starts
}

/// A window of a source file around a span, for rendering a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The text of the window (whole lines).
    pub text: String,
    /// Byte offset of the window in the file.
    pub offset: u32,
    /// 1-based line number of the window's first line.
    pub first_line: u32,
}

/// Every file the loader read, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// A resolved position: what people and JSON output see.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file's display name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Registers a file whose text is known (YAML).
    pub fn add_text(&mut self, path: PathBuf, name: String, kind: SourceKind, text: Arc<str>) -> FileId {
        let line_starts = line_starts(text.as_bytes());
        self.push(SourceFile {
            path,
            name,
            kind,
            text: Some(text),
            line_starts,
        })
    }

    /// Registers a file whose text is not kept (CSV, or a file that could not be read), with
    /// its line index if known.
    pub fn add_unloaded(
        &mut self,
        path: PathBuf,
        name: String,
        kind: SourceKind,
        line_starts: Vec<u32>,
    ) -> FileId {
        let line_starts = if line_starts.is_empty() {
            vec![0]
        } else {
            line_starts
        };
        self.push(SourceFile {
            path,
            name,
            kind,
            text: None,
            line_starts,
        })
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(file);
        id
    }

    /// Replaces a CSV file's line index once it has been streamed.
    pub(crate) fn set_line_starts(&mut self, file: FileId, starts: Vec<u32>) {
        if let Some(entry) = self.files.get_mut(file.0 as usize) {
            entry.line_starts = if starts.is_empty() { vec![0] } else { starts };
        }
    }

    /// A file by id.
    ///
    /// # Panics
    ///
    /// If the id is not from this map (ids are only created by this map, so that is a bug).
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Every file, in id order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }

    /// `file:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> Location {
        let file = self.file(span.file);
        let (line, column) = file.line_col(span.start);
        Location {
            file: file.name.clone(),
            line,
            column,
        }
    }

    /// The text a span covers, when the file's text is in memory.
    pub fn text(&self, span: Span) -> Option<&str> {
        self.file(span.file)
            .text
            .as_deref()?
            .get(span.start as usize..span.end as usize)
    }

    /// Whole lines around a span (`context` lines before and after), read from memory for YAML
    /// and from disk for CSV. `None` when the file cannot be read any more.
    pub fn excerpt(&self, span: Span, context: u32) -> Option<Excerpt> {
        let file = self.file(span.file);
        let (first, _) = file.line_col(span.start);
        let (last, _) = file.line_col(span.end);
        let first_line = first.saturating_sub(context).max(1);
        let last_line = last.saturating_add(context);
        let offset = file.line_start(first_line)?;
        let end = file.line_start(last_line + 1);
        let text = match &file.text {
            Some(text) => {
                let end = end.map_or(text.len(), |end| end as usize);
                text.get(offset as usize..end)?.to_owned()
            }
            None => read_range(&file.path, offset, end)?,
        };
        Some(Excerpt {
            text,
            offset,
            first_line,
        })
    }
}

/// Reads `[start, end)` of a file (to the end when `end` is `None`), capped at 64 KiB so that a
/// snippet never pulls a whole CSV into memory.
fn read_range(path: &Path, start: u32, end: Option<u32>) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    const CAP: u64 = 64 * 1024;
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(u64::from(start))).ok()?;
    let want = end.map_or(CAP, |end| u64::from(end.saturating_sub(start)).min(CAP));
    let mut bytes = Vec::new();
    file.take(want).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut map = SourceMap::new();
        let id = map.add_text(
            "a.yaml".into(),
            "a.yaml".into(),
            SourceKind::Yaml,
            "ab\nhé: x\n".into(),
        );
        assert_eq!(map.location(Span::point(id, 0)).to_string(), "a.yaml:1:1");
        assert_eq!(map.location(Span::point(id, 3)).to_string(), "a.yaml:2:1");
        // `x` is at byte 8 (é is two bytes) and character column 5.
        assert_eq!(map.location(Span::point(id, 8)).to_string(), "a.yaml:2:5");
        let excerpt = map.excerpt(Span::new(id, 8, 9), 0).unwrap();
        assert_eq!(excerpt.text, "hé: x\n");
        assert_eq!(excerpt.first_line, 2);
    }

    #[test]
    fn offsets_past_the_end_do_not_panic() {
        let mut map = SourceMap::new();
        let id = map.add_text("a".into(), "a".into(), SourceKind::Yaml, "x".into());
        assert_eq!(map.location(Span::point(id, 99)).line, 1);
        assert!(map.text(Span::new(id, 5, 9)).is_none());
    }
}
