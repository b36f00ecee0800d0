//! Where a component's files are: the bridge between component entries and the file system.
//! Local sources are paths inside the HLD; remote ones (git, helm repositories, OCI, http) are
//! fetched by `fetch` into the content-addressed cache, pinned in `hldc.lock`, and located there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diag::{Problem, Source};
use crate::fetch::{
    self, DependencyError, EntryField, FetchError, FetchErrorKind, FetchOptions, GitRef, Hint, Lockfile, SourceSpec,
};
use crate::files::{self, Boundary, Walk};
use crate::model::tree::Declared;
use crate::model::Method;
use crate::paths::join_relative;

/// A chart prepared for rendering: where it is, and how messages name it.
#[derive(Debug, Clone)]
pub struct Chart {
    pub dir: PathBuf,
    pub display: String,
    /// The filtered copy `dir` is in, when the chart held anything helm must not see.
    _copy: Option<Arc<tempfile::TempDir>>,
}

/// Resolves component sources to directories and names files for display.
#[derive(Debug)]
pub struct Sources {
    hld_root: PathBuf,
    /// How far local paths may reach: the git work tree holding the HLD (so that HLDs kept side
    /// by side in one repository can share components through `../`), else the HLD itself.
    local_boundary: Boundary,
    remote: Option<Remote>,
    /// Each chart's filtered copy (`None`: the chart needs none), by its directory: the
    /// components of one chart share one copy.
    chart_copies: Mutex<BTreeMap<PathBuf, Option<Arc<tempfile::TempDir>>>>,
}

/// The fetching side: present when the operation may fetch (generate, update), absent for
/// `validate`, which never touches the network.
#[derive(Debug)]
struct Remote {
    options: FetchOptions,
    lock: Mutex<Lockfile>,
    /// Fetched roots by spec; the label names the root in messages instead of a cache path.
    fetched: Mutex<BTreeMap<SourceSpec, PathBuf>>,
    /// Set when hooks may run: fetched trees are copied here first, so a hook that writes into
    /// its component's directory (Fabrikate's hooks unpack charts there) never changes the
    /// shared cache.
    private_trees: Option<tempfile::TempDir>,
    labels: Mutex<BTreeMap<PathBuf, String>>,
}

impl Sources {
    /// Sources for local components only; a remote component is an error.
    /// `hld_root` must exist; it is canonicalized so that containment checks are exact.
    pub fn local(hld_root: &Path) -> Result<Sources, Problem> {
        let hld_root = hld_root.canonicalize().map_err(|e| {
            Problem::error("hldc::io::hld-root", format!("cannot open the HLD directory `{}`: {e}", hld_root.display()))
                .help("pass the directory holding component.yaml with `-C DIR`")
        })?;
        let local_boundary = match crate::localgit::work_tree_holding(&hld_root) {
            Some(work_tree) => Boundary::work_tree(work_tree),
            None => Boundary::plain(hld_root.clone()),
        };
        Ok(Sources { hld_root, local_boundary, remote: None, chart_copies: Mutex::default() })
    }

    /// Sources that fetch remote components with `options`, pinned by `lock`.
    pub fn fetching(hld_root: &Path, mut options: FetchOptions, lock: Lockfile) -> Result<Sources, Problem> {
        let mut sources = Sources::local(hld_root)?;
        options.local_boundary = Some(sources.local_boundary.root().to_path_buf());
        sources.remote = Some(Remote {
            options,
            lock: Mutex::new(lock),
            fetched: Mutex::default(),
            labels: Mutex::default(),
            private_trees: None,
        });
        Ok(sources)
    }

    /// Hands out a private copy of every fetched tree from now on (for runs whose hooks may
    /// write into their component's directory).
    pub fn copy_fetched_trees(&mut self) -> Result<(), Problem> {
        let Some(remote) = &mut self.remote else { return Ok(()) };
        let dir = tempfile::Builder::new().prefix("hldc-trees-").tempdir().map_err(|e| {
            Problem::error("hldc::io::temp", format!("cannot create a directory for copies of fetched sources: {e}"))
        })?;
        remote.private_trees = Some(dir);
        Ok(())
    }

