//! `hldc journey` on a manifest repository built here over four generations: two services
//! (api, web), two rings (stable, canary), one environment with two clusters (east, west).
//! east is found by its Flux v1 tag (moved from the 2nd to the 3rd generation); west by a Flux
//! v2 status file (history: generation 1, then 4), which wins over its stale tag.

mod common;

use std::path::{Path, PathBuf};

use common::hldc;
use git2::{Oid, Repository, Signature, Time};
use hldc::model::record::{self, Record};
use serde_json::{json, Value};

/// 2024-05-01T10:00:00Z: the first HLD commit.
const T0: i64 = 1_714_557_600;

fn sha(digit: char) -> String {
    std::iter::repeat_n(digit, 40).collect()
}

fn iso(seconds: i64) -> String {
    hldc::journey::time::format(seconds)
}

/// A component's state in one generation: (component, ring, hld commit digit, its time, image).
type Component = (&'static str, &'static str, char, i64, &'static str);

/// The record `generate` would write for one cluster, built from the writer's own types.
fn record(cluster: &str, hld: char, hld_time: i64, components: &[Component]) -> String {
    let components = components
        .iter()
        .map(|(component, ring, commit, time, image)| {
            let name = component.rsplit('/').next().unwrap_or_default();
            record::Component {
                component: component.to_string(),
                ring: Some(ring.to_string()),
                component_type: "helm".into(),
                sources: vec![record::Source {
                    kind: record::SourceKind::Git,
                    url: "https://example.com/charts.git".into(),
                    commit: Some(sha('c')),
                    chart_version: None,
                    digest: None,
                }],
                images: vec![image.to_string()],
                trace: record::TraceBlock {
                    source_repo: Some(format!("https://example.com/{name}.git")),
                    source_commit: Some(format!("f{}", &sha(*commit)[1..])),
                    author: Some(format!("{name}-dev@example.com")),
                    ..Default::default()
                },
                hld_commit: Some(sha(*commit)),
                hld_commit_time: Some(iso(*time)),
                objects: vec![record::Object {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    namespace: Some(name.into()),
                    name: format!("{name}-{ring}"),
                    file: format!("{name}.yaml"),
                }],
                render: None,
            }
        })
        .collect();
    Record {
        version: record::VERSION,
        environment: "prod".into(),
        cluster: Some(cluster.into()),
        hld_repo: Some("https://example.com/hld.git".into()),
        hld_commit: Some(sha(hld)),
        hld_commit_time: Some(iso(hld_time)),
        components,
    }
    .to_text()
}

fn signature(time: i64) -> Signature<'static> {
    Signature::new("ci", "ci@example.com", &Time::new(time, 0)).expect("signature")
}

/// Writes the generation's records (and a manifest that changes with it) and commits them at
/// `time` with the `Hld-Commit:` trailer.
fn generation(repo: &Repository, hld: char, hld_time: i64, time: i64, components: &[Component]) -> Oid {
    let mut files = Vec::new();
    for cluster in ["east", "west"] {
        files.push((format!(".hldc/prod/{cluster}.json"), record(cluster, hld, hld_time, components)));
        files.push((format!("generated/prod/{cluster}/app.yaml"), format!("# generation {hld}\n")));
    }
    commit(repo, &files, time, &format!("generate prod\n\nHld-Commit: {}\n", sha(hld)))
}

/// Writes `files` and commits everything at `time`.
fn commit(repo: &Repository, files: &[(String, String)], time: i64, message: &str) -> Oid {
    let files: Vec<(&str, &str)> = files.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
    common::write_files(repo.workdir().expect("workdir"), &files);
    let mut index = repo.index().expect("index");
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).expect("add");
    index.write().expect("write index");
    let tree = repo.find_tree(index.write_tree().expect("tree")).expect("find tree");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature(time), &signature(time), message, &tree, &parents).expect("commit")
}

fn flux_tag(repo: &Repository, cluster: &str, commit: Oid, time: i64) {
    let object = repo.find_object(commit, None).expect("object");
    repo.tag(&format!("flux-{cluster}"), &object, &signature(time), "synced", true).expect("tag");
}

struct Built {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    status: PathBuf,
    commits: Vec<Oid>,
}

const API: &str = "root/services/api";
const WEB: &str = "root/services/web";

