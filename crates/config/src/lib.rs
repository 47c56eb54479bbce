//! hangar's desired state: a directory of YAML (and devices CSVs) in, a validated
//! [`DesiredState`] and every problem found out.
//!
//! Loading runs in stages and never stops at the first problem:
//!
//! 1. **files** (`load`): every `*.yaml`/`*.yml` under the directory, sorted; each split into
//!    documents; each document parsed for its `kind:`, then into that kind's strict wire type
//!    (unknown fields are errors with a suggestion). Size, document-count and alias-expansion
//!    limits ([`Limits`]) turn hostile input into diagnostics, never panics or unbounded memory.
//! 2. **model** (`lower`): defaults applied, names resolved to ids, duplicates found.
//! 3. **devices** ([`devices`]): each `AutopilotDevices` CSV streamed; hashes validated and not
//!    kept.
//! 4. **rules** ([`rules`], `checks/`): the offline rule list, including routing-based rules
//!    that predict where every known device lands ([`routing`]).
//!
//! The result is a [`Loaded`]: every [`Diagnostic`] with its [`Span`], the [`SourceMap`] to
//! render them, and the [`DesiredState`] when there was no error.
//!
//! This crate does no network IO and knows nothing about Graph beyond documenting, on each
//! model field, the Graph property it maps to. It reads only the directory it is given and the
//! CSVs its documents name, all of which must resolve inside that directory and be regular
//! files (`files`), and writes only the devices CSV that `hangar devices import-csv` merges
//! into ([`devices::merge`]). It does not print; [`snippet`] makes the source windows of
//! diagnostics safe for whoever does.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod checks;
pub mod devices;
pub mod diagnostic;
pub mod digest;
pub mod error_codes;
pub mod fields;
mod files;
pub mod include;
mod load;
mod lower;
pub mod model;
pub mod naming;
pub mod offline;
pub mod routing;
pub mod rules;
pub mod schema;
pub mod snippet;
pub mod span;
mod strings;
pub mod tenants;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use digest::{ConfigDigest, FileDigest};
pub use include::{IncludedDir, RepositoryRoot, RootSource};
pub use model::*;
pub use routing::{KnownDevice, Route, Routing};
pub use span::{FileId, Location, SourceMap, Span, Spanned};

/// IO and internal errors. Problems in the configuration are [`Diagnostic`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory (or file) to load cannot be read at all.
    #[error("cannot read `{}`", path.display())]
    Root {
        /// What was asked for.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A device's hardware hash could not be read back from its CSV.
    #[error("cannot read the hardware hash of `{serial}` from `{}`", path.display())]
    ReadHash {
        /// The CSV.
        path: PathBuf,
        /// The device.
        serial: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A CSV to merge into a devices CSV ([`devices::merge`]) has problems; nothing was written.
    #[error(
        "nothing was written: {}:\n{}",
        hangar_model::plural::count(problems.len(), "problem", "problems"),
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Merge {
        /// Each problem: `file` row N: what, and what to do.
        problems: Vec<String>,
    },
    /// `hangar offline-profile` was asked for a deployment profile the configuration does not have.
    #[error("no `DeploymentProfile` is named `{name}`{}", match suggestion {
        Some(suggestion) => format!(" (did you mean `{suggestion}`?)"),
        None if known.is_empty() => ": the configuration has no deployment profiles".to_owned(),
        None => format!("; the profiles are: {}", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
    })]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The closest name, if one is close.
        suggestion: Option<String>,
        /// Every profile name of the configuration.
        known: Vec<String>,
    },
    /// A profile that an offline Autopilot file cannot provision.
    #[error(
        "offline provisioning cannot work with deployment profile `{profile}`: {}",
        reasons.join("; ")
    )]
    OfflineUnsupported {
        /// The profile.
        profile: String,
        /// Why, one sentence each.
        reasons: Vec<String>,
    },
    /// A value the offline Autopilot file needs is not usable.
    #[error("{what} `{value}` cannot be written to the offline Autopilot file: {help}")]
    OfflineInput {
        /// Which input (`tenantId`, `--tenant-domain`, `--correlation-id`).
        what: String,
        /// The value given.
        value: String,
        /// What it must be.
        help: String,
    },
    /// `hangar explain-error` was given something that is not an error code.
    #[error("`{input}` is not an error code: {why}")]
    MalformedCode {
        /// What was given.
        input: String,
        /// Why it is not a code, and the forms that are.
        why: String,
    },
    /// A file of the configuration could not be read to compute its digest.
    #[error("cannot read `{}` to compute the configuration digest", path.display())]
    Digest {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// `--root` cannot be resolved.
    #[error("cannot use `{}` as the repository root", path.display())]
    RepositoryRoot {
        /// As given.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A devices CSV could not be written.
    #[error("cannot write `{}`", path.display())]
    WriteCsv {
        /// The CSV.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

/// Resource limits of the loader. [`Limits::default`] is what `hangar` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest YAML file, in bytes (default 8 MiB; real ones are a few KB).
    pub max_yaml_bytes: u64,
    /// Largest devices CSV, in bytes (default 256 MiB: about 60,000 devices with real 4 KB
    /// hashes; split larger fleets over several `AutopilotDevices` documents).
    pub max_csv_bytes: u64,
    /// Most documents in one YAML file (default 1,024).
    pub max_documents: usize,
    /// Most YAML nodes in one document (default 100,000).
    pub max_yaml_nodes: usize,
    /// Most events replayed through aliases in one document (default 10,000): this bounds
    /// alias bombs ("billion laughs").
    pub max_alias_replay: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_yaml_bytes: 8 * 1024 * 1024,
            max_csv_bytes: 256 * 1024 * 1024,
            max_documents: 1024,
            max_yaml_nodes: 100_000,
            max_alias_replay: 10_000,
        }
    }
}

