//! Helm charts from chart repositories (and the parts shared with OCI):
//! index resolution, archive download and verification, safe unpacking, and
//! dependency vendoring (what `helm dependency build` does).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_yaml::Mapping;
use sha2::{Digest, Sha256};

use crate::fetch::cache::{self, sha256_hex};
use crate::fetch::chart::{
    check_pinned_version, pinned_archive, prove_archive, record_pin, value_text, Archive, ChartMeta, Dependency, Pins,
};
use crate::fetch::conditions;
use crate::fetch::constraint::{parse_chart_version, HelmConstraint};
use crate::fetch::error::{EntryField, Hint};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::http::resolve_url;
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::retired::dead_repository_hint;
use crate::fetch::safe::unpack_tgz;
use crate::fetch::spec::{redact_url, Fetched};
use crate::fetch::{oci, Ctx, Outcome};
use crate::model::source::SourceSpec;

/// How deep chart dependencies may nest.
const MAX_DEPTH: usize = 16;

/// Where a chart comes from.
#[derive(Debug, Clone)]
pub(crate) enum ChartSource {
    Repo {
        repository: String,
        chart: String,
    },
    /// `oci://host/path/chart[@sha256:<digest>]`; `plain_http` as `SourceSpec::Oci` has it.
    Oci {
        reference: String,
        plain_http: bool,
    },
}

impl ChartSource {
    pub(crate) fn identity(&self) -> String {
        match self {
            ChartSource::Repo { repository, chart } => {
                format!("{}|{chart}", repository.trim_end_matches('/'))
            }
            ChartSource::Oci { reference, .. } => reference.clone(),
        }
    }

    /// The registry (`host[:port]`) this source declares plain http (`plainHttp: true`): the
    /// chart's dependencies on that registry are reached the same way, others as they say.
    fn plain_http_registry(&self) -> Option<&str> {
        match self {
            ChartSource::Oci { reference, plain_http: true } => Some(oci::registry_host(reference)),
            _ => None,
        }
    }
}

pub(crate) fn fetch_repo_chart(
    repository: &str,
    chart: &str,
    constraint: &str,
    ctx: &Ctx<'_>,
) -> Result<(Outcome, String), Failure> {
    if !(repository.starts_with("http://") || repository.starts_with("https://")) {
        return Err(Failure::new(
            FetchErrorKind::Invalid,
            format!("chart repository {} must be an http(s) URL", redact_url(repository)),
        ));
    }
    if chart.trim().is_empty() || chart.contains('/') {
        return Err(Failure::new(FetchErrorKind::Invalid, format!("bad chart name {chart:?}")));
    }
    let source = ChartSource::Repo { repository: repository.to_string(), chart: chart.to_string() };
    fetch_chart(&source, constraint, ctx)
}

/// An OCI chart (`oci://host/path/chart`) with its dependencies.
pub(crate) fn fetch_oci_chart(
    reference: &str,
    plain_http: bool,
    constraint: &str,
    ctx: &Ctx<'_>,
) -> Result<(Outcome, String), Failure> {
    oci::validate_reference(reference)?;
    fetch_chart(&ChartSource::Oci { reference: reference.trim().to_string(), plain_http }, constraint, ctx)
}

/// Fetch a chart (repo or OCI) with its dependencies.
pub(crate) fn fetch_chart(source: &ChartSource, constraint: &str, ctx: &Ctx<'_>) -> Result<(Outcome, String), Failure> {
    let mut pins = Pins::new();
    let mut stack = vec![source.identity()];
    let archive = get_archive(source, constraint, ctx, &mut pins)?;
    let built = build(&archive, source.plain_http_registry(), ctx, &mut pins, &mut stack)?;
    let pin = format!("{} sha256:{}", archive.version, archive.sha256);
    Ok((Outcome { fetched: Fetched { root: built.dir }, pins }, pin))
}

