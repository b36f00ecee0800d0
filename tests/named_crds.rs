//! CRD files named in `hldc.yaml` (`crds:`): custom resources of the output are checked against
//! them, whether the file is in the HLD or in a git repository (a real one on disk).

mod common;
mod fetch_support;

use std::path::Path;

use common::{allowing_local_sources, hldc_with_env, read_tree, write_files, Exited};
use fetch_support::TestRepo;

fn crd(group: &str, kind: &str, plural: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  names: {{kind: {kind}, plural: {plural}}}\n  scope: Cluster\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                size: {{type: integer}}\n"
    )
}

fn resource(group: &str, kind: &str, size: &str) -> String {
    format!("apiVersion: {group}/v1\nkind: {kind}\nmetadata:\n  name: one\nspec:\n  size: {size}\n")
}

fn run(root: &Path, cache: &Path, args: &[&str]) -> Exited {
    hldc_with_env(root, &allowing_local_sources(args), &[("XDG_CACHE_HOME", cache.to_str().unwrap())])
}

#[test]
fn custom_resources_are_checked_against_crd_files_named_locally_and_in_a_git_source() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let remote = TestRepo::init(&dir.path().join("operators"));
    remote.commit("crds", &[("deploy/crds/gadget.yaml", &crd("gadgets.example", "Gadget", "gadgets"))]);
    let root = dir.path().join("hld");
    write_files(
        &root,
        &[
            (
                "hldc.yaml",
                &format!(
                    "crds:\n  - crds/widget.yaml\n  - source: {}\n    method: git\n    branch: main\n    path: deploy/crds\n",
                    remote.file_url()
                ),
            ),
            ("crds/widget.yaml", &crd("widgets.example", "Widget", "widgets")),
            ("component.yaml", "name: app\nsubcomponents:\n  - name: res\n    type: static\n    path: res\n"),
            ("res/widget.yaml", &resource("widgets.example", "Widget", "3")),
            ("res/gadget.yaml", &resource("gadgets.example", "Gadget", "4")),
        ],
    );
    let good = run(&root, &cache, &["generate"]).assert_code(0);
    assert!(!good.stderr.contains("no schema to check"), "both kinds are checked: {}", good.stderr);
    assert!(!good.stderr.contains("unknown-kind"), "their scopes come from the CRDs: {}", good.stderr);
    let before = read_tree(&root.join("generated"));

    std::fs::write(root.join("res/widget.yaml"), resource("widgets.example", "Widget", "big")).unwrap();
    run(&root, &cache, &["generate"])
        .assert_code(2)
        .assert_stderr_contains(
            "error[hldc::crd::schema]: `Widget one` (component `app/res`): wrong type at `spec.size`",
        )
        .assert_stderr_contains("[res/widget.yaml:6:9]");
    std::fs::write(root.join("res/widget.yaml"), resource("widgets.example", "Widget", "3")).unwrap();

    std::fs::write(root.join("res/gadget.yaml"), resource("gadgets.example", "Gadget", "\"4\"")).unwrap();
    run(&root, &cache, &["generate"])
        .assert_code(2)
        .assert_stderr_contains(
            "error[hldc::crd::schema]: `Gadget one` (component `app/res`): wrong type at `spec.size`",
        )
        .assert_stderr_contains("[res/gadget.yaml:6:9]");
    assert_eq!(read_tree(&root.join("generated")), before, "refused runs leave the output as it was");

    // The git source is pinned like a component's, and `update` keeps its pin.
    let lock = std::fs::read_to_string(root.join("hldc.lock")).unwrap();
    assert!(lock.contains(&remote.file_url()), "{lock}");
    run(&root, &cache, &["update"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(root.join("hldc.lock")).unwrap(), lock);
}

#[test]
fn a_named_file_that_is_not_a_crd_or_leaves_the_hld_is_an_error_at_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            ("hldc.yaml", "crds:\n  - crds/\n"),
            ("crds/a.yaml", &crd("widgets.example", "Widget", "widgets")),
            ("crds/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
            ("component.yaml", "name: app\nsubcomponents:\n  - name: res\n    type: static\n    path: res\n"),
            ("res/widget.yaml", &resource("widgets.example", "Widget", "3")),
        ],
    );
    run(root, &dir.path().join("cache"), &["generate"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::project::not-a-crd]: `crds/b.yaml`, named in `hldc.yaml`")
        .assert_stderr_contains("hldc.yaml:2:5");
    std::fs::write(root.join("hldc.yaml"), "crds:\n  - ../elsewhere.yaml\n").unwrap();
    run(root, &dir.path().join("cache"), &["generate"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::source::escape]")
        .assert_stderr_contains("[hldc.yaml:2:5]");
}
