//! The `helm:` block of config files (how `helm template` runs), end to end with the real
//! binary and the real helm.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{hldc, read_tree, write_files};
use serde_yaml::Value;

/// Each generated file with its objects as `(kind, name)`, in output order.
fn objects(root: &Path, env: &str) -> BTreeMap<String, Vec<(String, String)>> {
    read_tree(&root.join("generated").join(env))
        .into_iter()
        .map(|(file, bytes)| {
            let text = String::from_utf8(bytes).unwrap();
            let ids = documents(&text)
                .iter()
                .map(|d| (d["kind"].as_str().unwrap().to_string(), d["metadata"]["name"].as_str().unwrap().to_string()))
                .collect();
            (file, ids)
        })
        .collect()
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

fn ids(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(kind, name)| (kind.to_string(), name.to_string())).collect()
}

/// The `data` of the ConfigMap `name` in a generated file.
fn data(path: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let documents = documents(&text);
    let found = documents.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name);
    found.unwrap_or_else(|| panic!("no ConfigMap {name} in {}:\n{text}", path.display()))["data"].clone()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
";

/// A chart that ships a CRD in `crds/` and uses it in a template; the same CRD is also a
/// static component, as when a platform team installs CRDs for everyone.
#[test]
fn include_crds_false_leaves_the_charts_crds_out_and_the_duplicate_says_so() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: cluster\nsubcomponents:\n  - name: crds\n    type: static\n    path: crds\n  - name: widgets\n    type: helm\n    path: chart\n",
            ),
            ("crds/widgets.yaml", WIDGET_CRD),
            ("chart/Chart.yaml", "apiVersion: v2\nname: widgets\nversion: 0.1.0\n"),
            ("chart/crds/widgets.yaml", WIDGET_CRD),
            ("chart/templates/widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\n"),
            ("config/alone.yaml", "subcomponents:\n  crds:\n    disabled: true\n"),
            ("config/split.yaml", "subcomponents:\n  widgets:\n    helm:\n      includeCRDs: false\n"),
        ],
    );

    // By default the chart's CRDs are rendered.
    hldc(root, &["generate", "alone"]).assert_code(0);
    let crd = ("CustomResourceDefinition", "widgets.example.com");
    assert_eq!(
        objects(root, "alone"),
        BTreeMap::from([("widgets.yaml".to_string(), ids(&[crd, ("Widget", "widgets")]))])
    );

    // Both copies: the error names the chart's copy and the setting that drops it.
    let run = hldc(root, &["generate"]).assert_code(2);
    run.assert_stderr_contains(
        "error[hldc::output::duplicate-object]: `apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com` is produced twice: by component `cluster/crds` and by component `cluster/widgets`",
    );
    // The terminal width decides where the help wraps, even inside a code span: compare it
    // without whitespace.
    let help: String = run.stderr.split("help: ").nth(1).unwrap_or_default().split_whitespace().collect();
    assert!(
        help.starts_with("thecopyfrom`cluster/widgets`isinitschart's`crds/`:set`helm:{includeCRDs:false}`intheconfigof`cluster/widgets`"),
        "{}",
        run.stderr
    );

    hldc(root, &["generate", "split"]).assert_code(0);
    assert_eq!(
        objects(root, "split"),
        BTreeMap::from([
            ("crds.yaml".to_string(), ids(&[crd])),
            ("widgets.yaml".to_string(), ids(&[("Widget", "widgets")])),
        ])
    );
}

/// Two static copies are not about helm: no `includeCRDs` advice.
#[test]
fn a_duplicate_without_a_chart_crd_gives_no_include_crds_advice() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: cluster\nsubcomponents:\n  - name: a\n    type: static\n    path: a\n  - name: b\n    type: static\n    path: b\n",
            ),
            ("a/crd.yaml", &format!("# Source: x/crds/widgets.yaml\n{WIDGET_CRD}")),
            ("b/crd.yaml", WIDGET_CRD),
        ],
    );
    let run = hldc(root, &["generate"]).assert_code(2);
    run.assert_stderr_contains("is produced twice");
    assert!(!run.stderr.contains("includeCRDs"), "{}", run.stderr);
}

/// A chart made like `helm create`'s: one object, a test Pod under `templates/tests/`, and
/// templates that show what the chart sees of the release and the cluster.
const PROBE_CHART: &[(&str, &str)] = &[
    ("chart/Chart.yaml", "apiVersion: v2\nname: probe\nversion: 0.1.0\n"),
    ("chart/values.yaml", "greeting: hello\n"),
    (
        "chart/templates/seen.yaml",
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: seen
data:
  release: {{ .Release.Name | quote }}
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
  values: {{ toYaml .Values | quote }}
",
    ),
    (
        "chart/templates/optional.yaml",
        "{{- if .Capabilities.APIVersions.Has \"x.example.com/v1\" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: has-x
{{- end }}
",
    ),
    (
        "chart/templates/tests/test-connection.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: \"{{ .Release.Name }}-test-connection\"
  annotations:
    \"helm.sh/hook\": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget']
      args: ['{{ .Release.Name }}:80']
  restartPolicy: Never
",
    ),
];

#[test]
fn helm_settings_reach_helm_and_never_the_chart_values() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, PROBE_CHART);
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: probe\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", "subcomponents:\n  probe:\n    config:\n      greeting: hi\n    helm:\n      includeCRDs: true\n"),
            (
                "config/custom.yaml",
                "subcomponents:\n  probe:\n    helm:\n      skipTests: false\n      kubeVersion: v1.33.2\n      apiVersions: [x.example.com/v1]\n      releaseName: custom\n",
            ),
        ],
    );

    hldc(root, &["generate"]).assert_code(0);
    assert_eq!(objects(root, "common"), BTreeMap::from([("probe.yaml".to_string(), ids(&[("ConfigMap", "seen")]))]));
    let seen = data(&root.join("generated/common/probe.yaml"), "seen");
    assert_eq!(seen["release"], "probe");
    assert_eq!(seen["kubeVersion"], "v1.34.0");
    assert_eq!(yaml(seen["values"].as_str().unwrap()), yaml("greeting: hi"));

    hldc(root, &["generate", "custom"]).assert_code(0);
    assert_eq!(
        objects(root, "custom"),
        BTreeMap::from([(
            "probe.yaml".to_string(),
            ids(&[("ConfigMap", "has-x"), ("ConfigMap", "seen"), ("Pod", "custom-test-connection")])
        )])
    );
    let seen = data(&root.join("generated/custom/probe.yaml"), "seen");
    assert_eq!(seen["release"], "custom");
    assert_eq!(seen["kubeVersion"], "v1.33.2");
    assert_eq!(yaml(seen["values"].as_str().unwrap()), yaml("greeting: hi"));
}

#[test]
fn the_helm_block_is_schema_checked() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, PROBE_CHART);
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: probe\n    type: helm\n    path: chart\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  probe:\n    helm:\n      includeCrds: false\n      skipTests: \"no\"\n      apiVersions: x.example.com/v1\n",
            ),
        ],
    );
    let run = hldc(root, &["validate"]);
    run.assert_code(1)
        .assert_stderr_contains(
            "error[hldc::schema::invalid]: unknown field `includeCrds` in `config/common.yaml` at `subcomponents.probe.helm`",
        )
        .assert_stderr_contains("did you mean `includeCRDs`?")
        .assert_stderr_contains("at `subcomponents.probe.helm.skipTests`")
        .assert_stderr_contains("at `subcomponents.probe.helm.apiVersions`");
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("unknown field `includeCrds`");
}
