//! `hangar validate`: load a configuration directory and report every problem.

use std::path::PathBuf;

use hangar_config::snippet::{NoSnippet, Secrets};
use hangar_config::{Diagnostic, Loaded, Severity, SourceMap};
use hangar_model::plural::count;
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::Serialize;

use crate::exit::Exit;

/// Arguments of `hangar validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,

    /// Output format: `text` (diagnostics with snippets, on stderr) or `json` (an array of
    /// `{rule, severity, file, line, column, message, help}` on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For machines.
    Json,
}

/// Runs `hangar validate`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let loaded = load(&args.dir)?;
    match args.format {
        Format::Text => {
            print_text(&loaded);
            eprintln!("{}", summary(&loaded, &args.dir));
        }
        Format::Json => print_json(&loaded)?,
    }
    let (errors, warnings) = loaded.counts();
    Ok(if errors > 0 || (args.strict && warnings > 0) {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// The repository root `include:` entries must stay inside (`--root`), set once by `main`
/// for every command that loads a configuration.
static REPOSITORY_ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Records `--root` (call once, before any command runs).
pub(crate) fn set_repository_root(root: Option<PathBuf>) {
    let _ = REPOSITORY_ROOT.set(root);
}

/// How every command loads a configuration: the default limits and `--root`.
pub(crate) fn load_options() -> hangar_config::LoadOptions {
    hangar_config::LoadOptions {
        limits: hangar_config::Limits::default(),
        root: REPOSITORY_ROOT.get().cloned().flatten(),
    }
}

/// Loads a directory (and the bases it includes), turning an unreadable root into a report.
pub(crate) fn load(dir: &std::path::Path) -> miette::Result<Loaded> {
    use miette::{IntoDiagnostic, WrapErr};
    hangar_config::load_from(dir, &load_options())
        .into_diagnostic()
        .wrap_err("cannot validate")
}

/// Lists the configurations under `dir` (`hangar tenants`).
pub(crate) fn list_tenants(dir: &std::path::Path) -> miette::Result<hangar_config::tenants::Listing> {
    use miette::{IntoDiagnostic, WrapErr};
    hangar_config::tenants::list(dir, &load_options())
        .into_diagnostic()
        .wrap_err("cannot list the configurations")
}

/// Prints every diagnostic to stderr with its snippet.
pub(crate) fn print_text(loaded: &Loaded) {
    for diagnostic in &loaded.diagnostics {
        eprintln!("{:?}", report(diagnostic, &loaded.sources));
    }
}

/// One line: how many errors and warnings, or that all is well.
pub(crate) fn summary(loaded: &Loaded, dir: &std::path::Path) -> String {
    let (errors, warnings) = loaded.counts();
    match &loaded.state {
        Some(state) if warnings == 0 => format!(
            "{}: valid ({}, {})",
            dir.display(),
            count(state.objects().count(), "object", "objects"),
            count(state.devices.len(), "device", "devices")
        ),
        _ => format!(
            "{}: {}, {}",
            dir.display(),
            count(errors, "error", "errors"),
            count(warnings, "warning", "warnings")
        ),
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'static str,
    severity: &'static str,
    file: String,
    line: u32,
    column: u32,
    message: &'a str,
    help: Option<&'a str>,
}

fn print_json(loaded: &Loaded) -> miette::Result<()> {
    let items: Vec<JsonDiagnostic<'_>> = loaded
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let location = loaded.sources.location(diagnostic.span);
            JsonDiagnostic {
                rule: diagnostic.rule,
                severity: diagnostic.severity.name(),
                file: location.file,
                line: location.line,
                column: location.column,
                message: &diagnostic.message,
                help: diagnostic.help.as_deref(),
            }
        })
        .collect();
    let text = serde_json::to_string_pretty(&items).map_err(|error| miette::miette!("{error}"))?;
    write_stdout(&(text + "\n"))
}

/// Writes to stdout, returning a broken pipe as an error (which `exit::finish` treats as
/// success) instead of panicking like `println!`.
pub(crate) fn write_stdout(text: &str) -> miette::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(miette::Report::from_err)
}

