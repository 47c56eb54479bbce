//! Devices CSVs: the Get-WindowsAutopilotInfo format, read as a stream.
//!
//! Columns (matched ignoring case, spaces, `_` and `-`): `Device Serial Number`, and
//! optionally `Windows Product ID`, `Hardware Hash`, `Group Tag`, `Assigned User` and
//! `Display Name` (hangar's own column: Get-WindowsAutopilotInfo writes none). A UTF-8 byte
//! order mark, quoting and CRLF line ends are accepted.
//!
//! A row whose `Hardware Hash` cell is empty (or a CSV without that column) is *hash-less*: it
//! manages a registration that already exists (registered by the OEM or earlier) by serial,
//! and the planner refuses it when the serial is not registered. [`write_hashless`] writes
//! such rows in the layout [`HASHLESS_HEADER`] (what `hangar import` writes).
//!
//! Hardware hashes are about 4 KB of base64 each, so a 100,000-row CSV is about 400 MB. They are
//! validated while streaming and never kept: each [`Device`] records where its hash is
//! ([`HashLocation`]) and [`read_hash`] reads one back when `apply` imports the device.
//! A CSV may be at most [`crate::Limits::max_csv_bytes`] (256 MiB by default).

pub mod merge;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::files::{self, Refused, Root};
use crate::load::display_name;
use crate::model::{AutopilotDevices, Device, DeviceListId, HashLocation};
use crate::rules;
use crate::span::{FileId, SourceKind, SourceMap, Span};
use crate::{Error, Limits};

/// At most this many diagnostics per CSV file; a garbage file should not print a million.
const MAX_DIAGNOSTICS_PER_FILE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Serial,
    ProductId,
    Hash,
    GroupTag,
    User,
    DisplayName,
}

fn column_of(header: &[u8]) -> Option<Column> {
    let normalized: String = String::from_utf8_lossy(header)
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .collect::<String>()
        .to_ascii_lowercase();
    match normalized.as_str() {
        "deviceserialnumber" | "serialnumber" | "serial" => Some(Column::Serial),
        "windowsproductid" | "productid" | "productkey" => Some(Column::ProductId),
        "hardwarehash" | "hardwareidentifier" | "hash" => Some(Column::Hash),
        "grouptag" | "orderid" => Some(Column::GroupTag),
        "assigneduser" | "assigneduserprincipalname" | "userprincipalname" => Some(Column::User),
        "displayname" | "devicedisplayname" => Some(Column::DisplayName),
        _ => None,
    }
}

