//! Git sources, through libgit2 (no `git` binary needed).

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use git2::{AutotagOption, CredentialType, ErrorClass, ErrorCode, FetchPrune, Oid, Repository};

use crate::fetch::cache::{self, is_hex, mirror_id};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::spec::{strip_userinfo, AccessTokens, Fetched, GitRef, SourceSpec};
use crate::fetch::{Ctx, Outcome};

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
    Repository::discover(dir).ok()
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

const FETCH_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

pub(crate) fn fetch(url: &str, reference: &GitRef, ctx: &Ctx<'_>) -> Result<(Outcome, String), Failure> {
    match reference {
        GitRef::Branch(b) if b.trim().is_empty() => {
            return Err(Failure::new(FetchErrorKind::Invalid, "empty branch name"));
        }
        GitRef::Version(v) if v.trim().is_empty() => {
            return Err(Failure::new(FetchErrorKind::Invalid, "empty version"));
        }
        _ => {}
    }
    if url.trim().is_empty() {
        return Err(Failure::new(FetchErrorKind::Invalid, "empty git URL"));
    }
    let key = LockKey::for_spec(&SourceSpec::Git { url: url.to_string(), reference: reference.clone() });
    let pinned = match ctx.lock.get(&key) {
        Some(LockValue::Git { commit }) => Some(commit.clone()),
        _ => None,
    };
    // The lock is keyed by the URL as written; the mirror by where the repository really is.
    let located = locate(url, ctx);
    let url = located.as_str();
    let mirror = ctx.cache.git_mirror(url);
    let commit = match pinned {
        Some(commit) => {
            if !ctx.cache.git_tree(&commit).is_dir() {
                ensure_commit_in_mirror(url, &commit, &mirror, ctx)?;
            }
            commit
        }
        None => {
            let local = match reference {
                GitRef::Version(v) if is_hex(&v.to_ascii_lowercase(), 40) => {
                    find_full_sha_locally(&v.to_ascii_lowercase(), &mirror, ctx)
                }
                _ => None,
            };
            match local {
                Some(commit) if !ctx.opts.locked => commit,
                _ => {
                    ctx.check_may_resolve(&format!("ref {:?}", reference.lock_text()))?;
                    resolve(url, reference, &mirror, ctx)?
                }
            }
        }
    };
    let root = ensure_tree(&commit, &mirror, ctx)?;
    let outcome = Outcome { fetched: Fetched { root }, pins: vec![(key, LockValue::Git { commit: commit.clone() })] };
    Ok((outcome, commit))
}

/// A full sha already present as a tree or in the mirror (no network needed).
fn find_full_sha_locally(sha: &str, mirror: &Path, ctx: &Ctx<'_>) -> Option<String> {
    if ctx.cache.git_tree(sha).is_dir() {
        return Some(sha.to_string());
    }
    let repo = Repository::open_bare(mirror).ok()?;
    let oid = Oid::from_str(sha).ok()?;
    repo.find_commit(oid).ok().map(|c| c.id().to_string())
}

/// Open the bare mirror at `path`, creating it when missing (or broken).
fn open_mirror(path: &Path) -> Result<Repository, Failure> {
    if path.exists() {
        if let Ok(repo) = Repository::open_bare(path) {
            return Ok(repo);
        }
        fs::remove_dir_all(path)
            .map_err(|e| Failure::io(format!("cannot remove the broken mirror {}", path.display()), e))?;
    }
    if let Some(parent) = path.parent() {
        cache::create_dir_all(parent)?;
    }
    Repository::init_bare(path).map_err(|e| {
        Failure::new(FetchErrorKind::Io, format!("cannot create mirror {}: {}", path.display(), e.message()))
    })
}

/// Make sure the mirror holds `commit` (fetching when it does not).
fn ensure_commit_in_mirror(url: &str, commit: &str, mirror: &Path, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let oid = Oid::from_str(commit)
        .map_err(|_| Failure::new(FetchErrorKind::Invalid, format!("bad commit {commit:?} in the lock file")))?;
    let has = |repo: &Repository| repo.find_commit(oid).is_ok();
    if ctx.opts.offline {
        let present = Repository::open_bare(mirror).map(|r| has(&r)).unwrap_or(false);
        if present {
            return Ok(());
        }
        return Err(Failure::new(
            FetchErrorKind::NotCached,
            format!("commit {commit} is not in the cache and the network is off"),
        ));
    }
    let _guard = ctx.cache.lock_entry("git-mirror", &mirror_id(url))?;
    let repo = open_mirror(mirror)?;
    if has(&repo) {
        return Ok(());
    }
    fetch_mirror(&repo, url, &ctx.opts.tokens, &FETCH_REFSPECS)?;
    if has(&repo) {
        return Ok(());
    }
    // Not reachable from any branch or tag (force-pushed away?): ask for the
    // object itself, which servers allowing reachable/any sha1 in want accept.
    let answer = fetch_commit_by_id(&repo, url, &ctx.opts.tokens, commit)?;
    if has(&repo) {
        return Ok(());
    }
    Err(Failure::new(
        FetchErrorKind::NoSuchRef,
        format!("commit {commit} pinned in the lock file is no longer in the repository{answer}"),
    ))
}

