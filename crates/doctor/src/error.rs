//! The one error type of this crate.

use std::path::PathBuf;

/// What stops doctor. Everything else is a finding.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token could be had (the credential, or the sign-in service refused it).
    #[error("cannot sign in")]
    SignIn(#[source] Box<hangar_graph::Error>),

    /// A tenant read failed in a way that is not an answer (sign-in, network, a 5xx after
    /// retries, an incomplete page chain).
    #[error("cannot read {what}")]
    Read {
        /// What was being read.
        what: &'static str,
        /// Graph's error (boxed: it is large, and this enum travels in every `Result`).
        #[source]
        source: Box<hangar_graph::Error>,
    },

    /// The `dsregcmd /status` file cannot be used.
    #[error("{path}: {problem}")]
    Dsregcmd {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: crate::dsregcmd::Problem,
    },

    /// The device a `dsregcmd /status` output comes from cannot be told.
    #[error("{0}")]
    UnknownDevice(String),
}

impl Error {
    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            Error::SignIn(_) | Error::Read { .. } => None,
            Error::Dsregcmd { problem, .. } => Some(problem.help().to_owned()),
            Error::UnknownDevice(_) => Some(
                "`dsregcmd /status` does not print the serial number: pass `--serial SERIAL` (on the device: `(Get-CimInstance Win32_BIOS).SerialNumber`), or `--tag TAG` for the group tag it was registered with".to_owned(),
            ),
        }
    }
}
