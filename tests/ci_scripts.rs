//! The GitHub Action's and the Azure DevOps template's scripts (`ci/hangar_ci`), end to end:
//! the real `hangar` binary against the simulator, GitHub or Azure DevOps played by a fake REST
//! service that records every call, and sign-in through GitHub's OIDC tokens with a read-only
//! app for pull requests and drift and a write app for apply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/fake_azure_devops.rs"]
mod fake_azure_devops;
#[path = "common/fake_github.rs"]
mod fake_github;
#[path = "common/fake_rest.rs"]
mod fake_rest;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{desired, policies, sim_cloud, stderr, text};
use fake_github::{GitHub, ISSUER, OIDC_REQUEST_TOKEN, REPOSITORY, TOKEN};
use fake_rest::FakeRest;
use hangar_sim::{FaultRule, FederatedCredential, MethodClass, Sim, SimConfig};
use serde_json::{Value, json};

const ADMIN: &str = "admin-app";
const ADMIN_SECRET: &str = "admin-secret-value";
/// Read-only app: plans on pull requests, nightly drift.
const READ_APP: &str = "hangar-read";
/// Write app: apply on merge, from the protected `hangar-apply` environment only.
const WRITE_APP: &str = "hangar-write";
const HEAD_SHA: &str = "1111111111111111111111111111111111111111";
const MERGE_SHA: &str = "2222222222222222222222222222222222222222";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn federated(subject: &str) -> FederatedCredential {
    FederatedCredential {
        issuer: ISSUER.into(),
        subject: subject.into(),
        audience: None,
        certificate: None,
        certificate_file: None,
    }
}

/// A simulator for the configuration in `dir`, knowing the three apps: an admin with a secret
/// (the test's own hand), the read app trusted for pull requests and the main branch, the
/// write app trusted only for the `hangar-apply` environment.
fn sim_for(dir: &Path) -> Sim {
    let desired = desired(dir);
    let config = SimConfig::default()
        .cloud(sim_cloud(desired.tenant.cloud.value))
        .tenant_id(desired.tenant.tenant_id.value.clone())
        .clock_scale(100.0)
        .register_client_secret(ADMIN, ADMIN_SECRET)
        .register_federated_credential(READ_APP, federated(&format!("repo:{REPOSITORY}:pull_request")))
        .register_federated_credential(
            READ_APP,
            federated(&format!("repo:{REPOSITORY}:ref:refs/heads/main")),
        )
        .register_federated_credential(
            WRITE_APP,
            federated(&format!("repo:{REPOSITORY}:environment:hangar-apply")),
        );
    Sim::start_background(config).expect("the simulator starts")
}

/// A working copy: `tenants/<name>` holds a copy of a bundled example.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn add_commercial(&self) -> PathBuf {
        common::commercial_without_devices(&self.path().join("tenants/commercial"))
    }

    fn add_gcc_high(&self) -> PathBuf {
        let target = self.path().join("tenants/gcc-high");
        copy_dir(&policies("gcc-high"), &target);
        target
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The environment of a GitHub Actions job.
struct Job<'a> {
    github: &'a FakeRest<GitHub>,
    sim: &'a Sim,
    workspace: &'a Workspace,
    client_id: &'a str,
    subject: String,
    event: Value,
    sha: &'a str,
    token: Option<&'a str>,
}

impl Job<'_> {
    fn run(&self, args: &[&str]) -> (Output, String) {
        self.github.with(|g| g.oidc_subject = self.subject.clone());
        let temp = self.workspace.path().join("runner-temp");
        std::fs::create_dir_all(&temp).unwrap();
        let event = temp.join("event.json");
        std::fs::write(&event, serde_json::to_vec(&self.event).unwrap()).unwrap();
        let outputs = temp.join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let mut command = script(self.workspace.path());
        command
            .args(args)
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("GITHUB_REPOSITORY", REPOSITORY)
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_SHA", self.sha)
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_OUTPUT", &outputs)
            .env("RUNNER_TEMP", &temp)
            .env("HANGAR_ENDPOINT", self.sim.url())
            .env("AZURE_CLIENT_ID", self.client_id)
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/oidc?api-version=2.0", self.github.url()),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", OIDC_REQUEST_TOKEN);
        if let Some(token) = self.token {
            command.env("GITHUB_TOKEN", token);
        }
        let output = command.output().expect("python3 runs");
        let written = std::fs::read_to_string(&outputs).unwrap_or_default();
        (output, written)
    }
}

