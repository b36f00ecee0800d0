//! End-to-end tests of the checks `generate` runs on its own output before writing it, through
//! the real binary and real helm.

mod common;

use std::path::Path;

use common::{hldc, read_tree, write_files};

/// An HLD with one helm component whose Deployment takes `replicas` from the config.
fn deployment_hld(root: &Path, prod_replicas: &str) {
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            (
                "chart/templates/deployment.yaml",
                concat!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
                    "spec:\n  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels: {app: web}\n",
                    "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n",
                    "      containers:\n        - name: web\n          image: nginx\n",
                ),
            ),
            ("config/common.yaml", "subcomponents:\n  web:\n    config:\n      replicaCount: 1\n"),
            (
                "config/prod.yaml",
                &format!("# production\nsubcomponents:\n  web:\n    config:\n      replicaCount: {prod_replicas}\n"),
            ),
        ],
    );
}

#[test]
fn a_wrong_type_from_config_is_refused_at_the_config_line_and_nothing_is_written() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    deployment_hld(root, "2");
    hldc(root, &["generate", "prod"]).assert_code(0);
    let before = read_tree(&root.join("generated"));

    deployment_hld(root, "three");
    let run = hldc(root, &["generate", "prod"]).assert_code(2);
    run.assert_stderr_contains(
        "error[hldc::kube::schema]: `Deployment web` (component `app/web`): wrong type at `spec.replicas`",
    )
    .assert_stderr_contains("[config/prod.yaml:5:21]")
    .assert_stderr_contains(
        "note: the value comes from `subcomponents.web.config.replicaCount` in config/prod.yaml:5:21",
    )
    .assert_stderr_contains("help: write a number");
    assert_eq!(read_tree(&root.join("generated")), before, "a refused run leaves the previous output as it was");

    // The last resort writes what the chart rendered.
    hldc(root, &["generate", "prod", "--no-check"]).assert_code(0);
    let written = std::fs::read_to_string(root.join("generated/prod/web.yaml")).unwrap();
    assert!(written.contains("replicas: three"), "{written}");
}

#[test]
fn files_of_an_earlier_run_that_go_are_counted_and_named() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    deployment_hld(root, "2");
    write_files(root, &[("generated/prod/old/gone.yaml", "x"), ("generated/prod/notes.txt", "by hand")]);
    hldc(root, &["generate", "prod"])
        .assert_code(0)
        .assert_stderr_contains("removed 2 files of an earlier run: notes.txt, old/gone.yaml\n");
    let again = hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(!again.stderr.contains("removed"), "{}", again.stderr);
}
