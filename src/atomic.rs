//! Replacing a file whole or not at all, the one way hldc does it: the new content goes to a
//! file beside the target, created exclusively under a random name (so a link planted in the
//! directory is never written through), then renamed over the target (so a reader sees the old
//! file or the new one, never half of one; a link at the target itself is replaced, not
//! followed). Errors are `io::Error`s for the caller to place.
//!
//! Flushing to disk before the rename is the caller's choice (`NewFile::sync_all`): a download
//! pays it once; the files a run rewrites (trace records, render cache entries) would pay a
//! millisecond or more each on every run, as much as a twentieth of a warm `generate`.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Who may read the new file.
#[derive(Debug, Clone)]
pub enum Access {
    /// Only the owner (0600): caches, the lock file.
    Private,
    /// Whatever the umask leaves of 0666, as for a file `fs::write` creates: output others read.
    Shared,
    /// These permissions, whatever the umask: an edited file keeps the mode it had.
    Exactly(fs::Permissions),
}

/// A file being written beside the one it will replace; dropped without `persist`, it is
/// removed.
#[derive(Debug)]
pub struct NewFile {
    temporary: tempfile::NamedTempFile,
}

impl NewFile {
    /// Creates an empty file in `dir` (which must exist) named `prefix` and random characters.
    pub fn create_in(dir: &Path, prefix: &str, access: &Access) -> io::Result<NewFile> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        if let Access::Shared = access {
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let temporary = builder.tempfile_in(dir)?;
        if let Access::Exactly(permissions) = access {
            temporary.as_file().set_permissions(permissions.clone())?;
        }
        Ok(NewFile { temporary })
    }

    /// Where it is while being written.
    pub fn path(&self) -> &Path {
        self.temporary.path()
    }

    /// Flushes what was written to disk, so that a crash after `persist` cannot leave the
    /// target empty.
    pub fn sync_all(&self) -> io::Result<()> {
        self.temporary.as_file().sync_all()
    }

    /// Renames it over `target`.
    pub fn persist(self, target: &Path) -> io::Result<()> {
        self.temporary.persist(target).map(drop).map_err(|e| e.error)
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temporary.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temporary.flush()
    }
}

/// Replaces `target` with `bytes`; its directory must exist. A leftover of a killed run is
/// named after the target (`.<name>.hldc-new-…`), so people see what it was.
pub fn write(target: &Path, bytes: &[u8], access: &Access) -> io::Result<()> {
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut file = NewFile::create_in(dir, &format!(".{name}.hldc-new-"), access)?;
    file.write_all(bytes)?;
    file.persist(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_target_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.yaml");
        fs::write(&target, "old").unwrap();
        write(&target, b"new", &Access::Private).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_link_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        let target = dir.path().join("a.yaml");
        symlink(&victim, &target).unwrap();
        write(&target, b"new", &Access::Shared).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert!(fs::symlink_metadata(&target).unwrap().is_file());
    }

    #[test]
    fn access_decides_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a");
        write(&target, b"", &Access::Private).unwrap();
        assert_eq!(mode(&target), 0o600);
        write(&target, b"", &Access::Exactly(fs::Permissions::from_mode(0o751))).unwrap();
        assert_eq!(mode(&target), 0o751);
    }

    #[test]
    fn a_file_dropped_unpersisted_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = NewFile::create_in(dir.path(), ".x-", &Access::Private).unwrap();
        file.write_all(b"half").unwrap();
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists());
    }
}
