//! Clusters (`environments:` in hldc.yaml) and `hldc config`, through the real binary and helm.

mod common;

use std::path::Path;

use common::{hldc, read_tree, write_files};
use serde_yaml::Value;

/// An HLD whose `prod` runs in two clusters: a helm component at the root, one in a directory
/// component (`infra`, with a cluster file of its own), and a static one.
const HLD: &[(&str, &str)] = &[
    ("hldc.yaml", "environments:\n  prod:\n    clusters: [east-us, west-us]\n  dev: {}\n"),
    (
        "component.yaml",
        "name: app\nsubcomponents:\n  - name: svc\n    type: helm\n    path: chart\n  - name: infra\n    type: component\n    path: infra\n  - name: web\n    type: static\n    path: web\n",
    ),
    ("config/common.yaml", "subcomponents:\n  svc:\n    config:\n      region: none\n      tier: common\n      replicas: 1\n"),
    ("config/prod.yaml", "subcomponents:\n  svc:\n    config:\n      region: prod\n      tier: prod\n"),
    ("config/dev.yaml", "subcomponents:\n  svc:\n    config:\n      tier: dev\n"),
    (
        "config/east-us.yaml",
        "subcomponents:\n  svc:\n    config:\n      region: east\n    helm:\n      kubeVersion: \"1.30.0\"\n",
    ),
    ("infra/component.yaml", "name: infra\nsubcomponents:\n  - name: mon\n    type: helm\n    path: ../chart\n"),
    ("infra/config/common.yaml", "subcomponents:\n  mon:\n    config:\n      cluster: any\n"),
    ("infra/config/west-us.yaml", "subcomponents:\n  mon:\n    config:\n      cluster: west\n"),
    ("web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
    ("chart/Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
    (
        "chart/templates/values.yaml",
        "apiVersion: hldc.test/v1\nkind: Values\nmetadata:\n  name: {{ .Release.Name }}\nkube: {{ .Capabilities.KubeVersion.Version | quote }}\nvalues:\n{{ toYaml .Values | indent 2 }}\n",
    ),
];

fn hld() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), HLD);
    dir
}

/// The first document of a generated file.
fn rendered(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let first = serde_yaml::Deserializer::from_str(&text).next().expect("a document");
    serde::Deserialize::deserialize(first).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    read_tree(dir).into_keys().collect()
}

#[test]
fn every_cluster_renders_into_its_own_directory_with_its_layer_above_the_environment() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(
        files(&root.join("generated")),
        [
            "prod/east-us/infra/mon.yaml",
            "prod/east-us/svc.yaml",
            "prod/east-us/web.yaml",
            "prod/west-us/infra/mon.yaml",
            "prod/west-us/svc.yaml",
            "prod/west-us/web.yaml",
        ]
    );
    let east = rendered(&root.join("generated/prod/east-us/svc.yaml"));
    assert_eq!(east["values"], yaml("{region: east, tier: prod, replicas: 1}"));
    // The cluster's `helm:` settings apply to its render only.
    assert_eq!(east["kube"], yaml("v1.30.0"));
    let west = rendered(&root.join("generated/prod/west-us/svc.yaml"));
    assert_eq!(west["values"], yaml("{region: prod, tier: prod, replicas: 1}"));
    assert_eq!(west["kube"], yaml("v1.34.0"));
    // A cluster file deep in the tree is a layer of its component like an environment file.
    assert_eq!(rendered(&root.join("generated/prod/west-us/infra/mon.yaml"))["values"], yaml("{cluster: west}"));
    assert_eq!(rendered(&root.join("generated/prod/east-us/infra/mon.yaml"))["values"], yaml("{cluster: any}"));
}

#[test]
fn an_environment_without_clusters_keeps_the_plain_layout() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "dev"]).assert_code(0);
    assert_eq!(files(&root.join("generated")), ["dev/infra/mon.yaml", "dev/svc.yaml", "dev/web.yaml"]);
    assert_eq!(
        rendered(&root.join("generated/dev/svc.yaml"))["values"],
        yaml("{region: none, tier: dev, replicas: 1}")
    );
}

