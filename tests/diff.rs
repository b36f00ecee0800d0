//! End-to-end tests of `hldc diff` through the real binary (and real helm and git where they matter).

mod common;

use std::path::Path;
use std::process::Command;

use common::{hldc, read_tree, write_files};

const COMPONENT: &str = "name: app\ntype: static\npath: manifests\n";

fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: web\ndata:\n  key: {value}\n  other: same\n")
}

/// A static HLD with a `prod` environment and two ConfigMaps in one file, generated.
fn generated_hld() -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    let manifests = format!("{}---\n{}", config_map("a", "one"), config_map("b", "one"));
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/maps.yaml", &manifests)],
    );
    hldc(hld.path(), &["generate", "prod"]).assert_code(0);
    hld
}

#[test]
fn identical_output_exits_0_and_nothing_is_written() {
    let hld = generated_hld();
    let before = read_tree(hld.path());
    let run = hldc(hld.path(), &["diff", "prod"]).assert_code(0);
    assert_eq!(run.stdout, "prod: 0 changed, 0 added, 0 removed\n");
    assert_eq!(read_tree(hld.path()), before, "diff wrote something");
}

#[test]
fn a_value_change_exits_1_with_only_that_objects_diff() {
    let hld = generated_hld();
    let manifests = format!("{}---\n{}", config_map("a", "one"), config_map("b", "two"));
    write_files(hld.path(), &[("manifests/maps.yaml", &manifests)]);
    let before = read_tree(hld.path());
    let run = hldc(hld.path(), &["diff", "prod"]).assert_code(1);
    assert_eq!(
        run.stdout,
        "changed v1 ConfigMap web/b (app.yaml)\n@@ -1,6 +1,6 @@\n apiVersion: v1\n data:\n-  key: one\n+  key: two\n   other: same\n kind: ConfigMap\n metadata:\n\
         prod: 1 changed, 0 added, 0 removed\n"
    );
    assert_eq!(read_tree(hld.path()), before, "diff wrote something");
    let stat = hldc(hld.path(), &["diff", "prod", "--stat"]).assert_code(1);
    assert_eq!(stat.stdout, "prod: 1 changed, 0 added, 0 removed\n");
}

#[test]
fn formatting_only_changes_in_the_hld_exit_0() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    for (path, text) in [
        ("Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
        (
            "templates/values.yaml",
            "apiVersion: hldc.test/v1\nkind: Values\nmetadata:\n  name: {{ .Release.Name }}\nvalues:\n{{ toYaml .Values | indent 2 }}\n",
        ),
    ] {
        write_files(root, &[(&format!("chart/{path}"), text)]);
    }
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: echo\n    type: helm\n    method: local\n    path: chart\n  - name: maps\n    type: static\n    path: manifests\n"),
            ("config/prod.yaml", "subcomponents:\n  echo:\n    config:\n      replicas: 3\n      image: {tag: '1.0', pull: Always}\n"),
            ("manifests/a.yaml", &config_map("a", "one")),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    // The same data, written differently: key order, quoting, flow style, comments.
    write_files(
        root,
        &[
            ("config/prod.yaml", "# reformatted\nsubcomponents:\n  echo:\n    config:\n      image:\n        pull: \"Always\"\n        tag: \"1.0\"\n      replicas: 3\n"),
            ("manifests/a.yaml", "kind: ConfigMap\napiVersion: \"v1\"\ndata: {other: 'same', key: \"one\"}\nmetadata: {namespace: web, name: a}\n"),
        ],
    );
    hldc(root, &["diff", "prod"]).assert_code(0);
    // and a real change in the same place is seen
    write_files(
        root,
        &[(
            "config/prod.yaml",
            "subcomponents:\n  echo:\n    config:\n      replicas: 4\n      image: {tag: '1.0', pull: Always}\n",
        )],
    );
    let run = hldc(root, &["diff", "prod"]).assert_code(1);
    assert!(run.stdout.contains("changed hldc.test/v1 Values echo (echo.yaml)\n"), "{}", run.stdout);
    assert!(run.stdout.contains("-  replicas: 3\n+  replicas: 4\n"), "{}", run.stdout);
}

