//! The render cache: a helm component's output, kept under a key of everything that can change
//! it, so a re-run starts helm only for what changed.
//!
//! ```text
//! <cache>/render/<key>                   helm's output for one key: a first line
//!                                        `hldc-render sha256:<digest of the rest>`, then the text
//! <cache>/render/helm/<binary id>        `helm version` of one helm binary, in the same format;
//!                                        the id is sha256 of its path, size, inode and mtime
//! ```
//!
//! The key is sha256 of the helm version, the chart's content (every file's path and bytes),
//! the release name, the arguments of `helm template` after the chart (release name, namespace, kube version,
//! API versions, CRD and test flags) and the merged values. Entries are filled under the source
//! cache's lock discipline (`locks/render-<key>.lock`, a temporary file renamed into place); an
//! entry whose digest does not match its text (a torn write, a disk error) is ignored and
//! written again. The cache never decides whether a render fails: any trouble with it means
//! rendering as if it were not there. With `--cache-remote`, an OCI registry backs it
//! (`fetch::registry`): a missing entry is pulled from there before helm starts, and a render
//! is pushed there once made, so runners starting empty share what one of them rendered.
//!
//! The key is also what the trace record keeps of a helm component's inputs (`Render::inputs`,
//! with the settings applied after rendering): `--no-cache` still computes it, reading and
//! writing no render's entry (helm's version is kept as ever: it is no render).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::native;
use crate::fetch::cache::{hex, sha256_hex, temp_file_in, Cache, EntryLock};
use crate::fetch::registry::{Kind, RemoteCache};
use crate::gotemplate::sprig::clock::FixedClock;
use crate::process;

const HEADER: &str = "hldc-render sha256:";

/// The render cache of one run: where it lives, and what this run already hashed.
#[derive(Debug)]
pub struct RenderCache {
    root: PathBuf,
    /// Whether renders are read and written; without (`--no-cache`), only keys are computed.
    reuse: bool,
    /// `helm version` by binary; `None` when it could not be told (then nothing is cached).
    helm_versions: Mutex<BTreeMap<PathBuf, Option<String>>>,
    /// `helm version` by binary as an earlier run kept it (`None`: not kept), read once.
    kept_versions: Mutex<BTreeMap<PathBuf, Option<String>>>,
    /// Content digest by chart directory: many components share one chart.
    chart_digests: Mutex<BTreeMap<PathBuf, Option<String>>>,
    /// The cache shared with other runners (`--cache-remote`), behind the local one.
    remote: Option<Arc<RemoteCache>>,
}

/// A cache entry being looked up or filled, locked against other hldc processes.
pub struct Entry {
    path: PathBuf,
    key: String,
    remote: Option<Arc<RemoteCache>>,
    _lock: EntryLock,
}

/// What renders a chart: its version is part of every render's key, so a new helm or a new
/// engine renders afresh.
#[derive(Debug, Clone, Copy)]
pub enum Renderer<'a> {
    Binary(&'a Path),
    Native,
}

/// What the key of a render is made of, besides the renderer.
pub struct Inputs<'a> {
    pub release: &'a str,
    pub chart: &'a Path,
    /// The arguments of `helm template` after the chart's path.
    pub arguments: &'a [String],
    pub values: &'a str,
    /// A deterministic native render's fixed clock: `SOURCE_DATE_EPOCH` changes its output.
    pub clock: Option<FixedClock>,
}

impl RenderCache {
    /// The cache under the source cache's directory (`hldc cache dir`); with `reuse` false it
    /// computes keys and keeps helm's version, but reads and writes no render.
    pub fn new(cache_dir: &Path, reuse: bool) -> RenderCache {
        RenderCache {
            root: cache_dir.to_path_buf(),
            reuse,
            helm_versions: Mutex::default(),
            kept_versions: Mutex::default(),
            chart_digests: Mutex::default(),
            remote: None,
        }
    }

    /// The same cache, backed by a shared one: an entry missing here is pulled from it, and an
    /// entry this run renders is pushed to it.
    pub fn with_remote(self, remote: Option<Arc<RemoteCache>>) -> RenderCache {
        RenderCache { remote, ..self }
    }

    /// The shared cache behind this one, which the run's fetches share too.
    pub fn remote(&self) -> Option<&Arc<RemoteCache>> {
        self.remote.as_ref()
    }

