//! The local git repositories hldc reads: the one holding the HLD (its commit and status, for
//! stamps; its tree at a ref, for `diff --against`), the manifest repository (`journey`), and a
//! source's tree in the fetch cache. Only reads: the network side (mirrors, fetches) is in
//! `fetch::git`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use git2::Repository;

/// Where the search for the repository holding a directory stops, as libgit2 searches.
enum Holder {
    /// A directory with a `.git` (a directory, or a file naming one): the work tree.
    WorkTree(PathBuf),
    /// A bare repository (`HEAD`, `objects/`, `refs/` in the directory itself).
    Bare,
}

/// The nearest directory at or above `dir` that holds a repository, found on disk: starting
/// libgit2 loads every CA certificate of the system for its TLS (a third of a warm
/// `generate`), which only what needs a repository's content should pay.
fn holder(dir: &Path) -> Option<Holder> {
    let dir = std::path::absolute(dir).ok()?;
    dir.ancestors().find_map(|ancestor| {
        if ancestor.join(".git").exists() {
            Some(Holder::WorkTree(ancestor.to_path_buf()))
        } else if ancestor.join("HEAD").is_file() && ["objects", "refs"].iter().all(|d| ancestor.join(d).is_dir()) {
            Some(Holder::Bare)
        } else {
            None
        }
    })
}

/// The repository holding `dir`, as `git2::Repository::discover` finds it; libgit2 is not
/// started when no repository is there.
pub fn discover(dir: &Path) -> Option<Repository> {
    holder(dir)?;
    open(dir).ok()
}

/// The repository holding `dir`, or libgit2's reason why there is none.
pub fn open(dir: &Path) -> Result<Repository, git2::Error> {
    Repository::discover(dir)
}

/// The work tree of the repository holding `dir`, if any, without starting libgit2 unless
/// the repository's config may move its work tree elsewhere (`core.worktree`).
pub fn work_tree_holding(dir: &Path) -> Option<PathBuf> {
    let Holder::WorkTree(work_tree) = holder(dir)? else { return None };
    let config = std::fs::read_to_string(work_tree.join(".git/config")).unwrap_or_default();
    let work_tree = if config.to_ascii_lowercase().contains("worktree") {
        discover(dir)?.workdir()?.canonicalize().ok()?
    } else {
        work_tree.canonicalize().ok()?
    };
    dir.canonicalize().is_ok_and(|dir| dir.starts_with(&work_tree)).then_some(work_tree)
}

/// The commit HEAD names; none in a repository without commits.
pub fn head_commit(repository: &Repository) -> Option<git2::Commit<'_>> {
    repository.head().ok().and_then(|head| head.peel_to_commit().ok())
}

/// The newest commit from `head` back, along first parents, that changed anything outside
/// `excluded` (hldc's own output directories): a commit that only wrote the output holds the
/// same HLD as its parent, so a pipeline committing its output beside the HLD does not make
/// the next run stamp a new HLD commit, and that run's output a new commit, without end. An
/// empty commit counts (someone made it on purpose); the walk stops at a root commit.
pub fn newest_commit_outside<'r>(
    repository: &'r Repository,
    head: git2::Commit<'r>,
    workdir: &Path,
    excluded: &[PathBuf],
) -> git2::Commit<'r> {
    let excluded = output_places(workdir, excluded);
    if excluded.is_empty() {
        return head;
    }
    let mut commit = head;
    while let Ok(parent) = commit.parent(0) {
        let (Ok(old), Ok(new)) = (parent.tree(), commit.tree()) else { break };
        let Ok(changes) = repository.diff_tree_to_tree(Some(&old), Some(&new), None) else { break };
        let only_output = changes.deltas().len() > 0
            && changes.deltas().all(|delta| {
                [delta.old_file().path(), delta.new_file().path()]
                    .into_iter()
                    .flatten()
                    .all(|path| excluded.iter().any(|dir| inside(&path.to_string_lossy(), dir)))
            });
        if !only_output {
            break;
        }
        commit = parent;
    }
    commit
}

/// `path` relative to the work tree at `workdir`, `/`-separated (`""` for the work tree itself),
/// whether or not it exists yet; `None` outside it.
fn within_work_tree(workdir: &Path, path: &Path) -> Option<String> {
    let canonical = |path: &Path| {
        path.canonicalize().ok().or_else(|| Some(path.parent()?.canonicalize().ok()?.join(path.file_name()?)))
    };
    let workdir = canonical(workdir).unwrap_or_else(|| workdir.to_path_buf());
    Some(canonical(path)?.strip_prefix(&workdir).ok()?.to_string_lossy().replace('\\', "/"))
}

