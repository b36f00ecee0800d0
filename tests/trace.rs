//! Trace stamps, the trace record, `hydrator.metadata` and `hldc trace`, end to end: the real
//! binary, real helm, and real git repositories whose commits have fixed dates and names (so
//! nothing depends on the hldc repository's own HEAD or on the clock).

mod common;

use std::path::Path;
use std::process::Command;

use common::{copy_tree, hldc, read_tree, repo, write_files};
use serde_yaml::Value;

/// An origin URL with credentials: they must never reach output, record or messages.
const ORIGIN: &str = "https://ci-bot:s3cret-token@git.example.com/fabrikam/hld.git";
const CLEAN_ORIGIN: &str = "https://git.example.com/fabrikam/hld.git";

/// Runs git in `dir` with fixed identities and dates (commit `n` is made on day `n`).
fn git(dir: &Path, args: &[&str], day: u32) -> String {
    let date = format!("2024-01-{day:02}T10:00:00+01:00");
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "CI")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Commits everything on day `day`; returns the new HEAD.
fn commit(dir: &Path, message: &str, day: u32) -> String {
    git(dir, &["add", "-A"], day);
    git(dir, &["commit", "-q", "-m", message], day);
    git(dir, &["rev-parse", "HEAD"], day)
}

/// The fabrikam-trivia example as a git repository of its own, first commit made.
fn example_repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join("generated"));
    git(dir.path(), &["init", "-q", "-b", "main"], 1);
    git(dir.path(), &["remote", "add", "origin", ORIGIN], 1);
    let first = commit(dir.path(), "Add the trivia app\n\nFirst deployment.", 1);
    (dir, first)
}

/// Changes `from` to `to` in the trivia-api part of config/prod.yaml.
fn edit_trivia_api(root: &Path, from: &str, to: &str) {
    let path = root.join("config/prod.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (web, api) = text.split_once("  trivia-api:").unwrap();
    assert!(api.contains(from), "{from} not in trivia-api's config");
    std::fs::write(&path, format!("{web}  trivia-api:{}", api.replacen(from, to, 1))).unwrap();
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

fn annotation<'v>(object: &'v Value, path: &[&str], key: &str) -> Option<&'v str> {
    let at = path.iter().try_fold(object, |v, k| v.get(k))?;
    at.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

fn deployment(text: &str) -> Value {
    documents(text).into_iter().find(|d| d["kind"] == "Deployment").expect("a Deployment")
}

fn text(tree: &std::collections::BTreeMap<String, Vec<u8>>, file: &str) -> String {
    String::from_utf8(tree[file].clone()).unwrap()
}

fn record(root: &Path, env: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join(format!(".hldc/{env}.json"))).unwrap()).unwrap()
}

/// The commit (and its time) that last changed `component` (its default ring where it has rings).
fn record_commit(record: &serde_json::Value, component: &str) -> (String, String) {
    let components = record["components"].as_array().unwrap();
    let of = |ring: &serde_json::Value| components.iter().find(|c| c["component"] == component && c["ring"] == *ring);
    // A ringed component's routes have an entry of their own, without a ring.
    let entry = of(&"stable".into()).or_else(|| of(&serde_json::Value::Null)).unwrap();
    (entry["hldCommit"].as_str().unwrap().to_string(), entry["hldCommitTime"].as_str().unwrap().to_string())
}

/// Lines that differ between two texts of the same length in lines.
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count(), "lines added or removed:\n{after}");
    // A SHA is quoted when YAML 1.1 could read it as a number: compare without quotes.
    let unquoted = |line: &str| line.replace('"', "");
    before.lines().zip(after.lines()).filter(|(a, b)| a != b).map(|(a, b)| (unquoted(a), unquoted(b))).collect()
}