    pub fn hld_root(&self) -> &Path {
        &self.hld_root
    }

    /// The lock as it stands after the fetches so far (`None` without fetching).
    pub fn lock(&self) -> Option<Lockfile> {
        self.remote.as_ref().map(|remote| lock(&remote.lock).clone())
    }

    /// What `spec` is pinned to so far (`None` without fetching, or before it was fetched).
    pub fn pinned(&self, spec: &SourceSpec) -> Option<crate::fetch::Pin> {
        lock(&self.remote.as_ref()?.lock).pinned(spec)
    }

    /// Forgets the pin of `spec`, so that the next fetch resolves it afresh (`hldc update`).
    pub fn forget(&self, spec: &SourceSpec) {
        if let Some(remote) = &self.remote {
            lock(&remote.lock).forget(spec);
            lock(&remote.fetched).remove(spec);
        }
    }

    /// Forgets every pin (`hldc update` without names); chart dependencies are re-resolved too.
    pub fn forget_all(&self) {
        if let Some(remote) = &self.remote {
            lock(&remote.lock).forget_all();
            lock(&remote.fetched).clear();
        }
    }

    /// Drops the pins no fetch used since the lock was read (sources removed from the HLD).
    pub fn prune_unused_pins(&self) {
        if let Some(remote) = &self.remote {
            lock(&remote.lock).prune_unused();
        }
    }

    /// A path as shown to users: relative to the HLD root (with `..` for a sibling in the same
    /// repository), or to the source it was fetched from; `/`-separated, never absolute.
    pub fn display(&self, path: &Path) -> String {
        let (prefix, relative) = match self.label_of(path) {
            Some((label, relative)) => (Some(label), relative),
            None if path.starts_with(self.local_boundary.root()) => (None, relative_to(path, &self.hld_root)),
            None => (None, path.to_path_buf()),
        };
        let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        match (prefix, parts.is_empty()) {
            (Some(label), true) => label,
            (Some(label), false) => format!("{label}/{}", parts.join("/")),
            (None, true) => ".".to_string(),
            (None, false) => parts.join("/"),
        }
    }

    fn label_of(&self, path: &Path) -> Option<(String, PathBuf)> {
        let remote = self.remote.as_ref()?;
        let labels = lock(&remote.labels);
        labels.iter().find_map(|(root, label)| Some((label.clone(), path.strip_prefix(root).ok()?.to_path_buf())))
    }

    /// The remote source an entry names, if it is not local.
    pub fn remote_spec(&self, entry: &Declared, base_dir: &Path) -> Option<SourceSpec> {
        let spec = &entry.spec;
        let source = spec.source.clone().unwrap_or_default();
        let constraint = spec.version.clone().unwrap_or_default();
        match spec.method() {
            Method::Local => None,
            Method::Git => {
                let reference = match (&spec.version, &spec.branch) {
                    (Some(version), _) => GitRef::Version(version.clone()),
                    (None, Some(branch)) => GitRef::Branch(branch.clone()),
                    (None, None) => GitRef::Default,
                };
                Some(SourceSpec::Git { url: git_url(&source, base_dir, &self.hld_root), reference })
            }
            Method::Helm if source.starts_with("oci://") => {
                let chart = spec.path.clone().unwrap_or_default();
                let reference =
                    if chart.is_empty() { source } else { format!("{}/{chart}", source.trim_end_matches('/')) };
                Some(SourceSpec::Oci { reference, constraint, plain_http: spec.plain_http.unwrap_or(false) })
            }
            Method::Helm => Some(SourceSpec::HelmRepo {
                repository: source,
                chart: spec.path.clone().unwrap_or_default(),
                constraint,
            }),
            Method::Http => Some(SourceSpec::Http { url: source }),
        }
    }