/// Get the archive of a chart into the cache, using the lock pin when there
/// is one, and record the pin.
fn get_archive(source: &ChartSource, constraint: &str, ctx: &Ctx<'_>, pins: &mut Pins) -> Result<Archive, Failure> {
    match source {
        ChartSource::Repo { repository, chart } => get_repo_archive(repository, chart, constraint, ctx, pins),
        ChartSource::Oci { reference, plain_http } => oci::get_archive(reference, *plain_http, constraint, ctx, pins),
    }
}

fn get_repo_archive(
    repository: &str,
    chart: &str,
    constraint: &str,
    ctx: &Ctx<'_>,
    pins: &mut Pins,
) -> Result<Archive, Failure> {
    let key = LockKey::helm(repository, chart, constraint);
    let mirror = ctx.opts.mirrors.recorded(repository);
    // Suggested only where no mirror applies: a mirror that fails is the mirror's problem.
    let hint = |failure: Failure| match mirror {
        Some(_) => failure,
        None => {
            let hint = dead_repository_hint(repository, failure.kind);
            failure.hint(hint)
        }
    };
    // The lock keeps the repository as written; the index, the download and the proof that
    // this source gave the archive are the mirror's.
    let contacted = ctx.opts.mirrors.contacted(repository);
    let repository = contacted.as_ref();
    let source_identity = ChartSource::Repo { repository: repository.to_string(), chart: chart.to_string() }.identity();
    let shown_repo = redact_url(repository);
    let parsed =
        HelmConstraint::parse(constraint.trim()).map_err(|e| Failure::new(FetchErrorKind::Invalid, e.to_string()))?;
    let archive = match ctx.lock.get(&key) {
        Some(LockValue::Helm { version, digest, .. }) => {
            check_pinned_version(version, constraint)?;
            let what = format!("chart {chart} {version} from {shown_repo}");
            pinned_archive(&source_identity, version, digest, &what, ctx, |sha| {
                let index = ctx.helm_indexes.get(repository, ctx)?;
                let entry = index.find_exact(chart, version).ok_or_else(|| {
                    Failure::new(
                        FetchErrorKind::NotFound,
                        format!("chart {chart} version {version} (pinned in the lock file) is no longer in the index of {shown_repo}"),
                    )
                })?;
                download_verified(repository, chart, entry, Some(sha), ctx).map(drop)
            })
            .map_err(hint)?
        }
        _ => {
            ctx.check_may_resolve(&format!("chart {chart} ({parsed}) from {shown_repo}"))?;
            let index = ctx.helm_indexes.get(repository, ctx).map_err(hint)?;
            let entry = index.choose(chart, &parsed, &shown_repo).map_err(hint)?;
            let sha = download_verified(repository, chart, entry, None, ctx).map_err(hint)?;
            let archive = Archive { sha256: sha, version: entry.version.clone() };
            prove_archive(&source_identity, &archive, ctx)?;
            archive
        }
    };
    record_pin(key, &archive, mirror, pins);
    Ok(archive)
}

/// Download an index entry's archive into the cache, checking the index's
/// digest and (when pinned) the lock's. Returns the archive's sha256.
fn download_verified(
    repository: &str,
    chart: &str,
    entry: &IndexEntry,
    expected: Option<&str>,
    ctx: &Ctx<'_>,
) -> Result<String, Failure> {
    let url = entry.urls.first().ok_or_else(|| {
        Failure::new(
            FetchErrorKind::Invalid,
            format!("index entry of {chart} {} in {} has no download URL", entry.version, redact_url(repository)),
        )
    })?;
    let url = resolve_url(repository, url);
    let (tmp, sha) = ctx.http.download(&url, &ctx.cache.helm_archives())?;
    if let Some(index_digest) = &entry.digest {
        if *index_digest != sha {
            return Err(Failure::new(
                FetchErrorKind::DigestMismatch,
                format!(
                    "{} ({chart} {}) has sha256 {sha}, but the repository index says {index_digest}",
                    redact_url(&url),
                    entry.version
                ),
            ));
        }
    }
    if let Some(expected) = expected {
        if expected != sha {
            return Err(Failure::new(
                FetchErrorKind::DigestMismatch,
                format!(
                    "{} ({chart} {}) has sha256 {sha}, but the lock file pins {expected}",
                    redact_url(&url),
                    entry.version
                ),
            ));
        }
    }
    cache::persist_file(tmp, &ctx.cache.helm_archive(&sha))?;
    Ok(sha)
}

