//! The lock file `hldc.lock`: what each source resolved to.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::atomic::{self, Access};
use crate::fetch::cache::is_hex;
use crate::fetch::spec::strip_userinfo;
use crate::model::source::SourceSpec;
use crate::yaml::write::{quoted, scalar};

/// The header comment of every rendered lock file.
pub const LOCK_HEADER: &str = "# hldc.lock: written by hldc; commit it; edit with `hldc update`";

/// Errors reading or writing a lock file.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("invalid lock file: {0}")]
    Invalid(String),
}

/// The identity of a lock entry: what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum LockKey {
    Git { url: String, reference: String },
    Helm { repository: String, chart: String, constraint: String },
    Http { url: String },
}

/// What a source is pinned to, as the trace record shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    pub commit: Option<String>,
    /// A chart's version.
    pub version: Option<String>,
    /// `sha256:<hex>` of a chart archive or downloaded file.
    pub digest: Option<String>,
}

/// What a lock entry pins, and the mirror it came from (`mirrors:` in hldc.yaml) when not from
/// the URL asked: recorded for review, never used to fetch (hldc.yaml decides that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LockValue {
    Git { commit: String, mirror: Option<String> },
    Helm { version: String, digest: String, mirror: Option<String> },
    Http { sha256: String, mirror: Option<String> },
}

impl LockKey {
    pub(crate) fn for_spec(spec: &SourceSpec) -> LockKey {
        match spec {
            SourceSpec::Git { url, reference } => {
                LockKey::Git { url: strip_userinfo(url), reference: reference.lock_text().to_string() }
            }
            SourceSpec::HelmRepo { repository, chart, constraint } => LockKey::helm(repository, chart, constraint),
            SourceSpec::Oci { reference, constraint, .. } => {
                let (repository, chart) = split_oci_reference(reference);
                LockKey::helm(&repository, &chart, constraint)
            }
            SourceSpec::Http { url } => LockKey::Http { url: strip_userinfo(url) },
        }
    }

    pub(crate) fn helm(repository: &str, chart: &str, constraint: &str) -> LockKey {
        LockKey::Helm {
            repository: normalize_repository(repository),
            chart: chart.to_string(),
            constraint: constraint.trim().to_string(),
        }
    }
}

/// The repository URL as recorded: credentials stripped, no trailing `/`.
pub(crate) fn normalize_repository(repository: &str) -> String {
    strip_userinfo(repository.trim()).trim_end_matches('/').to_string()
}

/// `oci://host/path/chart` -> (`oci://host/path`, `chart`).
pub(crate) fn split_oci_reference(reference: &str) -> (String, String) {
    let trimmed = reference.trim().trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) if i > "oci://".len() => (trimmed[..i].to_string(), trimmed[i + 1..].to_string()),
        _ => (trimmed.to_string(), String::new()),
    }
}

/// The lock file: pins for git refs, Helm/OCI charts and http files.
///
/// Rendering is deterministic: entries sorted by what was asked, fixed key
/// order, a header comment, empty lists omitted.
#[derive(Debug, Clone, Default)]
pub struct Lockfile {
    entries: BTreeMap<LockKey, LockValue>,
    /// Entries as parsed/loaded (or empty for `new`), for `is_changed`.
    baseline: BTreeMap<LockKey, LockValue>,
    /// Entries used or added by `fetch_all` since load, for `prune_unused`.
    touched: BTreeSet<LockKey>,
}

