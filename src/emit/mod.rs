//! Emitting: the rendered object set becomes files (in memory first, so `diff` can compare
//! without writing), then the only writer of the output directory swaps them in atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::atomic::{self, Access};
use crate::diag::Problem;
use crate::model::rendered::Rendered;
use crate::yaml::write as yaml;

/// The files of one environment's output: relative path (`/`-separated) to contents.
pub type OutputFiles = BTreeMap<String, String>;

/// Lays the rendered components out as files, one per component, documents in render order,
/// under a comment naming the component and the file of the HLD defining it.
pub fn output_files(rendered: &[Rendered]) -> OutputFiles {
    rendered
        .par_iter()
        .map(|component| {
            let objects = component.objects.iter().map(|object| format!("---\n{}", yaml::to_string(object.value())));
            let text: String = std::iter::once(component.origin.header(&component.component)).chain(objects).collect();
            (component.file.clone(), text)
        })
        .collect()
}

/// Replaces `root/relative` atomically (see `atomic`), leaving its directory's other files
/// alone (a Flux file in `clusters/<cluster>/` beside `flux-system/`), after refusing a link on
/// the way to it.
pub fn write_file_atomically(root: &Path, relative: &str, text: &str) -> Result<(), Problem> {
    let path = root.join(relative);
    let parent = path.parent().unwrap_or(root);
    check_real_directories(root, parent.strip_prefix(root).unwrap_or(Path::new("")))?;
    fs::create_dir_all(parent).map_err(|e| io_error("create the directory of", &path, e))?;
    // Readable as a file `fs::write` creates would be: others read the manifest repository.
    atomic::write(&path, text.as_bytes(), &Access::Shared).map_err(|e| io_error("replace", &path, e))
}

/// Refuses a symbolic link, or anything but a directory, at `root/relative` or at any directory
/// between: hldc writes only into real directories under the output root, so an HLD that
/// commits `generated -> /elsewhere` cannot make it write, replace or delete files there.
/// What does not exist yet is fine (it is created as a directory). `root` itself is the
/// pipeline's (`--out`, or the HLD root `-C` names), so it may be a link.
pub fn check_real_directories(root: &Path, relative: &Path) -> Result<(), Problem> {
    let mut current = root.to_path_buf();
    let mut shown = PathBuf::new();
    for part in relative.components() {
        let std::path::Component::Normal(part) = part else {
            return Err(Problem::error(
                "hldc::output::outside",
                format!("`{}` leaves the output directory", relative.display()),
            )
            .help("name environments and clusters without `/`, `.` or `..`"));
        };
        current.push(part);
        shown.push(part);
        match fs::symlink_metadata(&current) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error("inspect", &current, e)),
            Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_refused(&shown)),
            Ok(meta) if !meta.is_dir() => {
                return Err(Problem::error(
                    "hldc::output::not-a-directory",
                    format!("`{}` is not a directory, so hldc cannot write its output there", shown.display()),
                )
                .path(shown.display().to_string())
                .help("remove or rename that file, or write the output elsewhere with `--out DIR`"))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// `check_real_directories`, and no symbolic link anywhere inside `root/relative`: a directory
/// the swap replaces, whose files are read back (stamps, unchanged files carried over).
pub fn check_replaceable(root: &Path, relative: &Path) -> Result<(), Problem> {
    check_real_directories(root, relative)?;
    let directory = root.join(relative);
    if !directory.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(&directory).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(&directory).to_path_buf();
            io_error("read", &path, e.into())
        })?;
        if entry.path_is_symlink() {
            let inside = entry.path().strip_prefix(root).unwrap_or(entry.path());
            return Err(symlink_refused(inside));
        }
    }
    Ok(())
}

fn symlink_refused(shown: &Path) -> Problem {
    Problem::error(
        "hldc::output::symlink",
        format!("`{}` is a symbolic link; hldc writes its output only into real directories", shown.display()),
    )
    .path(shown.display().to_string())
    .help(format!(
        "remove the link (`git rm {}`) and run again; to write the output elsewhere, pass `--out DIR`",
        shown.display()
    ))
}

/// An exclusive lock on an output root, held while a run reads its previous output and writes
/// the new one, so concurrent runs take turns instead of swapping directories under each other.
/// The lock is on the root directory itself (`flock`), not on a file in it: a lock file in the
/// HLD's work tree would make the HLD look uncommitted (no `hldc.io/hld-commit` stamped) and be
/// committed with the output. The root is the pipeline's (`--out`, or the HLD root), so no
/// name the HLD controls is opened.
#[derive(Debug)]
pub struct OutputLock {
    _directory: fs::File,
}