fn build() -> Built {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("manifests");
    let repo = Repository::init(&path).expect("init");
    let (h1, h2, h3, h4) = (T0, T0 + 3600, T0 + 7200, T0 + 10_800);
    let m1 = generation(
        &repo,
        '1',
        h1,
        h1 + 120,
        &[
            (API, "canary", '1', h1, "api:1.0"),
            (API, "stable", '1', h1, "api:1.0"),
            (WEB, "canary", '1', h1, "web:1.0"),
            (WEB, "stable", '1', h1, "web:1.0"),
        ],
    );
    flux_tag(&repo, "west", m1, h1 + 200);
    let m2 = generation(
        &repo,
        '2',
        h2,
        h2 + 300,
        &[
            (API, "canary", '2', h2, "api:2.0"),
            (API, "stable", '1', h1, "api:1.0"),
            (WEB, "canary", '1', h1, "web:1.0"),
            (WEB, "stable", '1', h1, "web:1.0"),
        ],
    );
    flux_tag(&repo, "east", m2, h2 + 400);
    let m3 = generation(
        &repo,
        '3',
        h3,
        h3 + 60,
        &[
            (API, "canary", '3', h3, "api:2.1"),
            (API, "stable", '3', h3, "api:2.1"),
            (WEB, "canary", '1', h1, "web:1.0"),
            (WEB, "stable", '1', h1, "web:1.0"),
        ],
    );
    flux_tag(&repo, "east", m3, h3 + 100);
    let m4 = generation(
        &repo,
        '4',
        h4,
        h4 + 600,
        &[
            (API, "canary", '3', h3, "api:2.1"),
            (API, "stable", '3', h3, "api:2.1"),
            (WEB, "canary", '4', h4, "web:1.1"),
            (WEB, "stable", '4', h4, "web:1.1"),
        ],
    );
    // `kubectl get kustomizations -A -o json` on west: at generation 4, having applied 1 before;
    // a kustomization of another repository is ignored.
    let status = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "prod", "namespace": "flux-system"},
                "status": {
                    "lastAppliedRevision": format!("main@sha1:{m4}"),
                    "history": [
                        {"digest": "sha256:4", "firstReconciled": iso(h4 + 900), "metadata": {"revision": format!("main@sha1:{m4}")}},
                        {"digest": "sha256:1", "firstReconciled": iso(h1 + 180), "metadata": {"revision": format!("main@sha1:{m1}")}},
                    ],
                },
            },
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "infra", "namespace": "flux-system"},
                "status": {"lastAppliedRevision": format!("main@sha1:{}", sha('9'))},
            },
        ],
    });
    let status_path = dir.path().join("west.json");
    std::fs::write(&status_path, serde_json::to_string_pretty(&status).expect("json")).expect("write status");
    Built { _dir: dir, repo: path, status: status_path, commits: vec![m1, m2, m3, m4] }
}

fn journey_json(built: &Built, extra: &[&str]) -> Value {
    serde_json::from_str(&journey_stdout(built, extra)).expect("journey json")
}

fn journey_stdout(built: &Built, extra: &[&str]) -> String {
    let status = format!("west={}", built.status.display());
    let mut args = vec!["-C", built.repo.to_str().expect("utf-8"), "journey", "--status", &status, "--output", "json"];
    args.extend(extra);
    let run = hldc(Path::new("."), &args).assert_code(0);
    assert_eq!(run.stderr, "", "no warnings expected");
    run.stdout
}

/// (component, ring, cluster, hld digit, manifest generation, status) of every row.
fn rows(journey: &Value, built: &Built) -> Vec<(String, String, String, char, usize, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    journey["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .map(|d| {
            let manifest = text(&d["manifestCommit"]);
            let generation = built.commits.iter().position(|c| c.to_string() == manifest).expect("known commit") + 1;
            (
                text(&d["component"]).rsplit('/').next().unwrap_or_default().to_string(),
                text(&d["ring"]),
                text(&d["cluster"]),
                text(&d["hldCommit"]).chars().next().unwrap_or('?'),
                generation,
                text(&d["status"]),
            )
        })
        .collect()
}

