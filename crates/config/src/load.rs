//! Stage 1: files → YAML documents → wire types, collecting every problem as a diagnostic.
//!
//! Every `*.yaml`/`*.yml` file under the directory is read (recursively, sorted by path, hidden
//! directories skipped). A file is split into documents at `---`/`...` lines (YAML forbids
//! these at the start of a line inside a scalar, so the split is exact), and each document is
//! parsed on its own: first for `kind:`, then into that kind's wire type. A syntax error in one
//! document does not hide the problems of the next one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::Error as YamlError;
use serde_saphyr::budget::BudgetBreach;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::files::{self, Capped, Refused, Root};
use crate::rules;
use crate::span::{FileId, SourceKind, SourceMap, Span};
use crate::wire;
use crate::{Error, Limits};

/// A parsed document of kind `T`, with what is needed to turn its spans into [`Span`]s.
#[derive(Debug)]
pub(crate) struct Doc<T> {
    pub body: T,
    pub at: DocAt,
}

/// Where a document is: its file, and the byte offset its text starts at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocAt {
    pub file: FileId,
    pub base: u32,
    pub len: u32,
}

impl DocAt {
    /// The [`Span`] of a serde-saphyr location inside this document.
    pub(crate) fn span(&self, location: &serde_saphyr::Location) -> Span {
        let span = location.span();
        match span.byte_offset() {
            Some(offset) => {
                let start = self.base.saturating_add(offset as u32);
                Span::new(
                    self.file,
                    start,
                    start.saturating_add(span.byte_len().unwrap_or(0) as u32),
                )
            }
            None => self.whole(),
        }
    }

    /// The span of a wire value.
    pub(crate) fn of<T>(&self, value: &wire::Sp<T>) -> Span {
        self.span(&value.0.referenced)
    }

    /// The whole document.
    pub(crate) fn whole(&self) -> Span {
        Span::new(self.file, self.base, self.base + self.len)
    }
}

/// Every document of every kind, as written.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    pub tenants: Vec<Doc<wire::Tenant>>,
    pub groups: Vec<Doc<wire::DeviceGroup>>,
    pub profiles: Vec<Doc<wire::DeploymentProfile>>,
    pub esps: Vec<Doc<wire::EnrollmentStatusPage>>,
    pub dpps: Vec<Doc<wire::DevicePreparationPolicy>>,
    pub domain_joins: Vec<Doc<wire::DomainJoinProfile>>,
    pub restrictions: Vec<Doc<wire::EnrollmentRestriction>>,
    pub device_lists: Vec<Doc<wire::AutopilotDevices>>,
    pub bases: Vec<Doc<wire::Base>>,
}

impl Documents {
    /// Moves `other`'s documents after these, kind by kind.
    pub(crate) fn append(&mut self, mut other: Documents) {
        self.tenants.append(&mut other.tenants);
        self.groups.append(&mut other.groups);
        self.profiles.append(&mut other.profiles);
        self.esps.append(&mut other.esps);
        self.dpps.append(&mut other.dpps);
        self.domain_joins.append(&mut other.domain_joins);
        self.restrictions.append(&mut other.restrictions);
        self.device_lists.append(&mut other.device_lists);
        self.bases.append(&mut other.bases);
    }
}

/// Which documents are parsed into their wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parse {
    /// Every kind (loading a configuration).
    All,
    /// Only `Tenant` and `Base`, which say where configurations are and what they include
    /// (`hangar tenants`); other documents are only probed for their `kind:`.
    Layout,
}

/// The YAML kinds, as written in `kind:`.
pub(crate) const KINDS: [&str; 9] = [
    "Tenant",
    "Base",
    "DeviceGroup",
    "DeploymentProfile",
    "EnrollmentStatusPage",
    "DevicePreparationPolicy",
    "DomainJoinProfile",
    "EnrollmentRestriction",
    "AutopilotDevices",
];

/// Most directory levels the walk descends.
const MAX_DEPTH: usize = 32;
/// Most directory entries the walk looks at.
const MAX_ENTRIES: usize = 100_000;

fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Lists the YAML files under `path`, sorted. Every file and directory reached through a
/// symlink must resolve inside `root`; a directory reached a second time (a symlink cycle such
/// as `loop -> .`, or a second link to one directory) is skipped with a warning naming the
/// link; what is not a regular file is skipped with a warning; the walk stops at
/// [`MAX_DEPTH`] levels and [`MAX_ENTRIES`] entries. Unreadable subdirectories become
/// diagnostics.
pub(crate) fn yaml_files(
    path: &Path,
    root: &Root,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<PathBuf>, Error> {
    let metadata = std::fs::metadata(path).map_err(|source| Error::Root {
        path: path.to_owned(),
        source,
    })?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    // Every directory read, resolved, with the path it was first reached by.
    let mut visited: HashMap<PathBuf, PathBuf> = HashMap::new();
    visited.insert(root.dir().to_owned(), path.to_owned());
    let mut stack = vec![(path.to_owned(), 0usize)];
    let mut seen_entries = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if dir == path => {
                return Err(Error::Root {
                    path: path.to_owned(),
                    source: error,
                });
            }
            Err(error) => {
                unreadable(sources, diagnostics, &dir, &error);
                continue;
            }
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirectories = Vec::new();
        for entry in entries {
            seen_entries += 1;
            if seen_entries > MAX_ENTRIES {
                walk_problem(
                    sources,
                    diagnostics,
                    &rules::FILE_WALK_LIMIT,
                    &dir,
                    format!(
                        "the configuration directory has more than {MAX_ENTRIES} entries; the rest were not read"
                    ),
                );
                files.sort();
                return Ok(files);
            }
            let entry_path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else { continue };
            let yaml = is_yaml_name(&name);
            let (is_dir, target_kind) = if kind.is_symlink() {
                match root.check(&entry_path) {
                    Ok(resolved) => match std::fs::metadata(&resolved) {
                        Ok(target) => (target.is_dir(), target.file_type()),
                        Err(_) => continue,
                    },
                    Err(Refused::Outside(resolved)) => {
                        let target = std::fs::metadata(&resolved).ok();
                        if yaml || target.as_ref().is_some_and(std::fs::Metadata::is_dir) {
                            walk_problem(
                                sources,
                                diagnostics,
                                &rules::FILE_OUTSIDE,
                                &entry_path,
                                format!(
                                    "`{}` is a symlink to `{}`, outside the configuration directory: not read",
                                    display_name(&entry_path),
                                    resolved.display()
                                ),
                            );
                        }
                        continue;
                    }
                    Err(refused) => {
                        if yaml {
                            let error = match refused {
                                Refused::Io(error) => error,
                                other => std::io::Error::other(other.to_string()),
                            };
                            unreadable(sources, diagnostics, &entry_path, &error);
                        }
                        continue;
                    }
                }
            } else {
                (kind.is_dir(), kind)
            };
            if is_dir {
                let resolved = match std::fs::canonicalize(&entry_path) {
                    Ok(resolved) => resolved,
                    Err(error) => {
                        unreadable(sources, diagnostics, &entry_path, &error);
                        continue;
                    }
                };
                if let Some(first) = visited.get(&resolved) {
                    let cycle = dir.canonicalize().is_ok_and(|here| here.starts_with(&resolved));
                    let what = if cycle {
                        "which contains it (a symlink cycle)"
                    } else {
                        "already read"
                    };
                    walk_problem(
                        sources,
                        diagnostics,
                        &rules::FILE_SYMLINK_LOOP,
                        &entry_path,
                        format!(
                            "`{}` leads to `{}`, {what}: skipped",
                            display_name(&entry_path),
                            display_name(first)
                        ),
                    );
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    walk_problem(
                        sources,
                        diagnostics,
                        &rules::FILE_WALK_LIMIT,
                        &entry_path,
                        format!(
                            "`{}` is more than {MAX_DEPTH} directories deep: not read",
                            display_name(&entry_path)
                        ),
                    );
                    continue;
                }
                visited.insert(resolved, entry_path.clone());
                subdirectories.push((entry_path, depth + 1));
            } else if yaml {
                if target_kind.is_file() {
                    files.push(entry_path);
                } else {
                    walk_problem(
                        sources,
                        diagnostics,
                        &rules::FILE_NOT_REGULAR,
                        &entry_path,
                        format!(
                            "`{}` is {}, not a regular file: skipped",
                            display_name(&entry_path),
                            files::file_type_name(target_kind)
                        ),
                    );
                }
            }
        }
        // Depth first, in name order.
        stack.extend(subdirectories.into_iter().rev());
    }
    files.sort();
    Ok(files)
}

/// A finding about the walk itself, pointing at the entry it is about.
fn walk_problem(
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    rule: &'static rules::Rule,
    path: &Path,
    message: String,
) {
    let file = sources.add_unloaded(path.to_owned(), display_name(path), SourceKind::Yaml, Vec::new());
    diagnostics.push(Diagnostic::new(rule, Span::point(file, 0), message).with_help(rule.fix));
}

