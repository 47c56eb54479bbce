//! `Tenant.include:` and `Base` documents: the shared directories (bases) a configuration is
//! assembled from.
//!
//! A configuration is the directory holding its `Tenant` document. Its `include:` names other
//! directories, relative to the file it is written in; their documents become part of the
//! configuration as if they were in it, so one base (groups, ESPs, restrictions, domain join)
//! serves many tenants, and every name in it resolves in each tenant that includes it. A base
//! may hold one `Base` document naming it and including further bases.
//!
//! Includes are the one deliberate exception to "every file read is inside the configuration
//! directory" (`files`): an included directory may be anywhere **inside the repository root**,
//! which is `--root` when given, else the nearest directory at or above the configuration
//! that holds `.git` (a directory, or the file a worktree or submodule has). Inside an included
//! directory the walk's own rules hold with that directory as the root (symlinks stay inside
//! it). Every problem is a diagnostic at the `include:` entry that caused it:
//!
//! | problem | rule |
//! |---|---|
//! | an empty or absolute path | `include/path` |
//! | a directory that does not exist, or a file | `include/missing` |
//! | outside the repository root, or no root found | `include/outside-root` |
//! | a chain back to a directory on it, the configuration itself, a directory containing it or inside it, a directory overlapping another included one | `include/cycle` |
//! | a `Tenant` or `AutopilotDevices` document in a base | `include/tenant-document`, `include/devices` |
//! | a `Base` document outside a base; two in one base | `base/misplaced`, `base/duplicate` |
//!
//! The same directory reached twice through different bases (a diamond) is read once.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::files::Root;
use crate::load::{self, Doc, DocAt, Documents, Parse};
use crate::rules;
use crate::span::{SourceMap, Span};
use crate::wire::{self, Sp};
use crate::{Error, LoadOptions};

/// Most directories one configuration includes, bases of bases counted.
const MAX_INCLUDED: usize = 64;

/// The directory `include:` entries must stay inside, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRoot {
    /// Resolved (symlinks followed).
    pub dir: PathBuf,
    /// Where it came from.
    pub source: RootSource,
}

/// How the repository root was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    /// `--root`.
    Given,
    /// The nearest directory at or above the configuration that holds `.git`.
    Git,
}

impl RepositoryRoot {
    /// The root given with `--root` (resolved).
    pub fn given(dir: &Path) -> std::io::Result<RepositoryRoot> {
        Ok(RepositoryRoot {
            dir: std::fs::canonicalize(dir)?,
            source: RootSource::Given,
        })
    }

    /// The nearest directory at or above `start` that holds a `.git` entry (a directory in a
    /// clone; a file in a worktree or a submodule).
    pub fn find(start: &Path) -> Option<RepositoryRoot> {
        let start = std::fs::canonicalize(start).ok()?;
        let start = if start.is_dir() {
            start
        } else {
            start.parent()?.to_owned()
        };
        start
            .ancestors()
            .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
            .map(|dir| RepositoryRoot {
                dir: dir.to_owned(),
                source: RootSource::Git,
            })
    }

    /// The root for a configuration in `config_dir`: `given`, else found from `config_dir`.
    pub fn for_configuration(
        given: Option<&Path>,
        config_dir: &Path,
    ) -> Result<Option<RepositoryRoot>, Error> {
        match given {
            Some(dir) => RepositoryRoot::given(dir)
                .map(Some)
                .map_err(|source| Error::RepositoryRoot {
                    path: dir.to_owned(),
                    source,
                }),
            None => Ok(RepositoryRoot::find(config_dir)),
        }
    }

    /// How messages name it: the path and where it came from.
    pub fn describe(&self) -> String {
        match self.source {
            RootSource::Given => format!("`{}` (from `--root`)", self.dir.display()),
            RootSource::Git => format!(
                "`{}` (the nearest directory above the configuration that holds `.git`)",
                self.dir.display()
            ),
        }
    }
}

/// A directory a configuration includes, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedDir {
    /// Resolved (symlinks followed).
    pub path: PathBuf,
    /// As people see it: relative to the working directory when it can be.
    pub shown: String,
    /// The name its `Base` document gives it, if it has one.
    pub name: Option<String>,
    /// The `include:` entry that first named it.
    pub included_from: Span,
}

/// A configuration's documents, its own and its bases', and where they came from.
#[derive(Debug, Default)]
pub(crate) struct Assembled {
    /// Every document: the included directories' first, then the configuration's own.
    pub documents: Documents,
    /// The included directories, in the order they were first included.
    pub included: Vec<IncludedDir>,
    /// Every file read (YAML, resolved), own and included.
    pub files: Vec<PathBuf>,
}

