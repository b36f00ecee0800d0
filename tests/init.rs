//! `hldc init`: a new HLD that validates and generates as it is.

mod common;

use common::{hldc, read_tree, write_files};

#[test]
fn init_then_validate_then_generate_works() {
    let dir = tempfile::tempdir().unwrap();
    hldc(dir.path(), &["init", "shop"]).assert_code(0);
    let hld = dir.path().join("shop");
    hldc(&hld, &["validate"]).assert_code(0).assert_stderr_contains("the HLD is valid");
    hldc(&hld, &["validate", "prod", "--rendered"]).assert_code(0);
    hldc(&hld, &["generate", "prod"]).assert_code(0);
    let output = std::fs::read_to_string(hld.join("generated/prod/hello.yaml")).unwrap();
    assert!(output.contains("kind: ConfigMap") && output.contains("namespace: hello"), "{output}");
    assert!(std::fs::read_to_string(hld.join("README.md")).unwrap().contains("generated/"));
    // The schemas are the HLD's, committed with it; `.hldc/` is generate's, beside the output.
    assert!(hld.join("schemas/component.schema.json").is_file());
    let records: Vec<String> = read_tree(&hld.join(".hldc")).into_keys().collect();
    assert_eq!(records, ["prod.json"], "only trace records under .hldc/");
}

#[test]
fn every_modeline_points_at_the_schema_hldc_checks_the_file_with() {
    let dir = tempfile::tempdir().unwrap();
    hldc(dir.path(), &["init"]).assert_code(0);
    let mut checked = 0;
    for (path, text) in read_tree(dir.path()) {
        if !path.ends_with(".yaml") || path.starts_with("manifests/") {
            continue;
        }
        let text = String::from_utf8(text).unwrap();
        let first = text.lines().next().unwrap();
        let target =
            first.strip_prefix("# yaml-language-server: $schema=").unwrap_or_else(|| panic!("{path}: {first}"));
        let schema_file = dir.path().join(&path).parent().unwrap().join(target);
        let name = if path == "component.yaml" {
            "component"
        } else if path == "hldc.yaml" {
            "project"
        } else {
            "config"
        };
        let shipped = hldc(dir.path(), &["schema", name]).assert_code(0).stdout;
        assert_eq!(std::fs::read_to_string(&schema_file).unwrap(), shipped, "{path} → {target}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn init_refuses_a_directory_that_holds_anything() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("notes.txt", "mine\n")]);
    let before = read_tree(dir.path());
    hldc(dir.path(), &["init"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::init::not-empty]")
        .assert_stderr_contains("help:");
    assert_eq!(read_tree(dir.path()), before);
}
