//! Git sources, through libgit2 (no `git` binary needed).

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use git2::{AutotagOption, CredentialType, ErrorClass, ErrorCode, FetchPrune, Oid, Repository};

use crate::fetch::cache::{self, is_hex, mirror_id};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::registry::Kind;
use crate::fetch::spec::{strip_userinfo, Fetched};
use crate::fetch::{Ctx, Outcome};
use crate::localgit::{self, ExportError};
use crate::model::source::{GitRef, SourceSpec};

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
    // The lock is keyed by the URL as written; everything else by the one contacted.
    let mirror_used = ctx.opts.mirrors.recorded(url);
    let contacted = ctx.opts.mirrors.contacted(url);
    check_local_source(&contacted, ctx)?;
    let key = LockKey::for_spec(&SourceSpec::Git { url: url.to_string(), reference: reference.clone() });
    let pinned = match ctx.lock.get(&key) {
        Some(LockValue::Git { commit, .. }) => Some(commit.clone()),
        _ => None,
    };
    // The cache's mirror and proofs are keyed by where the repository really is.
    let located = locate(&contacted, ctx);
    let url = located.as_str();
    let mirror = ctx.cache.git_mirror(url);
    let pin = |commit: &str| format!("git {} {commit}", reference.lock_text());
    let proof = |commit: &str| ctx.cache.proof(url, &pin(commit));
    // The entry of the shared cache vouching for the same pair as the proof.
    let shared_key = |commit: &str| cache::proof_key(url, &pin(commit));
    // Whether this run asked the origin for the commit (then it is shared with other runners).
    let mut from_origin = false;
    let commit = match pinned {
        Some(commit) if proof(&commit).is_file() && ctx.cache.git_tree(&commit).is_dir() => commit,
        Some(commit) if pull_shared_commit(url, &commit, &shared_key(&commit), &mirror, ctx)? => commit,
        Some(commit) => {
            ensure_commit_in_mirror(url, &commit, &mirror, ctx)?;
            check_pin(url, reference, &commit, &mirror, ctx)?;
            from_origin = true;
            commit
        }
        None => {
            let local = match reference {
                GitRef::Version(v) if is_hex(&v.to_ascii_lowercase(), 40) => {
                    find_full_sha_in_mirror(&v.to_ascii_lowercase(), &mirror)
                }
                _ => None,
            };
            match local {
                Some(commit) if !ctx.opts.locked => commit,
                _ => {
                    ctx.check_may_resolve(&format!("ref {:?}", reference.lock_text()))?;
                    from_origin = true;
                    resolve(url, reference, &mirror, ctx)?
                }
            }
        }
    };
    let root = ensure_tree(&commit, &mirror, ctx)?;
    cache::touch(&proof(&commit))?;
    if from_origin {
        push_shared_commit(&commit, &shared_key(&commit), &mirror, ctx);
    }
    let outcome = Outcome {
        fetched: Fetched { root },
        pins: vec![(key, LockValue::Git { commit: commit.clone(), mirror: mirror_used })],
    };
    Ok((outcome, commit))
}

