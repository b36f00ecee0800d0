//! Emitting: the rendered object set becomes files (in memory first, so `diff` can compare
//! without writing), then the only writer of the output directory swaps them in atomically.

pub mod yaml;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::render::Rendered;

/// The files of one environment's output: relative path (`/`-separated) to contents.
pub type OutputFiles = BTreeMap<String, String>;

/// Lays the rendered components out as files, one per component, documents in render order,
/// under a comment naming the component and the file of the HLD defining it.
pub fn output_files(rendered: &[Rendered]) -> OutputFiles {
    rendered
        .iter()
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
    let io_error = |what: &str, e: std::io::Error| {
        Problem::error("hldc::io::write", format!("cannot {what} `{}`: {e}", path.display()))
            .help("check permissions and free space")
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_error("create the directory of", e))?;
    // A plain file (not a temporary one, which would be private to its owner) beside it.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staged = parent.join(format!(".{name}.hldc-new"));
    fs::write(&staged, text).map_err(|e| io_error("write", e))?;
    fs::rename(&staged, path).map_err(|e| {
        let _ = fs::remove_file(&staged);
        io_error("replace", e)
    })
}

/// The files under `target` (`/`-separated, sorted) that `files` does not have: what replacing
/// `target` removes. An unreadable or absent `target` has none to report.
pub fn stale_files(target: &Path, files: &OutputFiles) -> Vec<String> {
    walkdir::WalkDir::new(target)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_type().is_dir())
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(target).ok()?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            (!files.contains_key(&relative)).then_some(relative)
        })
        .collect()
}

/// Replaces `target` with a directory holding exactly `files`, atomically as far as the file
/// system allows: everything is written beside `target` first, and `target` is swapped only
/// when all of it succeeded. On error `target` is left exactly as it was.
pub fn write_atomically(target: &Path, files: &OutputFiles) -> Result<(), Problem> {
    let io_error = |what: &str, path: &Path, e: std::io::Error| {
        Problem::error("hldc::io::write", format!("cannot {what} `{}`: {e}", path.display()))
            .help("check permissions and free space; the previous output was left untouched")
    };
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.hldc-new-"))
        .tempdir_in(parent)
        .map_err(|e| io_error("create a staging directory in", parent, e))?;
    for (relative, contents) in files {
        let path = staging.path().join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
        }
        fs::write(&path, contents).map_err(|e| io_error("write", &path, e))?;
    }
    let staged: PathBuf = staging.keep();
    let swap = || -> Result<(), Problem> {
        if target.exists() {
            let retired = tempfile::Builder::new()
                .prefix(&format!(".{name}.hldc-old-"))
                .tempdir_in(parent)
                .map_err(|e| io_error("create a directory in", parent, e))?
                .keep();
            // rename() needs the destination absent (or an empty directory); it is empty.
            if let Err(e) = fs::rename(target, &retired) {
                let _ = fs::remove_dir_all(&retired);
                return Err(io_error("move aside", target, e));
            }
            if let Err(e) = fs::rename(&staged, target) {
                let _ = fs::rename(&retired, target);
                return Err(io_error("replace", target, e));
            }
            let _ = fs::remove_dir_all(&retired);
        } else {
            fs::rename(&staged, target).map_err(|e| io_error("create", target, e))?;
        }
        Ok(())
    };
    let result = swap();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_replaces_whole_directory_and_removes_stale_files() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("generated/prod");
        let mut files = OutputFiles::new();
        files.insert("a.yaml".into(), "a".into());
        files.insert("sub/b.yaml".into(), "b".into());
        write_atomically(&target, &files).unwrap();
        files.remove("sub/b.yaml");
        files.insert("a.yaml".into(), "a2".into());
        write_atomically(&target, &files).unwrap();
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
        assert!(stale_files(&target, &OutputFiles::new()).is_empty());
        let mut files = OutputFiles::new();
        files.insert("a.yaml".into(), "a".into());
        files.insert("sub/b.yaml".into(), "b".into());
        write_atomically(&target, &files).unwrap();
        fs::write(target.join("by-hand.txt"), "x").unwrap();
        files.remove("sub/b.yaml");
        assert_eq!(stale_files(&target, &files), ["by-hand.txt", "sub/b.yaml"]);
    }
}