fn unreadable(
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    path: &Path,
    error: &std::io::Error,
) {
    let file = sources.add_unloaded(path.to_owned(), display_name(path), SourceKind::Yaml, Vec::new());
    diagnostics.push(
        Diagnostic::new(
            &rules::FILE_UNREADABLE,
            Span::point(file, 0),
            format!("cannot read `{}`: {error}", path.display()),
        )
        .with_help(rules::FILE_UNREADABLE.fix),
    );
}

/// The path people see: relative to the working directory when it is under it.
pub(crate) fn display_name(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_owned));
    let shown = relative.unwrap_or_else(|| path.to_owned());
    // `validate .` walks `./a.yaml`: show `a.yaml`.
    shown
        .strip_prefix(".")
        .ok()
        .filter(|rest| !rest.as_os_str().is_empty())
        .unwrap_or(&shown)
        .display()
        .to_string()
}

/// Reads one YAML file and parses its documents into `out`.
pub(crate) fn load_file(
    path: &Path,
    limits: &Limits,
    parse: Parse,
    sources: &mut SourceMap,
    out: &mut Documents,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let bytes = match files::read_capped(path, limits.max_yaml_bytes) {
        Ok(Capped::Bytes(bytes)) => bytes,
        Ok(Capped::TooLarge(size)) => {
            let file =
                sources.add_unloaded(path.to_owned(), display_name(path), SourceKind::Yaml, Vec::new());
            diagnostics.push(
                Diagnostic::new(
                    &rules::FILE_TOO_LARGE,
                    Span::point(file, 0),
                    format!(
                        "`{}` is {size} bytes; YAML files may be at most {} bytes",
                        path.display(),
                        limits.max_yaml_bytes
                    ),
                )
                .with_help(rules::FILE_TOO_LARGE.fix),
            );
            return;
        }
        Err(error) => {
            unreadable(sources, diagnostics, path, &error);
            return;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let lossy: Arc<str> = String::from_utf8_lossy(error.as_bytes()).into();
            let file = sources.add_text(path.to_owned(), display_name(path), SourceKind::Yaml, lossy);
            diagnostics.push(
                Diagnostic::new(
                    &rules::FILE_NOT_UTF8,
                    Span::new(file, offset as u32, offset as u32 + 1),
                    format!(
                        "`{}` is not UTF-8 (invalid byte at offset {offset})",
                        path.display()
                    ),
                )
                .with_help(rules::FILE_NOT_UTF8.fix),
            );
            return;
        }
    };
    let text: Arc<str> = text.into();
    let file = sources.add_text(
        path.to_owned(),
        display_name(path),
        SourceKind::Yaml,
        Arc::clone(&text),
    );
    let pieces = split_documents(&text);
    if pieces.len() > limits.max_documents {
        let (start, _) = pieces[limits.max_documents];
        diagnostics.push(
            Diagnostic::new(
                &rules::YAML_LIMIT,
                Span::point(file, start as u32),
                format!(
                    "`{}` has {} documents; at most {} are allowed per file",
                    path.display(),
                    pieces.len(),
                    limits.max_documents
                ),
            )
            .with_help(format!(
                "split the file: at most {} documents per file, and a directory may hold any number of files",
                limits.max_documents
            )),
        );
        return;
    }
    for (start, end) in pieces {
        let piece = &text[start..end];
        if is_blank(piece) {
            continue;
        }
        let at = DocAt {
            file,
            base: start as u32,
            len: (end - start) as u32,
        };
        parse_document(piece, at, limits, parse, out, diagnostics);
    }
}

/// Byte ranges of the documents of a YAML stream. A range starts at its `---` line (if any).
pub(crate) fn split_documents(text: &str) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let is_marker = ["---", "..."].iter().any(|marker| {
            line.strip_prefix(marker)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        });
        if is_marker && offset > start {
            pieces.push((start, offset));
            start = offset;
        }
        offset += line.len();
    }
    if offset > start || pieces.is_empty() {
        pieces.push((start, offset));
    }
    pieces
}

/// Whether a document holds nothing but markers, comments and blank lines.
fn is_blank(piece: &str) -> bool {
    piece.lines().all(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        line.is_empty()
            || line.starts_with('#')
            || line == "---"
            || line == "..."
            || line.starts_with("--- #")
    })
}

fn options(limits: &Limits) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 64,
            max_nodes: limits.max_yaml_nodes,
            max_aliases: 1_000,
            max_documents: 2,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_alias_replay,
            max_replay_stack_depth: 16,
        },
        with_snippet: false,
    }
}

