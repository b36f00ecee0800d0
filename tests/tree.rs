//! `hldc tree`: the resolved component tree, snapshotted, on an HLD with a chart from a git
//! repository (pinned in hldc.lock), a local chart, static manifests, a directory component, a
//! disabled component and rings, drawn as text and as JSON.

mod common;
mod fetch_support;

use common::{allowing_local_sources, hldc_with_env, write_files, Exited};
use fetch_support::TestRepo;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn run(&self, args: &[&str]) -> Exited {
        let cache = self.dir.path().join("xdg");
        std::fs::create_dir_all(&cache).unwrap();
        hldc_with_env(
            &self.dir.path().join("hld"),
            &allowing_local_sources(args),
            &[("XDG_CACHE_HOME", cache.to_str().unwrap()), ("CI", "true")],
        )
    }

    /// Output with the scratch directory's absolute path replaced, so the snapshot is stable.
    fn stable(&self, text: &str) -> String {
        text.replace(&self.dir.path().display().to_string(), "[TMP]")
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let charts = TestRepo::init(&dir.path().join("charts"));
    charts.commit(
        "chart",
        &[
            ("stable/api/Chart.yaml", "apiVersion: v2\nname: api\nversion: 2.0.0\n"),
            (
                "stable/api/templates/svc.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  ports: [{port: 80}]\n",
            ),
        ],
    );
    let url = charts.file_url();
    let hld = dir.path().join("hld");
    write_files(
        &hld,
        &[
            ("hldc.yaml", "environments:\n  prod: {clusters: [east-us, west-us]}\nrings: {routing: none}\n"),
            (
                "component.yaml",
                &format!("name: fabrikam\nsubcomponents:\n  - name: api\n    type: helm\n    method: git\n    source: {url}\n    path: stable/api\n  - name: infra\n    type: component\n    path: infra\n  - name: web\n    type: static\n    path: web\n  - name: legacy\n    type: static\n    path: web\n"),
            ),
            (
                "config/common.yaml",
                "subcomponents:\n  api:\n    namespace: trivia\n    rings:\n      stable: {default: true}\n      canary: {}\n  legacy:\n    disabled: true\n",
            ),
            ("config/prod.yaml", "subcomponents:\n  web:\n    namespace: web\n"),
            ("config/east-us.yaml", "subcomponents:\n  infra:\n    subcomponents:\n      mon:\n        disabled: true\n"),
            (
                "infra/component.yaml",
                "name: infra\nsubcomponents:\n  - name: mon\n    type: helm\n    path: chart\n  - name: logs\n    type: static\n    path: logs\n",
            ),
            ("infra/chart/Chart.yaml", "apiVersion: v2\nname: mon\nversion: 0.3.1\n"),
            ("infra/logs/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: logs\n"),
            ("web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
        ],
    );
    Fixture { dir }
}

#[test]
fn tree_shows_each_component_with_its_type_source_pin_namespace_rings_and_disabled() {
    let fixture = fixture();
    // Unpinned before the first generate; tree never fetches.
    let before = fixture.run(&["tree", "prod", "--offline"]).assert_code(0);
    assert!(before.stdout.contains("(HEAD) (unpinned)"), "{}", before.stdout);
    assert!(
        before.stdout.contains("engine=auto (helm.engine: auto, decided once the chart is fetched)"),
        "{}",
        before.stdout
    );
    fixture.run(&["generate", "prod"]).assert_code(0);
    // Once pinned and cached, the chart is judged from the cache, still without the network.
    let prod = fixture.run(&["tree", "prod", "--offline"]).assert_code(0);
    assert!(prod.stdout.contains("engine=native (helm.engine: auto, the engine renders it)"), "{}", prod.stdout);
    // Pinned but not in this machine's cache: looking there is not a fetch, and nothing failed.
    let cold = fixture.dir.path().join("cold");
    let cold_tree = hldc_with_env(
        &fixture.dir.path().join("hld"),
        &allowing_local_sources(&["tree", "prod"]),
        &[("XDG_CACHE_HOME", cold.to_str().unwrap()), ("CI", "true")],
    )
    .assert_code(0);
    assert!(cold_tree.stdout.contains("decided once the chart is fetched"), "{}", cold_tree.stdout);
    assert!(!cold_tree.stderr.contains("failed"), "{}", cold_tree.stderr);
    let east = fixture.run(&["tree", "prod", "--cluster", "east-us"]).assert_code(0);
    let json = fixture.run(&["tree", "prod", "--cluster", "east-us", "--output", "json"]).assert_code(0);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("tree__prod", fixture.stable(&prod.stdout));
        insta::assert_snapshot!("tree__prod_east-us", fixture.stable(&east.stdout));
        insta::assert_snapshot!("tree__prod_east-us_json", fixture.stable(&json.stdout));
    });
    // The JSON is the same tree as the text: one entry per line drawn, in the same order.
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    fn paths(entry: &serde_json::Value, out: &mut Vec<String>) {
        out.push(entry["component"].as_str().unwrap().to_string());
        entry["children"].as_array().unwrap().iter().for_each(|child| paths(child, out));
    }
    let mut listed = Vec::new();
    paths(&parsed, &mut listed);
    let drawn: Vec<String> = east
        .stdout
        .lines()
        .map(|line| line.trim_start_matches(['│', '├', '└', '─', ' ']).split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(listed, drawn);
    fixture.run(&["tree", "prdo"]).assert_code(2).assert_stderr_contains("did you mean `prod`?");
}

/// A component file may itself be a chart or manifests (`type: helm` and a `path`, common in
/// Fabrikate HLDs): the tree says so, for the root and for a directory component alike.
#[test]
fn a_component_file_that_renders_shows_its_type_and_source() {
    let dir = tempfile::tempdir().unwrap();
    let hld = dir.path().join("hld");
    write_files(
        &hld,
        &[
            ("component.yaml", "name: bookinfo\ntype: helm\npath: ./charts/bookinfo\nsubcomponents:\n  - name: extra\n    type: component\n    path: extra\n"),
            ("charts/bookinfo/Chart.yaml", "apiVersion: v2\nname: bookinfo\nversion: 1.2.0\n"),
            ("extra/component.yaml", "name: extra\ntype: static\npath: manifests\n"),
            ("extra/manifests/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"),
        ],
    );
    let fixture = Fixture { dir };
    let tree = fixture.run(&["tree"]).assert_code(0);
    let lines: Vec<&str> = tree.stdout.lines().collect();
    assert!(
        lines[0] == "bookinfo helm ./charts/bookinfo@1.2.0 engine=native (helm.engine: auto, the engine renders it)",
        "{}",
        tree.stdout
    );
    assert!(lines[1].contains("bookinfo/extra static manifests"), "{}", tree.stdout);
}