    /// What is wrong with these entries' sources that can be told without the network
    /// (`validate`): a local repository the pipeline did not allow, a lock pin that is not what
    /// the entry asks for.
    pub fn check_offline(&self, entries: &[(&Declared, &Path)]) -> Vec<Problem> {
        let Some(remote) = &self.remote else { return Vec::new() };
        let lock_file = lock(&remote.lock).clone();
        entries
            .iter()
            .filter_map(|(entry, base_dir)| {
                let spec = self.remote_spec(entry, base_dir)?;
                let error = fetch::check_offline(&spec, &lock_file, &remote.options)?;
                Some(fetch_problem(&error, Some(entry)))
            })
            .collect()
    }

    /// Fetches the remote sources of several entries at once, in parallel; one problem per
    /// failing source. Already fetched sources are not fetched again.
    pub fn prefetch(&self, entries: &[(&Declared, &Path)]) -> Vec<Problem> {
        let Some(remote) = &self.remote else { return Vec::new() };
        self.prefetch_with(entries, &remote.options)
    }

    /// Like [`Sources::prefetch`], but only from the cache: a source that is not pinned in the
    /// lock and cached is a problem, never a download (`tree` judges a fetched chart this way).
    pub fn prefetch_cached(&self, entries: &[(&Declared, &Path)]) -> Vec<Problem> {
        let Some(remote) = &self.remote else { return Vec::new() };
        // Quiet: a source missing from the cache is an answer here, not a failure to show.
        let options = FetchOptions { offline: true, progress: fetch::Progress::Quiet, ..remote.options.clone() };
        self.prefetch_with(entries, &options)
    }

    fn prefetch_with(&self, entries: &[(&Declared, &Path)], options: &FetchOptions) -> Vec<Problem> {
        let Some(remote) = &self.remote else { return Vec::new() };
        let mut wanted: Vec<(SourceSpec, &Declared)> = Vec::new();
        {
            let fetched = lock(&remote.fetched);
            for (entry, base_dir) in entries {
                if let Some(spec) = self.remote_spec(entry, base_dir) {
                    if !fetched.contains_key(&spec) && !wanted.iter().any(|(s, _)| s == &spec) {
                        wanted.push((spec, entry));
                    }
                }
            }
        }
        if wanted.is_empty() {
            return Vec::new();
        }
        let specs: Vec<SourceSpec> = wanted.iter().map(|(spec, _)| spec.clone()).collect();
        let result = {
            let mut lock_file = lock(&remote.lock);
            fetch::fetch_all(&specs, &mut lock_file, options)
        };
        match result {
            Ok(roots) => {
                let mut fetched = lock(&remote.fetched);
                let mut labels = lock(&remote.labels);
                let mut problems = Vec::new();
                for ((spec, entry), root) in wanted.into_iter().zip(roots) {
                    let root = match &remote.private_trees {
                        None => root.root,
                        Some(private) => {
                            let copy = private.path().join(fetched.len().to_string());
                            if let Err(e) = copy_tree(&root.root, &copy) {
                                problems.push(
                                    Problem::error(
                                        "hldc::io::copy",
                                        format!("cannot copy the source of `{}` for its hooks: {e}", entry.spec.name),
                                    )
                                    .at(entry.location())
                                    .help("check free space in the temporary directory"),
                                );
                                continue;
                            }
                            copy
                        }
                    };
                    labels.insert(root.clone(), label(&spec));
                    fetched.insert(spec, root);
                }
                problems
            }
            Err(errors) => errors
                .into_iter()
                .map(|error| {
                    let entry = wanted.iter().find(|(spec, _)| *spec == error.spec).map(|(_, entry)| *entry);
                    fetch_problem(&error, entry)
                })
                .collect(),
        }
    }

