//! Which engine renders a helm component (`helm.engine`, `--helm-engine`), end to end: the
//! native engine gives the helm binary's files, needs no helm, refuses what it lacks before
//! rendering, `auto` falls back, `hldc tree` says which and why, and
//! `validate --rendered --engine-check` reports the objects the two disagree on.

mod common;

use std::path::Path;

use common::{hldc, hldc_with_env, read_tree, write_files};

/// A chart in the style of `helm create`: helpers, `include`, `toYaml`, `default`, `quote`,
/// `nindent`, a range over a map, a subchart with a global.
const WEB_CHART: &[(&str, &str)] = &[
    ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.3.0\nappVersion: \"1.4\"\n"),
    (
        "chart/values.yaml",
        "replicaCount: 1\nimage:\n  repository: nginx\n  tag: \"\"\nlabels:\n  tier: front\nresources:\n  limits:\n    cpu: 500m\n    memory: 1Gi\nglobal:\n  team: blue\n",
    ),
    (
        "chart/templates/_helpers.tpl",
        "{{- define \"web.fullname\" -}}\n{{- printf \"%s-%s\" .Release.Name .Chart.Name | trunc 63 | trimSuffix \"-\" -}}\n{{- end -}}\n{{- define \"web.labels\" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- range $key, $value := .Values.labels }}\n{{ $key }}: {{ $value | quote }}\n{{- end }}\n{{- end -}}\n",
    ),
    (
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"web.fullname\" . }}\n  labels:\n    {{- include \"web.labels\" . | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {{ .Chart.Name }}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {{ .Chart.Name }}\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n",
    ),
    (
        "chart/templates/configmap.yaml",
        "{{- if .Values.replicaCount }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"web.fullname\" . }}-settings\ndata:\n  team: {{ .Values.global.team | quote }}\n  namespace: {{ .Release.Namespace }}\n  big: {{ 1000000 | quote }}\n{{- end }}\n",
    ),
    ("chart/charts/side/Chart.yaml", "apiVersion: v2\nname: side\nversion: 0.1.0\n"),
    ("chart/charts/side/values.yaml", "port: 8080\n"),
    (
        "chart/charts/side/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-side\n  labels:\n    team: {{ .Values.global.team }}\nspec:\n  ports:\n    - port: {{ .Values.port }}\n",
    ),
    ("component.yaml", "name: site\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
    ("config/common.yaml", "subcomponents:\n  web:\n    namespace: shop\n    config:\n      replicaCount: 3\n      image:\n        tag: \"1.27\"\n"),
];

fn web_hld() -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    write_files(hld.path(), WEB_CHART);
    hld
}

fn manifests(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    read_tree(&root.join("generated"))
}

#[test]
fn the_native_engine_writes_what_the_helm_binary_writes_and_needs_no_helm() {
    let binary = web_hld();
    hldc(binary.path(), &["generate", "--helm-engine", "binary"]).assert_code(0);
    let native = web_hld();
    // No helm anywhere: the native engine renders in-process.
    hldc_with_env(native.path(), &["generate", "--helm-engine", "native"], &[("HLDC_HELM", "/nonexistent/helm")])
        .assert_code(0);
    // The render cache keys a native render by the engine's version, as it keys a binary
    // render by helm's: the trace records say the inputs differ, the files say the output does not.
    let render_inputs = |root: &Path| {
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(".hldc/common.json")).unwrap()).unwrap();
        record["components"][0]["render"].clone()
    };
    let (native_render, binary_render) = (render_inputs(native.path()), render_inputs(binary.path()));
    assert_ne!(native_render["inputs"], binary_render["inputs"]);
    let (written, expected) = (manifests(native.path()), manifests(binary.path()));
    assert_eq!(written.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (file, bytes) in &expected {
        assert_eq!(
            String::from_utf8_lossy(&written[file]),
            String::from_utf8_lossy(bytes),
            "{file} differs between the native engine and the helm binary"
        );
    }
}

/// A chart calling what the native engine lacks: a `time.Time` method it leaves out (`Weekday`).
fn clock_hld(engine: &str) -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[
            ("chart/Chart.yaml", "apiVersion: v2\nname: tls\nversion: 0.1.0\n"),
            (
                "chart/templates/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-ca\nstringData:\n  ca.crt: {{ (now).Weekday | quote }}\n",
            ),
            ("chart/templates/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
            ("component.yaml", "name: site\nsubcomponents:\n  - name: tls\n    type: helm\n    path: chart\n"),
            ("config/common.yaml", &format!("subcomponents:\n  tls:\n    helm:\n      engine: {engine}\n")),
        ],
    );
    hld
}

