//! [`SimConfig`]: the simulated cloud, credentials and realism knobs.
//!
//! A config comes from code (`SimConfig::default()` plus builder setters) or from a YAML file
//! (`SimConfig::from_yaml_file`); `docs/simulator.md` documents the file format. The default is a
//! commercial tenant that accepts any client id and secret, with no latency, no throttling, no
//! faults and no eventual-consistency delays: the realism knobs are opt-in, so a test turns on
//! exactly the behaviour it exercises.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// A Microsoft cloud the simulator can pretend to be.
///
/// This table is the simulator's own, deliberately not `hangar-model`'s: the client checks its
/// URLs against the model's table, and the simulator checks the client against this one, so a
/// typo in either shows up as a failed sign-in rather than being mirrored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimCloud {
    /// Global Azure (also what GCC moderate uses).
    #[default]
    Commercial,
    /// GCC (moderate): commercial endpoints.
    Gcc,
    /// GCC High (US Gov L4).
    GccHigh,
    /// DoD (US Gov L5).
    Dod,
}

impl SimCloud {
    /// Every cloud.
    pub const ALL: [SimCloud; 4] = [
        SimCloud::Commercial,
        SimCloud::Gcc,
        SimCloud::GccHigh,
        SimCloud::Dod,
    ];

    /// The name used on the command line and in config files.
    pub fn name(self) -> &'static str {
        match self {
            SimCloud::Commercial => "commercial",
            SimCloud::Gcc => "gcc",
            SimCloud::GccHigh => "gcc-high",
            SimCloud::Dod => "dod",
        }
    }

    /// The Graph host this cloud's tokens are issued for.
    pub fn graph_host(self) -> &'static str {
        match self {
            SimCloud::Commercial | SimCloud::Gcc => "graph.microsoft.com",
            SimCloud::GccHigh => "graph.microsoft.us",
            SimCloud::Dod => "dod-graph.microsoft.us",
        }
    }

    /// The sign-in host (used in `aud` of client assertions and in error texts).
    pub fn login_host(self) -> &'static str {
        match self {
            SimCloud::Commercial | SimCloud::Gcc => "login.microsoftonline.com",
            SimCloud::GccHigh | SimCloud::Dod => "login.microsoftonline.us",
        }
    }

    /// The only scope a client-credentials request may ask for.
    pub fn scope(self) -> String {
        format!("https://{}/.default", self.graph_host())
    }

    /// Audience of federated (workload identity) assertions.
    pub fn federated_audience(self) -> &'static str {
        match self {
            SimCloud::Commercial | SimCloud::Gcc => "api://AzureADTokenExchange",
            SimCloud::GccHigh | SimCloud::Dod => "api://AzureADTokenExchangeUSGov",
        }
    }

    /// Whether classic Autopilot deployment profiles exist (not in GCC High and DoD).
    pub fn has_classic_autopilot(self) -> bool {
        matches!(self, SimCloud::Commercial | SimCloud::Gcc)
    }
}

impl fmt::Display for SimCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SimCloud {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SimCloud::ALL
            .into_iter()
            .find(|cloud| cloud.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                SimError::Config(format!(
                    "unknown cloud `{s}`: expected one of commercial, gcc, gcc-high, dod"
                ))
            })
    }
}

/// Real-time latency added to every Graph response.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Latency {
    /// Milliseconds added to every response.
    pub fixed_ms: u64,
    /// Up to this many more milliseconds, uniformly drawn from the seeded generator.
    pub jitter_ms: u64,
}