/// Reads every devices CSV named by `lists`, appending devices and diagnostics. Serials must be
/// unique across all lists.
pub(crate) fn read_all(
    lists: &[AutopilotDevices],
    root: &Root,
    limits: &Limits,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Device> {
    // Register the files in order, then stream them in parallel (one CSV per core).
    let ids: Vec<FileId> = lists
        .iter()
        .map(|list| {
            sources.add_unloaded(
                list.path.clone(),
                display_name(&list.path),
                SourceKind::Csv,
                Vec::new(),
            )
        })
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, lists.len().max(1));
    let mut results: Vec<Option<FileResult>> = (0..lists.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let ids = &ids;
                scope.spawn(move || {
                    (worker..lists.len())
                        .step_by(workers)
                        .map(|index| {
                            (
                                index,
                                read_one(
                                    DeviceListId(index as u32),
                                    &lists[index],
                                    ids[index],
                                    root,
                                    limits,
                                ),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => done
                    .into_iter()
                    .for_each(|(index, result)| results[index] = Some(result)),
                // A panic here is a bug in hangar; keep its message rather than invent one.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });

    let mut devices: Vec<Device> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (result, &id) in results.into_iter().flatten().zip(&ids) {
        sources.set_line_starts(id, result.line_starts);
        diagnostics.extend(result.diagnostics);
        // Duplicates, within and across files.
        for device in result.devices {
            let key = device.serial.to_ascii_uppercase();
            if let Some(&first) = seen.get(&key) {
                let first_device = &devices[first];
                let first_location = sources.location(first_device.span);
                let tags = if first_device.group_tag == device.group_tag {
                    String::new()
                } else {
                    let tag = |tag: &Option<String>| {
                        tag.as_deref()
                            .map_or_else(|| "no tag".to_owned(), |t| format!("tag `{t}`"))
                    };
                    format!(
                        ", with different group tags ({} here, {} there): hangar cannot tell which one Intune should have",
                        tag(&device.group_tag),
                        tag(&first_device.group_tag)
                    )
                };
                diagnostics.push(
                    Diagnostic::new(
                        &rules::DEVICES_DUPLICATE_SERIAL,
                        device.span,
                        format!(
                            "serial `{}` is listed twice: row {} and {} row {}{tags}",
                            device.serial, device.row, first_location.file, first_device.row
                        ),
                    )
                    .with_label(first_device.span, "first listed here")
                    .with_help(rules::DEVICES_DUPLICATE_SERIAL.fix),
                );
                continue;
            }
            seen.insert(key, devices.len());
            devices.push(device);
        }
    }
    devices
}

/// What streaming one CSV produced.
struct FileResult {
    devices: Vec<Device>,
    diagnostics: Vec<Diagnostic>,
    line_starts: Vec<u32>,
}

fn read_one(
    list_id: DeviceListId,
    list: &AutopilotDevices,
    file_id: FileId,
    root: &Root,
    limits: &Limits,
) -> FileResult {
    let path = &list.path;
    let source_span = list.source.span;
    let mut result = FileResult {
        devices: Vec::new(),
        diagnostics: Vec::new(),
        line_starts: vec![0],
    };
    let refuse = |rule: &'static rules::Rule, message: String| {
        Diagnostic::new(rule, source_span, message).with_help(rule.fix)
    };
    let opened = match root.check(path) {
        Ok(resolved) => files::open_regular(&resolved).map_err(|error| {
            refuse(
                &rules::DEVICES_SOURCE,
                format!("cannot open `{}`: {error}", path.display()),
            )
        }),
        Err(Refused::Outside(resolved)) => Err(refuse(
            &rules::FILE_OUTSIDE,
            format!(
                "`{}` resolves to `{}`, outside the configuration directory: not read",
                list.source.value,
                resolved.display()
            ),
        )),
        Err(refused) => Err(refuse(
            &rules::DEVICES_SOURCE,
            format!("cannot open `{}`: {refused}", path.display()),
        )),
    };
    let file = match opened {
        Ok(file) => file,
        Err(diagnostic) => {
            result.diagnostics.push(diagnostic);
            return result;
        }
    };
    let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    if size > limits.max_csv_bytes {
        result.diagnostics.push(
            Diagnostic::new(
                &rules::FILE_TOO_LARGE,
                source_span,
                format!(
                    "`{}` is {} MiB; a devices CSV may be at most {} MiB",
                    path.display(),
                    size / (1024 * 1024),
                    limits.max_csv_bytes / (1024 * 1024)
                ),
            )
            .with_help(rules::FILE_TOO_LARGE.fix),
        );
        return result;
    }
    let input = LineIndex::new(RecordCap::new(file.take(limits.max_csv_bytes + 1)));
    let mut reader = CsvStream::new(input, file_id, list_id, list);
    reader.run(&mut result.devices, &mut result.diagnostics);
    if reader.rows == 0 && reader.fatal.is_none() {
        result.diagnostics.push(
            Diagnostic::new(
                &rules::DEVICES_EMPTY,
                source_span,
                format!("`{}` lists no devices", path.display()),
            )
            .with_help(rules::DEVICES_EMPTY.fix),
        );
    }
    result.line_starts = reader.reader.into_inner().starts;
    // Errors found while streaming point at records; make them point at the exact field now
    // that the stream is closed (only for the few rows that have a problem).
    refine_spans(path, &mut result.diagnostics, file_id);
    result
}

/// The longest CSV record hangar reads, in bytes. A real row is a serial, a product id, a tag,
/// a user and a ~4 KB hardware hash; a 250 MB line is not a devices CSV, and the CSV reader
/// would hold all of it in memory.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// Fails the read when a record grows past [`MAX_RECORD_BYTES`], so that memory stays bounded
/// whatever the input. A record ends at a line break outside double quotes (quotes toggle, and
/// a doubled `""` toggles twice, as RFC 4180 and the `csv` crate read them).
pub(crate) struct RecordCap<R> {
    inner: R,
    in_quotes: bool,
    record_bytes: u64,
    line: u64,
}

impl<R> RecordCap<R> {
    pub(crate) fn new(inner: R) -> Self {
        RecordCap {
            inner,
            in_quotes: false,
            record_bytes: 0,
            line: 1,
        }
    }
}

impl<R: Read> Read for RecordCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let mut from = 0;
        for at in memchr::memchr2_iter(b'"', b'\n', &buf[..read]) {
            self.record_bytes += (at - from) as u64 + 1;
            from = at + 1;
            if buf[at] == b'"' {
                self.in_quotes = !self.in_quotes;
                continue;
            }
            self.line += 1;
            if !self.in_quotes {
                self.record_bytes = 0;
            }
        }
        self.record_bytes += (read - from) as u64;
        if self.record_bytes > MAX_RECORD_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the row at line {} is longer than {} MiB (a real row is about 4 KB): this is not a devices CSV",
                    self.line,
                    MAX_RECORD_BYTES / (1024 * 1024)
                ),
            ));
        }
        Ok(read)
    }
}

