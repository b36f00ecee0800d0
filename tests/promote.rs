//! `hldc promote`: a ring's config moves into the ring it is promoted to, in the file that
//! defines it, changing only those lines; then the diff summary. Real binary, real helm.

mod common;

use std::path::Path;

use common::{hldc, write_files};

const PROD: &str = "\
# production
subcomponents:
  web:
    # stable settings
    config:
      replicas: 3   # three zones
      image:
        tag: \"1.2.0\"
    rings:
      stable:
        default: true
      # flighting
      canary:
        config:
          image:
            tag: \"1.3.0-rc1\"   # candidate
          feature: on-ish
    helm:
      skipTests: true
";

fn hld(root: &Path) {
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("chart/values.yaml", "image: {tag: latest}\nfeature: off\nreplicas: 1\n"),
            (
                "chart/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  tag: {{ .Values.image.tag | quote }}\n  feature: {{ .Values.feature | quote }}\n  replicas: {{ .Values.replicas | quote }}\n",
            ),
            ("config/common.yaml", "subcomponents:\n  web:\n    config:\n      image:\n        tag: \"1.0.0\"\n"),
            ("config/prod.yaml", PROD),
        ],
    );
}

fn data(root: &Path, file: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(root.join("generated/prod").join(file)).unwrap();
    serde_yaml::from_str::<serde_yaml::Value>(&text).unwrap()["data"].clone()
}

#[test]
fn promoting_canary_moves_its_config_into_the_default_ring_changing_only_those_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hld(root);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let canary_before = data(root, "web-canary.yaml");

    let run = hldc(root, &["promote", "prod", "web", "--from", "canary"]).assert_code(0);
    run.assert_stderr_contains("updated config/prod.yaml (2 values of ring `canary` promoted)");
    assert_eq!(run.stdout, "prod: 1 changed, 0 added, 0 removed\n", "stable changes, canary renders as before");

    let expected = PROD
        .replace("        tag: \"1.2.0\"\n", "        tag: \"1.3.0-rc1\"\n      feature: on-ish\n")
        .replace(
            "      canary:\n        config:\n          image:\n            tag: \"1.3.0-rc1\"   # candidate\n          feature: on-ish\n",
            "      canary: {}\n",
        );
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), expected);

    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(data(root, "web-canary.yaml"), canary_before);
    assert_eq!(data(root, "web.yaml"), canary_before, "stable now renders what canary did");
}

#[test]
fn unknown_rings_and_rings_without_config_are_errors_and_leave_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hld(root);
    hldc(root, &["promote", "prod", "web", "--from", "beta"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::promote::unknown-ring]: component `app/web` has no ring `beta` in `prod`")
        .assert_stderr_contains("its rings are: canary, stable");
    hldc(root, &["promote", "prod", "web", "--from", "stable", "--to", "canary"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::promote::nothing]");
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), PROD);
}

#[test]
fn promoting_to_a_named_ring_writes_into_that_rings_block() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hld(root);
    let with_beta = PROD.replace("      # flighting\n", "      beta: {}  # next\n      # flighting\n");
    write_files(root, &[("config/prod.yaml", &with_beta)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let run = hldc(root, &["promote", "prod", "web", "--from", "canary", "--to", "beta"]).assert_code(0);
    assert_eq!(run.stdout, "prod: 2 changed, 0 added, 0 removed\n", "beta gains canary's values, canary loses them");
    let expected = with_beta
        .replace(
            "      beta: {}  # next\n",
            "      beta:  # next\n        config:\n          image:\n            tag: \"1.3.0-rc1\"\n          feature: on-ish\n",
        )
        .replace(
            "      canary:\n        config:\n          image:\n            tag: \"1.3.0-rc1\"   # candidate\n          feature: on-ish\n",
            "      canary: {}\n",
        );
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), expected);
}
