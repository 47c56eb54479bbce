//! `hangar tenants`: the configurations under a directory, one per `Tenant` document, for a CI
//! matrix or a Kubernetes job (hangar itself plans one tenant per process).
//!
//! A configuration is the directory of the file holding a `Tenant` document. Listing reads
//! only what says where configurations are and what they include: every YAML document is
//! probed for its `kind:`, and only `Tenant` and `Base` documents are parsed in full (a typo in
//! one tenant's profile is that tenant's `validate` error, not the listing's). The listing
//! fails, and lists nothing, when it could be wrong or when a configuration could not load:
//!
//! - a document that is not valid YAML (it might be a `Tenant`), a `kind:` that is a near miss
//!   of `Tenant` or `Base` (`Tenat`), or a `Tenant` or `Base` document that does not parse
//!   (YAML without `kind:` or of another kind, such as Kubernetes manifests beside the
//!   configurations, is not hangar's and is left alone);
//! - two `Tenant` documents in one configuration (a second file, or a configuration inside
//!   another one);
//! - any `include:` problem ([`crate::include`]): a missing directory, a cycle, a directory
//!   outside the repository root, a base with a `Tenant` or `AutopilotDevices` document.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hangar_model::Cloud;

use crate::diagnostic::Diagnostic;
use crate::files::Root;
use crate::include::{self, IncludedDir};
use crate::load::{self, Documents, Parse};
use crate::rules;
use crate::span::{SourceKind, SourceMap, Span};
use crate::{Error, LoadOptions};

/// One configuration: a directory with a `Tenant` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The directory, as found by the walk, relative to the working directory when it is
    /// under it (what a CI job or a container passes to `hangar plan`).
    pub dir: PathBuf,
    /// The file holding the `Tenant` document, as people see it.
    pub tenant_file: String,
    /// `Tenant.name`.
    pub name: String,
    /// `Tenant.cloud`.
    pub cloud: Cloud,
    /// `Tenant.tenantId`.
    pub tenant_id: String,
    /// The directories it includes, bases of bases too.
    pub include: Vec<IncludedDir>,
}

/// What [`list`] found.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Every configuration, sorted by directory; meaningful only without errors.
    pub configurations: Vec<Configuration>,
    /// Problems with the layout, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, to render the diagnostics.
    pub sources: Arc<SourceMap>,
}

impl Listing {
    /// Whether any diagnostic is an error (then nothing should be run from the listing).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Lists the configurations under `dir`.
pub fn list(dir: &Path, options: &LoadOptions) -> Result<Listing, Error> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let root = Root::of(dir).map_err(|source| Error::Root {
        path: dir.to_owned(),
        source,
    })?;

    // 1. Where the `Tenant` documents are.
    let files = load::yaml_files(dir, &root, &mut sources, &mut diagnostics)?;
    let mut found = Documents::default();
    for file in &files {
        load::load_file(
            file,
            &options.limits,
            Parse::Layout,
            &mut sources,
            &mut found,
            &mut diagnostics,
        );
    }
    // Every file the first walk looked at (read or not), to report each problem once.
    let walked: HashSet<PathBuf> = sources
        .files()
        .map(|(_, file)| include::lexical(&file.path))
        .collect();
    // Configuration directory (resolved) → the directory as walked.
    let mut directories: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for tenant in &found.tenants {
        let file = &sources.file(tenant.at.file).path;
        let Some(parent) = file.parent() else { continue };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(resolved) = std::fs::canonicalize(parent) {
            directories.entry(resolved).or_insert_with(|| parent.to_owned());
        }
    }
    if directories.is_empty() && !diagnostics.iter().any(Diagnostic::is_error) {
        let file = sources.add_unloaded(
            dir.to_owned(),
            load::display_name(dir),
            SourceKind::Yaml,
            Vec::new(),
        );
        diagnostics.push(
            Diagnostic::new(
                &rules::TENANT_MISSING,
                Span::point(file, 0),
                format!("no `Tenant` document under `{}`", dir.display()),
            )
            .with_help("each configuration is a directory with a `kind: Tenant` document; list the directory that holds them"),
        );
    }

    // 2. Each configuration as `plan` would assemble it: its own files and its includes.
    let mut configurations = Vec::new();
    for walked_dir in directories.values() {
        let mut own_diagnostics = Vec::new();
        let config_root = match Root::of(walked_dir) {
            Ok(config_root) => config_root,
            Err(_) => continue,
        };
        let assembled = include::assemble(
            walked_dir,
            &config_root,
            options,
            Parse::Layout,
            &mut sources,
            &mut own_diagnostics,
        )?;
        // Problems in files the first walk read are reported already.
        diagnostics.extend(own_diagnostics.into_iter().filter(|diagnostic| {
            let rule = diagnostic.rule;
            rule.starts_with("include/")
                || rule.starts_with("base/")
                || !walked.contains(&include::lexical(&sources.file(diagnostic.span.file).path))
        }));
        let tenants = &assembled.documents.tenants;
        let Some(first) = tenants.first() else { continue };
        for second in &tenants[1..] {
            diagnostics.push(
                Diagnostic::new(
                    &rules::TENANT_DUPLICATE,
                    second.at.of(&second.body.kind),
                    format!(
                        "a second `Tenant` document in the configuration `{}`: one configuration is one tenant",
                        load::display_name(walked_dir)
                    ),
                )
                .with_label(first.at.whole(), "the first `Tenant` document")
                .with_help("keep one `Tenant` document per configuration directory; a configuration inside another one needs a directory of its own beside it"),
            );
        }
        configurations.push(Configuration {
            dir: PathBuf::from(load::display_name(walked_dir)),
            tenant_file: sources.file(first.at.file).name.clone(),
            name: first.body.name.value().clone(),
            cloud: *first.body.cloud.value(),
            tenant_id: first.body.tenant_id.value().clone(),
            include: assembled.included,
        });
    }
    configurations.sort_by(|a, b| a.dir.cmp(&b.dir));
    diagnostics.sort_by(|a, b| {
        (a.span.file, a.span.start, a.severity, a.rule).cmp(&(b.span.file, b.span.start, b.severity, b.rule))
    });
    diagnostics.dedup();
    Ok(Listing {
        configurations,
        diagnostics,
        sources: Arc::new(sources),
    })
}
