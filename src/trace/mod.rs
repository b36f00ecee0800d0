//! Tracing a running object back to where it came from: sticky stamps on every object and pod
//! template (`stamp`), the trace record beside the output (its shape is `model::record`), `hydrator.metadata` for
//! Argo CD's source hydrator and GitOps Promoter (`hydrator`), the HLD's commit (`git`).
//! `generate` runs it after the checks, before emitting; previous stamps are read through
//! `previous.rs`, like `diff`'s baseline.

pub mod git;
pub mod hydrator;
pub mod stamp;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::atomic::{self, Access};
use crate::diag::Problem;
use crate::model::environments::Environments;
use crate::model::record::{self, Record};
use crate::model::rendered::Rendered;
use crate::previous::{self, OutputObjects};
use git::HldGit;

/// One target's traced output: its record, its `hydrator.metadata` (with a commit to name),
/// and what went wrong reading the previous output (warnings: stamps are then not sticky).
#[derive(Debug)]
pub struct Traced {
    pub record: Record,
    pub hydrator: Option<String>,
    pub warnings: Vec<Problem>,
}

/// Stamps the compiled objects of `target` and builds its record and hydrator metadata, keeping
/// the stamps of the previous output under `out_root` where the content did not change.
pub fn trace(components: &mut [Rendered], target: &Environments, git: &HldGit, out_root: &Path) -> Traced {
    let mut warnings = Vec::new();
    let output = target.output_dir();
    let directory = out_root.join("generated").join(&output);
    let previous_objects = previous::read_as(&directory, &format!("generated/{output}"), stamp::Stamped::of)
        .unwrap_or_else(|problem| {
            warnings.push(not_sticky(problem));
            OutputObjects::new()
        });
    let environment = target.environment_dir();
    let record_path = record::path(out_root, &environment, target.cluster());
    let previous_record = previous::read_record(&record_path).unwrap_or_else(|problem| {
        warnings.push(not_sticky(problem));
        None
    });
    let commit = git.commit.as_ref();
    let stamps = stamp::Target {
        environment: &environment,
        cluster: target.cluster(),
        hld_repo: git.repo.as_deref(),
        commit: commit.map(|c| c.sha.as_str()),
    };
    let mut previous_per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for object in previous_objects.values() {
        *previous_per_file.entry(&object.file).or_default() += 1;
    }
    let record_entry = |component: &mut Rendered| {
        let origin = &component.origin;
        // The file is unchanged when it holds the same objects as before, each with the same
        // content (identities are unique, so matching every object and the count suffices).
        let mut unchanged =
            previous_per_file.get(component.file.as_str()).copied().unwrap_or(0) == component.objects.len();
        let mut ids = Vec::with_capacity(component.objects.len());
        for object in &mut component.objects {
            let id = object.id();
            let previous = previous_objects.get(&id);
            let value = previous.map(|previous| &previous.value);
            let same = stamp::stamp(&mut object.document.value, &component.component, origin, &stamps, value);
            unchanged &= same && previous.is_some_and(|previous| previous.file == component.file);
            ids.push(id);
        }
        let earlier = previous_record
            .as_ref()
            .and_then(|record| record.component(&component.component, origin.ring.as_deref()))
            .filter(|_| unchanged)
            .and_then(|earlier| Some((earlier.hld_commit.clone()?, earlier.hld_commit_time.clone())));
        let (hld_commit, hld_commit_time) = match earlier {
            Some((sha, time)) => (Some(sha), time),
            None => (commit.map(|c| c.sha.clone()), commit.map(|c| c.time.clone())),
        };
        let images: BTreeSet<String> =
            component.objects.iter().flat_map(|object| stamp::images(object.value())).collect();
        record::Component {
            component: component.component.clone(),
            ring: origin.ring.clone(),
            component_type: origin.component_type.clone(),
            sources: origin.sources.clone(),
            images: images.into_iter().collect(),
            trace: origin.trace.clone(),
            hld_commit,
            hld_commit_time,
            objects: ids
                .into_iter()
                .map(|id| record::Object {
                    api_version: id.api_version,
                    kind: id.kind,
                    namespace: id.namespace,
                    name: id.name,
                    file: component.file.clone(),
                })
                .collect(),
            render: component.rendering.as_ref().map(|rendering| rendering.digests.clone()),
        }
    };
    let mut entries: Vec<record::Component> = components.par_iter_mut().map(record_entry).collect();
    entries.sort_by(|a, b| (&a.component, &a.ring).cmp(&(&b.component, &b.ring)));
    let record = Record {
        version: record::VERSION,
        environment,
        cluster: target.cluster().map(str::to_string),
        hld_repo: git.repo.clone(),
        hld_commit: commit.map(|c| c.sha.clone()),
        hld_commit_time: commit.map(|c| c.time.clone()),
        components: entries,
    };
    let hydrator = commit.map(|commit| hydrator::metadata(commit, git.repo.as_deref(), &record));
    Traced { record, hydrator, warnings }
}