/// Whether the shared cache (`--cache-remote`) gave the pinned `commit` with its tree, now in
/// the mirror: the entry is a pack, indexed by libgit2, which names every object by the hash
/// of its content, so the commit found after it is that commit; that it is what the source's
/// ref names is vouched for by the entry's key (the proof `key`), as only runners that fetched
/// it from the source push it. A mirror that holds the commit already needs no pull.
fn pull_shared_commit(url: &str, commit: &str, key: &str, mirror: &Path, ctx: &Ctx<'_>) -> Result<bool, Failure> {
    let Some(shared) = ctx.opts.shared_cache.as_ref().filter(|_| !ctx.opts.offline) else { return Ok(false) };
    let Ok(oid) = Oid::from_str(commit) else { return Ok(false) };
    let _guard = ctx.cache.lock_entry("git-mirror", &mirror_id(url))?;
    let repo = open_mirror(mirror)?;
    if repo.find_commit(oid).is_ok() {
        return Ok(false);
    }
    let index = |pack: Vec<u8>| -> Result<(), String> {
        let odb = repo.odb().map_err(|e| e.message().to_string())?;
        let mut writer = odb.packwriter().map_err(|e| e.message().to_string())?;
        std::io::Write::write_all(&mut writer, &pack).map_err(|e| e.to_string())?;
        writer.commit().map_err(|_| "is not a git pack".to_string())?;
        let tree = repo
            .find_commit(oid)
            .and_then(|found| found.tree())
            .map_err(|_| format!("does not hold commit {commit}"))?;
        tree_is_whole(&repo, &odb, &tree)
            .then_some(())
            .ok_or_else(|| format!("does not hold the whole tree of commit {commit}"))
    };
    Ok(shared.pull(Kind::Git, key, index).is_some())
}

/// Whether every tree and file under `tree` is in `repo` (submodules are other repositories).
fn tree_is_whole(repo: &Repository, odb: &git2::Odb<'_>, tree: &git2::Tree<'_>) -> bool {
    tree.iter().all(|entry| match entry.kind() {
        Some(git2::ObjectType::Tree) => repo.find_tree(entry.id()).is_ok_and(|sub| tree_is_whole(repo, odb, &sub)),
        Some(git2::ObjectType::Blob) => odb.exists(entry.id()),
        _ => true,
    })
}

/// Shares a commit fetched from its source: a pack of the commit and its tree (no history),
/// under the proof's `key`. Nothing when there is no shared cache to write to; a failure only
/// means other runners fetch it themselves.
fn push_shared_commit(commit: &str, key: &str, mirror: &Path, ctx: &Ctx<'_>) {
    let Some(shared) = ctx.opts.shared_cache.as_ref().filter(|shared| shared.writes()) else { return };
    let pack = || -> Result<Vec<u8>, git2::Error> {
        let repo = Repository::open_bare(mirror)?;
        let mut builder = repo.packbuilder()?;
        builder.insert_commit(Oid::from_str(commit)?)?;
        let mut buffer = git2::Buf::new();
        builder.write_buf(&mut buffer)?;
        Ok(buffer.to_vec())
    };
    if let Ok(pack) = pack() {
        shared.push(Kind::Git, key, &pack);
    }
}

/// Refuses a repository of this machine outside the HLD's own, unless the pipeline allowed them:
/// a source from a pull request could otherwise read any repository the runner holds, the
/// cache's mirrors included.
pub(crate) fn check_local_source(url: &str, ctx: &Ctx<'_>) -> Result<(), Failure> {
    if ctx.opts.allow_local_sources {
        return Ok(());
    }
    let refused = |what: &str| {
        Err(Failure::new(
            FetchErrorKind::LocalSource,
            format!("{url} is {what}, and the pipeline did not pass `--allow-local-sources`"),
        ))
    };
    if url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file://")) {
        return refused("a repository on this machine (`file://`)");
    }
    if !is_plain_path(url) {
        return Ok(());
    }
    if Path::new(url).is_absolute() {
        return refused("a repository on this machine (an absolute path)");
    }
    let (Some(base), Some(boundary)) = (&ctx.opts.base_dir, &ctx.opts.local_boundary) else {
        return refused("a repository on this machine");
    };
    // Symlinks are followed: the path as written may stay inside while its target does not. A
    // path that does not exist is left to the fetch to report, if it stays inside as written.
    let inside = match base.join(url).canonicalize() {
        Ok(real) => real.starts_with(boundary),
        Err(_) => crate::paths::join_relative(base, url).is_some_and(|joined| joined.starts_with(boundary)),
    };
    if inside {
        Ok(())
    } else {
        refused("a repository on this machine outside the HLD's repository")
    }
}