/// A cluster dropped from hldc.yaml: `generate` deletes its directory, and with
/// `--flux-kustomizations` the Kustomization it wrote for it, which Flux on that cluster would
/// otherwise keep applying from a path that is gone. Flux's own files stay, and so does a
/// `hldc.yaml` hldc did not write.
#[test]
fn a_dropped_clusters_flux_kustomization_goes_with_its_directory() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "prod", "--flux-kustomizations"]).assert_code(0);
    write_files(
        root,
        &[
            ("clusters/west-us/flux-system/gotk-sync.yaml", "# Flux's bootstrap\n"),
            ("clusters/mine/hldc.yaml", "# by hand: ./generated/prod/mine\n"),
        ],
    );
    write_files(root, &[("hldc.yaml", "environments:\n  prod:\n    clusters: [east-us]\n  dev: {}\n")]);
    std::fs::remove_file(root.join("infra/config/west-us.yaml")).unwrap();
    let run = hldc(root, &["generate", "prod", "--flux-kustomizations"]).assert_code(0);
    run.assert_stderr_contains("removed clusters/west-us/hldc.yaml: its output is gone");
    assert!(!root.join("clusters/west-us/hldc.yaml").exists() && !root.join("generated/prod/west-us").exists());
    assert!(root.join("clusters/west-us/flux-system/gotk-sync.yaml").exists(), "Flux's files are not hldc's");
    assert!(root.join("clusters/mine/hldc.yaml").exists() && root.join("clusters/east-us/hldc.yaml").exists());
}

/// Two environments hldc.yaml declares apart, named together, are layered into one output as
/// Fabrikate did: rendered, and said, since the user more likely meant each of them.
#[test]
fn two_declared_environments_named_together_are_layered_and_said_so() {
    let hld = hld();
    let root = hld.path();
    let run = hldc(root, &["generate", "dev", "prod"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::project::layered-environments]: `dev` and `prod` are environments of their own in hldc.yaml, layered here into one output, `generated/dev-prod`")
        .assert_stderr_contains("run `hldc generate dev` and `hldc generate prod`");
    let alone = hldc(root, &["generate", "dev"]).assert_code(0);
    assert!(!alone.stderr.contains("layered-environments"), "{}", alone.stderr);
}

#[test]
fn cluster_option_renders_only_that_cluster_and_leaves_the_others_byte_identical() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    std::fs::write(root.join("generated/prod/west-us/by-hand.txt"), "not hldc's").unwrap();
    let west_before = read_tree(&root.join("generated/prod/west-us"));
    write_files(root, &[("config/east-us.yaml", "subcomponents:\n  svc:\n    config:\n      region: east-2\n")]);
    write_files(root, &[("config/prod.yaml", "subcomponents:\n  svc:\n    config:\n      tier: changed\n")]);
    hldc(root, &["generate", "prod", "--cluster", "east-us"]).assert_code(0);
    assert_eq!(read_tree(&root.join("generated/prod/west-us")), west_before);
    assert_eq!(
        rendered(&root.join("generated/prod/east-us/svc.yaml"))["values"],
        yaml("{region: east-2, tier: changed, replicas: 1}")
    );
    // Without `--cluster` the environment's directory is replaced whole.
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(!root.join("generated/prod/west-us/by-hand.txt").exists());
    assert_eq!(rendered(&root.join("generated/prod/west-us/svc.yaml"))["values"]["tier"], yaml("changed"));
}

#[test]
fn unknown_clusters_and_clusters_named_as_environments_are_errors() {
    let hld = hld();
    let root = hld.path();
    let run = hldc(root, &["generate", "prod", "--cluster", "east-su"]).assert_code(2);
    run.assert_stderr_contains("`east-su` is not a cluster of `prod`")
        .assert_stderr_contains("did you mean `east-us`?");
    hldc(root, &["generate", "dev", "--cluster", "east-us"])
        .assert_code(2)
        .assert_stderr_contains("`east-us` is a cluster of `prod`: run it with `prod --cluster east-us`");
    hldc(root, &["generate", "east-us"])
        .assert_code(2)
        .assert_stderr_contains("`east-us` is a cluster of environment `prod`, not an environment");
    assert!(!root.join("generated").exists());
}

