//! End-to-end tests of `hldc set`, `add` and `remove`: the real binary on commented HLDs, where a
//! line-level diff proves that only the intended lines changed.

mod common;

use std::path::Path;

use common::{hldc, read_tree, write_files};
use serde_yaml::Value;

const COMPONENT: &str = "\
# The trivia app.
name: trivia
subcomponents:
  # the web front end
  - name: web
    type: helm
    path: chart   # local chart

  - name: infra
    subcomponents:
      - name: jaeger
        type: helm
        path: chart
";

const COMMON: &str = "\
# Shared by every environment.
subcomponents:
  web:
    namespace: web
    config:
      image:
        repository: 'nginx'  # mirrored
        tag: \"1.25\"

      # one per zone
      replicas: 3
";

const CHART: &[(&str, &str)] = &[
    ("chart/Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
    (
        "chart/templates/values.yaml",
        "apiVersion: hldc.test/v1\nkind: Values\nmetadata:\n  name: {{ .Release.Name }}\nvalues:\n{{ toYaml .Values | indent 2 }}\n",
    ),
];

fn hld() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("component.yaml", COMPONENT), ("config/common.yaml", COMMON)]);
    write_files(dir.path(), CHART);
    dir
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

/// The lines `before` lost and the lines `after` gained, in order.
fn line_diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().trim_end_matches('\n').to_string()),
            similar::ChangeTag::Insert => added.push(change.value().trim_end_matches('\n').to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

fn rendered_values(root: &Path, file: &str) -> Value {
    let text = read(root, file);
    let object: Value = serde_yaml::from_str(&text).unwrap();
    object["values"].clone()
}

#[test]
fn changing_one_value_changes_exactly_one_line_and_generate_sees_it() {
    let dir = hld();
    let root = dir.path();
    hldc(root, &["set", "--component", "web", "image.tag=1.10"])
        .assert_code(0)
        .assert_stderr_contains("config/common.yaml");
    let (removed, added) = line_diff(COMMON, &read(root, "config/common.yaml"));
    assert_eq!(
        (removed, added),
        (vec!["        tag: \"1.25\"".to_string()], vec!["        tag: \"1.10\"".to_string()])
    );
    hldc(root, &["generate"]).assert_code(0);
    let values = rendered_values(root, "generated/common/web.yaml");
    // `1.10` stays a string, as with helm's --set.
    assert_eq!(values["image"]["tag"], Value::String("1.10".into()));
    assert_eq!(values["replicas"], Value::Number(3.into()));
}

#[test]
fn new_keys_and_missing_files_are_created_in_block_style() {
    let dir = hld();
    let root = dir.path();
    let args = [
        "set",
        "--env",
        "prod",
        "--create",
        "--component",
        "infra.jaeger",
        "annotations.\"sidecar.istio.io/inject\"=false",
        "replicas=2",
        "--",
        "version=on",
    ];
    #[cfg(unix)]
    std::fs::set_permissions(root.join("config/common.yaml"), std::os::unix::fs::PermissionsExt::from_mode(0o640))
        .unwrap();
    hldc(root, &args).assert_code(0);
    assert_eq!(
        read(root, "config/prod.yaml"),
        "subcomponents:\n  infra:\n    subcomponents:\n      jaeger:\n        config:\n          annotations:\n            \
         sidecar.istio.io/inject: \"false\"\n          replicas: 2\n          version: \"on\"\n"
    );
    // A new key in an existing file: added after its siblings, nothing else touched.
    hldc(root, &["set", "--component", "web", "image.pullPolicy=Always", "resources.limits.cpu=500m"]).assert_code(0);
    let (removed, added) = line_diff(COMMON, &read(root, "config/common.yaml"));
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(added, ["        pullPolicy: Always", "      resources:", "        limits:", "          cpu: \"500m\""]);
}

#[test]
fn string_forces_strings_and_no_new_keys_refuses_new_keys() {
    let dir = hld();
    let root = dir.path();
    hldc(root, &["set", "--component", "web", "--string", "--no-new-keys", "replicas=4"]).assert_code(0);
    assert_eq!(line_diff(COMMON, &read(root, "config/common.yaml")).1, ["      replicas: \"4\""]);
    let before = read_tree(root);
    let run = hldc(root, &["set", "--component", "web", "--no-new-keys", "image.digest=sha256:0"]).assert_code(2);
    run.assert_stderr_contains("hldc::set::new-key").assert_stderr_contains("config/common.yaml:6:");
    assert_eq!(read_tree(root), before);
}

#[test]
fn values_files_merge_key_by_key() {
    let dir = hld();
    let root = dir.path();
    write_files(root, &[("bump.yaml", "# from CI\nimage:\n  tag: v2\nextra:\n  list: [a, b]\n")]);
    hldc(root, &["set", "--component", "web", "-f", "bump.yaml", "replicas=5"]).assert_code(0);
    let (removed, added) = line_diff(COMMON, &read(root, "config/common.yaml"));
    assert_eq!(removed, ["        tag: \"1.25\"", "      replicas: 3"]);
    assert_eq!(
        added,
        ["        tag: v2", "      replicas: 5", "      extra:", "        list:", "          - a", "          - b"]
    );
}

#[test]
fn trace_is_written_beside_config_and_never_reaches_helm() {
    let dir = hld();
    let root = dir.path();
    hldc(root, &["set", "--component", "web", "--trace", "sourceCommit=4f2a9c1", "pr=12"]).assert_code(0);
    let (removed, added) = line_diff(COMMON, &read(root, "config/common.yaml"));
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(added, ["    trace:", "      sourceCommit: \"4f2a9c1\"", "      pr: \"12\""]);
    hldc(root, &["generate"]).assert_code(0);
    let values = rendered_values(root, "generated/common/web.yaml");
    assert!(values.get("trace").is_none() && values.get("sourceCommit").is_none(), "{values:?}");
    // Only the known trace fields: the schema is checked before anything is written.
    let before = read_tree(root);
    hldc(root, &["set", "--component", "web", "--trace", "commit=x"]).assert_code(2).assert_stderr_contains("commit");
    assert_eq!(read_tree(root), before);
}

#[test]
fn errors_exit_2_with_the_location_and_leave_the_files_untouched() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["set", "--component", "web", "replicas.max=1"], "hldc::edit::through-scalar", "config/common.yaml:11:17"),
        (&["set", "--component", "wbe", "a=1"], "did you mean `web`", "component.yaml:3:1"),
        (&["set", "--component", "infra.nope", "a=1"], "hldc::edit::missing-component", "component.yaml:10:5"),
        (&["set", "--component", "web", "broken"], "hldc::set::assignment", ""),
        (&["set", "--env", "prod"], "hldc::set::nothing", ""),
        (&["remove", "nope"], "hldc::edit::missing-component", "component.yaml:3:1"),
        (&["add", "web", "--type", "helm"], "hldc::add::exists", "component.yaml:5:"),
        (&["add", "x", "--parent", "infra.jaeger.deep"], "hldc::edit::missing-component", ""),
    ];
    for (args, message, location) in cases {
        let dir = hld();
        let root = dir.path();
        let before = read_tree(root);
        let run = hldc(root, args).assert_code(2);
        run.assert_stderr_contains(message).assert_stderr_contains(location);
        assert_eq!(read_tree(root), before, "{args:?} changed files");
    }
    // An unparsable file and a flow-style mapping are refused, located, and kept.
    for (text, message, location) in [
        ("subcomponents:\n  web: [unclosed\n", "hldc::yaml::syntax", "config/common.yaml:2:"),
        ("subcomponents:\n  web: {config: {a: 1}}\n", "flow style", "config/common.yaml:2:"),
    ] {
        let dir = hld();
        let root = dir.path();
        write_files(root, &[("config/common.yaml", text)]);
        let run = hldc(root, &["set", "--component", "web", "b=2"]).assert_code(2);
        run.assert_stderr_contains(message).assert_stderr_contains(location);
        assert_eq!(read(root, "config/common.yaml"), text);
    }
}

