//! Reaching a tenant: the flags every command that talks to Graph shares (`--local`,
//! `--endpoint`), the credential, the async runtime, and what to read.
//!
//! Three ways to a tenant, chosen by flags:
//!
//! - `--local FILE`: an in-process simulator over a JSON state file (created with a fresh
//!   tenant of the configuration's cloud and tenant id when missing, saved when the command
//!   ends, also after a failure, so that writes already made survive). A dummy client secret
//!   signs in; no Microsoft account is needed.
//! - `--endpoint URL` (or `HANGAR_ENDPOINT`): sign-in and Graph go to `URL` (a running
//!   `hangar sim` or a proxy); the cloud still decides the token scope. Sign-in sends the
//!   credential there, so `URL` must be this machine, or an `https` host of the tenant's cloud,
//!   or (only with `--allow-endpoint-outside-cloud`, which no environment variable can set) any
//!   other `https` host; never another cloud's host, never plain `http` across the network.
//! - neither: Microsoft's hosts of the configuration's cloud.
//!
//! The cloud and the tenant id always come from the `Tenant` document; with the last two, the
//! credential comes from the environment ([`Credential::from_env`]'s variables), with
//! `AZURE_TENANT_ID` defaulting to the document's `tenantId`.

use std::path::{Path, PathBuf};

use hangar_config::DesiredState;
use hangar_graph::live::GroupScope;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, CredentialError, GraphClient, ReadScope, Secret};
use hangar_model::{Cloud, Kind};
use hangar_sim::{Sim, SimCloud, SimConfig, SimError};
use miette::{IntoDiagnostic, WrapErr, miette};

/// Client id the local tenant's dummy credential signs in with.
const LOCAL_CLIENT_ID: &str = "hangar-local";

/// Where the tenant is (flatten into a command's `Args`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TenantArgs {
    /// Use a local simulated tenant kept in FILE (JSON; created with a fresh tenant of the
    /// configuration's cloud when missing, saved when the command ends). No credentials needed.
    #[arg(long, value_name = "FILE", conflicts_with = "endpoint")]
    pub local: Option<PathBuf>,

    /// Send sign-in and Graph requests to URL (a running `hangar sim`, or a proxy) instead of
    /// Microsoft's hosts; the configuration's cloud still decides the token scope. Default:
    /// `HANGAR_ENDPOINT`. Plain `http` only to this machine (127.0.0.1, ::1, localhost).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Let `--endpoint`/`HANGAR_ENDPOINT` be an `https` host outside the tenant's cloud (a
    /// proxy you trust): sign-in sends the credential to it. Has no environment variable on
    /// purpose.
    #[arg(long)]
    pub allow_endpoint_outside_cloud: bool,
}

/// A connected tenant: the Graph client, and the local simulator when `--local` started one.
///
/// Call [`Connection::close`] when done (on failure paths too); if it is dropped instead, the
/// local tenant is still saved and a failure to save is logged.
#[derive(Debug)]
pub struct Connection {
    /// The Graph client, signed in lazily on the first request.
    pub client: GraphClient,
    /// Where requests go, for messages: `local tenant x.json`, `http://…`, or the Graph host.
    pub target: String,
    /// The tenant's apply lock, while `apply` holds it ([`Connection::release_lock`]).
    lease: Option<hangar_apply::lock::Lease>,
    local: Option<LocalTenant>,
}

#[derive(Debug)]
struct LocalTenant {
    sim: Sim,
    path: PathBuf,
    saved: bool,
}

impl LocalTenant {
    fn save(&mut self) -> miette::Result<()> {
        self.saved = true;
        self.sim
            .save()
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot save the local tenant `{}`", self.path.display()))
    }
}

impl Drop for LocalTenant {
    fn drop(&mut self) {
        if !self.saved
            && let Err(error) = self.save()
        {
            tracing::error!("{error:?}");
        }
    }
}

impl Connection {
    /// The local simulator, when `--local` started one (tests and benchmarks inspect it).
    #[allow(dead_code)] // for commands that report on the local tenant
    pub fn local_sim(&self) -> Option<&Sim> {
        self.local.as_ref().map(|local| &local.sim)
    }

