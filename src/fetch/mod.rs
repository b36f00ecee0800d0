//! Source fetching for hldc: git repositories, Helm chart repositories, OCI
//! registries and plain http(s) files, pinned by a lock file (`hldc.lock`) and
//! stored in a content-addressed cache shared by every HLD on the machine (and,
//! with `--cache-remote`, by a pipeline's runners: see "Shared cache").
//!
//! # Entry point
//!
//! [`fetch_all`] takes the list of [`SourceSpec`]s of a build, the
//! [`Lockfile`] and [`FetchOptions`], and returns one [`Fetched`] per spec (in
//! the same order), or every [`FetchError`] that occurred. Equal specs are
//! fetched once; distinct specs are fetched in parallel.
//!
//! When a spec has an entry in the lock, that pin is used (a moved branch or a
//! newer chart does not move the build). When it has none, the source is
//! resolved and the pin is added to the lock, unless [`FetchOptions::locked`]
//! is set, in which case the spec fails with [`FetchErrorKind::LockOutdated`].
//! With [`FetchOptions::offline`] the network is never used; anything that is
//! not already in the cache fails with [`FetchErrorKind::NotCached`].
//!
//! # Cache layout
//!
//! Everything lives under [`FetchOptions::cache_dir`] (for example
//! `~/.cache/hldc`):
//!
//! ```text
//! <cache>/
//!   git/mirrors/<sha256(url)[..16]>/     bare mirror of one remote URL (all heads and tags),
//!                                        fetched only when a pinned commit is missing or
//!                                        an unpinned ref must be resolved
//!   git/trees/<commit>/                  checked-out tree of one commit (no .git), read-only
//!                                        by convention; submodules are left as empty dirs;
//!                                        symlinks are kept as committed, so read files
//!                                        through [`safe_join`]
//!   git/tmp/                             scratch homes of the child processes fetching git
//!   helm/archives/<sha256>.tgz           chart archive, named by the sha256 of its bytes
//!   helm/charts/<key>/                   unpacked chart (the archive's top-level directory
//!                                        stripped), with http(s)/oci dependencies placed as
//!                                        charts/<name>-<version>.tgz. <key> is the archive's
//!                                        sha256 when no dependency had to be added, otherwise
//!                                        sha256("<archive sha256>\n<dep name> <dep sha256>\n...")
//!                                        so different dependency pins never share a directory
//!   helm/index/<sha256(repo url)>.yaml   the last index.yaml fetched from a repository
//!                                        (informational: never used to resolve offline)
//!   helm/tmp/                            scratch helm homes for `helm pull` (removed after use)
//!   http/<sha256>                        a downloaded file, named by the sha256 of its bytes
//!   render/                              helm output by render key (`render::RenderCache`)
//!   locks/<kind>-<key>.lock              per-entry lock files (see below)
//!   proofs/<sha256(source, pin)>         empty marker: this source gave this pin (a download
//!                                        of that digest; a commit its mirror holds and its ref
//!                                        names); an entry above, named by content, is served
//!                                        to a source only with its proof
//! ```
//!
//! Several hldc processes may share the cache: an entry is filled while holding
//! an exclusive lock (`File::lock`) on its lock file under `locks/`, content is
//! written to a temporary file or directory next to its final place (`.tmp-<pid>-*`)
//! and then renamed into place, and an entry that already exists is reused as is.
//! Temporaries whose process is gone (killed mid-download) are removed by the next
//! [`fetch_all`].
//!
//! # What the HLD cannot make hldc do
//!
//! Every file of the HLD may come from a pull request, so the pipeline (flags and
//! environment), not the HLD, decides:
//!
//! - local git sources: `file://`, absolute paths and relative paths leading out of
//!   the git work tree holding the HLD ([`FetchOptions::local_boundary`]) are refused
//!   with [`FetchErrorKind::LocalSource`] unless [`FetchOptions::allow_local_sources`];
//! - the lock is checked: a pinned commit must be what the declared tag names, or
//!   reachable from the declared branch (the remote's default branch when none is
//!   declared); a pinned chart version must satisfy the constraint; otherwise
//!   [`FetchErrorKind::LockMismatch`];
//! - limits: every download is capped at [`FetchOptions::max_download`]
//!   ([`FetchErrorKind::TooLarge`]) and every http request and git fetch at
//!   [`FetchOptions::fetch_timeout`] ([`FetchErrorKind::Timeout`]).
//!
//! # Credentials
//!
//! [`AccessTokens`] maps URL prefixes to tokens (the caller reads them from the
//! environment, only for the variables the pipeline allowed). The token whose
//! prefix is the longest match of a URL on the same host is used, never over plain
//! `http://` except to this machine: for git as user `x-access-token` with the
//! token as password; for http(s) downloads (Helm repositories, http files) as
//! `Authorization: Bearer <token>`, never sent on a redirect; for oci:// as a
//! `helm registry login` inside the isolated helm environment, and for the tag
//! list as the registry asks (basic, or a bearer token from its token service
//! when that is on the registry's own host). Git uses the SSH
//! agent only with [`FetchOptions::ssh_agent`], and never a credential helper or
//! the machine's git configuration: with [`FetchOptions::git_fetcher`], each git
//! fetch runs in a child hldc with an empty environment and no git configuration
//! files, killed with its process group at [`FetchOptions::fetch_timeout`]
//! (libgit2 cannot be interrupted while a server drips its refs). Tokens never
//! appear in errors, logs or the lock file.
//!
//! # Shared cache
//!
//! With [`FetchOptions::shared_cache`] (`--cache-remote`), a chart archive, git commit or http
//! file the lock pins and the local cache lacks (or holds without its proof) is first pulled
//! from an OCI registry shared by the pipeline's runners, and one fetched from its origin is
//! pushed there ([`registry`]). An entry is keyed by the name of its proof (the source and its
//! pin), so it vouches for that pair only. A pulled archive or file is taken only when its
//! sha256 is the lock's; a
//! git entry is a pack of the commit and its tree, indexed into the source's mirror, whose
//! objects are named by their content. Offline, nothing is pulled.
//!
//! # OCI
//!
//! `oci://` charts are pulled with `helm pull` (the `helm` binary from
//! [`FetchOptions::helm`]) in an isolated helm environment: no inherited
//! environment variables (so no proxy either) and a throw-away helm home;
//! `helm pull` and `helm registry login` are killed after
//! [`FetchOptions::helm_timeout`]. A constraint may be empty (latest, as helm
//! picks it), exact (`1.2.3`, `=1.2.3` or `v1.2.3`), or a range, resolved from
//! the registry's tag list (`/v2/<name>/tags/list`, read with the HTTP client
//! below, answering the registry's basic or bearer challenge, page after page as its
//! `Link` headers lead). A reference may
//! name one manifest: `oci://host/path/chart@sha256:<digest>`. The registry is
//! reached over https (its certificate checked against the system's trust store,
//! or [`FetchOptions::oci_ca_file`] instead), or over plain http when the spec
//! says so or it is on this machine and answers plain http only; no token goes
//! to a plain http registry off this machine.
//!
//! # Network
//!
//! The HTTP client uses the system TLS library (OpenSSL) and its trust store,
//! ignores proxy environment variables, connects with a 30 s timeout and gives
//! each request at most [`FetchOptions::fetch_timeout`].