/// hldc's output directories inside the work tree (the work tree itself is never one).
fn output_places(workdir: &Path, excluded: &[PathBuf]) -> Vec<String> {
    excluded.iter().filter_map(|path| within_work_tree(workdir, path)).filter(|path| !path.is_empty()).collect()
}

/// Whether the repository path `path` is `dir` or below it (`""`: the whole work tree).
fn inside(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// The URL of the `origin` remote, as configured (credentials and all).
pub fn origin_url(repository: &Repository) -> Option<String> {
    repository.find_remote("origin").ok().and_then(|remote| remote.url().ok().map(str::to_string))
}

/// The files of `read` (directories or files of the HLD, inside `workdir`) that differ from
/// HEAD: modified, staged, untracked, or in a place git ignores (which no commit holds), but
/// not under `excluded`; repository-relative and sorted. A place outside `workdir` is not this
/// repository's to say.
pub fn uncommitted(
    repository: &git2::Repository,
    workdir: &Path,
    read: &[PathBuf],
    excluded: &[PathBuf],
) -> Vec<String> {
    let roots: Vec<String> =
        read.iter().filter(|path| path.exists()).filter_map(|path| within_work_tree(workdir, path)).collect();
    let excluded = output_places(workdir, excluded);
    // A place git ignores is in no commit at all, though status lists none of its files.
    let ignored: Vec<String> = roots
        .iter()
        .filter(|root| !root.is_empty())
        .filter(|root| {
            repository.is_path_ignored(root.as_str()).unwrap_or(false)
                || repository.is_path_ignored(format!("{root}/")).unwrap_or(false)
        })
        .cloned()
        .collect();
    if !ignored.is_empty() {
        return ignored;
    }
    let whole = roots.iter().any(String::is_empty);
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(true);
    if !whole {
        for root in &roots {
            options.pathspec(root);
        }
    }
    if roots.is_empty() {
        return Vec::new();
    }
    let Ok(statuses) = repository.statuses(Some(&mut options)) else {
        return vec!["(git status failed)".to_string()];
    };
    let mut changed: Vec<String> = statuses
        .iter()
        .filter(|entry| entry.status() != git2::Status::CURRENT)
        .filter_map(|entry| entry.path().ok().map(str::to_string))
        .filter(|path| roots.iter().any(|root| inside(path, root)))
        .filter(|path| !excluded.iter().any(|dir| inside(path, dir)))
        .collect();
    changed.sort();
    changed
}

/// Why a tree could not be exported.
#[derive(Debug)]
pub enum ExportError {
    /// An entry whose name would leave the directory (`..`, `.git`, a `/`).
    BadName(String),
    /// Reading the repository or writing the files failed.
    Io(String),
}

impl ExportError {
    fn io(context: impl fmt::Display, err: std::io::Error) -> ExportError {
        ExportError::Io(format!("{context}: {err}"))
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ExportError::BadName(message) | ExportError::Io(message)) = self;
        f.write_str(message)
    }
}