#[test]
fn native_refuses_a_chart_using_what_it_lacks_before_rendering_and_writes_nothing() {
    let hld = clock_hld("native");
    let run = hldc(hld.path(), &["generate"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::render::engine-unsupported]: component `tls` (chart `chart`) uses what hldc's native engine cannot render yet");
    run.assert_stderr_contains("method `Weekday`");
    assert!(!hld.path().join("generated").exists(), "nothing may be written");
}

#[test]
fn auto_gives_a_chart_the_engine_lacks_to_the_helm_binary_and_tree_says_why() {
    let hld = clock_hld("auto");
    hldc(hld.path(), &["generate"]).assert_code(0);
    let secret = std::fs::read_to_string(hld.path().join("generated/common/tls.yaml")).unwrap();
    assert!(secret.contains("kind: Secret") && secret.contains("ca.crt:"), "{secret}");

    let tree = hldc(hld.path(), &["tree"]).assert_code(0);
    assert!(
        tree.stdout.contains("engine=binary (helm.engine: auto, the chart uses")
            && tree.stdout.contains("method `Weekday`"),
        "{}",
        tree.stdout
    );
    let web = web_hld();
    let tree = hldc(web.path(), &["tree", "--helm-engine", "auto"]).assert_code(0);
    assert!(tree.stdout.contains("engine=native (--helm-engine: auto, the engine renders it)"), "{}", tree.stdout);
    // `auto` is the default.
    let tree = hldc(web.path(), &["tree"]).assert_code(0);
    assert!(tree.stdout.contains("engine=native (helm.engine: auto, the engine renders it)"), "{}", tree.stdout);
    let json = hldc(web.path(), &["tree", "--output", "json"]).assert_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        value["children"][0]["engine"],
        serde_json::json!({"uses": "native", "why": "helm.engine: auto, the engine renders it"}),
        "{}",
        json.stdout
    );
}

/// Where the engines disagree is unit-tested (`render::helm::tests`): the native engine mirrors
/// helm 4.1.4, the helm the tests run, so no chart here renders differently by design.
#[test]
fn engine_check_passes_where_the_engines_agree_and_warns_where_native_cannot_render() {
    let agreeing = web_hld();
    hldc(agreeing.path(), &["validate", "--rendered", "--engine-check"]).assert_code(0);

    // `derivePassword` (scrypt and HMAC, deterministic by nature) renders as helm's.
    let hld = tempfile::tempdir().unwrap();
    let secret = |value: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{{{ .Release.Name }}}}\nstringData:\n  password: {{{{ {value} | quote }}}}\n")
    };
    write_files(
        hld.path(),
        &[
            ("chart/Chart.yaml", "apiVersion: v2\nname: vault\nversion: 0.1.0\n"),
            ("chart/templates/secret.yaml", &secret("derivePassword 1 \"long\" \"secret\" \"user\" \"example.com\"")),
            ("component.yaml", "name: site\nsubcomponents:\n  - name: vault\n    type: helm\n    path: chart\n"),
        ],
    );
    let run = hldc(hld.path(), &["validate", "--rendered", "--engine-check"]).assert_code(0);
    assert!(!run.stderr.contains("hldc::render::engine-"), "{}", run.stderr);

    // A date is deterministic (a random value would fail the determinism guard): the same both ways.
    write_files(
        hld.path(),
        &[("chart/templates/secret.yaml", &secret("toDate \"2006-01-02\" \"2024-05-01\" | date \"Jan 2, 2006\""))],
    );
    let run = hldc(hld.path(), &["validate", "--rendered", "--engine-check"]).assert_code(0);
    assert!(!run.stderr.contains("hldc::render::engine-"), "{}", run.stderr);

    // A weekday is deterministic too, and a method the native engine leaves out: said, not compared.
    write_files(
        hld.path(),
        &[("chart/templates/secret.yaml", &secret("(toDate \"2006-01-02\" \"2024-05-01\").Weekday"))],
    );
    let run = hldc(hld.path(), &["validate", "--rendered", "--engine-check"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::render::engine-unsupported]: component `vault` (chart `chart`) uses what hldc's native engine cannot render yet: method `Weekday`");

    // Without `--rendered` there is nothing to compare: clap says so.
    let run = hldc(hld.path(), &["validate", "--engine-check"]).assert_code(2);
    run.assert_stderr_contains("--rendered");
}