/// `python3 ci/hangar-ci.py` in `cwd`, with nothing of this process's environment but `PATH`
/// and `HOME`, and the hangar under test.
fn script(cwd: &Path) -> Command {
    let mut command = Command::new("python3");
    command
        .arg(repo_root().join("ci/hangar-ci.py"))
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("HANGAR_BIN", env!("CARGO_BIN_EXE_hangar"));
    command
}

fn pull_request_event(number: u64) -> Value {
    json!({ "pull_request": { "number": number, "head": { "sha": HEAD_SHA } } })
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

#[track_caller]
fn assert_code(output: &Output, expected: i32) {
    assert_eq!(code(output), expected, "{}", text(output));
}

/// Writes through the admin app: a portal edit.
fn hangar_admin(args: &[&str], sim: &Sim) -> Output {
    common::hangar(args)
        .env("HANGAR_ENDPOINT", sim.url())
        .env("AZURE_CLIENT_ID", ADMIN)
        .env("AZURE_CLIENT_SECRET", ADMIN_SECRET)
        .output()
        .unwrap()
}

fn converge(dir: &Path, sim: &Sim) {
    let output = hangar_admin(&["apply", dir.to_str().unwrap(), "--auto-approve"], sim);
    assert_code(&output, 0);
    let output = hangar_admin(&["plan", dir.to_str().unwrap(), "--detailed-exitcode"], sim);
    assert_code(&output, 0);
}

/// Changes a group's description behind hangar's back, as an admin in the portal would.
fn edit_group_in_portal(sim: &Sim, name: &str, description: &str) {
    let token = sim.issue_token(ADMIN);
    let url = sim.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let list: Value = http
            .get(format!("{url}/v1.0/groups"))
            .query(&[("$filter", format!("displayName eq '{name}'"))])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = list["value"][0]["id"]
            .as_str()
            .expect("the group exists")
            .to_owned();
        let status = http
            .patch(format!("{url}/v1.0/groups/{id}"))
            .bearer_auth(&token)
            .json(&json!({ "description": description }))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
    });
}

fn writes(sim: &Sim) -> Vec<hangar_sim::RequestRecord> {
    sim.request_log()
        .into_iter()
        // A `$batch` is a POST of reads (hangar batches only GETs): a configuration without
        // pruning reads its groups by name that way.
        .filter(|r| r.method != "GET" && !r.path.contains("oauth2") && !r.path.contains("$batch"))
        .collect()
}

fn marker_comments(github: &FakeRest<GitHub>, number: u64, marker: &str) -> Vec<String> {
    github.with(|g| {
        g.comments_on(number)
            .into_iter()
            .filter(|c| c.body.contains(marker))
            .map(|c| c.body.clone())
            .collect()
    })
}

const PLAN_MARKER: &str = "<!-- hangar:plan config=tenants/commercial -->";