/// Equality compares the entries only.
impl PartialEq for Lockfile {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Lockfile {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    version: u32,
    #[serde(default)]
    git: Vec<RawGit>,
    #[serde(default)]
    helm: Vec<RawHelm>,
    #[serde(default)]
    http: Vec<RawHttp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGit {
    url: String,
    #[serde(rename = "ref")]
    reference: String,
    commit: String,
    #[serde(default)]
    mirror: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelm {
    repository: String,
    chart: String,
    #[serde(default)]
    constraint: String,
    version: String,
    digest: String,
    #[serde(default)]
    mirror: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    url: String,
    sha256: String,
    #[serde(default)]
    mirror: Option<String>,
}

impl Lockfile {
    /// An empty lock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse lock file text. Empty text (or only comments) is an empty lock.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let has_content = text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if !has_content {
            return Ok(Self::new());
        }
        let raw: RawLock = serde_yaml::from_str(text).map_err(|e| LockError::Invalid(e.to_string()))?;
        if raw.version != 1 {
            return Err(LockError::Invalid(format!(
                "unsupported lock file version {} (this hldc writes version 1)",
                raw.version
            )));
        }
        let mut entries = BTreeMap::new();
        let mut insert = |key: LockKey, value: LockValue| -> Result<(), LockError> {
            if entries.insert(key.clone(), value).is_some() {
                return Err(LockError::Invalid(format!("duplicate entry {key:?}")));
            }
            Ok(())
        };
        for g in raw.git {
            if !is_hex(&g.commit, 40) {
                return Err(LockError::Invalid(format!(
                    "git entry {} ({}): commit must be 40 lowercase hex digits, got {:?}",
                    g.url, g.reference, g.commit
                )));
            }
            insert(
                LockKey::Git { url: g.url, reference: g.reference },
                LockValue::Git { commit: g.commit, mirror: g.mirror },
            )?;
        }
        for h in raw.helm {
            let hex = h.digest.strip_prefix("sha256:").unwrap_or("");
            if !is_hex(hex, 64) {
                return Err(LockError::Invalid(format!(
                    "helm entry {} {}: digest must be sha256:<64 lowercase hex>, got {:?}",
                    h.repository, h.chart, h.digest
                )));
            }
            if h.version.is_empty() {
                return Err(LockError::Invalid(format!("helm entry {} {}: empty version", h.repository, h.chart)));
            }
            insert(
                LockKey::helm(&h.repository, &h.chart, &h.constraint),
                LockValue::Helm { version: h.version, digest: h.digest, mirror: h.mirror },
            )?;
        }
        for h in raw.http {
            if !is_hex(&h.sha256, 64) {
                return Err(LockError::Invalid(format!(
                    "http entry {}: sha256 must be 64 lowercase hex digits, got {:?}",
                    h.url, h.sha256
                )));
            }
            insert(LockKey::Http { url: h.url }, LockValue::Http { sha256: h.sha256, mirror: h.mirror })?;
        }
        Ok(Lockfile { baseline: entries.clone(), entries, touched: BTreeSet::new() })
    }

