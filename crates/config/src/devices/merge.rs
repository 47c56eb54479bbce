//! Merging a freshly collected hash CSV into a managed devices CSV (`hangar devices
//! import-csv`), without duplicating serials.
//!
//! The fresh CSV is what Get-WindowsAutopilotInfo wrote: UTF-8, or UTF-16 when Windows
//! PowerShell 5.1's `Out-File` wrote it (the managed CSV is always UTF-8, which `validate`
//! requires). Every fresh row is checked as `validate` checks rows (serial, base64 hash), and
//! its `Group Tag`, when present, must be the tag asked for. Then, per serial:
//!
//! | the managed CSV has it | result |
//! |---|---|
//! | no (and no other CSV of the configuration does) | row appended |
//! | with the same hash and tag | nothing to do |
//! | hash-less, with the same tag (and user and display name, when the new row names them) | the hash is filled in |
//! | with another hash, tag, user or display name | a problem naming both rows, unless `update`: the row is replaced in place |
//! | another CSV of the configuration has it | a problem (or nothing, with the same tag): a serial lives in one CSV |
//!
//! Any problem means nothing is written. Otherwise the managed CSV is rewritten atomically
//! through `hangar-durable` (a temporary file beside it, flushed, renamed over it; a symlinked CSV
//! is written through its link, which stays a link; a temporary file left by a killed run is
//! removed by the next): its header, column order, quoting, byte
//! order mark and line ends are kept and its other rows copied byte for byte. A `Group Tag`
//! column (or `Hardware Hash`, `Assigned User`, `Windows Product ID`, `Display Name`) is added
//! when the new rows need one the file lacks; existing rows get an empty cell, which keeps
//! their meaning. A replaced row keeps the user and display name of the old one where the new
//! row's cells are empty (an empty cell means "leave it alone" everywhere). A new managed CSV
//! gets the five columns Microsoft documents for imports, CRLF line ends and no quoting.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Column, RecordCap, check_base64, check_serial, column_of, is_blank_line, trimmed_field};
use crate::files::{self, Capped};
use crate::{Error, Limits};

/// The header of a new managed CSV: the import format Microsoft documents.
pub const HEADER: &str = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

/// At most this many problems are listed.
const MAX_PROBLEMS: usize = 30;

/// What to merge, and where.
#[derive(Debug, Clone)]
pub struct ImportCsv<'a> {
    /// The freshly collected CSV.
    pub fresh: &'a Path,
    /// The group tag of its devices.
    pub tag: &'a str,
    /// Replace rows of the managed CSV whose serial comes again with another hash, tag or user.
    pub update: bool,
    /// The managed CSV (created when missing).
    pub target: &'a Path,
    /// The `groupTag:` of the target's `AutopilotDevices` document: what an empty `Group Tag`
    /// cell means there.
    pub default_tag: Option<&'a str>,
    /// Serials of the configuration's other devices CSVs: `(serial, CSV, data row, group tag)`.
    pub elsewhere: Vec<(String, PathBuf, u32, Option<String>)>,
    /// Size limits (the fresh and the managed CSV may each be at most `max_csv_bytes`).
    pub limits: &'a Limits,
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// The managed CSV.
    pub target: PathBuf,
    /// Whether it was created.
    pub created: bool,
    /// Whether it was written at all (nothing new means nothing written).
    pub written: bool,
    /// Serials appended.
    pub added: Vec<String>,
    /// Serials whose row was replaced (`update`).
    pub updated: Vec<String>,
    /// Serials already there with the same hash and tag.
    pub unchanged: Vec<String>,
    /// Serials already in another CSV of the configuration with the same tag: `(serial, CSV)`.
    pub elsewhere: Vec<(String, PathBuf)>,
    /// Columns added to the managed CSV's header.
    pub columns_added: Vec<&'static str>,
    /// Whether the fresh CSV was UTF-16 (Windows PowerShell 5.1).
    pub fresh_was_utf16: bool,
}

/// One row of the fresh CSV.
#[derive(Debug, Clone)]
struct Row {
    row: u32,
    serial: String,
    hash: String,
    product: String,
    user: String,
    display_name: String,
}

