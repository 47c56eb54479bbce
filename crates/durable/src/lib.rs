//! Replacing a file durably: [`write()`] puts the new contents in a temporary file beside it,
//! flushes that to disk, renames it over the file and flushes the folder, so that a reader or a
//! crash sees the old contents or the new, never half of them, and a failure leaves the old file
//! as it was.
//!
//! Saved plans, apply reports and the simulator's state file are written through it. It does
//! not lock: two writers of one file both succeed, and the last rename wins.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    let fail = |action: &'static str| {
        move |source: io::Error| Error {
            action,
            path: path.to_owned(),
            source,
        }
    };
    let Some(name) = path.file_name() else {
        return Err(fail("write")(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        )));
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = folder.join(temp_name);
    let result = (|| {
        let mut file = File::create(&temp).map_err(fail("create a temporary file beside"))?;
        file.write_all(bytes).map_err(fail("write"))?;
        file.sync_all().map_err(fail("fsync"))?;
        drop(file);
        std::fs::rename(&temp, path).map_err(fail("rename a temporary file onto"))?;
        // Make the rename itself durable; not every platform can open a folder.
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
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
}