/// Writes the files of `tree` under `dir` (like a checkout, without .git): a source's tree in
/// the cache, or the HLD at a ref for `hldc diff --against`. The repository, its index and its
/// work tree are only read.
pub fn export_tree(repo: &Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), ExportError> {
    for entry in tree.iter() {
        let name = entry_name(&entry)?;
        let path = dir.join(&name);
        let git_err = |e: git2::Error| {
            ExportError::Io(format!("cannot read {} from the mirror: {}", path.display(), e.message()))
        };
        match entry.filemode() {
            0o040000 => {
                fs::create_dir(&path).map_err(|e| ExportError::io(format!("cannot create {}", path.display()), e))?;
                let sub = repo.find_tree(entry.id()).map_err(git_err)?;
                export_tree(repo, &sub, &path)?;
            }
            0o100644 | 0o100664 | 0o100755 => {
                let blob = repo.find_blob(entry.id()).map_err(git_err)?;
                // Created, never opened: a crafted tree naming a file after a symlink it holds
                // must not write through the link.
                let mut file = fs::OpenOptions::new();
                file.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(
                    &mut file,
                    if entry.filemode() == 0o100755 { 0o755 } else { 0o644 },
                );
                file.open(&path)
                    .and_then(|mut file| std::io::Write::write_all(&mut file, blob.content()))
                    .map_err(|e| ExportError::io(format!("cannot write {}", path.display()), e))?;
            }
            0o120000 => {
                let blob = repo.find_blob(entry.id()).map_err(git_err)?;
                write_symlink(blob.content(), &path)?;
            }
            // Submodule (gitlink): left as an empty directory, like a clone
            // without `--recurse-submodules`.
            0o160000 => {
                fs::create_dir(&path).map_err(|e| ExportError::io(format!("cannot create {}", path.display()), e))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn entry_name(entry: &git2::TreeEntry<'_>) -> Result<std::ffi::OsString, ExportError> {
    let bytes = entry.name_bytes();
    let bad = bytes.is_empty()
        || bytes == b"."
        || bytes == b".."
        || bytes.contains(&b'/')
        || bytes.contains(&b'\\')
        || bytes.contains(&0)
        || bytes.eq_ignore_ascii_case(b".git");
    if bad {
        return Err(ExportError::BadName(format!("the tree has an entry named {:?}", String::from_utf8_lossy(bytes))));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::ffi::OsStr::from_bytes(bytes).to_os_string())
    }
    #[cfg(not(unix))]
    {
        Ok(std::ffi::OsString::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}

#[cfg(unix)]
fn write_symlink(target: &[u8], path: &Path) -> Result<(), ExportError> {
    use std::os::unix::ffi::OsStrExt;
    std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), path)
        .map_err(|e| ExportError::io(format!("cannot create symlink {}", path.display()), e))
}

#[cfg(not(unix))]
fn write_symlink(target: &[u8], path: &Path) -> Result<(), ExportError> {
    // Without symlinks, write the link text as a file (like git with core.symlinks=false).
    fs::write(path, target).map_err(|e| ExportError::io(format!("cannot write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_work_trees_are_found_as_libgit2_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        assert!(discover(&outside).is_none());
        let work_tree = dir.path().join("hld");
        Repository::init(&work_tree).unwrap();
        fs::create_dir_all(work_tree.join("apps/web")).unwrap();
        let found = discover(&work_tree.join("apps/web")).unwrap();
        assert_eq!(found.workdir().unwrap().canonicalize().unwrap(), work_tree.canonicalize().unwrap());
        assert_eq!(work_tree_holding(&work_tree.join("apps/web")), Some(work_tree.canonicalize().unwrap()));
        assert_eq!(work_tree_holding(&outside), None);
        let bare = dir.path().join("bare.git");
        Repository::init_bare(&bare).unwrap();
        assert!(discover(&bare).unwrap().is_bare());
        assert_eq!(work_tree_holding(&bare), None);
        // With `core.worktree`, libgit2 decides; a work tree that does not hold `dir` is none.
        let config = |value: &Path| {
            let mut config = Repository::open(&work_tree).unwrap().config().unwrap();
            config.set_str("core.worktree", value.to_str().unwrap()).unwrap();
        };
        fs::create_dir_all(dir.path().join("moved")).unwrap();
        config(&dir.path().join("moved"));
        assert_eq!(work_tree_holding(&work_tree.join("apps")), None);
        config(dir.path());
        assert_eq!(work_tree_holding(&work_tree.join("apps")), Some(dir.path().canonicalize().unwrap()));
    }

    #[test]
    fn a_tree_naming_a_file_after_its_symlink_cannot_write_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        let repo = Repository::init_bare(dir.path().join("crafted.git")).unwrap();
        let odb = repo.odb().unwrap();
        let link = odb.write(git2::ObjectType::Blob, victim.to_str().unwrap().as_bytes()).unwrap();
        let payload = odb.write(git2::ObjectType::Blob, b"overwritten").unwrap();
        // Two entries of one name: git never writes such a tree, an attacker's server may.
        let mut raw = Vec::new();
        for (mode, id) in [("120000", link), ("100644", payload)] {
            raw.extend_from_slice(format!("{mode} a\0").as_bytes());
            raw.extend_from_slice(id.as_bytes());
        }
        let tree = repo.find_tree(odb.write(git2::ObjectType::Tree, &raw).unwrap()).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        assert!(export_tree(&repo, &tree, &out).is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
    }
}