/// Throttling budgets. Windows are in simulated seconds (see `clock_scale`).
///
/// The algorithm is a sliding window log: a request is admitted when the sum of the costs of
/// the admitted requests in the last `window` seconds, plus its own cost, stays within the
/// budget. A refused request costs nothing, and gets `Retry-After` = the time until enough of
/// the oldest entries leave the window, in real seconds. `docs/simulator.md` has the details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Throttling {
    /// Off by default; the budgets below apply when on.
    pub enabled: bool,
    /// Intune (`/deviceManagement/…`): writes per window, per app per tenant.
    pub intune_app_writes: u32,
    /// Intune: requests of any kind per window, per app per tenant.
    pub intune_app_requests: u32,
    /// Intune: writes per window, per tenant (all apps).
    pub intune_tenant_writes: u32,
    /// Intune: requests per window, per tenant (all apps).
    pub intune_tenant_requests: u32,
    /// Intune window, seconds.
    pub intune_window_secs: f64,
    /// Directory (`/groups`, `/servicePrincipals`, …): resource units per window per app and
    /// tenant (3,500 small tenant, 5,000 medium, 8,000 large).
    pub directory_resource_units: u32,
    /// Directory resource-unit window, seconds.
    pub directory_window_secs: f64,
    /// Directory: writes per app and tenant per `directory_write_window_secs`.
    pub directory_app_writes: u32,
    /// Directory app write window, seconds.
    pub directory_write_window_secs: f64,
    /// Directory: writes per tenant (all apps) per `directory_tenant_write_window_secs`.
    pub directory_tenant_writes: u32,
    /// Directory tenant write window, seconds.
    pub directory_tenant_write_window_secs: f64,
}

impl Default for Throttling {
    fn default() -> Self {
        Throttling {
            enabled: false,
            intune_app_writes: 100,
            intune_app_requests: 1000,
            intune_tenant_writes: 200,
            intune_tenant_requests: 2000,
            intune_window_secs: 20.0,
            directory_resource_units: 3500,
            directory_window_secs: 10.0,
            directory_app_writes: 3000,
            directory_write_window_secs: 150.0,
            directory_tenant_writes: 18_000,
            directory_tenant_write_window_secs: 300.0,
        }
    }
}

/// Which requests a fault rule applies to, by method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodClass {
    /// Every method.
    #[default]
    All,
    /// `GET` only (a `$batch` POST counts by its inner requests).
    Reads,
    /// `POST`, `PATCH`, `PUT`, `DELETE`.
    Writes,
}

/// What a fault rule does to a request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Answer with this 5xx (or any) status and a Graph error body; nothing is executed.
    Status,
    /// Answer 429 with `Retry-After`; nothing is executed.
    Throttle,
    /// Execute the request (a write commits), then close the connection without a response.
    Drop,
}

/// One fault rule. Rules are checked in order; the first that fires wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What happens.
    pub kind: FaultKind,
    /// Status for `kind: status` (default 503).
    #[serde(default = "default_fault_status")]
    pub status: u16,
    /// Methods the rule applies to.
    #[serde(default)]
    pub methods: MethodClass,
    /// Only requests whose path (after `/v1.0` or `/beta`, e.g. `/groups/…`) contains this.
    #[serde(default)]
    pub path: Option<String>,
    /// Probability in 0..=1 that a matching request is hit (seeded draw).
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// At most this many hits, then the rule is spent (`rate: 1, times: 2` = "the next two").
    #[serde(default)]
    pub times: Option<u32>,
    /// `Retry-After` for `kind: throttle`, simulated seconds (default 2.5).
    #[serde(default = "default_retry_after")]
    pub retry_after_secs: f64,
}

fn default_fault_status() -> u16 {
    503
}
fn default_rate() -> f64 {
    1.0
}
fn default_retry_after() -> f64 {
    2.5
}

impl FaultRule {
    /// A rule that answers `status` to matching requests with probability `rate`.
    pub fn status(status: u16, rate: f64) -> FaultRule {
        FaultRule {
            kind: FaultKind::Status,
            status,
            methods: MethodClass::All,
            path: None,
            rate,
            times: None,
            retry_after_secs: default_retry_after(),
        }
    }

    /// A rule that throttles matching requests (429, `Retry-After` in simulated seconds).
    pub fn throttle(retry_after_secs: f64, rate: f64) -> FaultRule {
        FaultRule {
            kind: FaultKind::Throttle,
            retry_after_secs,
            ..FaultRule::status(429, rate)
        }
    }