#[test]
fn secret_values_are_never_printed() {
    let secret = |pass: &str, token: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: web\ndata:\n  pass: {pass}\n  same: c2FtZQ==\nstringData:\n  token: {token}\n")
    };
    let hld = tempfile::tempdir().unwrap();
    let manifests = format!("{}---\n{}", secret("b2xk", "hunter2"), config_map("c", "oldsecretvalue"));
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/s.yaml", &manifests)],
    );
    hldc(hld.path(), &["generate", "prod"]).assert_code(0);
    let manifests = format!("{}---\n{}", secret("bmV3", "swordfish"), config_map("c", "newsecretvalue"));
    write_files(hld.path(), &[("manifests/s.yaml", &manifests)]);
    for output in ["human", "json", "markdown"] {
        let run = hldc(hld.path(), &["diff", "prod", "--redact", "data.key", "--output", output]).assert_code(1);
        for value in ["b2xk", "bmV3", "c2FtZQ==", "hunter2", "swordfish", "oldsecretvalue", "newsecretvalue"] {
            assert!(!run.stdout.contains(value), "{output} shows {value}:\n{}", run.stdout);
            assert!(!run.stderr.contains(value), "{output} shows {value} on stderr:\n{}", run.stderr);
        }
        // which keys changed is still told
        for changed in ["pass", "token", "key"] {
            let line = format!("+  {changed}: \\\"<redacted, changed>\\\"");
            let line = if output == "json" { line } else { line.replace('\\', "") };
            assert!(run.stdout.contains(&line), "{output} lacks {line}:\n{}", run.stdout);
        }
    }
}

#[test]
fn redact_paths_quote_keys_holding_dots_as_set_does() {
    let annotated = |token: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    example.com/token: {token}\n    plain: visible-{token}\n")
    };
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/c.yaml", &annotated("oldtoken"))],
    );
    hldc(hld.path(), &["diff", "prod"]).assert_code(1);
    hldc(hld.path(), &["generate", "prod"]).assert_code(0);
    write_files(hld.path(), &[("manifests/c.yaml", &annotated("newtoken"))]);
    let run =
        hldc(hld.path(), &["diff", "prod", "--redact", "metadata.annotations.\"example.com/token\""]).assert_code(1);
    assert!(run.stdout.contains("+    example.com/token: \"<redacted, changed>\"\n"), "{}", run.stdout);
    assert!(!run.stdout.contains(": oldtoken") && !run.stdout.contains(": newtoken"), "{}", run.stdout);
    assert!(run.stdout.contains("+    plain: visible-newtoken\n"), "only the path named is redacted: {}", run.stdout);
    hldc(hld.path(), &["diff", "prod", "--redact", "metadata..x"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::cli::redact]: `--redact metadata..x` is not a key path");
}

#[test]
fn json_shape() {
    let hld = generated_hld();
    let manifests = format!("{}---\n{}", config_map("b", "two"), config_map("c", "one"));
    write_files(hld.path(), &[("manifests/maps.yaml", &manifests)]);
    let run = hldc(hld.path(), &["diff", "prod", "--output", "json"]).assert_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let expected = serde_json::json!({
        "identical": false,
        "targets": [{
            "target": "prod",
            "summary": {"changed": 1, "added": 1, "removed": 1, "restamped": 0, "rollingPods": 0, "files": 0},
            "changed": [{
                "apiVersion": "v1", "kind": "ConfigMap", "namespace": "web", "name": "b", "file": "app.yaml",
                "diff": "@@ -1,6 +1,6 @@\n apiVersion: v1\n data:\n-  key: one\n+  key: two\n   other: same\n kind: ConfigMap\n metadata:\n",
            }],
            "added": [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "web", "name": "c", "file": "app.yaml"}],
            "removed": [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "web", "name": "a", "file": "app.yaml"}],
            "restamped": [],
            "files": [],
        }],
        // The trace record lists the objects: it changes with them.
        "metadata": [".hldc/prod.json"],
    });
    assert_eq!(report, expected);
    let stat = hldc(hld.path(), &["diff", "prod", "--output", "json", "--stat"]).assert_code(1);
    let stat: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert_eq!(stat["targets"][0].as_object().unwrap().keys().collect::<Vec<_>>(), ["summary", "target"]);
}

