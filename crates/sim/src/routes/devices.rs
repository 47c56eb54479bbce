//! Stub.
use super::Ctx;
use crate::config::SimConfig;
use crate::reply::{GraphError, Outcome};
use crate::state::SimState;
pub(crate) fn tick(_state: &mut SimState, _config: &SimConfig, _now: i64) {}
pub(crate) fn imported(_ctx: &mut Ctx<'_>, _rest: &[&str]) -> Outcome {
    Err(GraphError::bad_request("todo"))
}
pub(crate) fn registered(_ctx: &mut Ctx<'_>, _rest: &[&str]) -> Outcome {
    Err(GraphError::bad_request("todo"))
}
pub(crate) fn settings(_ctx: &mut Ctx<'_>, _rest: &[&str]) -> Outcome {
    Err(GraphError::bad_request("todo"))
}
