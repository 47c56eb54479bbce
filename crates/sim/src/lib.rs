//! A Graph-compatible tenant simulator for hangar's tests, benchmarks and local tenant.
//!
//! [`Sim`] is a real HTTP server (axum on tokio, `127.0.0.1`, an ephemeral port by default)
//! that behaves like the part of Entra sign-in and Microsoft Graph that hangar uses, closely
//! enough that code which passes against it works against Graph:
//!
//! - **sign-in**: `POST {url}/{tenant}/oauth2/v2.0/token`, client credentials with a secret, a
//!   certificate-signed assertion (RS256, `x5t`) or a federated assertion; the scope must be the
//!   simulated cloud's Graph `.default`;
//! - **Graph** under `{url}/v1.0/…` and `{url}/beta/…`: groups and owners, service principals,
//!   Autopilot profiles and assignments, enrollment configurations (ESP, restrictions, limits)
//!   with `assign` and `setPriority`, domain join profiles, Device Preparation policies and
//!   their policy templates with setting definitions (options defined by meaning, numbered in
//!   either order: [`DppOptionOrder`]), imported and registered Autopilot devices, Autopilot settings and `sync`, and `$batch`;
//! - Graph's **behaviour**: paging with `@odata.nextLink` and Graph's page sizes, `$top`,
//!   `$select`, `$filter` and `$expand` where Graph supports them, `@odata.type`, status codes,
//!   error JSON with `request-id`, Intune's JSON-inside-`message` errors and the validation
//!   failures hangar must handle;
//! - **realism knobs** ([`SimConfig`]): latency, throttling with the documented budgets on a
//!   scalable clock, seeded faults (5xx, 429, a write that commits and then drops its
//!   response), group replication delay, asynchronous imports, known service bugs;
//! - what `hangar doctor` reads outside hangar's configuration ([`tenant_settings`]): the MDM
//!   policies (delegated tokens only), the device registration policy, subscribed SKUs and the
//!   Intune Connectors for Active Directory, with the permission checks Microsoft documents for
//!   them, and profile assignment status following group tags;
//! - a **request log** ([`Sim::request_log`], `GET /_sim/log`) and the typed **state**
//!   ([`Sim::state`], [`Sim::with_state`]), saved atomically to a JSON file.
//!
//! The route table, behaviours, knobs and config file format are in `docs/simulator.md`.
//!
//! What it does **not** do: users, devices' actual membership evaluation, app catalogs,
//! Intune objects hangar does not manage, delegated (user) tokens, OData beyond the subset
//! hangar uses, and any network access: it never talks to Microsoft. It does not reuse
//! `hangar-graph`'s types: it speaks JSON on its own terms, so a serde mistake in the client
//! cannot be mirrored here and hidden.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod auth;
mod batch;
pub mod clock;
mod config;
mod error;
mod faults;
mod odata;
mod paging;
mod permissions;
mod profile_status;
mod reply;
mod routes;
mod schema;
mod server;
mod state;
pub mod tenant_settings;
mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use crate::config::{
    ClientRegistration, DEFAULT_APP_ROLES, FaultKind, FaultRule, FederatedCredential, Latency, MethodClass,
    Quirks, SimCloud, SimConfig, Throttling,
};
pub use crate::error::SimError;
pub use crate::routes::references::{APP_TYPES, SAMPLE_APPS, SAMPLE_SCOPE_TAGS, SAMPLE_SCRIPTS};
pub use crate::routes::templates::{
    DppOptionOrder, PolicyTemplate, SettingOption, SettingShape, SettingTemplate,
    device_preparation_templates,
};
pub use crate::server::RequestRecord;
pub use crate::state::{
    ALL_DEVICES_VIRTUAL_GROUP, ALL_USERS_VIRTUAL_GROUP, Assignment, AuditLog, AuditRecord, AutopilotDevice,
    AutopilotSettings, ConfigurationPolicy, DeviceSeed, DirectoryObject, Group, GroupMembership,
    INTUNE_PROVISIONING_CLIENT_APP_ID, ImportedDevice, IntuneObject, MICROSOFT_GRAPH_APP_ID, SimState,
};

use crate::clock::SimClock;
use crate::server::{Shared, router, serve};

/// A running simulator. Dropping it shuts the server down.
#[derive(Debug)]
pub struct Sim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn prepare(config: SimConfig) -> Result<Arc<Shared>, SimError> {
    config.check()?;
    let state = match &config.state_file {
        Some(path) if path.exists() => {
            let state = SimState::load(path)?;
            if state.cloud != config.cloud {
                return Err(SimError::CloudMismatch {
                    state: state.cloud.to_string(),
                    config: config.cloud.to_string(),
                });
            }
            state
        }
        _ => {
            let mut state = SimState::fresh(
                config.cloud,
                config.tenant_id.as_deref(),
                config.seed,
                clock::wall_clock_ms(),
            );
            if config.sample_catalog {
                routes::references::add_sample_catalog(&mut state);
            }
            state
        }
    };
    let clock = SimClock::new(Some(state.clock_ms), config.clock_scale);
    let shared = Arc::new(Shared::new(config, state, clock)?);
    if let Some(path) = &shared.config.state_file
        && !path.exists()
    {
        save_shared(&shared)?;
    }
    Ok(shared)
}

pub(crate) fn save_shared(shared: &Shared) -> Result<(), SimError> {
    let Some(path) = &shared.config.state_file else {
        return Ok(());
    };
    let now = shared.clock.now_ms();
    let mut state = shared.state.lock();
    state.clock_ms = state.clock_ms.max(now);
    routes::devices::tick(&mut state, &shared.config, now);
    state.save(path)
}

