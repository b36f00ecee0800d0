//! The repository's files and nothing else. Every file of an HLD is untrusted: a component file,
//! a chart or a symlink in either may try to make hldc (or helm, or kustomize) read git's own
//! files (`.git/config` holds the checkout's token), a file git ignores (a local secret, a
//! build artefact that differs between machines) or anything of the machine. A `Boundary` is
//! one tree hldc reads from; `read` is the one function that reads an input file, and `walk`
//! the one directory walk, so no reader can forget a check.
//!
//! Links are resolved one hop at a time, and every place a path passes through must be inside
//! the boundary: a link out and back in is refused too.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::diag::{Location, Problem, Source, SourceFile};

/// More links than this on one path is a loop (Linux gives up at 40 too).
const MAX_LINKS: usize = 40;

/// One tree hldc reads from: the work tree holding the HLD, a fetched source, or hldc's own
/// previous output. `root` is canonical.
#[derive(Debug, Clone)]
pub struct Boundary {
    root: PathBuf,
    /// Set for a git work tree whose ignored files are not part of the repository.
    git: Option<std::sync::Arc<GitIgnores>>,
}

/// Why a path is refused.
#[derive(Debug)]
pub enum Refusal {
    /// It, or a link on the way to it, leads outside the boundary.
    Outside,
    /// It is inside a `.git` directory (or is a `.git` file).
    GitInternals,
    /// git ignores it: it is not part of the repository.
    Ignored,
    /// A directory reached a second time through links, or a chain of too many links.
    LinkLoop,
    Io(io::Error),
}

/// A refused path, named for display.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub why: Refusal,
}

impl Refused {
    /// The problem to report; `name` is the path as users see it, `within` what it belongs
    /// to ("its source", "the repository"). Never the file's content.
    pub fn problem(&self, name: &str, within: &str) -> Problem {
        match &self.why {
            Refusal::Outside => {
                let how = if self.path.is_symlink() { "is a symlink that leads" } else { "leads, or a symlink on its way leads," };
                Problem::error("hldc::source::escape", format!("`{name}` {how} outside {within}"))
                    .help("replace the link with the file, or point it inside the repository")
            }
            Refusal::GitInternals => {
                Problem::error("hldc::source::git-internals", format!("`{name}` is inside `.git`: git's own files are not part of the repository"))
                    .help("hldc never reads `.git` (it may hold the checkout's credentials); name a file of the repository instead")
            }
            Refusal::Ignored => Problem::error(
                "hldc::source::ignored",
                format!("`{name}` is ignored by git, so it is not part of the repository"),
            )
            .help("commit the file (remove it from .gitignore), or stop naming it: a render sees only the repository's files"),
            Refusal::LinkLoop => Problem::error(
                "hldc::source::link-loop",
                format!("`{name}` leads to a directory already reached, or through too many symlinks"),
            )
            .help("remove the symlink: a directory must be reached once"),
            Refusal::Io(e) => Problem::error("hldc::io::read", format!("cannot read `{name}`: {e}"))
                .help("check that the file exists and is readable"),
        }
        .path(name.to_string())
    }
}

/// A file found by `walk`.
#[derive(Debug, Clone)]
pub struct Walked {
    /// The path as reached from the walk's root (links not resolved).
    pub path: PathBuf,
    /// `path` relative to the walk's root.
    pub relative: PathBuf,
    /// Where the file really is, inside the boundary.
    pub real: PathBuf,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The files, sorted by their path as reached.
    pub files: Vec<Walked>,
    /// Something was left out: a `.git`, or a file git ignores.
    pub left_out: bool,
    /// A symlink was followed.
    pub links: bool,
}

impl Walk {
    /// Whether a tool handed the directory itself would see something the walk did not: then
    /// it needs a filtered copy (`copy_to`).
    pub fn needs_copy(&self) -> bool {
        self.left_out || self.links
    }

