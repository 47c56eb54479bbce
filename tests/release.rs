//! Release packaging and installation (`ci/hangar-ci.py package|checksums|install`), on the
//! Linux build this machine can make: the archive layout, the checksum file, reproducible
//! archives, and an install that verifies checksums, uses its cache, and refuses a tampered
//! archive. Release files are served by a fake GitHub release download.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/fake_rest.rs"]
mod fake_rest;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_rest::{Answer, FakeRest};

const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(root().join("ci/hangar-ci.py"))
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("GITHUB_PATH")
        .output()
        .expect("python3 runs")
}

#[track_caller]
fn assert_ok(output: &Output) -> String {
    assert!(output.status.success(), "{}", common::text(output));
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

/// The binary under test without its debug info (a test build is ~250 MB, most of it DWARF;
/// release builds are stripped too), so that packaging it takes seconds, not minutes.
fn stripped_binary() -> PathBuf {
    static BINARY: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = BINARY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hangar");
        std::fs::copy(env!("CARGO_BIN_EXE_hangar"), &path).unwrap();
        let status = Command::new("strip")
            .arg("--strip-debug")
            .arg(&path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "strip (binutils) is part of the C toolchain hangar builds with"
        );
        (dir, path)
    });
    path.clone()
}

fn package(target: &str, out: &Path) -> PathBuf {
    let binary = stripped_binary();
    PathBuf::from(assert_ok(&script(&[
        "package",
        "--binary",
        binary.to_str().unwrap(),
        "--target",
        target,
        "--version",
        VERSION,
        "--out-dir",
        out.to_str().unwrap(),
    ])))
}

/// `(path, mode)` of every entry, read with Python's tarfile/zipfile.
fn listing(archive: &Path) -> Vec<(String, u32)> {
    let program = "import sys, tarfile, zipfile\n\
        p = sys.argv[1]\n\
        if p.endswith('.zip'):\n\
        \x20   for i in zipfile.ZipFile(p).infolist(): print(i.filename, (i.external_attr >> 16) & 0o777)\n\
        else:\n\
        \x20   for m in tarfile.open(p).getmembers(): print(m.name + ('/' if m.isdir() else ''), m.mode, m.uid, m.gid, m.mtime)";
    let output = Command::new("python3")
        .args(["-c", program])
        .arg(archive)
        .output()
        .unwrap();
    assert_ok(&output)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            if fields.len() > 2 {
                assert_eq!(&fields[2..], ["0", "0", "0"], "owner and time are fixed: {line}");
            }
            (fields[0].to_owned(), fields[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_linux_archive_holds_the_binary_licences_readme_completions_and_man_pages() {
    let dir = tempfile::tempdir().unwrap();
    let target = "x86_64-unknown-linux-gnu";
    let archive = package(target, &dir.path().join("dist"));
    assert_eq!(
        archive.file_name().unwrap().to_str().unwrap(),
        format!("hangar-{VERSION}-{target}.tar.gz")
    );
    let top = format!("hangar-{VERSION}-{target}");
    let entries = listing(&archive);
    let files: BTreeMap<String, u32> = entries
        .iter()
        .filter(|(name, _)| !name.ends_with('/'))
        .map(|(name, mode)| (name.strip_prefix(&format!("{top}/")).unwrap().to_owned(), *mode))
        .collect();
    assert_eq!(files["hangar"], 0o755);
    for name in [
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "README.md",
        "completions/hangar.bash",
        "completions/_hangar",
        "completions/hangar.fish",
        "completions/hangar.ps1",
        "man/man1/hangar.1",
        "man/man1/hangar-plan.1",
    ] {
        assert_eq!(files.get(name), Some(&0o644), "{name} in {files:?}");
    }
    assert!(files.keys().all(|name| name == "hangar"
        || ["LICENSE-APACHE", "LICENSE-MIT", "README.md"].contains(&name.as_str())
        || name.starts_with("completions/")
        || name.starts_with("man/man1/hangar")));

    // The packaged binary runs and is the one we built.
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let binary = unpacked.join(&top).join("hangar");
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(stripped_binary()).unwrap()
    );
    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert_eq!(
        assert_ok(&version),
        format!("hangar {}", env!("CARGO_PKG_VERSION"))
    );

    // The same inputs give the same bytes.
    let again = package(target, &dir.path().join("again"));
    assert_eq!(std::fs::read(&archive).unwrap(), std::fs::read(&again).unwrap());

    // Windows archives are zips with hangar.exe.
    let zip = package("x86_64-pc-windows-msvc", &dir.path().join("dist"));
    assert!(zip.to_str().unwrap().ends_with("x86_64-pc-windows-msvc.zip"));
    let names: Vec<String> = listing(&zip).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&format!("hangar-{VERSION}-x86_64-pc-windows-msvc/hangar.exe")),
        "{names:?}"
    );
    assert!(names.contains(&format!(
        "hangar-{VERSION}-x86_64-pc-windows-msvc/completions/hangar.ps1"
    )));

    // SHA256SUMS covers every release file, in the format `sha256sum -c` reads.
    let sums = PathBuf::from(assert_ok(&script(&[
        "checksums",
        dir.path().join("dist").to_str().unwrap(),
    ])));
    let text = std::fs::read_to_string(&sums).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir.path().join("dist"))
        .output()
        .unwrap();
    assert_ok(&check);
}