#[test]
fn github_plan_posts_one_comment_and_updates_it_on_every_run() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    // A validation warning the comment must carry.
    std::fs::write(
        config.join("warned.yaml"),
        "kind: EnrollmentStatusPage\nname: Warned\npriority: 9\nallowUseOnError: true\n",
    )
    .unwrap();
    let sim = sim_for(&config);
    let github = fake_github::start();
    github.with(|g| {
        g.add_pull_request(7);
        // Enough comments from people that hangar's lands on the second page.
        for i in 0..120 {
            g.add_comment(7, &format!("review remark {i}"));
        }
    });
    let job = Job {
        github: &github,
        sim: &sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:pull_request"),
        event: pull_request_event(7),
        sha: MERGE_SHA,
        token: Some(TOKEN),
    };

    let (first, outputs) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&first, 0);
    assert!(outputs.contains("changes=true"), "{outputs}");
    assert!(
        outputs.contains("artifact=hangar-plan-pr7-tenants-commercial"),
        "{outputs}"
    );
    let posted = marker_comments(&github, 7, PLAN_MARKER);
    assert_eq!(posted.len(), 1, "one plan comment");
    let body = &posted[0];
    assert!(body.contains("### hangar plan: `tenants/commercial`"), "{body}");
    assert!(body.contains("Plan: "), "{body}");
    assert!(
        body.contains("`esp/recommended`"),
        "the warning is listed: {body}"
    );
    assert!(body.contains("commit `111111111111`"), "{body}");
    assert!(
        body.contains("https://github.example/contoso/autopilot/actions/runs/4242"),
        "{body}"
    );
    // The plan and its metadata are where the action uploads them from.
    let saved = workspace.path().join("runner-temp/hangar-ci");
    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(saved.join("hangar-ci.json")).unwrap()).unwrap();
    assert_eq!(metadata["pull_request"], 7);
    assert_eq!(metadata["head_sha"], HEAD_SHA);
    assert_eq!(metadata["config"], "tenants/commercial");
    assert!(saved.join("plan.json").is_file());
    // Signed in as the read app, with the commercial federated audience; nothing written.
    assert_eq!(
        github.with(|g| g.oidc_audiences.clone()),
        vec!["api://AzureADTokenExchange"]
    );
    assert!(writes(&sim).is_empty(), "a plan writes nothing");
    assert!(
        sim.request_log()
            .iter()
            .filter(|r| r.client_id.is_some())
            .all(|r| r.client_id.as_deref() == Some(READ_APP))
    );

    // The next push: the same comment is edited, none added.
    github.clear_calls();
    let (second, _) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&second, 0);
    assert_eq!(
        marker_comments(&github, 7, PLAN_MARKER).len(),
        1,
        "still one plan comment"
    );
    let calls = github.calls();
    let posts = calls.iter().filter(|c| c.method == "POST").count();
    let patches: Vec<_> = calls.iter().filter(|c| c.method == "PATCH").collect();
    assert_eq!(posts, 0, "no new comment: {calls:?}");
    assert_eq!(patches.len(), 1);
    assert!(patches[0].route().contains("/issues/comments/"));
    assert!(
        calls.iter().any(|c| c.query("page").as_deref() == Some("2")),
        "the comment was found on the second page"
    );
    assert_eq!(
        github.with(|g| g.comments_on(7).len()),
        121,
        "other comments untouched"
    );
}

#[test]
fn github_plan_failure_replaces_the_comment_and_fails_the_job() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    let github = fake_github::start();
    github.with(|g| g.add_pull_request(8));
    let job = Job {
        github: &github,
        sim: &sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:pull_request"),
        event: pull_request_event(8),
        sha: MERGE_SHA,
        token: Some(TOKEN),
    };
    let (ok, _) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&ok, 0);

    // Intune refuses every read from now on (a 400 is not retried).
    sim.inject(
        FaultRule::status(400, 1.0)
            .methods(MethodClass::Reads)
            .path("/deviceManagement"),
    );
    let (failed, outputs) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&failed, 1);
    assert!(stderr(&failed).contains("exited 1"), "{}", text(&failed));
    assert!(
        !outputs.contains("changes="),
        "no outputs for a failed plan: {outputs}"
    );
    let posted = marker_comments(&github, 8, PLAN_MARKER);
    assert_eq!(posted.len(), 1);
    assert!(posted[0].contains("`hangar plan` failed"), "{}", posted[0]);
    assert!(
        !posted[0].contains("Plan: "),
        "the old plan is gone: {}",
        posted[0]
    );
    let saved = workspace.path().join("runner-temp/hangar-ci");
    assert!(!saved.join("plan.json").exists(), "no plan to upload");
    assert!(!saved.join("hangar-ci.json").exists());

    // The write app cannot be used from a pull request: its sign-in is refused.
    sim.clear_faults();
    let as_writer = Job {
        client_id: WRITE_APP,
        ..job
    };
    let (refused, _) = as_writer.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&refused, 1);
    assert!(writes(&sim).is_empty());
}

