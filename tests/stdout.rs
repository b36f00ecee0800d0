//! `hldc generate --stdout`: one target's manifests as one stream, checked, nothing written.

mod common;

use common::{copy_tree, hldc, read_tree, repo, write_files};

/// The files `generate` writes, joined as `--stdout` should print them.
fn joined(files: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
    files
        .iter()
        .map(|(path, text)| {
            let text = String::from_utf8(text.clone()).unwrap();
            format!("---\n# Source: {path}\n{}", text.strip_prefix("---\n").unwrap())
        })
        .collect()
}

#[test]
fn stdout_prints_what_generate_writes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    let before = read_tree(dir.path());
    let streamed = hldc(dir.path(), &["generate", "prod", "--stdout"]).assert_code(0);
    assert_eq!(read_tree(dir.path()), before, "--stdout changed the HLD");

    hldc(dir.path(), &["generate", "prod"]).assert_code(0);
    let written = read_tree(&dir.path().join("generated/prod"));
    assert_eq!(written.len(), 3);
    assert_eq!(streamed.stdout, joined(&written));
    let documents = serde_yaml::Deserializer::from_str(&streamed.stdout).count();
    assert!(documents > 3, "{documents} documents");
}

const CLUSTERS: &[(&str, &str)] = &[
    ("hldc.yaml", "environments:\n  prod: {clusters: [east-us, west-us]}\n"),
    ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: web\n"),
    ("config/common.yaml", "{}\n"),
    ("config/prod.yaml", "{}\n"),
    ("config/east-us.yaml", "{}\n"),
    ("config/west-us.yaml", "{}\n"),
    ("web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
];

#[test]
fn stdout_refuses_several_clusters_unless_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), CLUSTERS);
    let refused = hldc(dir.path(), &["generate", "prod", "--stdout"]).assert_code(2);
    assert_eq!(refused.stdout, "");
    refused
        .assert_stderr_contains("error[hldc::generate::several-targets]")
        .assert_stderr_contains("`east-us`, `west-us`")
        .assert_stderr_contains("hldc generate prod --stdout --cluster east-us");
    hldc(dir.path(), &["generate", "prod", "--stdout", "--cluster", "east-us", "--cluster", "west-us"])
        .assert_code(2)
        .assert_stderr_contains("renders 2 clusters");

    let one = hldc(dir.path(), &["generate", "prod", "--stdout", "--cluster", "west-us"]).assert_code(0);
    assert_eq!(one.stdout, "---\n# Source: web.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");
    assert!(!dir.path().join("generated").exists());
}

#[test]
fn stdout_checks_like_generate_and_prints_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: web\n"),
            (
                "web/deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n",
            ),
        ],
    );
    let refused = hldc(dir.path(), &["generate", "--stdout"]).assert_code(2);
    assert_eq!(refused.stdout, "");
    refused.assert_stderr_contains("spec.replicas");
    hldc(dir.path(), &["generate", "--stdout", "--out", "x"]).assert_code(2).assert_stderr_contains("--out");
}