    /// A rule that commits matching writes and drops their responses.
    pub fn drop_response(rate: f64) -> FaultRule {
        FaultRule {
            kind: FaultKind::Drop,
            methods: MethodClass::Writes,
            ..FaultRule::status(0, rate)
        }
    }

    /// Restricts the rule to a method class.
    pub fn methods(mut self, methods: MethodClass) -> FaultRule {
        self.methods = methods;
        self
    }

    /// Restricts the rule to paths containing `path` (after the version segment).
    pub fn path(mut self, path: impl Into<String>) -> FaultRule {
        self.path = Some(path.into());
        self
    }

    /// Fires at most `times` times.
    pub fn times(mut self, times: u32) -> FaultRule {
        self.times = Some(times);
        self
    }
}

/// Opt-in reproductions of known service bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// `setEnrollmentTimeDeviceMembershipTarget` and `clearEnrollmentTimeDeviceMembershipTarget`
    /// answer 500 to app-only (client-credentials) tokens, as reported in 2026. Every token the
    /// simulator issues is app-only.
    pub dpp_app_only_500: bool,
    /// `windowsAutopilotDeviceIdentities?$top=N` returns a `@odata.nextLink` that yields the same
    /// page forever (the 2020 bug).
    pub autopilot_top_loop: bool,
}

/// A client registration. Once any is configured, only registered clients sign in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRegistration {
    /// Application (client) id.
    pub client_id: String,
    /// Accepted client secrets.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Accepted certificates, PEM text (`-----BEGIN CERTIFICATE-----`).
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Accepted certificates, PEM files (relative to the config file).
    #[serde(default)]
    pub certificate_files: Vec<PathBuf>,
    /// Federated identity credentials: external issuers whose tokens this client accepts as
    /// `client_assertion`.
    #[serde(default)]
    pub federated: Vec<FederatedCredential>,
    /// Application permissions granted (the token's `roles`), checked on every request
    /// (`permissions.rs`); `None`: everything hangar uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// A federated identity credential (workload identity federation).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedCredential {
    /// `iss` of the external token, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// `sub` of the external token, matched exactly.
    pub subject: String,
    /// Accepted `aud`; default: the cloud's token-exchange audience.
    #[serde(default)]
    pub audience: Option<String>,
    /// The issuer's signing certificate (PEM text), standing in for its JWKS.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The issuer's signing certificate as a PEM file (relative to the config file).
    #[serde(default)]
    pub certificate_file: Option<PathBuf>,
}

/// The app roles a default simulator grants: what `plan`, `apply` and `doctor` need.
pub const DEFAULT_APP_ROLES: [&str; 10] = [
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementApps.Read.All",
    "DeviceManagementRBAC.Read.All",
    "Group.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Organization.Read.All",
    "Policy.Read.DeviceConfiguration",
    "Application.Read.All",
];

