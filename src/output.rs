//! Output settings shared by every command: colour, and the terminal check.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// The `--color` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the user's colour choice and configures miette's report handler to match.
pub fn init(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
    let color = stderr_color();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .context_lines(2)
                .build(),
        )
    }));
}

fn wants_color(is_terminal: bool) -> bool {
    match CHOICE.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Whether to colour what goes to stdout.
pub fn stdout_color() -> bool {
    wants_color(std::io::stdout().is_terminal())
}

/// Whether to colour what goes to stderr.
pub fn stderr_color() -> bool {
    wants_color(std::io::stderr().is_terminal())
}

/// Whether stdin and stderr are a terminal a person can answer a prompt on.
#[allow(dead_code)] // used by `apply`'s confirmation prompt
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
