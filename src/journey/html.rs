//! `journey --html`: one self-contained page (inline CSS and JS, no external assets) that
//! works from `file://` or as a CI artifact. The matrix, the stats and the sync positions are
//! rendered here; the deployment rows travel as JSON in the page and are built by one
//! `innerHTML` assignment per filter change, so 10,000 rows stay fast.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use super::history::short;
use super::time::human_duration;
use super::Journey;
use crate::atomic::{self, Access};
use crate::diag::Problem;

const TEMPLATE: &str = include_str!("journey.html");

#[derive(Serialize)]
struct MatrixRow {
    service: String,
    ring: String,
    /// One per target, in the order of `clusters`: empty when the cluster does not run it.
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Cell {
    cluster: String,
    /// `on` (runs `hld`), `off` (the cluster's position does not carry it) or `unknown` (no
    /// position for the cluster).
    state: &'static str,
    hld: String,
    images: String,
}

#[derive(Serialize)]
struct StatsRow {
    service: String,
    to_manifest_p50: String,
    to_manifest_p90: String,
    to_sync_p50: String,
    to_sync_p90: String,
    superseded: usize,
}

pub fn render(journey: &Journey) -> Result<String, Problem> {
    let clusters: Vec<String> = journey.targets.iter().map(|t| t.name.clone()).collect();
    let known: BTreeSet<&str> =
        journey.targets.iter().filter(|t| t.synced_commit.is_some()).map(|t| t.name.as_str()).collect();
    let mut running: BTreeMap<(&str, &str), Vec<&super::Running>> = BTreeMap::new();
    for r in &journey.running {
        running.entry((&r.component, r.ring.as_deref().unwrap_or(""))).or_default().push(r);
    }
    let matrix: Vec<MatrixRow> = running
        .into_iter()
        .map(|((service, ring), runs)| MatrixRow {
            service: service.to_string(),
            ring: ring.to_string(),
            cells: clusters
                .iter()
                .map(|cluster| match runs.iter().find(|r| r.cluster == *cluster) {
                    Some(r) => Cell {
                        cluster: cluster.clone(),
                        state: "on",
                        hld: short(&r.hld_commit).to_string(),
                        images: r.images.join(", "),
                    },
                    None => Cell {
                        cluster: cluster.clone(),
                        state: if known.contains(cluster.as_str()) { "off" } else { "unknown" },
                        hld: String::new(),
                        images: String::new(),
                    },
                })
                .collect(),
        })
        .collect();
    let figure = |seconds: Option<i64>| seconds.map(human_duration).unwrap_or_else(|| "–".to_string());
    let stats: Vec<StatsRow> = journey
        .stats
        .iter()
        .map(|s| StatsRow {
            service: s.component.clone(),
            to_manifest_p50: figure(s.p50_hld_to_manifest_seconds),
            to_manifest_p90: figure(s.p90_hld_to_manifest_seconds),
            to_sync_p50: figure(s.p50_hld_to_sync_seconds),
            to_sync_p90: figure(s.p90_hld_to_sync_seconds),
            superseded: s.superseded,
        })
        .collect();
    let targets: Vec<_> = journey
        .targets
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "commit": t.synced_commit.as_deref().map(short),
                "time": t.synced_time,
            })
        })
        .collect();
    // Short keys: the rows are most of the page's weight.
    let rows: Vec<_> = journey
        .deployments
        .iter()
        .map(|d| {
            json!({
                "s": d.component, "r": d.ring_shown(), "k": d.target,
                "sr": d.source_repo, "sc": d.source_commit, "a": d.author, "i": d.images.join(", "),
                "h": d.hld_commit, "ht": d.hld_commit_time, "m": d.manifest_commit, "mt": d.manifest_commit_time,
                "st": d.status.as_str(),
            })
        })
        .collect();
    let services: BTreeSet<&str> = journey.deployments.iter().map(|d| d.component.as_str()).collect();
    let rings: BTreeSet<&str> = journey.deployments.iter().filter_map(|d| d.ring.as_deref()).collect();
    let mut context = tera::Context::new();
    context.insert("clusters", &clusters);
    context.insert("services", &services);
    context.insert("rings", &rings);
    context.insert("matrix", &matrix);
    context.insert("stats", &stats);
    context.insert("targets", &targets);
    context.insert("data", &script_json(&json!({ "rows": rows })));
    tera::Tera::one_off(TEMPLATE, &context, true).map_err(|e| {
        Problem::error("hldc::journey::html", "cannot render the journey page")
            .detail(format!("{e:?}"))
            .help("this is a bug in hldc; please report it")
    })
}

/// Writes the page to `file`, whole or not at all.
pub fn write(file: &std::path::Path, journey: &Journey) -> Result<(), Problem> {
    let page = render(journey)?;
    // A page for people and CI artifacts, not a secret: readable as any written file.
    let access = Access::Exactly(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let written = atomic::write(file, page.as_bytes(), &access);
    written.map_err(|e| {
        Problem::error("hldc::journey::write", format!("cannot write the journey page `{}`", file.display()))
            .detail(e.to_string())
            .help("choose a file in a directory that exists and is writable")
    })
}

/// JSON that is safe inside `<script>`: no `<`, `>` or `&` can end the element or start a
/// comment, and JSON reads the escapes back as the same characters.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let text = script_json(&json!({"a": "</script><!-- & "}));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(back["a"], "</script><!-- & ");
    }
}
