//! Integration tests of the planner: pure, against hand-built and converged live states.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failed test

mod device_preparation;
mod lived_in;
mod normalization;
mod planner;
mod render;
mod support;
mod surface;
