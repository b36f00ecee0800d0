//! A container's (`type: component`) settings apply to its whole subtree, under each
//! component's own; what nothing would read is said, never ignored. Through the real binary
//! and helm.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{hldc, write_files};
use serde::Deserialize;
use serde_yaml::Value;

/// A root container whose config sets everything a subtree takes, over a helm chart (`api`), a
/// static component (`web`, with labels and a namespace of its own) and a group (`infra`) holding
/// a static ConfigMap, which its parent's block gives a namespace of its own.
const HLD: &[(&str, &str)] = &[
    (
        "component.yaml",
        "name: shop\nsubcomponents:\n  - name: api\n    type: helm\n    path: chart\n  - name: web\n    type: static\n    path: web\n  - name: infra\n    subcomponents:\n      - name: settings\n        type: static\n        path: settings\n",
    ),
    (
        "config/common.yaml",
        r#"namespace: shop
injectNamespace: true
commonLabels: {team: shop, tier: all}
podAnnotations: {owner: shop}
trace: {ciBuild: "7"}
helm: {kubeVersion: "1.30.0"}
patches:
  history:
    target: {kind: Deployment}
    patch: [{op: add, path: /spec/revisionHistoryLimit, value: 2}]
subcomponents:
  web:
    namespace: storefront
    commonLabels: {tier: web}
  infra:
    namespace: infra
"#,
    ),
    ("chart/Chart.yaml", "apiVersion: v2\nname: api\nversion: 0.1.0\n"),
    (
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  annotations: {kube: {{ .Capabilities.KubeVersion.Version | quote }}, release-namespace: {{ .Release.Namespace }}}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: \"api:1\"}]}\n",
    ),
    (
        "web/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: \"web:1\"}]}\n",
    ),
    ("settings/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"),
];

fn hld() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), HLD);
    dir
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

/// The objects of one generated file, by `kind/name`.
fn objects(path: &Path) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|value| !value.is_null())
        .map(|value| {
            (format!("{}/{}", value["kind"].as_str().unwrap(), value["metadata"]["name"].as_str().unwrap()), value)
        })
        .collect()
}

#[test]
fn a_containers_settings_reach_every_component_below_it_under_their_own() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "common"]).assert_code(0);
    let out = root.join("generated/common");

    // helm: the container's namespace, kube version, labels, pod annotations, patch and trace.
    let api = &objects(&out.join("api.yaml"))["Deployment/api"];
    assert_eq!(api["metadata"]["namespace"], yaml("shop"));
    assert_eq!(api["metadata"]["annotations"]["release-namespace"], yaml("shop"));
    assert_eq!(api["metadata"]["annotations"]["kube"], yaml("v1.30.0"));
    assert_eq!(api["metadata"]["labels"], yaml("{team: shop, tier: all}"));
    assert_eq!(api["spec"]["revisionHistoryLimit"], yaml("2"));
    assert_eq!(api["spec"]["template"]["metadata"]["annotations"]["owner"], yaml("shop"));
    assert_eq!(api["spec"]["template"]["metadata"]["annotations"]["hldc.io/ci-build"], yaml("\"7\""));

    // static: its own namespace and `tier` win; the container's `team` and the rest still apply.
    let web = &objects(&out.join("web.yaml"))["Deployment/web"];
    assert_eq!(web["metadata"]["namespace"], yaml("storefront"));
    assert_eq!(web["metadata"]["labels"], yaml("{team: shop, tier: web}"));
    assert_eq!(web["spec"]["revisionHistoryLimit"], yaml("2"));
    assert_eq!(web["spec"]["template"]["metadata"]["annotations"]["owner"], yaml("shop"));

    // Two levels down, through a group whose parent gives it a namespace: the group's wins, the
    // root's labels reach it; the patch matches nothing here, and that is fine (it matched above).
    let settings = &objects(&out.join("infra/settings.yaml"))["ConfigMap/settings"];
    assert_eq!(settings["metadata"]["namespace"], yaml("infra"));
    assert_eq!(settings["metadata"]["labels"], yaml("{team: shop, tier: all}"));

    // `hldc config` and `hldc tree` see the same, each value at the line of the file that set it.
    let config = hldc(root, &["config", "common", "shop/infra/settings"]).assert_code(0);
    assert_eq!(
        config.stdout,
        "shop/infra/settings
  commonLabels.team: shop                                    # config/common.yaml:3
  commonLabels.tier: all                                     # config/common.yaml:3
  helm.kubeVersion: \"1.30.0\"                                 # config/common.yaml:6
  injectNamespace: true                                      # config/common.yaml:2
  namespace: infra                                           # config/common.yaml:16
  patches.history.patch[0].op: add                           # config/common.yaml:10
  patches.history.patch[0].path: /spec/revisionHistoryLimit  # config/common.yaml:10
  patches.history.patch[0].value: 2                          # config/common.yaml:10
  patches.history.target.kind: Deployment                    # config/common.yaml:9
  podAnnotations.owner: shop                                 # config/common.yaml:4
  trace.ciBuild: \"7\"                                         # config/common.yaml:5
"
    );
    // One key: the group's namespace in effect, the root's under it.
    let namespace = hldc(root, &["config", "common", "shop/infra/settings", "namespace"]).assert_code(0);
    assert_eq!(
        namespace.stdout,
        "shop/infra/settings\n  namespace: infra  # config/common.yaml:16\n  namespace: shop   # config/common.yaml:1 (shadowed)\n"
    );
    let tree = hldc(root, &["tree", "common"]).assert_code(0);
    assert_eq!(
        tree.stdout,
        "shop component . namespace=shop
├── shop/api helm chart@0.1.0 namespace=shop engine=native (helm.engine: auto, the engine renders it)
├── shop/web static web namespace=storefront
└── shop/infra component . namespace=infra
    └── shop/infra/settings static settings namespace=infra
"
    );
}