/// One record of the managed CSV.
#[derive(Debug, Clone)]
struct Record {
    row: u32,
    start: usize,
    end: usize,
    hash: String,
    tag: String,
    user: String,
    display_name: String,
}

/// Merges `request.fresh` into `request.target` (see the module docs).
pub fn merge(request: &ImportCsv<'_>) -> Result<Merged, Error> {
    let mut problems = Vec::new();
    let fresh_name = request.fresh.display().to_string();
    let target_name = request.target.display().to_string();
    let fresh_bytes = read_limited(request.fresh, request.limits)?;
    let (fresh_text, was_utf16) = decode(fresh_bytes).map_err(|problem| Error::Merge {
        problems: vec![format!("`{fresh_name}` {problem}")],
    })?;
    let rows = read_fresh(&fresh_text, &fresh_name, request.tag, &mut problems);
    let existing = if request.target.exists() {
        read_limited(request.target, request.limits)?
    } else {
        Vec::new()
    };
    if existing.starts_with(b"\xFF\xFE") || existing.starts_with(b"\xFE\xFF") {
        problems.push(format!(
            "`{target_name}` is UTF-16; hangar keeps devices CSVs in UTF-8: save it as UTF-8 first"
        ));
    }
    let target = parse_target(&existing, &target_name, request.default_tag, &mut problems);
    if !problems.is_empty() {
        return Err(merge_error(problems));
    }

    let elsewhere: HashMap<&str, &(String, PathBuf, u32, Option<String>)> = request
        .elsewhere
        .iter()
        .map(|entry| (entry.0.trim(), entry))
        .collect();
    let mut merged = Merged {
        target: request.target.to_owned(),
        created: existing.is_empty(),
        fresh_was_utf16: was_utf16,
        ..Merged::default()
    };
    let mut replace: HashMap<usize, Row> = HashMap::new();
    let mut append: Vec<&Row> = Vec::new();
    for row in &rows {
        if let Some((_, file, other_row, other_tag)) = elsewhere.get(row.serial.as_str()) {
            if other_tag.as_deref() == Some(request.tag) {
                merged.elsewhere.push((row.serial.clone(), file.clone()));
            } else {
                problems.push(format!(
                    "`{fresh_name}` row {}: serial `{}` is already in `{}` row {other_row} with {}; a serial may be in one devices CSV only: change it there, or remove it there and import again",
                    row.row,
                    row.serial,
                    file.display(),
                    describe_tag(other_tag.as_deref())
                ));
            }
            continue;
        }
        let Some(&index) = target.by_serial.get(row.serial.as_str()) else {
            append.push(row);
            continue;
        };
        let record = &target.records[index];
        let mut differences = Vec::new();
        // A hash-less row (a registration managed by serial) gaining its hash is no conflict.
        if record.hash != row.hash && !record.hash.is_empty() {
            differences.push("another hardware hash".to_owned());
        }
        if record.tag != request.tag {
            differences.push(describe_tag(Some(record.tag.as_str()).filter(|t| !t.is_empty())));
        }
        if !row.user.is_empty() && !record.user.eq_ignore_ascii_case(&row.user) {
            differences.push(if record.user.is_empty() {
                "no assigned user".to_owned()
            } else {
                format!("assigned user `{}`", record.user)
            });
        }
        if !row.display_name.is_empty() && record.display_name != row.display_name {
            differences.push(if record.display_name.is_empty() {
                "no display name".to_owned()
            } else {
                format!("display name `{}`", record.display_name)
            });
        }
        // The new row, with the old row's user and name where its own cells are empty.
        let kept = || Row {
            user: if row.user.is_empty() {
                record.user.clone()
            } else {
                row.user.clone()
            },
            display_name: if row.display_name.is_empty() {
                record.display_name.clone()
            } else {
                row.display_name.clone()
            },
            ..row.clone()
        };
        if differences.is_empty() && record.hash.is_empty() {
            replace.insert(index, kept());
            merged.updated.push(row.serial.clone());
        } else if differences.is_empty() {
            merged.unchanged.push(row.serial.clone());
        } else if request.update {
            replace.insert(index, kept());
            merged.updated.push(row.serial.clone());
        } else {
            problems.push(format!(
                "`{fresh_name}` row {}: serial `{}` is already in `{target_name}` row {} with {}; pass `--update` to replace that row with the new one",
                row.row,
                row.serial,
                record.row,
                differences.join(" and ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(merge_error(problems));
    }
    merged.added = append.iter().map(|row| row.serial.clone()).collect();
    if append.is_empty() && replace.is_empty() {
        return Ok(merged);
    }

    // Columns the new rows need that the file lacks (a new file has them all).
    let mut layout = if existing.is_empty() {
        HEADER.split(',').map(|h| column_of(h.as_bytes())).collect()
    } else {
        target.columns.clone()
    };
    let tag_needed = layout.iter().all(|c| *c != Some(Column::GroupTag))
        && request.default_tag != Some(request.tag)
        && !request.tag.is_empty();
    let user_needed =
        layout.iter().all(|c| *c != Some(Column::User)) && rows.iter().any(|row| !row.user.is_empty());
    let product_needed = layout.iter().all(|c| *c != Some(Column::ProductId))
        && rows.iter().any(|row| !row.product.is_empty());
    // A CSV of hash-less rows may have no hash column; the new rows have hashes.
    let hash_needed = layout.iter().all(|c| *c != Some(Column::Hash));
    let name_needed = layout.iter().all(|c| *c != Some(Column::DisplayName))
        && rows.iter().any(|row| !row.display_name.is_empty());
    for (needed, column, name) in [
        (product_needed, Column::ProductId, "Windows Product ID"),
        (hash_needed, Column::Hash, "Hardware Hash"),
        (tag_needed, Column::GroupTag, "Group Tag"),
        (user_needed, Column::User, "Assigned User"),
        (name_needed, Column::DisplayName, "Display Name"),
    ] {
        if needed {
            layout.push(Some(column));
            merged.columns_added.push(name);
        }
    }
    let added_columns = merged.columns_added.clone();
    let style = Style {
        quoted: target.quoted,
        newline: target.newline,
    };

    // Streamed into the temporary file: the managed CSV can be hundreds of megabytes.
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        if existing.is_empty() {
            out.write_all(HEADER.as_bytes())?;
            out.write_all(style.newline)?;
        } else {
            let (header, ending) = split_line_end(&existing[..target.header_end]);
            let mut line = header.to_vec();
            for name in &added_columns {
                line.push(b',');
                style.field(&mut line, name);
            }
            line.extend_from_slice(if ending.is_empty() { style.newline } else { ending });
            out.write_all(&line)?;
            for (index, record) in target.records.iter().enumerate() {
                let slice = &existing[record.start..record.end];
                let (body, ending) = split_line_end(slice);
                let mut line = Vec::with_capacity(body.len() + 16);
                match replace.get(&index) {
                    Some(row) => style.row(&mut line, &layout, row, request.tag),
                    None => {
                        line.extend_from_slice(body);
                        for _ in &added_columns {
                            line.push(b',');
                            style.field(&mut line, "");
                        }
                    }
                }
                // Keep the record's own line end (and any blank lines after it); the last
                // record of a file without a final newline gets one when rows follow.
                if ending.is_empty() {
                    if index + 1 < target.records.len() || !append.is_empty() {
                        line.extend_from_slice(style.newline);
                    }
                } else {
                    line.extend_from_slice(ending);
                }
                out.write_all(&line)?;
            }
        }
        for row in &append {
            let mut line = Vec::with_capacity(4_200);
            style.row(&mut line, &layout, row, request.tag);
            line.extend_from_slice(style.newline);
            out.write_all(&line)?;
        }
        Ok(())
    };
    hangar_durable::write_with(request.target, write).map_err(|error| Error::WriteCsv {
        path: request.target.to_owned(),
        source: error.source,
    })?;
    merged.written = true;
    Ok(merged)
}

fn describe_tag(tag: Option<&str>) -> String {
    match tag {
        Some(tag) => format!("group tag `{tag}`"),
        None => "no group tag".to_owned(),
    }
}

fn merge_error(mut problems: Vec<String>) -> Error {
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("… and {more} more"));
    }
    Error::Merge { problems }
}

/// Reads a CSV for a merge: a regular file (never a FIFO, a device or a `/proc` file) of at
/// most `max_csv_bytes`, checked before reading and while reading.
fn read_limited(path: &Path, limits: &Limits) -> Result<Vec<u8>, Error> {
    match files::read_capped(path, limits.max_csv_bytes) {
        Ok(Capped::Bytes(bytes)) => Ok(bytes),
        Ok(Capped::TooLarge(size)) => Err(Error::Merge {
            problems: vec![format!(
                "`{}` is {} MiB; a devices CSV may be at most {} MiB: split it",
                path.display(),
                size / (1024 * 1024),
                limits.max_csv_bytes / (1024 * 1024)
            )],
        }),
        Err(source) => Err(Error::Root {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The CSV as text: UTF-8 (a BOM dropped) or UTF-16 with a BOM. Returns whether it was UTF-16.
fn decode(bytes: Vec<u8>) -> Result<(String, bool), String> {
    let utf16 = |bytes: &[u8], little: bool| -> Result<String, String> {
        if !bytes.len().is_multiple_of(2) {
            return Err("is UTF-16 with an odd number of bytes (cut short?)".to_owned());
        }
        let units = bytes.chunks_exact(2).map(|pair| {
            if little {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| "is UTF-16 with an invalid character".to_owned())
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true).map(|text| (text, true));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false).map(|text| (text, true));
    }
    // UTF-8 is decoded in place: a devices CSV can be hundreds of megabytes.
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map(|text| (text, false)).map_err(|e| {
        format!(
            "is neither UTF-8 nor UTF-16 (invalid byte at {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads and checks the fresh CSV's rows; problems name the file and row.
fn read_fresh(text: &str, name: &str, tag: &str, problems: &mut Vec<String>) -> Vec<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(RecordCap::new(text.as_bytes()));
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            problems.push(format!("`{name}` is not a readable CSV: {error}"));
            return Vec::new();
        }
        None => {
            problems.push(format!("`{name}` is empty: it lists no devices"));
            return Vec::new();
        }
    };
    let columns: Vec<Option<Column>> = header.iter().map(column_of).collect();
    let find = |wanted: Column| columns.iter().position(|c| *c == Some(wanted));
    let (Some(serial_at), Some(hash_at)) = (find(Column::Serial), find(Column::Hash)) else {
        problems.push(format!(
            "`{name}` has no `Device Serial Number` and `Hardware Hash` columns in its header: use the CSV Get-WindowsAutopilotInfo writes"
        ));
        return Vec::new();
    };
    let (product_at, tag_at, user_at, name_at) = (
        find(Column::ProductId),
        find(Column::GroupTag),
        find(Column::User),
        find(Column::DisplayName),
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut number = 0u32;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(format!("`{name}` row {}: malformed CSV: {error}", number + 1));
                // A read error (a row past the size cap) ends the file; a malformed row does not.
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        };
        if is_blank_line(&record) {
            continue;
        }
        number += 1;
        let at = |column: Option<usize>| trimmed_field(&record, column);
        if record.len() != header.len() {
            problems.push(format!(
                "`{name}` row {number} has {}; the header has {}",
                hangar_model::plural::count(record.len(), "field", "fields"),
                header.len()
            ));
            continue;
        }
        let serial = at(Some(serial_at));
        if serial.is_empty() {
            problems.push(format!("`{name}` row {number} has no serial number"));
            continue;
        }
        if let Err(problem) = check_serial(&serial) {
            problems.push(format!(
                "`{name}` row {number}: the serial {} {problem}",
                super::cell(&serial)
            ));
            continue;
        }
        let hash = at(Some(hash_at));
        if let Err(problem) = check_base64(hash.as_bytes()) {
            problems.push(format!(
                "`{name}` row {number}: the hardware hash of {} {problem}; collect it again with Get-WindowsAutopilotInfo",
                super::cell(&serial)
            ));
            continue;
        }
        let row_tag = at(tag_at);
        if !row_tag.is_empty() && row_tag != tag {
            problems.push(format!(
                "`{name}` row {number}: `{serial}` was collected with group tag `{row_tag}`, not `{tag}`: pass `--tag {row_tag}`, or collect it again"
            ));
            continue;
        }
        let row = Row {
            row: number,
            serial: serial.clone(),
            hash,
            product: at(product_at),
            user: at(user_at),
            display_name: at(name_at),
        };
        match seen.get(&serial.to_ascii_uppercase()) {
            Some(&first) if rows[first].hash == row.hash => {}
            Some(&first) => problems.push(format!(
                "`{name}` rows {} and {number} both list `{serial}`, with different hashes: keep the right one",
                rows[first].row
            )),
            None => {
                seen.insert(serial.to_ascii_uppercase(), rows.len());
                rows.push(row);
            }
        }
    }
    if number == 0 {
        problems.push(format!("`{name}` lists no devices (a header and no rows)"));
    }
    rows
}

/// The managed CSV, parsed.
struct Target {
    columns: Vec<Option<Column>>,
    /// Where the header line ends (its line end included).
    header_end: usize,
    records: Vec<Record>,
    by_serial: HashMap<String, usize>,
    quoted: bool,
    newline: &'static [u8],
}

fn parse_target(bytes: &[u8], name: &str, default_tag: Option<&str>, problems: &mut Vec<String>) -> Target {
    let newline: &'static [u8] = match memchr::memchr(b'\n', bytes) {
        Some(at) if at > 0 && bytes[at - 1] == b'\r' => b"\r\n",
        Some(_) => b"\n",
        None => b"\r\n",
    };
    let mut target = Target {
        columns: Vec::new(),
        header_end: 0,
        records: Vec::new(),
        by_serial: HashMap::new(),
        quoted: false,
        newline,
    };
    if bytes.is_empty() {
        return target;
    }
    let body_start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    target.quoted = bytes.get(body_start) == Some(&b'"');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(RecordCap::new(bytes));
    let mut record = csv::ByteRecord::new();
    // Record starts as csv reports them, corrected: after a CRLF csv points at the `\n`.
    let start_of = |position: u64| -> usize {
        let at = position as usize;
        if at < bytes.len() && bytes[at] == b'\n' && at > 0 && bytes[at - 1] == b'\r' {
            at + 1
        } else {
            at
        }
    };
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return target,
        Err(error) => {
            problems.push(format!("`{name}` is not a readable CSV: {error}"));
            return target;
        }
    }
    target.columns = record.iter().map(column_of).collect();
    let find = |wanted: Column| target.columns.iter().position(|c| *c == Some(wanted));
    // A managed CSV of hash-less rows may have no `Hardware Hash` column.
    let Some(serial_at) = find(Column::Serial) else {
        problems.push(format!(
            "`{name}` has no `Device Serial Number` column in its header"
        ));
        return target;
    };
    let (hash_at, tag_at, user_at, name_at) = (
        find(Column::Hash),
        find(Column::GroupTag),
        find(Column::User),
        find(Column::DisplayName),
    );
    let mut starts: Vec<usize> = Vec::new();
    let mut pending: Vec<Record> = Vec::new();
    let mut serials: Vec<String> = Vec::new();
    let mut number = 0u32;
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                problems.push(format!(
                    "`{name}` is not a readable CSV after row {number}: {error}"
                ));
                return target;
            }
        }
        let Some(position) = record.position() else {
            continue;
        };
        if is_blank_line(&record) {
            continue;
        }
        number += 1;
        let text = |column: Option<usize>| trimmed_field(&record, column);
        let serial = text(Some(serial_at));
        let tag = text(tag_at);
        if !serial.is_empty() && !seen.insert(serial.to_ascii_uppercase()) {
            problems.push(format!(
                "`{name}` lists `{serial}` twice (row {number} is the second): run `hangar validate` and fix it first"
            ));
        }
        starts.push(start_of(position.byte()));
        serials.push(serial);
        pending.push(Record {
            row: number,
            start: 0,
            end: 0,
            hash: text(hash_at),
            tag: if tag.is_empty() {
                default_tag.unwrap_or_default().to_owned()
            } else {
                tag
            },
            user: text(user_at),
            display_name: text(name_at),
        });
    }
    target.header_end = starts.first().copied().unwrap_or(bytes.len());
    for (index, mut record) in pending.into_iter().enumerate() {
        record.start = starts[index];
        record.end = starts.get(index + 1).copied().unwrap_or(bytes.len());
        if !serials[index].is_empty() {
            target
                .by_serial
                .insert(serials[index].clone(), target.records.len());
        }
        target.records.push(record);
    }
    target
}

