//! Stage 4: the rules that look at the whole state.

use crate::diagnostic::Diagnostic;
use crate::model::DesiredState;

/// Runs every check over the lowered state.
pub(crate) fn run(_state: &DesiredState, _diagnostics: &mut Vec<Diagnostic>) {}