#[test]
fn rows_matrix_and_figures_from_tags_and_a_flux_v2_status() {
    let built = build();
    let journey = journey_json(&built, &[]);
    let row = |c: &str, r: &str, k: &str, h: char, g: usize, s: &str| {
        (c.to_string(), r.to_string(), k.to_string(), h, g, s.to_string())
    };
    assert_eq!(
        rows(&journey, &built),
        vec![
            // east is at generation 3 (its tag moved there from 2): api 3 runs, 2 and 1 are past.
            row("api", "canary", "east", '3', 3, "running"),
            row("api", "canary", "east", '2', 2, "superseded"),
            row("api", "canary", "east", '1', 1, "superseded"),
            // west is at generation 4 by its status file, not at 1 where its old tag points.
            row("api", "canary", "west", '3', 3, "running"),
            row("api", "canary", "west", '2', 2, "superseded"),
            row("api", "canary", "west", '1', 1, "superseded"),
            row("api", "stable", "east", '3', 3, "running"),
            row("api", "stable", "east", '1', 1, "superseded"),
            row("api", "stable", "west", '3', 3, "running"),
            row("api", "stable", "west", '1', 1, "superseded"),
            // web 4 came in generation 4, which east has not reached.
            row("web", "canary", "east", '4', 4, "pending"),
            row("web", "canary", "east", '1', 1, "running"),
            row("web", "canary", "west", '4', 4, "running"),
            row("web", "canary", "west", '1', 1, "superseded"),
            row("web", "stable", "east", '4', 4, "pending"),
            row("web", "stable", "east", '1', 1, "running"),
            row("web", "stable", "west", '4', 4, "running"),
            row("web", "stable", "west", '1', 1, "superseded"),
        ]
    );
    let first = &journey["deployments"][0];
    assert_eq!(first["environment"], "prod");
    assert_eq!(first["sourceRepo"], "https://example.com/api.git");
    assert_eq!(first["author"], "api-dev@example.com");
    assert_eq!(first["images"], json!(["api:2.1"]));
    assert_eq!(first["hldCommitTime"], iso(T0 + 7200));
    assert_eq!(first["manifestCommitTime"], iso(T0 + 7260));

    let running: Vec<(String, String, String, String)> = journey["running"]
        .as_array()
        .expect("running")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("component"), text("ring"), text("cluster"), text("hldCommit")[..1].to_string())
        })
        .collect();
    let expect = |c: &str, r: &str, k: &str, h: &str| (c.to_string(), r.to_string(), k.to_string(), h.to_string());
    assert_eq!(
        running,
        vec![
            expect(API, "canary", "east", "3"),
            expect(API, "canary", "west", "3"),
            expect(API, "stable", "east", "3"),
            expect(API, "stable", "west", "3"),
            expect(WEB, "canary", "east", "1"),
            expect(WEB, "canary", "west", "4"),
            expect(WEB, "stable", "east", "1"),
            expect(WEB, "stable", "west", "4"),
        ]
    );

    // api: HLD→manifest 4×120s (gen 1), 2×300s (gen 2), 4×60s (gen 3); HLD→sync east 2×100s
    // (its tag reached gen 3 100s after HLD commit 3), west 2×180s (gen 1) and 2×4500s (gen 4);
    // superseded before ever seen running: east's api 1, 2 and stable 1, west's canary 2.
    // web: 4×120s, 4×600s; sync east 2×7300s (first seen at the tag's date), west 2×180s, 2×900s.
    assert_eq!(
        journey["stats"],
        json!([
            {"component": API, "p50HldToManifestSeconds": 120, "p90HldToManifestSeconds": 300, "p50HldToSyncSeconds": 180, "superseded": 4},
            {"component": WEB, "p50HldToManifestSeconds": 120, "p90HldToManifestSeconds": 600, "p50HldToSyncSeconds": 900, "superseded": 0},
        ])
    );

    // Manifest commit ids depend only on the fixed contents and dates, but name them for review.
    let mut text = journey_stdout(&built, &[]);
    for (i, commit) in built.commits.iter().enumerate() {
        text = text.replace(&commit.to_string(), &format!("<manifest commit {}>", i + 1));
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("journey__json", text);
    });
}