#[test]
fn stamps_stay_sticky_over_three_commits_byte_for_byte() {
    let (hld, c1) = example_repo();
    let root = hld.path();
    let first = hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(!first.stderr.contains("warning"), "a clean work tree warns of nothing:\n{}", first.stderr);
    let out = root.join("generated/prod/east-us");
    let one = read_tree(&out);
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        [
            "hydrator.metadata",
            "platform.yaml",
            "trivia-api-canary.yaml",
            "trivia-api-rings.yaml",
            "trivia-api.yaml",
            "trivia-web.yaml"
        ]
    );
    for file in
        ["platform.yaml", "trivia-api-canary.yaml", "trivia-api-rings.yaml", "trivia-api.yaml", "trivia-web.yaml"]
    {
        for object in documents(&text(&one, file)) {
            assert_eq!(annotation(&object, &[], "hldc.io/hld-commit"), Some(c1.as_str()), "{file}: {object:?}");
            assert_eq!(annotation(&object, &[], "hldc.io/hld-repo"), Some(CLEAN_ORIGIN));
            assert_eq!(annotation(&object, &[], "hldc.io/environment"), Some("prod"));
            assert!(annotation(&object, &[], "hldc.io/component").unwrap().starts_with("fabrikam-trivia/"));
        }
    }
    let api = deployment(&text(&one, "trivia-api.yaml"));
    assert_eq!(annotation(&api, &["spec", "template"], "hldc.io/component"), Some("fabrikam-trivia/trivia-api"));
    assert_eq!(annotation(&api, &["spec", "template"], "hldc.io/hld-commit"), Some(c1.as_str()));
    assert!(
        text(&one, "trivia-api.yaml").starts_with("# fabrikam-trivia/trivia-api (ring stable), from component.yaml")
    );

    // A replica-only change: the Deployment is restamped, its pod template is not (no
    // rollout), and every other file is byte-identical.
    edit_trivia_api(root, "replicaCount: 3", "replicaCount: 4");
    let c2 = commit(root, "Scale trivia-api", 2);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let two = read_tree(&out);
    for file in ["platform.yaml", "trivia-web.yaml", "trivia-api-canary.yaml", "trivia-api-rings.yaml"] {
        assert_eq!(one[file], two[file], "{file} changed");
    }
    assert_eq!(
        changed_lines(&text(&one, "trivia-api.yaml"), &text(&two, "trivia-api.yaml")),
        [
            (format!("    hldc.io/hld-commit: {c1}"), format!("    hldc.io/hld-commit: {c2}")),
            ("  replicas: 3".to_string(), "  replicas: 4".to_string()),
        ],
        "only the Deployment's replicas and its own stamp change"
    );
    let (api_commit, _) = record_commit(&record(root, "prod/east-us"), "fabrikam-trivia/trivia-api");
    assert_eq!(api_commit, c2);
    assert_eq!(
        record_commit(&record(root, "prod/east-us"), "fabrikam-trivia/trivia-web"),
        (c1.clone(), "2024-01-01T09:00:00Z".to_string()),
        "an unchanged component keeps the commit (and commit time) that last changed it"
    );

    // An image change: the template changes, so it is restamped (and rolls, as it must).
    edit_trivia_api(root, "tag: \"1.4.2\"", "tag: \"1.5.0\"");
    let c3 = commit(root, "trivia-api 1.5.0", 3);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let three = read_tree(&out);
    assert_eq!(one["platform.yaml"], three["platform.yaml"]);
    assert_eq!(one["trivia-web.yaml"], three["trivia-web.yaml"]);
    let api = deployment(&text(&three, "trivia-api.yaml"));
    assert_eq!(annotation(&api, &[], "hldc.io/hld-commit"), Some(c3.as_str()));
    assert_eq!(annotation(&api, &["spec", "template"], "hldc.io/hld-commit"), Some(c3.as_str()));
    assert_eq!(
        annotation(&api, &[], "kubernetes.io/change-cause"),
        Some(format!("hldc: fabrikam-trivia/trivia-api ring stable at HLD commit {c3}").as_str())
    );
    let record = record(root, "prod/east-us");
    assert_eq!(record_commit(&record, "fabrikam-trivia/trivia-api").0, c3);
    assert_eq!(record["hldCommit"], c3.as_str());
    assert_eq!(record["hldCommitTime"], "2024-01-03T09:00:00Z");
    // Stamps are not a change: diff sees none.
    hldc(root, &["diff", "prod"]).assert_code(0);
}

/// A Pod as the API server makes it from a Deployment's template: the template's metadata,
/// a generated name, the namespace, and the template's spec.
fn pod_of(deployment: &Value) -> String {
    let template = &deployment["spec"]["template"];
    let mut metadata = template["metadata"].clone();
    metadata["name"] = Value::from("trivia-api-7d9c5b8f6-x2x9k");
    metadata["namespace"] = deployment["metadata"]["namespace"].clone();
    let pod = serde_yaml::to_value(serde_json::json!({"apiVersion": "v1", "kind": "Pod"})).unwrap();
    let mut pod = pod;
    pod["metadata"] = metadata;
    pod["spec"] = template["spec"].clone();
    serde_yaml::to_string(&pod).unwrap()
}

