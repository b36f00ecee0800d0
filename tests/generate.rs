//! End-to-end tests of `hldc generate` on fixture HLDs, through the real binary and real helm.

mod common;

use std::path::Path;

use common::{copy_tree, hldc, read_tree, repo, write_files};
use serde_yaml::Value;

/// A chart whose only object echoes the values it was given, so tests can see the merge.
const VALUES_CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
    (
        "templates/values.yaml",
        "apiVersion: hldc.test/v1\nkind: Values\nmetadata:\n  name: {{ .Release.Name }}\nvalues:\n{{ toYaml .Values | indent 2 }}\n",
    ),
];

fn with_chart(root: &Path, dir: &str) {
    for (path, text) in VALUES_CHART {
        write_files(root, &[(&format!("{dir}/{path}"), text)]);
    }
}

/// Reads one generated file as its list of documents.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

/// The `values` the echo chart rendered for a component.
fn values(path: &Path) -> Value {
    documents(path)[0]["values"].clone()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn layering_precedence_env_order_common_and_parent_blocks() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: svc\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", "subcomponents:\n  svc:\n    config:\n      a: common\n      b: common\n      c: common\n      d: common\n      nested: {x: common, y: common}\n"),
            ("config/e2.yaml", "subcomponents:\n  svc:\n    config:\n      a: e2\n      b: e2\n      nested: {x: e2}\n"),
            ("config/e1.yaml", "subcomponents:\n  svc:\n    config:\n      a: e1\n"),
        ],
    );
    with_chart(root, "chart");
    hldc(root, &["generate", "e1", "e2"]).assert_code(0);
    assert_eq!(
        values(&root.join("generated/e1-e2/svc.yaml")),
        yaml("{a: e1, b: e2, c: common, d: common, nested: {x: e2, y: common}}")
    );
    // The order of the environments on the command line is the priority.
    hldc(root, &["generate", "e2", "e1"]).assert_code(0);
    assert_eq!(values(&root.join("generated/e2-e1/svc.yaml"))["a"], yaml("e2"));
}

#[test]
fn parent_block_beats_the_child_components_own_config() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: top\nsubcomponents:\n  - name: team\n    path: team\n"),
            ("config/common.yaml", "subcomponents:\n  team:\n    subcomponents:\n      api:\n        config: {replicas: 5, from: parent-common}\n"),
            ("config/prod.yaml", "subcomponents:\n  team:\n    subcomponents:\n      api:\n        config: {from: parent-prod}\n"),
            ("team/component.yaml", "name: team\nsubcomponents:\n  - name: api\n    type: helm\n    path: chart\n"),
            ("team/config/common.yaml", "subcomponents:\n  api:\n    config: {replicas: 1, own: team-common, from: team-common}\n"),
            ("team/config/prod.yaml", "subcomponents:\n  api:\n    config: {own: team-prod, from: team-prod}\n"),
        ],
    );
    with_chart(root, "team/chart");
    hldc(root, &["generate", "prod"]).assert_code(0);
    // A `type: component` child gets its own directory in the output; containers write no file.
    let out = read_tree(&root.join("generated/prod"));
    assert_eq!(out.keys().collect::<Vec<_>>(), ["team/api.yaml"]);
    assert_eq!(
        values(&root.join("generated/prod/team/api.yaml")),
        yaml("{replicas: 5, from: parent-prod, own: team-prod}")
    );
}

#[test]
fn lists_are_replaced_not_concatenated() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: svc\n    type: helm\n    path: chart\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  svc:\n    config:\n      env: [{name: A}, {name: B}]\n      keep: [1, 2]\n",
            ),
            ("config/dev.yaml", "subcomponents:\n  svc:\n    config:\n      env: [{name: C}]\n"),
        ],
    );
    with_chart(root, "chart");
    hldc(root, &["generate", "dev"]).assert_code(0);
    assert_eq!(values(&root.join("generated/dev/svc.yaml")), yaml("{env: [{name: C}], keep: [1, 2]}"));
}