#[test]
fn github_plan_of_an_invalid_configuration_lists_the_errors() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    std::fs::write(
        config.join("broken.yaml"),
        "kind: EnrollmentStatusPage\nname: Broken\n",
    )
    .unwrap();
    let github = fake_github::start();
    github.with(|g| g.add_pull_request(9));
    let job = Job {
        github: &github,
        sim: &sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:pull_request"),
        event: pull_request_event(9),
        sha: MERGE_SHA,
        token: Some(TOKEN),
    };
    let (output, _) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    let posted = marker_comments(&github, 9, PLAN_MARKER);
    assert_eq!(posted.len(), 1);
    assert!(posted[0].contains("`hangar validate` failed"), "{}", posted[0]);
    assert!(posted[0].contains("`esp/priority-required`"), "{}", posted[0]);
    assert!(posted[0].contains("broken.yaml:"), "{}", posted[0]);
    assert!(
        sim.request_log().is_empty(),
        "an invalid configuration never reaches the tenant"
    );
}

#[test]
fn github_scripts_refuse_bad_setup_and_api_errors_before_posting() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    let github = fake_github::start();
    github.with(|g| g.add_pull_request(10));
    let job = Job {
        github: &github,
        sim: &sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:pull_request"),
        event: pull_request_event(10),
        sha: MERGE_SHA,
        token: None,
    };

    // No token: said at once, nothing run or posted.
    let (output, _) = job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("`GITHUB_TOKEN` is not set"),
        "{}",
        text(&output)
    );
    assert!(github.calls().is_empty());
    assert!(sim.request_log().is_empty());

    // A wrong token: GitHub's answer is named, nothing posted.
    let wrong = Job {
        token: Some("ghs_expired"),
        ..job
    };
    let (output, _) = wrong.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    let message = stderr(&output);
    assert!(message.contains("answered 401: Bad credentials"), "{message}");
    assert!(!message.contains("ghs_expired"), "the token is never printed");
    assert!(github.calls().iter().all(|c| c.method == "GET"));

    // GitHub fails while the comment is looked up: no comment is posted blind.
    github.clear_calls();
    github.with(|g| g.failures.push(("GET".into(), "/comments".into(), 502)));
    let failing = Job {
        token: Some(TOKEN),
        ..wrong
    };
    let (output, _) = failing.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("answered 502"), "{}", text(&output));
    assert!(
        github.calls().iter().all(|c| c.method == "GET"),
        "{:?}",
        github.calls()
    );
    assert!(github.with(|g| g.comments_on(10).is_empty()));

    // Not a pull request event.
    let not_a_pr = Job {
        event: json!({ "ref": "refs/heads/main" }),
        ..failing
    };
    github.with(|g| g.failures.clear());
    let (output, _) = not_a_pr.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("not a pull request"),
        "{}",
        text(&output)
    );

    // A configuration that does not exist.
    let (output, _) = not_a_pr.run(&["github", "drift", "--config", "tenants/nowhere"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("`tenants/nowhere` does not exist"),
        "{}",
        text(&output)
    );
}