#[test]
fn trace_follows_a_pod_back_to_its_source_and_hld_commits() {
    let (hld, _) = example_repo();
    let root = hld.path();
    let source = "sourceRepo=https://robot:gh-secret@github.com/fabrikam/trivia";
    let args =
        ["set", "--env", "prod", "--component", "trivia-api", "--trace", source, "sourceCommit=4f2a9c1", "ciBuild=812"];
    hldc(root, &args).assert_code(0);
    let c2 = commit(root, "trivia-api from CI build 812", 2);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    let api = deployment(&std::fs::read_to_string(root.join("generated/prod/east-us/trivia-api.yaml")).unwrap());
    let template = ["spec", "template"];
    assert_eq!(annotation(&api, &template, "hldc.io/source-repo"), Some("https://github.com/fabrikam/trivia"));
    assert_eq!(annotation(&api, &template, "hldc.io/source-commit"), Some("4f2a9c1"));
    assert_eq!(annotation(&api, &template, "hldc.io/ci-build"), Some("812"));
    assert_eq!(
        annotation(&api, &template, "checksum/config").map(str::len),
        Some(64),
        "the chart's annotation is kept"
    );
    // Credentials of the origin and of the trace block reach no output, record or message.
    let mut everything = run.stderr.clone();
    for (file, bytes) in read_tree(&root.join("generated")).into_iter().chain(read_tree(&root.join(".hldc"))) {
        everything.push_str(&file);
        everything.push_str(&String::from_utf8(bytes).unwrap());
    }
    for secret in ["s3cret", "ci-bot", "gh-secret", "robot"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }

    let pod = root.join("pod.yaml");
    std::fs::write(&pod, pod_of(&api)).unwrap();
    let run = hldc(root, &["trace", "pod.yaml", "--output", "json"]).assert_code(0);
    let journey: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        journey,
        serde_json::json!({
            "object": "v1 Pod trivia/trivia-api-7d9c5b8f6-x2x9k",
            "component": "fabrikam-trivia/trivia-api",
            "environment": "prod",
            // Both clusters' records match the pod equally: which one it runs in is not known.
            "cluster": null,
            "ring": "stable",
            "hldRepo": CLEAN_ORIGIN,
            "hldCommit": c2,
            "sourceRepo": "https://github.com/fabrikam/trivia",
            "sourceCommit": "4f2a9c1",
            "images": ["fabrikam.azurecr.io/trivia-api:1.4.2"],
        }),
        "environment and HLD repo come from the record; the rest from the pod"
    );
    // The same from stdin, as `kubectl get pod -o yaml | hldc trace -`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hldc"))
        .args(["trace", "-", "--output", "json"])
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), pod_of(&api).as_bytes()).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&piped.stdout).unwrap(), journey);
    let text = hldc(root, &["trace", "pod.yaml"]).assert_code(0).stdout;
    assert!(text.contains("environment:   prod\n") && text.contains(&format!("HLD commit:    {c2}\n")), "{text}");
    // Without the output at hand, only what the pod itself says.
    let elsewhere = tempfile::tempdir().unwrap();
    let alone = hldc(root, &["trace", "pod.yaml", "--out", elsewhere.path().to_str().unwrap(), "--output", "json"])
        .assert_code(0);
    let alone_run = alone;
    let alone: serde_json::Value = serde_json::from_str(&alone_run.stdout).unwrap();
    assert_eq!((alone["environment"].clone(), alone["hldCommit"].clone()), (serde_json::Value::Null, c2.into()));
    alone_run.assert_stderr_contains("note: no trace records in `");
    alone_run.assert_stderr_contains(
        "run in the manifest repository (`-C DIR`), or give the directory holding `.hldc/` with `--out DIR`",
    );
    // A file of several objects: each block names its object.
    let several = hldc(root, &["trace", "generated/prod/east-us/trivia-api.yaml"]).assert_code(0).stdout;
    let named: Vec<&str> = several.lines().filter(|line| line.starts_with("object:")).collect();
    assert!(named.len() > 2, "{several}");
    assert!(named.contains(&"object:        apps/v1 Deployment trivia/trivia-api"), "{several}");

    std::fs::write(&pod, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: stray\n").unwrap();
    hldc(root, &["trace", "pod.yaml"]).assert_code(2).assert_stderr_contains(
        "error[hldc::trace::unstamped]: `v1 Pod stray` carries no `hldc.io/component` annotation",
    );
}

