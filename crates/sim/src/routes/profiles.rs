//! Stub.
use super::Ctx;
use crate::reply::{GraphError, Outcome};
pub(crate) fn profiles(_ctx: &mut Ctx<'_>, _rest: &[&str]) -> Outcome {
    Err(GraphError::bad_request("todo"))
}