#[test]
fn disabled_prunes_the_whole_subtree() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: top\nsubcomponents:\n  - name: team\n    path: team\n  - name: base\n    type: static\n    path: base\n"),
            ("config/common.yaml", "{}\n"),
            ("config/dev.yaml", "subcomponents:\n  team:\n    disabled: true\n"),
            ("base/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: base\n"),
            ("team/component.yaml", "name: team\nsubcomponents:\n  - name: web\n    type: static\n    path: web\n"),
            ("team/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
        ],
    );
    hldc(root, &["generate", "dev"]).assert_code(0);
    assert_eq!(read_tree(&root.join("generated/dev")).keys().collect::<Vec<_>>(), ["base.yaml"]);
    hldc(root, &["generate"]).assert_code(0);
    assert_eq!(read_tree(&root.join("generated/common")).keys().collect::<Vec<_>>(), ["base.yaml", "team/web.yaml"]);
}

#[test]
fn namespace_injection_skips_cluster_scoped_and_existing_namespaces() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: objs\n    type: static\n    path: objs\n  - name: plain\n    type: static\n    path: objs\n"),
            ("config/common.yaml", "subcomponents:\n  objs:\n    namespace: team-a\n    injectNamespace: true\n  plain:\n    namespace: ignored-without-inject\n"),
            (
                "objs/all.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: no-ns\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: has-ns\n  namespace: other\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.x.io\nspec:\n  group: x.io\n  scope: Cluster\n  names: {kind: Widget}\n---\napiVersion: x.io/v1\nkind: Widget\nmetadata:\n  name: w\n---\napiVersion: other.io/v1\nkind: Widget\nmetadata:\n  name: w-other-group\n---\napiVersion: storage.k8s.io/v1\nkind: VolumeAttributesClass\nmetadata:\n  name: vac\ndriverName: d\n---\napiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata:\n  name: cidr\n---\napiVersion: networking.k8s.io/v1\nkind: IPAddress\nmetadata:\n  name: 10.0.0.1\n---\napiVersion: y.io/v1\nkind: Gadget\nmetadata:\n  name: g\n---\napiVersion: z.io/v1\nkind: Thing\nmetadata:\n  name: t1\n---\napiVersion: z.io/v1\nkind: Thing\nmetadata:\n  name: t2\n",
            ),
            ("hldc.yaml", "scopes:\n  - {group: y.io, kind: Gadget, scope: Cluster}\n"),
        ],
    );
    // The same objects from two components collide by identity only once namespaces differ;
    // `plain` keeps them unnamespaced, which collides with `objs` for the cluster-scoped ones.
    let run = hldc(root, &["generate"]);
    run.assert_code(2).assert_stderr_contains("produced twice");
    write_files(
        root,
        &[("component.yaml", "name: app\nsubcomponents:\n  - name: objs\n    type: static\n    path: objs\n")],
    );
    let run = hldc(root, &["-v", "generate"]).assert_code(0);
    // Unknown kinds are namespaced, with one warning per group and kind (`-v`: each said).
    assert_eq!(run.stderr.matches("hldc::output::unknown-kind").count(), 2, "{}", run.stderr);
    run.assert_stderr_contains("whether `z.io/Thing` is cluster-scoped").assert_stderr_contains("`other.io/Widget`");
    let namespaces: Vec<(String, Option<String>)> = documents(&root.join("generated/common/objs.yaml"))
        .iter()
        .map(|d| {
            (
                d["metadata"]["name"].as_str().unwrap().to_string(),
                d["metadata"]["namespace"].as_str().map(str::to_string),
            )
        })
        .collect();
    let expected = [
        ("no-ns", Some("team-a")),
        ("has-ns", Some("other")),
        ("reader", None),
        ("team-a", None),
        ("widgets.x.io", None),
        ("w", None),
        ("w-other-group", Some("team-a")),
        ("vac", None),
        ("cidr", None),
        ("10.0.0.1", None),
        ("g", None),
        ("t1", Some("team-a")),
        ("t2", Some("team-a")),
    ];
    let expected: Vec<(String, Option<String>)> =
        expected.iter().map(|(n, ns)| (n.to_string(), ns.map(str::to_string))).collect();
    assert_eq!(namespaces, expected);
}