    /// Keeps `lease` (the tenant's apply lock) until [`Connection::release_lock`].
    pub fn hold_lock(&mut self, lease: hangar_apply::lock::Lease) {
        self.lease = Some(lease);
    }

    /// Whether the lock this connection held was lost while held, and why.
    pub fn lock_lost(&self, runtime: &tokio::runtime::Runtime) -> Option<String> {
        self.lease
            .as_ref()
            .and_then(|lease| runtime.block_on(lease.lost()))
    }

    /// Releases the apply lock, if held, on `runtime` (the one the client ran on; before the
    /// local tenant, if any, stops). A failure is a warning: the lock then expires.
    pub fn release_lock(&mut self, runtime: &tokio::runtime::Runtime) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        let id = lease.id().to_owned();
        let tenant = hangar_apply::GraphTenant::new(self.client.clone());
        match runtime.block_on(lease.release(&tenant)) {
            Ok(()) => tracing::info!(lease = %id, "released the tenant's apply lock"),
            Err(error) => eprintln!(
                "warning: the tenant's apply lock (group `{id}`) was not released ({error}); the next apply takes it over once it expires"
            ),
        }
    }

    /// Saves the local tenant (if any) and stops its simulator.
    pub fn close(mut self) -> miette::Result<()> {
        match self.local.take() {
            Some(mut local) => local.save(),
            None => Ok(()),
        }
    }
}

/// The async runtime every tenant command runs on (two workers: the machine may be small and
/// the work is waiting on the network).
pub fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the async runtime")
}

/// Connects to the tenant of `desired` as `args` say. Sends no request: sign-in happens on the
/// first Graph request.
pub fn connect(args: &TenantArgs, desired: &DesiredState) -> miette::Result<Connection> {
    connect_to(args, desired.tenant.cloud.value, &desired.tenant.tenant_id.value)
}

/// Connects to tenant `tenant_id` in `cloud` as `args` say (a saved plan names both). Sends no
/// request: sign-in happens on the first Graph request.
pub fn connect_to(args: &TenantArgs, cloud: Cloud, tenant_id: &str) -> miette::Result<Connection> {
    if let Some(path) = &args.local {
        return connect_local(path, cloud, tenant_id);
    }
    let mut options = ClientOptions::new(cloud);
    if let Some(endpoint) = &args.endpoint {
        options = options.with_endpoint(endpoint.clone());
    }
    let mut options = options.with_endpoint_from_env();
    options.allow_endpoint_outside_cloud = args.allow_endpoint_outside_cloud;
    options.on_long_wait = Some(long_wait_printer());
    let target = options
        .endpoint_override
        .clone()
        .unwrap_or_else(|| cloud.graph_host().to_owned());
    let credential = credential_from_env(tenant_id)?;
    tracing::info!(
        cloud = %cloud,
        credential = credential.kind(),
        target = %target,
        "connecting to the tenant"
    );
    let client = GraphClient::new(options, credential).map_err(|error| match error {
        hangar_graph::Error::EndpointOutsideCloud { .. } | hangar_graph::Error::InvalidEndpoint { .. } => {
            miette!(
                help = "`--endpoint` (or `HANGAR_ENDPOINT`) is for a local `hangar sim` or a proxy; without it, hangar talks to the cloud's own hosts",
                "{error}"
            )
        }
        other => miette::Report::from_err(other).wrap_err("cannot set up the Graph client"),
    })?;
    if client.endpoint().override_place() == Some(hangar_graph::endpoint::Place::Elsewhere) {
        eprintln!(
            "WARNING: sending the credential for tenant `{tenant_id}` (cloud `{cloud}`) to `{target}`, which is not a host of cloud `{cloud}`, because of --allow-endpoint-outside-cloud. Whoever runs that host can act on the tenant with the credential's permissions."
        );
    }
    Ok(Connection {
        client,
        target,
        lease: None,
        local: None,
    })
}

/// Prints long waits before retries on stderr (the client decides which are long).
fn long_wait_printer() -> hangar_graph::http::LongWaitHook {
    hangar_graph::http::LongWaitHook(std::sync::Arc::new(|wait| eprintln!("note: {wait}")))
}