/// Everything that shapes a simulator instance. See the module docs for defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// The cloud whose hosts and scope the tenant lives in.
    pub cloud: SimCloud,
    /// Tenant id of a fresh tenant (default: derived from `seed`).
    pub tenant_id: Option<String>,
    /// JSON state file: loaded at start when it exists, written by `save`.
    pub state_file: Option<PathBuf>,
    /// Seed of every random choice (faults, jitter, ids of new objects).
    pub seed: u64,
    /// Response latency (real time).
    pub latency: Latency,
    /// Throttling budgets.
    pub throttling: Throttling,
    /// Fault rules, checked in order.
    pub faults: Vec<FaultRule>,
    /// Simulated seconds before a new group is visible to the Intune endpoints.
    pub replication_delay_secs: f64,
    /// Simulated seconds an imported device stays `unknown` before it completes or fails.
    pub import_processing_secs: f64,
    /// Simulated seconds an Autopilot sync stays `inProgress`.
    pub sync_duration_secs: f64,
    /// Minimum simulated seconds between two manual Autopilot syncs (Graph: 600).
    pub sync_cooldown_secs: f64,
    /// Known service bugs to reproduce.
    pub quirks: Quirks,
    /// Registered clients; empty = any client id and secret sign in.
    pub clients: Vec<ClientRegistration>,
    /// Application permissions (app roles) every application token carries in its `roles`
    /// claim, as if an admin had granted and consented them. The routes `hangar doctor` reads
    /// (`subscribedSkus`, `policies/…`, `domainJoinConnectors`) refuse a token without the
    /// permission Microsoft documents for them; the other routes do not check (yet).
    pub app_roles: Vec<String>,
    /// Access-token lifetime, simulated seconds.
    pub token_lifetime_secs: u64,
    /// Simulated seconds per real second (100 makes a 20 s window last 0.2 s).
    pub clock_scale: f64,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Default page size of directory collections (Graph: 100; `$top` may ask 1–999).
    pub directory_page_size: usize,
    /// Default and largest page size of Intune collections (Graph: about 1000).
    pub intune_page_size: usize,
    /// Requests kept in the request log (oldest dropped first).
    pub log_capacity: usize,
    /// A fresh tenant starts with a few apps, a platform script and a scope tag, as an admin
    /// would have made them in the admin center ([`crate::SAMPLE_APPS`],
    /// [`crate::SAMPLE_SCRIPTS`], [`crate::SAMPLE_SCOPE_TAGS`]): what the bundled examples name.
    /// On by default (a tenant hangar is pointed at has apps); off: Microsoft's built-ins only.
    /// Their ids come from their names and the tenant id, never from the tenant's id sequence.
    pub sample_catalog: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            cloud: SimCloud::Commercial,
            tenant_id: None,
            state_file: None,
            seed: 1,
            latency: Latency::default(),
            throttling: Throttling::default(),
            faults: Vec::new(),
            replication_delay_secs: 0.0,
            import_processing_secs: 0.0,
            sync_duration_secs: 0.0,
            sync_cooldown_secs: 600.0,
            quirks: Quirks::default(),
            clients: Vec::new(),
            app_roles: DEFAULT_APP_ROLES.iter().map(|role| (*role).to_owned()).collect(),
            token_lifetime_secs: 3600,
            clock_scale: 1.0,
            max_body_bytes: 4 * 1024 * 1024,
            directory_page_size: 100,
            intune_page_size: 1000,
            log_capacity: 100_000,
            sample_catalog: true,
        }
    }
}

impl SimConfig {
    /// A config with the eventual-consistency and throttling behaviour of a real tenant turned
    /// on: throttling at the documented budgets, 10 s group replication, 30 s device imports,
    /// 60 s syncs. No random faults.
    pub fn realistic() -> SimConfig {
        SimConfig {
            throttling: Throttling {
                enabled: true,
                ..Throttling::default()
            },
            replication_delay_secs: 10.0,
            import_processing_secs: 30.0,
            sync_duration_secs: 60.0,
            ..SimConfig::default()
        }
    }