#[test]
fn static_components_read_yaml_recursively_in_path_order() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    write_files(
        root,
        &[
            ("component.yaml", "name: app\ntype: static\npath: manifests\n"),
            ("config/common.yaml", ""),
            ("manifests/b.yaml", &format!("{}---\n---\n{}", cm("b1"), cm("b2"))),
            ("manifests/a/z.yml", &cm("a-z")),
            ("manifests/a/deeper/y.yaml", &cm("a-deeper-y")),
            ("manifests/c.yaml", &cm("c")),
            ("manifests/README.md", "not yaml"),
            ("manifests/notes.txt", "kind: nope"),
        ],
    );
    hldc(root, &["generate"]).assert_code(0);
    // A static root component writes its own file at the top of the output.
    let names: Vec<String> = documents(&root.join("generated/common/app.yaml"))
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a-deeper-y", "a-z", "b1", "b2", "c"]);
}

#[test]
fn helm_failure_is_reported_with_helms_message_and_the_component() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: broken\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", ""),
            ("chart/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n"),
            ("chart/templates/x.yaml", "{{ required \"value `tag` is required\" .Values.tag }}\n"),
        ],
    );
    let run = hldc(root, &["generate"]);
    run.assert_code(2)
        .assert_stderr_contains("helm failed to render component `broken`")
        .assert_stderr_contains("component.yaml:3:5")
        .assert_stderr_contains("value `tag` is required");
    assert!(!root.join("generated").join("common").exists());
}

/// Valid YAML that means something else: `tag:` dedented out of `image:` leaves `image` null, and
/// helm's nil pointer names a template line. The error names the config line instead (issue 25).
#[test]
fn a_values_path_helm_cannot_read_points_at_the_config_line_that_left_it_null() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    let dev =
        "subcomponents:\n  trivia:\n    config:\n      replicas: 2\n      # the image\n      image:\n      tag: v2\n";
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: trivia\n    type: helm\n    path: chart\n"),
            ("config/dev.yaml", dev),
            ("config/prod.yaml", "subcomponents:\n  trivia:\n    config:\n      image: nginx\n"),
            ("config/stage.yaml", "subcomponents:\n  trivia:\n    config:\n      name: {}\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: trivia\nversion: 0.1.0\n"),
            ("chart/values.yaml", "image:\n  repository: trivia\n  tag: v1\n"),
            (
                "chart/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: trivia\ndata:\n  image: {{ .Values.image.tag }}\n  first: {{ .Values.name.first.letter }}\n",
            ),
        ],
    );
    let run = hldc(root, &["generate", "dev"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::helm::failed]: helm failed to render component `trivia` (chart `chart`): the chart's template `trivia/templates/cm.yaml:6` reads `.Values.image.tag`, but `config.image` in `config/dev.yaml` has no value")
        .assert_stderr_contains("[config/dev.yaml:6:7]")
        .assert_stderr_contains("`tag` is beside `image` in `config/dev.yaml`, not under it: indent it under `image:`")
        .assert_stderr_contains("nil pointer evaluating interface {}.tag");
    hldc(root, &["generate", "prod"])
        .assert_code(2)
        .assert_stderr_contains("but `config.image` in `config/prod.yaml` is not a map")
        .assert_stderr_contains("[config/prod.yaml:4:7]")
        .assert_stderr_contains("set `config.image.tag` under it");
    // A path no config sets: the component, and the value to set.
    hldc(root, &["generate", "stage"])
        .assert_code(2)
        .assert_stderr_contains("component.yaml:3:5")
        .assert_stderr_contains("reads `.Values.name.first.letter`, which")
        .assert_stderr_contains("set `config.name.first.letter`");
}