#[test]
fn packaging_refuses_a_binary_of_another_version_or_a_missing_binary() {
    let dir = tempfile::tempdir().unwrap();
    let output = script(&[
        "package",
        "--binary",
        env!("CARGO_BIN_EXE_hangar"),
        "--target",
        "x86_64-unknown-linux-gnu",
        "--version",
        "v9.9.9",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("v9.9.9"),
        "{}",
        common::text(&output)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    let output = script(&[
        "package",
        "--binary",
        "/nonexistent/hangar",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--version",
        VERSION,
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(common::stderr(&output).contains("build hangar first"));
}

/// A GitHub release download: `/{tag}/{name}`.
fn release_server(files: BTreeMap<String, Vec<u8>>) -> FakeRest<BTreeMap<String, Vec<u8>>> {
    FakeRest::start(files, |files, call, _| {
        let route = call.route().trim_start_matches('/').to_owned();
        match files.get(&route) {
            Some(data) => Answer::bytes(200, data.clone()),
            None => Answer::bytes(404, b"Not Found".to_vec()),
        }
    })
}

fn install(server: &FakeRest<BTreeMap<String, Vec<u8>>>, cache: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "install",
        "--version",
        VERSION,
        "--dir",
        cache.to_str().unwrap(),
        "--target",
        "x86_64-unknown-linux-musl",
    ];
    let url = server.url();
    args.extend(["--releases-url", url.as_str()]);
    args.extend_from_slice(extra);
    script(&args)
}

#[test]
fn install_verifies_the_checksum_caches_and_refuses_a_tampered_archive() {
    let dir = tempfile::tempdir().unwrap();
    // This machine's build, packaged under the name the installer picks for Linux x86_64.
    let dist = dir.path().join("dist");
    let archive = package("x86_64-unknown-linux-musl", &dist);
    assert_ok(&script(&["checksums", dist.to_str().unwrap()]));
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    let bytes = std::fs::read(&archive).unwrap();
    let sums = std::fs::read(dist.join("SHA256SUMS")).unwrap();
    let server = release_server(BTreeMap::from([
        (format!("{VERSION}/{name}"), bytes.clone()),
        (format!("{VERSION}/SHA256SUMS"), sums.clone()),
    ]));

    let cache = dir.path().join("cache");
    let binary = PathBuf::from(assert_ok(&install(&server, &cache, &[])));
    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert_eq!(
        assert_ok(&version),
        format!("hangar {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(server.calls().len(), 2);

    // Cached: verified again, nothing downloaded.
    server.clear_calls();
    assert_ok(&install(&server, &cache, &[]));
    assert!(server.calls().is_empty(), "{:?}", server.calls());

    // A pinned digest that does not match: refused even though SHA256SUMS agrees.
    let output = install(
        &server,
        &dir.path().join("pinned"),
        &["--checksum", &"0".repeat(64)],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("the pinned `checksum`"),
        "{}",
        common::text(&output)
    );
    assert!(
        !dir.path()
            .join(format!("pinned/{VERSION}/x86_64-unknown-linux-musl/bin/hangar"))
            .exists()
    );

    // The archive on the server was swapped: refused, nothing extracted, nothing kept.
    let mut tampered = bytes;
    let last = tampered.len() - 1;
    tampered[last] ^= 0xff;
    server.with(|files| files.insert(format!("{VERSION}/{name}"), tampered));
    let fresh = dir.path().join("fresh");
    let output = install(&server, &fresh, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = common::stderr(&output);
    assert!(message.contains("refusing to install hangar"), "{message}");
    assert!(message.contains("`SHA256SUMS` says"), "{message}");
    let folder = fresh.join(format!("{VERSION}/x86_64-unknown-linux-musl"));
    assert!(!folder.join("bin/hangar").exists());
    assert!(!folder.join(&name).exists(), "a bad download is not cached");

    // A release without this platform, and a version that is not one.
    server.with(|files| files.remove(&format!("{VERSION}/{name}")));
    let output = install(&server, &dir.path().join("missing"), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("answered 404"),
        "{}",
        common::text(&output)
    );
    let output = script(&[
        "install",
        "--version",
        "main",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(common::stderr(&output).contains("not a release version"));
}