/// Reads the configuration at `path` (a directory or one YAML file) and everything its
/// `Tenant` includes. Only an unreadable `path` is an error; the rest are diagnostics.
pub(crate) fn assemble(
    path: &Path,
    root: &Root,
    options: &LoadOptions,
    parse: Parse,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Assembled, Error> {
    let files = load::yaml_files(path, root, sources, diagnostics)?;
    let mut own = Documents::default();
    for file in &files {
        load::load_file(file, &options.limits, parse, sources, &mut own, diagnostics);
    }
    for base in own.bases.drain(..) {
        diagnostics.push(
            Diagnostic::new(
                &rules::BASE_MISPLACED,
                base.at.of(&base.body.kind),
                "a `Base` document in a configuration's own directory",
            )
            .with_help(rules::BASE_MISPLACED.fix),
        );
    }
    let mut assembled = Assembled {
        files: files
            .iter()
            .filter_map(|f| std::fs::canonicalize(f).ok())
            .collect(),
        ..Assembled::default()
    };
    let entries = own
        .tenants
        .first()
        .filter(|tenant| !tenant.body.include.is_empty())
        .map(|tenant| (tenant.at, tenant.body.include.clone()));
    if let Some((at, entries)) = entries {
        let mut includes = Includes {
            config_dir: root.dir().to_owned(),
            given_root: options.root.as_deref(),
            repository: None,
            options,
            parse,
            sources,
            diagnostics,
            out: Documents::default(),
            included: Vec::new(),
            files: Vec::new(),
            chain: Vec::new(),
            refused: HashSet::new(),
        };
        includes.entries(at, &entries)?;
        assembled.included = includes.included;
        assembled.files.extend(includes.files);
        assembled.documents = includes.out;
    }
    assembled.documents.append(own);
    Ok(assembled)
}

struct Includes<'a> {
    config_dir: PathBuf,
    given_root: Option<&'a Path>,
    /// Found on the first include (`Some(None)`: looked for, none).
    repository: Option<Option<RepositoryRoot>>,
    options: &'a LoadOptions,
    parse: Parse,
    sources: &'a mut SourceMap,
    diagnostics: &'a mut Vec<Diagnostic>,
    out: Documents,
    included: Vec<IncludedDir>,
    files: Vec<PathBuf>,
    /// The directories being included, outermost first, with the entry that included each.
    chain: Vec<(PathBuf, Span)>,
    /// Directories already refused (reported once).
    refused: HashSet<PathBuf>,
}