impl Sim {
    /// Starts on the caller's tokio runtime, on `127.0.0.1` with an ephemeral port.
    pub async fn start(config: SimConfig) -> Result<Sim, SimError> {
        Sim::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on the caller's tokio runtime, listening on `addr`.
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> Result<Sim, SimError> {
        let shared = prepare(config)?;
        let listener = TcpListener::bind(addr).await.map_err(|source| SimError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(serve(listener, router(shared.clone()), receiver));
        Ok(Sim {
            shared,
            addr,
            shutdown,
            task: Some(task),
            thread: None,
        })
    }

    /// Starts on its own runtime thread (for synchronous tests, benchmarks and the CLI's local
    /// tenant), on `127.0.0.1` with an ephemeral port.
    pub fn start_background(config: SimConfig) -> Result<Sim, SimError> {
        Sim::start_background_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts on its own runtime thread, listening on `addr`.
    pub fn start_background_on(config: SimConfig, addr: SocketAddr) -> Result<Sim, SimError> {
        let shared = prepare(config)?;
        let (shutdown, receiver) = watch::channel(false);
        let (ready, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, SimError>>();
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name("hangar-sim".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(SimError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let bound = match TcpListener::bind(addr).await {
                        Ok(listener) => listener.local_addr().map(|a| (listener, a)),
                        Err(e) => Err(e),
                    };
                    match bound {
                        Ok((listener, local)) => {
                            let _ = ready.send(Ok(local));
                            serve(listener, app, receiver).await;
                        }
                        Err(source) => {
                            let _ = ready.send(Err(SimError::Bind {
                                addr: addr.to_string(),
                                source,
                            }));
                        }
                    }
                });
            })
            .map_err(SimError::Runtime)?;
        let addr = ready_rx.recv().map_err(|_| SimError::Startup)??;
        Ok(Sim {
            shared,
            addr,
            shutdown,
            task: None,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`. Sign-in is at `{url}/{tenant}/oauth2/v2.0/token`, Graph at
    /// `{url}/v1.0/…` and `{url}/beta/…`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The tenant id (sign-in path segment).
    pub fn tenant_id(&self) -> String {
        self.shared.state.lock().tenant_id.clone()
    }

    /// The simulated cloud.
    pub fn cloud(&self) -> SimCloud {
        self.shared.config.cloud
    }

    /// `{url}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.url(), self.tenant_id())
    }

    /// The config the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Issues an access token for `client_id` without an HTTP round trip (for tests that are
    /// not about sign-in).
    pub fn issue_token(&self, client_id: &str) -> String {
        let now = self.shared.clock.now_ms();
        let scope = self.shared.config.cloud.scope();
        let tenant = self.tenant_id();
        let form = format!(
            "grant_type=client_credentials&client_id={client_id}&scope={}",
            scope.replace(':', "%3A").replace('/', "%2F")
        );
        let mut authority = self.shared.authority.lock();
        let body = authority.token_unchecked(&tenant, client_id, &form, now, self.shared.clock.scale());
        body.get("access_token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// A delegated access token for `user` with these Graph scopes, as a signed-in admin would
    /// get from `az account get-access-token` (the simulator has no interactive sign-in). Pass
    /// it to hangar as `HANGAR_ACCESS_TOKEN`.
    pub fn issue_delegated_token(&self, user: &str, scopes: &[&str]) -> String {
        let now = self.shared.clock.now_ms();
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        // The Azure CLI's well-known client id, as such a token would carry.
        self.shared.authority.lock().issue_delegated(
            "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            user,
            &scopes,
            now,
        )
    }

    /// Every request answered so far (oldest first, up to `log_capacity`).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.lock().iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.shared.log.lock().clear();
    }

    /// A snapshot of the tenant (pending imports and syncs advanced to now).
    pub fn state(&self) -> SimState {
        self.with_state(|state| state.clone())
    }

    /// Reads or changes the tenant directly, as an admin in the portal would (no validation,
    /// no throttling, nothing logged).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut SimState) -> R) -> R {
        let now = self.shared.clock.now_ms();
        let mut state = self.shared.state.lock();
        state.clock_ms = state.clock_ms.max(now);
        routes::devices::tick(&mut state, &self.shared.config, now);
        let result = f(&mut state);
        // `f` may have changed staging records or devices directly.
        state.index_imports();
        state.profile_reach = profile_status::ReachCache::default();
        result
    }

    /// Adds a security group; returns its id. Visible to Intune at once.
    pub fn add_group(&self, display_name: &str, membership: GroupMembership) -> String {
        self.with_state(|state| state.add_group(display_name, membership))
    }

    /// Adds an Autopilot profile with these Graph properties; returns its id.
    pub fn add_profile(&self, display_name: &str, properties: Value) -> String {
        self.with_state(|state| state.add_profile(display_name, properties))
    }

    /// Registers Autopilot devices directly; returns how many were added.
    pub fn add_devices(&self, devices: impl IntoIterator<Item = DeviceSeed>) -> usize {
        self.with_state(|state| state.add_devices(devices))
    }

    /// Moves the simulated clock forward without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Simulated now, ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Adds a fault rule at run time (after the configured ones), e.g. "the next two writes to
    /// `/groups` get 503".
    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults.lock().push(rule);
    }

    /// Removes every fault rule, configured ones included.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().clear();
    }

    /// Writes the state file atomically (temporary file, fsync, rename). Does nothing when the
    /// config names no state file.
    pub fn save(&self) -> Result<(), SimError> {
        save_shared(&self.shared)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
