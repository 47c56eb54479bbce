//! `hangar sim` end to end: a fresh state file, a token, a paged device list, Ctrl-C saves,
//! and a restart serves the saved tenant.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

struct Running {
    child: Child,
    url: String,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(state: &Path, extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .arg("sim")
        .arg("--state")
        .arg(state)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("hangar runs");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    Running { child, url, stdout }
}

fn interrupt(mut running: Running) {
    let pid = running.child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(status.success());
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "hangar sim exited with {exit}");
}

async fn token(http: &reqwest::Client, url: &str, tenant: &str) -> String {
    let response = http
        .post(format!("{url}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "local"),
            ("client_secret", "local"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn list_devices(http: &reqwest::Client, url: &str, token: &str) -> (Vec<Value>, usize) {
    let mut next = Some(format!(
        "{url}/v1.0/deviceManagement/windowsAutopilotDeviceIdentities?$top=2"
    ));
    let (mut devices, mut pages) = (Vec::new(), 0);
    while let Some(link) = next {
        let page: Value = http
            .get(&link)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        devices.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
    }
    (devices, pages)
}

#[tokio::test]
async fn sim_serves_a_fresh_tenant_saves_on_interrupt_and_restarts_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let http = reqwest::Client::new();

    let running = start(&state, &[]);
    assert!(state.exists(), "a missing state file is created at start");
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let tenant = saved["tenantId"].as_str().unwrap().to_owned();
    let token = token(&http, &running.url, &tenant).await;

    let devices: Vec<Value> = (0..5)
        .map(
            |i| json!({"serialNumber": format!("SN-{i}"), "groupTag": "Sales", "hardwareIdentifier": "AAEC"}),
        )
        .collect();
    let imported = http
        .post(format!(
            "{}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
            running.url
        ))
        .bearer_auth(&token)
        .json(&json!({ "importedWindowsAutopilotDeviceIdentities": devices }))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200);
    let (listed, pages) = list_devices(&http, &running.url, &token).await;
    assert_eq!((listed.len(), pages), (5, 3));
    interrupt(running);

    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["devices"].as_object().unwrap().len(), 5);

    let running = start(&state, &[]);
    let token = self::token(&http, &running.url, &tenant).await;
    let (listed, _) = list_devices(&http, &running.url, &token).await;
    assert_eq!(listed.len(), 5, "the restarted simulator serves the saved tenant");
    interrupt(running);
}

#[test]
fn sim_refuses_a_state_file_of_another_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let running = start(&state, &["--cloud", "gcc-high"]);
    interrupt(running);
    let output = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--cloud",
            "commercial",
            "--state",
        ])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gcc-high"), "{stderr}");
}

/// The lines after the first tell how to point hangar at the simulator, and they work: a plan
/// with exactly those variables signs in and reads the tenant.
#[test]
fn sim_prints_what_to_export_and_plan_works_with_it() {
    let dir = tempfile::tempdir().unwrap();
    // The commercial example's tenant.
    let tenant = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";
    let mut running = start(&dir.path().join("tenant.json"), &["--tenant-id", tenant]);
    let mut vars = Vec::new();
    loop {
        let mut line = String::new();
        assert!(running.stdout.read_line(&mut line).unwrap() > 0, "stdout ended");
        if let Some((name, value)) = line
            .trim()
            .strip_prefix("export ")
            .and_then(|v| v.split_once('='))
        {
            vars.push((name.to_owned(), value.to_owned()));
        }
        if line.starts_with("then run") {
            assert!(line.contains("cloud: commercial"), "{line}");
            assert!(line.contains(&format!("tenantId: {tenant}")), "{line}");
            break;
        }
    }
    let names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "HANGAR_ENDPOINT",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET"
        ]
    );
    assert_eq!(vars[0].1, running.url);
    assert_eq!(vars[1].1, tenant);

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/commercial");
    let mut plan = Command::new(env!("CARGO_BIN_EXE_hangar"));
    plan.arg("plan").arg(&example).env("NO_COLOR", "1");
    for name in [
        "HANGAR_ENDPOINT",
        "HANGAR_ACCESS_TOKEN",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ] {
        plan.env_remove(name);
    }
    plan.envs(vars.iter().map(|(name, value)| (name, value)));
    let output = plan.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Plan: "));
    interrupt(running);
}
