//! Shared vocabulary of hangar.
//!
//! This crate holds the small set of types that every other hangar crate agrees on:
//!
//! - [`Cloud`]: the Microsoft cloud a tenant lives in, with the table of hosts and scopes
//!   (see [`cloud`]);
//! - [`Kind`]: the resource kinds hangar manages;
//! - [`well_known`]: identifiers fixed by Microsoft (the Intune Provisioning Client app id,
//!   Device Preparation template and setting ids);
//! - [`assignment`]: [`LiveAssignment`], a live assignment parsed once where it is read;
//! - [`live`]: [`LiveState`], the snapshot of a tenant that `hangar-graph` reads and
//!   `hangar-plan` diffs against;
//! - [`audit`]: change events from the tenant's audit logs (who changed an object, when);
//! - [`plural`]: counts worded for people (`1 device`, `2 devices`);
//! - [`text`]: control characters, and how text from a file or the tenant is shown safely;
//! - [`device_preparation`]: the tenant's Device Preparation templates and setting definitions
//!   (part of [`LiveState`]), and the lookup of choice values by meaning that planning and
//!   `hangar import` share.
//!
//! It does no IO and knows nothing about YAML or HTTP. Its one error type,
//! [`device_preparation::CatalogError`], says why the tenant's definitions cannot give a value.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod assignment;
pub mod audit;
pub mod cloud;
pub mod device_preparation;
pub mod kind;
pub mod live;
pub mod plural;
pub mod text;
pub mod well_known;

pub use assignment::{AssignmentSource, FilterMode, LiveAssignment, LiveFilter, LiveTarget};
pub use cloud::Cloud;
pub use kind::Kind;
pub use live::{AssignmentFilter, LiveDevice, LiveObject, LiveState, ReferenceKind, Referenced};
