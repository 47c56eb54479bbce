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
