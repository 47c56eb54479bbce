//! `hangar tenants`: list the configurations under a directory (one per `Tenant` document), for
//! a CI matrix or a Kubernetes job. hangar itself plans one tenant per process; this is what
//! fans out.

use std::path::PathBuf;

use hangar_config::tenants::{Configuration, Listing};
use serde::Serialize;

use crate::commands::validate;
use crate::exit::Exit;

/// Version of the `--format json` listing.
const FORMAT_VERSION: u32 = 1;

/// Arguments of `hangar tenants`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to search (a repository with `tenants/<name>/` configurations, or one
    /// configuration).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Output format on stdout: `text` (a table), `json` (`docs/many-tenants.md`) or
    /// `github-matrix` (one line for `strategy.matrix: ${{ fromJSON(…) }}`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How the listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// The versioned listing, for scripts.
    Json,
    /// `{"include": [{name, directory, cloud, tenant_id}, …]}` on one line.
    GithubMatrix,
}

/// Runs `hangar tenants`: exit 0 with the listing, 1 (listing nothing) when the layout has an
/// error.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let listing = validate::list_tenants(&args.dir)?;
    for diagnostic in &listing.diagnostics {
        eprintln!("{:?}", validate::report(diagnostic, &listing.sources));
    }
    if listing.has_errors() {
        let errors = listing.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "{}: {}; no configuration is listed until the layout is fixed",
            args.dir.display(),
            if errors == 1 {
                "1 error".to_owned()
            } else {
                format!("{errors} errors")
            }
        );
        return Ok(Exit::Failure);
    }
    let text = match args.format {
        Format::Text => text(&listing),
        Format::Json => json(&listing)?,
        Format::GithubMatrix => github_matrix(&listing)?,
    };
    validate::write_stdout(&text)?;
    Ok(Exit::Success)
}

fn directory(configuration: &Configuration) -> String {
    configuration.dir.display().to_string()
}

fn text(listing: &Listing) -> String {
    let header = ["NAME", "CLOUD", "TENANT ID", "DIRECTORY", "INCLUDES"];
    let mut rows: Vec<[String; 5]> = vec![header.map(str::to_owned)];
    for configuration in &listing.configurations {
        let includes: Vec<&str> = configuration
            .include
            .iter()
            .map(|include| include.shown.as_str())
            .collect();
        rows.push([
            validate::safe(&configuration.name),
            configuration.cloud.name().to_owned(),
            validate::safe(&configuration.tenant_id),
            validate::safe(&directory(configuration)),
            if includes.is_empty() {
                "-".to_owned()
            } else {
                validate::safe(&includes.join(", "))
            },
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonListing<'a> {
    format_version: u32,
    tenants: Vec<JsonTenant<'a>>,
}

#[derive(Serialize)]
struct JsonTenant<'a> {
    name: &'a str,
    cloud: &'static str,
    tenant_id: &'a str,
    directory: String,
    tenant_file: &'a str,
    include: Vec<JsonInclude<'a>>,
}

#[derive(Serialize)]
struct JsonInclude<'a> {
    directory: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

fn json(listing: &Listing) -> miette::Result<String> {
    let tenants = listing
        .configurations
        .iter()
        .map(|configuration| JsonTenant {
            name: &configuration.name,
            cloud: configuration.cloud.name(),
            tenant_id: &configuration.tenant_id,
            directory: directory(configuration),
            tenant_file: &configuration.tenant_file,
            include: configuration
                .include
                .iter()
                .map(|include| JsonInclude {
                    directory: &include.shown,
                    name: include.name.as_deref(),
                })
                .collect(),
        })
        .collect();
    let text = serde_json::to_string_pretty(&JsonListing {
        format_version: FORMAT_VERSION,
        tenants,
    })
    .map_err(|error| miette::miette!("{error}"))?;
    Ok(text + "\n")
}

#[derive(Serialize)]
struct Matrix<'a> {
    include: Vec<MatrixEntry<'a>>,
}

#[derive(Serialize)]
struct MatrixEntry<'a> {
    name: &'a str,
    directory: String,
    cloud: &'static str,
    tenant_id: &'a str,
}

fn github_matrix(listing: &Listing) -> miette::Result<String> {
    let matrix = Matrix {
        include: listing
            .configurations
            .iter()
            .map(|configuration| MatrixEntry {
                name: &configuration.name,
                directory: directory(configuration),
                cloud: configuration.cloud.name(),
                tenant_id: &configuration.tenant_id,
            })
            .collect(),
    };
    // One line: `echo "matrix=$(hangar tenants --format github-matrix)" >> "$GITHUB_OUTPUT"`.
    let text = serde_json::to_string(&matrix).map_err(|error| miette::miette!("{error}"))?;
    Ok(text + "\n")
}