#[test]
fn project_file_mistakes_point_at_their_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        ("environments:\n  prod:\n    clusters: [a]\n    region: x\n", "hldc.yaml:4:5", "unknown field `region`"),
        ("environments:\n  prod: {clusters: [a]}\n  prod: {}\n", "hldc.yaml:3:", "duplicate"),
        ("environments:\n  prod:\n    clusters: [a, b, a]\n", "hldc.yaml:3:22", "cluster `a` is listed twice"),
        (
            "environments:\n  dev: {clusters: [a]}\n  prod:\n    clusters:\n      - a\n",
            "hldc.yaml:5:9",
            "cluster `a` is listed twice",
        ),
        (
            "environments:\n  prod: {clusters: [dev]}\n  dev: {}\n",
            "hldc.yaml:2:21",
            "`dev` is both an environment and a cluster of `prod`",
        ),
        ("environments:\n  prod: {clusters: [common]}\n", "hldc.yaml:2:21", "`common` cannot be a cluster"),
        ("environments:\n  common: {}\n", "hldc.yaml:2:3", "`common` cannot be an environment"),
    ];
    let mut failures = Vec::new();
    for (text, at, message) in cases {
        let hld = hld();
        write_files(hld.path(), &[("hldc.yaml", text)]);
        let (run, wrong) = hldc(hld.path(), &["generate", "prod"]).check_code(2);
        let located = run.stderr.lines().any(|line| line.contains(&format!("--> {at}")) || line.contains(at));
        if wrong.is_some() || !located || !run.stderr.contains(message) {
            failures.push(format!("{text:?}: want {at} {message:?}, {wrong:?}\n{}", run.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn config_names_the_file_and_line_that_set_each_value() {
    let hld = hld();
    let root = hld.path();
    let run = hldc(root, &["config", "prod", "--cluster", "east-us"]).assert_code(0);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("config__prod_east-us", run.stdout);
    });
    // Without the cluster, its file is no layer; one component by its path or its name.
    let by_path = hldc(root, &["config", "prod", "app/svc"]).assert_code(0);
    assert_eq!(
        by_path.stdout,
        "app/svc\n  config.region: prod  # config/prod.yaml:4\n  config.replicas: 1   # config/common.yaml:6\n  config.tier: prod    # config/prod.yaml:5\n"
    );
    let by_name = hldc(root, &["config", "prod", "--cluster", "west-us", "mon"]).assert_code(0);
    assert_eq!(by_name.stdout, "app/infra/mon\n  config.cluster: west  # infra/config/west-us.yaml:4\n");
    // JSON: every leaf with its typed value, file and line.
    let json = hldc(root, &["config", "prod", "--cluster", "east-us", "svc", "--output", "json"]).assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        json["components"][0]["values"][1],
        serde_json::json!({"key": "config.replicas", "value": 1, "file": "config/common.yaml", "line": 6, "shadowed": false})
    );
    assert_eq!(json["components"][0]["ring"], serde_json::Value::Null);
    hldc(root, &["config", "prod", "sv"])
        .assert_code(2)
        .assert_stderr_contains("no component `sv` is enabled in `prod`")
        .assert_stderr_contains("did you mean `svc`?");
    hldc(root, &["config", "east-us"]).assert_code(2).assert_stderr_contains("is a cluster of environment `prod`");
    // One key: the value in effect, then every value it shadows, in order.
    let key = hldc(root, &["config", "prod", "--cluster", "east-us", "svc", "config.region"]).assert_code(0);
    assert_eq!(
        key.stdout,
        "app/svc\n  config.region: east  # config/east-us.yaml:4\n  config.region: prod  # config/prod.yaml:4 (shadowed)\n  config.region: none  # config/common.yaml:4 (shadowed)\n"
    );
    hldc(root, &["config", "prod", "svc", "config.regoin"])
        .assert_code(2)
        .assert_stderr_contains("no config file sets `config.regoin` for component `app/svc`")
        .assert_stderr_contains("did you mean `config.region`?");
}

#[test]
fn a_key_that_names_no_setting_is_a_value_under_config() {
    let hld = hld();
    let root = hld.path();
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "namespace: apps\nsubcomponents:\n  svc:\n    config:\n      tier: dev\n      namespace: values-ns\n",
        )],
    );
    // `replicas` is no setting beside `config`: it is `config.replicas`, named so in the answer.
    let replicas = hldc(root, &["config", "prod", "svc", "replicas"]).assert_code(0);
    assert_eq!(replicas.stdout, "app/svc\n  config.replicas: 1  # config/common.yaml:6\n");
    let tier = hldc(root, &["config", "dev", "svc", "tier"]).assert_code(0);
    assert_eq!(
        tier.stdout,
        "app/svc\n  config.tier: dev     # config/dev.yaml:5\n  config.tier: common  # config/common.yaml:5 (shadowed)\n"
    );
    // A setting's name keeps meaning the setting (here passed down from the root container).
    let namespace = hldc(root, &["config", "dev", "svc", "namespace"]).assert_code(0);
    assert_eq!(namespace.stdout, "app/svc\n  namespace: apps  # config/dev.yaml:1\n");
    hldc(root, &["config", "prod", "svc", "replicsa"])
        .assert_code(2)
        .assert_stderr_contains("no config file sets `replicsa` (`config.replicsa`) for component `app/svc`")
        .assert_stderr_contains("did you mean `config.replicas`?");
}