/// A value a chart's `values.schema.json` refuses: the error points at the config line that set
/// it, for the chart's own schema and a subchart's, with either engine; a refused value no config
/// sets (the chart's default) leaves the error on the component.
#[test]
fn a_value_the_charts_schema_refuses_points_at_the_config_line_that_set_it() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    let schema = r#"{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}}}"#;
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", "subcomponents:\n  web:\n    config:\n      replicas: 2\n"),
            ("config/prod.yaml", "subcomponents:\n  web:\n    config:\n      replicas: 0\n"),
            ("config/stage.yaml", "subcomponents:\n  web:\n    config:\n      cache:\n        replicas: -1\n"),
            ("config/test.yaml", "subcomponents:\n  web:\n    config:\n      other: 1\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("chart/values.yaml", "replicas: 1\ncache:\n  replicas: 1\n"),
            ("chart/values.schema.json", schema),
            ("chart/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
            ("chart/charts/cache/Chart.yaml", "apiVersion: v2\nname: cache\nversion: 0.1.0\n"),
            ("chart/charts/cache/values.schema.json", schema),
            ("chart/charts/cache/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache\n"),
        ],
    );
    for engine in ["native", "binary"] {
        hldc(root, &["generate", "prod", "--helm-engine", engine])
            .assert_code(2)
            .assert_stderr_contains("helm failed to render component `web` (chart `chart`): `config.replicas` in `config/prod.yaml` does not meet the chart's `values.schema.json`: minimum: got 0, want 1")
            .assert_stderr_contains("[config/prod.yaml:4:17]")
            .assert_stderr_contains("- at '/replicas': minimum: got 0, want 1");
        hldc(root, &["generate", "stage", "--helm-engine", engine])
            .assert_code(2)
            .assert_stderr_contains("`config.cache.replicas` in `config/stage.yaml` does not meet the `values.schema.json` of subchart `cache`: minimum: got -1, want 1")
            .assert_stderr_contains("[config/stage.yaml:5:19]");
    }
    // The chart's own default breaks its subchart's schema: nothing in the config to point at.
    write_files(root, &[("chart/values.yaml", "replicas: 1\ncache:\n  replicas: 0\n")]);
    hldc(root, &["generate", "test"])
        .assert_code(2)
        .assert_stderr_contains("cache:\n  │ - at '/replicas': minimum: got 0, want 1")
        .assert_stderr_contains("[component.yaml:3:5]");
}

#[test]
fn missing_helm_is_a_clear_error() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: svc\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", ""),
        ],
    );
    with_chart(root, "chart");
    let run = common::hldc_with_env(
        root,
        &["generate", "--helm-engine", "binary"],
        &[("HLDC_HELM", ""), ("PATH", "/nonexistent")],
    );
    run.assert_code(2).assert_stderr_contains("no `helm` binary was found").assert_stderr_contains("--helm");
    let run = hldc(root, &["generate", "--helm-engine", "binary", "--helm", "/nonexistent/helm"]);
    run.assert_code(2).assert_stderr_contains("cannot run helm at `/nonexistent/helm`");
}

#[test]
fn hanging_helm_is_killed_after_the_timeout() {
    // A stand-in for a helm that never answers; the real helm cannot be made to hang on demand.
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: svc\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", ""),
            (
                "bin/helm",
                "#!/bin/sh\n# a child process that holds the pipes, as a real plugin or hook might\nsleep 30\n",
            ),
        ],
    );
    with_chart(root, "chart");
    let shim = root.join("bin/helm");
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let started = std::time::Instant::now();
    let run =
        hldc(root, &["generate", "--helm-engine", "binary", "--helm", shim.to_str().unwrap(), "--helm-timeout", "1s"]);
    run.assert_code(2).assert_stderr_contains("no result after 1s").assert_stderr_contains("--helm-timeout");
    assert!(started.elapsed().as_secs() < 20, "the timeout did not stop helm");
}

#[test]
fn errors_leave_the_previous_output_untouched() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    copy_tree(&repo().join("examples/fabrikam-trivia"), root);
    let _ = std::fs::remove_dir_all(root.join("generated"));
    hldc(root, &["generate", "prod"]).assert_code(0);
    std::fs::write(root.join("generated/prod/extra-by-hand.txt"), "kept until a successful run").unwrap();
    let before = read_tree(&root.join("generated"));
    std::fs::write(root.join("config/prod.yaml"), "subcomponents:\n  trivia-web:\n    config: [unclosed\n").unwrap();
    hldc(root, &["generate", "prod"]).assert_code(2).assert_stderr_contains("config/prod.yaml:3:");
    assert_eq!(read_tree(&root.join("generated")), before);
    // A successful run replaces the directory: stale files go.
    copy_tree(&repo().join("examples/fabrikam-trivia/config"), &root.join("config"));
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(!root.join("generated/prod/extra-by-hand.txt").exists());
}