/// Records where every line starts while the CSV streams through (csv's own positions are
/// off by one line after a CRLF and before blank lines), and which lines are blank.
struct LineIndex<R> {
    inner: R,
    offset: u64,
    starts: Vec<u32>,
    blank: Vec<u32>,
    last: u8,
}

impl<R> LineIndex<R> {
    fn new(inner: R) -> Self {
        LineIndex {
            inner,
            offset: 0,
            starts: vec![0],
            blank: Vec::new(),
            last: b'\n',
        }
    }

    /// The real start of a record csv says starts at `byte`: after a CRLF csv points at the
    /// `\n`, and before a blank line at the blank line.
    fn record_start(&self, byte: u64) -> u64 {
        let mut start = byte as u32;
        if self.starts.binary_search(&(start + 1)).is_ok() {
            start += 1;
        }
        while self.blank.binary_search(&start).is_ok() {
            match self.starts.binary_search(&start) {
                Ok(index) if index + 1 < self.starts.len() => start = self.starts[index + 1],
                _ => break,
            }
        }
        u64::from(start)
    }
}

impl<R: Read> Read for LineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let chunk = &buf[..read];
        for at in memchr::memchr_iter(b'\n', chunk) {
            let newline = self.offset + at as u64;
            let line_start = u64::from(self.starts.last().copied().unwrap_or(0));
            let before = if at > 0 { chunk[at - 1] } else { self.last };
            let length = newline - line_start;
            if length == 0 || (length == 1 && before == b'\r') {
                self.blank.push(line_start as u32);
            }
            self.starts.push((newline + 1) as u32);
        }
        if let Some(&last) = chunk.last() {
            self.last = last;
        }
        self.offset += read as u64;
        Ok(read)
    }
}

struct CsvStream<'a, R: Read> {
    reader: csv::Reader<LineIndex<R>>,
    file: FileId,
    list_id: DeviceListId,
    list: &'a AutopilotDevices,
    rows: u32,
    reported: usize,
    fatal: Option<()>,
}

