//! The crate's one error enum.

use std::path::PathBuf;

/// What can go wrong when starting, configuring or persisting the simulator.
///
/// Request-level problems (bad tokens, bad bodies, unknown objects) are not errors of the
/// simulator: they are Graph-style HTTP responses.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file (state, config, certificate) could not be read or written.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// `read`, `write`, `rename`, …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The state file is not a simulator state.
    #[error("`{}` is not a simulator state file: {message}; move it away to start from a fresh tenant", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// The parser's complaint, with line and column.
        message: String,
    },
    /// The config file is not valid.
    #[error("invalid simulator config `{}`: {message}", path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The parser's complaint, with line and column.
        message: String,
    },
    /// A config value is out of range or inconsistent.
    #[error("invalid simulator config: {0}")]
    Config(String),
    /// A certificate in the config could not be used to verify signatures.
    #[error("certificate for client `{client_id}` is unusable: {message}")]
    Certificate {
        /// The client it was registered for.
        client_id: String,
        /// Why it cannot be used.
        message: String,
    },
    /// The state file belongs to another cloud than the one asked for.
    #[error(
        "the state file is a `{state}` tenant but the simulator was asked for `{config}`; drop `--cloud` or use another state file"
    )]
    CloudMismatch {
        /// Cloud recorded in the state file.
        state: String,
        /// Cloud in the config.
        config: String,
    },
    /// The background runtime could not be started.
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(std::io::Error),
    /// The server task stopped before it reported its address.
    #[error("the simulator stopped while starting")]
    Startup,
}