    /// The file or directory a component entry's `source` and `path` name, fetching a remote
    /// source first if needed.
    pub fn locate(&self, entry: &Declared, base_dir: &Path) -> Result<PathBuf, Problem> {
        let spec = &entry.spec;
        let Some(remote_spec) = self.remote_spec(entry, base_dir) else {
            return self.locate_local(entry, base_dir);
        };
        let Some(remote) = &self.remote else {
            return Err(Problem::error(
                "hldc::source::remote",
                format!(
                    "component `{}` uses `method: {}`, which this command does not fetch",
                    spec.name,
                    spec.method()
                ),
            )
            .at(entry.field_location("method")));
        };
        let cached = lock(&remote.fetched).get(&remote_spec).cloned();
        let root = match cached {
            Some(root) => root,
            None => {
                if let Some(problem) = self.prefetch(&[(entry, base_dir)]).into_iter().next() {
                    return Err(problem);
                }
                lock(&remote.fetched).get(&remote_spec).cloned().ok_or_else(|| {
                    Problem::error("hldc::fetch::internal", format!("the source of `{}` was not fetched", spec.name))
                })?
            }
        };
        // For git, `path` is a directory inside the repository; for helm it names the chart.
        match (spec.method(), &spec.path) {
            (Method::Git, Some(path)) => {
                let inside = fetch::safe_join(&root, path).map_err(|e| {
                    Problem::error(
                        "hldc::source::escape",
                        format!("the path `{path}` of component `{}` leaves its repository: {}", spec.name, e.reason),
                    )
                    .at(entry.field_location("path"))
                    .label("outside the repository")
                    .help("use a relative path inside the repository, without `..` or symlinks leading out")
                })?;
                if !inside.exists() {
                    return Err(Problem::error(
                        "hldc::source::missing",
                        format!("`{}` does not exist in {}", path, label(&remote_spec)),
                    )
                    .at(entry.field_location("path"))
                    .label("no such file or directory in the repository")
                    .help("check `path` against the repository at the pinned commit (see hldc.lock)"));
                }
                Ok(inside)
            }
            _ => Ok(root),
        }
    }

    /// Reads an input file of the HLD or of a fetched source through `files::read`: never a
    /// file outside its tree, in `.git`, or ignored by git.
    pub fn read(&self, path: &Path) -> Result<Source, Problem> {
        files::read(&self.boundary_of(path), path, &self.display(path))
    }

    /// Every file of the tree at `dir` that belongs to its repository (`Boundary::walk`);
    /// `within` names what it belongs to in messages.
    pub fn walk(&self, dir: &Path, within: &str) -> Result<Walk, Problem> {
        self.boundary_of(dir).walk(dir).map_err(|refused| refused.problem(&self.display(&refused.path), within))
    }

    /// The chart of a helm component, ready for `helm template`: located (fetched before), its
    /// files as the repository holds them (a filtered copy, links made files, when it holds a
    /// symlink, a `.git` or a file git ignores), its remote dependencies built in. This is the
    /// fetch stage's last step, so rendering never waits on the lock or the network. With
    /// `values` (the component's), dependencies they disable are not fetched.
    pub fn prepare_chart(
        &self,
        definition: &Declared,
        dir: &Path,
        values: Option<&serde_yaml::Mapping>,
    ) -> Result<Chart, Problem> {
        let located = self.locate(definition, dir)?;
        let display = self.display(&located);
        let copy = self.filtered_copy(&located, definition)?;
        let chart = copy.as_ref().map_or_else(|| located.clone(), |copy| copy.path().to_path_buf());
        let dir = self.chart_with_dependencies(chart, values, definition)?;
        Ok(Chart { dir, display, _copy: copy })
    }