    /// Copies the walked files (links materialized as the files they lead to) under `to`.
    pub fn copy_to(&self, to: &Path) -> io::Result<()> {
        for file in &self.files {
            let target = to.join(&file.relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&file.real, &target)?;
        }
        Ok(())
    }
}

impl Boundary {
    /// A tree without git's ignore rules (a fetched source, an output directory). `root` must
    /// be canonical.
    pub fn plain(root: PathBuf) -> Boundary {
        Boundary { root, git: None }
    }

    /// The git work tree at `root` (canonical): its ignored files are outside.
    pub fn work_tree(root: PathBuf) -> Boundary {
        let git = GitIgnores { root: root.clone(), repository: OnceLock::new() };
        Boundary { root, git: Some(std::sync::Arc::new(git)) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `path` really is, resolving links one hop at a time; refused when a hop leaves the
    /// boundary, or the end is in `.git` or ignored by git.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Refused> {
        let refused = |why| Refused { path: path.to_path_buf(), why };
        let relative = path.strip_prefix(&self.root).map_err(|_| refused(Refusal::Outside))?;
        let mut resolved = self.root.clone();
        // A stack: the next component last.
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, relative).map_err(refused)?;
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                if resolved == self.root {
                    return Err(refused(Refusal::Outside));
                }
                resolved.pop();
                continue;
            }
            let next = resolved.join(&part);
            let meta = std::fs::symlink_metadata(&next).map_err(|e| refused(Refusal::Io(e)))?;
            if !meta.file_type().is_symlink() {
                resolved = next;
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(refused(Refusal::LinkLoop));
            }
            let target = std::fs::read_link(&next).map_err(|e| refused(Refusal::Io(e)))?;
            let rest = if target.is_absolute() {
                resolved = self.root.clone();
                target.strip_prefix(&self.root).map_err(|_| refused(Refusal::Outside))?.to_path_buf()
            } else {
                target
            };
            push_components(&mut pending, &rest).map_err(refused)?;
        }
        let is_dir = std::fs::metadata(&resolved).is_ok_and(|meta| meta.is_dir());
        self.admit(&resolved, is_dir).map_err(refused)?;
        Ok(resolved)
    }

    /// Whether git ignores the file at `path` (as named, links not followed).
    pub fn ignores(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        self.git.as_ref().is_some_and(|git| git.ignores(relative))
    }

    /// Refuses a path (inside the boundary, links resolved) in `.git`, or a file git ignores.
    fn admit(&self, real: &Path, is_dir: bool) -> Result<(), Refusal> {
        let relative = real.strip_prefix(&self.root).map_err(|_| Refusal::Outside)?;
        if relative.components().any(|part| part.as_os_str() == ".git") {
            return Err(Refusal::GitInternals);
        }
        // A directory git ignores may still hold files committed with `git add -f`: its files
        // are asked one by one.
        if !is_dir && self.git.as_ref().is_some_and(|git| git.ignores(relative)) {
            return Err(Refusal::Ignored);
        }
        Ok(())
    }

    /// Every file under `dir` (or `dir` itself when it is a file), in path order, leaving out
    /// `.git` and what git ignores, following links that stay inside. A directory reached twice
    /// is refused, so a maze of links costs one visit per real directory.
    pub fn walk(&self, dir: &Path) -> Result<Walk, Refused> {
        let real = self.resolve(dir)?;
        let mut walk = Walk::default();
        let meta = std::fs::metadata(&real).map_err(|e| Refused { path: dir.to_path_buf(), why: Refusal::Io(e) })?;
        if !meta.is_dir() {
            walk.links = real != dir;
            walk.files.push(Walked { path: dir.to_path_buf(), relative: PathBuf::new(), real });
            return Ok(walk);
        }
        let mut seen = HashSet::from([real.clone()]);
        self.walk_into(dir, &real, Path::new(""), &mut walk, &mut seen)?;
        Ok(walk)
    }

    fn walk_into(
        &self,
        reached: &Path,
        real: &Path,
        relative: &Path,
        walk: &mut Walk,
        seen: &mut HashSet<PathBuf>,
    ) -> Result<(), Refused> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e| Refused { path, why: Refusal::Io(e) }
        };
        let mut names: Vec<OsString> = std::fs::read_dir(real)
            .map_err(io(reached))?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<_, _>>()
            .map_err(io(reached))?;
        names.sort();
        for name in names {
            let path = reached.join(&name);
            if name == ".git" {
                walk.left_out = true;
                continue;
            }
            let entry = real.join(&name);
            let meta = std::fs::symlink_metadata(&entry).map_err(io(&path))?;
            let (target, meta) = if meta.file_type().is_symlink() {
                walk.links = true;
                let target = self.resolve(&entry).map_err(|refused| Refused { path: path.clone(), ..refused })?;
                let meta = std::fs::metadata(&target).map_err(io(&path))?;
                (target, meta)
            } else {
                (entry.clone(), meta)
            };
            let relative = relative.join(&name);
            if meta.is_dir() {
                if !seen.insert(target.clone()) {
                    return Err(Refused { path, why: Refusal::LinkLoop });
                }
                self.walk_into(&path, &target, &relative, walk, seen)?;
            } else if meta.is_file() {
                // The entry itself: an ignored link is not in the repository, wherever it leads.
                if self.admit(&entry, false).is_err() || self.admit(&target, false).is_err() {
                    walk.left_out = true;
                    continue;
                }
                walk.files.push(Walked { path, relative, real: target });
            }
        }
        Ok(())
    }
}