/// A record's text and its line end (with any blank lines after it).
fn split_line_end(slice: &[u8]) -> (&[u8], &[u8]) {
    let body = slice
        .iter()
        .rposition(|&b| !matches!(b, b'\r' | b'\n'))
        .map_or(0, |last| last + 1);
    slice.split_at(body)
}

#[derive(Clone, Copy)]
struct Style {
    quoted: bool,
    newline: &'static [u8],
}

impl Style {
    fn field(&self, out: &mut Vec<u8>, value: &str) {
        if self.quoted || value.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(value.as_bytes());
        }
    }

    fn row(&self, out: &mut Vec<u8>, layout: &[Option<Column>], row: &Row, tag: &str) {
        for (index, column) in layout.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let value = match column {
                Some(Column::Serial) => row.serial.as_str(),
                Some(Column::ProductId) => row.product.as_str(),
                Some(Column::Hash) => row.hash.as_str(),
                Some(Column::GroupTag) => tag,
                Some(Column::User) => row.user.as_str(),
                Some(Column::DisplayName) => row.display_name.as_str(),
                None => "",
            };
            self.field(out, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn request<'a>(fresh: &'a Path, target: &'a Path, tag: &'a str, limits: &'a Limits) -> ImportCsv<'a> {
        ImportCsv {
            fresh,
            tag,
            update: false,
            target,
            default_tag: None,
            elsewhere: Vec::new(),
            limits,
        }
    }

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn a_new_managed_csv_gets_the_documented_header() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.csv");
        // What Windows PowerShell 5.1 writes: UTF-16 LE with a BOM, CRLF, no quotes.
        std::fs::write(
            &fresh,
            utf16le(
                "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n5CG1,,QUJD,Sales\r\n",
            ),
        )
        .unwrap();
        let target = dir.path().join("devices").join("fleet.csv");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let limits = limits();
        let merged = merge(&request(&fresh, &target, "Sales", &limits)).unwrap();
        assert!(merged.created && merged.written && merged.fresh_was_utf16);
        assert_eq!(merged.added, vec!["5CG1"]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            format!("{HEADER}\r\n5CG1,,QUJD,Sales,\r\n")
        );
    }

    #[test]
    fn rows_are_appended_and_existing_bytes_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        let before =
            "\u{feff}Device Serial Number,Hardware Hash,Group Tag\n  OLD1 ,QUJD,Sales\n\nOLD2,QUJD,\n";
        std::fs::write(&target, before).unwrap();
        let fresh = dir.path().join("f.csv");
        std::fs::write(
            &fresh,
            "Device Serial Number,Windows Product ID,Hardware Hash\r\nNEW1,,QUJDRA==\r\nOLD1,,QUJD\r\n",
        )
        .unwrap();
        let limits = limits();
        let merged = merge(&request(&fresh, &target, "Sales", &limits)).unwrap();
        assert_eq!(merged.added, vec!["NEW1"]);
        assert_eq!(merged.unchanged, vec!["OLD1"]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            format!("{before}NEW1,QUJDRA==,Sales\n")
        );
        // Merging again changes nothing and writes nothing.
        let again = merge(&request(&fresh, &target, "Sales", &limits)).unwrap();
        assert!(!again.written);
        assert_eq!(again.unchanged.len(), 2);
    }

    #[test]
    fn a_serial_with_another_tag_or_hash_is_refused_unless_updating() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        let before = "\"Device Serial Number\",\"Hardware Hash\",\"Group Tag\"\r\n\"A1\",\"QUJD\",\"Sales\"\r\n\"B2\",\"QUJD\",\"Sales\"";
        std::fs::write(&target, before).unwrap();
        let fresh = dir.path().join("f.csv");
        std::fs::write(&fresh, "Device Serial Number,Hardware Hash\nA1,QUJDRA==\n").unwrap();
        let limits = limits();
        let refused = merge(&request(&fresh, &target, "Lab", &limits))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("row 1")
                && refused.contains("another hardware hash and group tag `Sales`")
                && refused.contains("--update"),
            "{refused}"
        );
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            before,
            "nothing written"
        );
        let mut update = request(&fresh, &target, "Lab", &limits);
        update.update = true;
        let merged = merge(&update).unwrap();
        assert_eq!(merged.updated, vec!["A1"]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "\"Device Serial Number\",\"Hardware Hash\",\"Group Tag\"\r\n\"A1\",\"QUJDRA==\",\"Lab\"\r\n\"B2\",\"QUJD\",\"Sales\""
        );
    }

    #[test]
    fn a_hashless_row_gets_its_hash_and_keeps_its_user_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        // What `hangar import` writes: hash-less rows with a display name.
        let before = format!(
            "{}\r\nOEM-1,,,Sales,ann@contoso.com,Front desk\r\nOEM-2,,,Sales,,\r\n",
            super::super::HASHLESS_HEADER
        );
        std::fs::write(&target, &before).unwrap();
        let fresh = dir.path().join("f.csv");
        std::fs::write(
            &fresh,
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Display Name\r\nOEM-1,,QUJD,Sales,\r\nOEM-2,,QUJDRA==,Sales,\r\n",
        )
        .unwrap();
        let limits = limits();
        let merged = merge(&request(&fresh, &target, "Sales", &limits)).unwrap();
        assert_eq!(
            merged.updated,
            vec!["OEM-1", "OEM-2"],
            "filling in a hash needs no --update"
        );
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            format!(
                "{}\r\nOEM-1,,QUJD,Sales,ann@contoso.com,Front desk\r\nOEM-2,,QUJDRA==,Sales,,\r\n",
                super::super::HASHLESS_HEADER
            )
        );
        // Another display name is a conflict like another tag or user.
        std::fs::write(
            &fresh,
            "Device Serial Number,Hardware Hash,Display Name\r\nOEM-1,QUJD,Lab 3\r\nOEM-2,QUJDRA==,Lab 2\r\n",
        )
        .unwrap();
        let refused = merge(&request(&fresh, &target, "Sales", &limits))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("display name `Front desk`")
                && refused.contains("with no display name")
                && refused.contains("--update"),
            "{refused}"
        );
    }

    #[test]
    fn hashes_and_display_names_add_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        std::fs::write(&target, "Device Serial Number,Group Tag\nOEM-1,Sales\n").unwrap();
        let fresh = dir.path().join("f.csv");
        std::fs::write(
            &fresh,
            "Device Serial Number,Hardware Hash,Display Name\nNEW-1,QUJD,Kiosk\n",
        )
        .unwrap();
        let limits = limits();
        let merged = merge(&request(&fresh, &target, "Sales", &limits)).unwrap();
        assert_eq!(merged.columns_added, vec!["Hardware Hash", "Display Name"]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "Device Serial Number,Group Tag,Hardware Hash,Display Name\nOEM-1,Sales,,\nNEW-1,Sales,QUJD,Kiosk\n"
        );
    }

    #[test]
    fn a_tag_column_is_added_when_the_file_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        std::fs::write(&target, "Device Serial Number,Hardware Hash\r\nA1,QUJD\r\n").unwrap();
        let fresh = dir.path().join("f.csv");
        std::fs::write(&fresh, "Device Serial Number,Hardware Hash\r\nB2,QUJD\r\n").unwrap();
        let limits = limits();
        let mut with_default = request(&fresh, &target, "Sales", &limits);
        with_default.default_tag = Some("Sales");
        let merged = merge(&with_default).unwrap();
        assert!(
            merged.columns_added.is_empty(),
            "the document's groupTag covers it"
        );
        std::fs::write(&target, "Device Serial Number,Hardware Hash\r\nA1,QUJD\r\n").unwrap();
        let merged = merge(&request(&fresh, &target, "Lab", &limits)).unwrap();
        assert_eq!(merged.columns_added, vec!["Group Tag"]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "Device Serial Number,Hardware Hash,Group Tag\r\nA1,QUJD,\r\nB2,QUJD,Lab\r\n"
        );
    }

    #[test]
    fn bad_rows_name_the_file_and_row_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        let fresh = dir.path().join("f.csv");
        std::fs::write(
            &fresh,
            "Device Serial Number,Hardware Hash,Group Tag\nA 1,QUJD,\nB2,QUJ,\nC3,QUJD,Other\nD4,QUJD,\nD4,QUJDRA==,\n",
        )
        .unwrap();
        let limits = limits();
        let error = merge(&request(&fresh, &target, "Sales", &limits))
            .unwrap_err()
            .to_string();
        for expected in [
            "row 1: the serial `A 1` has a space",
            "row 2: the hardware hash of `B2` is not valid base64",
            "row 3: `C3` was collected with group tag `Other`",
            "rows 4 and 5 both list `D4`",
        ] {
            assert!(error.contains(expected), "{expected}: {error}");
        }
        assert!(!target.exists());
        std::fs::write(&fresh, "Device Serial Number,Hardware Hash\n").unwrap();
        let empty = merge(&request(&fresh, &target, "Sales", &limits))
            .unwrap_err()
            .to_string();
        assert!(empty.contains("lists no devices"), "{empty}");
    }

    #[test]
    fn a_serial_in_another_csv_is_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.csv");
        let fresh = dir.path().join("f.csv");
        std::fs::write(&fresh, "Device Serial Number,Hardware Hash\nA1,QUJD\nB2,QUJD\n").unwrap();
        let limits = limits();
        let mut req = request(&fresh, &target, "Sales", &limits);
        req.elsewhere = vec![
            ("A1".into(), dir.path().join("other.csv"), 7, Some("Sales".into())),
            ("B2".into(), dir.path().join("other.csv"), 8, Some("Lab".into())),
        ];
        let error = merge(&req).unwrap_err().to_string();
        assert!(
            error.contains("`B2` is already in") && error.contains("row 8"),
            "{error}"
        );
        req.elsewhere.pop();
        let merged = merge(&req).unwrap();
        assert_eq!(merged.elsewhere.len(), 1);
        assert_eq!(merged.added, vec!["B2"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Arbitrary fresh and managed CSVs never panic the merge, and a refused merge never
        /// touches the managed CSV.
        #[test]
        fn arbitrary_csvs_never_panic(
            fresh in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            managed in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            header in proptest::prelude::any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let fresh_path = dir.path().join("f.csv");
            let target = dir.path().join("t.csv");
            let mut fresh_bytes = if header { b"Device Serial Number,Hardware Hash\n".to_vec() } else { Vec::new() };
            fresh_bytes.extend_from_slice(&fresh);
            let mut managed_bytes = if header { b"Device Serial Number,Hardware Hash,Group Tag\r\n".to_vec() } else { Vec::new() };
            managed_bytes.extend_from_slice(&managed);
            std::fs::write(&fresh_path, &fresh_bytes).unwrap();
            std::fs::write(&target, &managed_bytes).unwrap();
            let limits = limits();
            let mut req = request(&fresh_path, &target, "Sales", &limits);
            req.update = true;
            if merge(&req).is_err() {
                proptest::prop_assert_eq!(std::fs::read(&target).unwrap(), managed_bytes);
            }
        }
    }

    #[test]
    fn line_ends_split() {
        assert_eq!(split_line_end(b"a,b\r\n\r\n"), (&b"a,b"[..], &b"\r\n\r\n"[..]));
        assert_eq!(split_line_end(b"a,b"), (&b"a,b"[..], &b""[..]));
    }
}
