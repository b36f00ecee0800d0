//! `hldc diff` says what `generate` will do: on the bundled example, committed to git, a run of
//! edits (commits, config and trace changes, a cluster dropped, a stray file) each checked by
//! running `diff`, then `generate`, and comparing every file `generate` changed with the ones
//! `diff` named. And stamping never rolls pods: no pod template changes unless its content does.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::{copy_tree, hldc, read_tree, repo, write_files};
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// The files `generate` may change: the manifests under `generated/` (hydrator.metadata and the
/// trace records follow every commit and decide nothing).
fn manifests(hld: &Path) -> BTreeMap<String, Vec<u8>> {
    if !hld.join("generated").exists() {
        return BTreeMap::new();
    }
    let mut files = read_tree(&hld.join("generated"));
    files.retain(|file, _| !file.ends_with("hydrator.metadata"));
    files
}

/// The files (under `generated/`) a `diff --output json` names as changing.
fn predicted(report: &Value) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    for target in report["targets"].as_array().unwrap() {
        let name = target["target"].as_str().unwrap();
        for list in ["changed", "added", "removed", "restamped", "files"] {
            for entry in target[list].as_array().unwrap() {
                for key in ["file", "previousFile"] {
                    if let Some(file) = entry[key].as_str() {
                        files.insert(format!("{name}/{file}"));
                    }
                }
            }
        }
    }
    files
}