#[test]
fn hydrator_metadata_follows_the_custom_hydrator_contract() {
    let (hld, c1) = example_repo();
    let root = hld.path();
    hldc(
        root,
        &[
            "set",
            "--env",
            "prod",
            "--component",
            "trivia-web",
            "--trace",
            "sourceRepo=https://github.com/fabrikam/web",
            "sourceCommit=9b1d3e7",
            "author=Dana Dev",
        ],
    )
    .assert_code(0);
    // The trailers Argo CD's hydrator reads a reference from, as a service's CI writes them.
    let message = "Deploy web 9b1d3e7\n\nBuilt by CI.\n\nArgocd-reference-commit-sha: 1a2b3c4\nArgocd-reference-commit-repourl: https://token@github.com/fabrikam/api\nArgocd-reference-commit-subject: Fix scoring\nSigned-off-by: Dana Dev <dana@example.com>";
    let c2 = commit(root, message, 2);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let text = std::fs::read_to_string(root.join("generated/prod/east-us/hydrator.metadata")).unwrap();
    assert!(text.ends_with("}\n"));
    let metadata: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_ne!(c1, c2);
    assert_eq!(
        metadata,
        serde_json::json!({
            "repoURL": CLEAN_ORIGIN,
            "drySha": c2,
            "author": "Dana Dev <dana@example.com>",
            "date": "2024-01-02T09:00:00Z",
            "subject": "Deploy web 9b1d3e7",
            "body": "Built by CI.\n\nSigned-off-by: Dana Dev <dana@example.com>",
            "references": [
                {"commit": {"repoURL": "https://github.com/fabrikam/api", "sha": "1a2b3c4", "subject": "Fix scoring"}},
                {"commit": {"repoURL": "https://github.com/fabrikam/web", "sha": "9b1d3e7", "author": "Dana Dev"}},
            ],
        })
    );
}

#[test]
fn without_a_commit_nothing_false_is_stamped_and_one_warning_says_so() {
    // Outside any work tree.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join("generated"));
    let run = hldc(dir.path(), &["generate", "prod"]).assert_code(0);
    assert_eq!(run.stderr.matches("warning[hldc::trace::no-commit]").count(), 1, "{}", run.stderr);
    run.assert_stderr_contains(
        "the HLD is not in a git work tree: objects are stamped without `hldc.io/hld-repo` and `hldc.io/hld-commit`",
    );
    let tree = read_tree(&dir.path().join("generated/prod/east-us"));
    assert!(!tree.contains_key("hydrator.metadata"));
    assert!(!tree.values().any(|bytes| String::from_utf8_lossy(bytes).contains("hldc.io/hld-")));

    // Uncommitted changes: changed objects lose their commit, unchanged ones keep theirs.
    let (hld, c1) = example_repo();
    let root = hld.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    let first = read_tree(&root.join("generated/prod/east-us"));
    edit_trivia_api(root, "replicaCount: 3", "replicaCount: 5");
    write_files(root, &[("notes.txt", "untracked, but under the HLD\n")]);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains("the HLD has uncommitted changes (`config/prod.yaml`, `notes.txt`)");
    let second = read_tree(&root.join("generated/prod/east-us"));
    assert_eq!(first["trivia-web.yaml"], second["trivia-web.yaml"]);
    assert!(!second.contains_key("hydrator.metadata"), "no dry SHA to name");
    let api = deployment(&text(&second, "trivia-api.yaml"));
    assert_eq!(annotation(&api, &[], "hldc.io/hld-commit"), None, "no commit holds this content");
    assert_eq!(annotation(&api, &["spec", "template"], "hldc.io/hld-commit"), Some(c1.as_str()));
    let components = record(root, "prod/east-us")["components"].as_array().unwrap().clone();
    let api = components.iter().find(|c| c["component"] == "fabrikam-trivia/trivia-api" && c["ring"] == "stable");
    assert_eq!(api.unwrap()["hldCommit"], serde_json::Value::Null);
}

