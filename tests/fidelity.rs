//! Issue 23: what hldc writes means what `helm template | kubectl apply` means. Each test is a
//! small chart with one class of the helm/charts `stable/` refusals (docs/chart-parity.md),
//! rendered by the real helm through the real binary.

mod common;

use std::path::Path;

use common::{hldc, write_files};
use serde_yaml::Value;

/// An HLD of one chart `app` (namespace `corpus`, injected) whose templates are `templates`.
fn chart_hld(root: &Path, templates: &[(&str, &str)]) {
    write_files(
        root,
        &[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: app\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", "subcomponents:\n  app:\n    namespace: corpus\n    injectNamespace: true\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ],
    );
    for (name, text) in templates {
        write_files(root, &[(&format!("chart/templates/{name}"), text)]);
    }
}

fn output(root: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(root.join("generated/common/app.yaml")).expect("generated");
    serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

fn text(root: &Path) -> String {
    std::fs::read_to_string(root.join("generated/common/app.yaml")).expect("generated")
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
      volumes:
        - name: scripts
          configMap:
            name: scripts
            defaultMode: 0755
        - name: keys
          secret:
            secretName: keys
            defaultMode: 0x1A4
";

#[test]
fn yaml_1_1_integers_are_read_and_written_as_kubectl_reads_them() {
    let hld = tempfile::tempdir().unwrap();
    chart_hld(hld.path(), &[("deployment.yaml", DEPLOYMENT)]);
    hldc(hld.path(), &["generate"]).assert_code(0);
    let objects = output(hld.path());
    let volumes = &objects[0]["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["configMap"]["defaultMode"], Value::Number(493.into()));
    assert_eq!(volumes[1]["secret"]["defaultMode"], Value::Number(420.into()));
    assert!(text(hld.path()).contains("defaultMode: 493\n"), "{}", text(hld.path()));
}

#[test]
fn quoted_numbers_stay_strings_and_yaml_1_1_booleans_are_warned_at_their_template() {
    let hld = tempfile::tempdir().unwrap();
    let config_map =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  annotations:\n    mode: \"0755\"\ndata:\n  enabled: yes\n";
    chart_hld(hld.path(), &[("cm.yaml", config_map)]);
    let run = hldc(hld.path(), &["generate"]).assert_code(0);
    run.assert_stderr_contains("hldc::render::ambiguous-boolean")
        .assert_stderr_contains("template `app/templates/cm.yaml`, line 8 of its output")
        .assert_stderr_contains("kubectl and Argo CD read the boolean true");
    let objects = output(hld.path());
    assert_eq!(objects[0]["data"]["enabled"], Value::String("yes".into()));
    assert_eq!(objects[0]["metadata"]["annotations"]["mode"], Value::String("0755".into()));
    assert!(text(hld.path()).contains("enabled: \"yes\"\n"));
}

#[test]
fn a_repeated_key_keeps_the_last_value_once_with_a_warning_naming_the_template_line() {
    let hld = tempfile::tempdir().unwrap();
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    app: first\n    tier: web\n    app: last\nspec:\n  ports:\n    - port: 80\n";
    chart_hld(hld.path(), &[("service.yaml", service)]);
    let run = hldc(hld.path(), &["generate"]).assert_code(0);
    run.assert_stderr_contains("hldc::render::duplicate-key").assert_stderr_contains(
        "`app` is set twice in one mapping (template `app/templates/service.yaml`, line 8 of its output)",
    );
    let generated = text(hld.path());
    assert_eq!(generated.matches("app: ").count(), 1, "{generated}");
    assert_eq!(output(hld.path())[0]["metadata"]["labels"]["app"], Value::String("last".into()));
}

#[test]
fn a_list_is_written_as_its_items_each_checked_and_namespaced() {
    let hld = tempfile::tempdir().unwrap();
    let list = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: one\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: two\n";
    chart_hld(hld.path(), &[("list.yaml", list)]);
    hldc(hld.path(), &["generate"]).assert_code(0);
    let objects = output(hld.path());
    let identities: Vec<(&str, &str, &str)> = objects
        .iter()
        .map(|o| {
            let metadata = &o["metadata"];
            (o["kind"].as_str().unwrap(), metadata["name"].as_str().unwrap(), metadata["namespace"].as_str().unwrap())
        })
        .collect();
    assert_eq!(identities, [("ConfigMap", "one", "corpus"), ("ServiceAccount", "two", "corpus")]);

    // Each item is checked as an object of its own, at its line in the list.
    let broken = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: one\n    bogus: 1\n";
    chart_hld(hld.path(), &[("list.yaml", broken)]);
    hldc(hld.path(), &["generate"]).assert_code(2).assert_stderr_contains("bogus").assert_stderr_contains(":10:5]");
}

#[test]
fn a_namespace_the_chart_sets_on_a_cluster_scoped_object_is_dropped_with_a_warning() {
    let hld = tempfile::tempdir().unwrap();
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: {{ .Release.Namespace }}\nrules: []\n";
    let webhook = "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: hook\n  namespace: {{ .Release.Namespace }}\nwebhooks: []\n";
    chart_hld(hld.path(), &[("role.yaml", role), ("webhook.yaml", webhook)]);
    let run = hldc(hld.path(), &["generate"]).assert_code(0);
    run.assert_stderr_contains("hldc::render::namespace-dropped")
        .assert_stderr_contains("is cluster-scoped but has `metadata.namespace: corpus`; hldc drops it");
    for object in output(hld.path()) {
        assert!(object["metadata"].get("namespace").is_none(), "{object:?}");
    }
}

#[test]
fn removed_cluster_scoped_kinds_get_no_namespace_and_no_unknown_kind_warning() {
    let hld = tempfile::tempdir().unwrap();
    let psp = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\nspec: {}\n";
    let ingress = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\nspec: {}\n";
    chart_hld(hld.path(), &[("psp.yaml", psp), ("ingress.yaml", ingress)]);
    let run = hldc(hld.path(), &["generate", "--no-check"]).assert_code(0);
    assert!(!run.stderr.contains("unknown-kind"), "{}", run.stderr);
    let objects = output(hld.path());
    let namespaces: Vec<(&str, Option<&str>)> =
        objects.iter().map(|o| (o["kind"].as_str().unwrap(), o["metadata"]["namespace"].as_str())).collect();
    assert_eq!(namespaces, [("PodSecurityPolicy", None), ("Ingress", Some("corpus"))]);
}

#[test]
fn merge_keys_in_config_files_merge_as_helm_and_fabrikate_merged_them() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    chart_hld(root, &[("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: image\ndata:\n  repository: {{ .Values.image.repository }}\n  tag: {{ .Values.image.tag | quote }}\n")]);
    write_files(
        root,
        &[(
            "config/common.yaml",
            "subcomponents:\n  app:\n    namespace: corpus\n    config:\n      defaults: &image\n        repository: nginx\n        tag: \"1.0\"\n      image:\n        <<: *image\n        tag: \"2.0\"\n",
        )],
    );
    hldc(root, &["generate"]).assert_code(0);
    let data = &output(root)[0]["data"];
    assert_eq!(data["repository"], Value::String("nginx".into()));
    assert_eq!(data["tag"], Value::String("2.0".into()));
    let config = hldc(root, &["config", "common", "app"]).assert_code(0);
    assert!(!config.stdout.contains("<<"), "{}", config.stdout);
}

#[test]
fn a_refusal_in_output_the_position_reader_cannot_follow_still_names_its_template() {
    // helm/charts' gcloud-endpoints: a flow sequence ending in a comma, which YAML allows and
    // the position reader does not follow, and a label value a cluster refuses.
    let hld = tempfile::tempdir().unwrap();
    let deployment = DEPLOYMENT.replace("labels: {app: web}", "labels: {app: web-}").replace(
        "image: nginx",
        "image: nginx\n          args: [\n            \"--status_port\", \"8090\",\n          ]",
    );
    chart_hld(
        hld.path(),
        &[
            ("service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n"),
            ("deployment.yaml", &deployment),
        ],
    );
    let run = hldc(hld.path(), &["generate"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::output::invalid-label]")
        .assert_stderr_contains("(template `app/templates/deployment.yaml`, line 1 of its output)");
}
