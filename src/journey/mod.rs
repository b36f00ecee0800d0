//! `hldc journey`: every deployment's path from source commit to cluster, read from the
//! manifest repository alone: the trace records of each commit (`.hldc/`), its `Hld-Commit:`
//! trailer, and where each cluster is synced to (`sync`). One row per component × ring ×
//! environment/cluster × change (a distinct component `hldCommit`), the first manifest commit
//! that carried it, and whether the cluster runs it, has moved past it, or has not reached it.
//!
//! Times are commit times (and the sync times the cluster's agent recorded), never this
//! machine's clock. `history` and `sync` read git and files; the rest is pure.

pub mod history;
pub mod html;
pub mod sync;
pub mod text;
pub mod time;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;

use git2::Oid;
use serde::Serialize;

use self::history::{committed, ManifestCommit, ManifestRepo};
use self::sync::SyncPosition;
use crate::diag::Problem;
use crate::model::record::{self, Component, Record};

#[derive(Debug, Default)]
pub struct JourneyOptions {
    /// Only changes whose manifest commit is at or after this time.
    pub since: Option<i64>,
    /// A component's path or its last segment.
    pub service: Option<String>,
    pub ring: Option<String>,
    pub cluster: Option<String>,
    /// `--status CLUSTER=FILE`.
    pub statuses: Vec<(String, PathBuf)>,
    /// `--synced CLUSTER=SHA`.
    pub synced: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The cluster's sync position carries this change.
    Running,
    /// The cluster is past the change's manifest commit and runs a later change (or none).
    Superseded,
    /// The cluster has not reached the change's manifest commit (or its position is unknown).
    Pending,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Superseded => "superseded",
            Status::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub component: String,
    pub ring: Option<String>,
    /// The route hldc builds between the component's rings: it serves every ring, none in
    /// particular, so the row shows that instead of a ring.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub route: bool,
    pub environment: String,
    pub cluster: Option<String>,
    pub source_repo: Option<String>,
    pub source_commit: Option<String>,
    pub author: Option<String>,
    pub images: Vec<String>,
    pub hld_commit: String,
    pub hld_commit_time: String,
    pub manifest_commit: String,
    pub manifest_commit_time: String,
    pub status: Status,
    /// The name its sync position is known by: the cluster, else the environment.
    #[serde(skip)]
    pub target: String,
    #[serde(skip)]
    pub hld_to_manifest: Option<i64>,
    /// From the HLD commit to the first time the cluster was seen running the change.
    #[serde(skip)]
    pub hld_to_sync: Option<i64>,
    #[serde(skip)]
    order: usize,
}

