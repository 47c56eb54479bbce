//! Exit codes, as terraform defines them and CI pipelines expect.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; for `plan --detailed-exitcode` and `drift`: nothing to do |
//! | 1 | error (bad input, failed request, failed action) |
//! | 2 | changes present (`plan --detailed-exitcode`, `drift`); findings (`doctor`) |

use std::io::ErrorKind;
use std::process::ExitCode;

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Success,
    /// Exit 1 without an error report: the command already printed why (for example
    /// `validate` found errors and printed them).
    Failure,
    /// Exit 2: changes are present (`doctor`: findings).
    Changes,
}

/// Turns a command's result into the process exit code, printing the error report if any.
pub fn finish(result: miette::Result<Exit>) -> ExitCode {
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Failure) => ExitCode::from(1),
        Ok(Exit::Changes) => ExitCode::from(2),
        Err(report) => {
            // A closed pipe (`hangar plan | head`) is not an error.
            if is_broken_pipe(&report) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(report: &miette::Report) -> bool {
    report.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}