#[test]
fn add_then_remove_is_a_byte_identical_round_trip() {
    let dir = hld();
    let root = dir.path();
    let add = ["add", "grafana", "--source", "https://github.com/org/grafana", "--method", "git", "--type", "helm"];
    hldc(root, &[&add[..], &["--path", "charts/grafana", "--version", "1.2.0", "--parent", "infra"]].concat())
        .assert_code(0);
    let (removed, added) = line_diff(COMPONENT, &read(root, "component.yaml"));
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(
        added,
        [
            "      - name: grafana",
            "        type: helm",
            "        method: git",
            "        source: https://github.com/org/grafana",
            "        path: charts/grafana",
            "        version: \"1.2.0\"",
        ]
    );
    hldc(root, &["remove", "grafana", "--parent", "infra"]).assert_code(0);
    assert_eq!(read(root, "component.yaml"), COMPONENT);
    // A top-level entry keeps the file's comments and blank lines around it.
    hldc(root, &["remove", "web"]).assert_code(0);
    let (removed, added) = line_diff(COMPONENT, &read(root, "component.yaml"));
    assert!(added.is_empty(), "{added:?}");
    assert_eq!(removed, ["  - name: web", "    type: helm", "    path: chart   # local chart"]);
}

#[test]
fn components_are_found_through_local_directory_components() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: infra\n    source: ./infra\n"),
            (
                "infra/component.yaml",
                "name: infra\nsubcomponents:\n  - name: jaeger\n    type: helm\n    path: chart\n",
            ),
        ],
    );
    hldc(root, &["set", "--component", "infra.jaeger", "replicas=2"]).assert_code(0);
    assert_eq!(
        read(root, "config/common.yaml"),
        "subcomponents:\n  infra:\n    subcomponents:\n      jaeger:\n        config:\n          replicas: 2\n"
    );
    let run = hldc(root, &["set", "--component", "infra.jager", "replicas=3"]).assert_code(2);
    run.assert_stderr_contains("did you mean `jaeger`").assert_stderr_contains("infra/component.yaml:2:1");
}