/// An unpacked chart directory.
struct Built {
    dir: PathBuf,
    /// The cache key of `dir` (the archive's sha256 when nothing was added).
    key: String,
    /// Whether dependencies were added (so the archive alone is not enough).
    extended: bool,
}

/// Unpack an archive and vendor its remote dependencies (those on `plain_http_registry` over
/// plain http).
fn build(
    archive: &Archive,
    plain_http_registry: Option<&str>,
    ctx: &Ctx<'_>,
    pins: &mut Pins,
    stack: &mut Vec<String>,
) -> Result<Built, Failure> {
    let base = ensure_unpacked(&archive.sha256, ctx)?;
    build_from(&base, &archive.sha256, &[], plain_http_registry, ctx, pins, stack)
}

/// Vendors the remote dependencies of a chart directory; see `build_chart_dependencies`. With
/// `values`, the dependencies they disable are not fetched (see `conditions`).
pub(crate) fn build_directory(
    chart_dir: &Path,
    values: Option<&Mapping>,
    ctx: &Ctx<'_>,
) -> Result<(PathBuf, Pins), Failure> {
    if !chart_dir.join("Chart.yaml").is_file() {
        // Not a chart (yet): helm's own message says so better than ours would.
        return Ok((chart_dir.to_path_buf(), Pins::new()));
    }
    let meta = ChartMeta::read(chart_dir)?;
    let mut needs_fetching = false;
    for dep in &meta.dependencies {
        needs_fetching |= dependency_source(dep, chart_dir, None)?.is_some();
    }
    if !needs_fetching {
        return Ok((chart_dir.to_path_buf(), Pins::new()));
    }
    let disabled = values.map_or_else(Vec::new, |values| disabled_dependencies(chart_dir, &meta, values));
    let mut pins = Pins::new();
    let key = directory_digest(chart_dir)?;
    let built = build_from(chart_dir, &key, &disabled, None, ctx, &mut pins, &mut Vec::new())?;
    Ok((built.dir, pins))
}