fn connect_local(path: &Path, cloud: Cloud, tenant_id: &str) -> miette::Result<Connection> {
    let sim_cloud: SimCloud = cloud.name().parse().into_diagnostic()?;
    let config = SimConfig::default()
        .cloud(sim_cloud)
        .tenant_id(tenant_id)
        .state_file(path)
        // A new local tenant holds the apps, script and scope tag the bundled examples name,
        // as a real one would hold what its admins made; a state file keeps its own.
        .sample_catalog(true);
    let sim = Sim::start_background(config).map_err(|error| match error {
        SimError::CloudMismatch { state, .. } => miette!(
            help = "use another state file for this configuration, or delete this one to start afresh",
            "the local tenant `{}` is a `{state}` tenant, but the configuration's cloud is `{cloud}`",
            path.display()
        ),
        other => miette::Report::from_err(other)
            .wrap_err(format!("cannot start the local tenant `{}`", path.display())),
    })?;
    let mut local = LocalTenant {
        sim,
        path: path.to_owned(),
        // Nothing to save until the tenant is known to be this configuration's.
        saved: true,
    };
    let simulated = local.sim.tenant_id();
    if !simulated.eq_ignore_ascii_case(tenant_id) {
        return Err(miette!(
            help = "use another state file for this configuration, or delete this one to start afresh",
            "the local tenant `{}` is tenant `{simulated}`, but the configuration's `tenantId` is `{tenant_id}`",
            path.display()
        ));
    }
    local.saved = false;
    let mut options = ClientOptions::new(cloud).with_endpoint(local.sim.url());
    // The client's limiter follows the simulator it talks to. The local tenant does not
    // throttle, so Microsoft's budgets would only make the client wait where no request would
    // be refused (100 Intune writes per 20 s made re-tagging 300 devices take 42 s). Were the
    // local tenant to throttle, its budgets are the documented ones, on its clock.
    let sim_config = local.sim.config();
    options.rate_limit = if sim_config.throttling.enabled {
        RateLimitConfig::scaled(sim_config.clock_scale)
    } else {
        RateLimitConfig::disabled()
    };
    let credential = Credential::ClientSecret {
        tenant_id: simulated,
        client_id: LOCAL_CLIENT_ID.to_owned(),
        secret: Secret::new("local"),
    };
    tracing::info!(cloud = %cloud, url = %local.sim.url(), "local tenant `{}`", path.display());
    let client = GraphClient::new(options, credential)
        .into_diagnostic()
        .wrap_err("cannot set up the Graph client")?;
    Ok(Connection {
        client,
        target: format!("local tenant `{}`", path.display()),
        lease: None,
        local: Some(local),
    })
}

/// The credential from the environment, signing in to the configuration's tenant:
/// `AZURE_TENANT_ID` defaults to `tenant_id`, and a different tenant GUID there is refused (a
/// pipeline's credential for one tenant must not plan or apply another tenant's
/// configuration).
fn credential_from_env(tenant_id: &str) -> miette::Result<Credential> {
    let env_tenant = std::env::var("AZURE_TENANT_ID")
        .ok()
        .filter(|v| !v.trim().is_empty());
    if let Some(env_tenant) = &env_tenant
        && is_guid(env_tenant)
        && is_guid(tenant_id)
        && !env_tenant.trim().eq_ignore_ascii_case(tenant_id)
    {
        return Err(miette!(
            help = "unset `AZURE_TENANT_ID` or point it at the configuration's tenant",
            "`AZURE_TENANT_ID` is `{}`, but the configuration's `tenantId` is `{tenant_id}`",
            env_tenant.trim()
        ));
    }
    Credential::from_lookup(|name| match name {
        "AZURE_TENANT_ID" => Some(tenant_id.to_owned()),
        _ => std::env::var(name).ok(),
    })
    .or_else(|error| match error {
        // Someone trying hangar out has no app registration yet: point at the local tenant.
        CredentialError::NotConfigured => Err(miette!(
            help = "to try hangar without a tenant, add `--local tenant.json`: a simulated tenant kept in that file",
            "cannot sign in: {error}"
        )),
        other => Err(other).into_diagnostic().wrap_err("cannot sign in"),
    })
}

