//! `hangar validate`: load a configuration directory and report every problem.

use std::path::PathBuf;

use hangar_config::{Diagnostic, Loaded, Severity, SourceMap};
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

/// Loads a directory, turning an unreadable root into a report.
pub(crate) fn load(dir: &std::path::Path) -> miette::Result<Loaded> {
    use miette::{IntoDiagnostic, WrapErr};
    hangar_config::load(dir)
        .into_diagnostic()
        .wrap_err("cannot validate")
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
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match &loaded.state {
        Some(state) if warnings == 0 => format!(
            "{}: valid ({} objects, {} devices)",
            dir.display(),
            state.objects().count(),
            state.devices.len()
        ),
        _ => format!(
            "{}: {}, {}",
            dir.display(),
            plural(errors, "error"),
            plural(warnings, "warning")
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

/// A miette report for one diagnostic: code = rule id, the primary span labelled, secondary
/// labels, help, and a snippet window read through the source map (CSV included).
pub(crate) fn report(diagnostic: &Diagnostic, sources: &SourceMap) -> miette::Report {
    let location = sources.location(diagnostic.span);
    let mut spans = vec![(diagnostic.span, None::<&str>)];
    spans.extend(
        diagnostic
            .labels
            .iter()
            .filter(|label| label.span.file == diagnostic.span.file)
            .map(|label| (label.span, Some(label.message.as_str()))),
    );
    let first = spans.iter().map(|(span, _)| span.start).min().unwrap_or(0);
    let last = spans.iter().map(|(span, _)| span.end).max().unwrap_or(0);
    let window = sources.excerpt(hangar_config::Span::new(diagnostic.span.file, first, last), 2);
    let mut message = miette::MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.rule)
        .with_severity(match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
    if let Some(help) = &diagnostic.help {
        message = message.with_help(help.clone());
    }
    let other_files: Vec<String> = diagnostic
        .labels
        .iter()
        .filter(|label| label.span.file != diagnostic.span.file)
        .map(|label| format!("{}: {}", sources.location(label.span), label.message))
        .collect();
    if !other_files.is_empty() {
        let help = message
            .help
            .take()
            .map(|help| format!("{help}\n"))
            .unwrap_or_default();
        message = message.with_help(format!("{help}{}", other_files.join("\n")));
    }
    let Some(window) = window else {
        return miette::Report::new(message.with_help(format!("at {location}")));
    };
    let labels = spans.into_iter().filter_map(|(span, label)| {
        let start = span.start.checked_sub(window.offset)? as usize;
        let len = (span
            .end
            .min(window.offset + window.text.len() as u32)
            .saturating_sub(span.start)) as usize;
        let len = len.min(window.text.len().saturating_sub(start));
        Some(match label {
            Some(text) => miette::LabeledSpan::new(Some(text.to_owned()), start, len),
            None => miette::LabeledSpan::new_primary_with_span(Some("here".to_owned()), (start, len)),
        })
    });
    let message = message.with_labels(labels);
    miette::Report::new(message).with_source_code(Window {
        name: sources.file(diagnostic.span.file).name.clone(),
        text: window.text,
        first_line: window.first_line as usize,
    })
}

/// A few lines of a file, numbered as in the file.
#[derive(Debug)]
struct Window {
    name: String,
    text: String,
    first_line: usize,
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
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}