/// Checks that a commit from the lock is what the component asks for: what its tag names, or
/// reachable from its branch (the default branch when none is named). The mirror is fetched
/// again once when it says no, as it may predate the tag or the branch's last push.
fn check_pin(url: &str, reference: &GitRef, commit: &str, mirror: &Path, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let matches = || -> Result<bool, Failure> {
        let repo = Repository::open_bare(mirror).map_err(|e| map_git_error(&e))?;
        pin_matches(&repo, reference, commit)
    };
    if matches()? {
        return Ok(());
    }
    if !ctx.opts.offline {
        let _guard = ctx.cache.lock_entry("git-mirror", &mirror_id(url))?;
        let repo = open_mirror(mirror)?;
        fetch_mirror(&repo, url, ctx, &FETCH_REFSPECS)?;
        if matches()? {
            return Ok(());
        }
    }
    Err(pin_mismatch(reference, commit))
}

fn pin_mismatch(reference: &GitRef, commit: &str) -> Failure {
    let asked = match reference {
        GitRef::Default => "the default branch does not reach it".to_string(),
        GitRef::Branch(branch) => format!("branch {branch:?} does not reach it"),
        GitRef::Version(version) => format!("version {version:?} does not name it"),
    };
    Failure::new(FetchErrorKind::LockMismatch, format!("`hldc.lock` pins commit {commit}, but {asked}"))
}

/// `check_pin` without the network, for `validate`: against the mirror in the cache, when it
/// holds the commit; anything it cannot tell passes.
pub(crate) fn check_pin_in_cache(url: &str, reference: &GitRef, commit: &str, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let mirror = ctx.cache.git_mirror(&locate(url, ctx));
    let Some(repo) = mirror.is_dir().then(|| Repository::open_bare(&mirror).ok()).flatten() else { return Ok(()) };
    let known = Oid::from_str(commit).is_ok_and(|oid| repo.find_commit(oid).is_ok());
    if !known || pin_matches(&repo, reference, commit)? {
        return Ok(());
    }
    Err(pin_mismatch(reference, commit))
}

/// Whether `commit` is what `reference` names in `repo` (see `check_pin`).
fn pin_matches(repo: &Repository, reference: &GitRef, commit: &str) -> Result<bool, Failure> {
    let Ok(pinned) = Oid::from_str(commit) else { return Ok(false) };
    let peeled = |name: &str| -> Option<Oid> {
        repo.find_reference(name).ok()?.resolve().ok()?.peel_to_commit().ok().map(|c| c.id())
    };
    let reaches = |tip: Option<Oid>| -> Result<bool, Failure> {
        match tip {
            Some(tip) if tip == pinned => Ok(true),
            Some(tip) => repo.graph_descendant_of(tip, pinned).map_err(|e| map_git_error(&e)),
            None => Ok(false),
        }
    };
    match reference {
        GitRef::Default => reaches(peeled("HEAD")),
        GitRef::Branch(branch) => reaches(peeled(&format!("refs/heads/{branch}"))),
        GitRef::Version(version) => match peeled(&format!("refs/tags/{version}")) {
            // Tags win over commit ids, as when resolving.
            Some(tagged) => Ok(tagged == pinned),
            None => {
                let lower = version.to_ascii_lowercase();
                Ok(lower.len() >= 4 && lower.bytes().all(|b| b.is_ascii_hexdigit()) && commit.starts_with(&lower))
            }
        },
    }
}

/// A full sha the mirror of this URL holds (no network needed); a tree by that id fetched for
/// another URL proves nothing about this one.
fn find_full_sha_in_mirror(sha: &str, mirror: &Path) -> Option<String> {
    if !mirror.is_dir() {
        return None;
    }
    let repo = Repository::open_bare(mirror).ok()?;
    let oid = Oid::from_str(sha).ok()?;
    repo.find_commit(oid).ok().map(|c| c.id().to_string())
}