fn parse_document(
    piece: &str,
    at: DocAt,
    limits: &Limits,
    parse: Parse,
    out: &mut Documents,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let probe: wire::Probe = match serde_saphyr::from_str_with_options(piece, options(limits)) {
        Ok(probe) => probe,
        Err(error) => {
            diagnostics.push(yaml_diagnostic(&error, piece, at, None));
            return;
        }
    };
    // Listing (`hangar tenants` over a repository root) meets YAML that is not hangar's:
    // Kubernetes manifests, compose files. A document without `kind:`, or of a kind that is not
    // close to `Tenant` or `Base`, cannot be a configuration and is left alone; a near miss
    // (`Tenat`) is still an error, or a tenant would silently drop out of the matrix.
    if parse == Parse::Layout {
        let Some(kind) = &probe.kind else { return };
        let name = kind.value().as_str();
        if !KINDS.contains(&name) && !matches!(did_you_mean(name, KINDS), Some("Tenant" | "Base")) {
            return;
        }
    }
    let Some(kind) = probe.kind else {
        diagnostics.push(
            Diagnostic::new(
                &rules::DOCUMENT_MISSING_KIND,
                Span::point(at.file, first_content(piece, at)),
                "document has no `kind:`",
            )
            .with_help(format!("add `kind:`, one of {}", KINDS.join(", "))),
        );
        return;
    };
    let name = kind.value().as_str();
    if parse == Parse::Layout && KINDS.contains(&name) && !matches!(name, "Tenant" | "Base") {
        return;
    }
    match name {
        "Tenant" => typed(piece, at, limits, name, &mut out.tenants, diagnostics),
        "Base" => typed(piece, at, limits, name, &mut out.bases, diagnostics),
        "DeviceGroup" => typed(piece, at, limits, name, &mut out.groups, diagnostics),
        "DeploymentProfile" => typed(piece, at, limits, name, &mut out.profiles, diagnostics),
        "EnrollmentStatusPage" => typed(piece, at, limits, name, &mut out.esps, diagnostics),
        "DevicePreparationPolicy" => typed(piece, at, limits, name, &mut out.dpps, diagnostics),
        "DomainJoinProfile" => typed(piece, at, limits, name, &mut out.domain_joins, diagnostics),
        "EnrollmentRestriction" => typed(piece, at, limits, name, &mut out.restrictions, diagnostics),
        "AutopilotDevices" => typed(piece, at, limits, name, &mut out.device_lists, diagnostics),
        other => {
            let mut diagnostic = Diagnostic::new(
                &rules::DOCUMENT_UNKNOWN_KIND,
                at.of(&kind),
                format!("unknown kind `{other}`"),
            );
            diagnostic = match did_you_mean(other, KINDS) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_help(format!("expected one of {}", KINDS.join(", "))),
            };
            diagnostics.push(diagnostic);
        }
    }
}

fn first_content(piece: &str, at: DocAt) -> u32 {
    let mut offset = 0;
    for line in piece.split_inclusive('\n') {
        let trimmed = line.trim();
        if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---") {
            return at.base + offset + (line.len() - line.trim_start().len()) as u32;
        }
        offset += line.len() as u32;
    }
    at.base
}

fn typed<T: DeserializeOwned>(
    piece: &str,
    at: DocAt,
    limits: &Limits,
    kind: &str,
    out: &mut Vec<Doc<T>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    match serde_saphyr::from_str_with_options::<T>(piece, options(limits)) {
        Ok(body) => out.push(Doc { body, at }),
        Err(error) => diagnostics.push(yaml_diagnostic(&error, piece, at, Some(kind))),
    }
}