#[test]
fn a_containers_patch_is_an_error_only_when_it_matches_nothing_below_it() {
    let hld = hld();
    let root = hld.path();
    // A lower component's patch of the same name replaces the container's, there only.
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "subcomponents:\n  web:\n    patches:\n      history:\n        target: {kind: Deployment}\n        patch: [{op: add, path: /spec/revisionHistoryLimit, value: 9}]\n",
        )],
    );
    hldc(root, &["generate", "dev"]).assert_code(0);
    let out = root.join("generated/dev");
    assert_eq!(objects(&out.join("web.yaml"))["Deployment/web"]["spec"]["revisionHistoryLimit"], yaml("9"));
    assert_eq!(objects(&out.join("api.yaml"))["Deployment/api"]["spec"]["revisionHistoryLimit"], yaml("2"));

    // A target no component below it renders: the error of a component's own patch, at its line.
    let common = HLD[1].1.replace("target: {kind: Deployment}", "target: {kind: Deploymnet}");
    write_files(root, &[("config/common.yaml", &common)]);
    let before = common::read_tree(&out);
    hldc(root, &["generate", "dev"])
        .assert_code(2)
        .assert_stderr_contains(
            "error[hldc::patch::no-match]: patch `history` of `shop` matches no object of any component below it",
        )
        .assert_stderr_contains("config/common.yaml:8:3")
        .assert_stderr_contains("`shop/api`, `shop/infra/settings`");
    assert_eq!(common::read_tree(&out), before);
}

#[test]
fn values_nothing_reads_are_warnings_in_generate_and_errors_in_validate() {
    let hld = hld();
    let root = hld.path();
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "config: {replicaCount: 2}\nhelm: {releaseName: shop}\nsubcomponents:\n  web:\n    config:\n      replicas: 2\n  api:\n    config: {replicaCount: 3}\n",
        )],
    );
    let generate = hldc(root, &["generate", "dev"]).assert_code(0);
    generate
        .assert_stderr_contains(
            "warning[hldc::config::unused-values]: `config` of static component `shop/web` is used by nothing",
        )
        .assert_stderr_contains("config/dev.yaml:5:5")
        .assert_stderr_contains("warning[hldc::config::unused-values]: `config` of container `shop` is used by nothing")
        .assert_stderr_contains("config/dev.yaml:1:1")
        .assert_stderr_contains(
            "warning[hldc::config::container-release-name]: `helm.releaseName` of container `shop` names no release",
        );
    // The helm component's values are its chart's: no word about them; the release keeps its name.
    assert_eq!(generate.stderr.matches("unused-values").count(), 2, "{}", generate.stderr);
    assert!(root.join("generated/dev/api.yaml").exists());
    hldc(root, &["validate"])
        .assert_code(1)
        .assert_stderr_contains("error[hldc::config::unused-values]: `config` of static component `shop/web`")
        .assert_stderr_contains("error[hldc::config::container-release-name]");
}