impl OutputLock {
    /// Locks `root` (created when missing); when another run holds it, calls `waiting` and
    /// waits for it, or without `waiting` fails at once.
    pub fn acquire(root: &Path, waiting: Option<&dyn Fn()>) -> Result<OutputLock, Problem> {
        fs::create_dir_all(root).map_err(|e| io_error("create", root, e))?;
        let directory = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(root)
            .map_err(|e| io_error("open", root, e))?;
        let lock_error = |e| {
            Problem::error("hldc::output::lock", format!("cannot lock `{}`: {e}", root.display()))
                .help("write the output to a local file system (`--out DIR`); the previous output was left untouched")
        };
        match (directory.try_lock(), waiting) {
            (Ok(()), _) => {}
            (Err(fs::TryLockError::WouldBlock), Some(waiting)) => {
                waiting();
                directory.lock().map_err(lock_error)?;
            }
            (Err(fs::TryLockError::WouldBlock), None) => {
                return Err(Problem::error(
                    "hldc::output::locked",
                    format!("another hldc run is writing the output in `{}`", root.display()),
                )
                .help("wait for it to finish, or leave out `--no-wait` to wait for it"))
            }
            (Err(fs::TryLockError::Error(e)), _) => return Err(lock_error(e)),
        }
        Ok(OutputLock { _directory: directory })
    }
}

/// A new output directory, written beside `target` one part at a time (so a run holds one
/// cluster's text at a time, not all of them) and swapped in by `commit` only when everything
/// was written. Dropped without `commit` (a later target failed), it leaves no trace and
/// `target` exactly as it was.
pub struct Staging {
    target: PathBuf,
    /// Created with the first file, so a run that fails before writing touches nothing.
    dir: Option<tempfile::TempDir>,
    written: BTreeSet<String>,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Problem {
    Problem::error("hldc::io::write", format!("cannot {what} `{}`: {e}", path.display()))
        .help("check permissions and free space; the previous output was left untouched")
}

impl Staging {
    pub fn new(target: &Path) -> Staging {
        Staging { target: target.to_path_buf(), dir: None, written: BTreeSet::new() }
    }

    fn parent(&self) -> &Path {
        self.target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    fn name(&self) -> String {
        self.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    fn dir(&mut self) -> Result<PathBuf, Problem> {
        if let Some(dir) = &self.dir {
            return Ok(dir.path().to_path_buf());
        }
        let parent = self.parent().to_path_buf();
        fs::create_dir_all(&parent).map_err(|e| io_error("create", &parent, e))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{}.hldc-new-", self.name()))
            .tempdir_in(&parent)
            .map_err(|e| io_error("create a staging directory in", &parent, e))?;
        let path = dir.path().to_path_buf();
        self.dir = Some(dir);
        Ok(path)
    }

    /// Clears what a run killed halfway left beside `target` (its staging directory, the old
    /// output it was swapping out), so the directory holds only the output. A run killed
    /// between the two renames of a swap (on a file system that cannot exchange) left `target`
    /// missing: its old output is put back, as the previous output to compare with. Only for a
    /// caller holding the `OutputLock`.
    pub fn sweep(&self) -> Result<(), Problem> {
        let (parent, name) = (self.parent(), self.name());
        let Ok(entries) = fs::read_dir(parent) else { return Ok(()) };
        let mut leftovers: Vec<(bool, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let rest = file_name.strip_prefix(&format!(".{name}.hldc-"))?;
                let retired = rest.starts_with("old-");
                (retired || rest.starts_with("new-")).then(|| (retired, entry.path()))
            })
            .collect();
        leftovers.sort();
        for (retired, path) in leftovers {
            let real_dir = fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_dir());
            if retired && real_dir && fs::symlink_metadata(&self.target).is_err() {
                fs::rename(&path, &self.target).map_err(|e| io_error("restore", &self.target, e))?;
                continue;
            }
            // `remove_dir_all` removes a link itself, never what it points to.
            let removed = if real_dir { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            removed.map_err(|e| io_error("remove", &path, e))?;
        }
        Ok(())
    }

    /// Writes `files` into the new directory, under `prefix/` when given (a cluster's).
    pub fn add(&mut self, prefix: Option<&str>, files: &OutputFiles) -> Result<(), Problem> {
        let dir = self.dir()?;
        let staged: Vec<(String, &String)> = files
            .iter()
            .map(|(relative, contents)| match prefix {
                Some(prefix) => (format!("{prefix}/{relative}"), contents),
                None => (relative.clone(), contents),
            })
            .collect();
        let parents: BTreeSet<&Path> = staged.iter().filter_map(|(relative, _)| Path::new(relative).parent()).collect();
        for parent in parents {
            let parent = dir.join(parent);
            fs::create_dir_all(&parent).map_err(|e| io_error("create", &parent, e))?;
        }
        // Files in parallel: on a re-run most of the time is the file system's, per file.
        let written: Vec<Result<(), Problem>> = staged
            .par_iter()
            .map(|(relative, contents)| {
                let path = dir.join(relative);
                // A file the current output already holds byte for byte is linked, not written:
                // creating inodes is most of what writing costs, and most files of a re-run are
                // unchanged. The link shares an inode only with the tree the swap retires.
                let current = self.target.join(relative);
                let unchanged = fs::symlink_metadata(&current)
                    .is_ok_and(|meta| meta.is_file() && meta.len() == contents.len() as u64)
                    && fs::read(&current).is_ok_and(|bytes| bytes == contents.as_bytes())
                    && fs::hard_link(&current, &path).is_ok();
                if unchanged {
                    return Ok(());
                }
                fs::write(&path, contents).map_err(|e| io_error("write", &path, e))
            })
            .collect();
        written.into_iter().collect::<Result<(), Problem>>()?;
        self.written.extend(staged.into_iter().map(|(relative, _)| relative));
        Ok(())
    }

    /// The files under `target` (`/`-separated, sorted) that the new output does not have: what
    /// the swap removes. An unreadable or absent `target` has none to report.
    pub fn stale(&self) -> Vec<String> {
        walkdir::WalkDir::new(&self.target)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_type().is_dir())
            .filter_map(|entry| {
                let relative = entry.path().strip_prefix(&self.target).ok()?;
                let relative = relative.to_string_lossy().replace('\\', "/");
                (!self.written.contains(&relative)).then_some(relative)
            })
            .collect()
    }

