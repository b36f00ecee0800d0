//! `hldc promote`: a ring's config moves into the ring it is promoted to, in the file that
//! defines it, changing only those lines; then the diff summary. Real binary, real helm.

mod common;

use std::path::Path;

use common::{hldc, write_files};
use serde::Deserialize;

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
    assert_eq!(
        run.stdout,
        "promoted ring `canary` of `app/web` to `stable`\n\
         \x20 moved   image.tag: \"1.3.0-rc1\"  (config/prod.yaml)\n\
         \x20 moved   feature: \"on-ish\"  (config/prod.yaml)\n\
         prod: 1 changed, 0 added, 0 removed\n\
         metadata: .hldc/prod.json (they follow the HLD commit; not counted as changes)\n",
        "stable changes, canary renders as before"
    );

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
    assert!(
        run.stdout.ends_with("\nprod: 2 changed, 0 added, 0 removed\nmetadata: .hldc/prod.json (they follow the HLD commit; not counted as changes)\n"),
        "beta gains canary's values, canary loses them:\n{}",
        run.stdout
    );
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

/// A chart sized by `replicaCount`, with a canary ring whose config is in `config/<env>.yaml`
/// files given per test.
fn sized_hld(root: &Path, configs: &[(&str, &str)]) {
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("chart/values.yaml", "image: {tag: latest}\nfeature: off\nreplicaCount: 1\n"),
            (
                "chart/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  tag: {{ .Values.image.tag | quote }}\n  feature: {{ .Values.feature | quote }}\n  replicaCount: {{ .Values.replicaCount | quote }}\n",
            ),
        ],
    );
    write_files(root, configs);
}

const SIZED_PROD: &str = "\
subcomponents:
  web:
    config:
      replicaCount: 3
      image:
        tag: \"1.2.0\"
    rings:
      stable: {default: true}
      canary:
        config:
          replicaCount: 1
          image:
            tag: \"1.3.0\"
";

fn data_of(root: &Path, environment: &str, file: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(root.join("generated").join(environment).join(file)).unwrap();
    serde_yaml::from_str::<serde_yaml::Value>(&text).unwrap()["data"].clone()
}

#[test]
fn promotion_moves_the_release_and_leaves_each_rings_size_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    sized_hld(root, &[("config/prod.yaml", SIZED_PROD)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let canary_before = data_of(root, "prod", "web-canary.yaml");

    let run = hldc(root, &["promote", "prod", "web", "--from", "canary"]).assert_code(0);
    assert_eq!(
        run.stdout,
        "promoted ring `canary` of `app/web` to `stable`\n\
         \x20 moved   image.tag: \"1.3.0\"  (config/prod.yaml)\n\
         \x20 stayed  replicaCount: 1  (config/prod.yaml; kept by ring `canary` and `stable`)\n\
         prod: 1 changed, 0 added, 0 removed\n\
         metadata: .hldc/prod.json (they follow the HLD commit; not counted as changes)\n"
    );
    let expected = SIZED_PROD
        .replace("        tag: \"1.2.0\"\n", "        tag: \"1.3.0\"\n")
        .replace("          image:\n            tag: \"1.3.0\"\n", "");
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), expected);

    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(data_of(root, "prod", "web-canary.yaml"), canary_before, "the canary renders as before");
    let stable = data_of(root, "prod", "web.yaml");
    assert_eq!((stable["tag"].as_str(), stable["replicaCount"].as_str()), (Some("1.3.0"), Some("3")));
}

