//! `hangar completions SHELL`: the shell completion script, generated from the CLI definition.

use clap::CommandFactory;
use clap_complete::Shell;
use miette::IntoDiagnostic;

use crate::exit::Exit;

/// Arguments of `hangar completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install:
  bash        hangar completions bash > ~/.local/share/bash-completion/completions/hangar
  zsh         hangar completions zsh > \"${fpath[1]}/_hangar\"
  fish        hangar completions fish > ~/.config/fish/completions/hangar.fish
  powershell  hangar completions powershell | Out-String | Invoke-Expression   (add to $PROFILE)")]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Runs `hangar completions`: the script goes to stdout.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::Cli::command(), "hangar", &mut script);
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, &script).into_diagnostic()?;
    Ok(Exit::Success)
}
