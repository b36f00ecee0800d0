//! A chart archive in the cache with the pin that names it, and what its `Chart.yaml` says:
//! shared by the chart repositories (`helm.rs`) and the OCI registries (`oci.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::fetch::cache;
use crate::fetch::constraint::{parse_chart_version, HelmConstraint};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::registry::Kind;
use crate::fetch::Ctx;

/// A chart archive in the cache.
#[derive(Debug, Clone)]
pub(crate) struct Archive {
    pub(crate) sha256: String,
    pub(crate) version: String,
}

/// Pins collected while fetching one spec (the chart and its dependencies).
pub(crate) type Pins = Vec<(LockKey, LockValue)>;

/// Refuses a chart version from the lock that the component's constraint does not allow: the
/// lock comes with the HLD and may have been edited to pin any version the repository has.
pub(crate) fn check_pinned_version(version: &str, constraint: &str) -> Result<(), Failure> {
    let parsed =
        HelmConstraint::parse(constraint.trim()).map_err(|e| Failure::new(FetchErrorKind::Invalid, e.to_string()))?;
    if parse_chart_version(version).is_some_and(|v| parsed.matches(&v)) {
        return Ok(());
    }
    Err(Failure::new(
        FetchErrorKind::LockMismatch,
        format!(
            "`hldc.lock` pins version {version}, which the component's version {:?} does not allow",
            constraint.trim()
        ),
    ))
}

/// The archive a lock pin names: from the cache when `source` gave it before, else from the
/// shared cache (`--cache-remote`, checked against the pin's digest) or fetched by `download`
/// (which must check the digest), under the entry's file lock; refused offline.
pub(crate) fn pinned_archive(
    source: &str,
    version: &str,
    digest: &str,
    what: &str,
    ctx: &Ctx<'_>,
    download: impl FnOnce(&str) -> Result<(), Failure>,
) -> Result<Archive, Failure> {
    let sha = digest.strip_prefix("sha256:").unwrap_or(digest).to_string();
    let archive = Archive { sha256: sha, version: version.to_string() };
    let proof = archive_proof(source, &archive, ctx);
    if !(ctx.cache.helm_archive(&archive.sha256).is_file() && proof.is_file()) {
        ctx.check_may_download(what)?;
        let _guard = ctx.cache.lock_entry("helm-archive", &archive.sha256)?;
        let dest = ctx.cache.helm_archive(&archive.sha256);
        if ctx.pull_shared_file(Kind::Chart, &archive_key(source, &archive), &archive.sha256, &dest)? {
            cache::touch(&proof)?;
        } else {
            download(&archive.sha256)?;
            prove_archive(source, &archive, ctx)?;
        }
    }
    Ok(archive)
}

/// Records that `source` (a `ChartSource::identity`) gave `archive`, which was fetched from
/// there: here, and in the shared cache with the archive's bytes.
pub(crate) fn prove_archive(source: &str, archive: &Archive, ctx: &Ctx<'_>) -> Result<(), Failure> {
    cache::touch(&archive_proof(source, archive, ctx))?;
    ctx.push_shared_file(Kind::Chart, &archive_key(source, archive), &ctx.cache.helm_archive(&archive.sha256));
    Ok(())
}

fn archive_proof(source: &str, archive: &Archive, ctx: &Ctx<'_>) -> PathBuf {
    ctx.cache.proof(source, &archive_pin(archive))
}

/// The key of `source`'s archive in the shared cache: the name of its proof.
fn archive_key(source: &str, archive: &Archive) -> String {
    cache::proof_key(source, &archive_pin(archive))
}

fn archive_pin(archive: &Archive) -> String {
    format!("helm {} {}", archive.version, archive.sha256)
}

/// Records the pin of a chart archive (repository or OCI), and the mirror it came from.
pub(crate) fn record_pin(key: LockKey, archive: &Archive, mirror: Option<String>, pins: &mut Pins) {
    let value =
        LockValue::Helm { version: archive.version.clone(), digest: format!("sha256:{}", archive.sha256), mirror };
    pins.push((key, value));
}