mod auth;
pub(crate) mod cache;
mod chart;
mod conditions;
mod constraint;
mod error;
mod git;
mod helm;
mod http;
mod lock;
mod oci;
mod progress;
pub mod registry;
mod retired;
mod safe;
mod spec;

pub use crate::model::source::{GitRef, SourceSpec};
pub use constraint::{parse_chart_version, ConstraintError, HelmConstraint};
pub use error::{EntryField, FetchError, FetchErrorKind, Hint};
pub use git::{serve_git_fetch, GIT_FETCH_CHILD};
pub use lock::{LockError, Lockfile, Pin, LOCK_HEADER};
pub use safe::{safe_join, SafePathError};
pub use spec::{
    check_mirror, may_carry_secrets, redact_url, url_within, AccessTokens, FetchOptions, Fetched, Mirrors, Progress,
    SshAgent, DEFAULT_MAX_DOWNLOAD,
};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::fetch::error::Failure;
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::registry::Kind;

/// Number of worker threads used for parallel fetches. Fetching is dominated
/// by network and disk waits, so this is deliberately larger than the number
/// of cores.
const FETCH_THREADS: usize = 8;

/// What one fetch produced: the result and the lock entries it used or added.
pub(crate) struct Outcome {
    pub(crate) fetched: Fetched,
    /// Entries to record: every pin this fetch relied on (existing or new).
    pub(crate) pins: Vec<(LockKey, LockValue)>,
}

/// Shared state of one `fetch_all` run.
pub(crate) struct Ctx<'a> {
    pub(crate) opts: &'a FetchOptions,
    /// The lock as it was when the run started; new pins are merged at the end.
    pub(crate) lock: &'a Lockfile,
    pub(crate) cache: cache::Cache,
    pub(crate) http: http::Client,
    pub(crate) reporter: progress::Reporter,
    pub(crate) helm_indexes: helm::IndexMemo,
}