/// How to load: the limits, and the repository root `include:` entries must stay inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Resource limits.
    pub limits: Limits,
    /// The repository root (`--root`); `None`: the nearest directory at or above the
    /// configuration that holds `.git` ([`RepositoryRoot::find`]).
    pub root: Option<PathBuf>,
}

/// What loading a directory produced.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated state; `None` when any diagnostic is an error.
    pub state: Option<DesiredState>,
    /// Every finding, errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, to render the diagnostics.
    pub sources: Arc<SourceMap>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of errors and of warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }
}

/// Loads and validates the configuration in `path` (a directory, or a single YAML file) with
/// the default [`Limits`].
pub fn load(path: &Path) -> Result<Loaded, Error> {
    load_with(path, &Limits::default())
}

/// Loads and validates with explicit limits.
pub fn load_with(path: &Path, limits: &Limits) -> Result<Loaded, Error> {
    load_from(
        path,
        &LoadOptions {
            limits: limits.clone(),
            root: None,
        },
    )
}

/// Loads and validates with explicit options: the configuration in `path` and every directory
/// its `Tenant` includes ([`include`](mod@include)).
pub fn load_from(path: &Path, options: &LoadOptions) -> Result<Loaded, Error> {
    let limits = &options.limits;
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();

    let root = files::Root::of(path).map_err(|source| Error::Root {
        path: path.to_owned(),
        source,
    })?;
    let assembled = include::assemble(
        path,
        &root,
        options,
        load::Parse::All,
        &mut sources,
        &mut diagnostics,
    )?;
    let documents = assembled.documents;
    let no_yaml = assembled.files.is_empty();
    if let Some(several) = several_configurations(path, &documents, &sources) {
        // One tenant per directory: a root holding several would otherwise report every
        // name of one configuration as a duplicate of the other's.
        return Ok(Loaded {
            state: None,
            diagnostics: vec![several],
            sources: Arc::new(sources),
        });
    }
    let tenant_count = documents.tenants.len();
    let mut lowered = lower::lower(documents, &sources, &mut diagnostics);
    if let Some(tenant) = &mut lowered.tenant {
        tenant.include = assembled.included;
    }
    if tenant_count == 0 {
        let span = sources
            .files()
            .next()
            .map_or(Span::point(FileId(0), 0), |(id, _)| Span::point(id, 0));
        if sources.files().next().is_none() {
            // No file at all: register the directory so the diagnostic has somewhere to point.
            sources.add_unloaded(
                path.to_owned(),
                load::display_name(path),
                span::SourceKind::Yaml,
                Vec::new(),
            );
        }
        let (message, help) = if no_yaml {
            (
                format!("no YAML files found under `{}`", path.display()),
                "hangar reads every `*.yaml` and `*.yml` file under the directory (subdirectories too): point it at a configuration, e.g. `hangar validate policies/commercial`, or add a `kind: Tenant` document".to_owned(),
            )
        } else {
            (
                format!("no `Tenant` document under `{}`", path.display()),
                rules::TENANT_MISSING.fix.to_owned(),
            )
        };
        diagnostics.push(Diagnostic::new(&rules::TENANT_MISSING, span, message).with_help(help));
    }
    let devices = devices::read_all(
        &lowered.device_lists,
        &root,
        limits,
        &mut sources,
        &mut diagnostics,
    );

    let sources = Arc::new(sources);
    let tenant = lowered.tenant.take().unwrap_or_else(|| placeholder_tenant(path));
    let state = DesiredState {
        tenant,
        groups: lowered.groups,
        profiles: lowered.profiles,
        esps: lowered.esps,
        device_preparation: lowered.device_preparation,
        domain_joins: lowered.domain_joins,
        restrictions: lowered.restrictions,
        device_lists: lowered.device_lists,
        devices,
        sources: Arc::clone(&sources),
    };
    checks::run(&state, &mut diagnostics);
    strings::check(&state, &mut diagnostics);

    diagnostics.sort_by(|a, b| {
        (a.span.file, a.span.start, a.severity, a.rule).cmp(&(b.span.file, b.span.start, b.severity, b.rule))
    });
    diagnostics.dedup();
    let failed = diagnostics.iter().any(Diagnostic::is_error) || tenant_count == 0;
    Ok(Loaded {
        state: (!failed).then_some(state),
        diagnostics,
        sources,
    })
}