    /// The key of a render (hex sha256); `None` when it cannot be computed (an unreadable
    /// chart, a helm that does not tell its version).
    pub fn key(&self, renderer: Renderer, timeout: Duration, inputs: &Inputs) -> Option<String> {
        let version = match renderer {
            Renderer::Binary(helm) => self.helm_version(helm, timeout)?,
            Renderer::Native => format!("hldc native engine {}", native::ENGINE_VERSION),
        };
        let chart = memo(&self.chart_digests, inputs.chart, || chart_digest(inputs.chart))?;
        let mut hasher = Sha256::new();
        for part in [version.as_str(), chart.as_str(), inputs.release]
            .into_iter()
            .chain(inputs.arguments.iter().map(String::as_str))
        {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(inputs.values.as_bytes());
        // Only deterministic renders hash it, so every other key stays what it was.
        if let Some(clock) = inputs.clock {
            let epoch = clock.source_date_epoch.map_or_else(|| "unset".to_string(), |seconds| seconds.to_string());
            hasher.update(format!("\0helm.deterministic, SOURCE_DATE_EPOCH={epoch}").as_bytes());
        }
        Some(hex(&hasher.finalize()))
    }

    /// The locked entry of a render's `key`; `None` without reuse, or when it cannot be locked.
    pub fn entry(&self, key: &str) -> Option<Entry> {
        if !self.reuse {
            return None;
        }
        let lock = Cache::new(&self.root).lock_entry("render", key).ok()?;
        Some(Entry {
            path: self.root.join("render").join(key),
            key: key.to_string(),
            remote: self.remote.clone(),
            _lock: lock,
        })
    }

    /// Whether `entry` finds helm's version without starting helm (this run has it, or an
    /// earlier one kept it): when not, a render need not wait for `helm version`. Never waits
    /// on a thread of this run that is asking helm.
    pub fn knows_version(&self, helm: &Path) -> bool {
        let asked = self.helm_versions.try_lock().is_ok_and(|versions| versions.get(helm).is_some_and(Option::is_some));
        asked || self.kept_version(helm).is_some()
    }

    fn kept_version(&self, helm: &Path) -> Option<String> {
        memo(&self.kept_versions, helm, || read(&self.version_entry(helm)?))
    }

    /// Where `helm version` of this binary is kept (with reuse or without: it is no render).
    fn version_entry(&self, helm: &Path) -> Option<PathBuf> {
        Some(self.root.join("render").join("helm").join(binary_id(helm)?))
    }

    fn helm_version(&self, helm: &Path, timeout: Duration) -> Option<String> {
        memo(&self.helm_versions, helm, || {
            if let Some(version) = self.kept_version(helm) {
                return Some(version);
            }
            let entry = self.version_entry(helm)?;
            let home = tempfile::tempdir().ok()?;
            let mut command = process::helm_command(helm, home.path());
            command.arg("version");
            let version = String::from_utf8(process::run(command, b"", timeout).ok()?).ok()?;
            write(&entry, &version);
            Some(version)
        })
    }
}

impl Entry {
    /// The cached output, when the entry is there and whole, here or in the shared cache
    /// (whose blob is checked against its digest, and kept here).
    pub fn get(&self) -> Option<String> {
        read(&self.path).or_else(|| {
            let text = |bytes| String::from_utf8(bytes).map_err(|_| "is not text".to_string());
            let pulled = self.remote.as_ref()?.pull(Kind::Render, &self.key, text)?;
            write(&self.path, &pulled);
            Some(pulled)
        })
    }

    /// Stores an output, here and in the shared cache; a failure only means the next run (or
    /// runner) renders again.
    pub fn put(&self, output: &str) {
        write(&self.path, output);
        if let Some(remote) = &self.remote {
            remote.push(Kind::Render, &self.key, output.as_bytes());
        }
    }
}

fn memo(
    map: &Mutex<BTreeMap<PathBuf, Option<String>>>,
    key: &Path,
    compute: impl FnOnce() -> Option<String>,
) -> Option<String> {
    // Held while computing: the threads of one run ask helm its version once, and hash a
    // chart many components share once.
    let mut map = map.lock().ok()?;
    map.entry(key.to_path_buf()).or_insert_with(compute).clone()
}

/// Who a helm binary is without starting it: a replaced binary (an upgrade) has a new inode or
/// mtime, so its version is asked again.
fn binary_id(helm: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = std::fs::canonicalize(helm).ok()?;
    let meta = std::fs::metadata(&path).ok()?;
    let id = format!("{}\0{}\0{}\0{}.{}", path.display(), meta.len(), meta.ino(), meta.mtime(), meta.mtime_nsec());
    Some(sha256_hex(id.as_bytes()))
}

/// sha256 over every file of the chart, by its path inside the chart, in sorted order. A
/// prepared chart holds no symlinks (`Sources::prepare_chart` copies one that does), so none is
/// followed: a maze would never end.
fn chart_digest(chart: &Path) -> Option<String> {
    let mut hasher = Sha256::new();
    for entry in walkdir::WalkDir::new(chart).sort_by_file_name() {
        let entry = entry.ok()?;
        if entry.path_is_symlink() {
            // Not prepared after all: no key, so no cache.
            return None;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(chart).ok()?;
        let bytes = std::fs::read(entry.path()).ok()?;
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Some(hex(&hasher.finalize()))
}

fn read(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let (header, body) = text.split_once('\n')?;
    (header.strip_prefix(HEADER)? == sha256_hex(body.as_bytes())).then(|| body.to_string())
}

fn write(path: &Path, body: &str) {
    let Some(dir) = path.parent() else {
        return;
    };
    let Ok(mut file) = temp_file_in(dir) else {
        return;
    };
    let header = format!("{HEADER}{}\n", sha256_hex(body.as_bytes()));
    if file.write_all(header.as_bytes()).and_then(|()| file.write_all(body.as_bytes())).is_ok() {
        // Replaces a corrupt entry too; a concurrent writer of the same key wrote the same text.
        let _ = file.persist(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_and_a_damaged_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("render").join("k");
        write(&path, "kind: A\n---\nkind: B\n");
        assert_eq!(read(&path).as_deref(), Some("kind: A\n---\nkind: B\n"));
        // Torn: the text was cut short after the header was written.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 3]).unwrap();
        assert_eq!(read(&path), None);
        std::fs::write(&path, "kind: A\n").unwrap();
        assert_eq!(read(&path), None);
        write(&path, "kind: C\n");
        assert_eq!(read(&path).as_deref(), Some("kind: C\n"));
    }

    #[test]
    fn a_chart_digest_changes_with_any_file_and_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path();
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "name: a\n").unwrap();
        std::fs::write(chart.join("templates/a.yaml"), "x").unwrap();
        let first = chart_digest(chart).unwrap();
        std::fs::write(chart.join("templates/a.yaml"), "y").unwrap();
        let second = chart_digest(chart).unwrap();
        std::fs::rename(chart.join("templates/a.yaml"), chart.join("templates/b.yaml")).unwrap();
        let third = chart_digest(chart).unwrap();
        assert_ne!(first, second);
        assert_ne!(second, third);
        assert_eq!(third, chart_digest(chart).unwrap());
    }
}