impl<'a> Ctx<'a> {
    fn new(opts: &'a FetchOptions, lock: &'a Lockfile, sources: usize) -> Ctx<'a> {
        Ctx {
            opts,
            lock,
            cache: cache::Cache::new(&opts.cache_dir),
            http: http::Client::new(&opts.tokens, opts.fetch_timeout, opts.max_download),
            reporter: progress::Reporter::new(opts.progress, sources as u64),
            helm_indexes: helm::IndexMemo::default(),
        }
    }

    /// A pinned source missing from the cache must be downloaded: impossible offline.
    pub(crate) fn check_may_download(&self, what: &str) -> Result<(), Failure> {
        if self.opts.offline {
            return Err(Failure::new(
                FetchErrorKind::NotCached,
                format!("{what} is not in the cache and the network is off"),
            ));
        }
        Ok(())
    }

    /// Whether the shared cache (`--cache-remote`) gave the file its entry `<kind>-<key>` holds,
    /// now at `dest`: taken only when its sha256 is `sha256` (the lock's pin), so a registry can
    /// never change a pinned download.
    pub(crate) fn pull_shared_file(&self, kind: Kind, key: &str, sha256: &str, dest: &Path) -> Result<bool, Failure> {
        let Some(shared) = &self.opts.shared_cache else { return Ok(false) };
        let accept = |bytes: Vec<u8>| {
            let got = cache::sha256_hex(&bytes);
            if got != sha256 {
                return Err(format!("has sha256 {got}, not the {sha256} `hldc.lock` pins"));
            }
            Ok(bytes)
        };
        let Some(bytes) = shared.pull(kind, key, accept) else { return Ok(false) };
        let mut file = cache::temp_file_in(dest.parent().unwrap_or(dest))?;
        std::io::Write::write_all(&mut file, &bytes)
            .map_err(|e| Failure::io(format!("cannot write {}", dest.display()), e))?;
        cache::persist_file(file, dest)?;
        Ok(true)
    }

    /// Shares a file fetched from its source as the entry `<kind>-<key>`, when there is a
    /// shared cache to write to; a failure only means other runners fetch it themselves.
    pub(crate) fn push_shared_file(&self, kind: Kind, key: &str, path: &Path) {
        if let Some(shared) = self.opts.shared_cache.as_ref().filter(|shared| shared.writes()) {
            if let Ok(bytes) = std::fs::read(path) {
                shared.push(kind, key, &bytes);
            }
        }
    }

    /// A source without a pin must be resolved: impossible offline, and refused when locked.
    pub(crate) fn check_may_resolve(&self, what: &str) -> Result<(), Failure> {
        if self.opts.offline {
            return Err(Failure::new(
                FetchErrorKind::NotCached,
                format!("{what} is not in the lock file, and resolving it needs the network"),
            ));
        }
        if self.opts.locked {
            return Err(Failure::new(
                FetchErrorKind::LockOutdated,
                format!("{what} is not in the lock file; run `hldc update`"),
            ));
        }
        Ok(())
    }
}

/// A byte count as `--max-download` takes it.
pub(crate) fn show_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// Builds the dependencies of a chart that comes as a directory (a local chart, or one inside a
/// git checkout) like `helm dependency build`: remote dependencies missing from `charts/` are
/// fetched, pinned in `lock`, and vendored into a copy in the cache, keyed by the directory's
/// content. With `values` (the component's), the dependencies their `condition` or `tags`
/// disable are not fetched, as helm would not render them (without: every one, for `hldc
/// update` to pin what any environment may enable). Returns the directory to render:
/// `chart_dir` itself when nothing had to be added.
pub fn build_chart_dependencies(
    chart_dir: &Path,
    values: Option<&serde_yaml::Mapping>,
    lock: &mut Lockfile,
    opts: &FetchOptions,
) -> Result<PathBuf, DependencyError> {
    let snapshot = lock.clone();
    let ctx = Ctx::new(opts, &snapshot, 0);
    let (dir, pins) = helm::build_directory(chart_dir, values, &ctx).map_err(|f| DependencyError {
        kind: f.kind,
        message: f.message,
        hint: f.hint,
    })?;
    for (key, value) in pins {
        lock.record(key, value);
    }
    Ok(dir)
}

/// Why a chart's dependencies could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyError {
    pub kind: FetchErrorKind,
    pub message: String,
    /// What to do about it, when fetch knows (a retired repository's `mirrors:` line).
    pub hint: Option<Hint>,
}

/// The sources a chart directory's `dependencies:` name, as specs whose pins can be forgotten.
pub fn chart_dependency_specs(chart_dir: &Path) -> Vec<SourceSpec> {
    helm::dependency_specs(chart_dir)
}

