//! The content-addressed cache (layout documented on the `fetch` module).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::atomic::{Access, NewFile};
use crate::fetch::error::Failure;

/// Paths inside the cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    root: PathBuf,
}

impl Cache {
    pub(crate) fn new(root: &Path) -> Self {
        Cache { root: root.to_path_buf() }
    }

    pub(crate) fn git_mirror(&self, url: &str) -> PathBuf {
        self.root.join("git").join("mirrors").join(mirror_id(url))
    }

    pub(crate) fn git_trees(&self) -> PathBuf {
        self.root.join("git").join("trees")
    }

    pub(crate) fn git_tree(&self, commit: &str) -> PathBuf {
        self.git_trees().join(commit)
    }

    /// An empty file saying that `source` gave `pin` (a download whose digest it is, a commit
    /// its mirror holds and its ref names). Entries are named by content, and shared by every
    /// source that holds that content; a name alone (a commit id, a digest in an edited lock)
    /// proves nothing about a source, so an entry is served to a source only with its proof.
    pub(crate) fn proof(&self, source: &str, pin: &str) -> PathBuf {
        self.root.join("proofs").join(proof_key(source, pin))
    }

    /// Scratch homes of the child processes that run git fetches.
    pub(crate) fn git_tmp(&self) -> PathBuf {
        self.root.join("git").join("tmp")
    }

    /// Removes the temporary files and directories of hldc processes that are gone (killed
    /// mid-download): each is named after the process that made it.
    pub(crate) fn remove_stale_temporaries(&self) {
        let places = [
            self.http_dir(),
            self.helm_archives(),
            self.helm_charts(),
            self.helm_tmp(),
            self.git_trees(),
            self.git_tmp(),
            self.root.join("render"),
            self.root.join("render").join("helm"),
        ];
        for place in places {
            let Ok(entries) = fs::read_dir(&place) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(pid) = name.to_str().and_then(temporary_owner) else { continue };
                if !process_is_alive(pid) {
                    let path = entry.path();
                    let _ = match entry.file_type() {
                        Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                        _ => fs::remove_file(&path),
                    };
                }
            }
        }
    }

    pub(crate) fn helm_archives(&self) -> PathBuf {
        self.root.join("helm").join("archives")
    }

    pub(crate) fn helm_archive(&self, sha256_hex: &str) -> PathBuf {
        self.helm_archives().join(format!("{sha256_hex}.tgz"))
    }

    /// Scratch space for `helm pull` (isolated helm homes).
    pub(crate) fn helm_tmp(&self) -> PathBuf {
        self.root.join("helm").join("tmp")
    }

    pub(crate) fn helm_charts(&self) -> PathBuf {
        self.root.join("helm").join("charts")
    }

    pub(crate) fn helm_index(&self, repository: &str) -> PathBuf {
        self.root.join("helm").join("index").join(format!("{}.yaml", sha256_hex(repository.as_bytes())))
    }

    pub(crate) fn http_dir(&self) -> PathBuf {
        self.root.join("http")
    }

    pub(crate) fn http_file(&self, sha256_hex: &str) -> PathBuf {
        self.http_dir().join(sha256_hex)
    }

    /// Take the exclusive lock of one cache entry; released on drop.
    pub(crate) fn lock_entry(&self, kind: &str, key: &str) -> Result<EntryLock, Failure> {
        let dir = self.root.join("locks");
        create_dir_all(&dir)?;
        let path = dir.join(format!("{kind}-{key}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Failure::io(format!("cannot open lock file {}", path.display()), e))?;
        file.lock().map_err(|e| Failure::io(format!("cannot lock {}", path.display()), e))?;
        Ok(EntryLock { _file: file })
    }
}

/// An exclusive lock on a cache entry (released when dropped: closing the
/// file releases the lock).
pub(crate) struct EntryLock {
    _file: File,
}

/// The prefix of temporary files and directories in the cache: `.tmp-<pid>-`.
fn temporary_prefix() -> String {
    format!(".tmp-{}-", std::process::id())
}

/// The process that made a temporary file, from its name.
fn temporary_owner(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(".tmp-")?;
    rest.split_once('-')?.0.parse().ok()
}

fn process_is_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Creates (or refreshes) an empty marker file.
pub(crate) fn touch(path: &Path) -> Result<(), Failure> {
    if path.is_file() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    File::create(path).map(drop).map_err(|e| Failure::io(format!("cannot write {}", path.display()), e))
}

/// What names the proof that `source` gave `pin`: also the key its content is shared by
/// (`registry::Kind::Chart`, `Kind::Git`), so a shared entry vouches for the pair, never for
/// content alone that a lock could pin for another source.
pub(crate) fn proof_key(source: &str, pin: &str) -> String {
    sha256_hex(format!("{source}\n{pin}").as_bytes())
}

/// The directory name of the mirror of `url`: the first 16 hex digits of sha256(url).
pub(crate) fn mirror_id(url: &str) -> String {
    let mut id = sha256_hex(url.as_bytes());
    id.truncate(16);
    id
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

pub(crate) fn sha256_file(path: &Path) -> Result<String, Failure> {
    let mut file = File::open(path).map_err(|e| Failure::io(format!("cannot open {}", path.display()), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| Failure::io(format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) fn create_dir_all(dir: &Path) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| Failure::io(format!("cannot create {}", dir.display()), e))
}

/// A writer that hashes what goes through it.
pub(crate) struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), written: 0 }
    }

    /// The inner writer, the sha256 (hex) and the number of bytes written.
    pub(crate) fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Move a finished temporary file to `dest` (atomic rename in the same
/// directory). When `dest` already exists (another process filled it with
/// the same content-addressed bytes) the temporary file is simply dropped.
pub(crate) fn persist_file(tmp: NewFile, dest: &Path) -> Result<(), Failure> {
    if dest.exists() {
        return Ok(());
    }
    tmp.persist(dest).map_err(|e| Failure::io(format!("cannot move a download into {}", dest.display()), e))
}

/// Move a finished temporary directory to `dest`. When `dest` exists already
/// the temporary directory is removed and `dest` is reused.
pub(crate) fn persist_dir(tmp: tempfile::TempDir, dest: &Path) -> Result<(), Failure> {
    if dest.exists() {
        return Ok(());
    }
    let tmp_path = tmp.keep();
    match fs::rename(&tmp_path, dest) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp_path);
            if dest.exists() {
                Ok(())
            } else {
                Err(Failure::io(format!("cannot move a directory into {}", dest.display()), e))
            }
        }
    }
}