/// Open the bare mirror at `path`, creating it when missing (or broken). Called under the
/// mirror's lock, so a pack libgit2 was still writing belongs to a fetch that was killed.
fn open_mirror(path: &Path) -> Result<Repository, Failure> {
    if path.exists() {
        if let Ok(repo) = Repository::open_bare(path) {
            remove_unfinished_packs(&path.join("objects").join("pack"));
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

fn remove_unfinished_packs(packs: &Path) {
    let Ok(entries) = fs::read_dir(packs) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("pack_git2_") {
            let _ = fs::remove_file(entry.path());
        }
    }
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
    fetch_mirror(&repo, url, ctx, &FETCH_REFSPECS)?;
    if has(&repo) {
        return Ok(());
    }
    // Not reachable from any branch or tag (force-pushed away?): ask for the
    // object itself, which servers allowing reachable/any sha1 in want accept.
    let answer = fetch_commit_by_id(&repo, url, ctx, commit)?;
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
fn fetch_commit_by_id(repo: &Repository, url: &str, ctx: &Ctx<'_>, commit: &str) -> Result<String, Failure> {
    match fetch_mirror(repo, url, ctx, &[commit]) {
        Ok(_) => Ok(String::new()),
        Err(failure)
            if matches!(
                failure.kind,
                FetchErrorKind::Auth | FetchErrorKind::Io | FetchErrorKind::Timeout | FetchErrorKind::TooLarge
            ) =>
        {
            Err(failure.context(format!("fetching commit {commit}, which no branch or tag reaches")))
        }
        Err(failure) => Ok(format!(" (asked for it by id, the remote answered: {})", failure.message)),
    }
}

/// Fetch the mirror and resolve an unpinned reference to a full commit sha.
fn resolve(url: &str, reference: &GitRef, mirror: &Path, ctx: &Ctx<'_>) -> Result<String, Failure> {
    let _guard = ctx.cache.lock_entry("git-mirror", &mirror_id(url))?;
    let repo = open_mirror(mirror)?;
    let remote_head = fetch_mirror(&repo, url, ctx, &FETCH_REFSPECS)?;
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
                    40 => fetch_commit_by_id(&repo, url, ctx, &lower)?,
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
///
/// With `FetchOptions::git_fetcher`, the fetch runs in a child hldc (`serve_git_fetch`): cut off
/// from the machine's git configuration and credentials, and killed with its process group at
/// `fetch_timeout`, which is the only way to stop libgit2 while a server drips its refs.
fn fetch_mirror(repo: &Repository, url: &str, ctx: &Ctx<'_>, refspecs: &[&str]) -> Result<Option<Oid>, Failure> {
    if is_plain_path(url) && !Path::new(url).exists() {
        return Err(Failure::new(FetchErrorKind::NotFound, format!("no repository at {url}")));
    }
    super::progress::going_online();
    let request = FetchRequest {
        mirror: repo.path().to_path_buf(),
        url: url.to_string(),
        refspecs: refspecs.iter().map(|r| r.to_string()).collect(),
        token: ctx.opts.tokens.for_url(&strip_userinfo(url)).map(str::to_string),
        ssh_agent: ctx.opts.ssh_agent.is_some(),
        max_download: ctx.opts.max_download,
    };
    let answer = match &ctx.opts.git_fetcher {
        Some(program) => fetch_in_child(program, &request, ctx)?,
        None => fetch_into_mirror(&request),
    };
    match answer {
        FetchAnswer::Fetched { head } => Ok(head.and_then(|head| Oid::from_str(&head).ok())),
        FetchAnswer::Failed { kind, message } => Err(Failure::new(kind, message)),
    }
}

/// The argument that makes hldc serve one git fetch (`serve_git_fetch`) instead of a command.
pub const GIT_FETCH_CHILD: &str = "__hldc-git-fetch";

/// One git fetch, as the parent hands it to the child on stdin (the token never on a
/// command line).
#[derive(serde::Serialize, serde::Deserialize)]
struct FetchRequest {
    mirror: PathBuf,
    url: String,
    refspecs: Vec<String>,
    token: Option<String>,
    ssh_agent: bool,
    max_download: u64,
}

/// The child's answer on stdout.
#[derive(serde::Serialize, serde::Deserialize)]
enum FetchAnswer {
    Fetched { head: Option<String> },
    Failed { kind: FetchErrorKind, message: String },
}

fn fetch_in_child(program: &Path, request: &FetchRequest, ctx: &Ctx<'_>) -> Result<FetchAnswer, Failure> {
    let home = cache::temp_dir_in(&ctx.cache.git_tmp())?;
    let mut command = std::process::Command::new(program);
    command.arg(GIT_FETCH_CHILD).env_clear().env("HOME", home.path()).envs(ctx.opts.git_environment.iter().cloned());
    // Local paths arrive absolute (`locate`); nothing else may resolve against the HLD.
    command.current_dir(home.path());
    if let Some(agent) = &ctx.opts.ssh_agent {
        command.env("SSH_AUTH_SOCK", &agent.socket);
        // libgit2 checks host keys against ~/.ssh/known_hosts; its configuration stays unread.
        if let Some(user_home) = &agent.home {
            command.env("HOME", user_home);
        }
    }
    let input = serde_json::to_vec(request).map_err(|e| Failure::new(FetchErrorKind::Io, e.to_string()))?;
    let shown = crate::fetch::redact_url(&request.url);
    match crate::process::run(command, &input, ctx.opts.fetch_timeout) {
        Ok(output) => serde_json::from_slice(&output).map_err(|e| {
            Failure::new(FetchErrorKind::Io, format!("the git fetch of {shown} gave no answer hldc understands: {e}"))
        }),
        Err(crate::process::Failure::Timeout(timeout)) => Err(Failure::new(
            FetchErrorKind::Timeout,
            format!(
                "the git fetch of {shown} did not finish within {} (`--fetch-timeout`)",
                humantime::format_duration(timeout)
            ),
        )),
        Err(failure) => Err(Failure::new(FetchErrorKind::Io, format!("the git fetch of {shown} failed: {failure}"))),
    }
}

/// The child's side of `fetch_in_child`: reads the request on stdin, fetches, answers on stdout.
pub fn serve_git_fetch() -> std::process::ExitCode {
    use std::io::{Read, Write};
    let mut input = Vec::new();
    let answer = match std::io::stdin().read_to_end(&mut input) {
        Ok(_) => match serde_json::from_slice::<FetchRequest>(&input) {
            Ok(request) => {
                forget_git_configuration(&request.mirror);
                fetch_into_mirror(&request)
            }
            Err(e) => FetchAnswer::Failed { kind: FetchErrorKind::Io, message: format!("bad request: {e}") },
        },
        Err(e) => FetchAnswer::Failed { kind: FetchErrorKind::Io, message: format!("cannot read the request: {e}") },
    };
    let written = serde_json::to_vec(&answer).map_err(std::io::Error::other).and_then(|bytes| {
        let mut stdout = std::io::stdout();
        stdout.write_all(&bytes).and_then(|()| stdout.flush())
    });
    if written.is_ok() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// Points libgit2's system, global and XDG configuration at a directory without any, so that
/// no `insteadOf` holding a token, proxy or other setting of the machine reaches the fetch.
fn forget_git_configuration(mirror: &Path) {
    let nowhere = mirror.join("no-configuration");
    for level in
        [git2::ConfigLevel::System, git2::ConfigLevel::XDG, git2::ConfigLevel::Global, git2::ConfigLevel::ProgramData]
    {
        // SAFETY: the child is single-threaded and no repository is open yet.
        let _ = unsafe { git2::opts::set_search_path(level, &nowhere) };
    }
}

/// The fetch itself, in whichever process runs it. Only the token the pipeline gave for this
/// URL, and the SSH agent when it allowed that, are offered: never a credential helper.
fn fetch_into_mirror(request: &FetchRequest) -> FetchAnswer {
    let failed = |failure: Failure| FetchAnswer::Failed { kind: failure.kind, message: failure.message };
    let repo = match Repository::open_bare(&request.mirror) {
        Ok(repo) => repo,
        Err(e) => return failed(map_git_error(&e)),
    };
    let mut remote = match repo.remote_anonymous(&request.url) {
        Ok(remote) => remote,
        Err(e) => return failed(map_git_error(&e)),
    };
    let token = request.token.clone();
    // libgit2 follows a redirect and asks again: the token stays with the host it was given for.
    let token_origin = crate::fetch::spec::origin(&request.url);
    let ssh_agent = request.ssh_agent;
    let token_tried = Cell::new(false);
    let agent_tried = Cell::new(false);
    let attempts = Cell::new(0u32);
    let too_large = std::rc::Rc::new(Cell::new(false));
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(move |asking_url, username_from_url, allowed| {
        attempts.set(attempts.get() + 1);
        if attempts.get() > 6 {
            return Err(auth_error("the remote refused every credential tried"));
        }
        let same_host = crate::fetch::spec::origin(asking_url) == token_origin;
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && same_host && !token_tried.get() {
            if let Some(token) = &token {
                token_tried.set(true);
                return git2::Cred::userpass_plaintext("x-access-token", token);
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) && ssh_agent && !agent_tried.get() {
            agent_tried.set(true);
            return git2::Cred::ssh_key_from_agent(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USERNAME) {
            return git2::Cred::username(username_from_url.unwrap_or("git"));
        }
        Err(auth_error(
            "no usable credentials: the pipeline gave no token for this URL (`--allow-token`), nor the SSH agent",
        ))
    });
    let (limit, over) = (request.max_download, too_large.clone());
    callbacks.transfer_progress(move |progress| {
        let within = progress.received_bytes() as u64 <= limit;
        over.set(!within);
        within
    });
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    if let Err(e) = remote.fetch(&request.refspecs, Some(&mut options), None) {
        if too_large.get() {
            return failed(Failure::new(
                FetchErrorKind::TooLarge,
                format!("the repository sent more than {} (`--max-download`)", super::show_size(limit)),
            ));
        }
        return failed(map_git_error(&e));
    }
    let head = remote.list().ok().and_then(|heads| heads.iter().find(|h| h.name() == "HEAD").map(|h| h.oid()));
    // The mirror's HEAD follows the remote's, for lock pins of the default branch to be checked.
    if let Ok(branch) = remote.default_branch() {
        if let Ok(branch) = branch.as_str() {
            let _ = repo.set_head(branch);
        }
    }
    FetchAnswer::Fetched { head: head.map(|oid| oid.to_string()) }
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
    localgit::export_tree(&repo, &tree, tmp.path()).map_err(|e| match e {
        ExportError::BadName(message) => Failure::new(FetchErrorKind::PathEscape, message),
        ExportError::Io(message) => Failure::new(FetchErrorKind::Io, message),
    })?;
    cache::persist_dir(tmp, &dest)?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_a_killed_fetch_left_is_removed_when_the_mirror_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let mirror = dir.path().join("mirror");
        Repository::init_bare(&mirror).unwrap();
        let packs = mirror.join("objects/pack");
        fs::create_dir_all(&packs).unwrap();
        fs::write(packs.join("pack_git2_a1b2c3"), b"half a pack").unwrap();
        fs::write(packs.join("pack-0123.keep"), b"").unwrap();
        open_mirror(&mirror).unwrap();
        assert!(!packs.join("pack_git2_a1b2c3").exists());
        assert!(packs.join("pack-0123.keep").exists());
    }
}