/// A chart is untrusted: what would exhaust the machine or the stack (Go has no limits, and
/// helm dies of some of these) ends in an error from the native engine, never in a crash.
#[test]
fn a_hostile_chart_ends_in_an_error_never_in_a_crash() {
    let cases = [
        // Nested a million deep, then dropped, copied, compared.
        ("{{- $x := list }}{{- range until 1000000 }}{{- $x = list $x }}{{- end }}", 0),
        ("{{- $x := list }}{{- range until 200000 }}{{- $x = list $x }}{{- end }}{{- $y := deepCopy $x }}", 2),
        ("{{- $x := list }}{{- range until 200000 }}{{- $x = list $x }}{{- end }}{{- $y := deepEqual $x $x }}", 2),
        ("{{- $x := list }}{{- range until 200000 }}{{- $x = list $x }}{{- end }}{{- $y := has $x (list $x) }}", 2),
        // A map holding itself.
        ("{{- $m := dict }}{{- $_ := set $m \"self\" $m }}{{- $y := deepCopy $m }}", 2),
        ("{{- $m := dict }}{{- $_ := set $m \"self\" $m }}{{- $y := deepEqual $m (dict \"self\" $m) }}", 0),
        ("{{- $m := dict }}{{- $_ := set $m \"self\" $m }}{{- $y := printf \"%v\" $m }}", 0),
        // Counts that would take all memory.
        ("{{- $y := until 1000000000000 }}", 2),
        ("{{- $y := repeat 1000000000000 \"ab\" }}", 2),
        ("{{- $y := nindent 1000000000 \"a\" }}", 2),
    ];
    let mut wrong = Vec::new();
    for (template, code) in cases {
        let hld = tempfile::tempdir().unwrap();
        write_files(
            hld.path(),
            &[
                ("chart/Chart.yaml", "apiVersion: v2\nname: hostile\nversion: 0.1.0\n"),
                (
                    "chart/templates/cm.yaml",
                    &format!("{template}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"),
                ),
                ("component.yaml", "name: site\nsubcomponents:\n  - name: hostile\n    type: helm\n    path: chart\n"),
            ],
        );
        let (run, problem) = hldc(hld.path(), &["generate", "--helm-engine", "native"]).check_code(code);
        if let Some(problem) = problem {
            wrong.push(format!("{template}: {problem}\n{}", run.stderr));
        } else if code == 2 && !run.stderr.contains("error[hldc::helm::failed]") {
            wrong.push(format!("{template}: no render error\n{}", run.stderr));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// `--engine-check` tells the engine from chance: a generated password differs between any
/// two renders, helm's own included, so it is not reported; a real difference still is.
#[test]
fn engine_check_reports_what_the_engines_disagree_on_not_what_chance_changes() {
    let hld = tempfile::tempdir().unwrap();
    let configmap = |extra: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    checksum: {{{{ .Values.password | default (randAlphaNum 16) | sha256sum }}}}\nstringData:\n  password: {{{{ randAlphaNum 16 | quote }}}}\n{extra}"
        )
    };
    write_files(
        hld.path(),
        &[
            ("chart/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n"),
            ("chart/templates/secret.yaml", &configmap("")),
            ("component.yaml", "name: site\nsubcomponents:\n  - name: db\n    type: helm\n    path: chart\n"),
        ],
    );
    // Invalid all the same: the determinism guard of `--rendered` says the chart makes values up.
    let run = hldc(hld.path(), &["validate", "--rendered", "--engine-check"]).assert_code(1);
    run.assert_stderr_contains("error[hldc::render::nondeterministic]");
    assert!(!run.stderr.contains("hldc::render::engine-differs"), "{}", run.stderr);
    // The value model has one integer type where Go has `int` and `int64` (`add` returns the
    // latter): a known difference, so the check has something real to find.
    write_files(hld.path(), &[("chart/templates/secret.yaml", &configmap("  kind: {{ typeOf (add 1 2) }}\n"))]);
    let run = hldc(hld.path(), &["validate", "--rendered", "--engine-check"]).assert_code(1);
    let differs = run.stderr.lines().find(|line| line.starts_with("error[hldc::render::engine-differs]"));
    assert_eq!(
        differs,
        Some("error[hldc::render::engine-differs]: component `db` (chart `chart`) renders differently natively and with the helm binary: `v1 Secret db` at `stringData.kind`"),
        "{}",
        run.stderr
    );
}