#[test]
fn markdown_snapshot() {
    let hld = generated_hld();
    let manifests = format!("{}---\n{}", config_map("b", "two"), config_map("c", "one"));
    write_files(hld.path(), &[("manifests/maps.yaml", &manifests)]);
    let run = hldc(hld.path(), &["diff", "prod", "--output", "markdown"]).assert_code(1);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("diff__markdown", run.stdout);
    });
}

#[test]
fn errors_exit_2() {
    let hld = generated_hld();
    hldc(hld.path(), &["diff", "staging"]).assert_code(2).assert_stderr_contains("staging");
    // Not in a repository: the HLD is a bare temp directory.
    hldc(hld.path(), &["diff", "prod", "--against", "HEAD"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::diff::not-a-repository]");
    // A broken previous output is named, not guessed at.
    write_files(hld.path(), &[("generated/prod/broken.yaml", "a: [\n")]);
    hldc(hld.path(), &["diff", "prod"]).assert_code(2).assert_stderr_contains("generated/prod/broken.yaml");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git").args(args).current_dir(dir).output().expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn commit_all(repo: &git2::Repository, message: &str) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::new("test", "test@example.com", &git2::Time::new(0, 0)).unwrap();
    let parent = repo.head().ok().and_then(|head| head.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents).unwrap();
}

#[test]
fn against_a_ref_renders_both_and_leaves_the_checkout_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = git2::Repository::init(root).unwrap();
    // The HLD sits in a subdirectory and reaches a sibling through `../`, as HLDs sharing one repository do.
    write_files(
        root,
        &[
            ("hld/component.yaml", "name: app\ntype: static\npath: ../shared\n"),
            ("hld/config/prod.yaml", ""),
            ("shared/maps.yaml", &format!("{}---\n{}", config_map("a", "one"), config_map("b", "one"))),
        ],
    );
    commit_all(&repo, "first");
    write_files(root, &[("shared/maps.yaml", &format!("{}---\n{}", config_map("a", "one"), config_map("b", "two")))]);
    commit_all(&repo, "second");
    // Local work the diff must not disturb: a staged edit and an untracked file.
    write_files(root, &[("hld/config/common.yaml", "# staged\n"), ("notes.txt", "untracked\n")]);
    git(root, &["add", "hld/config/common.yaml"]);
    let status = git(root, &["status", "--porcelain"]);
    let head = git(root, &["rev-parse", "HEAD"]);
    let branches = git(root, &["branch", "--list"]);
    let worktrees = git(root, &["worktree", "list", "--porcelain"]);

    let hld = root.join("hld");
    let run = hldc(&hld, &["diff", "prod", "--against", "HEAD~1"]).assert_code(1);
    assert_eq!(
        run.stdout,
        "changed v1 ConfigMap web/b (app.yaml)\n@@ -1,6 +1,6 @@\n apiVersion: v1\n data:\n-  key: one\n+  key: two\n   other: same\n kind: ConfigMap\n metadata:\n\
         prod: 1 changed, 0 added, 0 removed\n\
         metadata: .hldc/prod.json, generated/prod/hydrator.metadata (they follow the HLD commit; not counted as changes)\n"
    );
    hldc(&hld, &["diff", "prod", "--against", "HEAD"]).assert_code(0);
    hldc(&hld, &["diff", "prod", "--against", "no-such-ref"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::diff::unknown-ref]");

    assert_eq!(git(root, &["status", "--porcelain"]), status);
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(root, &["branch", "--list"]), branches);
    assert_eq!(git(root, &["worktree", "list", "--porcelain"]), worktrees);
    assert!(!hld.join("generated").exists(), "diff wrote an output directory");
}