const WORKLOADS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: jobs}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: d, image: 'd:1'}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s, namespace: jobs}
spec:
  serviceName: s
  selector: {matchLabels: {app: s}}
  template:
    metadata: {labels: {app: s}}
    spec: {containers: [{name: s, image: 's:1'}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: jobs}
spec:
  selector: {matchLabels: {app: ds}}
  template:
    metadata: {labels: {app: ds}}
    spec: {containers: [{name: ds, image: 'ds:1'}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: jobs}
spec:
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec: {containers: [{name: rs, image: 'rs:1'}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: jobs}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: j, image: 'j:1'}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: jobs}
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, initContainers: [{name: i, image: 'init:1'}], containers: [{name: c, image: 'c:1'}]}
";

#[test]
fn every_workload_kind_clusters_and_rings_are_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            ("hldc.yaml", "environments:\n  prod:\n    clusters: [east]\nrings: {routing: none}\n"),
            (
                "component.yaml",
                "name: app\nsubcomponents:\n  - name: jobs\n    type: static\n    path: jobs\n  - name: svc\n    type: helm\n    path: chart\n",
            ),
            (
                "config/common.yaml",
                "subcomponents:\n  svc:\n    rings:\n      stable: {default: true}\n      canary: {}\n    trace: {sourceCommit: 4f2a9c1}\n",
            ),
            ("config/prod.yaml", ""),
            ("jobs/all.yaml", WORKLOADS),
            ("chart/Chart.yaml", "apiVersion: v2\nname: svc\nversion: 0.1.0\n"),
            (
                "chart/templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: web\nspec:\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n      annotations: {prometheus.io/scrape: \"true\"}\n    spec:\n      containers: [{name: web, image: \"web:1\"}]\n",
            ),
        ],
    );
    git(root, &["init", "-q", "-b", "main"], 1);
    let c1 = commit(root, "Workloads", 1);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let out = root.join("generated/prod/east");
    let tree = read_tree(&out);
    assert_eq!(tree.keys().collect::<Vec<_>>(), ["hydrator.metadata", "jobs.yaml", "svc-canary.yaml", "svc.yaml"]);
    let workloads = documents(&text(&tree, "jobs.yaml"));
    assert_eq!(workloads.len(), 6);
    for object in &workloads {
        let kind = object["kind"].as_str().unwrap();
        assert_eq!(annotation(object, &[], "hldc.io/cluster"), Some("east"), "{kind}");
        assert_eq!(annotation(object, &[], "hldc.io/environment"), Some("prod"), "{kind}");
        assert!(annotation(object, &[], "kubernetes.io/change-cause").unwrap().contains(&c1), "{kind}");
        let template: &[&str] =
            if kind == "CronJob" { &["spec", "jobTemplate", "spec", "template"] } else { &["spec", "template"] };
        assert_eq!(annotation(object, template, "hldc.io/component"), Some("app/jobs"), "{kind}");
        assert_eq!(annotation(object, template, "hldc.io/hld-commit"), Some(c1.as_str()), "{kind}");
        assert_eq!(
            annotation(object, template, "hldc.io/cluster"),
            None,
            "{kind}: only the listed stamps on templates"
        );
    }
    let canary = deployment(&text(&tree, "svc-canary.yaml"));
    assert_eq!(annotation(&canary, &[], "hldc.io/ring"), Some("canary"));
    assert_eq!(annotation(&canary, &["spec", "template"], "hldc.io/ring"), Some("canary"));
    assert_eq!(
        annotation(&canary, &["spec", "template"], "prometheus.io/scrape"),
        Some("true"),
        "merged, not replaced"
    );
    assert_eq!(annotation(&canary, &["spec", "template"], "hldc.io/source-commit"), Some("4f2a9c1"));
    assert_eq!(
        canary["spec"]["template"]["metadata"]["labels"],
        serde_yaml::from_str::<Value>("{app: svc-canary, hldc.io/ring: canary}").unwrap()
    );
    assert_eq!(
        canary["spec"]["selector"],
        serde_yaml::from_str::<Value>("matchLabels: {app: svc-canary}").unwrap(),
        "selectors untouched"
    );
    let stable = deployment(&text(&tree, "svc.yaml"));
    assert_eq!(annotation(&stable, &[], "hldc.io/ring"), Some("stable"));

    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".hldc/prod/east.json")).unwrap()).unwrap();
    assert_eq!(record["cluster"], "east");
    let schema: serde_json::Value =
        serde_json::from_str(&hldc(root, &["schema", "trace-record"]).assert_code(0).stdout).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(
        validator.is_valid(&record),
        "{:?}",
        validator.iter_errors(&record).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    let order: Vec<(String, String)> = record["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["component"].as_str().unwrap().into(), c["ring"].as_str().unwrap_or("-").into()))
        .collect();
    assert_eq!(
        order,
        [("app/jobs".into(), "-".into()), ("app/svc".into(), "canary".into()), ("app/svc".into(), "stable".into())]
    );
    assert_eq!(
        record["components"][0]["images"],
        serde_json::json!(["c:1", "d:1", "ds:1", "init:1", "j:1", "rs:1", "s:1"])
    );
    assert_eq!(record["components"][1]["sources"], serde_json::json!([{"kind": "local", "url": "chart"}]));

    // A canary pod in the cluster: the record says which cluster.
    std::fs::write(root.join("pod.yaml"), pod_of(&canary)).unwrap();
    let journey = hldc(root, &["trace", "pod.yaml", "--output", "json"]).assert_code(0).stdout;
    let journey: serde_json::Value = serde_json::from_str(&journey).unwrap();
    assert_eq!(
        (&journey["cluster"], &journey["ring"], &journey["environment"]),
        (&"east".into(), &"canary".into(), &"prod".into())
    );
}

#[test]
fn an_unreadable_previous_output_or_record_warns_and_stamps_afresh() {
    let (hld, c1) = example_repo();
    let root = hld.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    write_files(
        root,
        &[("generated/prod/east-us/by-hand.yaml", "a: [\n"), (".hldc/prod/east-us.json", "{\"version\": 1")],
    );
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains("generated/prod/east-us/by-hand.yaml")
        .assert_stderr_contains("the trace record `east-us.json` is not one hldc wrote")
        .assert_stderr_contains("every object is stamped with the current commit, as if new");
    assert!(!root.join("generated/prod/east-us/by-hand.yaml").exists(), "the output was replaced whole");
    assert_eq!(record(root, "prod/east-us")["hldCommit"], c1.as_str(), "the record is written afresh");
}

/// A commit that changes nothing a component renders restamps nothing and moves no record
/// commit, also for a Job whose template has no metadata (stamping adds it) and for a
/// component that renders no object (its file is a header alone).
#[test]
fn an_unrelated_commit_restamps_nothing_even_where_stamps_add_what_was_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: app\nsubcomponents:\n  - {name: migrate, type: static, path: jobs}\n  - {name: later, type: static, path: later}\n",
            ),
            ("config/prod.yaml", ""),
            (
                "jobs/job.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: db}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: \"m:1\"}]\n",
            ),
            ("later/none.yaml", "# objects come later\n"),
        ],
    );
    git(root, &["init", "-q", "-b", "main"], 1);
    let first = commit(root, "Add the migration", 1);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let before = read_tree(&root.join("generated/prod"));
    commit(root, "Generate", 2);
    write_files(root, &[("NOTES.md", "unrelated\n")]);
    commit(root, "Notes", 3);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let after = read_tree(&root.join("generated/prod"));
    for file in ["migrate.yaml", "later.yaml"] {
        assert_eq!(text(&after, file), text(&before, file), "{file} restamped");
    }
    let record = record(root, "prod");
    for component in ["app/migrate", "app/later"] {
        assert_eq!(record_commit(&record, component).0, first, "{component}'s record commit moved");
    }
}

