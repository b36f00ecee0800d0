//! Overlays (`patches`, `commonLabels`, ...) through the real binary. The fidelity tests give
//! the same resources and patches to hldc (a static component and a config file) and to the
//! real kustomize (`kubectl kustomize` from `.tools/bin`, a kustomization with `patches:`), and
//! compare the two results as data.

mod common;
mod fetch_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{hldc, write_files};
use serde_yaml::{Mapping, Value};

fn kubectl() -> PathBuf {
    let installed = common::repo().join(".tools/bin/kubectl");
    assert!(installed.exists(), "no kubectl: run scripts/install-tools");
    installed
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

/// Every object of a multi-document text, by `kind/name`.
fn objects(text: &str) -> BTreeMap<String, Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|value| !value.is_null())
        .map(|value| {
            (format!("{}/{}", value["kind"].as_str().unwrap(), value["metadata"]["name"].as_str().unwrap()), value)
        })
        .collect()
}

use serde::Deserialize;

/// The objects of every file under `dir`, without hldc's trace stamps (kustomize has none).
fn generated(dir: &Path) -> BTreeMap<String, Value> {
    common::read_tree(dir)
        .into_values()
        .flat_map(|bytes| objects(&String::from_utf8(bytes).unwrap()))
        .map(|(id, object)| (id, hldc::trace::stamp::unstamped(&object)))
        .collect()
}

/// What the real kustomize makes of `resources` with `patches` (name → `{target, patch}`), applied
/// in name order as hldc applies them.
fn kustomize(resources: &str, patches: &Mapping) -> BTreeMap<String, Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    for entry in patches.values() {
        let mut entry = entry.as_mapping().unwrap().clone();
        let text = serde_yaml::to_string(&entry["patch"]).unwrap();
        entry.insert("patch".into(), text.into());
        list.push(Value::Mapping(entry));
    }
    let kustomization = Value::Mapping(Mapping::from_iter([
        ("resources".into(), yaml("[resources.yaml]")),
        ("patches".into(), Value::Sequence(list)),
    ]));
    write_files(
        dir.path(),
        &[("resources.yaml", resources), ("kustomization.yaml", &serde_yaml::to_string(&kustomization).unwrap())],
    );
    let output = Command::new(kubectl()).arg("kustomize").arg(dir.path()).env_clear().output().unwrap();
    assert!(output.status.success(), "kustomize failed: {}", String::from_utf8_lossy(&output.stderr));
    objects(&String::from_utf8(output.stdout).unwrap())
}

/// What hldc makes of `resources` (a static component) with `patches` in its config.
fn hldc_patched(resources: &str, patches: &Mapping) -> BTreeMap<String, Value> {
    let hld = tempfile::tempdir().unwrap();
    let config = Value::Mapping(Mapping::from_iter([(
        "subcomponents".into(),
        Value::Mapping(Mapping::from_iter([(
            "app".into(),
            Value::Mapping(Mapping::from_iter([("patches".into(), Value::Mapping(patches.clone()))])),
        )])),
    )]));
    write_files(
        hld.path(),
        &[
            ("component.yaml", "name: root\nsubcomponents:\n  - name: app\n    type: static\n    path: manifests\n"),
            ("manifests/all.yaml", resources),
            ("config/common.yaml", &serde_yaml::to_string(&config).unwrap()),
        ],
    );
    hldc(hld.path(), &["generate", "common", "--no-check"]).assert_code(0);
    generated(&hld.path().join("generated/common"))
}

/// hldc and kustomize agree on `patches` over `resources`; returns the result.
fn agree(resources: &str, patches: &str) -> BTreeMap<String, Value> {
    let patches = yaml(patches).as_mapping().unwrap().clone();
    let ours = hldc_patched(resources, &patches);
    let theirs = kustomize(resources, &patches);
    assert_eq!(
        ours,
        theirs,
        "hldc (left) and kustomize (right) differ:\nhldc:\n{}\nkustomize:\n{}",
        serde_yaml::to_string(&ours).unwrap(),
        serde_yaml::to_string(&theirs).unwrap()
    );
    ours
}

const WORKLOADS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {team: blue}
  finalizers: [example.com/first]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: app:1
        env: [{name: MODE, value: slow}, {name: LOG, value: info}]
        ports: [{containerPort: 8080, name: http}]
        volumeMounts: [{name: cache, mountPath: /cache}]
      - name: proxy
        image: proxy:1
      tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
      volumes: [{name: cache, emptyDir: {}}, {name: config, configMap: {name: web}}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api, tier: back, canary: "yes"}
  annotations: {team: red}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: app, image: api:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, labels: {app: web}}