/// For each dependency of the chart at `chart_dir`, whether `values` over the chart's own
/// `values.yaml` certainly disable it; none when the chart's values cannot be read.
fn disabled_dependencies(chart_dir: &Path, meta: &ChartMeta, values: &Mapping) -> Vec<bool> {
    let defaults = match fs::read_to_string(chart_dir.join("values.yaml")) {
        Ok(text) => match serde_yaml::from_str::<Option<Mapping>>(&text) {
            Ok(defaults) => defaults.unwrap_or_default(),
            Err(_) => return Vec::new(),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Mapping::new(),
        Err(_) => return Vec::new(),
    };
    let names: Vec<&str> =
        meta.dependencies.iter().flat_map(|dep| [Some(dep.name.as_str()), dep.alias.as_deref()]).flatten().collect();
    meta.dependencies.iter().map(|dep| conditions::is_disabled(dep, values, &defaults, &names)).collect()
}

/// A digest of a directory's files (relative paths and contents), as a cache key. A symlink
/// counts by where it leads and, for a file, that file's content: retargeting a link is a
/// change. Links to directories are not followed (a maze would never end); the chart handed
/// here was walked by `Boundary::walk`, which refuses mazes.
fn directory_digest(dir: &Path) -> Result<String, Failure> {
    let mut hasher = Sha256::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry =
            entry.map_err(|e| Failure::new(FetchErrorKind::Io, format!("cannot read {}: {e}", dir.display())))?;
        if entry.path_is_symlink() {
            let target = fs::read_link(entry.path())
                .map_err(|e| Failure::io(format!("cannot read {}", entry.path().display()), e))?;
            hasher.update(b"link\0");
            hasher.update(target.as_os_str().as_encoded_bytes());
            hasher.update([0]);
            if !entry.path().is_file() {
                continue;
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let bytes =
            fs::read(entry.path()).map_err(|e| Failure::io(format!("cannot read {}", entry.path().display()), e))?;
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(cache::hex(&hasher.finalize()))
}

/// Vendors the remote dependencies of the chart at `base` (`disabled[i]`: the i-th is not
/// fetched, a placeholder stands in for it; those on `plain_http_registry` over plain http).
fn build_from(
    base: &Path,
    base_key: &str,
    disabled: &[bool],
    plain_http_registry: Option<&str>,
    ctx: &Ctx<'_>,
    pins: &mut Pins,
    stack: &mut Vec<String>,
) -> Result<Built, Failure> {
    let meta = ChartMeta::read(base)?;
    let mut added: Vec<(String, Built, Archive)> = Vec::new();
    let mut placeholders: Vec<(String, semver::Version)> = Vec::new();
    for (index, dep) in meta.dependencies.iter().enumerate() {
        let context = format!("dependency {} of chart {}", dep.name, meta.name);
        let Some(source) = dependency_source(dep, base, plain_http_registry).map_err(|f| f.context(&context))? else {
            continue;
        };
        if disabled.get(index).copied().unwrap_or(false) {
            if let Some(version) = version_allowed_by(&dep.version) {
                placeholders.push((dep.name.clone(), version));
                continue;
            }
        }
        let identity = source.identity();
        if stack.contains(&identity) || stack.len() >= MAX_DEPTH {
            return Err(Failure::new(
                FetchErrorKind::Invalid,
                format!("{context}: dependency cycle or nesting deeper than {MAX_DEPTH}"),
            ));
        }
        stack.push(identity);
        let result = get_archive(&source, &dep.version, ctx, pins).and_then(|dep_archive| {
            build(&dep_archive, source.plain_http_registry(), ctx, pins, stack).map(|b| (b, dep_archive))
        });
        stack.pop();
        let (dep_built, dep_archive) = result.map_err(|f| f.context(&context))?;
        added.push((dep.name.clone(), dep_built, dep_archive));
    }
    // A chart fetched for another alias answers helm's check for its name.
    placeholders.retain(|(name, _)| !added.iter().any(|(fetched, ..)| fetched == name));
    if added.is_empty() && placeholders.is_empty() {
        return Ok(Built { dir: base.to_path_buf(), key: base_key.to_string(), extended: false });
    }
    let mut key_text = format!("{base_key}\n");
    for (name, built, _) in &added {
        key_text.push_str(&format!("{name} {}\n", built.key));
    }
    for (name, version) in &placeholders {
        key_text.push_str(&format!("{name} disabled {version}\n"));
    }
    let key = sha256_hex(key_text.as_bytes());
    let dest = ctx.cache.helm_charts().join(&key);
    if dest.is_dir() {
        return Ok(Built { dir: dest, key, extended: true });
    }
    let _guard = ctx.cache.lock_entry("helm-chart", &key)?;
    if dest.is_dir() {
        return Ok(Built { dir: dest, key, extended: true });
    }
    let tmp = cache::temp_dir_in(&ctx.cache.helm_charts())?;
    copy_dir(base, tmp.path())?;
    let charts = tmp.path().join("charts");
    cache::create_dir_all(&charts)?;
    for (name, built, dep_archive) in &added {
        if built.extended {
            // Its own dependencies were added: vendor the directory.
            let into = charts.join(name);
            cache::create_dir_all(&into)?;
            copy_dir(&built.dir, &into)?;
        } else {
            let file_name = format!("{name}-{}.tgz", dep_archive.version);
            if !is_plain_file_name(&file_name) {
                return Err(Failure::new(
                    FetchErrorKind::PathEscape,
                    format!("version {:?} of dependency {name} is not a plain file name", dep_archive.version),
                ));
            }
            let file = charts.join(file_name);
            let src = ctx.cache.helm_archive(&dep_archive.sha256);
            fs::copy(&src, &file).map_err(|e| Failure::io(format!("cannot copy {}", src.display()), e))?;
        }
    }
    for (name, version) in &placeholders {
        write_placeholder(&charts.join(name), name, version, &meta.name)?;
    }
    cache::persist_dir(tmp, &dest)?;
    Ok(Built { dir: dest, key, extended: true })
}

/// A chart standing in for a dependency the values disable: helm refuses a chart whose
/// dependency is missing from `charts/`, even a disabled one, and drops it before rendering.
/// Should helm render it after all, its one template fails the render, saying why.
fn write_placeholder(dir: &Path, name: &str, version: &semver::Version, parent: &str) -> Result<(), Failure> {
    let templates = dir.join("templates");
    cache::create_dir_all(&templates)?;
    let said =
        |text: &str| text.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect::<String>();
    let files = [
        (dir.join("Chart.yaml"), format!("apiVersion: v1\nname: {name}\nversion: {version}\ndescription: not fetched by hldc\n")),
        (
            templates.join("not-fetched.yaml"),
            format!(
                "{{{{- fail \"hldc did not fetch dependency {} of chart {}: the component's values disable it (condition or tags), yet helm renders it\" }}}}\n",
                said(name),
                said(parent)
            ),
        ),
    ];
    for (path, text) in files {
        fs::write(&path, text).map_err(|e| Failure::io(format!("cannot write {}", path.display()), e))?;
    }
    Ok(())
}

/// A version `constraint` allows, for a placeholder helm matches against it like the chart it
/// stands for; `None` when none of the versions it names (or their neighbours) will do.
fn version_allowed_by(constraint: &str) -> Option<semver::Version> {
    let parsed = HelmConstraint::parse(constraint.trim()).ok()?;
    let mut candidates = vec![semver::Version::new(0, 0, 0), semver::Version::new(0, 0, 1)];
    let is_part = |c: char| c.is_ascii_alphanumeric() || ".*-+".contains(c);
    for token in constraint.split(|c: char| !is_part(c)).filter(|t| !t.is_empty()) {
        let token = token.trim_start_matches(['v', 'V']);
        let filled: Vec<&str> =
            token.split('.').map(|part| if matches!(part, "*" | "x" | "X") { "0" } else { part }).collect();
        if let Some(v) = parse_chart_version(&filled.join(".")) {
            candidates.extend([
                semver::Version::new(v.major, v.minor, v.patch + 1),
                semver::Version::new(v.major, v.minor + 1, 0),
                semver::Version::new(v.major + 1, 0, 0),
            ]);
            candidates.insert(0, v);
        }
    }
    candidates.into_iter().find(|v| parsed.matches(v))
}

/// A single path component that stays where it is put: no separators, no `..`, nothing empty.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Where to fetch a dependency from; `None` when helm handles it itself
/// (already vendored under `charts/`, `file://`, or no repository).
fn dependency_source(
    dep: &Dependency,
    chart_dir: &Path,
    plain_http_registry: Option<&str>,
) -> Result<Option<ChartSource>, Failure> {
    // Names become paths under `charts/`: a name from a remote Chart.yaml must not climb out.
    if !is_plain_file_name(&dep.name) {
        return Err(Failure::new(
            FetchErrorKind::PathEscape,
            format!("dependency name {:?} is not a plain file name", dep.name),
        ));
    }
    if is_vendored(&dep.name, &chart_dir.join("charts")) {
        return Ok(None);
    }
    remote_source(dep, plain_http_registry)
}

/// Where a dependency's repository says it is; `None` for `file://` or no repository. An OCI
/// one on `plain_http_registry` is reached over plain http.
fn remote_source(dep: &Dependency, plain_http_registry: Option<&str>) -> Result<Option<ChartSource>, Failure> {
    let repo = dep.repository.trim();
    if repo.is_empty() || repo.starts_with("file://") {
        return Ok(None);
    }
    if repo.starts_with("http://") || repo.starts_with("https://") {
        return Ok(Some(ChartSource::Repo { repository: repo.to_string(), chart: dep.name.clone() }));
    }
    if repo.starts_with("oci://") {
        // Chart.yaml cannot say a registry is plain http: only a loopback one may be, or the one
        // the component declared plain http.
        let reference = format!("{}/{}", repo.trim_end_matches('/'), dep.name);
        let plain_http = plain_http_registry.is_some_and(|host| oci::registry_host(&reference) == host);
        return Ok(Some(ChartSource::Oci { reference, plain_http }));
    }
    Err(Failure::new(
        FetchErrorKind::Invalid,
        format!("repository {repo:?} names a locally configured helm repository; use its http(s):// or oci:// URL"),
    ))
}

/// The sources a chart's `dependencies:` name, vendored or not, as lock specs (for `hldc update`
/// to forget their pins).
pub(crate) fn dependency_specs(chart_dir: &Path) -> Vec<SourceSpec> {
    let Ok(meta) = ChartMeta::read(chart_dir) else { return Vec::new() };
    let spec = |dep: &Dependency| match remote_source(dep, None).ok().flatten()? {
        ChartSource::Repo { repository, chart } => {
            Some(SourceSpec::HelmRepo { repository, chart, constraint: dep.version.clone() })
        }
        ChartSource::Oci { reference, plain_http } => {
            Some(SourceSpec::Oci { reference, constraint: dep.version.clone(), plain_http })
        }
    };
    meta.dependencies.iter().filter_map(spec).collect()
}

/// Whether `charts/` already holds the dependency (as `<name>/` or `<name>-<version>.tgz`).
fn is_vendored(name: &str, charts: &Path) -> bool {
    if charts.join(name).join("Chart.yaml").is_file() {
        return true;
    }
    let Ok(entries) = fs::read_dir(charts) else {
        return false;
    };
    let prefix = format!("{name}-");
    entries.filter_map(Result::ok).any(|e| {
        let file_name = e.file_name();
        let Some(file_name) = file_name.to_str() else {
            return false;
        };
        file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tgz"))
            .is_some_and(|version| parse_chart_version(version).is_some())
    })
}

/// Unpack an archive from the cache into `helm/charts/<sha256>/`.
pub(crate) fn ensure_unpacked(sha: &str, ctx: &Ctx<'_>) -> Result<PathBuf, Failure> {
    let dest = ctx.cache.helm_charts().join(sha);
    if dest.is_dir() {
        return Ok(dest);
    }
    let _guard = ctx.cache.lock_entry("helm-chart", sha)?;
    if dest.is_dir() {
        return Ok(dest);
    }
    let tmp = cache::temp_dir_in(&ctx.cache.helm_charts())?;
    unpack_tgz(&ctx.cache.helm_archive(sha), tmp.path(), true)?;
    if !tmp.path().join("Chart.yaml").is_file() {
        return Err(Failure::new(FetchErrorKind::Invalid, format!("archive sha256:{sha} has no <chart>/Chart.yaml")));
    }
    cache::persist_dir(tmp, &dest)?;
    Ok(dest)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Failure> {
    for entry in walkdir::WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry =
            entry.map_err(|e| Failure::new(FetchErrorKind::Io, format!("cannot read {}: {e}", from.display())))?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(|_| Failure::new(FetchErrorKind::Io, format!("cannot copy {}", entry.path().display())))?;
        let target = to.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            cache::create_dir_all(&target)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path())
                .map_err(|e| Failure::io(format!("cannot read {}", entry.path().display()), e))?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&link, &target)
                .map_err(|e| Failure::io(format!("cannot create {}", target.display()), e))?;
            #[cfg(not(unix))]
            let _ = link;
        } else {
            fs::copy(entry.path(), &target)
                .map_err(|e| Failure::io(format!("cannot copy to {}", target.display()), e))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// index.yaml

#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    pub(crate) version: String,
    pub(crate) urls: Vec<String>,
    /// sha256 hex (lowercase), when the index has one.
    pub(crate) digest: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct RepoIndex {
    entries: HashMap<String, Vec<IndexEntry>>,
}

#[derive(Deserialize)]
struct RawIndex {
    #[serde(default)]
    entries: Option<HashMap<String, Option<Vec<RawIndexEntry>>>>,
}

#[derive(Deserialize)]
struct RawIndexEntry {
    #[serde(default)]
    version: Option<serde_yaml::Value>,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    digest: Option<String>,
}

impl RepoIndex {
    pub(crate) fn parse(bytes: &[u8]) -> Result<RepoIndex, String> {
        let raw: RawIndex = serde_yaml::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut entries = HashMap::new();
        for (name, list) in raw.entries.unwrap_or_default() {
            let list = list
                .unwrap_or_default()
                .into_iter()
                .map(|e| IndexEntry {
                    version: value_text(&e.version),
                    urls: e.urls.unwrap_or_default(),
                    digest: e
                        .digest
                        .map(|d| d.trim().trim_start_matches("sha256:").to_ascii_lowercase())
                        .filter(|d| !d.is_empty()),
                })
                .filter(|e| !e.version.is_empty())
                .collect();
            entries.insert(name, list);
        }
        Ok(RepoIndex { entries })
    }

    fn find_exact(&self, chart: &str, version: &str) -> Option<&IndexEntry> {
        let list = self.entries.get(chart)?;
        list.iter().find(|e| e.version == version).or_else(|| {
            let wanted = parse_chart_version(version)?;
            list.iter().find(|e| parse_chart_version(&e.version).as_ref() == Some(&wanted))
        })
    }

    /// The highest version of `chart` satisfying `constraint`.
    fn choose(&self, chart: &str, constraint: &HelmConstraint, shown_repo: &str) -> Result<&IndexEntry, Failure> {
        let list = self.entries.get(chart).ok_or_else(|| {
            let near = crate::suggest::did_you_mean(chart, self.entries.keys().map(String::as_str));
            let help = match near {
                Some(near) => format!("did you mean `{near}`? `path` names the chart in the repository"),
                None => "check `path`: it names the chart in the repository".to_string(),
            };
            Failure::new(FetchErrorKind::NotFound, format!("chart {chart} is not in the index of {shown_repo}"))
                .hint(Some(Hint { help, lines: String::new() }))
                .about(EntryField::Path)
        })?;
        let mut versions: Vec<(semver::Version, &IndexEntry)> =
            list.iter().filter_map(|e| parse_chart_version(&e.version).map(|v| (v, e))).collect();
        // Highest first; the first listed wins among equal versions.
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        if let Some((_, entry)) = versions.iter().find(|(v, _)| constraint.matches(v)) {
            return Ok(entry);
        }
        let available: Vec<String> = versions.iter().take(10).map(|(_, e)| e.version.clone()).collect();
        Err(Failure::new(
            FetchErrorKind::NotFound,
            format!(
                "no version of chart {chart} in {shown_repo} satisfies {constraint} (newest: {})",
                if available.is_empty() { "none".to_string() } else { available.join(", ") }
            ),
        )
        .about(EntryField::Version))
    }
}

/// One repository's index, filled by the first fetch that needs it.
type IndexSlot = Arc<Mutex<Option<Arc<RepoIndex>>>>;

/// Index files fetched during one run (each repository is fetched once).
#[derive(Default)]
pub(crate) struct IndexMemo {
    slots: Mutex<HashMap<String, IndexSlot>>,
}

impl IndexMemo {
    pub(crate) fn get(&self, repository: &str, ctx: &Ctx<'_>) -> Result<Arc<RepoIndex>, Failure> {
        let repo = repository.trim_end_matches('/').to_string();
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(repo.clone()).or_default().clone()
        };
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = guard.as_ref() {
            return Ok(index.clone());
        }
        let url = format!("{repo}/index.yaml");
        let bytes = ctx.http.get_bytes(&url).map_err(|f| f.context("cannot get the chart repository index"))?;
        let index = RepoIndex::parse(&bytes).map_err(|e| {
            Failure::new(FetchErrorKind::Invalid, format!("bad index.yaml at {}: {e}", redact_url(&url)))
        })?;
        // Keep the last fetched index (informational; best effort).
        let path = ctx.cache.helm_index(&crate::fetch::lock::normalize_repository(&repo));
        if let Some(parent) = path.parent() {
            if let Ok(mut tmp) = cache::temp_file_in(parent) {
                use std::io::Write;
                if tmp.write_all(&bytes).is_ok() {
                    let _ = tmp.persist(&path);
                }
            }
        }
        let index = Arc::new(index);
        *guard = Some(index.clone());
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"
apiVersion: v1
entries:
  web:
    - version: 1.2.0
      urls: [web-1.2.0.tgz]
      digest: "ABCDEF"
    - version: 1.10.0
      urls: [web-1.10.0.tgz]
    - version: 2.0.0-rc.1
      urls: [web-2.0.0-rc.1.tgz]
    - version: v0.9
      urls: [web-0.9.tgz]
  empty:
generated: "2020-01-01T00:00:00Z"
"#;

    fn pick(c: &str) -> Result<String, Failure> {
        let index = RepoIndex::parse(INDEX.as_bytes()).unwrap();
        let c = HelmConstraint::parse(c).unwrap();
        index.choose("web", &c, "repo").map(|e| e.version.clone())
    }

    #[test]
    fn chooses_highest_matching_release() {
        assert_eq!(pick("").unwrap(), "1.10.0");
        assert_eq!(pick("~1.2").unwrap(), "1.2.0");
        assert_eq!(pick("<1").unwrap(), "v0.9");
        assert_eq!(pick(">=2.0.0-rc.0").unwrap(), "2.0.0-rc.1");
        let err = pick("^3").unwrap_err();
        assert_eq!(err.kind, FetchErrorKind::NotFound);
        assert!(err.message.contains("1.10.0"));
    }

    #[test]
    fn a_placeholder_takes_a_version_its_constraint_allows() {
        let allowed = |c: &str| version_allowed_by(c).map(|v| v.to_string());
        assert_eq!(allowed("2.8.*").as_deref(), Some("2.8.0"));
        assert_eq!(allowed("^1.2").as_deref(), Some("1.2.0"));
        assert_eq!(allowed(">1.2.3").as_deref(), Some("1.2.4"));
        assert!(matches!(allowed("~0.3.1 || >=5").as_deref(), Some("0.3.1" | "5.0.0")));
        assert_eq!(allowed("<1").as_deref(), Some("0.0.0"));
        assert_eq!(allowed("").as_deref(), Some("0.0.0"));
    }

    #[test]
    fn dependency_names_must_be_plain_file_names() {
        assert!(is_plain_file_name("web"));
        assert!(is_plain_file_name("web-1.0.0.tgz"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "x\0y"] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn index_digest_is_normalized() {
        let index = RepoIndex::parse(INDEX.as_bytes()).unwrap();
        assert_eq!(index.find_exact("web", "1.2.0").unwrap().digest.as_deref(), Some("abcdef"));
        assert!(index.find_exact("web", "0.9.0").is_some());
        assert!(index.find_exact("nope", "1.2.0").is_none());
    }
}