impl<'a, R: Read> CsvStream<'a, R> {
    fn new(input: LineIndex<R>, file: FileId, list_id: DeviceListId, list: &'a AutopilotDevices) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        CsvStream {
            reader,
            file,
            list_id,
            list,
            rows: 0,
            reported: 0,
            fatal: None,
        }
    }

    fn report(&mut self, diagnostics: &mut Vec<Diagnostic>, diagnostic: Diagnostic) {
        self.reported += 1;
        if self.reported <= MAX_DIAGNOSTICS_PER_FILE {
            diagnostics.push(diagnostic);
        }
    }

    fn run(&mut self, devices: &mut Vec<Device>, diagnostics: &mut Vec<Diagnostic>) {
        let mut record = csv::ByteRecord::new();
        // Header.
        let columns = match self.reader.read_byte_record(&mut record) {
            Ok(true) => {
                if record
                    .iter()
                    .next()
                    .is_some_and(|first| first.starts_with(b"\xFF\xFE") || first.starts_with(b"\xFE\xFF"))
                {
                    self.fatal = Some(());
                    self.report(
                        diagnostics,
                        Diagnostic::new(
                            &rules::FILE_NOT_UTF8,
                            Span::point(self.file, 0),
                            "the CSV is UTF-16 (as Windows PowerShell 5.1 writes it), not UTF-8",
                        )
                        .with_help(format!(
                            "save `{}` as UTF-8; a CSV fresh from Get-WindowsAutopilotInfo is better added with `hangar devices import-csv FILE --tag TAG`, which reads UTF-16 and merges its rows into the configuration's UTF-8 devices CSV",
                            self.list.source.value
                        )),
                    );
                    return;
                }
                record.iter().map(column_of).collect::<Vec<_>>()
            }
            Ok(false) => return,
            Err(error) => {
                self.fatal = Some(());
                let diagnostic = self.csv_error(&error);
                self.report(diagnostics, diagnostic);
                return;
            }
        };
        let find = |wanted: Column| columns.iter().position(|column| *column == Some(wanted));
        let hash_at = find(Column::Hash);
        // Without a `Hardware Hash` column every row is hash-less, which is fine; a column
        // that looks like a misspelt hash column is not, since its hashes would be ignored.
        let misspelt_hash = hash_at
            .is_none()
            .then(|| record.iter().find(|header| looks_like_hash_column(header)))
            .flatten()
            .map(|header| String::from_utf8_lossy(header).trim().to_owned());
        let problem = match (find(Column::Serial), misspelt_hash) {
            (None, _) => Some("the header has no `Device Serial Number` column".to_owned()),
            (Some(_), Some(header)) => Some(format!(
                "the header has a column {}, which hangar does not know: name the hash column `Hardware Hash` (or leave the column out for hash-less rows)",
                cell(&header)
            )),
            (Some(_), None) => None,
        };
        if let Some(problem) = problem {
            self.fatal = Some(());
            self.report(
                diagnostics,
                Diagnostic::new(
                    &rules::DEVICES_MISSING_COLUMN,
                    Span::new(self.file, 0, 1),
                    problem,
                )
                .with_help(rules::DEVICES_MISSING_COLUMN.fix),
            );
            return;
        }
        let Some(serial_at) = find(Column::Serial) else {
            return;
        };
        let (product_at, tag_at, user_at, name_at) = (
            find(Column::ProductId),
            find(Column::GroupTag),
            find(Column::User),
            find(Column::DisplayName),
        );
        let width = record.len();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    let diagnostic = self.csv_error(&error);
                    self.report(diagnostics, diagnostic);
                    if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                        self.fatal = Some(());
                        break;
                    }
                    continue;
                }
            }
            let Some(position) = record.position().cloned() else {
                continue;
            };
            let record_start = self.reader.get_ref().record_start(position.byte());
            if is_blank_line(&record) {
                continue;
            }
            self.rows += 1;
            let row = self.rows;
            let start = record_start as u32;
            let record_span = Span::new(self.file, start, start + 1);
            if record.len() != width {
                self.report(
                    diagnostics,
                    Diagnostic::new(
                        &rules::DEVICES_CSV,
                        record_span,
                        format!(
                            "row {row} has {}; the header has {width}",
                            hangar_model::plural::count(record.len(), "field", "fields")
                        ),
                    )
                    .with_help(rules::DEVICES_CSV.fix),
                );
                continue;
            }
            let text = |at: Option<usize>| Some(trimmed_field(&record, at)).filter(|f| !f.is_empty());
            let Some(serial) = text(Some(serial_at)) else {
                self.report(
                    diagnostics,
                    Diagnostic::new(
                        &rules::DEVICES_MISSING_SERIAL,
                        field_marker(record_span, serial_at),
                        format!("row {row} has no serial number"),
                    )
                    .with_help(rules::DEVICES_MISSING_SERIAL.fix),
                );
                continue;
            };
            if let Err(problem) = check_serial(&serial) {
                self.report(
                    diagnostics,
                    Diagnostic::new(
                        &rules::DEVICES_INVALID_SERIAL,
                        field_marker(record_span, serial_at),
                        format!("the serial {} (row {row}) {problem}", cell(&serial)),
                    )
                    .with_help(rules::DEVICES_INVALID_SERIAL.fix),
                );
                continue;
            }
            // An empty (or blank) cell is a hash-less row; anything else must be a valid hash.
            let hash_at =
                hash_at.filter(|&at| record.get(at).is_some_and(|hash| !hash.trim_ascii().is_empty()));
            if let Some(at) = hash_at
                && let Err(problem) = check_base64(record.get(at).unwrap_or_default())
            {
                self.report(
                    diagnostics,
                    Diagnostic::new(
                        &rules::DEVICES_INVALID_HASH,
                        field_marker(record_span, at),
                        format!("the hardware hash of {} (row {row}) {problem}", cell(&serial)),
                    )
                    .with_help(rules::DEVICES_INVALID_HASH.fix),
                );
                continue;
            }
            let group_tag =
                text(tag_at).or_else(|| self.list.group_tag.as_ref().map(|tag| tag.value.clone()));
            devices.push(Device {
                list: self.list_id,
                serial,
                group_tag,
                assigned_user: text(user_at),
                product_id: text(product_at),
                display_name: text(name_at),
                hash: hash_at.map(|at| HashLocation {
                    file: self.file,
                    record_offset: record_start,
                    column: at as u32,
                }),
                row,
                span: record_span,
            });
        }
    }

    fn csv_error(&mut self, error: &csv::Error) -> Diagnostic {
        let (offset, message) = match error.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => (
                pos.as_ref().map_or(0, |pos| pos.byte()),
                format!(
                    "a row has {}; the header has {expected_len}",
                    hangar_model::plural::count(*len as usize, "field", "fields")
                ),
            ),
            csv::ErrorKind::Io(io) => (0, format!("cannot read the CSV: {io}")),
            _ => (
                error.position().map_or(0, |pos| pos.byte()),
                format!("malformed CSV: {error}"),
            ),
        };
        let offset = self.reader.get_ref().record_start(offset);
        Diagnostic::new(
            &rules::DEVICES_CSV,
            Span::new(self.file, offset as u32, offset as u32 + 1),
            message,
        )
        .with_help(rules::DEVICES_CSV.fix)
    }
}