#[test]
fn filters_since_and_synced() {
    let built = build();
    // --synced moves east to generation 4: everything there runs its newest change.
    let synced = format!("east={}", built.commits[3]);
    let journey = journey_json(&built, &["--synced", &synced, "--service", "web", "--ring", "canary"]);
    let got: Vec<_> = rows(&journey, &built).into_iter().map(|r| (r.2, r.3, r.5)).collect();
    let want = |k: &str, h: char, s: &str| (k.to_string(), h, s.to_string());
    assert_eq!(
        got,
        vec![
            want("east", '4', "running"),
            want("east", '1', "superseded"),
            want("west", '4', "running"),
            want("west", '1', "superseded"),
        ]
    );
    assert_eq!(journey["running"].as_array().map(Vec::len), Some(2));
    // --since keeps the changes of manifest commits from then on; the matrix is still "now".
    let since = iso(T0 + 7200);
    let journey = journey_json(&built, &["--since", &since, "--cluster", "east"]);
    let got: Vec<_> = rows(&journey, &built).into_iter().map(|r| (r.0, r.1, r.3, r.5)).collect();
    let want = |c: &str, r: &str, h: char, s: &str| (c.to_string(), r.to_string(), h, s.to_string());
    assert_eq!(
        got,
        vec![
            want("api", "canary", '3', "running"),
            want("api", "stable", '3', "running"),
            want("web", "canary", '4', "pending"),
            want("web", "stable", '4', "pending"),
        ]
    );
    assert_eq!(journey["running"].as_array().map(Vec::len), Some(4));
}

#[test]
fn argo_cd_applications_give_position_time_and_history() {
    let built = build();
    let (m1, m2) = (built.commits[0], built.commits[1]);
    // `kubectl get applications.argoproj.io -A -o json` on east: at generation 2, deployed 500s
    // after HLD commit 2; generation 1 deployed 150s after HLD commit 1.
    let applications = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "prod-east", "namespace": "argocd"},
            "status": {
                "sync": {"status": "Synced", "revision": m2.to_string()},
                "operationState": {"phase": "Succeeded", "finishedAt": iso(T0 + 3600 + 500)},
                "history": [
                    {"id": 0, "revision": m1.to_string(), "deployedAt": iso(T0 + 150)},
                    {"id": 1, "revision": m2.to_string(), "deployedAt": iso(T0 + 3600 + 500)},
                ],
            },
        }],
    });
    let file = built.repo.parent().expect("parent").join("east-argo.json");
    std::fs::write(&file, applications.to_string()).expect("write");
    let east = format!("east={}", file.display());
    let journey = journey_json(&built, &["--status", &east, "--service", "api", "--cluster", "east"]);
    let got: Vec<_> = rows(&journey, &built).into_iter().map(|r| (r.1, r.3, r.5)).collect();
    let want = |r: &str, h: char, s: &str| (r.to_string(), h, s.to_string());
    assert_eq!(
        got,
        vec![
            want("canary", '3', "pending"),
            want("canary", '2', "running"),
            want("canary", '1', "superseded"),
            want("stable", '3', "pending"),
            want("stable", '1', "running"),
        ]
    );
    // To sync: canary 2 500s, canary 1 and stable 1 150s (history); canary 1 ran, so it does
    // not count as superseded unsynced.
    assert_eq!(
        journey["stats"],
        json!([{"component": API, "p50HldToManifestSeconds": 120, "p90HldToManifestSeconds": 300, "p50HldToSyncSeconds": 150, "superseded": 0}])
    );
}

#[test]
fn text_tables_are_full_width_off_a_terminal() {
    let built = build();
    let status = format!("west={}", built.status.display());
    let run = hldc(&built.repo, &["journey", "--status", &status]).assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["CLUSTER", "SYNCED", "TO", "AT"]);
    let east = &built.commits[2].to_string()[..7];
    assert!(lines[1].starts_with("east") && lines[1].contains(east), "{}", run.stdout);
    assert!(lines[1].contains(&iso(T0 + 7300)), "{}", run.stdout);
    let header = lines.iter().find(|l| l.starts_with("COMPONENT  ")).expect("table header");
    for heading in ["STATUS", "HLD TIME", "MANIFEST TIME", "SOURCE", "AUTHOR", "IMAGES"] {
        assert!(header.contains(heading), "{header}");
    }
    assert!(run.stdout.contains("https://example.com/api.git@f333333"), "{}", run.stdout);
    assert!(run.stdout.contains("running now\n"), "{}", run.stdout);
    let api = run.stdout.lines().find(|l| l.starts_with("root/services/api  2m")).expect("api stats");
    assert_eq!(api.split_whitespace().collect::<Vec<_>>(), ["root/services/api", "2m", "5m", "3m", "1h", "15m", "4"]);
}