#[test]
fn a_ref_that_does_not_compile_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let manifests = config_map("a", "one");
    write_files(
        dir.path(),
        &[
            ("component.yaml", "name: app\ntype: static\npth: manifests\n"),
            ("config/prod.yaml", ""),
            ("manifests/a.yaml", &manifests),
        ],
    );
    commit_all(&repo, "broken");
    write_files(dir.path(), &[("component.yaml", COMPONENT)]);
    commit_all(&repo, "fixed");
    let run = hldc(dir.path(), &["diff", "prod", "--against", "HEAD~1"]).assert_code(2);
    run.assert_stderr_contains("component.yaml:3")
        .assert_stderr_contains("error[hldc::diff::ref-does-not-compile]: the HLD at `HEAD~1` does not compile");
    assert!(!run.stderr.contains(&dir.path().display().to_string()), "{}", run.stderr);
}

#[test]
fn colour_only_on_a_terminal_and_a_missing_output_is_a_warning() {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/a.yaml", &config_map("a", "one"))],
    );
    // Without NO_COLOR and with stdout a pipe: no escape codes.
    let output = Command::new(env!("CARGO_BIN_EXE_hldc"))
        .args(["diff", "prod"])
        .current_dir(hld.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout,
        "added v1 ConfigMap web/a (app.yaml)\nprod: 0 changed, 1 added, 0 removed\n\
         metadata: .hldc/prod.json (they follow the HLD commit; not counted as changes)\n"
    );
    assert!(stderr.contains("hldc::diff::no-output") && stderr.contains("`generated/prod`"), "{stderr}");
}

#[test]
fn an_environment_with_clusters_is_compared_cluster_by_cluster() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\ntype: static\npath: ./m\n"),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"),
            ("hldc.yaml", "environments:\n  prod: {clusters: [east, west]}\n"),
            ("config/west.yaml", "namespace: west-ns\ninjectNamespace: true\n"),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    let same = hldc(root, &["diff", "prod"]).assert_code(0);
    assert!(
        same.stdout.contains("prod/east: 0 changed") && same.stdout.contains("prod/west: 0 changed"),
        "{}",
        same.stdout
    );
    write_files(root, &[("config/west.yaml", "namespace: other-ns\ninjectNamespace: true\n")]);
    let west = hldc(root, &["diff", "prod", "--cluster", "west", "--stat"]).assert_code(1);
    assert_eq!(
        west.stdout,
        "prod/west: 0 changed, 1 added, 1 removed\n\
         metadata: .hldc/prod/west.json (they follow the HLD commit; not counted as changes)\n"
    );
    hldc(root, &["diff", "prod", "--cluster", "east"]).assert_code(0);
    // Both clusters write `app.yaml`: a heading says whose each object is.
    write_files(root, &[("config/east.yaml", "namespace: east-ns\ninjectNamespace: true\n")]);
    let both = hldc(root, &["diff", "prod"]).assert_code(1);
    let headings: Vec<&str> = both.stdout.lines().filter(|line| line.starts_with("in generated/")).collect();
    assert_eq!(headings, ["in generated/prod/east:", "in generated/prod/west:"], "{}", both.stdout);
    let west_at = both.stdout.find("in generated/prod/west:").unwrap();
    assert!(both.stdout[west_at..].contains("added v1 ConfigMap other-ns/settings"), "{}", both.stdout);
}

#[test]
fn a_change_generate_would_refuse_is_an_error_not_a_diff() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\ntype: static\npath: ./m\n"),
            ("m/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n"),
        ],
    );
    hldc(root, &["generate"]).assert_code(0);
    write_files(
        root,
        &[("m/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n")],
    );
    hldc(root, &["diff"]).assert_code(2).assert_stderr_contains("spec.replicas");
    let unchecked = hldc(root, &["diff", "--no-check"]).assert_code(1);
    assert!(unchecked.stdout.contains("replicas: three"), "{}", unchecked.stdout);
}