#[test]
fn unknown_environment_suggests_the_near_miss() {
    let run =
        hldc(&repo().join("examples/fabrikam-trivia"), &["generate", "prd", "--out", "/nonexistent-never-written"]);
    run.assert_code(2)
        .assert_stderr_contains("no config file for environment `prd`")
        .assert_stderr_contains("did you mean `prod`?");
}

#[test]
fn duplicate_objects_across_components_name_both() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n  namespace: x\n";
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: one\n    type: static\n    path: one\n  - name: two\n    type: static\n    path: two\n"),
            ("config/common.yaml", ""),
            ("one/cm.yaml", cm),
            ("two/cm.yaml", cm),
        ],
    );
    hldc(root, &["generate"])
        .assert_code(2)
        .assert_stderr_contains(
            "`v1 ConfigMap x/same` is produced twice: by component `app/one` and by component `app/two`",
        )
        .assert_stderr_contains("two/cm.yaml:1:1")
        .assert_stderr_contains("one/cm.yaml:1:1");
}

#[test]
fn both_component_files_is_an_error() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, &[("component.yaml", "name: a\n"), ("component.json", "{\"name\": \"a\"}")]);
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("has both component.yaml and component.json");
}

#[test]
fn component_json_and_generator_alias_are_accepted() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.json", "{\"name\": \"app\", \"subcomponents\": [{\"name\": \"s\", \"generator\": \"static\", \"path\": \"m\"}]}"),
            ("config/common.json", "{}"),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
        ],
    );
    let generated = hldc(root, &["generate"]).assert_code(0);
    assert!(root.join("generated/common/s.yaml").exists());
    // The old spelling is `validate`'s to say (tests/diagnostics.rs), not every run's.
    assert!(!generated.stderr.contains("generator"), "{}", generated.stderr);
    hldc(root, &["validate"]).assert_code(0).assert_stderr_contains("`generator` is Fabrikate's old name for `type`");
}

#[test]
fn hooks_need_allow_hooks() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nhooks:\n  before-generate:\n    - echo ran > hook-ran.txt\nsubcomponents:\n  - name: s\n    type: static\n    path: m\n"),
            ("config/common.yaml", ""),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
        ],
    );
    hldc(root, &["generate"])
        .assert_code(2)
        .assert_stderr_contains("--allow-hooks")
        .assert_stderr_contains("component.yaml:2:1");
    assert!(!root.join("hook-ran.txt").exists());
    hldc(root, &["generate", "--allow-hooks"]).assert_code(0);
    assert!(root.join("hook-ran.txt").exists());
}

#[test]
fn after_generate_hooks_see_the_written_output_and_validate_runs_no_hooks() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: app\nhooks:\n  before-generate:\n    - echo ran > before.txt\n  after-generate:\n    - ls generated/common > after.txt\nsubcomponents:\n  - name: s\n    type: static\n    path: m\n",
            ),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
        ],
    );
    hldc(root, &["validate", "--rendered", "--allow-hooks"]).assert_code(0);
    assert!(!root.join("before.txt").exists() && !root.join("after.txt").exists(), "validate ran a hook");
    hldc(root, &["generate", "--allow-hooks"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(root.join("after.txt")).unwrap(), "s.yaml\n");
}

#[test]
fn out_puts_generated_under_the_given_directory() {
    let out = tempfile::tempdir().unwrap();
    let example = repo().join("examples/fabrikam-trivia");
    hldc(repo(), &["generate", "dev", "-C", example.to_str().unwrap(), "--out", out.path().to_str().unwrap()])
        .assert_code(0);
    // The manifests; `hydrator.metadata` beside them depends on the hldc repository's state.
    assert_eq!(
        read_tree(&out.path().join("generated/dev")).into_keys().filter(|f| f.ends_with(".yaml")).collect::<Vec<_>>(),
        ["platform.yaml", "trivia-api.yaml", "trivia-web.yaml"]
    );
}

