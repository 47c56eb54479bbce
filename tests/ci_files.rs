//! The files that ship hangar rather than run in it: the workflow, action and pipeline files
//! against their published schemas, the container image's Dockerfile, the shell completions
//! and man pages the CLI generates, and the Python unit tests of the CI scripts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned `check-jsonschema`, installed from PyPI into `target/ci-tools` on first use
/// (`.ci/run` prepares it too).
fn check_jsonschema() -> &'static [String] {
    static COMMAND: OnceLock<Vec<String>> = OnceLock::new();
    COMMAND.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target"));
        let venv = target.join("ci-tools/check-jsonschema");
        let output = Command::new("python3")
            .arg(root().join("ci/hangar-ci.py"))
            .args(["check-jsonschema", "--venv"])
            .arg(&venv)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "cannot install check-jsonschema: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

/// Validates `files` against a schema built into check-jsonschema; `(ok, output)`.
fn validate(schema: &str, files: &[PathBuf]) -> (bool, String) {
    let command = check_jsonschema();
    let output = Command::new(&command[0])
        .args(&command[1..])
        // The Azure Pipelines schema has patterns the default (Unicode) engine rejects.
        .args(["--regex-variant", "nonunicode", "--builtin-schema", schema])
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no YAML in {}", dir.display());
    files
}

#[test]
fn workflows_action_and_pipelines_match_their_schemas() {
    let mut workflows = yaml_files(&root().join(".github/workflows"));
    workflows.extend(yaml_files(&root().join("docs/examples/github")));
    let (ok, text) = validate("vendor.github-workflows", &workflows);
    assert!(ok, "{text}");
    let (ok, text) = validate("vendor.github-actions", &[root().join("action.yml")]);
    assert!(ok, "{text}");
    let (ok, text) = validate(
        "vendor.azure-pipelines",
        &yaml_files(&root().join("azure-pipelines")),
    );
    assert!(ok, "{text}");
}