#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    pub(crate) name: String,
    /// The name its values and objects go by, when not its chart's.
    pub(crate) alias: Option<String>,
    /// The version constraint (`""` = latest).
    pub(crate) version: String,
    pub(crate) repository: String,
    /// Comma-separated values paths, the first holding a boolean enabling it (`""`: none).
    pub(crate) condition: String,
    pub(crate) tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChartMeta {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct RawChart {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<serde_yaml::Value>,
    #[serde(default)]
    dependencies: Option<Vec<RawDependency>>,
}

#[derive(Deserialize)]
struct RawRequirements {
    #[serde(default)]
    dependencies: Option<Vec<RawDependency>>,
}

#[derive(Deserialize)]
struct RawDependency {
    name: String,
    #[serde(default)]
    alias: Option<serde_yaml::Value>,
    #[serde(default)]
    version: Option<serde_yaml::Value>,
    #[serde(default)]
    repository: Option<String>,
    // Read leniently: helm reads them only to decide what to render, and a chart that renders
    // must not fail here.
    #[serde(default)]
    condition: Option<serde_yaml::Value>,
    #[serde(default)]
    tags: Option<Vec<serde_yaml::Value>>,
}

pub(crate) fn value_text(v: &Option<serde_yaml::Value>) -> String {
    match v {
        Some(serde_yaml::Value::String(s)) => s.clone(),
        Some(serde_yaml::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl ChartMeta {
    /// Read `Chart.yaml` (and `requirements.yaml` for apiVersion v1 charts).
    pub(crate) fn read(dir: &Path) -> Result<ChartMeta, Failure> {
        let path = dir.join("Chart.yaml");
        let text = fs::read_to_string(&path).map_err(|e| Failure::io(format!("cannot read {}", path.display()), e))?;
        let mut meta = ChartMeta::parse(&text, &dir.display().to_string())?;
        if meta.dependencies.is_empty() {
            let req = dir.join("requirements.yaml");
            if let Ok(text) = fs::read_to_string(&req) {
                let raw: RawRequirements = serde_yaml::from_str(&text).map_err(|e| {
                    Failure::new(FetchErrorKind::Invalid, format!("bad requirements.yaml in {}: {e}", dir.display()))
                })?;
                meta.dependencies = convert_dependencies(raw.dependencies.unwrap_or_default());
            }
        }
        Ok(meta)
    }

    /// Parse the text of a `Chart.yaml`; `origin` names it in errors.
    pub(crate) fn parse(text: &str, origin: &str) -> Result<ChartMeta, Failure> {
        let raw: RawChart = serde_yaml::from_str(text)
            .map_err(|e| Failure::new(FetchErrorKind::Invalid, format!("bad Chart.yaml in {origin}: {e}")))?;
        Ok(ChartMeta {
            name: raw.name.unwrap_or_default(),
            version: value_text(&raw.version),
            dependencies: convert_dependencies(raw.dependencies.unwrap_or_default()),
        })
    }

    /// Read `<chart>/Chart.yaml` straight from a .tgz archive.
    pub(crate) fn from_archive(archive: &Path) -> Result<ChartMeta, Failure> {
        use std::io::Read;
        let file = fs::File::open(archive).map_err(|e| Failure::io(format!("cannot open {}", archive.display()), e))?;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
        let bad = |e: std::io::Error| {
            Failure::new(FetchErrorKind::Invalid, format!("{} is not a valid chart archive: {e}", archive.display()))
        };
        for entry in tar.entries().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
            if parts.len() == 2 && parts[1] == "Chart.yaml" {
                let mut text = String::new();
                entry.take(4 * 1024 * 1024).read_to_string(&mut text).map_err(bad)?;
                return ChartMeta::parse(&text, &archive.display().to_string());
            }
        }
        Err(Failure::new(FetchErrorKind::Invalid, format!("{} has no <chart>/Chart.yaml", archive.display())))
    }
}

fn convert_dependencies(deps: Vec<RawDependency>) -> Vec<Dependency> {
    deps.into_iter()
        .map(|d| Dependency {
            version: value_text(&d.version).trim().to_string(),
            repository: d.repository.unwrap_or_default(),
            alias: Some(value_text(&d.alias)).filter(|alias| !alias.is_empty()),
            condition: value_text(&d.condition),
            tags: d.tags.unwrap_or_default().into_iter().map(|tag| value_text(&Some(tag))).collect(),
            name: d.name,
        })
        .collect()
}