#[test]
fn output_is_identical_from_two_checkout_paths() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let second_root = second.path().join("a/much/deeper/checkout");
    for root in [first.path(), second_root.as_path()] {
        copy_tree(&repo().join("examples/fabrikam-trivia"), root);
        let _ = std::fs::remove_dir_all(root.join("generated"));
        hldc(root, &["generate", "prod"]).assert_code(0);
    }
    let one = read_tree(&first.path().join("generated"));
    assert_eq!(one.len(), 10, "two clusters of five files: {:?}", one.keys().collect::<Vec<_>>());
    assert_eq!(one, read_tree(&second_root.join("generated")));
    let text = String::from_utf8(one.values().flatten().copied().collect()).unwrap();
    assert!(!text.contains(first.path().to_str().unwrap()), "output mentions the checkout path");
}

#[test]
fn example_output_snapshots() {
    let out = tempfile::tempdir().unwrap();
    // A copy outside any git work tree: the snapshots must not depend on the hldc repository's
    // own commit, so they hold no `hldc.io/hld-commit` (tests/trace.rs stamps real commits).
    let copy = tempfile::tempdir().unwrap();
    let example = copy.path();
    copy_tree(&repo().join("examples/fabrikam-trivia"), example);
    let _ = std::fs::remove_dir_all(example.join("generated"));
    for env in ["dev", "prod"] {
        hldc(example, &["generate", env, "--out", out.path().to_str().unwrap()]).assert_code(0);
        let mut written = std::collections::BTreeSet::new();
        for (file, bytes) in read_tree(&out.path().join("generated").join(env)) {
            let name = format!("fabrikam-trivia__{env}__{}", file.replace('/', "__").trim_end_matches(".yaml"));
            insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(name.clone(), String::from_utf8(bytes).unwrap());
            });
            written.insert(name);
        }
        // A file that is no longer written leaves its snapshot behind, unchecked: the snapshots
        // are the list of files too.
        let snapshots: std::collections::BTreeSet<String> = std::fs::read_dir(repo().join("snapshots"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|file| file.strip_suffix(".snap").map(str::to_string))
            .filter(|name| name.starts_with(&format!("fabrikam-trivia__{env}__")))
            .collect();
        assert_eq!(written, snapshots, "the files written for {env} differ from the snapshots");
    }
}

/// A named fixture HLD (files) and the hldc arguments to run on it.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

/// The whole message a person sees for typical mistakes, reviewed as snapshots.
#[test]
fn error_message_snapshots() {
    let cases: &[Case] = &[
        (
            "unknown_field",
            &[("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    pth: manifests\n")],
            &["generate"],
        ),
        (
            "wrong_type_in_config",
            &[
                ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: m\n"),
                ("config/common.yaml", "subcomponents:\n  web:\n    injectNamespace: \"true\"\n"),
                ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
            ],
            &["generate"],
        ),
        (
            "missing_path",
            &[("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: manifests\n")],
            &["generate"],
        ),
        (
            "path_escapes",
            &[("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: ../../etc\n")],
            &["generate"],
        ),
        (
            "not_an_object",
            &[("component.yaml", "name: app\ntype: static\npath: m\n"), ("m/list.yaml", "- just\n- a list\n")],
            &["generate"],
        ),
    ];
    for (name, files, args) in cases {
        let hld = tempfile::tempdir().unwrap();
        write_files(hld.path(), files);
        let run = hldc(hld.path(), args).assert_code(2);
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("error__{name}"), run.stderr);
        });
    }
}

