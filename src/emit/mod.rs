//! Emitting: the rendered object set becomes files (in memory first, so `diff` can compare
//! without writing), then the only writer of the output directory swaps them in atomically.

pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::Problem;
use crate::render::Rendered;

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

/// Replaces one file atomically, leaving its directory's other files alone (a trace record; a
/// Flux file in `clusters/<cluster>/` beside `flux-system/`): written beside it, then renamed
/// over it, so a reader sees the old file or the new one, never half of one.
pub fn write_file_atomically(path: &Path, text: &str) -> Result<(), Problem> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_error("create the directory of", path, e))?;
    // A plain file (not a temporary one, which would be private to its owner) beside it.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staged = parent.join(format!(".{name}.hldc-new"));
    fs::write(&staged, text).map_err(|e| io_error("write", &staged, e))?;
    fs::rename(&staged, path).map_err(|e| {
        let _ = fs::remove_file(&staged);
        io_error("replace", path, e)
    })
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
        let (target, parent, name) = (self.target.clone(), self.parent().to_path_buf(), self.name());
        let Some(dir) = self.dir.take() else {
            return Err(Problem::error("hldc::internal::staging", "the staging directory vanished"));
        };
        let staged: PathBuf = dir.keep();
        let swap = || -> Result<(), Problem> {
            if target.exists() {
                let retired = tempfile::Builder::new()
                    .prefix(&format!(".{name}.hldc-old-"))
                    .tempdir_in(&parent)
                    .map_err(|e| io_error("create a directory in", &parent, e))?
                    .keep();
                // rename() needs the destination absent (or an empty directory); it is empty.
                if let Err(e) = fs::rename(&target, &retired) {
                    let _ = fs::remove_dir_all(&retired);
                    return Err(io_error("move aside", &target, e));
                }
                if let Err(e) = fs::rename(&staged, &target) {
                    let _ = fs::rename(&retired, &target);
                    return Err(io_error("replace", &target, e));
                }
                let _ = fs::remove_dir_all(&retired);
            } else {
                fs::rename(&staged, &target).map_err(|e| io_error("create", &target, e))?;
            }
            Ok(())
        };
        let result = swap();
        if result.is_err() {
            let _ = fs::remove_dir_all(&staged);
        }
        result
    }
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