#[test]
fn bad_sync_input_exits_2() {
    let built = build();
    let repo = built.repo.to_str().expect("utf-8");
    let run =
        hldc(Path::new("."), &["-C", repo, "journey", "--synced", &format!("east={}", "ab".repeat(20))]).assert_code(2);
    run.assert_stderr_contains("hldc::journey::unknown-commit");
    let run =
        hldc(Path::new("."), &["-C", repo, "journey", "--status", "east=/nonexistent/status.json"]).assert_code(2);
    run.assert_stderr_contains("cannot read the status file `/nonexistent/status.json`");
    let run = hldc(Path::new("."), &["-C", repo, "journey", "--status", "east"]).assert_code(2);
    run.assert_stderr_contains("`--status east` is not `CLUSTER=…`");
    let run = hldc(Path::new("."), &["-C", repo, "journey", "--since", "last tuesday"]).assert_code(2);
    run.assert_stderr_contains("`--since last tuesday` is not a date");
    let empty = tempfile::tempdir().expect("tempdir");
    Repository::init(empty.path()).expect("init");
    let run = hldc(empty.path(), &["journey"]).assert_code(2);
    run.assert_stderr_contains("the manifest repository has no commits");
    let (first, second) = (format!("east={}", built.commits[0]), format!("east={}", built.commits[1]));
    let run = hldc(Path::new("."), &["-C", repo, "journey", "--synced", &first, "--synced", &second]).assert_code(2);
    run.assert_stderr_contains("the sync position of `east` is given twice");
    // A cluster no record knows is a warning with the names it could have meant.
    let run = hldc(Path::new("."), &["-C", repo, "journey", "--synced", &format!("eats={}", built.commits[0])])
        .assert_code(0);
    run.assert_stderr_contains("no trace record is of a cluster or environment named `eats`");
    run.assert_stderr_contains("did you mean `east`?");
}

#[test]
fn a_trailer_that_disagrees_with_the_records_is_a_warning() {
    let built = build();
    let repo = Repository::open(&built.repo).expect("open");
    let head = repo.head().and_then(|h| h.peel_to_commit()).expect("head");
    let tree = head.tree().expect("tree");
    let wrong = format!("hand edit\n\nHld-Commit: {}\n", sha('7'));
    repo.commit(Some("HEAD"), &signature(T0 + 20_000), &signature(T0 + 20_000), &wrong, &tree, &[&head])
        .expect("commit");
    let run = hldc(&built.repo, &["journey", "--output", "json"]).assert_code(0);
    run.assert_stderr_contains(
        "says `Hld-Commit: 7777777777777777777777777777777777777777` but its trace records name another HLD commit",
    );
}

#[test]
fn components_without_an_hld_commit_are_left_out_with_one_warning_per_record_file() {
    let built = build();
    let repo = Repository::open(&built.repo).expect("open");
    // Two generations from an HLD with uncommitted changes: web changed (no commit to name),
    // api kept its sticky commit 3; a newer hldc's extra fields are read past.
    for (n, image) in [(5, "web:1.2"), (6, "web:1.3")] {
        let mut files = Vec::new();
        for cluster in ["east", "west"] {
            let text = record(
                cluster,
                '3',
                T0 + 7200,
                &[(API, "stable", '3', T0 + 7200, "api:2.1"), (WEB, "stable", '4', 0, image)],
            );
            let mut value: Value = serde_json::from_str(&text).expect("record");
            for key in ["hldCommit", "hldCommitTime"] {
                value.as_object_mut().expect("record").remove(key);
                value["components"][1].as_object_mut().expect("component").remove(key);
            }
            value["renderedBy"] = json!("hldc 9.9");
            value["components"][0]["trace"]["team"] = json!("quiz");
            files.push((format!(".hldc/prod/{cluster}.json"), value.to_string()));
        }
        commit(&repo, &files, T0 + 20_000 + n, &format!("generate {n} from a dirty HLD\n"));
    }
    let synced = format!("east={}", repo.head().and_then(|h| h.peel_to_commit()).expect("head").id());
    let run =
        hldc(&built.repo, &["journey", "--synced", &synced, "--service", "web", "--output", "json"]).assert_code(0);
    assert_eq!(run.stderr.matches("hldc::journey::no-hld-commit").count(), 2, "{}", run.stderr);
    run.assert_stderr_contains("`.hldc/prod/east.json` names no HLD commit for some components (from commit `")
        .assert_stderr_contains("`.hldc/prod/west.json` names no HLD commit");
    assert!(!run.stderr.contains("not a trace record"), "{}", run.stderr);
    let journey: Value = serde_json::from_str(&run.stdout).expect("json");
    let east_stable: Vec<(&str, &str)> = journey["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter(|d| d["cluster"] == "east" && d["ring"] == "stable")
        .map(|d| (&d["hldCommit"].as_str().expect("hld commit")[..1], d["status"].as_str().expect("status")))
        .collect();
    // east now runs a web no commit names: its traced changes are all behind it.
    assert_eq!(east_stable, [("4", "superseded"), ("1", "superseded")]);
    assert!(!journey["running"].as_array().expect("running").iter().any(|r| r["cluster"] == "east"), "{journey}");
}

/// Debian's chromium (scripts/install-tools installs it where apt can), or none.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("chromium")).find(|p| p.is_file())
}