#[test]
fn validate_checks_each_cluster_of_an_environment_not_clusters_alone() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["validate", "--rendered"])
        .assert_code(0)
        .assert_stderr_contains("environments: common, dev, prod/east-us, prod/west-us)");
    hldc(root, &["validate", "prod"])
        .assert_code(0)
        .assert_stderr_contains("environments: prod/east-us, prod/west-us)");
    hldc(root, &["validate", "west-us"])
        .assert_code(1)
        .assert_stderr_contains("`west-us` is a cluster of environment `prod`");
}

#[test]
fn a_ringed_helm_component_renders_once_per_ring_over_its_environment_and_cluster_values() {
    let hld = hld();
    let root = hld.path();
    write_files(
        root,
        &[
            (
                "config/common.yaml",
                "subcomponents:\n  svc:\n    config:\n      region: none\n      tier: common\n    rings:\n      stable: {default: true}\n      canary:\n        config: {tier: canary}\n      beta:\n        config: {tier: beta}\n",
            ),
            // A higher layer removes a ring and gives another a value of its own.
            ("config/prod.yaml", "subcomponents:\n  svc:\n    config:\n      region: prod\n    rings:\n      beta: null\n"),
            ("config/east-us.yaml", "subcomponents:\n  svc:\n    rings:\n      canary:\n        config: {region: east-canary}\n"),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    let east = root.join("generated/prod/east-us");
    assert_eq!(files(&east), ["infra/mon.yaml", "svc-canary.yaml", "svc.yaml", "web.yaml"]);
    let stable = rendered(&east.join("svc.yaml"));
    assert_eq!(stable["metadata"]["name"], yaml("svc"));
    assert_eq!(stable["values"], yaml("{region: prod, tier: common}"));
    let canary = rendered(&east.join("svc-canary.yaml"));
    assert_eq!(canary["metadata"]["name"], yaml("svc-canary"));
    assert_eq!(canary["values"], yaml("{region: east-canary, tier: canary}"));
    assert_eq!(
        rendered(&root.join("generated/prod/west-us/svc-canary.yaml"))["values"],
        yaml("{region: prod, tier: canary}")
    );
    // `hldc config` shows each ring with the files that set its values.
    let shown = hldc(root, &["config", "prod", "--cluster", "east-us", "svc"]).assert_code(0);
    assert!(
        shown.stdout.contains("app/svc (ring canary)\n")
            && shown.stdout.contains("config.region: east-canary  # config/east-us.yaml:5")
            && shown.stdout.contains("config.tier: canary         # config/common.yaml:9"),
        "{}",
        shown.stdout
    );
    // `--ring` shows one ring, the ring's own block on top with its file:line.
    let canary = hldc(root, &["config", "prod", "--cluster", "east-us", "--ring", "canary", "svc"]).assert_code(0);
    assert_eq!(
        canary.stdout,
        "app/svc (ring canary)\n  config.region: east-canary  # config/east-us.yaml:5\n  config.tier: canary         # config/common.yaml:9\n"
    );
    let key = ["config", "prod", "--ring", "canary", "svc", "config.tier", "--output", "json"];
    let json: serde_json::Value = serde_json::from_str(&hldc(root, &key).assert_code(0).stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"components": [{"component": "app/svc", "ring": "canary", "values": [
            {"key": "config.tier", "value": "canary", "file": "config/common.yaml", "line": 9, "shadowed": false},
            {"key": "config.tier", "value": "common", "file": "config/common.yaml", "line": 5, "shadowed": true},
        ]}]})
    );
    hldc(root, &["config", "prod", "--ring", "beta", "svc"])
        .assert_code(2)
        .assert_stderr_contains("component `svc` has no ring `beta`")
        .assert_stderr_contains("choose among the rings: canary, stable");
    hldc(root, &["config", "prod", "--ring", "canary", "web"])
        .assert_code(2)
        .assert_stderr_contains("component `web` has no rings");
    // Without a default ring, or with two, nothing renders.
    write_files(root, &[("config/prod.yaml", "subcomponents:\n  svc:\n    rings:\n      canary: {default: true}\n")]);
    hldc(root, &["generate", "prod"])
        .assert_code(2)
        .assert_stderr_contains("component `app/svc` has 2 default rings (canary, stable)")
        .assert_stderr_contains("config/prod.yaml:4:25")
        .assert_stderr_contains("ring `stable` is a default too");
    write_files(root, &[("config/prod.yaml", "subcomponents:\n  svc:\n    rings:\n      stable: null\n")]);
    hldc(root, &["generate", "prod"]).assert_code(2).assert_stderr_contains("component `app/svc` has no default ring");
    write_files(root, &[("config/prod.yaml", "subcomponents:\n  infra:\n    rings:\n      a: {default: true}\n")]);
    hldc(root, &["generate", "prod"])
        .assert_code(2)
        .assert_stderr_contains("component `app/infra` has rings, but renders no manifests of its own")
        .assert_stderr_contains("config/prod.yaml:3:5");
}

