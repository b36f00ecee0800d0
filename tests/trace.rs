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

fn record_commit(record: &serde_json::Value, component: &str) -> (String, String) {
    let entry = record["components"].as_array().unwrap().iter().find(|c| c["component"] == component).unwrap();
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
    let out = root.join("generated/prod");
    let one = read_tree(&out);
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        ["hydrator.metadata", "platform.yaml", "trivia-api.yaml", "trivia-web.yaml"]
    );
    for file in ["platform.yaml", "trivia-api.yaml", "trivia-web.yaml"] {
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
    assert!(text(&one, "trivia-api.yaml").starts_with("# fabrikam-trivia/trivia-api, from component.yaml"));

    // A replica-only change: the Deployment is restamped, its pod template is not (no
    // rollout), and every other file is byte-identical.
    edit_trivia_api(root, "replicaCount: 3", "replicaCount: 4");
    let c2 = commit(root, "Scale trivia-api", 2);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let two = read_tree(&out);
    assert_eq!(one["platform.yaml"], two["platform.yaml"]);
    assert_eq!(one["trivia-web.yaml"], two["trivia-web.yaml"]);
    assert_eq!(
        changed_lines(&text(&one, "trivia-api.yaml"), &text(&two, "trivia-api.yaml")),
        [
            (format!("    hldc.io/hld-commit: {c1}"), format!("    hldc.io/hld-commit: {c2}")),
            ("  replicas: 3".to_string(), "  replicas: 4".to_string()),
        ],
        "only the Deployment's replicas and its own stamp change"
    );
    let (api_commit, _) = record_commit(&record(root, "prod"), "fabrikam-trivia/trivia-api");
    assert_eq!(api_commit, c2);
    assert_eq!(
        record_commit(&record(root, "prod"), "fabrikam-trivia/trivia-web"),
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
        Some(format!("hldc: fabrikam-trivia/trivia-api at HLD commit {c3}").as_str())
    );
    let record = record(root, "prod");
    assert_eq!(record_commit(&record, "fabrikam-trivia/trivia-api").0, c3);
    assert_eq!(record["hldCommit"], c3.as_str());
    assert_eq!(record["hldCommitTime"], "2024-01-03T09:00:00Z");
    // Stamps are not a change: diff sees none.
    hldc(root, &["diff", "prod"]).assert_code(0);
}