    /// Replaces `target` with the new directory, atomically as far as the file system allows.
    /// On error `target` is left exactly as it was.
    pub fn commit(mut self) -> Result<(), Problem> {
        self.dir()?;
        let Some(dir) = self.dir.take() else {
            return Err(Problem::error("hldc::internal::staging", "the staging directory vanished"));
        };
        let staged: PathBuf = dir.keep();
        let result = self.swap(&staged);
        // What is left at `staged`: the old output after an exchange, the new one after an
        // error, nothing after a rename.
        let _ = fs::remove_dir_all(&staged);
        result
    }

    fn swap(&self, staged: &Path) -> Result<(), Problem> {
        let target = &self.target;
        if fs::symlink_metadata(target).is_err() {
            return fs::rename(staged, target).map_err(|e| io_error("create", target, e));
        }
        // One step where the system can: `target` is never missing, not to a reader, not after
        // a run killed halfway.
        if let Some(exchanged) = exchange(staged, target) {
            return exchanged.map_err(|e| io_error("replace", target, e));
        }
        let parent = self.parent();
        let retired = tempfile::Builder::new()
            .prefix(&format!(".{}.hldc-old-", self.name()))
            .tempdir_in(parent)
            .map_err(|e| io_error("create a directory in", parent, e))?
            .keep();
        // rename() needs the destination absent (or an empty directory); it is empty.
        if let Err(e) = fs::rename(target, &retired) {
            let _ = fs::remove_dir_all(&retired);
            return Err(io_error("move aside", target, e));
        }
        if let Err(e) = fs::rename(staged, target) {
            let _ = fs::rename(&retired, target);
            return Err(io_error("replace", target, e));
        }
        let _ = fs::remove_dir_all(&retired);
        Ok(())
    }
}

/// Swaps two directories in one step (Linux's `renameat2` with `RENAME_EXCHANGE`); `None` where
/// the system or the file system cannot, and the caller renames twice.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Option<std::io::Result<()>> {
    use std::os::unix::ffi::OsStrExt as _;
    let (a, b) = (
        std::ffi::CString::new(a.as_os_str().as_bytes()).ok()?,
        std::ffi::CString::new(b.as_os_str().as_bytes()).ok()?,
    );
    // SAFETY: two NUL-terminated paths that outlive the call; renameat2 keeps neither.
    let status =
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if status == 0 {
        return Some(Ok(()));
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => None,
        _ => Some(Err(error)),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> Option<std::io::Result<()>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(target: &Path, files: &OutputFiles) {
        let mut staging = Staging::new(target);
        staging.add(None, files).unwrap();
        staging.commit().unwrap();
    }

    #[test]
    fn swap_replaces_whole_directory_and_removes_stale_files() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("generated/prod");
        let mut files = OutputFiles::new();
        files.insert("a.yaml".into(), "a".into());
        files.insert("sub/b.yaml".into(), "b".into());
        write(&target, &files);
        let inode = |path: &str| std::os::unix::fs::MetadataExt::ino(&fs::metadata(target.join(path)).unwrap());
        let (a, b) = (inode("a.yaml"), inode("sub/b.yaml"));
        files.insert("c.yaml".into(), "c".into());
        write(&target, &files);
        // Unchanged files are carried over (linked), not written again.
        assert_eq!((inode("a.yaml"), inode("sub/b.yaml")), (a, b));
        files.remove("sub/b.yaml");
        files.insert("a.yaml".into(), "a2".into());
        write(&target, &files);
        assert_ne!(inode("a.yaml"), a);
        assert_eq!(fs::read_to_string(target.join("c.yaml")).unwrap(), "c");
        assert_eq!(fs::read_to_string(target.join("a.yaml")).unwrap(), "a2");
        assert!(!target.join("sub").exists());
        let leftovers: Vec<_> =
            fs::read_dir(root.path().join("generated")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("prod")]);
    }

    #[test]
    fn a_killed_runs_leftovers_are_swept_and_a_retired_output_put_back() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("prod");
        for (dir, file) in [(".prod.hldc-old-a1", "old.yaml"), (".prod.hldc-new-b2", "half.yaml")] {
            fs::create_dir_all(root.path().join(dir)).unwrap();
            fs::write(root.path().join(dir).join(file), "x").unwrap();
        }
        fs::write(root.path().join(".prod-east.hldc-new-c3"), "another target's").unwrap();
        Staging::new(&target).sweep().unwrap();
        assert_eq!(fs::read_to_string(target.join("old.yaml")).unwrap(), "x", "the old output is back");
        let mut entries: Vec<_> = fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        entries.sort();
        assert_eq!(entries, [".prod-east.hldc-new-c3", "prod"]);
        // With the output in place, a retired copy is only a leftover.
        fs::create_dir(root.path().join(".prod.hldc-old-d4")).unwrap();
        Staging::new(&target).sweep().unwrap();
        assert!(!root.path().join(".prod.hldc-old-d4").exists());
        assert!(target.join("old.yaml").exists());
    }

    #[test]
    fn symlinks_among_the_directories_written_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("generated/prod/sub")).unwrap();
        assert!(check_replaceable(root.path(), Path::new("generated/prod")).is_ok());
        assert!(check_real_directories(root.path(), Path::new("generated/prod/new/deeper")).is_ok());
        std::os::unix::fs::symlink(outside.path(), root.path().join("generated/prod/sub/link")).unwrap();
        assert!(check_real_directories(root.path(), Path::new("generated/prod")).is_ok());
        let inside = check_replaceable(root.path(), Path::new("generated/prod")).unwrap_err();
        assert_eq!((inside.code, inside.path.as_deref()), ("hldc::output::symlink", Some("generated/prod/sub/link")));
        std::os::unix::fs::symlink(outside.path(), root.path().join("clusters")).unwrap();
        let on_the_way = check_real_directories(root.path(), Path::new("clusters/east")).unwrap_err();
        assert_eq!((on_the_way.code, on_the_way.path.as_deref()), ("hldc::output::symlink", Some("clusters")));
        fs::write(root.path().join(".hldc"), "x").unwrap();
        assert_eq!(
            check_real_directories(root.path(), Path::new(".hldc/prod")).unwrap_err().code,
            "hldc::output::not-a-directory"
        );
        assert_eq!(check_real_directories(root.path(), Path::new("../x")).unwrap_err().code, "hldc::output::outside");
    }

    #[test]
    fn stale_files_are_those_the_new_output_lacks() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("prod");
        assert!(Staging::new(&target).stale().is_empty());
        let mut files = OutputFiles::new();
        files.insert("a.yaml".into(), "a".into());
        files.insert("sub/b.yaml".into(), "b".into());
        write(&target, &files);
        fs::write(target.join("by-hand.txt"), "x").unwrap();
        files.remove("sub/b.yaml");
        let mut staging = Staging::new(&target);
        staging.add(None, &files).unwrap();
        assert_eq!(staging.stale(), ["by-hand.txt", "sub/b.yaml"]);
    }

    #[test]
    fn parts_under_prefixes_swap_in_together_and_a_dropped_staging_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("prod");
        let files: OutputFiles = [("a.yaml".to_string(), "a".to_string())].into();
        let mut staging = Staging::new(&target);
        staging.add(Some("east"), &files).unwrap();
        staging.add(Some("west"), &files).unwrap();
        assert!(!target.exists());
        staging.commit().unwrap();
        assert_eq!(fs::read_to_string(target.join("west/a.yaml")).unwrap(), "a");
        let mut failed = Staging::new(&target);
        failed.add(Some("east"), &[("b.yaml".to_string(), "b".to_string())].into()).unwrap();
        drop(failed);
        assert!(!target.join("east/b.yaml").exists());
        let entries: Vec<_> = fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(entries, ["prod"]);
        // A run that fails before its first file creates nothing.
        drop(Staging::new(&root.path().join("new/prod")));
        assert!(!root.path().join("new").exists());
    }
}