#[test]
fn a_ringed_component_with_a_service_gets_an_httproute_choosing_the_ring_by_header() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("hldc.yaml", "rings:\n  header: x-ring\n  gateway: {name: public, namespace: gateway}\n"),
            ("component.yaml", "name: app\nsubcomponents:\n  - name: api\n    type: helm\n    path: chart\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  api:\n    namespace: shop\n    injectNamespace: true\n    ringRoute: {hostnames: [shop.example.com], path: /api}\n    rings:\n      stable: {default: true}\n      canary: {}\n      beta: {}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: api\nversion: 0.1.0\n"),
            (
                "chart/templates/service.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    app: {{ .Release.Name }}\n  ports:\n    - port: 8080\n",
            ),
        ],
    );
    hldc(root, &["generate"]).assert_code(0);
    let out = root.join("generated/common");
    assert_eq!(files(&out), ["api-beta.yaml", "api-canary.yaml", "api-rings.yaml", "api.yaml"]);
    assert_eq!(rendered(&out.join("api-canary.yaml"))["spec"]["selector"], yaml("{app: api-canary}"));
    let route = |ring: &str, backend: &str| {
        format!("{{matches: [{{path: {{type: PathPrefix, value: /api}}, headers: [{{type: Exact, name: x-ring, value: {ring}}}]}}], backendRefs: [{{name: {backend}, port: 8080}}]}}")
    };
    assert_eq!(
        rendered(&out.join("api-rings.yaml")),
        yaml(&format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: api-rings\n  namespace: shop\n  annotations: {{hldc.io/component: app/api, hldc.io/environment: common}}\nspec:\n  parentRefs: [{{name: public, namespace: gateway}}]\n  hostnames: [shop.example.com]\n  rules:\n    - {}\n    - {}\n    - {{matches: [{{path: {{type: PathPrefix, value: /api}}}}], backendRefs: [{{name: api, port: 8080}}]}}\n",
            route("beta", "api-beta"),
            route("canary", "api-canary"),
        ))
    );
    // Routing needs a gateway to attach to, unless it is off.
    write_files(root, &[("hldc.yaml", "rings: {}\n")]);
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("hldc.yaml names no gateway for their route");
    write_files(root, &[("hldc.yaml", "rings: {routing: none}\n")]);
    hldc(root, &["generate"]).assert_code(0);
    assert_eq!(files(&out), ["api-beta.yaml", "api-canary.yaml", "api.yaml"]);
}