/// The pinned `kubernetes-validate` (Kubernetes' own JSON schemas), from the same environment.
fn kubernetes_validate(files: &[PathBuf]) -> (bool, String) {
    check_jsonschema();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let output = Command::new("python3")
        .arg(root().join("ci/hangar-ci.py"))
        .args(["kubernetes-validate", "--venv"])
        .arg(target.join("ci-tools/check-jsonschema"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let command: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let output = Command::new(&command[0])
        .args(&command[1..])
        .args(["--strict", "--kubernetes-version", "1.30.0"])
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && !text.contains("ERROR"), text)
}

#[test]
fn kubernetes_manifests_match_the_kubernetes_schemas() {
    let manifests = yaml_files(&root().join("deploy/kubernetes"));
    let (ok, text) = kubernetes_validate(&manifests);
    assert!(ok, "{text}");
    // Every resource was checked (a file the tool skipped would pass silently).
    let checked = text.matches(" passed for resource ").count();
    assert_eq!(checked, 7, "{text}");

    // A misspelt field fails (strict), so the check can fail.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    let cronjob = std::fs::read_to_string(root().join("deploy/kubernetes/cronjobs.yaml")).unwrap();
    std::fs::write(
        &broken,
        cronjob.replacen("concurrencyPolicy:", "concurrencyPolicyy:", 1),
    )
    .unwrap();
    let (ok, text) = kubernetes_validate(&[broken]);
    assert!(!ok, "{text}");
}

#[test]
fn the_kubernetes_jobs_run_each_listed_tenant_with_its_metrics_file() {
    let cronjobs = std::fs::read_to_string(root().join("deploy/kubernetes/cronjobs.yaml")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["tenants", "examples/many-tenants", "--format", "json"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for tenant in listing["tenants"].as_array().unwrap() {
        let name = tenant["name"].as_str().unwrap();
        for expected in [
            format!("- /repo/current/tenants/{name}\n"),
            format!("- --metrics=/metrics/{name}.prom\n"),
            format!("value: {}\n", tenant["tenant_id"].as_str().unwrap()),
        ] {
            assert!(cronjobs.contains(&expected), "{expected:?} missing");
        }
    }
}

#[test]
fn docs_ci_shows_the_example_workflow_as_it_is() {
    let example = std::fs::read_to_string(root().join("docs/examples/github/hangar.yml")).unwrap();
    let page = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    assert!(
        page.contains(example.trim_end()),
        "docs/ci.md must quote docs/examples/github/hangar.yml verbatim"
    );
}

#[test]
fn the_schema_check_fails_on_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = dir.path().join("broken.yml");
    std::fs::write(
        &workflow,
        "on: push\njobs:\n  build:\n    steps:\n      - run: true\n",
    )
    .unwrap();
    let (ok, text) = validate("vendor.github-workflows", &[workflow]);
    assert!(!ok, "a job without `runs-on` must fail: {text}");
    let action = dir.path().join("action.yml");
    std::fs::write(
        &action,
        "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n",
    )
    .unwrap();
    let (ok, text) = validate("vendor.github-actions", &[action]);
    assert!(!ok, "a composite `run` step without `shell` must fail: {text}");
    let pipeline = dir.path().join("pipeline.yml");
    std::fs::write(&pipeline, "steps:\n  - task: PowerShell@2\n    inputz: {}\n").unwrap();
    let (ok, text) = validate("vendor.azure-pipelines", &[pipeline]);
    assert!(!ok, "an unknown step key must fail: {text}");
}

/// One Dockerfile instruction: keyword and its arguments, continuation lines joined.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        joined.push(std::mem::take(&mut current));
    }
    joined
        .into_iter()
        .map(|line| {
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
            (keyword.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

#[test]
fn the_container_image_holds_only_hangar_and_ca_certificates_and_runs_as_non_root() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let all = instructions(&text);
    let stages: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| k == "FROM")
        .map(|(i, _)| i)
        .collect();
    assert!(stages.len() >= 2, "multi-stage");
    let build = &all[stages[0]..*stages.last().unwrap()];
    let runtime = &all[*stages.last().unwrap()..];

    // The build: a static musl build of the distribution profile, from the lock file.
    assert!(build[0].1.contains("alpine"), "{:?}", build[0]);
    assert!(
        build
            .iter()
            .any(|(k, a)| k == "RUN" && a.contains("cargo build --locked --profile dist --bin hangar"))
    );

    // The runtime stage: nothing but the binary and the CA bundle.
    assert_eq!(runtime[0].1, "scratch");
    let kinds: Vec<&str> = runtime.iter().map(|(k, _)| k.as_str()).collect();
    assert!(!kinds.contains(&"RUN") && !kinds.contains(&"ADD"), "{kinds:?}");
    let copies: Vec<&String> = runtime
        .iter()
        .filter(|(k, _)| k == "COPY")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        copies,
        [
            "--from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
            "--from=build /hangar /usr/local/bin/hangar",
        ]
    );
    let users: Vec<&String> = runtime
        .iter()
        .filter(|(k, _)| k == "USER")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(users.len(), 1);
    let (uid, gid) = users[0].split_once(':').unwrap();
    assert!(
        uid.parse::<u32>().unwrap() > 0 && gid.parse::<u32>().unwrap() > 0,
        "non-root, numeric"
    );
    assert!(runtime.contains(&("ENTRYPOINT".into(), "[\"/usr/local/bin/hangar\"]".into())));
    assert!(
        runtime
            .iter()
            .any(|(k, a)| k == "ENV" && a == "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
    );

    // The build context leaves out build output and local state.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    for entry in ["target/", ".git/", "demo-tenant.json"] {
        assert!(
            ignore.lines().any(|l| l.trim() == entry),
            "{entry} is not ignored"
        );
    }
}

fn hangar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn completions_are_generated_for_every_shell_from_the_cli_definition() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef hangar"),
        ("fish", "complete -c hangar"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = hangar(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {marker}");
        for command in ["validate", "plan", "drift", "apply", "completions"] {
            assert!(script.contains(command), "{shell} completes `{command}`");
        }
        assert!(script.contains("--detailed-exitcode"), "{shell} completes flags");
    }
    let output = hangar(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(1), "a usage error is exit 1");
}

#[test]
fn man_pages_are_generated_from_the_cli_definition() {
    let output = hangar(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains(".TH hangar 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")));
    let dir = tempfile::tempdir().unwrap();
    let output = hangar(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(output.status.success());
    for name in [
        "hangar.1",
        "hangar-plan.1",
        "hangar-apply.1",
        "hangar-devices-import-csv.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}");
    }
    let plan = std::fs::read_to_string(dir.path().join("hangar-plan.1")).unwrap();
    assert!(
        plan.contains("detailed\\-exitcode"),
        "the plan page documents its flags"
    );
}

#[test]
fn python_unit_tests_of_the_ci_scripts_pass() {
    let output = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "ci/tests", "-t", "ci"])
        .current_dir(root())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("OK"), "{text}");
}