    /// Read and parse a lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Self, LockError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(source) => Err(LockError::Read { path: path.to_path_buf(), source }),
        }
    }

    /// Render the deterministic lock file text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(LOCK_HEADER);
        out.push_str("\nversion: 1\n");
        let mut git = String::new();
        let mut helm = String::new();
        let mut http = String::new();
        for (key, value) in &self.entries {
            let body = match (key, value) {
                (LockKey::Git { url, reference }, LockValue::Git { commit, .. }) => {
                    let _ = write!(
                        git,
                        "  - url: {}\n    ref: {}\n    commit: {}\n",
                        scalar(url),
                        scalar(reference),
                        scalar(commit)
                    );
                    &mut git
                }
                (LockKey::Helm { repository, chart, constraint }, LockValue::Helm { version, digest, .. }) => {
                    let _ = write!(
                        helm,
                        "  - repository: {}\n    chart: {}\n    constraint: {}\n    version: {}\n    digest: {}\n",
                        scalar(repository),
                        scalar(chart),
                        quoted(constraint),
                        scalar(version),
                        scalar(digest)
                    );
                    &mut helm
                }
                (LockKey::Http { url }, LockValue::Http { sha256, .. }) => {
                    let _ = write!(http, "  - url: {}\n    sha256: {}\n", scalar(url), scalar(sha256));
                    &mut http
                }
                // Keys and values are always paired by construction.
                _ => continue,
            };
            if let Some(mirror) = value.mirror() {
                let _ = writeln!(body, "    mirror: {}", scalar(mirror));
            }
        }
        for (name, body) in [("git", git), ("helm", helm), ("http", http)] {
            if !body.is_empty() {
                out.push_str(name);
                out.push_str(":\n");
                out.push_str(&body);
            }
        }
        out
    }

    /// Write the rendered lock to `path` (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), LockError> {
        atomic::write(path, self.render().as_bytes(), &Access::Private)
            .map_err(|source| LockError::Write { path: path.to_path_buf(), source })
    }

    /// Remove the entry of `spec` so that the next fetch resolves it again.
    /// Returns whether there was one. (Entries of a chart's dependencies are
    /// separate; see [`Lockfile::prune_unused`].)
    pub fn forget(&mut self, spec: &SourceSpec) -> bool {
        let key = LockKey::for_spec(spec);
        self.touched.remove(&key);
        self.entries.remove(&key).is_some()
    }

    /// Remove every entry (for `hldc update` of everything).
    pub fn forget_all(&mut self) {
        self.entries.clear();
        self.touched.clear();
    }

    /// Whether the entries differ from what was parsed or loaded (or from
    /// empty, for `new`).
    pub fn is_changed(&self) -> bool {
        self.entries != self.baseline
    }

    /// Remove entries that no `fetch_all` call used since this lock was
    /// loaded (for example pins of chart dependencies that a new chart
    /// version no longer has). Only call it after every source of the build
    /// was fetched. Returns how many entries were removed.
    pub fn prune_unused(&mut self) -> usize {
        let before = self.entries.len();
        let touched = &self.touched;
        self.entries.retain(|k, _| touched.contains(k));
        before - self.entries.len()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pin of `spec`, as text: a commit, `<version> sha256:<hex>`, or a sha256.
    pub fn pin(&self, spec: &SourceSpec) -> Option<String> {
        self.entries.get(&LockKey::for_spec(spec)).map(LockValue::describe)
    }

    /// The pin of `spec`, field by field (the trace record's sources).
    pub fn pinned(&self, spec: &SourceSpec) -> Option<Pin> {
        Some(match self.entries.get(&LockKey::for_spec(spec))? {
            LockValue::Git { commit, .. } => Pin { commit: Some(commit.clone()), ..Pin::default() },
            LockValue::Helm { version, digest, .. } => {
                Pin { version: Some(version.clone()), digest: Some(digest.clone()), ..Pin::default() }
            }
            LockValue::Http { sha256, .. } => Pin {
                digest: Some(if sha256.starts_with("sha256:") { sha256.clone() } else { format!("sha256:{sha256}") }),
                ..Pin::default()
            },
        })
    }

    /// One line per entry added, removed or changed compared to `before`,
    /// sorted, e.g. `~ git https://h/r (main): <old> -> <new>`.
    pub fn describe_changes(&self, before: &Lockfile) -> Vec<String> {
        let mut lines = Vec::new();
        for (key, value) in &self.entries {
            match before.entries.get(key) {
                None => lines.push(format!("+ {}: {}", key.describe(), value.describe())),
                Some(old) if old != value => {
                    lines.push(format!("~ {}: {} -> {}", key.describe(), old.describe(), value.describe()))
                }
                Some(_) => {}
            }
        }
        for (key, value) in &before.entries {
            if !self.entries.contains_key(key) {
                lines.push(format!("- {}: {}", key.describe(), value.describe()));
            }
        }
        lines.sort();
        lines
    }

    pub(crate) fn get(&self, key: &LockKey) -> Option<&LockValue> {
        self.entries.get(key)
    }

    /// Record a pin used or resolved by a fetch.
    pub(crate) fn record(&mut self, key: LockKey, value: LockValue) {
        self.touched.insert(key.clone());
        self.entries.insert(key, value);
    }
}

impl LockKey {
    fn describe(&self) -> String {
        match self {
            LockKey::Git { url, reference } => format!("git {url} ({reference})"),
            LockKey::Helm { repository, chart, constraint } if constraint.is_empty() => {
                format!("helm {repository} {chart}")
            }
            LockKey::Helm { repository, chart, constraint } => {
                format!("helm {repository} {chart} ({constraint})")
            }
            LockKey::Http { url } => format!("http {url}"),
        }
    }
}

impl LockValue {
    fn describe(&self) -> String {
        let pin = match self {
            LockValue::Git { commit, .. } => commit.clone(),
            LockValue::Helm { version, digest, .. } => format!("{version} {digest}"),
            LockValue::Http { sha256, .. } => sha256.clone(),
        };
        match self.mirror() {
            Some(mirror) => format!("{pin} (from the mirror {mirror})"),
            None => pin,
        }
    }