#[test]
fn a_warning_of_the_tree_is_said_once_not_once_per_cluster() {
    let hld = hld();
    let root = hld.path();
    write_files(root, &[("config/prod.yaml", "subcomponents:\n  web:\n    injectNamespace: true\n")]);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    assert_eq!(run.stderr.matches("warning[hldc::config::inject-without-namespace]").count(), 1, "{}", run.stderr);
}

/// CI sharded by cluster: `hldc clusters` gives the matrix, each job generates its cluster on a
/// runner of its own (with the previous output checked out, for the stamps), and the gathered
/// directories and records are byte for byte what one `generate` writes.
#[test]
fn clusters_generated_apart_and_gathered_equal_one_generate() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    common::copy_tree(&common::repo().join("examples/fabrikam-trivia"), &single);
    let run = hldc(&single, &["clusters", "prod", "--output", "json"]).assert_code(0);
    let listed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({
            "environments": ["prod"],
            "clusters": ["east-us", "west-us"],
            "outputs": ["generated/prod/east-us", "generated/prod/west-us"],
        })
    );
    assert_eq!(hldc(&single, &["clusters", "prod"]).assert_code(0).stdout, "east-us\nwest-us\n");
    let dev = hldc(&single, &["clusters", "dev"]).assert_code(0);
    assert_eq!(dev.stdout, "");
    dev.assert_stderr_contains("`dev` has no clusters: one job runs `hldc generate dev`");
    // A typo, or a directory that is no HLD, would make an empty matrix: an error instead.
    hldc(&single, &["clusters", "prdo", "--output", "json"])
        .assert_code(2)
        .assert_stderr_contains("no config file for environment `prdo`")
        .assert_stderr_contains("did you mean `prod`?");
    let empty = tempfile::tempdir().unwrap();
    hldc(empty.path(), &["clusters", "prod"]).assert_code(2).assert_stderr_contains("no component.yaml");

    // Two generations, so the second keeps stamps from the first on every runner.
    let gathered = dir.path().join("gathered");
    common::copy_tree(&single, &gathered);
    for generation in ["1.4.2", "1.4.3"] {
        for hld in [&single, &gathered] {
            let config = std::fs::read_to_string(hld.join("config/prod.yaml")).unwrap();
            let tag =
                if generation == "1.4.3" { config.replacen("tag: \"1.4.2\"", "tag: \"1.4.3\"", 1) } else { config };
            std::fs::write(hld.join("config/prod.yaml"), tag).unwrap();
        }
        hldc(&single, &["generate", "prod", "--flux-kustomizations"]).assert_code(0);
        let mut shards = Vec::new();
        for cluster in ["east-us", "west-us"] {
            let runner = dir.path().join(format!("runner-{cluster}-{generation}"));
            common::copy_tree(&gathered, &runner);
            for kept in ["generated", ".hldc", "clusters"] {
                if gathered.join(kept).exists() {
                    copy_all(&gathered.join(kept), &runner.join(kept));
                }
            }
            hldc(&runner, &["generate", "prod", "--cluster", cluster, "--flux-kustomizations"]).assert_code(0);
            shards.push((cluster, runner));
        }
        // The gathering job: the environment's outputs replaced by the shards'.
        for stale in ["generated/prod", ".hldc/prod", ".hldc/prod.json"] {
            let path = gathered.join(stale);
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else if path.exists() {
                std::fs::remove_file(&path).unwrap();
            }
        }
        for (cluster, runner) in &shards {
            for part in [format!("generated/prod/{cluster}"), format!("clusters/{cluster}")] {
                copy_all(&runner.join(&part), &gathered.join(&part));
            }
            let record = format!(".hldc/prod/{cluster}.json");
            std::fs::create_dir_all(gathered.join(".hldc/prod")).unwrap();
            std::fs::copy(runner.join(&record), gathered.join(&record)).unwrap();
        }
        for part in ["generated/prod", ".hldc", "clusters"] {
            assert_eq!(read_tree(&gathered.join(part)), read_tree(&single.join(part)), "{part} after {generation}");
        }
    }
}