/// Fabrikate's `--subcomponent a.b` walks into each local directory component's own file: `add`
/// and `remove` edit the file that lists the children, `set` finds components two directories down.
#[test]
fn add_remove_and_set_walk_nested_local_directory_components() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    const INFRA: &str =
        "# infrastructure\nname: infra\nsubcomponents:\n  - name: tracing\n    source: ./tracing   # its own file\n";
    const TRACING: &str =
        "name: tracing\nsubcomponents:\n  # the collector\n  - name: jaeger\n    type: helm\n    path: chart\n";
    write_files(
        root,
        &[
            ("component.yaml", "name: hld\nsubcomponents:\n  - name: infra\n    source: ./infra\n"),
            ("infra/component.yaml", INFRA),
            ("infra/tracing/component.yaml", TRACING),
        ],
    );
    let before = read_tree(root);
    hldc(root, &["add", "otel", "--type", "helm", "--path", "otel", "--parent", "infra.tracing"])
        .assert_code(0)
        .assert_stderr_contains("updated infra/tracing/component.yaml");
    assert_eq!(
        read(root, "infra/tracing/component.yaml"),
        format!("{TRACING}  - name: otel\n    type: helm\n    path: otel\n")
    );
    assert_eq!(read(root, "infra/component.yaml"), INFRA);
    hldc(root, &["remove", "otel", "--parent", "infra.tracing"]).assert_code(0);
    assert_eq!(read_tree(root), before, "add then remove is byte-identical");

    hldc(root, &["set", "--component", "infra.tracing.jaeger", "replicas=2"]).assert_code(0);
    assert_eq!(
        read(root, "config/common.yaml"),
        "subcomponents:\n  infra:\n    subcomponents:\n      tracing:\n        subcomponents:\n          jaeger:\n            config:\n              replicas: 2\n"
    );
    hldc(root, &["set", "--component", "infra.tracing.jager", "replicas=3"])
        .assert_code(2)
        .assert_stderr_contains("did you mean `jaeger`")
        .assert_stderr_contains("infra/tracing/component.yaml:2:1");
    hldc(root, &["remove", "jaegr", "--parent", "infra.tracing"])
        .assert_code(2)
        .assert_stderr_contains("did you mean `jaeger`");
}

