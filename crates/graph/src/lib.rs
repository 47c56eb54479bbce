//! Microsoft Graph for hangar: the only code that talks to Microsoft.
//!
//! What it does:
//!
//! - **Clouds** ([`endpoint`]): hosts and scopes come from [`hangar_model::Cloud`]; an explicit
//!   endpoint override points sign-in and Graph at a simulator while the cloud still decides the
//!   token scope. Every URL, followed `@odata.nextLink`s included, is checked against the cloud
//!   (or the override) before it is sent; a violation is an error, never a request.
//! - **Credentials** ([`credential`]): client secret, certificate (PEM/PFX, RS256 assertion with
//!   `x5t`), workload-identity token file, GitHub Actions OIDC, or a pre-acquired token, chosen
//!   from the Azure SDK environment variables; tokens cached and refreshed before expiry.
//!   Secrets are [`Secret`]s and never reach a log, an error or `Debug` output.
//! - **Requests as values** ([`request`], [`resources`]): every operation hangar performs is a
//!   [`GraphRequest`] built without IO, exactly as `graph-api-notes.md` describes it (beta where
//!   v1.0 lacks the surface, `@odata.type` on writes, read-only and create-only fields stripped
//!   from PATCH, `priority` only via `setPriority`, PUT for Device Preparation).
//! - **Sending** ([`http`]): `client-request-id` on every request, a client-side [`rate_limit`]
//!   that knows the documented budgets, [`retry`] of 429/503/504 honouring `Retry-After`, and
//!   [`Error::OutcomeUnknown`] instead of a blind retry when a create's answer is lost.
//! - **Reading** ([`paging`], [`batch`], [`live`]): `@odata.nextLink` followed verbatim (a
//!   repeated link is an error), `$batch` of up to 20 with per-item status and inner retries,
//!   independent collections read concurrently, and [`read_live_state`] producing the
//!   [`hangar_model::LiveState`] the planner consumes.
//!
//! What it does not do: decide what to change (that is `hangar-plan`), order or resolve
//! actions and unknown outcomes (that is `hangar-apply`), read configuration files, or print.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod batch;
pub mod credential;
pub mod decode;
pub mod endpoint;
mod error;
pub mod http;
pub mod live;
pub mod paging;
pub mod permissions;
pub mod rate_limit;
pub mod request;
pub mod resources;
pub mod retry;
mod secret;

pub use credential::{Credential, CredentialError, TokenClaims, TokenKind};
pub use endpoint::{ApiVersion, ENDPOINT_ENV, Endpoint};
pub use error::{ApiError, DecodeError, Error, parse_error_body};
pub use http::{ClientOptions, GraphClient, Response};
pub use live::{ReadScope, read_live_state};
pub use request::GraphRequest;
pub use secret::Secret;