/// Asks the remote for a commit no branch or tag reaches. A server refuses an id it does not
/// have (or will not serve) by an error or by hanging up, which looks like a network failure,
/// so only failures that cannot mean that (credentials, the local disk) are returned as
/// errors; any other is returned as text for the caller's "no such commit" message, so that
/// the real reason is never lost.
fn fetch_commit_by_id(repo: &Repository, url: &str, tokens: &AccessTokens, commit: &str) -> Result<String, Failure> {
    match fetch_mirror(repo, url, tokens, &[commit]) {
        Ok(_) => Ok(String::new()),
        Err(failure) if matches!(failure.kind, FetchErrorKind::Auth | FetchErrorKind::Io) => {
            Err(failure.context(format!("fetching commit {commit}, which no branch or tag reaches")))
        }
        Err(failure) => Ok(format!(" (asked for it by id, the remote answered: {})", failure.message)),
    }
}

/// Fetch the mirror and resolve an unpinned reference to a full commit sha.
fn resolve(url: &str, reference: &GitRef, mirror: &Path, ctx: &Ctx<'_>) -> Result<String, Failure> {
    let _guard = ctx.cache.lock_entry("git-mirror", &mirror_id(url))?;
    let repo = open_mirror(mirror)?;
    let remote_head = fetch_mirror(&repo, url, &ctx.opts.tokens, &FETCH_REFSPECS)?;
    let no_ref = |what: String| Failure::new(FetchErrorKind::NoSuchRef, what);
    match reference {
        GitRef::Default => {
            let oid =
                remote_head.ok_or_else(|| no_ref("the remote has no HEAD (is the repository empty?)".to_string()))?;
            peel_to_commit(&repo, oid, "HEAD")
        }
        GitRef::Branch(branch) => {
            let name = format!("refs/heads/{branch}");
            if !git2::Reference::is_valid_name(&name) {
                return Err(Failure::new(FetchErrorKind::Invalid, format!("{branch:?} is not a valid branch name")));
            }
            match repo.find_reference(&name) {
                Ok(r) => {
                    let oid = r.target().ok_or_else(|| no_ref(format!("branch {branch} is symbolic")))?;
                    peel_to_commit(&repo, oid, branch)
                }
                Err(e) if e.code() == ErrorCode::NotFound => {
                    Err(no_ref(format!("the repository has no branch {branch:?}")))
                }
                Err(e) => Err(map_git_error(&e)),
            }
        }
        GitRef::Version(version) => {
            let tag = format!("refs/tags/{version}");
            if git2::Reference::is_valid_name(&tag) {
                match repo.find_reference(&tag) {
                    Ok(r) => {
                        if let Some(oid) = r.target() {
                            return peel_to_commit(&repo, oid, version);
                        }
                    }
                    Err(e) if e.code() == ErrorCode::NotFound => {}
                    Err(e) => return Err(map_git_error(&e)),
                }
            }
            let lower = version.to_ascii_lowercase();
            if (4..=40).contains(&lower.len()) && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
                if let Some(commit) = resolve_sha(&repo, &lower)? {
                    return Ok(commit);
                }
                let answer = match lower.len() {
                    40 => fetch_commit_by_id(&repo, url, &ctx.opts.tokens, &lower)?,
                    _ => String::new(),
                };
                if let Some(commit) = resolve_sha(&repo, &lower)? {
                    return Ok(commit);
                }
                return Err(no_ref(format!("the repository has no tag or commit {version:?}{answer}")));
            }
            Err(no_ref(format!("the repository has no tag {version:?}")))
        }
    }
}