data: {a: "1"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, labels: {app: web}}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  parts: [{name: one, size: 1}, {name: two, size: 2}]
"#;

#[test]
fn strategic_merge_on_containers_env_volumes_and_tolerations_agrees_with_kustomize() {
    let out = agree(
        WORKLOADS,
        r#"
web-tuning:
  target: {kind: Deployment, name: web}
  patch:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          containers:
          - name: sidecar
            image: sidecar:1
          - name: app
            env: [{name: LOG, value: debug}, {name: EXTRA, value: "on"}]
            ports: [{containerPort: 9090, name: metrics}]
          tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
          volumes: [{name: scratch, emptyDir: {medium: Memory}}]
"#,
    );
    let containers = &out["Deployment/web"]["spec"]["template"]["spec"]["containers"];
    let names: Vec<&str> = containers.as_sequence().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["sidecar", "app", "proxy"]);
    assert_eq!(
        containers[1]["env"],
        yaml("[{name: LOG, value: debug}, {name: EXTRA, value: 'on'}, {name: MODE, value: slow}]")
    );
    // Tolerations have no merge key: replaced whole, as kustomize does.
    assert_eq!(
        out["Deployment/web"]["spec"]["template"]["spec"]["tolerations"],
        yaml("[{key: spot, operator: Exists, effect: NoSchedule}]")
    );
}

#[test]
fn patch_directives_agree_with_kustomize() {
    let out = agree(
        WORKLOADS,
        r#"
a-drop-proxy:
  target: {kind: Deployment, name: web}
  patch:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, finalizers: [example.com/second]}
    spec:
      selector: null
      template:
        spec:
          containers:
          - {name: proxy, $patch: delete}
          - name: app
            env: [{name: MODE, $patch: delete}]
          volumes:
          - $patch: replace
          - {name: only, emptyDir: {}}
b-drop-configmap:
  target: {kind: ConfigMap}
  patch: {apiVersion: v1, kind: ConfigMap, metadata: {name: web}, $patch: delete}
b-pdb:
  target: {kind: PodDisruptionBudget}
  patch: {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: web}, spec: {selector: {matchLabels: {tier: front}}}}
c-widget:
  target: {group: example.com, kind: Widget}
  patch: {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, spec: {parts: [{name: three, size: 3}]}}
"#,
    );
    assert!(!out.contains_key("ConfigMap/web"));
    // A list of scalars with the merge strategy is a union, the patch's first.
    assert_eq!(out["Deployment/web"]["metadata"]["finalizers"], yaml("[example.com/second, example.com/first]"));
    // A kind without definitions (a custom resource) has its lists replaced.
    assert_eq!(out["Widget/w"]["spec"]["parts"], yaml("[{name: three, size: 3}]"));
}

#[test]
fn json_6902_add_replace_remove_agrees_with_kustomize() {
    agree(
        WORKLOADS,
        r#"
ops:
  target: {group: apps, version: v1, kind: Deployment, name: web}
  patch:
  - {op: add, path: /spec/template/spec/containers/0/args, value: [--fast]}
  - {op: add, path: /spec/template/spec/tolerations/-, value: {key: spot, operator: Exists}}
  - {op: replace, path: /spec/template/spec/containers/1/image, value: "proxy:2"}
  - {op: remove, path: /spec/template/spec/volumes/1}
  - {op: add, path: /metadata/annotations/hldc.example~1note, value: patched}
"#,
    );
}

#[test]
fn label_and_annotation_selectors_and_name_patterns_agree_with_kustomize() {
    let out = agree(
        WORKLOADS,
        r#"
front:
  target: {labelSelector: "tier in (front, edge), !canary", kind: Deployment}
  patch: [{op: add, path: /metadata/labels/selected, value: front}]
red:
  target: {annotationSelector: "team=red"}
  patch: [{op: add, path: /metadata/labels/selected, value: red}]
not-back:
  target: {labelSelector: "tier!=back,app"}
  patch: [{op: add, path: /metadata/labels/not-back, value: "true"}]
by-name:
  target: {name: "web|a.i", version: v1}
  patch: [{op: add, path: /metadata/labels/by-name, value: "true"}]
"#,
    );
    let labels = |id: &str| out[id]["metadata"]["labels"].clone();
    assert_eq!(labels("Deployment/web")["selected"], yaml("front"));
    assert_eq!(labels("Deployment/api")["selected"], yaml("red"));
    assert_eq!(labels("ConfigMap/web")["not-back"], yaml("'true'"));
    assert!(labels("Deployment/api").get("not-back").is_none());
    assert_eq!(labels("Deployment/api")["by-name"], yaml("'true'"));
}

