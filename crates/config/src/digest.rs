//! The digest of a configuration: what a saved plan records so that `apply` can prove it runs
//! exactly the configuration a reviewer approved.
//!
//! "The configuration" is every file the loader read: every YAML file under the directory and
//! every devices CSV its documents name. The CSVs matter although a plan holds no hardware
//! hash: a plan's device imports point into the CSVs (row and byte offset), and `apply` reads
//! the hashes back from there, so a CSV edited after review would register other hardware.
//! Files the loader does not read (a README, a `.git` directory) are not part of it.
//!
//! Files of the bases a `Tenant` includes are part of it too. Each file is hashed (SHA-256:
//! the YAML text the loader parsed, the CSV bytes streamed from disk) under its path relative
//! to the configuration directory (`../../base/esp.yaml` for a base's), with `/` separators, so the
//! same configuration checked out elsewhere has the same digest. The digest is SHA-256 over the
//! sorted `sha256  path` lines, as `sha256sum` prints them.

use std::io::Read;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::span::{SourceKind, SourceMap};
use crate::{Error, Limits};

/// The digest of a configuration, with one entry per file so that a mismatch can say which
/// file changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDigest {
    /// `sha256:` and 64 hex digits, over every file's line (see the module docs).
    pub digest: String,
    /// Every file read, sorted by path.
    pub files: Vec<FileDigest>,
}

/// One file of a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Relative to the configuration directory, `/`-separated.
    pub path: String,
    /// SHA-256 of its content, 64 hex digits.
    pub sha256: String,
}

impl ConfigDigest {
    /// The digest of the configuration loaded from `root` (a directory, or one YAML file) whose
    /// files are in `sources`. YAML is hashed from the text in memory; CSVs are read again
    /// (capped like the loader's reads).
    pub fn of(root: &Path, sources: &SourceMap) -> Result<ConfigDigest, Error> {
        let base = if root.is_file() {
            root.parent().unwrap_or(Path::new(""))
        } else {
            root
        };
        let mut files = Vec::new();
        for (_, file) in sources.files() {
            let sha256 = match (&file.text, file.kind) {
                (Some(text), _) => hex(&Sha256::digest(text.as_bytes())),
                (None, SourceKind::Csv) => hash_file(&file.path, Limits::default().max_csv_bytes)?,
                // A YAML file that could not be read makes the configuration invalid: no plan
                // is made from it, so its digest is never compared. Hash what is there.
                (None, SourceKind::Yaml) => hash_file(&file.path, Limits::default().max_yaml_bytes)
                    .unwrap_or_else(|_| "unreadable".to_owned()),
            };
            files.push(FileDigest {
                path: relative(base, &file.path),
                sha256,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup();
        let mut hasher = Sha256::new();
        for file in &files {
            hasher.update(file.sha256.as_bytes());
            hasher.update(b"  ");
            hasher.update(file.path.as_bytes());
            hasher.update(b"\n");
        }
        Ok(ConfigDigest {
            digest: format!("sha256:{}", hex(&hasher.finalize())),
            files,
        })
    }

    /// How `now` differs from `self` (the recorded one), one line per file: changed, added,
    /// removed. Empty when the digests are equal.
    pub fn differences(&self, now: &ConfigDigest) -> Vec<String> {
        if self.digest == now.digest {
            return Vec::new();
        }
        let mut out = Vec::new();
        for before in &self.files {
            match now.files.iter().find(|f| f.path == before.path) {
                None => out.push(format!("`{}` is gone", before.path)),
                Some(after) if after.sha256 != before.sha256 => {
                    out.push(format!("`{}` changed", before.path));
                }
                Some(_) => {}
            }
        }
        for after in &now.files {
            if !self.files.iter().any(|f| f.path == after.path) {
                out.push(format!("`{}` is new", after.path));
            }
        }
        if out.is_empty() {
            // The per-file lists agree but the digest does not: the record was edited.
            out.push(format!(
                "the recorded digest `{}` does not match its own file list",
                self.digest
            ));
        }
        out
    }
}

/// `path` relative to `base`, `/`-separated. A file of an included base is outside `base`:
/// it is named from the configuration directory (`../../base/esp.yaml`), both resolved, so the
/// name does not depend on the working directory; `path` itself when even that fails.
fn relative(base: &Path, path: &Path) -> String {
    let outside;
    let inside = match path.strip_prefix(base) {
        Ok(inside) => inside,
        Err(_) => {
            let resolved = std::fs::canonicalize(base)
                .ok()
                .zip(std::fs::canonicalize(path).ok())
                .and_then(|(base, path)| crate::include::relative(&path, &base));
            outside = resolved.unwrap_or_else(|| path.to_owned());
            &outside
        }
    };
    let parts: Vec<String> = inside
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn hash_file(path: &Path, cap: u64) -> Result<String, Error> {
    let read_error = |source: std::io::Error| Error::Digest {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut limited = file.take(cap.saturating_add(1));
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = limited.read(&mut buffer).map_err(read_error)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    if total > cap {
        return Err(read_error(std::io::Error::other(format!(
            "larger than {cap} bytes"
        ))));
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn example(dir: &Path) {
        write(
            dir,
            "tenant.yaml",
            "kind: Tenant\nname: Contoso\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n",
        );
        write(
            dir,
            "devices.yaml",
            "kind: AutopilotDevices\nname: Fleet\nsource: devices/fleet.csv\n",
        );
        write(
            dir,
            "devices/fleet.csv",
            "Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,\n",
        );
    }

    fn digest_of(dir: &Path) -> ConfigDigest {
        let loaded = crate::load(dir).unwrap();
        ConfigDigest::of(dir, &loaded.sources).unwrap()
    }

    #[test]
    fn yaml_and_csvs_are_covered_and_paths_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        example(dir.path());
        write(dir.path(), "README.md", "not read");
        let digest = digest_of(dir.path());
        let paths: Vec<&str> = digest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["devices.yaml", "devices/fleet.csv", "tenant.yaml"]);
        assert!(digest.digest.starts_with("sha256:") && digest.digest.len() == 71);

        // The same files elsewhere: the same digest.
        let other = tempfile::tempdir().unwrap();
        example(other.path());
        assert_eq!(digest_of(other.path()), digest);

        // A README is not configuration; a CSV is.
        write(dir.path(), "README.md", "edited");
        assert_eq!(digest_of(dir.path()), digest);
        write(
            dir.path(),
            "devices/fleet.csv",
            "Device Serial Number,Windows Product ID,Hardware Hash\nSN2,,\n",
        );
        let changed = digest_of(dir.path());
        assert_ne!(changed.digest, digest.digest);
        assert_eq!(digest.differences(&changed), vec!["`devices/fleet.csv` changed"]);

        write(
            dir.path(),
            "more.yaml",
            "kind: DeviceGroup\nname: G\nmembership:\n  type: assigned\n",
        );
        let added = digest_of(dir.path());
        assert!(
            changed
                .differences(&added)
                .contains(&"`more.yaml` is new".to_owned()),
            "{:?}",
            changed.differences(&added)
        );
        assert!(digest.differences(&digest).is_empty());
    }
}
