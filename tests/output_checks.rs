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

#[test]
fn custom_resources_are_checked_against_a_crd_shipped_by_a_chart_and_unknown_kinds_noted_once() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    let crd = concat!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
        "spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n",
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n",
        "          type: object\n          properties:\n            spec:\n              type: object\n",
        "              properties:\n                size: {type: integer}\n",
    );
    write_files(
        root,
        &[
            (
                "component.yaml",
                concat!(
                    "name: app\nsubcomponents:\n  - name: widgets\n    type: helm\n    path: chart\n",
                    "  - name: things\n    type: static\n    path: things\n",
                ),
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: widgets\nversion: 0.1.0\n"),
            ("chart/crds/widget.yaml", crd),
            ("chart/templates/small.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: small\nspec:\n  size: 1\n"),
            ("things/a.yaml", "apiVersion: other.example/v1\nkind: Thing\nmetadata: {name: a}\n---\napiVersion: other.example/v1\nkind: Thing\nmetadata: {name: b}\n"),
            ("things/big.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: big\nspec:\n  size: huge\n"),
        ],
    );
    let run = hldc(root, &["generate"]).assert_code(2);
    run.assert_stderr_contains(
        "error[hldc::crd::schema]: `Widget big` (component `app/things`): wrong type at `spec.size`",
    )
    .assert_stderr_contains("[things/big.yaml:6:9]");
    assert!(!root.join("generated").exists(), "nothing is written");

    std::fs::write(
        root.join("things/big.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: big\nspec:\n  size: 9\n",
    )
    .unwrap();
    let run = hldc(root, &["generate"]).assert_code(0);
    let notes: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("note: no schema")).collect();
    assert_eq!(notes, ["note: no schema to check these kinds against: apiextensions.k8s.io/v1 CustomResourceDefinition, other.example/v1 Thing"], "{}", run.stderr);
}

/// `prod` runs in two clusters; east-us's file pins the component to Kubernetes 1.31, which does
/// not serve `networking.k8s.io/v1 ServiceCIDR` (1.33 and later do).
fn two_cluster_hld(root: &Path, east_version: &str) {
    write_files(
        root,
        &[
            ("hldc.yaml", "environments:\n  prod:\n    clusters: [east-us, west-us]\n"),
            ("component.yaml", "name: app\nsubcomponents:\n  - name: net\n    type: static\n    path: net\n"),
            ("net/cidr.yaml", "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata:\n  name: extra\nspec:\n  cidrs: [10.96.0.0/16]\n"),
            ("config/prod.yaml", "subcomponents:\n  net:\n    config: {}\n"),
            (
                "config/east-us.yaml",
                &format!("# the old cluster\nsubcomponents:\n  net:\n    helm:\n      kubeVersion: \"{east_version}\"\n"),
            ),
        ],
    );
}

#[test]
fn each_cluster_is_checked_against_the_kube_version_its_config_names() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    two_cluster_hld(root, "1.31.4");
    hldc(root, &["generate", "prod", "--cluster", "west-us"]).assert_code(0);
    assert!(root.join("generated/prod/west-us/net.yaml").exists(), "west-us runs the default 1.34");
    let before = read_tree(&root.join("generated"));

    let run = hldc(root, &["generate", "prod"]).assert_code(2);
    run.assert_stderr_contains(
        "error[hldc::kube::not-served]: `ServiceCIDR extra` (component `app/net`): Kubernetes 1.31 does not serve `ServiceCIDR` in `networking.k8s.io/v1`",
    )
    .assert_stderr_contains("[net/cidr.yaml:1:13]");
    assert_eq!(read_tree(&root.join("generated")), before, "a refused run leaves the previous output as it was");
    hldc(root, &["validate", "--rendered", "prod"]).assert_code(1);

    two_cluster_hld(root, "1.33");
    hldc(root, &["generate", "prod"]).assert_code(0);

    two_cluster_hld(root, "1.29");
    hldc(root, &["generate", "prod"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::config::kube-version]: component `app/net` sets `helm.kubeVersion: 1.29`")
        .assert_stderr_contains("[config/east-us.yaml:5:20]")
        .assert_stderr_contains("use one of `1.30`, `1.31`, `1.32`, `1.33`, `1.34`");
    hldc(root, &["generate", "prod", "--no-check"]).assert_code(0);
}