/// A layout with two clusters of prod; `web` is a helm chart.
const CLUSTERS: &[(&str, &str)] = &[
    ("hldc.yaml", "environments:\n  prod:\n    clusters: [a, b]\n"),
    ("component.yaml", "name: root\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
    (
        "config/common.yaml",
        "subcomponents:\n  web:\n    commonLabels:\n      team: blue\n    podAnnotations:\n      sidecar.example/inject: \"true\"\n    patches:\n      replicas:\n        target: {kind: Deployment}\n        patch: [{op: replace, path: /spec/replicas, value: 2}]\n",
    ),
    (
        "config/a.yaml",
        "subcomponents:\n  web:\n    patches:\n      spot:\n        target:\n          kind: Deployment\n          labelSelector: app=web\n        patch:\n          spec:\n            template:\n              spec:\n                tolerations:\n                  - key: spot\n                    operator: Exists\n",
    ),
    ("config/b.yaml", "subcomponents:\n  web:\n    patches:\n      replicas: null\n"),
    ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
    (
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {app: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"web:1\"}]\n",
    ),
    (
        "chart/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {app: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
    ),
];

#[test]
fn a_helm_chart_is_patched_in_one_cluster_only() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, CLUSTERS);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let a = generated(&root.join("generated/prod/a"));
    let b = generated(&root.join("generated/prod/b"));
    // b removes the common `replicas` patch by name: its Deployment is the chart's, labelled.
    let deployment_b = &b["Deployment/web"];
    assert_eq!(deployment_b["spec"]["replicas"], yaml("1"));
    assert!(deployment_b["spec"]["template"]["spec"].get("tolerations").is_none());
    // commonLabels on the objects, never on selectors or pod templates; podAnnotations there.
    assert_eq!(deployment_b["metadata"]["labels"], yaml("{app: web, team: blue}"));
    assert_eq!(deployment_b["spec"]["selector"], yaml("{matchLabels: {app: web}}"));
    assert_eq!(
        deployment_b["spec"]["template"]["metadata"],
        yaml("{labels: {app: web}, annotations: {sidecar.example/inject: 'true'}}")
    );
    assert_eq!(b["Service/web"]["metadata"]["labels"], yaml("{app: web, team: blue}"));
    assert_eq!(b["Service/web"]["spec"]["selector"], yaml("{app: web}"));
    // a's output is b's with a's patches applied, exactly as kustomize applies them (the labels
    // are b's already).
    let resources: String = b.values().map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap())).collect();
    let patches = yaml(&format!(
        "{{replicas: {}, spot: {}}}",
        serde_json_like(&yaml("{target: {kind: Deployment}, patch: [{op: replace, path: /spec/replicas, value: 2}]}")),
        serde_json_like(&yaml(
            "{target: {kind: Deployment, labelSelector: app=web}, patch: {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {template: {spec: {tolerations: [{key: spot, operator: Exists}]}}}}}"
        ))
    ));
    assert_eq!(a, kustomize(&resources, patches.as_mapping().unwrap()));
    assert_eq!(a["Deployment/web"]["spec"]["template"]["spec"]["tolerations"], yaml("[{key: spot, operator: Exists}]"));

    // `hldc config` shows the patches, each value with the file and line that set it.
    let run = hldc(root, &["config", "prod", "--cluster", "a", "web"]).assert_code(0);
    let line = |key: &str, origin: &str| {
        run.stdout.lines().any(|line| line.trim_start().starts_with(key) && line.ends_with(origin))
    };
    assert!(line("patches.spot.target.kind: Deployment", "# config/a.yaml:6"), "{}", run.stdout);
    assert!(line("patches.replicas.target.kind: Deployment", "# config/common.yaml:9"), "{}", run.stdout);
    assert!(line("commonLabels.team: blue", "# config/common.yaml:4"), "{}", run.stdout);
    // In b the common patch is removed by name, and `hldc config` says where.
    let run = hldc(root, &["config", "prod", "--cluster", "b", "web"]).assert_code(0);
    let line = |key: &str, origin: &str| {
        run.stdout.lines().any(|line| line.trim_start().starts_with(key) && line.ends_with(origin))
    };
    assert!(line("patches.replicas: null", "# config/b.yaml:4"), "{}", run.stdout);
    assert!(!run.stdout.contains("patches.replicas.target"), "{}", run.stdout);
}