/// A full or abbreviated sha to a full commit sha; `None` when absent.
fn resolve_sha(repo: &Repository, hex: &str) -> Result<Option<String>, Failure> {
    let found = if hex.len() == 40 {
        Oid::from_str(hex).and_then(|oid| repo.find_object(oid, None))
    } else {
        repo.find_object_by_prefix(hex, None)
    };
    match found {
        Ok(object) => match object.peel_to_commit() {
            Ok(commit) => Ok(Some(commit.id().to_string())),
            Err(_) => Err(Failure::new(FetchErrorKind::NoSuchRef, format!("{hex} is not a commit"))),
        },
        Err(e) if e.code() == ErrorCode::Ambiguous => {
            Err(Failure::new(FetchErrorKind::NoSuchRef, format!("{hex} is ambiguous; use more digits")))
        }
        Err(_) => Ok(None),
    }
}

fn peel_to_commit(repo: &Repository, oid: Oid, name: &str) -> Result<String, Failure> {
    let object = repo.find_object(oid, None).map_err(|e| map_git_error(&e))?;
    let commit = object
        .peel_to_commit()
        .map_err(|_| Failure::new(FetchErrorKind::NoSuchRef, format!("{name} does not point to a commit")))?;
    Ok(commit.id().to_string())
}

/// Fetch `refspecs` from `url` into the mirror. Returns the remote's HEAD.
fn fetch_mirror(
    repo: &Repository,
    url: &str,
    tokens: &AccessTokens,
    refspecs: &[&str],
) -> Result<Option<Oid>, Failure> {
    if is_plain_path(url) && !Path::new(url).exists() {
        return Err(Failure::new(FetchErrorKind::NotFound, format!("no repository at {url}")));
    }
    let mut remote = repo.remote_anonymous(url).map_err(|e| map_git_error(&e))?;
    let token_url = strip_userinfo(url);
    let token = tokens.for_url(&token_url).map(str::to_string);
    let token_tried = Cell::new(false);
    let agent_tried = Cell::new(false);
    let helper_tried = Cell::new(false);
    let attempts = Cell::new(0u32);
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(move |cb_url, username_from_url, allowed| {
        attempts.set(attempts.get() + 1);
        if attempts.get() > 6 {
            return Err(auth_error("the remote refused every credential tried"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !token_tried.get() {
            if let Some(token) = &token {
                token_tried.set(true);
                return git2::Cred::userpass_plaintext("x-access-token", token);
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) && !agent_tried.get() {
            agent_tried.set(true);
            return git2::Cred::ssh_key_from_agent(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USERNAME) {
            return git2::Cred::username(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !helper_tried.get() {
            helper_tried.set(true);
            if let Ok(config) = git2::Config::open_default() {
                if let Ok(cred) = git2::Cred::credential_helper(&config, cb_url, username_from_url) {
                    return Ok(cred);
                }
            }
        }
        Err(auth_error(
            "no usable credentials (no access token for this URL, no SSH agent key, no credential helper answer)",
        ))
    });
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    remote.fetch(refspecs, Some(&mut options), None).map_err(|e| map_git_error(&e))?;
    let head = remote.list().ok().and_then(|heads| heads.iter().find(|h| h.name() == "HEAD").map(|h| h.oid()));
    Ok(head)
}

fn auth_error(message: &str) -> git2::Error {
    git2::Error::new(ErrorCode::Auth, ErrorClass::Callback, message)
}

/// Classify a libgit2 error.
fn map_git_error(e: &git2::Error) -> Failure {
    let message = e.message().to_string();
    let lower = message.to_ascii_lowercase();
    let kind = if e.code() == ErrorCode::Auth
        || lower.contains("authentication")
        || lower.contains("credentials")
        || lower.contains("status code: 401")
        || lower.contains("status code: 403")
        || lower.contains("permission denied")
    {
        FetchErrorKind::Auth
    } else if lower.contains("status code: 404")
        || lower.contains("not found")
        || lower.contains("could not find repository")
        || lower.contains("failed to resolve path")
        || lower.contains("does not appear to be a git repository")
        || lower.contains("repository not found")
        || lower.contains("no such file or directory")
    {
        FetchErrorKind::NotFound
    } else if e.code() == ErrorCode::NotFound {
        FetchErrorKind::NoSuchRef
    } else {
        match e.class() {
            ErrorClass::Os | ErrorClass::Filesystem
                if !(lower.contains("connect") || lower.contains("resolve") || lower.contains("timed out")) =>
            {
                FetchErrorKind::Io
            }
            ErrorClass::Invalid => FetchErrorKind::Invalid,
            _ => FetchErrorKind::Network,
        }
    };
    // The spec (with the URL) is shown by FetchError's Display already.
    Failure::new(kind, message)
}

/// A relative local path resolved against `FetchOptions::base_dir`; anything else as is.
fn locate(url: &str, ctx: &Ctx<'_>) -> String {
    match &ctx.opts.base_dir {
        Some(base) if is_plain_path(url) && Path::new(url).is_relative() => {
            base.join(url).to_string_lossy().into_owned()
        }
        _ => url.to_string(),
    }
}

/// Whether `url` is a plain local path (not `scheme://` nor scp-like `host:path`).
fn is_plain_path(url: &str) -> bool {
    if url.contains("://") {
        return false;
    }
    let p = Path::new(url);
    p.is_absolute() || url.starts_with('.') || !url.contains(':')
}

/// The checked-out tree of `commit`, writing it from the mirror when absent.
fn ensure_tree(commit: &str, mirror: &Path, ctx: &Ctx<'_>) -> Result<PathBuf, Failure> {
    let dest = ctx.cache.git_tree(commit);
    if dest.is_dir() {
        return Ok(dest);
    }
    let _guard = ctx.cache.lock_entry("git-tree", commit)?;
    if dest.is_dir() {
        return Ok(dest);
    }
    let io_err = |e: git2::Error| {
        Failure::new(FetchErrorKind::Io, format!("cannot read commit {commit} from the mirror: {}", e.message()))
    };
    let repo = Repository::open_bare(mirror).map_err(io_err)?;
    let oid = Oid::from_str(commit).map_err(io_err)?;
    let tree = repo.find_commit(oid).and_then(|c| c.tree()).map_err(io_err)?;
    let tmp = cache::temp_dir_in(&ctx.cache.git_trees())?;
    write_tree(&repo, &tree, tmp.path())?;
    cache::persist_dir(tmp, &dest)?;
    Ok(dest)
}

/// Writes `tree` of a local repository under `dir` (`hldc diff --against`): the repository,
/// its index and its work tree are only read. The error is the reason, for the caller to place.
pub fn export_tree(repo: &Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), String> {
    write_tree(repo, tree, dir).map_err(|failure| failure.message)
}

/// Write the files of a git tree under `dir` (like a checkout, without .git).
fn write_tree(repo: &Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), Failure> {
    for entry in tree.iter() {
        let name = entry_name(&entry)?;
        let path = dir.join(&name);
        let git_err = |e: git2::Error| {
            Failure::new(FetchErrorKind::Io, format!("cannot read {} from the mirror: {}", path.display(), e.message()))
        };
        match entry.filemode() {
            0o040000 => {
                fs::create_dir(&path).map_err(|e| Failure::io(format!("cannot create {}", path.display()), e))?;
                let sub = repo.find_tree(entry.id()).map_err(git_err)?;
                write_tree(repo, &sub, &path)?;
            }
            0o100644 | 0o100664 | 0o100755 => {
                let blob = repo.find_blob(entry.id()).map_err(git_err)?;
                fs::write(&path, blob.content())
                    .map_err(|e| Failure::io(format!("cannot write {}", path.display()), e))?;
                #[cfg(unix)]
                if entry.filemode() == 0o100755 {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                        .map_err(|e| Failure::io(format!("cannot chmod {}", path.display()), e))?;
                }
            }
            0o120000 => {
                let blob = repo.find_blob(entry.id()).map_err(git_err)?;
                write_symlink(blob.content(), &path)?;
            }
            // Submodule (gitlink): left as an empty directory, like a clone
            // without `--recurse-submodules`.
            0o160000 => {
                fs::create_dir(&path).map_err(|e| Failure::io(format!("cannot create {}", path.display()), e))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn entry_name(entry: &git2::TreeEntry<'_>) -> Result<std::ffi::OsString, Failure> {
    let bytes = entry.name_bytes();
    let bad = bytes.is_empty()
        || bytes == b"."
        || bytes == b".."
        || bytes.contains(&b'/')
        || bytes.contains(&b'\\')
        || bytes.contains(&0)
        || bytes.eq_ignore_ascii_case(b".git");
    if bad {
        return Err(Failure::new(
            FetchErrorKind::PathEscape,
            format!("the tree has an entry named {:?}", String::from_utf8_lossy(bytes)),
        ));
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
fn write_symlink(target: &[u8], path: &Path) -> Result<(), Failure> {
    use std::os::unix::ffi::OsStrExt;
    std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), path)
        .map_err(|e| Failure::io(format!("cannot create symlink {}", path.display()), e))
}

#[cfg(not(unix))]
fn write_symlink(target: &[u8], path: &Path) -> Result<(), Failure> {
    // Without symlinks, write the link text as a file (like git with core.symlinks=false).
    fs::write(path, target).map_err(|e| Failure::io(format!("cannot write {}", path.display()), e))
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
}
