//! `hangar schema`: write (or check) the JSON Schemas of the YAML kinds.

use std::path::PathBuf;

use miette::IntoDiagnostic;

use crate::exit::Exit;

/// Arguments of `hangar schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the schemas to.
    #[arg(long, default_value = "schemas")]
    pub out: PathBuf,

    /// Do not write: fail (exit 1) if a file in `--out` differs from what would be written.
    #[arg(long)]
    pub check: bool,
}

/// Runs `hangar schema`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let mut stale = Vec::new();
    if !args.check {
        std::fs::create_dir_all(&args.out)
            .into_diagnostic()
            .map_err(|error| error.wrap_err(format!("cannot create `{}`", args.out.display())))?;
    }
    for (name, schema) in hangar_config::schema::schemas() {
        let text = serde_json::to_string_pretty(&schema).into_diagnostic()? + "\n";
        let path = args.out.join(&name);
        if args.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path);
            }
        } else {
            std::fs::write(&path, text)
                .into_diagnostic()
                .map_err(|error| error.wrap_err(format!("cannot write `{}`", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        return Ok(Exit::Success);
    }
    for path in &stale {
        eprintln!("stale: {}", path.display());
    }
    eprintln!("run `hangar schema --out {}` to update", args.out.display());
    Ok(Exit::Failure)
}