    /// The filtered copy of the chart at `located` helm is to render instead, when it holds
    /// a symlink, a `.git` or a file git ignores (links made files, the rest left out).
    fn filtered_copy(&self, located: &Path, entry: &Declared) -> Result<Option<Arc<tempfile::TempDir>>, Problem> {
        // Held while copying: a second component of the chart waits for the copy, not makes one.
        let mut copies = lock(&self.chart_copies);
        if let Some(copy) = copies.get(located) {
            return Ok(copy.clone());
        }
        let within = format!("the source of component `{}`", entry.spec.name);
        let walk =
            self.walk(located, &within).map_err(|problem| problem.at(entry.location()).label("this component"))?;
        let copy = if walk.needs_copy() {
            let copy = tempfile::Builder::new().prefix("hldc-chart-").tempdir().and_then(|copy| {
                walk.copy_to(copy.path())?;
                Ok(copy)
            });
            let copy = copy.map_err(|e| {
                Problem::error(
                    "hldc::io::copy",
                    format!("cannot copy the chart `{}` for helm: {e}", self.display(located)),
                )
                .at(entry.location())
                .help("check free space in the temporary directory")
            })?;
            Some(Arc::new(copy))
        } else {
            None
        };
        copies.insert(located.to_path_buf(), copy.clone());
        Ok(copy)
    }

    /// The chart directory to render, with its remote dependencies built in (as `helm dependency
    /// build` would) when this command may fetch; pinned in the lock like every other source.
    fn chart_with_dependencies(
        &self,
        chart: PathBuf,
        values: Option<&serde_yaml::Mapping>,
        entry: &Declared,
    ) -> Result<PathBuf, Problem> {
        let Some(remote) = &self.remote else { return Ok(chart) };
        let built = {
            let mut lock_file = lock(&remote.lock);
            fetch::build_chart_dependencies(&chart, values, &mut lock_file, &remote.options)
        };
        match built {
            Ok(dir) => {
                if dir != chart {
                    let label = format!("<{} with dependencies>", self.display(&chart));
                    lock(&remote.labels).insert(dir.clone(), label);
                }
                Ok(dir)
            }
            Err(DependencyError { kind, message: reason, hint }) => {
                let (code, help) = code_and_help(kind);
                let help = if kind == FetchErrorKind::Invalid {
                    "each entry of `dependencies:` in Chart.yaml needs an http(s):// or oci:// repository, or its chart vendored under charts/"
                } else {
                    help
                };
                Err(Problem::error(
                    code,
                    format!(
                        "cannot build the dependencies of chart `{}` (component `{}`): {kind}: {reason}",
                        self.display(&chart),
                        entry.spec.name
                    ),
                )
                .at(entry.location())
                .help(help)
                .hinted(hint.as_ref()))
            }
        }
    }

    fn locate_local(&self, entry: &Declared, base_dir: &Path) -> Result<PathBuf, Problem> {
        let spec = &entry.spec;
        // Local paths stay inside the tree they are written in: the repository holding the HLD,
        // or a fetched source.
        let boundary = self.boundary_of(base_dir).root().to_path_buf();
        let within = if boundary == self.local_boundary.root() && boundary != self.hld_root {
            "the repository holding the HLD"
        } else if boundary == self.hld_root {
            "the HLD"
        } else {
            "its repository"
        };
        let mut target = base_dir.to_path_buf();
        for (field, value) in [("source", &spec.source), ("path", &spec.path)] {
            let Some(value) = value else { continue };
            target = join_relative(&target, value).filter(|joined| joined.starts_with(&boundary)).ok_or_else(|| {
                Problem::error(
                    "hldc::source::escape",
                    format!("the {field} `{value}` of component `{}` leaves {within}", spec.name),
                )
                .at(entry.field_location(field))
                .label(format!("absolute, or `..` out of {within}"))
                .help(format!(
                    "use a relative path that stays inside {within}; use `method: git` for sources kept elsewhere"
                ))
            })?;
        }
        let field = if spec.path.is_some() { "path" } else { "source" };
        let canonical = target.canonicalize().map_err(|_| {
            Problem::error(
                "hldc::source::missing",
                format!("`{}` (the source of component `{}`) does not exist", self.display(&target), spec.name),
            )
            .at(entry.field_location(field))
            .label("no such file or directory")
            .help("fix the path; it is relative to the directory of the component file that declares it")
        })?;
        if !canonical.starts_with(&boundary) {
            return Err(Problem::error(
                "hldc::source::escape",
                format!("the source of component `{}` resolves outside {within} (through a symlink)", spec.name),
            )
            .at(entry.field_location(field))
            .label(format!("leaves {within}"))
            .help(format!("keep local sources inside {within}; use `method: git` for sources kept elsewhere")));
        }
        Ok(canonical)
    }