/// A provisional span for field `column` of the record starting at `record.start`: one byte
/// at the record start, with the column index in `end` above a marker bit. [`refine_spans`]
/// turns it into the field's real byte range once the stream is closed.
fn field_marker(record: Span, column: usize) -> Span {
    Span {
        file: record.file,
        start: record.start,
        end: record.start + FIELD_MARKER + column as u32,
    }
}

const FIELD_MARKER: u32 = 1 << 30;

fn refine_spans(path: &Path, diagnostics: &mut [Diagnostic], file: FileId) {
    let mut handle = None;
    for diagnostic in diagnostics.iter_mut() {
        for span in std::iter::once(&mut diagnostic.span)
            .chain(diagnostic.labels.iter_mut().map(|label| &mut label.span))
        {
            if span.file != file || span.end < span.start + FIELD_MARKER {
                continue;
            }
            let column = (span.end - span.start - FIELD_MARKER) as usize;
            if handle.is_none() {
                handle = files::open_regular(path).ok();
            }
            let range = handle
                .as_mut()
                .and_then(|file| field_range(file, u64::from(span.start), column));
            *span = match range {
                Some((start, end)) => Span::new(file, start as u32, end.max(start + 1) as u32),
                None => Span::new(file, span.start, span.start + 1),
            };
        }
    }
}

