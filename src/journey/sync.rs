//! Where each cluster is: the manifest commit it last applied, and when, from Flux v1's
//! per-cluster tags, a Flux v2 or Argo CD status dump (`--status`), or `--synced`.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository};
use serde_json::Value;

use super::time;
use crate::diag::Problem;

/// A cluster seen at a commit, at a time when the source says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub commit: Oid,
    pub time: Option<i64>,
}

/// A cluster's sync position: where it is now, and every earlier position its source recorded
/// (Flux v2 and Argo CD keep a history; a Flux v1 tag only the last move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPosition {
    pub current: Observation,
    pub seen: Vec<Observation>,
}

impl SyncPosition {
    fn single(current: Observation) -> SyncPosition {
        SyncPosition { current, seen: vec![current] }
    }
}

/// Flux v1 moves the tag `flux-<cluster>` to each commit it applies; an annotated tag's date is
/// when it did.
pub fn flux_tags(repo: &Repository) -> Result<BTreeMap<String, SyncPosition>, Problem> {
    let error = |e: git2::Error| {
        Problem::error("hldc::journey::tags", "cannot read the `flux-*` tags of the manifest repository")
            .detail(e.message().to_string())
            .help("check that the repository is not corrupt (`git fsck`)")
    };
    let names = repo.tag_names(Some("flux-*")).map_err(error)?;
    let mut positions = BTreeMap::new();
    for name in names.iter().filter_map(|name| name.ok().flatten()) {
        let Some(cluster) = name.strip_prefix("flux-").filter(|c| !c.is_empty()) else { continue };
        let reference = repo.find_reference(&format!("refs/tags/{name}")).map_err(error)?;
        let Ok(commit) = reference.peel_to_commit() else { continue };
        let time = reference.peel_to_tag().ok().and_then(|tag| tag.tagger().map(|t| t.when().seconds()));
        positions.insert(cluster.to_string(), SyncPosition::single(Observation { commit: commit.id(), time }));
    }
    Ok(positions)
}

/// `CLUSTER=VALUE` of `--status` and `--synced`.
pub fn assignment<'a>(text: &'a str, flag: &str) -> Result<(&'a str, &'a str), Problem> {
    match text.split_once('=') {
        Some((cluster, value)) if !cluster.is_empty() && !value.is_empty() => Ok((cluster, value)),
        _ => Err(Problem::error("hldc::cli::journey-assignment", format!("`{flag} {text}` is not `CLUSTER=…`"))
            .help(format!("write it as `{flag} CLUSTER={}`", if flag == "--synced" { "SHA" } else { "FILE" }))),
    }
}

/// `--synced CLUSTER=SHA`: a position without a time. Any revision git knows (`HEAD~2`) is taken.
pub fn synced(repo: &Repository, cluster: &str, revision: &str) -> Result<SyncPosition, Problem> {
    match repo.revparse_single(revision).and_then(|o| o.peel_to_commit()) {
        Ok(commit) => Ok(SyncPosition::single(Observation { commit: commit.id(), time: None })),
        Err(_) => Err(Problem::error(
            "hldc::journey::unknown-commit",
            format!("`--synced {cluster}={revision}` names no commit of the manifest repository"),
        )
        .help("give the commit the cluster applied (fetch the manifest repository first if it is newer)")),
    }
}