impl Includes<'_> {
    /// Follows the `include:` entries of the document at `at`.
    fn entries(&mut self, at: DocAt, entries: &[Sp<String>]) -> Result<(), Error> {
        let from = self.sources.file(at.file).path.clone();
        let from_dir = from.parent().map(Path::to_owned).unwrap_or_default();
        for entry in entries {
            let span = at.of(entry);
            if let Some(dir) = self.resolve(&from_dir, entry.value(), span)? {
                self.include(dir, span)?;
            }
        }
        Ok(())
    }

    fn problem(&mut self, rule: &'static rules::Rule, span: Span, message: String) {
        self.diagnostics
            .push(Diagnostic::new(rule, span, message).with_help(rule.fix));
    }

    /// The directory an entry names, resolved and checked against the repository root.
    fn resolve(&mut self, from_dir: &Path, text: &str, span: Span) -> Result<Option<PathBuf>, Error> {
        let written = Path::new(text);
        if text.trim().is_empty() {
            self.problem(&rules::INCLUDE_PATH, span, "an empty `include:` entry".to_owned());
            return Ok(None);
        }
        if written.is_absolute() || written.has_root() || has_prefix(written) {
            self.problem(
                &rules::INCLUDE_PATH,
                span,
                format!(
                    "`{text}` is an absolute path; `include:` paths are relative to the file they are in"
                ),
            );
            return Ok(None);
        }
        let joined = from_dir.join(written);
        let resolved = match std::fs::canonicalize(&joined) {
            Ok(resolved) => resolved,
            Err(error) => {
                let detail = if error.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_owned()
                } else {
                    format!("cannot be read: {error}")
                };
                self.problem(
                    &rules::INCLUDE_MISSING,
                    span,
                    format!(
                        "included directory `{text}` ({}) {detail}",
                        lexical(&joined).display()
                    ),
                );
                return Ok(None);
            }
        };
        if !resolved.is_dir() {
            self.problem(
                &rules::INCLUDE_MISSING,
                span,
                format!("`{text}` is a file, not a directory: `include:` names base directories"),
            );
            return Ok(None);
        }
        let repository = match &self.repository {
            Some(found) => found.clone(),
            None => {
                let found = RepositoryRoot::for_configuration(self.given_root, &self.config_dir)?;
                self.repository = Some(found.clone());
                found
            }
        };
        let Some(repository) = repository else {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::INCLUDE_OUTSIDE_ROOT,
                    span,
                    format!(
                        "no repository root to check `{text}` against: neither `{}` nor a directory above it holds `.git`",
                        self.config_dir.display()
                    ),
                )
                .with_help("pass `--root DIR` with the directory that holds the configurations and their bases"),
            );
            return Ok(None);
        };
        if !resolved.starts_with(&repository.dir) {
            self.problem(
                &rules::INCLUDE_OUTSIDE_ROOT,
                span,
                format!(
                    "`{text}` resolves to `{}`, outside the repository root {}",
                    resolved.display(),
                    repository.describe()
                ),
            );
            return Ok(None);
        }
        Ok(Some(resolved))
    }

    /// Reads an included directory (once) and follows its `Base` document's includes.
    fn include(&mut self, dir: PathBuf, span: Span) -> Result<(), Error> {
        let shown = shown(&dir);
        if let Some(position) = self.chain.iter().position(|(on, _)| *on == dir) {
            let mut path: Vec<String> = self.chain[position..]
                .iter()
                .map(|(on, _)| self::shown(on))
                .collect();
            path.push(shown.clone());
            let mut diagnostic = Diagnostic::new(
                &rules::INCLUDE_CYCLE,
                span,
                format!("an include cycle: {}", path.join(" → ")),
            )
            .with_help(rules::INCLUDE_CYCLE.fix);
            for (_, via) in &self.chain[position..] {
                diagnostic = diagnostic.with_label(*via, "on the cycle");
            }
            self.diagnostics.push(diagnostic);
            return Ok(());
        }
        let config = self::shown(&self.config_dir);
        let overlap = if dir == self.config_dir {
            Some(format!("`{shown}` is the configuration directory itself"))
        } else if self.config_dir.starts_with(&dir) {
            Some(format!(
                "`{shown}` contains the configuration directory `{config}`: the configuration would include itself"
            ))
        } else if dir.starts_with(&self.config_dir) {
            Some(format!(
                "`{shown}` is inside the configuration directory `{config}`, whose files are read already"
            ))
        } else {
            None
        };
        if let Some(message) = overlap {
            self.problem(&rules::INCLUDE_CYCLE, span, message);
            return Ok(());
        }
        if self.included.iter().any(|included| included.path == dir) || self.refused.contains(&dir) {
            // Reached again through another base: read once.
            return Ok(());
        }
        if let Some(other) = self
            .included
            .iter()
            .find(|included| included.path.starts_with(&dir) || dir.starts_with(&included.path))
        {
            let (inner, outer) = if dir.starts_with(&other.path) {
                (shown.clone(), other.shown.clone())
            } else {
                (other.shown.clone(), shown.clone())
            };
            let other_span = other.included_from;
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::INCLUDE_CYCLE,
                    span,
                    format!(
                        "`{inner}` is inside `{outer}`, which is included too: its files would be read twice"
                    ),
                )
                .with_label(other_span, "the other include")
                .with_help(rules::INCLUDE_CYCLE.fix),
            );
            self.refused.insert(dir);
            return Ok(());
        }
        if self.included.len() >= MAX_INCLUDED {
            self.problem(
                &rules::FILE_WALK_LIMIT,
                span,
                format!(
                    "a configuration includes at most {MAX_INCLUDED} directories; `{shown}` was not read"
                ),
            );
            self.refused.insert(dir);
            return Ok(());
        }

        // Walked by its path from the working directory, so files are shown as people would
        // write them (`../../base/esp.yaml`).
        let walk_path = walk_path(&dir);
        let root = match Root::of(&walk_path) {
            Ok(root) => root,
            Err(error) => {
                self.problem(
                    &rules::INCLUDE_MISSING,
                    span,
                    format!("included directory `{shown}` cannot be read: {error}"),
                );
                self.refused.insert(dir);
                return Ok(());
            }
        };
        let files = match load::yaml_files(&walk_path, &root, self.sources, self.diagnostics) {
            Ok(files) => files,
            Err(error) => {
                self.problem(
                    &rules::INCLUDE_MISSING,
                    span,
                    format!(
                        "included directory `{shown}` cannot be read: {}",
                        error_chain(&error)
                    ),
                );
                self.refused.insert(dir);
                return Ok(());
            }
        };
        let mut documents = Documents::default();
        for file in &files {
            load::load_file(
                file,
                &self.options.limits,
                self.parse,
                self.sources,
                &mut documents,
                self.diagnostics,
            );
        }
        self.files
            .extend(files.iter().filter_map(|f| std::fs::canonicalize(f).ok()));
        for Doc { body, at } in documents.tenants.drain(..) {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::INCLUDE_TENANT,
                    at.of(&body.kind),
                    format!("`{shown}` is included as a base but holds a `Tenant` document"),
                )
                .with_label(span, "included here")
                .with_help(rules::INCLUDE_TENANT.fix),
            );
        }
        for Doc { body, at } in documents.device_lists.drain(..) {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::INCLUDE_DEVICES,
                    at.of(&body.kind),
                    format!(
                        "`AutopilotDevices` `{}` is in `{shown}`, a base that tenants include",
                        body.name.value()
                    ),
                )
                .with_label(span, "included here")
                .with_help(rules::INCLUDE_DEVICES.fix),
            );
        }
        let mut bases = std::mem::take(&mut documents.bases).into_iter();
        let base: Option<Doc<wire::Base>> = bases.next();
        if let Some(first) = &base {
            for extra in bases {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::BASE_DUPLICATE,
                        extra.at.of(&extra.body.kind),
                        "a second `Base` document in one base",
                    )
                    .with_label(first.at.whole(), "the first `Base` document")
                    .with_help(rules::BASE_DUPLICATE.fix),
                );
            }
        }
        self.included.push(IncludedDir {
            path: dir.clone(),
            shown,
            name: base.as_ref().map(|base| base.body.name.value().clone()),
            included_from: span,
        });
        if let Some(base) = &base {
            self.chain.push((dir, span));
            let result = self.entries(base.at, &base.body.include);
            self.chain.pop();
            result?;
        }
        self.out.append(documents);
        Ok(())
    }
}

