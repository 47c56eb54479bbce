//! `hangar sim`: serve the Graph tenant simulator over a state file until interrupted.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use hangar_sim::{Sim, SimCloud, SimConfig, SimState};
use miette::{IntoDiagnostic, WrapErr};

use crate::exit::Exit;

/// Arguments of `hangar sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON state file of the simulated tenant: loaded when it exists, created from a fresh
    /// tenant when it does not, and saved (atomically) when the simulator is interrupted.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,

    /// Address to listen on; port 0 picks a free port (printed on the first line of stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Cloud to simulate: commercial, gcc, gcc-high or dod. Default: the state file's cloud,
    /// else the config's, else commercial.
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,

    /// Tenant id of a fresh tenant (a new state file): use the configuration's `tenantId`, so
    /// that `hangar plan` signs in to it. Default: the config's, else a generated one.
    #[arg(long, value_name = "GUID")]
    pub tenant_id: Option<String>,

    /// YAML config: registered clients, latency, throttling, faults, quirks (see
    /// `docs/simulator.md`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs `hangar sim`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let mut config = match &args.config {
        Some(path) => SimConfig::from_yaml_file(path).into_diagnostic()?,
        None => SimConfig::default(),
    };
    config.state_file = Some(args.state.clone());
    match &args.cloud {
        Some(name) => config.cloud = name.parse::<SimCloud>().into_diagnostic()?,
        None if args.state.exists() => {
            let state = SimState::load(&args.state).into_diagnostic()?;
            config.cloud = state.cloud;
        }
        None => {}
    }
    if let Some(tenant_id) = &args.tenant_id {
        if args.state.exists() {
            let state = SimState::load(&args.state).into_diagnostic()?;
            if !state.tenant_id.eq_ignore_ascii_case(tenant_id) {
                return Err(miette::miette!(
                    help = "`--tenant-id` applies to a new state file: name another `--state`, or drop `--tenant-id`",
                    "the tenant in `{}` is `{}`, not `{tenant_id}`",
                    args.state.display(),
                    state.tenant_id
                ));
            }
        }
        config = config.tenant_id(tenant_id.clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async move {
        let sim = Sim::start_on(config, args.listen).await.into_diagnostic()?;
        // Listen before announcing the URL: whoever reads it may interrupt at once.
        let interrupted = interrupted()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {}", sim.url()).into_diagnostic()?;
        stdout.flush().into_diagnostic()?;
        // Only the first line is a contract; a reader that stopped reading must not stop the
        // server.
        let _ = writeln!(
            stdout,
            "tenant {} ({}); sign in at {}",
            sim.tenant_id(),
            sim.cloud(),
            sim.token_url()
        );
        let _ = write!(stdout, "{}", exports(&sim));
        let _ = stdout.flush();
        drop(stdout);
        interrupted.await;
        sim.save()
            .into_diagnostic()
            .wrap_err("cannot save the simulator's state")?;
        sim.shutdown().await;
        Ok(Exit::Success)
    })
}

/// What to set so that `hangar plan`/`apply`/`drift` use this simulator: the endpoint, its
/// tenant id and a client that signs in. Registered clients' secrets are not printed.
fn exports(sim: &Sim) -> String {
    let registered = &sim.config().clients;
    let mut vars = vec![
        ("HANGAR_ENDPOINT", sim.url()),
        ("AZURE_TENANT_ID", sim.tenant_id()),
    ];
    let who = match registered.first() {
        None => {
            vars.push(("AZURE_CLIENT_ID", "hangar-sim".to_owned()));
            vars.push(("AZURE_CLIENT_SECRET", "not-a-secret".to_owned()));
            "any client id and secret sign in".to_owned()
        }
        Some(client) => {
            vars.push(("AZURE_CLIENT_ID", client.client_id.clone()));
            format!(
                "only clients registered in the simulator config sign in ({}); also set AZURE_CLIENT_SECRET to one of the client's secrets there",
                registered
                    .iter()
                    .map(|client| client.client_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let mut out = format!("To point hangar at this simulator ({who}):\n");
    for (name, value) in vars {
        if cfg!(windows) {
            out.push_str(&format!("  $env:{name} = \"{value}\"\n"));
        } else {
            out.push_str(&format!("  export {name}={value}\n"));
        }
    }
    out.push_str(&format!(
        "then run `hangar plan DIR` on a configuration whose `Tenant` has `cloud: {}` and `tenantId: {}` (start a new state file with `--tenant-id` to simulate your configuration's tenant).\n",
        sim.cloud(),
        sim.tenant_id()
    ));
    out
}

/// Starts listening for Ctrl-C (and SIGTERM on Unix); the future ends at the first of them.
fn interrupted() -> miette::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).into_diagnostic()?;
        let mut terminate = signal(SignalKind::terminate()).into_diagnostic()?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let mut interrupt = tokio::signal::windows::ctrl_c().into_diagnostic()?;
        Ok(async move {
            interrupt.recv().await;
        })
    }
}