/// The byte range of field `column` of the record that starts at `offset` (quotes excluded).
fn field_range(file: &mut std::fs::File, offset: u64, column: usize) -> Option<(u64, u64)> {
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut bytes = Vec::new();
    file.take(1 << 20).read_to_end(&mut bytes).ok()?;
    let mut field = 0;
    let mut index = 0;
    while index <= bytes.len() {
        let quoted = bytes.get(index) == Some(&b'"');
        let start = if quoted { index + 1 } else { index };
        let mut end = start;
        if quoted {
            while end < bytes.len() {
                if bytes[end] == b'"' {
                    if bytes.get(end + 1) == Some(&b'"') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
        } else {
            while end < bytes.len() && !matches!(bytes[end], b',' | b'\r' | b'\n') {
                end += 1;
            }
        }
        if field == column {
            return Some((offset + start as u64, offset + end as u64));
        }
        index = if quoted { end + 1 } else { end };
        match bytes.get(index) {
            Some(b',') => index += 1,
            _ => return None,
        }
        field += 1;
    }
    None
}

/// A blank line in a CSV: one field of whitespace. Exports end with one, and people leave them
/// between pasted blocks; they are not rows.
fn is_blank_line(record: &csv::ByteRecord) -> bool {
    record.len() == 1
        && record
            .get(0)
            .is_some_and(|field| field.iter().all(u8::is_ascii_whitespace))
}

/// A header hangar does not know that names a hash (`Hash Code`, `HW Hash`): its hashes would
/// be ignored and every row read as hash-less, so it is refused instead.
fn looks_like_hash_column(header: &[u8]) -> bool {
    column_of(header).is_none()
        && String::from_utf8_lossy(header)
            .to_ascii_lowercase()
            .contains("hash")
}

/// The header [`write_hashless`] writes: Microsoft's five import columns, then `Display Name`.
/// `hangar devices import-csv` can later add hashes to such a file (rows are matched by serial).
pub const HASHLESS_HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Display Name";

/// One hash-less row: a registration managed by serial (what `hangar import` writes for each
/// registered device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashlessRow<'a> {
    /// `serialNumber` (written trimmed; it must pass [`check_serial`] to validate).
    pub serial: &'a str,
    /// `groupTag`; `None` or empty writes an empty cell (the document's `groupTag:`, if any,
    /// then applies, so write the tag whenever the registration has one).
    pub group_tag: Option<&'a str>,
    /// `userPrincipalName`; an empty cell leaves the live assignment alone.
    pub assigned_user: Option<&'a str>,
    /// `displayName`; an empty cell leaves the live name alone.
    pub display_name: Option<&'a str>,
}

/// Writes a devices CSV of hash-less rows: [`HASHLESS_HEADER`], then one row per device in the
/// order given (sort by serial for byte-identical output), CRLF line ends, fields quoted only
/// when they need it, every value trimmed. Planned against the tenant it was read from, such a
/// CSV changes nothing: each row's tag, user and name are the registration's.
pub fn write_hashless<'a, W: std::io::Write>(
    out: W,
    rows: impl IntoIterator<Item = HashlessRow<'a>>,
) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    let header: Vec<&str> = HASHLESS_HEADER.split(',').collect();
    writer.write_record(&header)?;
    for row in rows {
        let cell = |value: Option<&str>| value.unwrap_or_default().trim().to_owned();
        writer.write_record([
            row.serial.trim().to_owned(),
            String::new(),
            String::new(),
            cell(row.group_tag),
            cell(row.assigned_user),
            cell(row.display_name),
        ])?;
    }
    writer.flush()
}

/// The trimmed text of a record's field; empty when the column is absent or the row is short.
fn trimmed_field(record: &csv::ByteRecord, column: Option<usize>) -> String {
    column
        .and_then(|c| record.get(c))
        .map(|field| String::from_utf8_lossy(field).trim().to_owned())
        .unwrap_or_default()
}

/// Most characters of a CSV cell a diagnostic quotes: a serial is about 10, and a cell far
/// longer is a hash or a whole row pasted in the wrong place, which must not flood the terminal
/// (or a CI log) with device hashes.
const CELL_SHOWN: usize = 40;

/// A CSV cell as a diagnostic quotes it: in backticks, controls escaped, cut after
/// [`CELL_SHOWN`] characters with its length (the message names the row, so the rest is found).
pub(crate) fn cell(text: &str) -> String {
    let length = text.chars().count();
    if length <= CELL_SHOWN {
        return format!("`{}`", text.escape_debug());
    }
    let shown: String = text.chars().take(CELL_SHOWN).collect();
    format!("`{}…` ({length} characters)", shown.escape_debug())
}

/// Checks a (trimmed) serial number: printable ASCII letters, digits and `-` `_` `.` `/` `:`.
/// Serials are printed on devices and read from firmware; anything else is damage from copying
/// (a non-breaking space, a tab, a quote, a second serial in the same cell). Spaces are allowed
/// only in the form hypervisors use, `Vendor-xx xx xx…-xx xx…` with hex pairs (VMware, Parallels).
pub fn check_serial(serial: &str) -> Result<(), String> {
    if let Some(bad) = serial.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) {
        let what = match bad {
            '\t' => "a tab".to_owned(),
            '\r' | '\n' => "a line break".to_owned(),
            '\u{a0}' => "a non-breaking space (U+00A0)".to_owned(),
            c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
            c => format!("the non-ASCII character `{c}` (U+{:04X})", u32::from(c)),
        };
        return Err(format!("has {what}"));
    }
    if serial.contains(' ') && !is_virtual_machine_serial(serial) {
        return Err(
            "has a space: hardware serials have none (only virtual machines write serials like `VMware-56 4d …`)"
                .to_owned(),
        );
    }
    if let Some(bad) = serial
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | ' ')))
    {
        return Err(format!(
            "has the character `{bad}`, which serial numbers do not use"
        ));
    }
    Ok(())
}