    /// The root of the tree `dir` belongs to: the fetched source holding it, or else the
    /// repository (or directory) holding the HLD.
    pub fn boundary_of(&self, dir: &Path) -> Boundary {
        let fetched_root = self.remote.as_ref().and_then(|remote| {
            lock(&remote.fetched)
                .values()
                .filter(|root| dir.starts_with(root))
                .max_by_key(|root| root.as_os_str().len())
                .cloned()
        });
        fetched_root.map_or_else(|| self.local_boundary.clone(), Boundary::plain)
    }
}

/// Copies a directory tree, symlinks as symlinks (they were checked against their source when
/// it was unpacked, and are checked again before use).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for item in walkdir::WalkDir::new(from).follow_links(false) {
        let item = item.map_err(std::io::Error::other)?;
        let target = to.join(item.path().strip_prefix(from).map_err(std::io::Error::other)?);
        let kind = item.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(item.path())?, &target)?;
        } else {
            std::fs::copy(item.path(), &target)?;
        }
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps half-updated in a way that matters.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How a fetched root is named in messages: the source, never a cache path.
fn label(spec: &SourceSpec) -> String {
    format!("<{spec}>")
}

/// A git `source` that is a relative local path is written relative to the component file's
/// directory; it is recorded relative to the HLD root, so the lock holds in any checkout.
fn git_url(source: &str, base_dir: &Path, hld_root: &Path) -> String {
    let is_url = source.contains("://") || (source.contains('@') && source.contains(':'));
    if is_url || Path::new(source).is_absolute() {
        return source.to_string();
    }
    match join_relative(base_dir, source) {
        Some(absolute) => relative_to(&absolute, hld_root).to_string_lossy().into_owned(),
        None => source.to_string(),
    }
}

/// `path` relative to `base` (both absolute and normalized), with `..` where needed.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    relative
}

fn fetch_problem(error: &FetchError, entry: Option<&Declared>) -> Problem {
    let name = entry.map_or_else(String::new, |e| format!("component `{}`: ", e.spec.name));
    let (code, help) = code_and_help(error.kind);
    let problem = Problem::error(code, format!("{name}{error}"))
        .label(error.kind.describe())
        .help(help)
        .hinted(error.hint.as_deref());
    // A lock pin, or a ref the repository lacks, is refused for what the entry asks for, not
    // for where it comes from; fetch names the field it knows to be wrong.
    let written = |entry: &Declared, field: EntryField| match field {
        EntryField::Version => entry.spec.version.is_some(),
        EntryField::Path => entry.spec.path.is_some(),
    };
    let field = match (error.field, &entry) {
        (Some(field), Some(entry)) if written(entry, field) => field.name(),
        (_, Some(entry)) if refuses_a_ref(error.kind) && entry.spec.version.is_some() => "version",
        (_, Some(entry)) if refuses_a_ref(error.kind) && entry.spec.branch.is_some() => "branch",
        _ => "source",
    };
    match entry {
        // The snippet would quote the `source:` line as written, credentials included.
        Some(entry) if entry.spec.source.as_deref().is_some_and(has_credentials) => {
            problem.path(entry.field_location(field).display())
        }
        Some(entry) => problem.at(entry.field_location(field)),
        None => problem,
    }
}