/// A cluster pinned to another image than the one CI set with its trace block runs another
/// build: its objects carry no source stamps from that block (which would send whoever traces a
/// pod there to the wrong commit), and a warning names the tag that overrides it.
#[test]
fn a_cluster_pinning_its_own_image_gets_no_source_stamps_from_the_trace_block() {
    let (hld, _) = example_repo();
    let root = hld.path();
    let args = ["set", "--env", "prod", "--component", "trivia-api", "image.tag=1.5.0"];
    hldc(root, &args).assert_code(0);
    let trace = ["set", "--env", "prod", "--component", "trivia-api", "--trace", "sourceCommit=def2222", "ciBuild=900"];
    hldc(root, &trace).assert_code(0);
    hldc(root, &["set", "--env", "east-us", "--component", "trivia-api", "image.tag=1.4.2"]).assert_code(0);
    commit(root, "trivia-api 1.5.0, but east-us stays on 1.4.2", 2);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::trace::overridden]: `config.image.tag` in `config/east-us.yaml` overrides the image of the trace block in `config/prod.yaml` for `fabrikam-trivia/trivia-api (ring canary)`: the build that block names is not what runs here");
    let template = ["spec", "template"];
    let east = deployment(&std::fs::read_to_string(root.join("generated/prod/east-us/trivia-api.yaml")).unwrap());
    let west = deployment(&std::fs::read_to_string(root.join("generated/prod/west-us/trivia-api.yaml")).unwrap());
    assert_eq!(annotation(&east, &template, "hldc.io/source-commit"), None);
    assert_eq!(annotation(&east, &template, "hldc.io/ci-build"), None);
    assert_eq!(annotation(&west, &template, "hldc.io/source-commit"), Some("def2222"));
}