/// Whether a path starts with a Windows prefix (`C:`, `\\server`), which `is_absolute` does
/// not catch on Unix.
fn has_prefix(path: &Path) -> bool {
    let text = path.to_string_lossy();
    let bytes = text.as_bytes();
    text.starts_with("\\\\") || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

/// `a/b/../c` → `a/c`, without touching the disk (for messages about paths that do not exist).
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` (resolved) relative to the working directory, with `..` where needed, when the two
/// share more than the filesystem root; else `path` itself.
fn walk_path(path: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) else {
        return path.to_owned();
    };
    relative(path, &cwd).unwrap_or_else(|| path.to_owned())
}

/// `path` relative to `base` (both resolved), or `None` when they share only the root.
pub(crate) fn relative(path: &Path, base: &Path) -> Option<PathBuf> {
    let path_parts: Vec<Component<'_>> = path.components().collect();
    let base_parts: Vec<Component<'_>> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let shares_a_directory = path_parts[..common]
        .iter()
        .any(|part| matches!(part, Component::Normal(_)));
    if !shares_a_directory {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..base_parts.len() {
        out.push("..");
    }
    for part in &path_parts[common..] {
        out.push(part.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Some(out)
}

/// A resolved directory as people see it.
fn shown(dir: &Path) -> String {
    walk_path(dir).display().to_string()
}

fn error_chain(error: &Error) -> String {
    use std::error::Error as _;
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_directory() {
        let rel = |a: &str, b: &str| relative(Path::new(a), Path::new(b)).map(|p| p.display().to_string());
        assert_eq!(rel("/r/base", "/r/tenants/a").as_deref(), Some("../../base"));
        assert_eq!(rel("/r/tenants/a", "/r").as_deref(), Some("tenants/a"));
        assert_eq!(rel("/r", "/r").as_deref(), Some("."));
        assert_eq!(rel("/srv/x", "/home/u"), None);
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(lexical(Path::new("a/b/../c/./d")), PathBuf::from("a/c/d"));
        assert_eq!(lexical(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn windows_prefixes_are_absolute() {
        assert!(has_prefix(Path::new("C:base")));
        assert!(has_prefix(Path::new("\\\\server\\share")));
        assert!(!has_prefix(Path::new("../base")));
    }

    #[test]
    fn the_repository_root_is_the_nearest_git() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("tenants/a")).unwrap();
        assert_eq!(RepositoryRoot::find(&repo.join("tenants/a")), None);
        // A worktree's `.git` is a file.
        std::fs::write(repo.join(".git"), "gitdir: elsewhere\n").unwrap();
        let found = RepositoryRoot::find(&repo.join("tenants/a")).unwrap();
        assert_eq!(found.dir, std::fs::canonicalize(&repo).unwrap());
        assert_eq!(found.source, RootSource::Git);
        assert!(found.describe().contains(".git"));
        let given = RepositoryRoot::given(dir.path()).unwrap();
        assert!(given.describe().contains("--root"));
    }
}
