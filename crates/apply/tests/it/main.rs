//! hangar-apply against the simulator over real HTTP: the end-to-end scenario in every cloud
//! mode, faults, stale plans, guardrails and the convergence property test.

mod convergence;
mod faults;
mod guardrails;
mod scenario;
mod support;