#[test]
fn hldc_yaml_says_which_keys_a_ring_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let prod =
        SIZED_PROD.replace("          replicaCount: 1\n", "          replicaCount: 1\n          feature: beta\n");
    sized_hld(
        root,
        &[
            ("config/prod.yaml", &prod),
            // canary keeps its feature flag; stable keeps nothing, so the size moves too.
            ("hldc.yaml", "rings:\n  canary:\n    keep: [feature]\n  stable:\n    keep: []\n"),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    let run = hldc(root, &["promote", "prod", "web", "--from", "canary"]).assert_code(0);
    assert!(run.stdout.contains("  moved   replicaCount: 1  (config/prod.yaml)\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("  stayed  feature: \"beta\"  (config/prod.yaml; kept by ring `canary`)\n"),
        "{}",
        run.stdout
    );
    let expected = prod
        .replace("      replicaCount: 3\n", "      replicaCount: 1\n")
        .replace("        tag: \"1.2.0\"\n", "        tag: \"1.3.0\"\n")
        .replace(
            "          replicaCount: 1\n          feature: beta\n          image:\n            tag: \"1.3.0\"\n",
            "          feature: beta\n",
        );
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), expected);

    // A keep key that is no key is an error at its line of hldc.yaml.
    write_files(root, &[("hldc.yaml", "rings:\n  canary:\n    keep: [\"a..b\"]\n")]);
    hldc(root, &["promote", "prod", "web", "--from", "canary"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::promote::keep]")
        .assert_stderr_contains("hldc.yaml:3:12");
    // A ring left with only what it keeps has nothing to promote.
    std::fs::remove_file(root.join("hldc.yaml")).unwrap();
    let only_size = SIZED_PROD.replace("          image:\n            tag: \"1.3.0\"\n", "");
    write_files(root, &[("config/prod.yaml", &only_size)]);
    hldc(root, &["promote", "prod", "web", "--from", "canary"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::promote::only-kept]: ring `canary` of component `app/web` sets only keys it keeps as its own: `replicaCount`");
    assert_eq!(std::fs::read_to_string(root.join("config/prod.yaml")).unwrap(), only_size);
}

const SHARED_COMMON: &str = "\
subcomponents:
  web:
    rings:
      stable: {default: true}
      canary:
        config:
          replicaCount: 1
          image:
            tag: \"1.3.0\"
          feature: beta
";

#[test]
fn a_ring_config_shared_with_other_environments_moves_only_with_shared_and_shows_every_diff() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let own = "subcomponents:\n  web:\n    config:\n      replicaCount: 3\n";
    sized_hld(root, &[("config/common.yaml", SHARED_COMMON), ("config/prod.yaml", own), ("config/dev.yaml", own)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    hldc(root, &["generate", "dev"]).assert_code(0);

    let refused = hldc(root, &["promote", "prod", "web", "--from", "canary"]).assert_code(2);
    refused
        .assert_stderr_contains(
            "error[hldc::promote::shared]: ring `canary` sets `image.tag`, `feature` in `config/common.yaml`, which `dev` reads too",
        )
        .assert_stderr_contains("config/common.yaml:9:18")
        .assert_stderr_contains("move these values of `subcomponents.web.rings.canary.config` into `config/prod.yaml`")
        .assert_stderr_contains("`--shared`");
    assert!(!refused.stderr.contains("`replicaCount`"), "a kept value is never in the way:\n{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(root.join("config/common.yaml")).unwrap(), SHARED_COMMON);

    let run = hldc(root, &["promote", "prod", "web", "--from", "canary", "--shared"]).assert_code(0);
    run.assert_stderr_contains("updated config/common.yaml (2 values of ring `canary` promoted)");
    assert!(
        run.stdout.ends_with("prod: 1 changed, 0 added, 0 removed\ndev: 1 changed, 0 added, 0 removed\nmetadata: .hldc/prod.json, .hldc/dev.json (they follow the HLD commit; not counted as changes)\n"),
        "every environment reading common.yaml is shown:\n{}",
        run.stdout
    );
    let expected = SHARED_COMMON.replace("          image:\n            tag: \"1.3.0\"\n          feature: beta\n", "");
    let common = std::fs::read_to_string(root.join("config/common.yaml")).unwrap();
    assert_eq!(common, format!("{expected}    config:\n      image:\n        tag: \"1.3.0\"\n      feature: beta\n"));
    hldc(root, &["generate", "dev"]).assert_code(0);
    assert_eq!(data_of(root, "dev", "web.yaml")["tag"].as_str(), Some("1.3.0"));
    assert_eq!(data_of(root, "dev", "web.yaml")["replicaCount"].as_str(), Some("3"));
}

#[test]
fn the_summary_in_json_lists_what_moved_what_stayed_and_each_diff() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    sized_hld(root, &[("config/prod.yaml", SIZED_PROD)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let run = hldc(root, &["promote", "prod", "web", "--from", "canary", "--output", "json"]).assert_code(0);
    let mut summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = summary.as_object_mut().unwrap().remove("diagnostics").unwrap();
    assert_eq!(diagnostics[0]["code"], "hldc::ring::no-service", "the diff's warnings: {diagnostics}");
    assert_eq!(
        summary,
        serde_json::json!({
            "ok": true,
            "component": "app/web",
            "from": "canary",
            "to": "stable",
            "files": ["config/prod.yaml"],
            "shared": [],
            "moved": [{"file": "config/prod.yaml", "key": "image.tag", "value": "1.3.0"}],
            "kept": [{"file": "config/prod.yaml", "key": "replicaCount", "value": 1, "keptBy": ["canary", "stable"]}],
            "environments": ["prod"],
            "diff": {
                "identical": false,
                "targets": [{"target": "prod", "summary": {"changed": 1, "added": 0, "removed": 0, "restamped": 0, "rollingPods": 0, "files": 0}}],
                "metadata": [".hldc/prod.json"],
            },
        })
    );
    // A refusal is JSON too.
    let refused = hldc(root, &["promote", "prod", "web", "--from", "beta", "--output", "json"]).assert_code(2);
    let refused: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["diagnostics"][0]["code"], "hldc::promote::unknown-ring");
}

#[test]
fn promoting_the_bundled_examples_canary_keeps_prods_three_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::copy_tree(&common::repo().join("examples/fabrikam-trivia"), root);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let before = std::fs::read_to_string(root.join("config/prod.yaml")).unwrap();
    let run = hldc(root, &["promote", "prod", "trivia-api", "--from", "canary"]).assert_code(0);
    assert!(run.stdout.contains("  moved   image.tag: \"1.5.0-rc.1\"  (config/prod.yaml)\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  stayed  replicaCount: 1  (config/prod.yaml;"), "{}", run.stdout);
    let after = std::fs::read_to_string(root.join("config/prod.yaml")).unwrap();
    assert_eq!(
        after,
        before
            .replace(
                "        tag: \"1.4.2\"\n      env:\n        - name: ASPNETCORE_URLS",
                "        tag: \"1.5.0-rc.1\"\n      env:\n        - name: ASPNETCORE_URLS"
            )
            .replace(
                "          replicaCount: 1\n          image:\n            tag: \"1.5.0-rc.1\"\n",
                "          replicaCount: 1\n"
            ),
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    for cluster in ["east-us", "west-us"] {
        let text = std::fs::read_to_string(root.join("generated/prod").join(cluster).join("trivia-api.yaml")).unwrap();
        let deployment = serde_yaml::Deserializer::from_str(&text)
            .map(|document| serde_yaml::Value::deserialize(document).unwrap())
            .find(|object| object["kind"] == "Deployment")
            .expect("a Deployment");
        assert_eq!(deployment["spec"]["replicas"], 3, "{cluster}");
    }
}

#[test]
fn promoting_for_one_cluster_in_the_environments_file_shows_every_cluster_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cluster_own =
        "subcomponents:\n  web:\n    rings:\n      canary:\n        config:\n          feature: east-only\n";
    sized_hld(
        root,
        &[
            ("hldc.yaml", "environments:\n  prod: {clusters: [east, west]}\nrings: {routing: none}\n"),
            ("config/prod.yaml", SIZED_PROD),
            ("config/east.yaml", cluster_own),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    // The canary's tag is prod's, so west changes too; its feature flag is east's alone.
    let run = hldc(root, &["promote", "prod", "web", "--from", "canary", "--cluster", "east"]).assert_code(0);
    run.assert_stderr_contains("updated config/east.yaml, config/prod.yaml (2 values of ring `canary` promoted)");
    assert!(
        run.stdout.ends_with("prod/east: 1 changed, 0 added, 0 removed\nprod/west: 1 changed, 0 added, 0 removed\nmetadata: .hldc/prod/east.json, .hldc/prod/west.json (they follow the HLD commit; not counted as changes)\n"),
        "{}",
        run.stdout
    );
    let east = std::fs::read_to_string(root.join("config/east.yaml")).unwrap();
    assert_eq!(east, "subcomponents:\n  web:\n    rings:\n      canary: {}\n    config:\n      feature: east-only\n");
    // With only the cluster's own file to edit, only that cluster's diff is shown.
    write_files(root, &[("config/east.yaml", cluster_own)]);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let run = hldc(root, &["promote", "prod", "web", "--from", "canary", "--cluster", "east"]).assert_code(0);
    assert!(
        run.stdout.ends_with("\nprod/east: 1 changed, 0 added, 0 removed\nmetadata: .hldc/prod/east.json (they follow the HLD commit; not counted as changes)\n"),
        "{}",
        run.stdout
    );
}
