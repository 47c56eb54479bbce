//! Issue 12, items 6 and 7, end to end: where an endpoint override may send the credential,
//! and which failures are retried (a read's 500) or reported at once (a host that does not
//! resolve). The binary runs against a simulator or a bare listener over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{flat, policies, sim_config, stderr, text};
use hangar_sim::{FaultRule, MethodClass, Sim};

const CLIENT_ID: &str = "hangar-endpoint-e2e";
/// A secret that must never reach a host it was not meant for.
const CANARY_SECRET: &str = "canary-secret-7f3a9c";

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CANARY_SECRET)
        .output()
        .expect("hangar runs")
}

/// A listener on every address (`0.0.0.0`), recording every byte it receives. Reached as
/// `0.0.0.0:PORT`, which is not a loopback address in a URL: it stands for a host elsewhere.
struct Listener {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("0.0.0.0:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<u8>>> = Arc::default();
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }
        });
        Listener { port, received }
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

/// `HANGAR_ENDPOINT=http://evil.example` used to receive `client_secret` in clear text. Plain
/// `http` now goes only to this machine, flag or not, and nothing is sent.
#[test]
fn plain_http_to_another_host_is_refused_before_anything_is_sent() {
    let listener = Listener::start();
    let endpoint = format!("http://0.0.0.0:{}", listener.port);
    for extra in [&[][..], &["--allow-endpoint-outside-cloud"][..]] {
        let mut args = vec!["plan", "--endpoint", &endpoint];
        let dir = policies("commercial");
        args.insert(1, dir.to_str().unwrap());
        args.extend_from_slice(extra);
        let output = hangar(&args);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let message = stderr(&output);
        let message = flat(&message);
        assert!(message.contains("clear text"), "{message}");
        assert!(!message.contains(CANARY_SECRET), "{message}");
    }
    // Through the environment too.
    let dir = policies("commercial");
    let output = common::hangar(&["plan", dir.to_str().unwrap()])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CANARY_SECRET)
        .env("HANGAR_ENDPOINT", &endpoint)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(listener.received(), "", "nothing reached the other host");
}

/// An `https` host outside the cloud needs the flag whose name says what it does, and then a
/// loud warning is printed. The flag has no environment variable.
#[test]
fn an_https_host_outside_the_cloud_needs_the_explicit_flag() {
    let listener = Listener::start();
    let endpoint = format!("https://0.0.0.0:{}", listener.port);
    let dir = policies("commercial");
    let dir = dir.to_str().unwrap();
    let refused = hangar(&["plan", dir, "--endpoint", &endpoint]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let message = flat(&stderr(&refused));
    assert!(message.contains("--allow-endpoint-outside-cloud"), "{message}");
    assert!(message.contains("outside cloud `commercial`"), "{message}");
    assert_eq!(listener.received(), "", "nothing was sent without the flag");

    let allowed = hangar(&[
        "plan",
        dir,
        "--endpoint",
        &endpoint,
        "--allow-endpoint-outside-cloud",
    ]);
    // The listener speaks no TLS, so the run fails, but after the warning and over TLS only.
    assert_eq!(allowed.status.code(), Some(1), "{}", text(&allowed));
    assert!(
        flat(&stderr(&allowed)).contains("WARNING: sending the credential for tenant"),
        "{}",
        text(&allowed)
    );
    assert!(!listener.received().contains(CANARY_SECRET));
}

/// A GCC High configuration pointed at the commercial Graph host is refused before any request,
/// and the error names both clouds, not an app registration.
#[test]
fn another_clouds_host_is_refused_naming_the_clouds() {
    let dir = policies("gcc-high");
    for extra in [&[][..], &["--allow-endpoint-outside-cloud"][..]] {
        let mut args = vec![
            "plan",
            dir.to_str().unwrap(),
            "--endpoint",
            "https://graph.microsoft.com",
        ];
        args.extend_from_slice(extra);
        let output = hangar(&args);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let message = flat(&stderr(&output));
        assert!(message.contains("outside cloud `gcc-high`"), "{message}");
        assert!(message.contains("belongs to cloud `commercial`"), "{message}");
        assert!(!message.contains("app registration"), "{message}");
    }
}

/// `--local` and a simulator on this machine keep working without any flag.
#[test]
fn this_machine_needs_no_flag() {
    let sim = Sim::start_background(sim_config("commercial")).unwrap();
    let dir = policies("commercial");
    let output = hangar(&["plan", dir.to_str().unwrap(), "--endpoint", &sim.url()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let localhost = sim.url().replace("127.0.0.1", "localhost");
    let output = hangar(&["plan", dir.to_str().unwrap(), "--endpoint", &localhost]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// Issue 12 item 7: a single 500 (and a 502) on a read used to abort the plan. Reads are now
/// retried like 503.
#[test]
fn a_server_error_on_a_read_does_not_abort_the_plan() {
    let sim = Sim::start_background(
        sim_config("commercial")
            .fault(
                FaultRule::status(500, 1.0)
                    .methods(MethodClass::Reads)
                    .path("/groups")
                    .times(1),
            )
            .fault(
                FaultRule::status(502, 1.0)
                    .methods(MethodClass::Reads)
                    .path("windowsAutopilotDeploymentProfiles")
                    .times(1),
            ),
    )
    .unwrap();
    let dir = policies("commercial");
    let output = hangar(&["plan", dir.to_str().unwrap(), "--endpoint", &sim.url()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // Reads run concurrently: the two faults fire in either order.
    let mut failed: Vec<u16> = sim
        .request_log()
        .iter()
        .map(|r| r.status)
        .filter(|s| *s >= 500)
        .collect();
    failed.sort_unstable();
    assert_eq!(failed, vec![500, 502], "both faults fired and were retried");
}

/// Issue 12 item 7: a host that does not resolve used to be retried 12 times over 136 s in
/// silence. It fails at once now, naming the host.
#[test]
fn an_unresolvable_host_fails_at_once_naming_it() {
    let dir = policies("commercial");
    let output = common::hangar(&[
        "plan",
        dir.to_str().unwrap(),
        "--endpoint",
        "https://hangar-test.invalid",
        "--allow-endpoint-outside-cloud",
    ])
    .env("HANGAR_ACCESS_TOKEN", "opaque-test-token")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = flat(&stderr(&output));
    assert!(
        message.contains("cannot reach `hangar-test.invalid`"),
        "{message}"
    );
    assert!(message.contains("does not resolve"), "{message}");
    assert!(!message.contains("retries"), "{message}");
}
