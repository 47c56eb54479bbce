//! `hangar explain-error CODE`: what an Autopilot, enrollment, hybrid join or import error code
//! means, why it happens, what to do, what in hangar's configuration prevents it, and the
//! Microsoft pages that say so. Offline: the table is compiled in
//! (`hangar_config::error_codes`). Exit 0 for a known code, 1 for an unknown or malformed one.

use std::fmt::Write;

use hangar_config::error_codes::{self, CODES, ErrorCode};
use serde::Serialize;

use crate::commands::validate::{self, Format};
use crate::exit::Exit;

/// Arguments of `hangar explain-error`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The code as shown: `0x80180014`, `80180014`, `-2145910764`, `806`, or a name such as
    /// `MENROLL_E_DEVICENOTSUPPORTED`.
    #[arg(
        value_name = "CODE",
        required_unless_present = "list",
        allow_hyphen_values = true
    )]
    pub code: Option<String>,

    /// List every code hangar knows instead.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,

    /// Output format: `text` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    code: String,
    value: u32,
    known: bool,
    name: Option<&'a str>,
    area: &'a str,
    meaning: &'a str,
    causes: &'a [&'a str],
    fixes: &'a [&'a str],
    prevention: Vec<JsonPrevention<'a>>,
    guide: Option<&'a str>,
    sources: Vec<JsonSource<'a>>,
}

#[derive(Serialize)]
struct JsonPrevention<'a> {
    field: &'a str,
    rule: Option<&'a str>,
    how: &'a str,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonUnknown {
    code: String,
    value: u32,
    known: bool,
    facility: Option<u32>,
    win32_error: Option<u32>,
}

/// Runs `hangar explain-error`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    if args.list {
        let out = match args.format {
            Format::Text => list_text(),
            Format::Json => json(&CODES.iter().map(to_json).collect::<Vec<_>>())?,
        };
        validate::write_stdout(&out)?;
        return Ok(Exit::Success);
    }
    let input = args.code.unwrap_or_default();
    let found = error_codes::lookup(&input).map_err(|error| {
        miette::miette!(
            help = "for example `hangar explain-error 0x80180014`; `hangar explain-error --list` shows every code hangar knows",
            "{error}"
        )
    })?;
    match (found, args.format) {
        (Some(entry), Format::Text) => {
            validate::write_stdout(&text(entry))?;
            Ok(Exit::Success)
        }
        (Some(entry), Format::Json) => {
            validate::write_stdout(&json(&to_json(entry))?)?;
            Ok(Exit::Success)
        }
        (None, format) => {
            let code = error_codes::parse_code(&input).map_err(|error| miette::miette!("{error}"))?;
            let (failure, facility, low) = error_codes::hresult_parts(code);
            let hresult = failure || code > 0xffff;
            if format == Format::Json {
                validate::write_stdout(&json(&JsonUnknown {
                    code: shown(code),
                    value: code,
                    known: false,
                    facility: hresult.then_some(facility),
                    win32_error: (hresult && facility == 7).then_some(low),
                })?)?;
            }
            eprintln!("{}", unknown(code));
            Ok(Exit::Failure)
        }
    }
}

fn shown(code: u32) -> String {
    if code > 0xffff {
        format!("0x{code:08x}")
    } else {
        code.to_string()
    }
}

/// What hangar can say about a code it has no entry for: its HRESULT parts, and known codes of
/// the same facility.
fn unknown(code: u32) -> String {
    let mut out = format!(
        "hangar has no entry for {}: it knows Autopilot, enrollment, hybrid join and import codes from Microsoft's troubleshooting pages (`hangar explain-error --list`).",
        shown(code)
    );
    let (failure, facility, low) = error_codes::hresult_parts(code);
    if failure {
        let _ = write!(out, "\nAs an HRESULT it is a failure of facility {facility}");
        if facility == 7 {
            let _ = write!(
                out,
                " (FACILITY_WIN32): Windows error {low}, which `net helpmsg {low}` describes on Windows"
            );
        }
        out.push('.');
        if facility == 7 {
            // Win32 errors share one facility: neighbours there say nothing.
            return out;
        }
        let neighbours: Vec<String> = error_codes::same_facility(code)
            .take(8)
            .map(ErrorCode::display)
            .collect();
        if !neighbours.is_empty() {
            let _ = write!(
                out,
                "\nKnown codes of the same facility: {}.",
                neighbours.join(", ")
            );
        }
    }
    out
}

fn text(entry: &ErrorCode) -> String {
    let mut out = String::new();
    let name = entry.name.map(|name| format!("  {name}")).unwrap_or_default();
    let _ = writeln!(out, "{}{name}  ({})", entry.display(), entry.area.describe());
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", sentence(entry.meaning));
    let section = |out: &mut String, title: &str, items: &[&str]| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title}:");
        for item in items {
            let _ = writeln!(out, "  - {}", sentence(item));
        }
    };
    section(&mut out, "Causes", entry.causes);
    section(&mut out, "What to do", entry.fixes);
    if !entry.prevention.is_empty() {
        let _ = writeln!(out, "\nIn hangar's configuration:");
        for prevention in entry.prevention {
            let rule = prevention
                .rule
                .map(|rule| format!(" (rule `{}`)", rule.id))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  - {}{rule}: {}",
                prevention.field,
                sentence(prevention.how)
            );
        }
    }
    if let Some(guide) = entry.guide {
        let stop = if guide.ends_with('.') { "" } else { "." };
        let _ = writeln!(out, "\nThe provisioning guide {guide}{stop}");
    }
    let _ = writeln!(out, "\nSources:");
    for source in entry.sources {
        let _ = writeln!(out, "  - {}: {}", source.title, source.url);
    }
    out
}

/// A table row text as a sentence: a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn list_text() -> String {
    let mut out = String::new();
    for entry in CODES {
        let name = entry.name.unwrap_or("");
        let _ = writeln!(
            out,
            "{:<12} {:<16} {:<44} {}",
            entry.display(),
            entry.area.name(),
            name,
            first_clause(entry.meaning)
        );
    }
    out
}

/// The meaning up to its first `;` or `:`, for one-line listings.
fn first_clause(text: &str) -> &str {
    text.split([';', ':']).next().unwrap_or(text).trim()
}

fn to_json(entry: &ErrorCode) -> JsonEntry<'_> {
    JsonEntry {
        code: entry.display(),
        value: entry.code,
        known: true,
        name: entry.name,
        area: entry.area.name(),
        meaning: entry.meaning,
        causes: entry.causes,
        fixes: entry.fixes,
        prevention: entry
            .prevention
            .iter()
            .map(|prevention| JsonPrevention {
                field: prevention.field,
                rule: prevention.rule.map(|rule| rule.id),
                how: prevention.how,
            })
            .collect(),
        guide: entry.guide,
        sources: entry
            .sources
            .iter()
            .map(|source| JsonSource {
                title: source.title,
                url: source.url,
            })
            .collect(),
    }
}

fn json<T: Serialize>(value: &T) -> miette::Result<String> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|error| miette::miette!("{error}"))
}