    /// The mirror this pin came from, if not from the URL asked.
    pub(crate) fn mirror(&self) -> Option<&str> {
        match self {
            LockValue::Git { mirror, .. } | LockValue::Helm { mirror, .. } | LockValue::Http { mirror, .. } => {
                mirror.as_deref()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::source::GitRef;

    fn sha(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    fn commit(c: char) -> String {
        std::iter::repeat_n(c, 40).collect()
    }

    #[test]
    fn scalars_quote_when_needed() {
        assert_eq!(scalar("https://h/r"), "https://h/r");
        // YAML 1.1 reads `[0-9]*\.[0-9.]*` as a float: a version is quoted.
        assert_eq!(scalar("1.2.3"), "\"1.2.3\"");
        assert_eq!(scalar("1.2"), "\"1.2\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("null"), "\"null\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("a b"), "a b");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("12345"), "\"12345\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("On"), "\"On\"");
        assert_eq!(scalar("main"), "main");
        assert_eq!(quoted("^1.2"), "\"^1.2\"");
    }

    #[test]
    fn render_omits_empty_lists_and_has_header() {
        let mut lock = Lockfile::new();
        assert_eq!(lock.render(), format!("{LOCK_HEADER}\nversion: 1\n"));
        lock.record(
            LockKey::Http { url: "https://h/x.yaml".into() },
            LockValue::Http { sha256: sha('a'), mirror: None },
        );
        let text = lock.render();
        assert!(!text.contains("git:"));
        assert!(text.contains("http:\n  - url: https://h/x.yaml\n"));
        assert!(lock.is_changed());
    }

    #[test]
    fn parse_rejects_bad_values() {
        assert!(Lockfile::parse("version: 2\n").is_err());
        assert!(Lockfile::parse("version: 1\ngit:\n  - url: x\n    ref: HEAD\n    commit: abc\n").is_err());
        assert!(Lockfile::parse("version: 1\nbogus: 1\n").is_err());
        let dup = format!("version: 1\nhttp:\n  - url: u\n    sha256: {0}\n  - url: u\n    sha256: {0}\n", sha('b'));
        assert!(Lockfile::parse(&dup).is_err());
        assert!(Lockfile::parse("# just a comment\n").unwrap().is_empty());
    }

    #[test]
    fn render_does_not_depend_on_record_order() {
        let entries = [
            (LockKey::Http { url: "https://b/x.yaml".into() }, LockValue::Http { sha256: sha('1'), mirror: None }),
            (
                LockKey::helm("https://charts/", "z", "^1"),
                LockValue::Helm {
                    version: "1.0.0".into(),
                    digest: format!("sha256:{}", sha('2')),
                    mirror: Some("https://mirror.example/charts".into()),
                },
            ),
            (
                LockKey::Git { url: "https://h/r".into(), reference: "main".into() },
                LockValue::Git { commit: commit('a'), mirror: None },
            ),
            (
                LockKey::Git { url: "https://h/r".into(), reference: "HEAD".into() },
                LockValue::Git { commit: commit('b'), mirror: None },
            ),
            (LockKey::Http { url: "https://a/x.yaml".into() }, LockValue::Http { sha256: sha('3'), mirror: None }),
        ];
        let mut forward = Lockfile::new();
        for (k, v) in entries.iter().cloned() {
            forward.record(k, v);
        }
        let mut backward = Lockfile::new();
        for (k, v) in entries.iter().rev().cloned() {
            backward.record(k, v);
        }
        assert_eq!(forward.render(), backward.render());
        let text = forward.render();
        assert!(text.find("ref: HEAD").unwrap() < text.find("ref: main").unwrap());
        assert!(text.find("https://a/x.yaml").unwrap() < text.find("https://b/x.yaml").unwrap());
        assert_eq!(Lockfile::parse(&text).unwrap().render(), text);
        assert!(text.contains("    digest: sha256:2222222222222222222222222222222222222222222222222222222222222222\n    mirror: https://mirror.example/charts\n"), "{text}");
    }

    #[test]
    fn forget_and_prune() {
        let mut lock = Lockfile::new();
        let spec = SourceSpec::Git { url: "https://h/r".into(), reference: GitRef::Branch("main".into()) };
        lock.record(LockKey::for_spec(&spec), LockValue::Git { commit: commit('1'), mirror: None });
        let text = lock.render();
        let mut loaded = Lockfile::parse(&text).unwrap();
        assert!(!loaded.is_changed());
        assert_eq!(loaded.pin(&spec), Some(commit('1')));
        assert_eq!(loaded.prune_unused(), 1);
        assert!(loaded.is_changed());
        let mut loaded = Lockfile::parse(&text).unwrap();
        assert!(loaded.forget(&spec));
        assert!(!loaded.forget(&spec));
        assert_eq!(loaded.describe_changes(&lock), vec![format!("- git https://h/r (main): {}", commit('1'))]);
    }

    #[test]
    fn oci_reference_split() {
        assert_eq!(
            split_oci_reference("oci://ghcr.io/org/charts/nginx"),
            ("oci://ghcr.io/org/charts".to_string(), "nginx".to_string())
        );
        assert_eq!(
            LockKey::for_spec(&SourceSpec::HelmRepo {
                repository: "https://u:p@h/charts/".into(),
                chart: "c".into(),
                constraint: " ^1 ".into()
            }),
            LockKey::Helm { repository: "https://h/charts".into(), chart: "c".into(), constraint: "^1".into() }
        );
    }
}
