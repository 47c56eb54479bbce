//! Replacing a file durably: [`write()`] puts the new contents in a temporary file beside it,
//! flushes that to disk, renames it over the file and flushes the folder, so that a reader or a
//! crash sees the old contents or the new, never half of them, and a failure leaves the old file
//! as it was.
//!
//! Saved plans, apply reports, devices CSVs (`hangar devices import-csv`) and the simulator's
//! state file are written through it. It does not lock: two writers of one file both succeed,
//! and the last rename wins.
//!
//! Two details matter for files people keep in Git:
//!
//! - **A symlink is written through**: the file it points to is replaced and the link stays a
//!   link (a rename onto the link would turn it into a regular file).
//! - **No temporary file outlives its writer.** A process killed between creating
//!   `.<name>.<pid>.tmp` and renaming it cannot remove it, so every write first removes the
//!   temporaries of the same file whose process is gone (checked through `/proc/<pid>` where
//!   there is one; elsewhere, those older than an hour). A live writer's temporary file is never
//!   touched.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failed step of [`write()`]: which one, the file being written, and what the OS said.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} `{}`", path.display())]
pub struct Error {
    /// The step: `create a temporary file beside`, `write`, `fsync`, `rename a temporary file
    /// onto`.
    pub action: &'static str,
    /// The file being written (not the temporary one).
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: io::Error,
}

/// Replaces the contents of `path` with `bytes` (creating it when missing) through a temporary
/// file `.<name>.<pid>.tmp` in the same folder and a rename. The temporary file is removed when
/// a step fails.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with(path, |out| out.write_all(bytes))
}

/// Like [`write()`], with the contents written by `contents` into a buffered writer, so that a
/// large file is never held in memory whole.
pub fn write_with(path: &Path, contents: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let fail = |action: &'static str| {
        move |source: io::Error| Error {
            action,
            path: path.to_owned(),
            source,
        }
    };
    let target = through_links(path);
    let Some(name) = target.file_name().map(OsString::from) else {
        return Err(fail("write")(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        )));
    };
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    remove_stale_temporaries(&folder, &name);
    let temp = folder.join(temporary_name(&name, std::process::id()));
    let result = (|| {
        let file = File::create(&temp).map_err(fail("create a temporary file beside"))?;
        let mut out = BufWriter::new(file);
        contents(&mut out).map_err(fail("write"))?;
        let file = out
            .into_inner()
            .map_err(|error| fail("write")(error.into_error()))?;
        file.sync_all().map_err(fail("fsync"))?;
        drop(file);
        std::fs::rename(&temp, &target).map_err(fail("rename a temporary file onto"))?;
        // Make the rename itself durable; not every platform can open a folder.
        if let Ok(dir) = File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `.<name>.<pid>.tmp`.
fn temporary_name(name: &OsString, pid: u32) -> OsString {
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".{pid}.tmp"));
    temp
}

/// The file `path` names once symlinks are followed (at most 40, like the kernel), even when
/// the last one points at a file that does not exist yet.
fn through_links(path: &Path) -> PathBuf {
    let mut current = path.to_owned();
    for _ in 0..40 {
        let Ok(metadata) = std::fs::symlink_metadata(&current) else {
            break;
        };
        if !metadata.file_type().is_symlink() {
            break;
        }
        let Ok(target) = std::fs::read_link(&current) else {
            break;
        };
        current = match current.parent() {
            Some(parent) if target.is_relative() => parent.join(target),
            _ => target,
        };
    }
    current
}

/// Removes `.<name>.<pid>.tmp` files in `folder` left by writers that no longer run.
fn remove_stale_temporaries(folder: &Path, name: &OsString) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let prefix = {
        let mut prefix = OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        prefix.to_string_lossy().into_owned()
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let Some(pid) = file_name
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|kind| kind.is_file());
        if pid != own && regular && writer_is_gone(pid, &entry.path()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether the process that made a temporary file is gone: `/proc/<pid>` is missing, or, on a
/// system without `/proc`, the file is more than an hour old.
fn writer_is_gone(pid: u32, temp: &Path) -> bool {
    if Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    std::fs::metadata(temp)
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age > Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn creates_then_replaces_leaving_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(entries(dir.path()), ["plan.json"]);
    }

    #[test]
    fn a_failure_names_the_step_and_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: the rename onto it fails.
        let path = dir.path().join("report.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), b"old").unwrap();
        let error = write(&path, b"new").unwrap_err();
        assert_eq!(error.action, "rename a temporary file onto");
        assert_eq!(error.path, path);
        assert_eq!(std::fs::read(path.join("keep")).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["report.json"], "the temporary file is gone");

        let missing = dir.path().join("no-such-folder").join("x.json");
        let error = write(&missing, b"x").unwrap_err();
        assert_eq!(error.action, "create a temporary file beside");
        assert!(error.to_string().contains("no-such-folder"), "{error}");
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let error = write(Path::new("/"), b"x").unwrap_err();
        assert_eq!(error.source.kind(), io::ErrorKind::InvalidInput);
    }

    /// The largest pid Linux hands out is 4,194,304: this one never runs.
    const DEAD_PID: u32 = 999_999_999;

    #[cfg(unix)]
    #[test]
    fn temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.csv");
        let dead = dir.path().join(format!(".fleet.csv.{DEAD_PID}.tmp"));
        std::fs::write(&dead, b"half a csv").unwrap();
        // Another file's temporary and a lookalike are not ours to remove.
        let other = dir.path().join(format!(".other.csv.{DEAD_PID}.tmp"));
        std::fs::write(&other, b"x").unwrap();
        let lookalike = dir.path().join(".fleet.csv.notapid.tmp");
        std::fs::write(&lookalike, b"x").unwrap();
        // A live writer (this test process, which is not the writer below only by pid).
        let parent = std::os::unix::process::parent_id();
        let live = dir.path().join(format!(".fleet.csv.{parent}.tmp"));
        std::fs::write(&live, b"being written").unwrap();
        write(&path, b"new").unwrap();
        assert!(!dead.exists(), "the dead writer's temporary is gone");
        assert!(other.exists() && lookalike.exists());
        if Path::new("/proc/self").exists() {
            assert!(live.exists(), "a live writer's temporary is kept");
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/fleet.csv");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("fleet.csv");
        std::os::unix::fs::symlink("real/fleet.csv", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(entries(&dir.path().join("real")), ["fleet.csv"]);
        // A link to a file that does not exist yet creates that file.
        let dangling = dir.path().join("new.csv");
        std::os::unix::fs::symlink("real/created.csv", &dangling).unwrap();
        write(&dangling, b"made").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("real/created.csv")).unwrap(),
            b"made"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn contents_can_be_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        write_with(&path, |out| {
            for _ in 0..1000 {
                out.write_all(b"0123456789")?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 10_000);
        let error = write_with(&path, |_| Err(io::Error::other("stop"))).unwrap_err();
        assert_eq!(error.action, "write");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            10_000,
            "the old file stays"
        );
        assert_eq!(entries(dir.path()), ["big"]);
    }
}