/// An HLD whose output is committed beside it (a GitOps tool syncing the HLD repository): the
/// commit that only adds the output holds the same HLD as its parent, so the next generate
/// stamps and records the same HLD commit, writes the same bytes, and the pipeline settles
/// instead of committing its own metadata forever. `diff --against` the output commit agrees.
#[test]
fn committing_the_output_beside_the_hld_is_no_new_hld_commit() {
    let (dir, first) = example_repo();
    let root = dir.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    let generated = read_tree(&root.join("generated/prod"));
    let recorded = std::fs::read_to_string(root.join(".hldc/prod/east-us.json")).unwrap();
    commit(root, "generate", 2);
    let diff = hldc(root, &["diff", "prod"]).assert_code(0);
    assert!(!diff.stdout.contains("metadata:"), "the record and hydrator.metadata would change:\n{}", diff.stdout);
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(read_tree(&root.join("generated/prod")), generated, "the output moved after committing it");
    assert_eq!(std::fs::read_to_string(root.join(".hldc/prod/east-us.json")).unwrap(), recorded);
    assert_eq!(git(root, &["status", "--porcelain"], 2), "", "nothing left to commit");
    assert_eq!(record_commit(&record(root, "prod/east-us"), "fabrikam-trivia/trivia-api").0, first);
    // A change to the HLD is a new HLD commit, whatever output commits came between.
    edit_trivia_api(root, "replicaCount: 3", "replicaCount: 4");
    let second = commit(root, "Scale the API", 3);
    hldc(root, &["diff", "prod", "--against", "HEAD~1"]).assert_code(1);
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(record_commit(&record(root, "prod/east-us"), "fabrikam-trivia/trivia-api").0, second);
    commit(root, "generate", 4);
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(git(root, &["status", "--porcelain"], 4), "", "nothing left to commit");
}

/// Issue 24, point 8: "uncommitted" covers what the HLD reads beside it in its repository, not
/// only its own directory: a local source `../shared` with a change HEAD does not hold is no
/// commit's content, so nothing is stamped with HEAD's commit.
#[test]
fn an_uncommitted_change_in_a_local_source_beside_the_hld_stamps_no_commit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let config_map =
        |value: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  key: {value}\n");
    write_files(
        root,
        &[
            (
                "hld/component.yaml",
                "name: hld\nsubcomponents:\n  - name: shared\n    type: static\n    path: ../shared\n",
            ),
            ("hld/config/common.yaml", ""),
            ("shared/map.yaml", &config_map("one")),
            ("elsewhere/notes.txt", "committed\n"),
        ],
    );
    git(root, &["init", "-q", "-b", "main"], 1);
    let head = commit(root, "hld and shared", 1);
    let hld = root.join("hld");
    // A change outside everything the HLD reads leaves the commit standing.
    std::fs::write(root.join("elsewhere/notes.txt"), "changed\n").unwrap();
    hldc(&hld, &["generate"]).assert_code(0);
    let written = std::fs::read_to_string(hld.join("generated/common/shared.yaml")).unwrap();
    assert!(written.contains(&head), "{written}");
    std::fs::write(root.join("shared/map.yaml"), config_map("two")).unwrap();
    let run = hldc(&hld, &["generate"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::trace::no-commit]").assert_stderr_contains("`shared/map.yaml`");
    let written = std::fs::read_to_string(hld.join("generated/common/shared.yaml")).unwrap();
    assert!(written.contains("key: two") && !written.contains(&head), "{written}");
}