/// `VMware-56 4d 1c 26 3b 9a 0f 2d-8c 7e 11 21 3c 6d 5a 4f` and the like: a vendor word, a dash,
/// then hex pairs separated by single spaces or dashes.
fn is_virtual_machine_serial(serial: &str) -> bool {
    let Some((vendor, rest)) = serial.split_once('-') else {
        return false;
    };
    !vendor.is_empty()
        && vendor.chars().all(|c| c.is_ascii_alphabetic())
        && !rest.is_empty()
        && rest
            .split([' ', '-'])
            .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Checks that `hash` is non-empty standard base64 without decoding it (hashes are large and
/// there are many).
pub(crate) fn check_base64(hash: &[u8]) -> Result<(), &'static str> {
    let hash = hash.trim_ascii();
    if hash.is_empty() {
        return Err("is empty");
    }
    if !hash.len().is_multiple_of(4) {
        return Err("is not valid base64 (its length is not a multiple of 4)");
    }
    let body = hash
        .strip_suffix(b"==")
        .or_else(|| hash.strip_suffix(b"="))
        .unwrap_or(hash);
    // Branch-free per 64-byte block so the compiler can vectorise it: hashes are most of the
    // bytes hangar reads.
    let invalid = body
        .chunks(64)
        .any(|block| block.iter().fold(false, |bad, &byte| bad | !is_base64(byte)));
    if invalid {
        Err("is not valid base64 (it has characters outside A–Z, a–z, 0–9, `+`, `/`)")
    } else {
        Ok(())
    }
}

fn is_base64(byte: u8) -> bool {
    (byte.wrapping_sub(b'A') < 26)
        | (byte.wrapping_sub(b'a') < 26)
        | (byte.wrapping_sub(b'0') < 10)
        | (byte == b'+')
        | (byte == b'/')
}

/// Reads the hardware hash of one device back from its CSV (base64, as Graph's
/// `hardwareIdentifier` takes it). A hash-less row has none: that is an error.
pub fn read_hash(device: &Device, path: &Path) -> Result<String, Error> {
    let fail = |source| Error::ReadHash {
        path: path.to_owned(),
        serial: device.serial.clone(),
        source,
    };
    let Some(hash) = device.hash else {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("row {} has no hardware hash (a hash-less row)", device.row),
        )));
    };
    let mut file = files::open_regular(path).map_err(fail)?;
    read_hash_at(
        &mut file,
        path,
        &device.serial,
        device.row,
        hash.record_offset,
        hash.column,
        false,
    )
}

/// Reads hashes back from their CSVs for an import, one open file per CSV, and checks each row
/// is still the row that was validated: it lists the device's serial and its hash is valid
/// base64. A CSV edited since the plan was made is refused row by row, never imported blindly.
#[derive(Debug, Default)]
pub struct HashReader {
    files: HashMap<std::path::PathBuf, std::fs::File>,
}

impl HashReader {
    /// A reader with no file open yet.
    pub fn new() -> HashReader {
        HashReader::default()
    }

    /// The hash of `serial`, data row `row` of `path`, whose record starts at `record_offset`
    /// with the hash in column `column`.
    pub fn read(
        &mut self,
        path: &Path,
        serial: &str,
        row: u32,
        record_offset: u64,
        column: u32,
    ) -> Result<String, Error> {
        let file = match self.files.entry(path.to_owned()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let file = files::open_regular(path).map_err(|source| Error::ReadHash {
                    path: path.to_owned(),
                    serial: serial.to_owned(),
                    source,
                })?;
                entry.insert(file)
            }
        };
        read_hash_at(file, path, serial, row, record_offset, column, true)
    }
}