/// What can be told about `spec` without the network: whether a git source may be read (see
/// [`FetchOptions::allow_local_sources`]), and whether its lock pin is what it asks for (a
/// chart's version against its constraint, a commit against the mirror in the cache when there
/// is one). `None` when nothing is wrong.
pub fn check_offline(spec: &SourceSpec, lock: &Lockfile, opts: &FetchOptions) -> Option<FetchError> {
    let ctx = Ctx::new(opts, lock, 0);
    let pin = lock.get(&LockKey::for_spec(spec));
    let checked = match (spec, pin) {
        (SourceSpec::Git { url, reference }, pin) => {
            let contacted = opts.mirrors.contacted(url);
            git::check_local_source(&contacted, &ctx).and_then(|()| match pin {
                Some(LockValue::Git { commit, .. }) => git::check_pin_in_cache(&contacted, reference, commit, &ctx),
                _ => Ok(()),
            })
        }
        (
            SourceSpec::HelmRepo { constraint, .. } | SourceSpec::Oci { constraint, .. },
            Some(LockValue::Helm { version, .. }),
        ) => chart::check_pinned_version(version, constraint),
        _ => Ok(()),
    };
    checked.err().map(|failure| FetchError::from_failure(spec, failure, &opts.tokens))
}

/// Fetch every spec, in parallel, deduplicating equal specs.
///
/// Returns one [`Fetched`] per spec, in the same order as `specs`, or all the
/// errors (in spec order, one per failing distinct spec). Pins of the specs
/// that succeeded are added to `lock` even when other specs failed.
pub fn fetch_all(
    specs: &[SourceSpec],
    lock: &mut Lockfile,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, Vec<FetchError>> {
    // Deduplicate while keeping first-seen order.
    let mut unique: Vec<&SourceSpec> = Vec::new();
    let mut slot_of: HashMap<&SourceSpec, usize> = HashMap::new();
    let mut slots: Vec<usize> = Vec::with_capacity(specs.len());
    for spec in specs {
        let slot = *slot_of.entry(spec).or_insert_with(|| {
            unique.push(spec);
            unique.len() - 1
        });
        slots.push(slot);
    }

    let snapshot = lock.clone();
    let ctx = Ctx::new(opts, &snapshot, unique.len());
    ctx.cache.remove_stale_temporaries();

    let run = |spec: &SourceSpec| -> Result<Outcome, FetchError> {
        fetch_one(spec, &ctx).map_err(|f| FetchError::from_failure(spec, f, &opts.tokens))
    };

    let results: Vec<Result<Outcome, FetchError>> =
        match rayon::ThreadPoolBuilder::new().num_threads(FETCH_THREADS).build() {
            Ok(pool) => pool.install(|| unique.par_iter().map(|s| run(s)).collect()),
            // Could not start threads: fetch sequentially.
            Err(_) => unique.iter().map(|s| run(s)).collect(),
        };
    ctx.reporter.finish();

    let mut fetched: Vec<Option<Fetched>> = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(outcome) => {
                for (key, value) in outcome.pins {
                    lock.record(key, value);
                }
                fetched.push(Some(outcome.fetched));
            }
            Err(e) => {
                errors.push(e);
                fetched.push(None);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::with_capacity(specs.len());
    for slot in slots {
        match fetched.get(slot).and_then(|f| f.clone()) {
            Some(f) => out.push(f),
            None => {
                // Unreachable: every unique spec either succeeded or produced an error.
                return Err(vec![FetchError::from_failure(
                    unique[slot],
                    Failure::new(FetchErrorKind::Io, "internal error: missing result"),
                    &opts.tokens,
                )]);
            }
        }
    }
    Ok(out)
}

fn fetch_one(spec: &SourceSpec, ctx: &Ctx<'_>) -> Result<Outcome, Failure> {
    let shown = spec.to_string();
    ctx.reporter.start(&shown);
    let result = match spec {
        SourceSpec::Git { url, reference } => git::fetch(url, reference, ctx),
        SourceSpec::HelmRepo { repository, chart, constraint } => {
            helm::fetch_repo_chart(repository, chart, constraint, ctx)
        }
        SourceSpec::Oci { reference, constraint, plain_http } => {
            helm::fetch_oci_chart(reference, *plain_http, constraint, ctx)
        }
        SourceSpec::Http { url } => http::fetch_file(url, ctx),
    };
    match &result {
        Ok((_, pin)) => ctx.reporter.done(&shown, pin),
        Err(_) => ctx.reporter.failed(&shown),
    }
    result.map(|(outcome, _)| outcome)
}
