//! `hangar drift`: the same read and comparison as `plan`, worded as how the tenant differs
//! from Git, for a scheduled job. Exit 2 whenever it differs.

use std::path::PathBuf;

use hangar_plan::render::Wording;

use crate::commands::plan::{self, Format, Next};
use crate::exit::Exit;
use crate::tenant::TenantArgs;

/// Arguments of `hangar drift`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Output format on stdout: `text`, `json` (`docs/plan-format.md`) or `markdown`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// Runs `hangar drift`: exit 0 when the tenant matches Git, 2 when it differs, 1 on error.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let plan = match plan::read_and_plan(&args.dir, &args.tenant, Next::Show)? {
        Ok(planned) => planned.into_plan()?.0,
        Err(exit) => return Ok(exit),
    };
    plan::print_plan(&plan, args.format, Wording::Drift)?;
    Ok(if plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