/// A temporary directory next to `parent`'s entries (same file system, so
/// that the final rename is atomic).
pub(crate) fn temp_dir_in(parent: &Path) -> Result<tempfile::TempDir, Failure> {
    create_dir_all(parent)?;
    tempfile::Builder::new()
        .prefix(&temporary_prefix())
        .tempdir_in(parent)
        .map_err(|e| Failure::io(format!("cannot create a temporary directory in {}", parent.display()), e))
}

pub(crate) fn temp_file_in(parent: &Path) -> Result<NewFile, Failure> {
    create_dir_all(parent)?;
    NewFile::create_in(parent, &temporary_prefix(), &Access::Private)
        .map_err(|e| Failure::io(format!("cannot create a temporary file in {}", parent.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_value() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(mirror_id("abc"), "ba7816bf8f01cfea");
        assert!(is_hex("ba7816bf", 8));
        assert!(!is_hex("BA7816BF", 8));
    }

    #[test]
    fn temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let mine = temp_file_in(&cache.http_dir()).unwrap();
        // No process has pid i32::MAX: Linux pids stop at 2^22.
        let orphan = cache.http_dir().join(format!(".tmp-{}-abc", i32::MAX));
        fs::write(&orphan, b"partial").unwrap();
        let orphan_dir = cache.git_trees().join(format!(".tmp-{}-def", i32::MAX));
        fs::create_dir_all(orphan_dir.join("sub")).unwrap();
        let kept = cache.http_dir().join("0123");
        fs::write(&kept, b"done").unwrap();
        cache.remove_stale_temporaries();
        assert!(!orphan.exists() && !orphan_dir.exists());
        assert!(mine.path().exists() && kept.exists());
    }

    #[test]
    fn entry_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let first = cache.lock_entry("test", "k").unwrap();
        let path = dir.path().join("locks").join("test-k.lock");
        let other = File::options().write(true).open(&path).unwrap();
        assert!(other.try_lock().is_err());
        drop(first);
        assert!(other.try_lock().is_ok());
    }
}