/// One headless chromium run, killed after two minutes so a hung browser fails the test.
fn headless(chromium: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("timeout")
        .args(["--kill-after=10", "120"])
        .arg(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

/// The page `--html` writes, as a file: self-contained, printable. What it shows is
/// `the_page_in_a_headless_browser`'s.
fn write_page(built: &Built) -> PathBuf {
    let page = built.repo.join("journey.html");
    let status = format!("west={}", built.status.display());
    let run = hldc(&built.repo, &["journey", "--status", &status, "--html", "journey.html"]).assert_code(0);
    assert_eq!(run.stdout, "", "--html alone prints no table");
    run.assert_stderr_contains("wrote journey.html");
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(!html.contains("http://") && !html.contains("src=") && !html.contains("<link"), "external assets");
    assert!(html.contains("@media print"), "print stylesheet");
    page
}

#[test]
fn the_page_is_one_file_without_external_assets() {
    write_page(&build());
}

/// Ignored by a plain `cargo test`, which says so: a test that cannot run must not pass.
/// `.ci/run` runs it where chromium is installed; run by hand without it, it fails.
#[test]
#[ignore = "needs chromium (scripts/install-tools installs it): cargo test --test journey -- --ignored"]
fn the_page_in_a_headless_browser() {
    let built = build();
    let page = write_page(&built);
    let chromium = chromium().expect("no `chromium` on PATH: run scripts/install-tools as root on Debian");
    let profile = tempfile::tempdir().expect("profile");
    // Filters come from the URL: web, canary ring, cluster east.
    let url = format!("file://{}#service=root%2Fservices%2Fweb&ring=canary&cluster=east", page.display());
    let out = headless(&chromium, profile.path(), &["--virtual-time-budget=5000", "--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Showing 2 of 18 deployments"), "{dom}\n{}", String::from_utf8_lossy(&out.stderr));
    let body = dom.split("<tbody id=\"rows\">").nth(1).and_then(|b| b.split("</tbody>").next()).expect("rows");
    assert_eq!(body.matches("<tr").count(), 2, "{body}");
    assert_eq!(body.matches("class=\"status pending\"").count(), 1, "{body}");
    assert_eq!(body.matches("class=\"status running\"").count(), 1, "{body}");
    assert!(body.contains("web:1.1") && body.contains("4444444") && body.contains("1111111"), "{body}");
    // The matrix keeps web's rows only, and the east column.
    let matrix = dom.split("id=\"matrix\"").nth(1).and_then(|m| m.split("</table>").next()).expect("matrix");
    assert!(matrix.contains("data-service=\"root/services/api\" data-ring=\"canary\" hidden"), "{matrix}");
    assert!(
        matrix.contains("class=\"off\" data-cluster=\"west\" hidden")
            || matrix.contains("class=\"on\" data-cluster=\"west\" hidden"),
        "{matrix}"
    );

    let stats = dom.split("id=\"stats\"").nth(1).and_then(|m| m.split("</table>").next()).expect("stats");
    assert!(stats.contains("<tr data-service=\"root/services/api\" hidden"), "{stats}");
    assert!(!stats.contains("<tr data-service=\"root/services/web\" hidden"), "{stats}");
    for filter in ["service", "ring", "cluster"] {
        assert!(dom.contains(&format!("<label for=\"f-{filter}\">")), "filter {filter} has no label");
    }

    // The whole page, unfiltered, kept as an artifact for people to look at.
    let artifacts = common::repo().join("target/journey");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    std::fs::copy(&page, artifacts.join("journey.html")).expect("copy page");
    let shot = artifacts.join("journey.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &chromium,
        profile.path(),
        &[
            "--window-size=1400,1800",
            "--hide-scrollbars",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", page.display()),
        ],
    );
    assert!(shot.is_file(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
}