/// A value as one line of JSON (which YAML reads back as the same value).
fn serde_json_like(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn a_patch_that_matches_nothing_is_an_error_at_its_line_and_nothing_is_written() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, CLUSTERS);
    hldc(root, &["generate", "prod"]).assert_code(0);
    let before = common::read_tree(&root.join("generated"));
    write_files(
        root,
        &[(
            "config/b.yaml",
            "subcomponents:\n  web:\n    patches:\n      typo:\n        target: {kind: Deploymnet}\n        patch: [{op: remove, path: /spec/replicas}]\n",
        )],
    );
    hldc(root, &["generate", "prod"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::patch::no-match]: patch `typo` matches no object of component `root/web`")
        .assert_stderr_contains("config/b.yaml:4:7")
        .assert_stderr_contains("`apps/v1 Deployment web`");
    assert_eq!(common::read_tree(&root.join("generated")), before);

    // A JSON patch that does not apply, and a bad target, name the patch too.
    write_files(
        root,
        &[(
            "config/b.yaml",
            "subcomponents:\n  web:\n    patches:\n      gone:\n        target: {kind: Service}\n        patch: [{op: remove, path: /spec/nothing}]\n      regex:\n        target: {name: \"((\"}\n        patch: [{op: remove, path: /spec}]\n",
        )],
    );
    hldc(root, &["generate", "prod", "--cluster", "b"])
        .assert_code(2)
        .assert_stderr_contains("patch `gone` cannot be applied to `v1 Service web` of component `root/web`: operation 1 failed: there is no `nothing`")
        .assert_stderr_contains("the target of patch `regex` is not valid: `((` is not a regular expression");
    // A patch of the wrong shape is refused by the config schema.
    write_files(root, &[("config/b.yaml", "subcomponents:\n  web:\n    patches:\n      bad:\n        target: {kind: Service, nmae: web}\n        patch: {}\n")]);
    hldc(root, &["validate"]).assert_code(1).assert_stderr_contains("unknown field `nmae`");
}

/// A kustomize base and an overlay that patches it.
const KUSTOMIZE_DIR: &[(&str, &str)] = &[
    ("base/kustomization.yaml", "resources: [deployment.yaml]\n"),
    (
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"web:1\"}]\n",
    ),
    (
        "overlay/kustomization.yaml",
        "resources: [../base]\nnamePrefix: prod-\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: web}\n      spec: {replicas: 3}\n",
    ),
];

fn kubectl_env() -> [(&'static str, String); 1] {
    [("HLDC_KUSTOMIZE", kubectl().to_string_lossy().into_owned())]
}

fn run_with_kubectl(root: &Path, args: &[&str]) -> common::Exited {
    let [(key, value)] = kubectl_env();
    common::hldc_with_env(root, args, &[(key, value.as_str())])
}

#[test]
fn a_kustomize_component_is_built_by_kustomize_then_patched_by_its_config() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, KUSTOMIZE_DIR);
    write_files(
        root,
        &[
            ("component.yaml", "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    path: overlay\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    commonAnnotations: {owner: web-team}\n    patches:\n      spot:\n        target: {kind: Deployment, name: prod-web}\n        patch: {spec: {template: {spec: {tolerations: [{key: spot, operator: Exists}]}}}}\n",
            ),
        ],
    );
    run_with_kubectl(root, &["generate", "common"]).assert_code(0);
    let out = generated(&root.join("generated/common"));
    let mut expected = kustomize_dir(&root.join("overlay"));
    let deployment = expected.get_mut("Deployment/prod-web").unwrap();
    deployment["spec"]["template"]["spec"]["tolerations"] = yaml("[{key: spot, operator: Exists}]");
    deployment["metadata"]["annotations"] = yaml("{owner: web-team}");
    assert_eq!(out, expected);
    assert_eq!(out["Deployment/prod-web"]["spec"]["replicas"], yaml("3"));
}

/// What kubectl kustomize builds of `dir`.
fn kustomize_dir(dir: &Path) -> BTreeMap<String, Value> {
    let output = Command::new(kubectl()).arg("kustomize").arg(dir).env_clear().output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    objects(&String::from_utf8(output.stdout).unwrap())
}

#[test]
fn a_kustomize_component_inside_a_git_source_is_built() {
    let scratch = tempfile::tempdir().unwrap();
    let repo = fetch_support::TestRepo::init(&scratch.path().join("manifests"));
    let files: Vec<(String, String)> =
        KUSTOMIZE_DIR.iter().map(|(path, text)| (format!("deploy/{path}"), text.to_string())).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repo.commit("kustomize dirs", &files);
    let root = scratch.path().join("hld");
    write_files(
        &root,
        &[(
            "component.yaml",
            &format!(
                "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    method: git\n    source: {}\n    path: deploy/overlay\n",
                repo.file_url()
            ),
        )],
    );
    let cache = scratch.path().join("cache");
    let kubectl = kubectl();
    common::hldc_with_env(
        &root,
        &["generate", "--allow-local-sources", "common"],
        &[("HLDC_KUSTOMIZE", kubectl.to_str().unwrap()), ("XDG_CACHE_HOME", cache.to_str().unwrap())],
    )
    .assert_code(0);
    let out = generated(&root.join("generated/common"));
    assert_eq!(out.keys().collect::<Vec<_>>(), ["Deployment/prod-web"]);
    assert_eq!(out["Deployment/prod-web"]["spec"]["replicas"], yaml("3"));
}