/// Writes the records beside the output (outside what a GitOps agent syncs); when a whole
/// environment was generated, removes its records of clusters (or of a layout) it no longer has.
pub fn write_records(out_root: &Path, records: &[Record], whole_environment: Option<&str>) -> Result<(), Problem> {
    for (path, text) in record_files(out_root, records, whole_environment) {
        match text {
            Some(text) => write_record(&path, &text)?,
            None => std::fs::remove_file(&path).map_err(|e| {
                Problem::error(
                    "hldc::io::write",
                    format!("cannot remove the stale trace record `{}`: {e}", path.display()),
                )
                .help("check the permissions of the `.hldc` directory beside the output")
            })?,
        }
    }
    Ok(())
}

/// The record files `write_records` leaves: each record's path and text, then the stale
/// records it removes (`None`).
pub fn record_files(
    out_root: &Path,
    records: &[Record],
    whole_environment: Option<&str>,
) -> Vec<(PathBuf, Option<String>)> {
    let written: Vec<(PathBuf, Option<String>)> = records
        .iter()
        .map(|record| (record::path(out_root, &record.environment, record.cluster.as_deref()), Some(record.to_text())))
        .collect();
    let paths: Vec<PathBuf> = written.iter().map(|(path, _)| path.clone()).collect();
    let stale = whole_environment.map(|env| stale_records(out_root, env, &paths)).unwrap_or_default();
    written.into_iter().chain(stale.into_iter().map(|path| (path, None))).collect()
}

/// The caller has checked that no link leads to the records' directory.
fn write_record(path: &Path, text: &str) -> Result<(), Problem> {
    let io_error = |what: &str, e: std::io::Error| {
        Problem::error("hldc::io::write", format!("cannot {what} `{}`: {e}", path.display()))
            .help("check permissions and free space; the previous output was left untouched")
    };
    std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(|e| io_error("create the directory of", e))?;
    atomic::write(path, text.as_bytes(), &Access::Shared).map_err(|e| io_error("replace", e))
}

/// The records of `environment` under the output root other than `written`: those of clusters
/// it no longer has, or of the layout before it had clusters (or after it lost them).
fn stale_records(out_root: &Path, environment: &str, written: &[PathBuf]) -> Vec<PathBuf> {
    let plain = record::path(out_root, environment, None);
    let clusters = std::fs::read_dir(out_root.join(record::DIRECTORY).join(environment))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| file.extension().is_some_and(|e| e == "json"));
    let mut stale: Vec<PathBuf> =
        std::iter::once(plain).chain(clusters).filter(|file| file.is_file() && !written.contains(file)).collect();
    stale.sort();
    stale
}

fn not_sticky(problem: Problem) -> Problem {
    let help = format!(
        "{}; until then every object is stamped with the current commit, as if new",
        problem.help.clone().unwrap_or_default()
    );
    problem.into_warning().help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_a_layout_gone_are_stale() {
        let out = tempfile::tempdir().unwrap();
        let (plain, east, west) = (
            record::path(out.path(), "prod", None),
            record::path(out.path(), "prod", Some("east")),
            record::path(out.path(), "prod", Some("west")),
        );
        std::fs::create_dir_all(east.parent().unwrap()).unwrap();
        for file in [&plain, &east, &west] {
            std::fs::write(file, "{}").unwrap();
        }
        assert_eq!(stale_records(out.path(), "prod", std::slice::from_ref(&east)), [west, plain.clone()]);
        assert_eq!(stale_records(out.path(), "prod", std::slice::from_ref(&plain)).len(), 2);
        assert!(stale_records(out.path(), "dev", &[]).is_empty());
    }
}