fn push_components(pending: &mut Vec<OsString>, path: &Path) -> Result<(), Refusal> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_os_string()),
            Component::ParentDir => parts.push("..".into()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::Outside),
        }
    }
    pending.extend(parts.into_iter().rev());
    Ok(())
}

/// Reads an input file as UTF-8 text, named `name` in messages: the one reader of every file
/// an HLD provides (component and config files, `hldc.yaml`, `hldc.lock`, `access.yaml`, CRDs,
/// manifests, kustomizations, the previous output). A refused file is never opened.
pub fn read(boundary: &Boundary, path: &Path, name: &str) -> Result<Source, Problem> {
    match String::from_utf8(read_bytes(boundary, path, name)?) {
        // A byte-order mark says nothing in UTF-8, and serde_yaml trips over it.
        Ok(text) => Ok(SourceFile::new(name, text.strip_prefix('\u{feff}').unwrap_or(&text))),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            // The lossy text keeps every valid byte where it was, so the snippet can show the
            // line with the bad byte (as a replacement character).
            let file = SourceFile::new(name, String::from_utf8_lossy(error.as_bytes()).into_owned());
            let span = valid..valid + char::REPLACEMENT_CHARACTER.len_utf8();
            Err(Problem::error("hldc::io::not-utf8", format!("`{name}` is not valid UTF-8 (byte {valid})"))
                .at(Location::new(&file, span))
                .label("not UTF-8")
                .help("save the file as UTF-8"))
        }
    }
}

/// Reads a file as `read` does, as bytes: what is compared, not parsed (the files of an
/// output directory `diff` compares, whatever they hold).
pub fn read_bytes(boundary: &Boundary, path: &Path, name: &str) -> Result<Vec<u8>, Problem> {
    let refused = |refused: Refused| refused.problem(name, "its source");
    let real = boundary.resolve(path).map_err(refused)?;
    let bytes = std::fs::read(&real).map_err(|e| refused(Refused { path: path.to_path_buf(), why: Refusal::Io(e) }))?;
    if bytes.len() > crate::yaml::MAX_FILE_BYTES {
        return Err(Problem::error(
            "hldc::yaml::too-large",
            format!("`{name}` is {} bytes, over the limit of {}", bytes.len(), crate::yaml::MAX_FILE_BYTES),
        )
        .path(name.to_string())
        .help("split the file; hldc refuses inputs this large"));
    }
    Ok(bytes)
}

/// git's ignore rules of one work tree, asked through libgit2 (opened on first use: most
/// HLDs outside a work tree never need it).
#[derive(Debug)]
struct GitIgnores {
    root: PathBuf,
    repository: OnceLock<Option<Mutex<Repository>>>,
}

