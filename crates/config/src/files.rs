//! Which files a configuration may make hangar read, and how they are opened.
//!
//! A configuration directory comes from whoever can open a pull request, and `validate` runs
//! in CI next to the pipeline's secrets. So every path a configuration names (`source:`) and
//! every file the directory walk finds must resolve, symlinks followed, **inside the
//! configuration directory** ([`Root::check`]); and only **regular files** are opened
//! ([`open_regular`]): a FIFO would block forever, `/dev/zero` never ends, and `/proc` files
//! report a size of 0 whatever they hold. Reads are bounded by size before and while reading
//! ([`read_capped`]).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The configuration directory, resolved (symlinks followed), that every file read must be in.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    dir: PathBuf,
}

/// Why a path may not be read.
#[derive(Debug)]
pub(crate) enum Refused {
    /// It resolves outside the configuration directory (to the resolved path).
    Outside(PathBuf),
    /// It is not a regular file (what it is).
    NotRegular(&'static str),
    /// It cannot be resolved or inspected.
    Io(io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Outside(resolved) => write!(
                f,
                "it resolves to `{}`, outside the configuration directory",
                resolved.display()
            ),
            Refused::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refused::Io(error) => write!(f, "{error}"),
        }
    }
}

impl Root {
    /// The root for loading `path`: the directory itself, or the folder of a single file.
    pub(crate) fn of(path: &Path) -> io::Result<Root> {
        let resolved = std::fs::canonicalize(path)?;
        let dir = if resolved.is_dir() {
            resolved
        } else {
            resolved.parent().map(Path::to_owned).unwrap_or(resolved)
        };
        Ok(Root { dir })
    }

    /// The resolved directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Resolves `path` (symlinks followed) and checks that it is inside the directory. A path
    /// that does not exist yet is checked through its folder, so that a file hangar would
    /// create cannot be outside either.
    pub(crate) fn check(&self, path: &Path) -> Result<PathBuf, Refused> {
        let resolved = match std::fs::canonicalize(path) {
            Ok(resolved) => resolved,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                // A dangling symlink is not "missing": refuse to guess where it would lead.
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(Refused::Io(error));
                }
                let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                    return Err(Refused::Io(error));
                };
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                match std::fs::canonicalize(parent) {
                    Ok(folder) => folder.join(name),
                    Err(_) => return Err(Refused::Io(error)),
                }
            }
            Err(error) => return Err(Refused::Io(error)),
        };
        if resolved.starts_with(&self.dir) {
            Ok(resolved)
        } else {
            Err(Refused::Outside(resolved))
        }
    }
}

/// What a file that is not regular is, in words.
pub(crate) fn file_type_name(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Whether `path` (symlinks followed) is a regular file; `Err` says what it is instead.
pub(crate) fn ensure_regular(path: &Path) -> Result<(), Refused> {
    let metadata = std::fs::metadata(path).map_err(Refused::Io)?;
    if metadata.is_file() && !is_proc(path) {
        Ok(())
    } else if metadata.is_file() {
        Err(Refused::NotRegular("a /proc file"))
    } else {
        Err(Refused::NotRegular(file_type_name(metadata.file_type())))
    }
}

/// `/proc` and `/sys` files look regular but are generated on read and report no size.
fn is_proc(path: &Path) -> bool {
    std::fs::canonicalize(path)
        .map(|resolved| resolved.starts_with("/proc") || resolved.starts_with("/sys"))
        .unwrap_or(false)
}

/// Opens a regular file for reading, refusing anything else *before* opening it (opening a
/// FIFO blocks until something writes to it).
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    ensure_regular(path).map_err(|refused| match refused {
        Refused::Io(error) => error,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    })?;
    let file = File::open(path)?;
    // Checked again on the open file, in case the path changed in between.
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    Ok(file)
}

/// What [`read_capped`] found.
pub(crate) enum Capped {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file is larger than the cap: its size (or at least `cap + 1`).
    TooLarge(u64),
}

/// Reads a regular file unless it is larger than `cap` bytes, checked before reading (from its
/// size) and while reading (at most `cap + 1` bytes are read, whatever the size said).
pub(crate) fn read_capped(path: &Path, cap: u64) -> io::Result<Capped> {
    let file = open_regular(path)?;
    let size = file.metadata()?.len();
    if size > cap {
        return Ok(Capped::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Capped::TooLarge(bytes.len() as u64));
    }
    Ok(Capped::Bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(config.join("devices")).unwrap();
        std::fs::write(config.join("devices/fleet.csv"), "x").unwrap();
        std::fs::write(dir.path().join("outside.csv"), "x").unwrap();
        let root = Root::of(&config).unwrap();
        assert!(root.check(&config.join("devices/fleet.csv")).is_ok());
        assert!(
            root.check(&config.join("devices/new.csv")).is_ok(),
            "created later"
        );
        assert!(matches!(
            root.check(&config.join("../outside.csv")),
            Err(Refused::Outside(_))
        ));
        assert!(matches!(
            root.check(&config.join("../not-yet.csv")),
            Err(Refused::Outside(_))
        ));
        assert!(matches!(
            root.check(Path::new("/etc/hostname")),
            Err(Refused::Outside(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../outside.csv", config.join("link.csv")).unwrap();
            assert!(matches!(
                root.check(&config.join("link.csv")),
                Err(Refused::Outside(_))
            ));
            std::os::unix::fs::symlink("devices/fleet.csv", config.join("inside.csv")).unwrap();
            assert!(root.check(&config.join("inside.csv")).is_ok());
        }
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_before_opening() {
        assert!(matches!(
            ensure_regular(Path::new("/dev/zero")),
            Err(Refused::NotRegular("a device"))
        ));
        if Path::new("/proc/self/environ").exists() {
            assert!(matches!(
                ensure_regular(Path::new("/proc/self/environ")),
                Err(Refused::NotRegular(_))
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            // Would block forever if it were opened.
            let error = open_regular(&fifo).unwrap_err();
            assert!(error.to_string().contains("FIFO"), "{error}");
            assert!(read_capped(&fifo, 10).is_err());
        }
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, b"12345").unwrap();
        assert!(matches!(read_capped(&path, 5).unwrap(), Capped::Bytes(b) if b == b"12345"));
        assert!(matches!(read_capped(&path, 4).unwrap(), Capped::TooLarge(5)));
    }
}