    /// Reads a YAML config file. Relative certificate paths are resolved against its folder.
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<SimConfig, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        let mut config = SimConfig::from_yaml_str(&text).map_err(|message| SimError::ConfigFile {
            path: path.to_owned(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for client in &mut config.clients {
            for file in &mut client.certificate_files {
                *file = base.join(&*file);
            }
            for federated in &mut client.federated {
                if let Some(file) = &mut federated.certificate_file {
                    *file = base.join(&*file);
                }
            }
        }
        if let Some(state) = &mut config.state_file {
            *state = base.join(&*state);
        }
        config.check()?;
        Ok(config)
    }

    /// Parses YAML config text.
    pub fn from_yaml_str(text: &str) -> Result<SimConfig, String> {
        if text.trim().is_empty() {
            return Ok(SimConfig::default());
        }
        serde_saphyr::from_str::<SimConfig>(text).map_err(|e| e.to_string())
    }

    /// Checks ranges and consistency.
    pub fn check(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        if !(self.clock_scale.is_finite() && self.clock_scale > 0.0) {
            return bad(format!(
                "`clock_scale` must be a positive number, got {}",
                self.clock_scale
            ));
        }
        for (i, rule) in self.faults.iter().enumerate() {
            if !(0.0..=1.0).contains(&rule.rate) {
                return bad(format!(
                    "`faults[{i}].rate` must be between 0 and 1, got {}",
                    rule.rate
                ));
            }
            if rule.kind == FaultKind::Throttle
                && (rule.retry_after_secs.is_nan() || rule.retry_after_secs < 0.0)
            {
                return bad(format!("`faults[{i}].retry_after_secs` must not be negative"));
            }
        }
        if self.directory_page_size == 0 || self.directory_page_size > 999 {
            return bad(format!(
                "`directory_page_size` must be 1–999, got {}",
                self.directory_page_size
            ));
        }
        if self.intune_page_size == 0 {
            return bad("`intune_page_size` must be at least 1".to_owned());
        }
        for secs in [
            ("replication_delay_secs", self.replication_delay_secs),
            ("import_processing_secs", self.import_processing_secs),
            ("sync_duration_secs", self.sync_duration_secs),
            ("sync_cooldown_secs", self.sync_cooldown_secs),
        ] {
            if !(secs.1.is_finite() && secs.1 >= 0.0) {
                return bad(format!("`{}` must be a non-negative number", secs.0));
            }
        }
        if self
            .clients
            .iter()
            .any(|client| client.client_id.trim().is_empty())
        {
            return bad("every entry of `clients` needs a `client_id`".to_owned());
        }
        Ok(())
    }

    /// Sets the cloud.
    pub fn cloud(mut self, cloud: SimCloud) -> SimConfig {
        self.cloud = cloud;
        self
    }

    /// Sets the tenant id of a fresh tenant.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> SimConfig {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets the state file.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> SimConfig {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the seed of every random choice.
    pub fn seed(mut self, seed: u64) -> SimConfig {
        self.seed = seed;
        self
    }

    /// Adds real-time latency to every response.
    pub fn latency(mut self, fixed: Duration, jitter: Duration) -> SimConfig {
        self.latency = Latency {
            fixed_ms: u64::try_from(fixed.as_millis()).unwrap_or(u64::MAX),
            jitter_ms: u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX),
        };
        self
    }

    /// Turns throttling at the documented budgets on or off.
    pub fn throttling(mut self, enabled: bool) -> SimConfig {
        self.throttling.enabled = enabled;
        self
    }

    /// Replaces the throttling budgets.
    pub fn throttling_budgets(mut self, throttling: Throttling) -> SimConfig {
        self.throttling = throttling;
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> SimConfig {
        self.faults.push(rule);
        self
    }

    /// Delay (simulated) before a new group is visible to Intune.
    pub fn replication_delay(mut self, delay: Duration) -> SimConfig {
        self.replication_delay_secs = delay.as_secs_f64();
        self
    }

    /// How long (simulated) an imported device stays `unknown`.
    pub fn import_processing(mut self, delay: Duration) -> SimConfig {
        self.import_processing_secs = delay.as_secs_f64();
        self
    }

    /// How long (simulated) an Autopilot sync stays `inProgress`.
    pub fn sync_duration(mut self, duration: Duration) -> SimConfig {
        self.sync_duration_secs = duration.as_secs_f64();
        self
    }

    /// Reproduces the app-only 500 of `setEnrollmentTimeDeviceMembershipTarget`.
    pub fn quirk_dpp_app_only_500(mut self, on: bool) -> SimConfig {
        self.quirks.dpp_app_only_500 = on;
        self
    }

    /// Reproduces the `$top` next-link loop on Autopilot devices.
    pub fn quirk_autopilot_top_loop(mut self, on: bool) -> SimConfig {
        self.quirks.autopilot_top_loop = on;
        self
    }

    /// Whether a fresh tenant holds the sample apps, script and scope tag the bundled examples
    /// name (default: it does).
    pub fn sample_catalog(mut self, on: bool) -> SimConfig {
        self.sample_catalog = on;
        self
    }

    /// Grants a client exactly these application permissions (its tokens' `roles`); requests
    /// that need another are refused with Graph's 403.
    pub fn grant_roles(mut self, client_id: &str, roles: &[&str]) -> SimConfig {
        self.client_entry(client_id).roles = Some(roles.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    /// Registers a client that signs in with a secret.
    pub fn register_client_secret(mut self, client_id: &str, secret: &str) -> SimConfig {
        self.client_entry(client_id).secrets.push(secret.to_owned());
        self
    }

    /// Registers a client that signs in with a certificate (PEM text).
    pub fn register_client_certificate(mut self, client_id: &str, certificate_pem: &str) -> SimConfig {
        self.client_entry(client_id)
            .certificates
            .push(certificate_pem.to_owned());
        self
    }

    /// Registers a federated credential for a client.
    pub fn register_federated_credential(
        mut self,
        client_id: &str,
        credential: FederatedCredential,
    ) -> SimConfig {
        self.client_entry(client_id).federated.push(credential);
        self
    }

    fn client_entry(&mut self, client_id: &str) -> &mut ClientRegistration {
        let index = match self.clients.iter().position(|c| c.client_id == client_id) {
            Some(index) => index,
            None => {
                self.clients.push(ClientRegistration {
                    client_id: client_id.to_owned(),
                    ..Default::default()
                });
                self.clients.len() - 1
            }
        };
        &mut self.clients[index]
    }

    /// Replaces the app roles application tokens carry (an app missing a permission).
    pub fn app_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> SimConfig {
        self.app_roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Access-token lifetime (simulated).
    pub fn token_lifetime(mut self, lifetime: Duration) -> SimConfig {
        self.token_lifetime_secs = lifetime.as_secs();
        self
    }

    /// Simulated seconds per real second.
    pub fn clock_scale(mut self, scale: f64) -> SimConfig {
        self.clock_scale = scale;
        self
    }

    /// Largest accepted request body.
    pub fn max_body_bytes(mut self, bytes: usize) -> SimConfig {
        self.max_body_bytes = bytes;
        self
    }

    /// Default page sizes (directory, Intune); small values make paging tests cheap.
    pub fn page_sizes(mut self, directory: usize, intune: usize) -> SimConfig {
        self.directory_page_size = directory;
        self.intune_page_size = intune;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trip_and_strictness() {
        let text = r#"
cloud: gcc-high
seed: 7
clock_scale: 100
latency: { fixed_ms: 5, jitter_ms: 3 }
throttling: { enabled: true, intune_app_writes: 10 }
faults:
  - { kind: status, status: 500, methods: writes, path: /groups, rate: 0.5 }
  - { kind: throttle, retry_after_secs: 1.5, times: 2 }
  - { kind: drop, rate: 0.1 }
quirks: { dpp_app_only_500: true }
clients:
  - client_id: 11111111-1111-1111-1111-111111111111
    secrets: [s3cret]
"#;
        let config = SimConfig::from_yaml_str(text).unwrap();
        assert_eq!(config.cloud, SimCloud::GccHigh);
        assert_eq!(config.throttling.intune_app_writes, 10);
        assert_eq!(config.throttling.intune_app_requests, 1000);
        assert_eq!(config.faults.len(), 3);
        assert_eq!(config.faults[0].methods, MethodClass::Writes);
        assert_eq!(config.faults[1].times, Some(2));
        assert!(config.quirks.dpp_app_only_500);
        config.check().unwrap();

        let err = SimConfig::from_yaml_str("clock_scal: 3").unwrap_err();
        assert!(err.contains("clock_scal"), "{err}");
        assert!(SimConfig::default().clock_scale(0.0).check().is_err());
        assert_eq!(SimConfig::from_yaml_str("").unwrap(), SimConfig::default());
    }

    #[test]
    fn cloud_table_scopes() {
        assert_eq!(SimCloud::Dod.scope(), "https://dod-graph.microsoft.us/.default");
        assert_eq!(SimCloud::Gcc.scope(), "https://graph.microsoft.com/.default");
        assert_eq!("GCC-HIGH".parse::<SimCloud>().unwrap(), SimCloud::GccHigh);
        assert!(!SimCloud::Dod.has_classic_autopilot());
    }
}