fn is_guid(text: &str) -> bool {
    let text = text.trim();
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// What to read for `desired`: every kind it holds objects of, its groups by name, owners and
/// the Intune Provisioning Client when a group has owners or a Device Preparation policy exists,
/// the Device Preparation templates and setting definitions when such a policy exists, and the
/// registered devices (the plan's impact covers every known device). With pruning on,
/// whole kinds: every kind named in `prune.only` is read completely, groups included.
pub fn read_scope(desired: &DesiredState) -> ReadScope {
    let mut kinds: std::collections::BTreeSet<Kind> = desired.objects().map(|(kind, _)| kind).collect();
    let routes_devices = !desired.groups.is_empty() || !desired.device_lists.is_empty();
    if routes_devices {
        kinds.insert(Kind::AutopilotDevice);
    }
    // The whole tenant's objects that can be assigned to the configuration's groups, so the
    // plan warns about those not in Git and counts them in the impact: the kinds read with
    // `DeviceManagementServiceConfig.Read.All` always (every Autopilot configuration needs it),
    // those read with `DeviceManagementConfiguration.Read.All` when the configuration already
    // needs that permission (least privilege: a profiles-only configuration never asks for it).
    if !desired.groups.is_empty() {
        kinds.extend([
            Kind::DeploymentProfile,
            Kind::EnrollmentStatusPage,
            Kind::EnrollmentRestriction,
        ]);
        if !desired.domain_joins.is_empty()
            || !desired.device_preparation.is_empty()
            || desired.names_filters()
        {
            kinds.extend([Kind::DomainJoinProfile, Kind::DevicePreparationPolicy]);
        }
    }
    let prune = &desired.tenant.prune;
    let mut whole_groups = false;
    if prune.enabled.value {
        for pattern in &prune.only {
            kinds.insert(pattern.kind);
            whole_groups |= pattern.kind == Kind::DeviceGroup;
        }
    }
    let owners = desired.reads_owners();
    ReadScope {
        kinds,
        groups: if whole_groups {
            GroupScope::All
        } else {
            GroupScope::Named(
                desired
                    .groups
                    .iter()
                    .map(|group| group.meta.name.value.clone())
                    .collect(),
            )
        },
        group_owners: owners,
        provisioning_client: owners,
        // Templates and choice values come from the tenant's definitions, read once per run.
        device_preparation_templates: !desired.device_preparation.is_empty(),
        // Only when the configuration names filters: reading them needs
        // `DeviceManagementConfiguration.Read.All`, which a profiles-only configuration does
        // not otherwise need. Unread, live filters show by id in the plan.
        assignment_filters: desired.names_filters(),
        // Likewise: scope tags only when a tag is named (numeric ids need no read), apps and
        // scripts whenever referenced (ids are checked to exist, app types come from them).
        scope_tags: desired.names_scope_tags(),
        mobile_apps: desired.references_apps(),
        scripts: desired.references_scripts(),
        // A group whose membership type the plan changes gets its members counted.
        membership_types: desired
            .groups
            .iter()
            .filter(|group| !group.is_external())
            .map(|group| (group.meta.name.value.clone(), group.is_dynamic()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_recognised() {
        assert!(is_guid("3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44"));
        assert!(is_guid(" 3F6B2C1E-8D4A-4B7E-9C2F-5A1D0E7B9C44 "));
        assert!(!is_guid("contoso.onmicrosoft.com"));
        assert!(!is_guid("3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c4"));
    }

    #[test]
    fn the_scope_covers_what_the_examples_name() {
        let loaded = hangar_config::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/gcc-high"
        )))
        .expect("the example loads");
        let desired = loaded.state.expect("the example is valid");
        let scope = read_scope(&desired);
        assert!(scope.kinds.contains(&Kind::DeviceGroup));
        assert!(scope.kinds.contains(&Kind::DevicePreparationPolicy));
        assert!(scope.kinds.contains(&Kind::AutopilotDevice));
        assert!(scope.group_owners && scope.provisioning_client && scope.device_preparation_templates);
        match &scope.groups {
            GroupScope::Named(names) => assert_eq!(names.len(), desired.groups.len()),
            GroupScope::All => panic!("pruning is off in the example"),
        }
    }
}