/// Turns a serde-saphyr error into a diagnostic with the right rule and a suggestion.
fn yaml_diagnostic(error: &YamlError, piece: &str, at: DocAt, kind: Option<&str>) -> Diagnostic {
    let mut error = error;
    let mut use_site = None;
    loop {
        match error {
            YamlError::AliasError {
                error: inner,
                locations,
                ..
            } => {
                // Point at the alias that was expanded, not at the anchor.
                use_site = use_site
                    .or(Some(locations.reference_location))
                    .filter(|l| l.line() > 0);
                error = inner;
            }
            YamlError::WithSnippet { error: inner, .. } => error = inner,
            _ => break,
        }
    }
    let span = match use_site.or_else(|| error.location()) {
        Some(location) if location.span().byte_offset().is_some() => at.span(&location),
        // Syntax errors carry a line and column but no byte offset.
        Some(location) => Span::point(
            at.file,
            at.base + offset_of(piece, location.line(), location.column()),
        ),
        None => Span::point(at.file, at.base),
    };
    // serde reports a missing field at the end of the mapping; the document's first line is
    // a better place to say "this document lacks `x`".
    let span = match error {
        YamlError::SerdeMissingField { .. } => Span::point(at.file, first_content(piece, at)),
        _ => span,
    };
    let in_kind = kind.map(|kind| format!(" in `{kind}`")).unwrap_or_default();
    match error {
        YamlError::SerdeUnknownField { field, expected, .. } => {
            let diagnostic = Diagnostic::new(
                &rules::YAML_UNKNOWN_FIELD,
                span,
                format!("unknown field `{field}`{in_kind}"),
            );
            match did_you_mean(field, expected.iter().copied()) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_help(format!("expected one of {}", backticked(expected))),
            }
        }
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let diagnostic = Diagnostic::new(
                &rules::YAML_INVALID_VALUE,
                span,
                format!("unknown value `{variant}`{in_kind}"),
            );
            match did_you_mean(variant, expected.iter().copied()) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_help(format!("expected one of {}", backticked(expected))),
            }
        }
        YamlError::SerdeMissingField { field, .. } => Diagnostic::new(
            &rules::YAML_MISSING_FIELD,
            span,
            format!("missing field `{field}`{in_kind}"),
        )
        .with_help(format!("add `{field}:` (see docs/configuration.md)")),
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().map(|key| format!(" `{key}`")).unwrap_or_default();
            Diagnostic::new(&rules::YAML_DUPLICATE_KEY, span, format!("duplicate key{key}"))
                .with_help(rules::YAML_DUPLICATE_KEY.fix)
        }
        YamlError::Budget { breach, .. } => {
            Diagnostic::new(&rules::YAML_LIMIT, span, format!("{}{in_kind}", message(error)))
                .with_help(budget_help(breach))
        }
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => {
            Diagnostic::new(&rules::YAML_LIMIT, span, format!("{}{in_kind}", message(error)))
                .with_help(ALIAS_HELP)
        }
        YamlError::SerdeInvalidType { .. }
        | YamlError::SerdeInvalidValue { .. }
        | YamlError::SerdeInvalidLength { .. }
        | YamlError::InvalidScalar { .. }
        | YamlError::NullIntoString { .. }
        | YamlError::InvalidBooleanStrict { .. }
        | YamlError::Message { .. }
        | YamlError::UnexpectedValueForUnitEnumVariant { .. }
        | YamlError::ExternallyTaggedEnumExpectedScalarOrMapping { .. }
        | YamlError::ExpectedStringKeyForExternallyTaggedEnum { .. } => Diagnostic::new(
            &rules::YAML_INVALID_VALUE,
            span,
            format!("{}{in_kind}", message(error)),
        )
        .with_help("see docs/configuration.md for the field's type and values"),
        _ => Diagnostic::new(&rules::YAML_SYNTAX, span, message(error)).with_help(rules::YAML_SYNTAX.fix),
    }
}

/// Byte offset in `text` of a 1-based line and (character) column.
fn offset_of(text: &str, line: u64, column: u64) -> u32 {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 == line {
            let within: usize = content
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            return (offset + within) as u32;
        }
        offset += content.len();
    }
    offset as u32
}

/// serde-saphyr's message without its own "at line L, column C" (we print our own location).
/// What to do about an alias that expands too far.
const ALIAS_HELP: &str = "do not use aliases to build large structures: write the values out";

/// What to do about the parsing budget `breach`, which depends on the limit that was hit.
fn budget_help(breach: &BudgetBreach) -> &'static str {
    match breach {
        BudgetBreach::Depth { .. } => {
            "nest less deeply: hangar's kinds need a few levels, and at most 64 are read"
        }
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::MergeKeys { .. } => ALIAS_HELP,
        BudgetBreach::Documents { .. } => {
            "start every document with a `---` line of its own (a file may hold several)"
        }
        _ => "split the file into smaller files",
    }
}

fn message(error: &YamlError) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(index) => text[..index].to_owned(),
        None => text,
    };
    text.replace(", set DuplicateKeyPolicy in Options if acceptable", "")
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_markers_only() {
        let text = "a: 1\n---\nb: 2\n--- # c\nc: |\n  ---x\n...\n";
        let pieces: Vec<&str> = split_documents(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            pieces,
            ["a: 1\n", "---\nb: 2\n", "--- # c\nc: |\n  ---x\n", "...\n"]
        );
        assert_eq!(split_documents(""), [(0, 0)]);
        assert!(is_blank("--- # only a comment\n# more\n\n"));
        assert!(!is_blank("---\nkind: Tenant\n"));
    }
}