/// The pod templates of every workload in the output, by file and name.
fn templates(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<(String, String), Value> {
    let mut templates = BTreeMap::new();
    for (file, bytes) in files.iter().filter(|(file, _)| file.ends_with(".yaml")) {
        for document in serde_yaml::Deserializer::from_slice(bytes) {
            let object: Value = serde::Deserialize::deserialize(document).unwrap();
            if let Some(template) = object.pointer("/spec/template").filter(|_| object["kind"] == "Deployment") {
                let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
                templates.insert((file.clone(), name.to_string()), template.clone());
            }
        }
    }
    templates
}

/// Runs `diff ENV`, then `generate ENV`, and checks that diff named exactly the files generate
/// changed, with the exit code saying whether it would change any. Returns diff's report.
fn diff_then_generate(hld: &Path, environment: &str, step: &str) -> Value {
    let before = manifests(hld);
    let (run, _) = hldc(hld, &["diff", environment, "--output", "json"]).check_code(0);
    let code = run.code;
    assert!(
        (code == 0 || code == 1) && !run.stderr.contains("panicked"),
        "{step}: diff exited {code}:\n{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    hldc(hld, &["generate", environment]).assert_code(0);
    let after = manifests(hld);
    let changed: BTreeSet<String> =
        before.keys().chain(after.keys()).filter(|file| before.get(*file) != after.get(*file)).cloned().collect();
    assert_eq!(predicted(&report), changed, "{step}: diff predicted other files than generate changed\n{report:#}");
    assert_eq!(code == 1, !changed.is_empty(), "{step}: diff exited {code}");
    assert_eq!(report["identical"], changed.is_empty(), "{step}");
    // No template changes but through its content: a restamp never rolls pods.
    let (old, new) = (templates(&before), templates(&after));
    for (key, template) in &new {
        let rolled = old.get(key).is_some_and(|earlier| earlier != template);
        let content_changed = report["targets"].as_array().unwrap().iter().any(|target| {
            target["changed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == key.1.as_str() && c["kind"] == "Deployment")
        });
        assert!(!rolled || content_changed, "{step}: the template of {key:?} changed without its content");
    }
    for target in report["targets"].as_array().unwrap() {
        for restamped in target["restamped"].as_array().unwrap() {
            assert_eq!(restamped["rollsPods"], false, "{step}: {restamped}");
        }
    }
    report
}

fn summary(report: &Value, target: &str) -> Value {
    let target = report["targets"].as_array().unwrap().iter().find(|t| t["target"] == target);
    target.unwrap_or_else(|| panic!("no target {target:?} in {report:#}"))["summary"].clone()
}

#[test]
fn diff_predicts_every_file_generate_changes_and_stamps_never_roll_pods() {
    let dir = tempfile::tempdir().unwrap();
    let hld = dir.path();
    copy_tree(&repo().join("examples/fabrikam-trivia"), hld);
    git(hld, &["init", "-q", "-b", "main"]);
    write_files(hld, &[(".gitignore", "generated/\n.hldc/\n")]);
    commit(hld, "the example");

    // The README tour's order: generate with an uncommitted change, commit it, generate again.
    hldc(hld, &["set", "--env", "prod", "--component", "trivia-api", "settings.QUESTION_PACK=kubecon-2020"])
        .assert_code(0);
    diff_then_generate(hld, "prod", "uncommitted change");
    commit(hld, "a new question pack");
    let report = diff_then_generate(hld, "prod", "the change committed");
    let restamped = summary(&report, "prod/east-us")["restamped"].as_u64().unwrap();
    assert!(restamped > 0, "the objects that changed now name the commit:\n{report:#}");
    assert_eq!(summary(&report, "prod/east-us")["changed"], 0);

    // A new trace block alone: no template changes (issue 24, case 1).
    hldc(
        hld,
        &["set", "--env", "prod", "--component", "trivia-web", "--trace", "ciBuild=build-2", "sourceCommit=abc123"],
    )
    .assert_code(0);
    commit(hld, "trace");
    diff_then_generate(hld, "prod", "a new trace block");

    // Scaling: the Deployment changes, its template does not.
    hldc(hld, &["set", "--env", "prod", "--component", "trivia-web", "replicaCount=4", "autoscaling.enabled=false"])
        .assert_code(0);
    commit(hld, "scale");
    diff_then_generate(hld, "prod", "scaling");

    // A new image: the template changes, with the current trace.
    hldc(hld, &["set", "--env", "prod", "--component", "trivia-web", "image.tag=1.4.3"]).assert_code(0);
    commit(hld, "image");
    diff_then_generate(hld, "prod", "a new image");

    // A file nobody generated, then a cluster dropped from hldc.yaml (issue 24, case 2).
    write_files(hld, &[("generated/prod/east-us/notes.txt", "by hand\n")]);
    let report = diff_then_generate(hld, "prod", "a stray file");
    assert_eq!(summary(&report, "prod/east-us")["files"], 1);
    let project = std::fs::read_to_string(hld.join("hldc.yaml")).unwrap();
    write_files(hld, &[("hldc.yaml", &project.replace("[east-us, west-us]", "[east-us]"))]);
    commit(hld, "retire west-us");
    let report = diff_then_generate(hld, "prod", "a cluster dropped");
    let gone = report["targets"].as_array().unwrap().iter().find(|t| t["target"] == "prod/west-us").unwrap();
    assert_eq!(gone["gone"], true);
    assert!(gone["summary"]["removed"].as_u64().unwrap() > 5, "{gone:#}");
    assert!(!hld.join("generated/prod/west-us").exists());

    // Nothing changed: nothing to say, exit 0.
    let run = hldc(hld, &["diff", "prod"]).assert_code(0);
    assert_eq!(run.stdout, "prod/east-us: 0 changed, 0 added, 0 removed\n");
}

#[test]
fn a_dropped_cluster_shows_in_the_human_diff_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let hld = dir.path();
    copy_tree(&repo().join("examples/fabrikam-trivia"), hld);
    hldc(hld, &["generate", "prod"]).assert_code(0);
    let project = std::fs::read_to_string(hld.join("hldc.yaml")).unwrap();
    write_files(hld, &[("hldc.yaml", &project.replace("[east-us, west-us]", "[east-us]"))]);
    let run = hldc(hld, &["diff", "prod", "--stat"]).assert_code(1);
    assert!(
        run.stdout.contains("prod/west-us: 0 changed, 0 added, ")
            && run
                .stdout
                .contains("removed (`generate` deletes `generated/prod/west-us`: nothing writes it any more)\n"),
        "{}",
        run.stdout
    );
}