/// Zips the files of `dir` (as `actions/upload-artifact` would), under `prefix` (Azure DevOps
/// puts an artifact's files in a folder named after it).
fn zip_dir_in(dir: &Path, prefix: &str) -> Vec<u8> {
    let out = dir.with_extension("zip");
    let status = Command::new("python3")
        .args([
            "-c",
            "import os, sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[2], 'w') as z:\n\
             \x20   for n in sorted(os.listdir(sys.argv[1])):\n\
             \x20       z.write(os.path.join(sys.argv[1], n), sys.argv[3] + n)",
        ])
        .arg(dir)
        .arg(&out)
        .arg(prefix)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn zip_dir(dir: &Path) -> Vec<u8> {
    zip_dir_in(dir, "")
}

#[test]
fn github_apply_applies_exactly_the_plan_reviewed_on_the_merged_pull_request() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    let github = fake_github::start();
    github.with(|g| g.add_pull_request(11));
    let pr_job = Job {
        github: &github,
        sim: &sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:pull_request"),
        event: pull_request_event(11),
        sha: MERGE_SHA,
        token: Some(TOKEN),
    };
    let (planned, _) = pr_job.run(&["github", "plan", "--config", "tenants/commercial"]);
    assert_code(&planned, 0);
    let artifact = zip_dir(&workspace.path().join("runner-temp/hangar-ci"));
    let merge_job = Job {
        client_id: WRITE_APP,
        subject: format!("repo:{REPOSITORY}:environment:hangar-apply"),
        event: json!({ "ref": "refs/heads/main", "after": MERGE_SHA }),
        ..pr_job
    };

    // A push that no pull request made: refused, nothing written.
    let (output, _) = merge_job.run(&["github", "apply", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("not made by merging a pull request"),
        "{}",
        text(&output)
    );
    assert!(writes(&sim).is_empty());

    // The pull request merged at a commit whose plan nobody saw: refused.
    github.with(|g| {
        g.pulls_of_commit.insert(
            MERGE_SHA.into(),
            json!([{ "number": 11, "merged_at": "2026-12-01T10:00:00Z", "merge_commit_sha": MERGE_SHA,
                     "head": { "sha": "3333333333333333333333333333333333333333" } }]),
        );
        g.artifacts.push(fake_github::Artifact {
            id: 501,
            name: "hangar-plan-pr11-tenants-commercial".into(),
            head_sha: HEAD_SHA.into(),
            created_at: "2026-12-01T09:00:00Z".into(),
            zip: artifact.clone(),
        });
    });
    let (output, _) = merge_job.run(&["github", "apply", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("never planned and reviewed"),
        "{}",
        text(&output)
    );
    assert!(writes(&sim).is_empty());

    // Merged at the reviewed commit: the saved plan is applied, by the write app.
    github.with(|g| {
        g.pulls_of_commit.insert(
            MERGE_SHA.into(),
            json!([{ "number": 11, "merged_at": "2026-12-01T10:00:00Z", "merge_commit_sha": MERGE_SHA,
                     "head": { "sha": HEAD_SHA } }]),
        );
    });
    let (output, outputs) = merge_job.run(&["github", "apply", "--config", "tenants/commercial"]);
    assert!(outputs.contains("report="), "{outputs}");
    assert_applied(&output, &sim, &config, Some(WRITE_APP));
    // The artifact came from storage without the GitHub token.
    let blob = github
        .calls()
        .into_iter()
        .find(|c| c.route().starts_with("/blob/"))
        .expect("downloaded from storage");
    assert!(blob.authorization.is_none());
    assert!(blob.host.starts_with("localhost:"));
}

/// Whether this hangar has the saved-plan interface the apply job calls, `hangar apply PLAN.json
/// --config DIR --auto-approve` (re-plan and refuse unless equal: issue 12 item 2, branch
/// i12-tenant). Until it lands, the apply tests prove the job gets as far as that exact call and
/// changes nothing; once it lands they prove the tenant converges.
fn apply_takes_config() -> bool {
    let output = common::hangar(&["apply", "--help"]).output().unwrap();
    String::from_utf8_lossy(&output.stdout).contains("--config")
}

/// The end of an apply job: converged with the saved-plan interface, or (before it exists) a
/// refusal of exactly that call, with nothing written.
#[track_caller]
fn assert_applied(output: &Output, sim: &Sim, config: &Path, writer: Option<&str>) {
    if !apply_takes_config() {
        assert_code(output, 1);
        let message = stderr(output);
        assert!(
            message.contains("--config tenants/commercial --auto-approve --report"),
            "{message}"
        );
        assert!(message.contains("unexpected argument '--config'"), "{message}");
        assert!(writes(sim).is_empty());
        return;
    }
    assert_code(output, 0);
    let written = writes(sim);
    assert!(!written.is_empty());
    if let Some(writer) = writer {
        assert!(written.iter().all(|r| r.client_id.as_deref() == Some(writer)));
    }
    let output = hangar_admin(&["plan", config.to_str().unwrap(), "--detailed-exitcode"], sim);
    assert_code(&output, 0);
}

const DRIFT_COMMERCIAL: &str = "<!-- hangar:drift config=tenants/commercial -->";
const DRIFT_GCC_HIGH: &str = "<!-- hangar:drift config=tenants/gcc-high -->";

#[test]
fn github_drift_keeps_one_issue_per_tenant_and_closes_it_when_clean() {
    let workspace = Workspace::new();
    let commercial = workspace.add_commercial();
    let gcc_high = workspace.add_gcc_high();
    let commercial_sim = sim_for(&commercial);
    let gcc_high_sim = sim_for(&gcc_high);
    converge(&commercial, &commercial_sim);
    converge(&gcc_high, &gcc_high_sim);
    let github = fake_github::start();
    let nightly = |sim: &Sim, config: &str| {
        let job = Job {
            github: &github,
            sim,
            workspace: &workspace,
            client_id: READ_APP,
            subject: format!("repo:{REPOSITORY}:ref:refs/heads/main"),
            event: json!({ "schedule": "17 3 * * *" }),
            sha: MERGE_SHA,
            token: Some(TOKEN),
        };
        let (output, outputs) = job.run(&["github", "drift", "--config", config]);
        assert_code(&output, 0);
        outputs
    };
    let open_with = |marker: &str| {
        github.with(|g| {
            g.open_drift_issues()
                .into_iter()
                .filter(|i| i.body.contains(marker))
                .map(|i| (i.number, i.body.clone()))
                .collect::<Vec<_>>()
        })
    };

    // Both tenants match Git: no issue.
    assert!(nightly(&commercial_sim, "tenants/commercial").contains("drift=false"));
    assert!(nightly(&gcc_high_sim, "tenants/gcc-high").contains("drift=false"));
    assert!(github.with(|g| g.drift_issues().is_empty()));

    // Someone edits a commercial group in the portal: one issue, for that tenant only.
    edit_group_in_portal(&commercial_sim, "Autopilot-Sales", "edited in the portal");
    assert!(nightly(&commercial_sim, "tenants/commercial").contains("drift=true"));
    assert!(nightly(&gcc_high_sim, "tenants/gcc-high").contains("drift=false"));
    let issues = open_with(DRIFT_COMMERCIAL);
    assert_eq!(issues.len(), 1);
    let (number, body) = &issues[0];
    assert!(body.contains("Autopilot-Sales"), "{body}");
    assert!(open_with(DRIFT_GCC_HIGH).is_empty());

    // It persists: the same issue is updated, none added.
    github.clear_calls();
    nightly(&commercial_sim, "tenants/commercial");
    assert_eq!(open_with(DRIFT_COMMERCIAL).len(), 1);
    assert_eq!(open_with(DRIFT_COMMERCIAL)[0].0, *number);
    assert!(
        github.calls().iter().all(|c| c.method != "POST"),
        "{:?}",
        github.calls()
    );
    assert!(
        github
            .calls()
            .iter()
            .any(|c| c.method == "PATCH" && c.route().ends_with(&format!("/issues/{number}")))
    );

    // The GCC High tenant drifts too: its own issue; GCC High was read with the US Gov audience.
    edit_group_in_portal(&gcc_high_sim, "Autopilot Users", "edited in the portal");
    nightly(&gcc_high_sim, "tenants/gcc-high");
    assert_eq!(open_with(DRIFT_GCC_HIGH).len(), 1);
    assert_eq!(github.with(|g| g.open_drift_issues().len()), 2);
    assert!(
        github.with(|g| g
            .oidc_audiences
            .contains(&"api://AzureADTokenExchangeUSGov".to_owned())),
        "{:?}",
        github.with(|g| g.oidc_audiences.clone())
    );

    // A failed read touches no issue.
    github.clear_calls();
    commercial_sim.inject(
        FaultRule::status(400, 1.0)
            .methods(MethodClass::Reads)
            .path("/groups"),
    );
    let failing = Job {
        github: &github,
        sim: &commercial_sim,
        workspace: &workspace,
        client_id: READ_APP,
        subject: format!("repo:{REPOSITORY}:ref:refs/heads/main"),
        event: json!({}),
        sha: MERGE_SHA,
        token: Some(TOKEN),
    };
    let (output, _) = failing.run(&["github", "drift", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("no drift issue was opened, updated or closed"),
        "{}",
        text(&output)
    );
    let to_github: Vec<_> = github
        .calls()
        .into_iter()
        .filter(|c| c.route().starts_with("/repos/"))
        .collect();
    assert!(to_github.is_empty(), "{to_github:?}");
    commercial_sim.clear_faults();

    // Fixed (apply): the commercial issue is closed with a comment; GCC High's stays open.
    converge(&commercial, &commercial_sim);
    assert!(nightly(&commercial_sim, "tenants/commercial").contains("drift=false"));
    assert!(open_with(DRIFT_COMMERCIAL).is_empty());
    assert_eq!(open_with(DRIFT_GCC_HIGH).len(), 1);
    let closing = github.with(|g| {
        g.comments_on(*number)
            .into_iter()
            .map(|c| c.body.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(closing.len(), 1);
    assert!(closing[0].contains("matches Git again"), "{closing:?}");
}

// -- Azure DevOps --------------------------------------------------------------------------------

/// The environment of an Azure Pipelines job; sign-in with a client secret here (the template
/// turns the service connection into `AZURE_FEDERATED_TOKEN_FILE`, which hangar's own tests
/// cover).
struct Pipeline<'a> {
    ado: &'a FakeRest<fake_azure_devops::AzureDevOps>,
    sim: &'a Sim,
    workspace: &'a Workspace,
    pull_request: Option<u64>,
    source_version: &'a str,
    token: Option<&'a str>,
}

impl Pipeline<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let temp = self.workspace.path().join("agent-temp");
        std::fs::create_dir_all(&temp).unwrap();
        let mut command = script(self.workspace.path());
        command
            .args(args)
            .env(
                "SYSTEM_COLLECTIONURI",
                format!("{}/{}/", self.ado.url(), fake_azure_devops::ORGANIZATION),
            )
            .env("SYSTEM_TEAMPROJECT", fake_azure_devops::PROJECT)
            .env("BUILD_REPOSITORY_ID", fake_azure_devops::REPOSITORY_ID)
            .env("BUILD_BUILDID", "77")
            .env("BUILD_SOURCEVERSION", self.source_version)
            .env("SYSTEM_DEFINITIONID", "12")
            .env("AGENT_TEMPDIRECTORY", &temp)
            .env("HANGAR_ENDPOINT", self.sim.url())
            .env("AZURE_CLIENT_ID", ADMIN)
            .env("AZURE_CLIENT_SECRET", ADMIN_SECRET);
        if let Some(number) = self.pull_request {
            command
                .env("SYSTEM_PULLREQUEST_PULLREQUESTID", number.to_string())
                .env("SYSTEM_PULLREQUEST_SOURCECOMMITID", HEAD_SHA);
        }
        if let Some(token) = self.token {
            command.env("SYSTEM_ACCESSTOKEN", token);
        }
        command.output().expect("python3 runs")
    }
}

#[test]
fn azure_devops_plan_keeps_one_thread_and_marks_failures_active() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    let ado = fake_azure_devops::start();
    let pipeline = Pipeline {
        ado: &ado,
        sim: &sim,
        workspace: &workspace,
        pull_request: Some(31),
        source_version: MERGE_SHA,
        token: Some(fake_azure_devops::TOKEN),
    };
    let output = pipeline.run(&["azure-devops", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 0);
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        out.contains(
            "##vso[task.setvariable variable=artifact;isOutput=true]hangar-plan-pr31-tenants-commercial"
        ),
        "{out}"
    );
    let threads = ado.with(|a| a.threads.clone());
    assert_eq!(threads.len(), 1);
    assert!(threads[0].comments[0].1.contains(PLAN_MARKER));
    assert!(threads[0].comments[0].1.contains("Plan: "));
    assert_eq!(
        threads[0].status, "closed",
        "a good plan does not block completion"
    );

    // A failed plan: the same thread, its comment replaced, and active.
    sim.inject(
        FaultRule::status(400, 1.0)
            .methods(MethodClass::Reads)
            .path("/deviceManagement"),
    );
    let output = pipeline.run(&["azure-devops", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    let threads = ado.with(|a| a.threads.clone());
    assert_eq!(threads.len(), 1, "no second thread");
    assert!(threads[0].comments[0].1.contains("`hangar plan` failed"));
    assert_eq!(threads[0].status, "active");

    // Setup errors: no token, not a pull request build.
    ado.clear_calls();
    let no_token = Pipeline {
        token: None,
        ..pipeline
    };
    let output = no_token.run(&["azure-devops", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("`SYSTEM_ACCESSTOKEN` is not set"),
        "{}",
        text(&output)
    );
    let not_a_pr = Pipeline {
        pull_request: None,
        token: Some(fake_azure_devops::TOKEN),
        ..no_token
    };
    let output = not_a_pr.run(&["azure-devops", "plan", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("not for a pull request"),
        "{}",
        text(&output)
    );
    assert!(ado.calls().is_empty());
}

#[test]
fn azure_devops_drift_keeps_one_work_item_per_tenant_and_closes_it() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    converge(&config, &sim);
    let ado = fake_azure_devops::start();
    let pipeline = Pipeline {
        ado: &ado,
        sim: &sim,
        workspace: &workspace,
        pull_request: None,
        source_version: MERGE_SHA,
        token: Some(fake_azure_devops::TOKEN),
    };
    let drift = || {
        let output = pipeline.run(&["azure-devops", "drift", "--config", "tenants/commercial"]);
        assert_code(&output, 0);
    };
    drift();
    assert!(ado.with(|a| a.work_items.is_empty()));

    edit_group_in_portal(&sim, "Autopilot-Kiosk", "edited in the portal");
    drift();
    drift();
    let items = ado.with(|a| a.work_items.clone());
    assert_eq!(items.len(), 1, "one work item, updated: {items:?}");
    assert_eq!(items[0].title, "hangar drift: tenants/commercial");
    assert_eq!(items[0].kind, "Issue");
    assert_eq!(items[0].tags, "hangar-drift");
    assert!(items[0].description.starts_with("<pre>") && items[0].description.contains("Autopilot-Kiosk"));
    assert_eq!(items[0].history.len(), 1, "the second run says it still differs");

    converge(&config, &sim);
    drift();
    let items = ado.with(|a| a.work_items.clone());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].state, "Done");
    assert!(items[0].history.last().unwrap().contains("matches Git again"));

    // Drift again later: a new work item (the closed one stays closed).
    edit_group_in_portal(&sim, "Autopilot-Kiosk", "edited again");
    drift();
    assert_eq!(ado.with(|a| a.open_work_items("Done").len()), 1);
    assert_eq!(ado.with(|a| a.work_items.len()), 2);
}

#[test]
fn azure_devops_apply_applies_the_plan_of_the_completed_pull_request() {
    let workspace = Workspace::new();
    let config = workspace.add_commercial();
    let sim = sim_for(&config);
    let ado = fake_azure_devops::start();
    let pr = Pipeline {
        ado: &ado,
        sim: &sim,
        workspace: &workspace,
        pull_request: Some(32),
        source_version: "4444444444444444444444444444444444444444",
        token: Some(fake_azure_devops::TOKEN),
    };
    assert_code(
        &pr.run(&["azure-devops", "plan", "--config", "tenants/commercial"]),
        0,
    );
    let name = "hangar-plan-pr32-tenants-commercial";
    let zip = zip_dir_in(
        &workspace.path().join("agent-temp/hangar-ci"),
        &format!("{name}/"),
    );
    let merge = Pipeline {
        pull_request: None,
        source_version: MERGE_SHA,
        ..pr
    };

    // No completed pull request made this commit: refused.
    let output = merge.run(&["azure-devops", "apply", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("not made by completing a pull request"),
        "{}",
        text(&output)
    );

    // Completed, but its build published no plan: refused.
    ado.with(|a| {
        a.completed.insert(MERGE_SHA.into(), (32, HEAD_SHA.into()));
        a.builds.push(fake_azure_devops::Build {
            id: 900,
            branch: "refs/pull/32/merge".into(),
            artifacts: Default::default(),
        });
    });
    let output = merge.run(&["azure-devops", "apply", "--config", "tenants/commercial"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("no pipeline artifact"),
        "{}",
        text(&output)
    );
    assert!(writes(&sim).is_empty());

    // The newest build has it: applied.
    ado.with(|a| {
        a.builds.push(fake_azure_devops::Build {
            id: 901,
            branch: "refs/pull/32/merge".into(),
            artifacts: [(name.to_owned(), zip)].into(),
        });
    });
    let output = merge.run(&["azure-devops", "apply", "--config", "tenants/commercial"]);
    assert_applied(&output, &sim, &config, None);
}