/// Issue 24, point 6: an environment nothing names is refused, with the near name, and an
/// environment's `.yml` file is the one edited.
#[test]
fn set_never_guesses_an_environment_or_its_file() {
    let dir = hld();
    let root = dir.path();
    write_files(root, &[("config/prod.yml", "config:\n  replicaCount: 1\n")]);
    let before = read_tree(root);
    let run = hldc(root, &["set", "--env", "prdo", "replicaCount=3"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::set::unknown-environment]")
        .assert_stderr_contains("did you mean `prod`?")
        .assert_stderr_contains("--create");
    assert_eq!(read_tree(root), before, "a refused set wrote something");
    hldc(root, &["set", "--env", "prod", "replicaCount=3"]).assert_code(0);
    assert_eq!(read(root, "config/prod.yml"), "config:\n  replicaCount: 3\n");
    assert!(!root.join("config/prod.yaml").exists(), "a second config file for prod");
    hldc(root, &["set", "--env", "staging", "--create", "replicaCount=2"]).assert_code(0);
    assert_eq!(read(root, "config/staging.yaml"), "config:\n  replicaCount: 2\n");
}

/// A chart whose values Kubernetes reads as strings: pod annotations, ConfigMap data, env values.
const STRINGS_CHART: &[(&str, &str)] = &[
    ("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
    ("chart/values.yaml", "image:\n  tag: \"1.0\"\nreplicas: 1\ndata:\n  greeting: hello\npodAnnotations: {}\nenv: []\n"),
    (
        "chart/templates/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations:\n{{ toYaml .Values.podAnnotations | indent 8 }}\n    spec:\n      containers:\n        - name: web\n          image: \"nginx:{{ .Values.image.tag }}\"\n          env:\n{{ toYaml .Values.env | indent 12 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n{{ toYaml .Values.data | indent 2 }}\n",
    ),
];

fn strings_hld() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n")],
    );
    write_files(dir.path(), STRINGS_CHART);
    dir
}

/// Issue 25, point 3: what Kubernetes reads as a string is written as one without `--string`,
/// so the README's own example renders, and the output passes the API server's checks.
#[test]
fn values_kubernetes_reads_as_strings_are_written_as_strings() {
    let dir = strings_hld();
    let root = dir.path();
    let readme = hldc(root, &["set", "--component", "web", "podAnnotations.\"sidecar.istio.io/inject\"=false"]);
    readme.assert_code(0).assert_stderr_contains(
        "note: `podAnnotations.\"sidecar.istio.io/inject\"` written as the string \"false\": `podAnnotations` is a map of strings",
    );
    let args = [
        "set",
        "--component",
        "web",
        "config.podAnnotations.\"prometheus.io/port\"=8080",
        "data.count=3",
        "image.tag=2",
        "replicas=2",
        "-f",
        "env.yaml",
    ];
    write_files(root, &[("env.yaml", "env:\n  - name: WORKERS\n    value: 4\n")]);
    hldc(root, &args).assert_code(0);
    assert_eq!(
        read(root, "config/common.yaml"),
        "subcomponents:\n  web:\n    podAnnotations:\n      sidecar.istio.io/inject: \"false\"\n    config:\n      env:\n        \
         - name: WORKERS\n          value: \"4\"\n      podAnnotations:\n        prometheus.io/port: \"8080\"\n      data:\n        \
         count: \"3\"\n      image:\n        tag: \"2\"\n      replicas: 2\n"
    );
    let run = hldc(root, &["generate"]).assert_code(0);
    let text = read(root, "generated/common/web.yaml");
    for wanted in [
        "sidecar.istio.io/inject: \"false\"",
        "prometheus.io/port: \"8080\"",
        "count: \"3\"",
        "value: \"4\"",
        "image: nginx:2",
        "replicas: 2",
    ] {
        assert!(text.contains(wanted), "no {wanted:?} in\n{text}\n{}", run.stderr);
    }
}