fn read_hash_at(
    file: &mut std::fs::File,
    path: &Path,
    serial: &str,
    row: u32,
    record_offset: u64,
    column: u32,
    verify: bool,
) -> Result<String, Error> {
    let fail = |source| Error::ReadHash {
        path: path.to_owned(),
        serial: serial.to_owned(),
        source,
    };
    let changed = |what: String| {
        fail(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("row {row} {what}: the CSV changed since it was validated; run `hangar plan` again"),
        ))
    };
    file.seek(SeekFrom::Start(record_offset)).map_err(fail)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Read::by_ref(file).take(1 << 20));
    let mut record = csv::ByteRecord::new();
    let found = reader
        .read_byte_record(&mut record)
        .map_err(|error| fail(std::io::Error::other(error)))?;
    let Some(field) = record.get(column as usize).filter(|_| found) else {
        return Err(changed("is gone or shorter".to_owned()));
    };
    if verify {
        if !record
            .iter()
            .any(|f| String::from_utf8_lossy(f).trim() == serial.trim())
        {
            return Err(changed(format!("no longer lists serial `{serial}`")));
        }
        if let Err(problem) = check_base64(field) {
            return Err(changed(format!("has a hardware hash that {problem}")));
        }
    }
    Ok(String::from_utf8_lossy(field).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_in_diagnostics() {
        assert_eq!(cell("5CG1234XYZ"), "`5CG1234XYZ`");
        assert_eq!(cell("a\tb"), "`a\\tb`");
        let hash = "T0FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB".repeat(90);
        let shown = cell(&hash);
        assert!(
            shown.ends_with(&format!("…` ({} characters)", hash.len())),
            "{shown}"
        );
        assert!(shown.chars().count() < 80, "{shown}");
        assert_eq!(
            cell(&"é".repeat(41)).chars().count(),
            "`…` (41 characters)".chars().count() + 40
        );
    }

    #[test]
    fn base64_check() {
        assert!(check_base64(b"QUJD").is_ok());
        assert!(check_base64(b"QUI=").is_ok());
        assert!(check_base64(b" QQ== ").is_ok());
        assert!(check_base64(b"").is_err());
        assert!(check_base64(b"QUJ").is_err());
        assert!(check_base64(b"QU!D").is_err());
        assert!(check_base64(b"Q===").is_err());
    }

    #[test]
    fn serial_check() {
        for good in [
            "5CG1234ABC",
            "PF-2AB_3.4/5:6",
            "0000-0007-7128-6447-4512-7366-90",
            "VMware-56 4d 1c 26 3b 9a 0f 2d-8c 7e 11 21 3c 6d 5a 4f",
            "Parallels-6E 8C 3F 0D",
        ] {
            assert!(check_serial(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("5CG 1234", "space"),
            ("5CG\t1234", "tab"),
            ("5CG\u{a0}1", "non-breaking"),
            ("5CG1\"", "character `\"`"),
            ("5CGé", "non-ASCII"),
            ("To be filled by O.E.M.", "space"),
            ("VMware-5 4d", "space"),
            ("5CG1;5CG2", "character `;`"),
        ] {
            let problem = check_serial(bad).unwrap_err();
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }

    #[test]
    fn hash_reader_checks_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(
            &path,
            "Device Serial Number,Hardware Hash\r\nA1,QUJD\r\nB2,QUJDRA==\r\n",
        )
        .unwrap();
        let mut reader = HashReader::new();
        assert_eq!(reader.read(&path, "A1", 1, 36, 1).unwrap(), "QUJD");
        assert_eq!(reader.read(&path, "B2", 2, 45, 1).unwrap(), "QUJDRA==");
        let moved = reader.read(&path, "B2", 2, 36, 1).unwrap_err().to_string();
        assert!(moved.contains("B2"), "{moved}");
        std::fs::write(&path, "Device Serial Number,Hardware Hash\r\nA1,QU!D\r\n").unwrap();
        let mut reader = HashReader::new();
        let error = reader.read(&path, "A1", 1, 36, 1).unwrap_err();
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains("base64"),
            "{error}"
        );
    }

    #[test]
    fn header_variants() {
        assert_eq!(
            column_of(b"\xEF\xBB\xBFDevice Serial Number"),
            Some(Column::Serial)
        );
        assert_eq!(column_of(b"device_serial_number"), Some(Column::Serial));
        assert_eq!(column_of(b"Hardware Hash"), Some(Column::Hash));
        assert_eq!(column_of(b"Group Tag"), Some(Column::GroupTag));
        assert_eq!(column_of(b"Assigned User"), Some(Column::User));
        assert_eq!(column_of(b"Windows Product ID"), Some(Column::ProductId));
        assert_eq!(column_of(b"Other"), None);
    }
}