/// The values of secret-looking environment variables, read once: no diagnostic prints them.
pub(crate) fn secrets() -> &'static Secrets {
    static SECRETS: std::sync::OnceLock<Secrets> = std::sync::OnceLock::new();
    SECRETS.get_or_init(Secrets::from_environment)
}

/// Text from a file or the tenant, made safe for the terminal: secrets redacted, control
/// characters escaped (line breaks kept: help texts have several lines).
pub(crate) fn safe(text: &str) -> String {
    let redacted = secrets().redact(text);
    hangar_model::text::escape(&redacted, true).into_owned()
}

/// A miette report for one diagnostic: code = rule id, the primary span labelled, secondary
/// labels, help, and a snippet window built by [`SourceMap::snippet`] (CSV included): lines cut
/// around the span, controls made visible, secrets redacted, nothing shown from a file that is
/// not text. Every text is escaped, whoever wrote it.
pub(crate) fn report(diagnostic: &Diagnostic, sources: &SourceMap) -> miette::Report {
    let location = sources.location(diagnostic.span);
    let mut spans = vec![diagnostic.span];
    let mut notes: Vec<Option<&str>> = vec![None];
    for label in &diagnostic.labels {
        spans.push(label.span);
        notes.push(Some(label.message.as_str()));
    }
    let mut message = miette::MietteDiagnostic::new(safe(&diagnostic.message))
        .with_code(diagnostic.rule)
        .with_severity(match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
    let mut help: Vec<String> = diagnostic.help.iter().map(|help| safe(help)).collect();
    let snippet = sources.snippet(&spans, 2, secrets());
    // Labels the snippet cannot draw (another file, or far away) are listed by location.
    for (index, (span, note)) in spans.iter().zip(&notes).enumerate().skip(1) {
        let drawn = snippet
            .as_ref()
            .is_ok_and(|snippet| snippet.spans.get(index).is_some_and(Option::is_some));
        if !drawn {
            help.push(format!(
                "{}: {}",
                sources.location(*span),
                safe(note.unwrap_or_default())
            ));
        }
    }
    let snippet = match snippet {
        Ok(snippet) => snippet,
        Err(reason) => {
            help.push(match reason {
                NoSnippet::NotText => format!("at {location} (not shown: the file is not text)"),
                NoSnippet::Unreadable => format!("at {location}"),
            });
            return miette::Report::new(message.with_help(help.join("\n")));
        }
    };
    if !help.is_empty() {
        message = message.with_help(help.join("\n"));
    }
    let labels = snippet
        .spans
        .iter()
        .zip(&notes)
        .enumerate()
        .filter_map(|(index, (span, note))| {
            let (start, len) = (*span)?;
            Some(if index == 0 {
                miette::LabeledSpan::new_primary_with_span(Some("here".to_owned()), (start, len))
            } else {
                miette::LabeledSpan::new(note.map(safe), start, len)
            })
        })
        .collect::<Vec<_>>();
    let primary_offset = snippet
        .spans
        .first()
        .copied()
        .flatten()
        .map_or(0, |(start, _)| start);
    let message = message.with_labels(labels);
    miette::Report::new(message).with_source_code(Window {
        name: safe(&sources.file(diagnostic.span.file).name),
        text: snippet.text,
        first_line: snippet.first_line as usize,
        primary_offset,
        primary_location: (location.line as usize, location.column as usize),
    })
}

/// A few lines of a file, numbered as in the file. The header's `line:column` is the primary
/// span's real location (the window's lines may be cut).
#[derive(Debug)]
struct Window {
    name: String,
    text: String,
    first_line: usize,
    primary_offset: usize,
    /// 1-based line and column.
    primary_location: (usize, usize),
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let (line, column) = if span.offset() == self.primary_offset
            && context_lines_before == 0
            && context_lines_after == 0
        {
            (
                self.primary_location.0.saturating_sub(1),
                self.primary_location.1.saturating_sub(1),
            )
        } else {
            (inner.line() + self.first_line - 1, inner.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}