/// Issue 25, point 3: a value that is not a string where Kubernetes wants one names the config
/// line that set it, and `--string`.
#[test]
fn a_value_that_is_not_a_string_names_its_config_line_and_string() {
    let dir = strings_hld();
    let root = dir.path();
    write_files(
        root,
        &[(
            "config/common.yaml",
            "subcomponents:\n  web:\n    config:\n      podAnnotations:\n        sidecar.istio.io/inject: false\n",
        )],
    );
    hldc(root, &["generate"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::output::not-a-string]")
        .assert_stderr_contains("config/common.yaml:5:34")
        .assert_stderr_contains("`hldc set --string`")
        .assert_stderr_contains("`subcomponents.web.config.podAnnotations.\"sidecar.istio.io/inject\"`");
}

/// Issue 25, point 8: `disabled=true` disables the component (a setting beside `config`, as
/// `hldc config` reads keys), rather than passing the chart a value nothing reads.
#[test]
fn settings_beside_config_are_set_where_they_act() {
    let dir = hld();
    let root = dir.path();
    hldc(root, &["set", "--env", "prod", "--create", "--component", "infra/jaeger", "disabled=true"]).assert_code(0);
    assert_eq!(
        read(root, "config/prod.yaml"),
        "subcomponents:\n  infra:\n    subcomponents:\n      jaeger:\n        disabled: true\n"
    );
    hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(root.join("generated/prod/web.yaml").exists());
    assert!(!root.join("generated/prod/infra/jaeger.yaml").exists(), "a disabled component rendered");
    // A key `hldc config` prints (`config.…`) can be pasted back.
    hldc(root, &["set", "--component", "web", "config.image.tag=1.26"]).assert_code(0);
    assert_eq!(line_diff(COMMON, &read(root, "config/common.yaml")).1, ["        tag: \"1.26\""]);
    let before = read_tree(root);
    hldc(root, &["set", "--component", "web", "disabled=maybe"]).assert_code(2).assert_stderr_contains("disabled");
    hldc(root, &["set", "subcomponents.web.config.a=1"])
        .assert_code(2)
        .assert_stderr_contains("hldc::set::subcomponents")
        .assert_stderr_contains("--component");
    assert_eq!(read_tree(root), before);
}

/// Issue 25, point 8: a component is named as `hldc tree` prints it (`trivia/infra/jaeger`), from
/// below the root (`infra/jaeger`), or dotted (`infra.jaeger`), by every command.
#[test]
fn components_are_named_the_same_way_by_every_command() {
    let dir = hld();
    let root = dir.path();
    let tree = hldc(root, &["tree"]).assert_code(0);
    assert!(tree.stdout.contains("trivia/infra/jaeger"), "{}", tree.stdout);
    for (spelling, value) in [("trivia/infra/jaeger", "1"), ("infra/jaeger", "2"), ("infra.jaeger", "3")] {
        hldc(root, &["set", "--component", spelling, &format!("replicas={value}")]).assert_code(0);
        let config = hldc(root, &["config", "common", spelling, "replicas"]).assert_code(0);
        assert_eq!(
            config.stdout,
            format!("trivia/infra/jaeger\n  config.replicas: {value}  # config/common.yaml:16\n")
        );
    }
    hldc(root, &["add", "otel", "--type", "helm", "--path", "chart", "--parent", "trivia/infra"]).assert_code(0);
    hldc(root, &["remove", "otel", "--parent", "infra/"]).assert_code(0);
    assert_eq!(read(root, "component.yaml"), COMPONENT);
    hldc(root, &["update", "infra.jaeger"]).assert_code(0);
    hldc(root, &["update", "nosuch"])
        .assert_code(2)
        .assert_stderr_contains("there is no component `nosuch`")
        .assert_stderr_contains("trivia/infra/jaeger");
}

/// An image tag is text, whatever the chart's values.yaml says (a remote chart's is not read):
/// a build number or a date typed as a number would reach helm as a float64 through the values
/// file, and render `nginx:2.0241201e+07`. Other numbers stay numbers.
#[test]
fn an_image_tag_of_digits_is_written_as_a_string() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("chart/values.yaml", "replicas: 1\n"),
            (
                "chart/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  image: \"nginx:{{ .Values.image.tag }}\"\n  sidecar: \"envoy:{{ .Values.sidecarTag }}\"\n  replicas: \"{{ .Values.replicas }}\"\n",
            ),
        ],
    );
    let run = hldc(root, &["set", "--component", "web", "image.tag=20241201", "sidecarTag=1234567", "replicas=3"]);
    run.assert_code(0)
        .assert_stderr_contains("note: `config.image.tag` written as the string \"20241201\": an image tag is text");
    assert_eq!(
        read(root, "config/common.yaml"),
        "subcomponents:\n  web:\n    config:\n      image:\n        tag: \"20241201\"\n      sidecarTag: \"1234567\"\n      replicas: 3\n"
    );
    hldc(root, &["generate"]).assert_code(0);
    let text = read(root, "generated/common/web.yaml");
    assert!(text.contains("image: nginx:20241201") && text.contains("sidecar: envoy:1234567"), "{text}");
}