impl Deployment {
    /// The ring column: the ring, or what a route between rings serves.
    pub fn ring_shown(&self) -> String {
        match (self.route, &self.ring) {
            (true, _) => "route (every ring)".to_string(),
            (false, ring) => ring.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Running {
    pub component: String,
    pub ring: Option<String>,
    /// The target: the cluster, else the environment.
    pub cluster: String,
    pub hld_commit: String,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub component: String,
    pub p50_hld_to_manifest_seconds: Option<i64>,
    pub p90_hld_to_manifest_seconds: Option<i64>,
    pub p50_hld_to_sync_seconds: Option<i64>,
    #[serde(skip)]
    pub p90_hld_to_sync_seconds: Option<i64>,
    /// Changes superseded before the cluster was ever seen running them.
    pub superseded: usize,
}

/// A cluster (or an environment without clusters) and where it is synced to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub synced_commit: Option<String>,
    pub synced_time: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Journey {
    pub deployments: Vec<Deployment>,
    pub running: Vec<Running>,
    pub stats: Vec<Stats>,
    #[serde(skip)]
    pub targets: Vec<Target>,
    #[serde(skip)]
    pub warnings: Vec<Problem>,
}

impl Journey {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads the manifest repository at `dir` and the sync positions, and builds the journey.
pub fn journey(dir: &std::path::Path, options: &JourneyOptions) -> Result<Journey, Vec<Problem>> {
    let mut repo = ManifestRepo::open(dir).map_err(|p| vec![p])?;
    let commits = repo.history().map_err(|p| vec![p])?;
    let mut positions = sync::flux_tags(&repo.repo).map_err(|p| vec![p])?;
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let mut given = BTreeSet::new();
    let mut read = Vec::new();
    for (cluster, file) in &options.statuses {
        read.push((cluster, sync::status_file(&repo.repo, cluster, file, &mut warnings)));
    }
    for (cluster, sha) in &options.synced {
        read.push((cluster, sync::synced(&repo.repo, cluster, sha)));
    }
    for (cluster, position) in read {
        if !given.insert(cluster.clone()) {
            problems.push(
                Problem::error("hldc::cli::journey-twice", format!("the sync position of `{cluster}` is given twice"))
                    .help(format!("keep one `--status {cluster}=…` or `--synced {cluster}=…`")),
            );
            continue;
        }
        match position {
            Ok(position) => {
                positions.insert(cluster.clone(), position);
            }
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut journey = assemble(&mut repo, &commits, &positions, &given, options).map_err(|p| vec![p])?;
    warnings.append(&mut repo.take_warnings());
    warnings.append(&mut journey.warnings);
    journey.warnings = warnings;
    Ok(journey)
}

/// A component in one environment or cluster: (environment, cluster, component, ring).
type Place = (String, Option<String>, String, Option<String>);

/// Where each component is at one commit: its `hldCommit`.
type State = HashMap<Place, String>;

fn state_of(records: &[Rc<Record>]) -> State {
    let mut state = State::new();
    for record in records {
        for (c, hld_commit, _) in traced(record) {
            let key = (record.environment.clone(), record.cluster.clone(), c.component.clone(), c.ring.clone());
            state.insert(key, hld_commit.to_string());
        }
    }
    state
}

/// The components of a record that name the HLD commit that last changed them, with it and
/// its time (`history` warns about the others).
fn traced(record: &Record) -> impl Iterator<Item = (&Component, &str, &str)> {
    record.components.iter().filter_map(|c| committed(c).map(|(commit, time)| (c, commit, time)))
}

fn target_of(record: &Record) -> &str {
    record.cluster.as_deref().unwrap_or(&record.environment)
}

impl JourneyOptions {
    fn wants_component(&self, component: &str) -> bool {
        match &self.service {
            Some(service) => component == service || component.rsplit('/').next() == Some(service.as_str()),
            None => true,
        }
    }

    fn wants_ring(&self, ring: Option<&str>) -> bool {
        self.ring.as_deref().is_none_or(|r| ring == Some(r))
    }

    fn wants_target(&self, target: &str) -> bool {
        self.cluster.as_deref().is_none_or(|c| target == c)
    }

    /// `traced`, of the components and rings asked for.
    fn wanted<'r>(&'r self, record: &'r Record) -> impl Iterator<Item = (&'r Component, &'r str, &'r str)> {
        traced(record).filter(|(c, ..)| self.wants_component(&c.component) && self.wants_ring(c.ring.as_deref()))
    }
}

fn assemble(
    repo: &mut ManifestRepo,
    commits: &[ManifestCommit],
    positions: &BTreeMap<String, SyncPosition>,
    given: &BTreeSet<String>,
    options: &JourneyOptions,
) -> Result<Journey, Problem> {
    if commits.iter().all(|c| c.records.is_empty()) {
        return Err(Problem::error(
            "hldc::journey::no-records",
            format!("no commit of the manifest repository has trace records under `{}/`", record::DIRECTORY),
        )
        .help("commit the output of `hldc generate` with its trace records, beside `generated/`"));
    }
    let Changes { all_targets, first_seen, mut warnings } = changes(commits, options);
    warnings.extend(unknown_clusters(given, &all_targets));
    let synced = sync_states(repo, positions, &all_targets, options)?;

    let mut deployments: Vec<Deployment> = first_seen.into_values().collect();
    deployments.sort_by(|a, b| {
        (&a.component, &a.ring, &a.environment, &a.cluster, std::cmp::Reverse(a.order)).cmp(&(
            &b.component,
            &b.ring,
            &b.environment,
            &b.cluster,
            std::cmp::Reverse(b.order),
        ))
    });
    let never_ran = place(&mut deployments, &synced);
    let since = options.since;
    let stats = stats(&deployments, &never_ran, since);
    let kept: Vec<Deployment> = deployments
        .into_iter()
        .filter(|d| since.is_none_or(|s| time::parse(&d.manifest_commit_time).is_some_and(|t| t >= s)))
        .collect();
    let running = running(repo, positions, &synced, options)?;
    let targets = all_targets
        .iter()
        .filter(|name| options.wants_target(name))
        .map(|name| {
            let current = positions.get(name).map(|p| p.current);
            Target {
                name: name.clone(),
                synced_commit: current.map(|o| o.commit.to_string()),
                synced_time: current.and_then(|o| o.time).map(time::format),
            }
        })
        .collect();
    Ok(Journey { deployments: kept, running, stats, targets, warnings })
}

/// What the history holds: every target a record names, and each change (a component's new
/// HLD commit in a place) at the manifest commit it first appears in.
struct Changes {
    all_targets: BTreeSet<String>,
    first_seen: HashMap<(Place, String), Deployment>,
    warnings: Vec<Problem>,
}

fn changes(commits: &[ManifestCommit], options: &JourneyOptions) -> Changes {
    let mut warnings = Vec::new();
    let mut all_targets = BTreeSet::new();
    let mut first_seen: HashMap<(Place, String), Deployment> = HashMap::new();
    for (order, commit) in commits.iter().enumerate() {
        let manifest_commit = commit.id.to_string();
        let mut mismatch = false;
        for record in commit.records.iter() {
            let target = target_of(record);
            all_targets.insert(target.to_string());
            mismatch |= commit.hld_commit.as_ref().zip(record.hld_commit.as_ref()).is_some_and(|(t, r)| t != r);
            if !options.wants_target(target) {
                continue;
            }
            for (c, hld_commit, hld_commit_time) in options.wanted(record) {
                let place = (record.environment.clone(), record.cluster.clone(), c.component.clone(), c.ring.clone());
                let key = (place, hld_commit.to_string());
                first_seen.entry(key).or_insert_with(|| {
                    let hld_time = time::parse(hld_commit_time);
                    Deployment {
                        component: c.component.clone(),
                        ring: c.ring.clone(),
                        route: c.component_type == crate::model::rendered::ROUTE,
                        environment: record.environment.clone(),
                        cluster: record.cluster.clone(),
                        source_repo: c.trace.source_repo.clone(),
                        source_commit: c.trace.source_commit.clone(),
                        author: c.trace.author.clone(),
                        images: c.images.clone(),
                        hld_commit: hld_commit.to_string(),
                        hld_commit_time: hld_time.map(time::format).unwrap_or_else(|| hld_commit_time.to_string()),
                        manifest_commit: manifest_commit.clone(),
                        manifest_commit_time: time::format(commit.time),
                        status: Status::Pending,
                        target: target.to_string(),
                        hld_to_manifest: hld_time.map(|t| commit.time - t),
                        hld_to_sync: None,
                        order,
                    }
                });
            }
        }
        if mismatch {
            warnings.push(
                Problem::warning(
                    "hldc::journey::trailer-mismatch",
                    format!(
                        "commit `{}` says `Hld-Commit: {}` but its trace records name another HLD commit",
                        history::short(&manifest_commit),
                        commit.hld_commit.as_deref().unwrap_or_default()
                    ),
                )
                .help("commit the records together with the output they describe"),
            );
        }
    }
    Changes { all_targets, first_seen, warnings }
}

/// A warning for each sync position given of a target no record names.
fn unknown_clusters(given: &BTreeSet<String>, all_targets: &BTreeSet<String>) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for cluster in given.iter().filter(|c| !all_targets.contains(*c)) {
        let hint = crate::suggest::did_you_mean(cluster, all_targets.iter().map(String::as_str));
        let known: Vec<&str> = all_targets.iter().map(String::as_str).collect();
        warnings.push(
            Problem::warning(
                "hldc::journey::unknown-cluster",
                format!("no trace record is of a cluster or environment named `{cluster}`"),
            )
            .help(match hint {
                Some(name) => format!("did you mean `{name}`?"),
                None => format!("the records know: {}", known.join(", ")),
            }),
        );
    }
    warnings
}

/// A synced target: its state now, the commits it has reached, and what each earlier
/// sighting ran.
struct Synced {
    now: Rc<State>,
    reached: HashSet<Oid>,
    seen: Vec<(Rc<State>, Option<i64>)>,
}

fn sync_states<'p>(
    repo: &mut ManifestRepo,
    positions: &'p BTreeMap<String, SyncPosition>,
    all_targets: &BTreeSet<String>,
    options: &JourneyOptions,
) -> Result<HashMap<&'p str, Synced>, Problem> {
    let mut states: HashMap<Oid, Rc<State>> = HashMap::new();
    let mut state_at = |repo: &mut ManifestRepo, id: Oid| -> Result<Rc<State>, Problem> {
        if let Some(state) = states.get(&id) {
            return Ok(state.clone());
        }
        let state = Rc::new(state_of(&repo.records_at(id)?));
        states.insert(id, state.clone());
        Ok(state)
    };
    let mut synced: HashMap<&str, Synced> = HashMap::new();
    for (name, position) in
        positions.iter().filter(|(name, _)| all_targets.contains(*name) && options.wants_target(name))
    {
        let now = state_at(repo, position.current.commit)?;
        let reached = repo.reachable(position.current.commit)?;
        let mut seen = Vec::new();
        for observation in &position.seen {
            seen.push((state_at(repo, observation.commit)?, observation.time));
        }
        synced.insert(name.as_str(), Synced { now, reached, seen });
    }
    Ok(synced)
}

/// Sets each change's status and time to sync from where its target is; returns the indices
/// of the changes superseded before any sighting ran them.
fn place(deployments: &mut [Deployment], synced: &HashMap<&str, Synced>) -> HashSet<usize> {
    let mut never_ran = HashSet::new();
    for (index, d) in deployments.iter_mut().enumerate() {
        let Some(sync) = synced.get(d.target.as_str()) else { continue };
        let key = (d.environment.clone(), d.cluster.clone(), d.component.clone(), d.ring.clone());
        let runs = |state: &State| state.get(&key) == Some(&d.hld_commit);
        let manifest = Oid::from_str(&d.manifest_commit).ok();
        d.status = if runs(&sync.now) {
            Status::Running
        } else if manifest.is_some_and(|m| sync.reached.contains(&m)) {
            Status::Superseded
        } else {
            Status::Pending
        };
        let first_run = sync.seen.iter().filter(|(state, _)| runs(state)).filter_map(|(_, t)| *t).min();
        let hld_time = time::parse(&d.hld_commit_time);
        d.hld_to_sync = first_run.zip(hld_time).map(|(synced, hld)| synced - hld);
        if d.status == Status::Superseded && !sync.seen.iter().any(|(state, _)| runs(state)) {
            never_ran.insert(index);
        }
    }
    never_ran
}

/// What each synced target runs now.
fn running(
    repo: &mut ManifestRepo,
    positions: &BTreeMap<String, SyncPosition>,
    synced: &HashMap<&str, Synced>,
    options: &JourneyOptions,
) -> Result<Vec<Running>, Problem> {
    let mut running = Vec::new();
    for (name, position) in positions.iter().filter(|(name, _)| synced.contains_key(name.as_str())) {
        for record in repo.records_at(position.current.commit)?.iter().filter(|r| target_of(r) == name) {
            for (c, hld_commit, _) in options.wanted(record) {
                running.push(Running {
                    component: c.component.clone(),
                    ring: c.ring.clone(),
                    cluster: name.clone(),
                    hld_commit: hld_commit.to_string(),
                    images: c.images.clone(),
                });
            }
        }
    }
    running.sort_by(|a, b| (&a.component, &a.ring, &a.cluster).cmp(&(&b.component, &b.ring, &b.cluster)));
    Ok(running)
}

/// Per component, over the changes kept by `--since`.
fn stats(deployments: &[Deployment], never_ran: &HashSet<usize>, since: Option<i64>) -> Vec<Stats> {
    let mut by_component: BTreeMap<&str, (Vec<i64>, Vec<i64>, usize)> = BTreeMap::new();
    for (index, d) in deployments.iter().enumerate() {
        if since.is_some_and(|s| time::parse(&d.manifest_commit_time).is_none_or(|t| t < s)) {
            continue;
        }
        let entry = by_component.entry(&d.component).or_default();
        entry.0.extend(d.hld_to_manifest);
        entry.1.extend(d.hld_to_sync);
        entry.2 += usize::from(never_ran.contains(&index));
    }
    by_component
        .into_iter()
        .map(|(component, (mut to_manifest, mut to_sync, superseded))| {
            to_manifest.sort_unstable();
            to_sync.sort_unstable();
            Stats {
                component: component.to_string(),
                p50_hld_to_manifest_seconds: percentile(&to_manifest, 50),
                p90_hld_to_manifest_seconds: percentile(&to_manifest, 90),
                p50_hld_to_sync_seconds: percentile(&to_sync, 50),
                p90_hld_to_sync_seconds: percentile(&to_sync, 90),
                superseded,
            }
        })
        .collect()
}

/// The nearest-rank percentile of sorted samples: always one of them, none of none.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), Some(10));
    }
}