#[test]
fn schema_prints_each_json_schema() {
    let names = hldc(repo(), &["schema"]).assert_code(0);
    assert_eq!(
        names.stdout.lines().collect::<Vec<_>>(),
        ["component", "config", "access", "lock", "project", "trace-record"]
    );
    for name in ["component", "config", "access", "lock", "project", "trace-record", "component.yaml", "hldc.yaml"] {
        let run = hldc(repo(), &["schema", name]).assert_code(0);
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON document");
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
    hldc(repo(), &["schema", "compnent"]).assert_code(2).assert_stderr_contains("no schema named `compnent`");
}

#[test]
fn config_for_a_missing_subcomponent_is_a_warning_in_generate() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: m\n"),
            ("config/common.yaml", "subcomponents:\n  wbe:\n    namespace: x\n  web:\n    injectNamespace: true\n"),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
        ],
    );
    hldc(root, &["generate"])
        .assert_code(0)
        .assert_stderr_contains("configures `wbe`, but `app` has no subcomponent of that name")
        .assert_stderr_contains("did you mean `web`?")
        .assert_stderr_contains("config/common.yaml:2:3")
        .assert_stderr_contains(
            "`injectNamespace` is true for component `app/web`, but no config sets its `namespace`",
        );
    // `validate` treats both as errors.
    hldc(root, &["validate"]).assert_code(1);
}

/// Regressions found in review, each a real way to ship wrong manifests.
#[test]
fn an_empty_env_file_does_not_undo_common() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: team\n    path: team\n"),
            ("team/component.yaml", "name: team\nsubcomponents:\n  - name: web\n    type: static\n    path: m\n"),
            ("team/config/common.yaml", "disabled: true\n"),
            ("team/config/prod.yaml", "# nothing for prod yet\n"),
            ("team/m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
            ("config/prod.yaml", ""),
        ],
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(read_tree(&root.join("generated/prod")).is_empty(), "a disabled subtree shipped");
}

#[test]
fn two_components_writing_one_file_is_an_error() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    // Children of a static component write beside it: `b`'s child `a` lands on the root's `a`.
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: a\n    type: static\n    path: m1\n  - name: b\n    type: static\n    path: m2\n    subcomponents:\n      - name: a\n        type: static\n        path: m3\n"),
            ("m1/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n"),
            ("m2/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n"),
            ("m3/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: three\n"),
        ],
    );
    hldc(root, &["generate"])
        .assert_code(2)
        .assert_stderr_contains("components `app/a` and `app/b/a` would both write `a.yaml`")
        .assert_stderr_contains("component.yaml:10:9");
}

#[test]
fn cluster_scoped_duplicates_are_found_despite_a_stray_namespace() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: a\n    type: static\n    path: a\n  - name: b\n    type: static\n    path: b\n"),
            ("a/r.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n"),
            ("b/r.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"),
        ],
    );
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("ClusterRole r` is produced twice");
}

#[test]
fn symlinked_directories_inside_the_hld_are_followed_and_a_bom_is_ignored() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "\u{feff}name: app\ntype: static\npath: m\n"),
            ("shared/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n"),
            ("m/own.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n"),
        ],
    );
    std::os::unix::fs::symlink(root.join("shared"), root.join("m/linked")).unwrap();
    hldc(root, &["generate"]).assert_code(0);
    let names: Vec<String> = documents(&root.join("generated/common/app.yaml"))
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["shared", "own"]);
    let outside = tempfile::tempdir().unwrap();
    write_files(outside.path(), &[("x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")]);
    std::os::unix::fs::symlink(outside.path(), root.join("m/outside")).unwrap();
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("symlink that leads outside its source");
}

#[test]
fn a_static_document_that_is_not_an_object_is_an_error() {
    for (file, text, message) in [
        ("m/values.yaml", "replicas: 2\nimage: web\n", "a document in `m/values.yaml` has no `apiVersion`"),
        (
            "m/kind-only.yaml",
            "apiVersion: v1\nmetadata:\n  name: x\n",
            "a document in `m/kind-only.yaml` has no `kind`",
        ),
        (
            "m/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n",
            "`m/kustomization.yaml` is a kustomization",
        ),
    ] {
        let hld = tempfile::tempdir().unwrap();
        let root = hld.path();
        write_files(
            root,
            &[
                ("component.yaml", "name: app\nsubcomponents:\n  - name: s\n    type: static\n    path: m\n"),
                ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
                (file, text),
            ],
        );
        hldc(root, &["generate"]).assert_code(2).assert_stderr_contains(message);
        assert!(!root.join("generated").exists(), "{file}");
    }
}