fn copy_all(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Issue 25, point 7: keys holding dots are read quoted as `hldc set` takes them and printed so,
/// a list key prints the list, an empty value is placed on its own line, and a did-you-mean
/// never repeats what was typed.
#[test]
fn config_reads_and_prints_keys_as_set_takes_them() {
    let hld = hld();
    let root = hld.path();
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "subcomponents:\n  svc:\n    config:\n      dashboardProviders:\n        dashboardproviders.yaml:\n          apiVersion: 1\n          providers:\n            - name: default\n      env:\n        - name: A\n          value: x\n      empty:\n      after: 1\n",
        )],
    );
    let quoted = r#"config.dashboardProviders."dashboardproviders.yaml".apiVersion"#;
    let one = hldc(root, &["config", "dev", "svc", quoted]).assert_code(0);
    assert_eq!(one.stdout, format!("app/svc\n  {quoted}: 1  # config/dev.yaml:6\n"));
    let list = hldc(root, &["config", "dev", "svc", r#"dashboardProviders."dashboardproviders.yaml".providers"#]);
    assert_eq!(
        list.assert_code(0).stdout,
        "app/svc\n  config.dashboardProviders.\"dashboardproviders.yaml\".providers: [{\"name\":\"default\"}]  # config/dev.yaml:7\n"
    );
    let env = hldc(root, &["config", "dev", "svc", "config.env"]).assert_code(0);
    assert_eq!(env.stdout, "app/svc\n  config.env: [{\"name\":\"A\",\"value\":\"x\"}]  # config/dev.yaml:9\n");
    let item = hldc(root, &["config", "dev", "svc", "config.env[0].value"]).assert_code(0);
    assert_eq!(item.stdout, "app/svc\n  config.env[0].value: x  # config/dev.yaml:11\n");
    let empty = hldc(root, &["config", "dev", "svc", "config.empty"]).assert_code(0);
    assert_eq!(empty.stdout, "app/svc\n  config.empty: null  # config/dev.yaml:12\n");
    // Every key the listing prints reads back.
    let all = hldc(root, &["config", "dev", "svc"]).assert_code(0);
    assert!(all.stdout.contains(&format!("  {quoted}: 1 ")), "{}", all.stdout);
    let keys: Vec<&str> = all.stdout.lines().skip(1).filter_map(|line| line.trim().split(": ").next()).collect();
    assert!(keys.len() >= 6, "{keys:?}");
    for key in keys {
        hldc(root, &["config", "dev", "svc", key]).assert_code(0);
    }
    let unquoted =
        hldc(root, &["config", "dev", "svc", "config.dashboardProviders.dashboardproviders.yaml.apiVersion"]);
    unquoted.assert_code(2).assert_stderr_contains(&format!("did you mean `{quoted}`?"));
    hldc(root, &["config", "dev", "svc", "config.\"open"]).assert_code(2).assert_stderr_contains("hldc::config::key");
}

/// Issue 25, point 8: clusters have config files, but the environments a message lists are
/// environments; the clusters are listed apart.
#[test]
fn known_environments_are_listed_apart_from_clusters() {
    let hld = hld();
    let root = hld.path();
    // Help text wraps at 100 columns, at spaces or hyphens: compared without whitespace.
    let unwrapped = |text: &str| text.split_whitespace().collect::<String>();
    let generate = hldc(root, &["generate", "nosuch"]).assert_code(2);
    let listed = "known environments: common, dev, prod; clusters (from hldc.yaml): east-us, west-us";
    assert!(unwrapped(&generate.stderr).contains(&unwrapped(listed)), "{}", generate.stderr);
    let set = hldc(root, &["set", "--env", "nosuch", "a=1"]).assert_code(2);
    let listed = "known environments: `common`, `dev`, `prod`; clusters (from hldc.yaml): `east-us`, `west-us`";
    assert!(unwrapped(&set.stderr).contains(&unwrapped(listed)), "{}", set.stderr);
    // A cluster's own file is still one `set` edits.
    hldc(root, &["set", "--env", "east-us", "--component", "svc", "region=east-2"]).assert_code(0);
}