/// `--status CLUSTER=FILE`: the JSON of `kubectl get kustomizations.kustomize.toolkit.fluxcd.io
/// -A -o json` or `kubectl get applications.argoproj.io -A -o json`. Objects that name commits
/// of other repositories are ignored; when several name different commits of this one the
/// cluster is where the one furthest behind is (a later commit is not running everywhere yet).
pub fn status_file(
    repo: &Repository,
    cluster: &str,
    file: &Path,
    warnings: &mut Vec<Problem>,
) -> Result<SyncPosition, Problem> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| {
        Problem::error("hldc::journey::status-file", format!("cannot read the status file `{shown}`"))
            .detail(e.to_string())
            .help(format!(
                "write it with `kubectl get kustomizations.kustomize.toolkit.fluxcd.io -A -o json > {shown}`"
            ))
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Problem::error("hldc::journey::status-file", format!("the status file `{shown}` is not JSON"))
            .detail(e.to_string())
            .help("give the output of `kubectl get … -o json`")
    })?;
    let items: Vec<&Value> = match value.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![&value],
    };
    let mut positions: Vec<SyncPosition> = items.into_iter().filter_map(|item| position_of(repo, item)).collect();
    positions.sort_by_key(|p| repo.find_commit(p.current.commit).map(|c| c.time().seconds()).unwrap_or(i64::MAX));
    positions.dedup_by_key(|p| p.current.commit);
    let Some(first) = positions.first().cloned() else {
        return Err(Problem::error(
            "hldc::journey::status-file",
            format!("no Flux Kustomization or Argo CD Application in `{shown}` has applied a commit of the manifest repository"),
        )
        .help("give the objects of the cluster that sync this repository (fetch it first if they are at a newer commit)"));
    };
    if positions.len() > 1 {
        let commits: Vec<String> = positions.iter().map(|p| format!("`{}`", short(p.current.commit))).collect();
        warnings.push(
            Problem::warning(
                "hldc::journey::split-sync",
                format!("the objects in `{shown}` applied different commits: {}", commits.join(", ")),
            )
            .help(format!("`{cluster}` counts as synced to the oldest, `{}`", short(first.current.commit))),
        );
    }
    let mut seen: Vec<Observation> = positions.into_iter().flat_map(|p| p.seen).collect();
    seen.sort_by_key(|o| (o.time, o.commit));
    seen.dedup();
    Ok(SyncPosition { current: first.current, seen })
}

fn position_of(repo: &Repository, item: &Value) -> Option<SyncPosition> {
    let status = item.get("status")?;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    let (revision, time, history) = match item.get("kind").and_then(Value::as_str)? {
        "Kustomization" => {
            let history = status
                .get("history")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|h| Some((text(h.pointer("/metadata/revision"))?, text(h.get("firstReconciled")))));
            let history: Vec<_> = history.collect();
            let revision = text(status.get("lastAppliedRevision"))?;
            let time = history.iter().find(|(r, _)| *r == revision).and_then(|(_, t)| t.clone());
            (revision, time, history)
        }
        "Application" => {
            let history = status
                .get("history")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|h| Some((text(h.get("revision"))?, text(h.get("deployedAt")))));
            (
                text(status.pointer("/sync/revision"))?,
                text(status.pointer("/operationState/finishedAt")),
                history.collect(),
            )
        }
        _ => return None,
    };
    let observe = |revision: &str, time: Option<String>| {
        Some(Observation { commit: commit_of(repo, revision)?, time: time.as_deref().and_then(time::parse) })
    };
    let current = observe(&revision, time)?;
    let mut seen: Vec<Observation> = history.into_iter().filter_map(|(r, t)| observe(&r, t)).collect();
    seen.push(current);
    Some(SyncPosition { current, seen })
}

/// The commit a revision names: `main@sha1:<sha>` (Flux v2), `main/<sha>` (older Flux v2), or
/// a plain (possibly short) sha; none when it is not a commit of this repository.
fn commit_of(repo: &Repository, revision: &str) -> Option<Oid> {
    let sha = match revision.rsplit_once("sha1:") {
        Some((_, sha)) => sha,
        None => revision.rsplit('/').next().unwrap_or(revision),
    };
    if !(7..=40).contains(&sha.len()) || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    repo.revparse_single(sha).and_then(|o| o.peel_to_commit()).map(|c| c.id()).ok()
}

fn short(id: Oid) -> String {
    super::history::short(&id.to_string()).to_string()
}