/// A lock pin, or a ref the repository lacks: refused for what the entry asks for.
fn refuses_a_ref(kind: FetchErrorKind) -> bool {
    matches!(kind, FetchErrorKind::LockMismatch | FetchErrorKind::NoSuchRef)
}

/// The problem with fetch's hint instead of the help of its kind, its lines shown verbatim.
trait Hinted {
    fn hinted(self, hint: Option<&Hint>) -> Self;
}

impl Hinted for Problem {
    fn hinted(self, hint: Option<&Hint>) -> Problem {
        match hint {
            Some(hint) if hint.lines.is_empty() => self.help(hint.help.clone()),
            Some(hint) => self.help(hint.help.clone()).detail(hint.lines.clone()),
            None => self,
        }
    }
}

/// Whether a URL carries a user name or password (`https://user:secret@host/...`).
fn has_credentials(url: &str) -> bool {
    url.split_once("://")
        .is_some_and(|(_, rest)| rest.split('/').next().is_some_and(|authority| authority.contains('@')))
}

/// The diagnostic code and the fix to suggest for each kind of fetch failure.
fn code_and_help(kind: FetchErrorKind) -> (&'static str, &'static str) {
    match kind {
        FetchErrorKind::Auth => ("hldc::fetch::auth", "give hldc a token: map the source URL to an environment variable in access.yaml and let the pipeline pass it with `--allow-token VARIABLE` (`--allow-token SSH_AUTH_SOCK` for the SSH agent)"),
        FetchErrorKind::NotFound => ("hldc::fetch::not-found", "check `source` (and, for helm, the chart name in `path` and the `version`)"),
        FetchErrorKind::NoSuchRef => ("hldc::fetch::no-such-ref", "check `version` and `branch`: the repository has no such branch, tag or commit"),
        FetchErrorKind::DigestMismatch => ("hldc::fetch::digest-mismatch", "the download differs from the digest in the repository index or hldc.lock: the published archive changed; if that is expected, run `hldc update` for this component"),
        FetchErrorKind::NotCached => ("hldc::fetch::not-cached", "fill this machine's cache first: `hldc diff --locked` fetches exactly what hldc.lock pins and writes no output (`validate` never fetches; `generate` and `diff` do, without `--offline`)"),
        FetchErrorKind::LockOutdated => ("hldc::fetch::lock-outdated", "run `hldc update` (or `hldc generate` without `--locked`) and commit hldc.lock"),
        FetchErrorKind::PathEscape => ("hldc::fetch::path-escape", "the source contains a path leading outside its directory; hldc refuses to unpack it"),
        FetchErrorKind::Network => ("hldc::fetch::network", "check the network path to the source"),
        FetchErrorKind::Io => ("hldc::fetch::io", "check the source and the cache directory (`hldc cache dir`)"),
        FetchErrorKind::TooLarge => ("hldc::fetch::too-large", "the source is larger than `--max-download` allows; raise it only if a source this large is expected"),
        FetchErrorKind::Timeout => ("hldc::fetch::timeout", "the source did not answer in time; raise `--fetch-timeout` if it is only slow"),
        FetchErrorKind::LocalSource => ("hldc::fetch::local-source", "use the repository's URL; a repository on this machine outside the HLD's own is read only when the pipeline passes `--allow-local-sources`"),
        FetchErrorKind::LockMismatch => ("hldc::lock::mismatch", "hldc.lock pins what the component file does not ask for (an edited lock?); run `hldc update <component>` to pin what it asks for, and review the change"),
        FetchErrorKind::Invalid => ("hldc::fetch::invalid", "check the source and the cache directory (`hldc cache dir`)"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn relative_paths_between_directories() {
        let root = Path::new("/work/hld");
        assert_eq!(super::relative_to(Path::new("/work/repo"), root), Path::new("../repo"));
        assert_eq!(super::relative_to(Path::new("/work/hld/vendor/repo"), root), Path::new("vendor/repo"));
        assert_eq!(super::relative_to(root, root), Path::new("."));
    }
}