/// The repository and the paths of its index: a file committed despite an ignore rule is in
/// the repository.
struct Repository {
    git: git2::Repository,
    tracked: HashSet<Vec<u8>>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Repository")
    }
}

impl GitIgnores {
    fn ignores(&self, relative: &Path) -> bool {
        if relative.as_os_str().is_empty() {
            return false;
        }
        let repository = self.repository.get_or_init(|| {
            let git = crate::localgit::discover(&self.root)?;
            let tracked = git.index().map(|index| index.iter().map(|entry| entry.path).collect()).unwrap_or_default();
            Some(Mutex::new(Repository { git, tracked }))
        });
        let Some(repository) = repository else { return false };
        let repository = repository.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if repository.tracked.contains(relative.as_os_str().as_encoded_bytes()) {
            return false;
        }
        // When git cannot tell, the file is kept: the other checks still hold.
        repository.git.is_path_ignored(relative).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, Boundary) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("hld/a")).unwrap();
        std::fs::write(root.join("hld/a/file.yaml"), "x").unwrap();
        std::fs::write(root.join("outside.yaml"), "secret").unwrap();
        (dir, Boundary::plain(root.join("hld")))
    }

    #[test]
    fn links_resolve_hop_by_hop_and_may_not_leave() {
        let (dir, boundary) = tree();
        let hld = boundary.root().to_path_buf();
        symlink("a/file.yaml", hld.join("inside")).unwrap();
        symlink("../outside.yaml", hld.join("out")).unwrap();
        // Out and back in: the end is inside, a hop is not.
        symlink(
            format!("../../{}/hld/a/file.yaml", dir.path().file_name().unwrap().to_string_lossy()),
            hld.join("a/back"),
        )
        .unwrap();
        symlink("/etc/passwd", hld.join("absolute")).unwrap();
        assert_eq!(boundary.resolve(&hld.join("inside")).unwrap(), hld.join("a/file.yaml"));
        for name in ["out", "a/back", "absolute"] {
            assert!(matches!(boundary.resolve(&hld.join(name)).unwrap_err().why, Refusal::Outside), "{name}");
        }
    }

    #[test]
    fn git_internals_are_refused_and_left_out() {
        let (_dir, boundary) = tree();
        let hld = boundary.root().to_path_buf();
        std::fs::create_dir_all(hld.join(".git")).unwrap();
        std::fs::write(hld.join(".git/config"), "[http]\nextraheader = SECRET\n").unwrap();
        symlink("../.git/config", hld.join("a/config.yaml")).unwrap();
        assert!(matches!(boundary.resolve(&hld.join(".git/config")).unwrap_err().why, Refusal::GitInternals));
        assert!(matches!(boundary.resolve(&hld.join("a/config.yaml")).unwrap_err().why, Refusal::GitInternals));
        std::fs::remove_file(hld.join("a/config.yaml")).unwrap();
        let walk = boundary.walk(&hld).unwrap();
        assert!(walk.left_out);
        let files: Vec<_> = walk.files.iter().map(|file| file.relative.clone()).collect();
        assert_eq!(files, [PathBuf::from("a/file.yaml")]);
    }

    #[test]
    fn a_maze_of_links_is_refused_after_one_visit_per_directory() {
        let (_dir, boundary) = tree();
        let hld = boundary.root().to_path_buf();
        for n in 0..40 {
            std::fs::create_dir_all(hld.join(format!("maze/d{n}"))).unwrap();
        }
        for n in 0..39 {
            symlink(format!("../d{}", n + 1), hld.join(format!("maze/d{n}/a"))).unwrap();
            symlink(format!("../d{}", n + 1), hld.join(format!("maze/d{n}/b"))).unwrap();
        }
        let refused = boundary.walk(&hld.join("maze/d0")).unwrap_err();
        assert!(matches!(refused.why, Refusal::LinkLoop));
    }
}