#[test]
fn remote_bases_and_a_missing_kustomize_are_clear_errors() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, KUSTOMIZE_DIR);
    write_files(
        root,
        &[
            ("component.yaml", "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    path: overlay\n"),
            (
                "base/kustomization.yaml",
                "resources:\n  - deployment.yaml\n  - github.com/example/manifests/base?ref=v1\n",
            ),
        ],
    );
    run_with_kubectl(root, &["generate", "common"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::kustomize::remote]: `base/kustomization.yaml` names the remote `github.com/example/manifests/base?ref=v1`")
        .assert_stderr_contains("base/kustomization.yaml:3:5")
        .assert_stderr_contains("make the remote base a git source");
    assert!(!root.join("generated").exists());
    // validate sees it too, without running kustomize.
    hldc(root, &["validate"]).assert_code(1).assert_stderr_contains("error[hldc::kustomize::remote]");
    write_files(
        root,
        &[(
            "component.yaml",
            "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    path: base/deployment.yaml\n",
        )],
    );
    hldc(root, &["validate"]).assert_code(0);
    write_files(
        root,
        &[("component.yaml", "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    path: .\n")],
    );
    hldc(root, &["validate"])
        .assert_code(1)
        .assert_stderr_contains("error[hldc::kustomize::no-kustomization]: `.` (the directory of kustomize component `root/web`) holds no kustomization.yaml");
    write_files(
        root,
        &[("component.yaml", "name: root\nsubcomponents:\n  - name: web\n    type: kustomize\n    path: overlay\n")],
    );

    write_files(root, &[("base/kustomization.yaml", "resources: [deployment.yaml]\n")]);
    common::hldc_with_env(root, &["generate", "common"], &[("PATH", "/nonexistent")])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::kustomize::missing]: component `web` is a kustomize component, but neither `kustomize` nor `kubectl` was found")
        .assert_stderr_contains("--kustomize PATH");
    common::hldc_with_env(root, &["generate", "common"], &[("HLDC_KUSTOMIZE", "/nonexistent/kustomize")])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::kustomize::spawn]: cannot run kustomize at `/nonexistent/kustomize`");
    // The flag of the commands that render wins over the variable.
    for command in ["generate", "diff"] {
        let args = [command, "common", "--kustomize", "/nonexistent/flag/kustomize"];
        common::hldc_with_env(root, &args, &[("HLDC_KUSTOMIZE", "/nonexistent/kustomize")])
            .assert_code(2)
            .assert_stderr_contains(
                "error[hldc::kustomize::spawn]: cannot run kustomize at `/nonexistent/flag/kustomize`",
            );
    }
    // kustomize's own failure comes with its message.
    write_files(root, &[("base/kustomization.yaml", "resources: [missing.yaml]\n")]);
    run_with_kubectl(root, &["generate", "common"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::kustomize::failed]: kustomize failed to build component `web` (`overlay`)")
        .assert_stderr_contains("missing.yaml");
}

#[test]
fn a_ring_has_patches_of_its_own() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, CLUSTERS);
    write_files(
        root,
        &[
            ("hldc.yaml", "rings:\n  routing: none\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    rings:\n      stable: {default: true}\n      canary:\n        commonLabels: {ring: canary}\n        patches:\n          debug:\n            target: {kind: Deployment}\n            patch: [{op: add, path: /spec/template/spec/containers/0/args, value: [--debug]}]\n",
            ),
        ],
    );
    hldc(root, &["generate", "common"]).assert_code(0);
    let out = generated(&root.join("generated/common"));
    assert_eq!(out["Deployment/web-canary"]["spec"]["template"]["spec"]["containers"][0]["args"], yaml("[--debug]"));
    assert_eq!(out["Deployment/web-canary"]["metadata"]["labels"], yaml("{app: web, ring: canary}"));
    assert!(out["Deployment/web"]["spec"]["template"]["spec"]["containers"][0].get("args").is_none());
    assert_eq!(out["Deployment/web"]["metadata"]["labels"], yaml("{app: web}"));
}