/// A root holding several configurations (`Tenant` documents in different directories): one
/// diagnostic that lists them, instead of every duplicate name between them.
fn several_configurations(
    root: &Path,
    documents: &load::Documents,
    sources: &SourceMap,
) -> Option<Diagnostic> {
    let mut configurations: Vec<(PathBuf, &str, Span)> = Vec::new();
    for tenant in &documents.tenants {
        let file = sources.file(tenant.at.file);
        let dir = file.path.parent().map(Path::to_owned).unwrap_or_default();
        if !configurations.iter().any(|(known, _, _)| *known == dir) {
            let span = tenant.at.of(&tenant.body.kind);
            configurations.push((dir, tenant.body.name.value().as_str(), span));
        }
    }
    if configurations.len() < 2 {
        return None;
    }
    let list: Vec<String> = configurations
        .iter()
        .map(|(dir, name, _)| format!("`{}` (tenant `{name}`)", load::display_name(dir)))
        .collect();
    let first = load::display_name(&configurations[0].0);
    let mut diagnostic = Diagnostic::new(
        &rules::TENANT_DUPLICATE,
        configurations[0].2,
        format!(
            "`{}` holds {} configurations, one per `Tenant` document: {}",
            root.display(),
            configurations.len(),
            list.join(", ")
        ),
    )
    .with_help(format!(
        "hangar works on one configuration (one tenant) at a time: run it on each directory, e.g. `hangar validate {first}`"
    ));
    for (_, name, span) in &configurations[1..] {
        diagnostic = diagnostic.with_label(*span, format!("tenant `{name}`"));
    }
    Some(diagnostic)
}

/// Stands in for a missing tenant so that the other rules still run; the state is not
/// returned (a missing tenant is an error).
fn placeholder_tenant(path: &Path) -> Tenant {
    let span = Span::point(FileId(0), 0);
    Tenant {
        name: Spanned::new(path.display().to_string(), span),
        cloud: Spanned::new(hangar_model::Cloud::Commercial, span),
        tenant_id: Spanned::new(String::new(), span),
        prune: Prune {
            enabled: Spanned::new(false, span),
            only: Vec::new(),
            max_deletes: Spanned::new(0, span),
        },
        include: Vec::new(),
        document: span,
    }
}
