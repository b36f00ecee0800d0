//! The native Helm engine against the real helm: small charts in temp dirs rendered by both,
//! compared as text (what `helm template` prints, byte for byte).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use hldc::render::native::{check_support, render, NativeError, Request};

const KUBE: &str = "1.34.0";

fn write_chart(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

struct Options<'a> {
    values: &'a str,
    include_crds: bool,
    skip_tests: bool,
    api_versions: &'a [String],
}

const DEFAULT: Options = Options { values: "", include_crds: false, skip_tests: false, api_versions: &[] };

/// `helm template` on the chart: stdout, or stderr when it failed.
fn helm_template(chart: &Path, options: &Options) -> Result<String, String> {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(common::helm());
    command.args(["template", "rel"]).arg(chart).args(["--namespace", "ns", "--values", "-", "--kube-version", KUBE]);
    if options.include_crds {
        command.arg("--include-crds");
    }
    if options.skip_tests {
        command.arg("--skip-tests");
    }
    for version in options.api_versions {
        command.args(["--api-versions", version]);
    }
    for variable in ["HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"] {
        command.env(variable, home.path());
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(options.values.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap())
    } else {
        Err(String::from_utf8(output.stderr).unwrap())
    }
}

fn native(chart: &Path, options: &Options) -> Result<String, NativeError> {
    render(
        chart,
        &Request {
            release: "rel",
            namespace: "ns",
            values: options.values,
            kube_version: KUBE,
            api_versions: options.api_versions,
            include_crds: options.include_crds,
            skip_tests: options.skip_tests,
            deterministic: None,
        },
    )
}

/// Renders with both engines and asserts the same text.
fn assert_same(chart: &Path, options: &Options) -> String {
    let expected = helm_template(chart, options).unwrap_or_else(|e| panic!("helm failed: {e}"));
    let actual = native(chart, options).unwrap_or_else(|e| panic!("native failed: {e:?}"));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, &actual);
        panic!("native differs from helm (- helm, + native):\n{}", diff.unified_diff());
    }
    actual
}

const CHART_V2: &str = "apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: \"1.2\"\ndescription: An app\n";

#[test]
fn native_renders_a_chart_as_helm() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "values.yaml",
                "replicas: 2\nimage:\n  repository: nginx\n  tag: \"1.25\"\nresources:\n  limits:\n    cpu: 100m\n    memory: 1e6\nlabels:\n  tier: web\n  team: a\nports: [80, 443]\nremoved: here\nenabled: yes\nbig: 1000000\nratio: 0.5\n",
            ),
            (
                "templates/_helpers.tpl",
                "{{- define \"app.fullname\" -}}\n{{ .Release.Name }}-{{ .Chart.Name }}\n{{- end -}}\n{{- define \"app.labels\" -}}\napp: {{ include \"app.fullname\" . }}\nchart: {{ .Chart.Name }}-{{ .Chart.Version }}\n{{- end -}}\n",
            ),
            (
                "templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n    {{- with .Values.labels }}\n    {{- toYaml . | nindent 4 }}\n    {{- end }}\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    metadata:\n      annotations:\n        big: {{ .Values.big | quote }}\n        ratio: {{ .Values.ratio | quote }}\n        missing: \"{{ .Values.nothing }}\"\n        template: {{ .Template.Name }}\n        base: {{ .Template.BasePath }}\n        kube: {{ .Capabilities.KubeVersion.Version }}\n        minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n        has: {{ .Capabilities.APIVersions.Has \"apps/v1\" | quote }}\n        app-version: {{ .Chart.AppVersion | quote }}\n        namespace: {{ .Release.Namespace }}\n        enabled: {{ .Values.enabled | quote }}\n    spec:\n      containers:\n      - name: app\n        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n        ports:\n        {{- range .Values.ports }}\n        - containerPort: {{ . }}\n        {{- end }}\n        resources:\n          {{- toYaml .Values.resources | nindent 10 }}\n",
            ),
            (
                "templates/service.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n  annotations:\n    json: {{ toJson .Values.labels | quote }}\n---\n# an empty document follows\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  removed: {{ .Values.removed | default \"gone\" | quote }}\n",
            ),
            ("templates/empty.yaml", "{{- if false }}\nkind: Nothing\n{{- end }}\n"),
            ("templates/NOTES.txt", "Thanks for installing {{ .Release.Name }}\n"),
        ],
    );
    let out =
        assert_same(dir.path(), &Options { values: "replicas: 3\nremoved: null\nlabels:\n  team: b\n", ..DEFAULT });
    assert!(out.contains("replicas: 3"), "{out}");
}

#[test]
fn native_subcharts_get_their_values_globals_conditions_tags_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let sub_template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Release.Name }}\ndata:\n  values: {{ toJson .Values | quote }}\n  parent-defined: {{ include \"shared.name\" . | quote }}\n";
    write_chart(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: parent\nversion: 1.0.0\nappVersion: 1.10\nkeywords: [a, b]\nmaintainers:\n- name: me\n  email: me@example.com\nannotations:\n  note: x\ndependencies:\n- name: db\n  version: 1.x\n  repository: file://db\n  condition: db.enabled\n  import-values:\n  - child: info\n    parent: dbinfo\n  - data\n- name: cache\n  alias: redis\n  version: ~2.0.0\n  repository: file://cache\n  tags: [extras]\n- name: extra\n  version: 0.1.0\n  repository: file://extra\n  condition: extra.enabled,global.extraEnabled\n",
            ),
            ("values.yaml", "global:\n  region: eu\n  nested:\n    a: 1\ndb:\n  port: 5432\nredis:\n  size: large\ntags:\n  extras: true\nextra:\n  enabled: false\n"),
            ("templates/_shared.tpl", "{{- define \"shared.name\" -}}parent-{{ .Chart.Name }}{{- end -}}\n"),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\ndata:\n  values: {{ toJson .Values | quote }}\n  subcharts: {{ keys .Subcharts | sortAlpha | join \",\" | quote }}\n  chart: {{ toJson .Chart | quote }}\n  db-chart: {{ with .Subcharts.db }}{{ toJson .Chart | quote }}{{ end }}\n",
            ),
            ("charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 1.4.0\n"),
            (
                "charts/db/values.yaml",
                "enabled: true\nport: 3306\nuser: admin\nglobal:\n  nested:\n    b: 2\ninfo:\n  engine: postgres\nexports:\n  data:\n    dbExported: yes\n",
            ),
            ("charts/db/templates/_shared.tpl", "{{- define \"shared.name\" -}}db-{{ .Chart.Name }}{{- end -}}\n"),
            ("charts/db/templates/cm.yaml", sub_template),
            ("charts/cache/Chart.yaml", "apiVersion: v2\nname: cache\nversion: 2.0.3\n"),
            ("charts/cache/values.yaml", "size: small\nreplicas: 1\n"),
            ("charts/cache/templates/cm.yaml", sub_template),
            ("charts/extra/Chart.yaml", "apiVersion: v2\nname: extra\nversion: 0.1.0\n"),
            ("charts/extra/templates/cm.yaml", sub_template),
        ],
    );
    assert_same(dir.path(), &Options { values: "db:\n  user: root\nglobal:\n  region: us\n", ..DEFAULT });
    let out =
        assert_same(dir.path(), &Options { values: "db:\n  enabled: false\ntags:\n  extras: false\n", ..DEFAULT });
    assert!(!out.contains("db-rel"), "{out}");
}

#[test]
fn native_library_charts_define_without_output_and_tgz_subcharts_load() {
    let dir = tempfile::tempdir().unwrap();
    let library = tempfile::tempdir().unwrap();
    write_chart(
        library.path(),
        &[
            ("lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n"),
            (
                "lib/templates/_names.tpl",
                "{{- define \"lib.name\" -}}lib-{{ .Values.name | default \"x\" }}{{- end -}}\n",
            ),
            ("lib/templates/ignored.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: never\n"),
        ],
    );
    std::fs::create_dir_all(dir.path().join("charts")).unwrap();
    let archive = std::fs::File::create(dir.path().join("charts/lib-0.1.0.tgz")).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(archive, flate2::Compression::default()));
    builder.append_dir_all("lib", library.path().join("lib")).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://lib\n"),
            ("values.yaml", "name: app\n"),
            ("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"lib.name\" . }}\n"),
        ],
    );
    assert_same(dir.path(), &DEFAULT);
}

#[test]
fn native_files_are_read_as_helm_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (".helmignore", "# comment\nsecret.txt\n*.bak\ntmp/\n/rootonly.txt\n"),
            ("config/app.conf", "key = value\nother = 2\n"),
            ("config/extra.ini", "[section]\nname = x\n"),
            ("config/old.bak", "old\n"),
            ("secret.txt", "hidden\n"),
            ("lines.txt", "one\ntwo\nthree\n"),
            ("tmp/x.txt", "ignored as a directory\n"),
            ("docs/rootonly.txt", "kept: the rule is anchored\n"),
            ("rootonly.txt", "ignored\n"),
            ("config/sub/deep.yaml", "deep: true\n"),
            (
                "templates/globs.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: globs\ndata:\n{{- range $pattern := list \"*\" \"**\" \"config/*\" \"config/**\" \"config/*.{conf,ini}\" \"**.yaml\" \"config/?pp.conf\" \"config/[ae]*\" \"*/*\" \".helmignore\" }}\n  {{ $pattern | quote }}: \"{{ range $name, $_ := $.Files.Glob $pattern }}{{ $name }},{{ end }}\"\n{{- end }}\n",
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  {{- (.Files.Glob \"config/*\").AsConfig | nindent 2 }}\n  app: {{ .Files.Get \"config/app.conf\" | quote }}\n  hidden: {{ .Files.Get \"secret.txt\" | quote }}\n  lines: {{ .Files.Lines \"lines.txt\" | join \",\" | quote }}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: files\ndata:\n  {{- (.Files.Glob \"config/**.conf\").AsSecrets | nindent 2 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ranged\ndata:\n{{- range $path, $bytes := .Files.Glob \"config/*\" }}\n  {{ base $path }}: {{ $.Files.Get $path | quote }}\n  {{ base $path }}.size: {{ len $bytes | quote }}\n{{- end }}\n",
            ),
        ],
    );
    assert_same(dir.path(), &DEFAULT);
}

#[test]
fn native_renders_toml_config_maps_and_file_bytes_as_helm() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "values.yaml",
                "config:\n  title: \"app \\\"one\\\"\"\n  port: 8080\n  ratio: 0.5\n  debug: false\n  tags: [a, b]\n  database:\n    url: postgres://db:5432/app?sslmode=disable\n    pool: {max: 10, idle: 2}\n  servers:\n  - name: alpha\n    ip: 10.0.0.1\n  - name: beta\n    ip: 10.0.0.2\n",
            ),
            ("files/banner.txt", "hello\n"),
            (
                "templates/config.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  config.toml: |\n    {{- toToml .Values.config | nindent 4 }}\n  overrides.toml: {{ toToml (dict \"port\" (add .Values.config.port 1) \"name\" .Release.Name) | quote }}\n  port: {{ (fromToml (toToml .Values.config)).port | quote }}\n  pretty.yaml: |\n    {{- toYamlPretty .Values.config | nindent 4 }}\n  host: {{ (urlParse .Values.config.database.url).hostname }}\n  url: {{ urlJoin (dict \"scheme\" \"https\" \"host\" \"example.com\" \"path\" \"/a b\") }}\n{{- range $path, $bytes := .Files.Glob \"files/*\" }}\n  {{ base $path }}: {{ $bytes | toString | quote }}\n  {{ base $path }}.raw: {{ printf \"%v\" $bytes | quote }}\n{{- end }}\n  banner: {{ .Files.GetBytes \"files/banner.txt\" | toString | quote }}\n",
            ),
        ],
    );
    assert_eq!(check_support(dir.path()), Ok(()), "the engine has every function the chart calls");
    let out = assert_same(dir.path(), &DEFAULT);
    assert!(out.contains("[[servers]]"), "{out}");
}

#[test]
fn native_prints_crds_hooks_and_tests_as_helm() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            ("crds/thing.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n"),
            (
                "templates/hooks.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    \"helm.sh/hook\": pre-install,pre-upgrade\n    \"helm.sh/hook-weight\": \"-5\"\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  annotations:\n    note: plain\n",
            ),
            ("templates/tests/test.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: test\n"),
            ("templates/z.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: first\n"),
            ("templates/monitor.yaml", "{{- if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\n{{- end }}\n"),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            ("charts/sub/crds/sub.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: subs.example.com\n"),
        ],
    );
    assert_same(dir.path(), &DEFAULT);
    let api_versions = ["monitoring.coreos.com/v1".to_string()];
    let out = assert_same(
        dir.path(),
        &Options { include_crds: true, skip_tests: true, api_versions: &api_versions, ..DEFAULT },
    );
    assert!(out.contains("subs.example.com") && out.contains("ServiceMonitor"), "{out}");
}

#[test]
fn native_fails_as_helm_on_required_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            ("values.schema.json", r#"{"type": "object", "properties": {"port": {"type": "integer"}}}"#),
            ("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ required \"name is required\" .Values.name }}\n"),
        ],
    );
    let helm = helm_template(dir.path(), &DEFAULT).unwrap_err();
    let NativeError::Failed(message) = native(dir.path(), &DEFAULT).unwrap_err() else { panic!("not a failure") };
    assert!(helm.contains(&message), "helm said {helm:?}, native {message:?}");
    assert_eq!(message, "execution error at (app/templates/cm.yaml:4:11): name is required");

    let options = Options { values: "name: x\nport: eighty\n", ..DEFAULT };
    let helm = helm_template(dir.path(), &options).unwrap_err();
    let NativeError::Failed(message) = native(dir.path(), &options).unwrap_err() else { panic!("not a failure") };
    assert!(helm.contains(&format!("Error: {message}")), "helm said {helm:?}, native {message:?}");
    assert_same(dir.path(), &Options { values: "name: x\nport: 80\n", ..DEFAULT });
}

#[test]
fn native_refuses_what_it_lacks_before_rendering() {
    // Every function helm gives charts is native: a method the engine leaves out remains.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "templates/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  at: {{ now.Weekday }}\n",
            ),
            ("templates/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"),
        ],
    );
    let expected = NativeError::Unsupported(vec!["method `Weekday` (templates/secret.yaml)".to_string()]);
    assert_eq!(check_support(dir.path()).unwrap_err(), expected);
    assert_eq!(native(dir.path(), &DEFAULT).unwrap_err(), expected);
}

#[test]
fn native_checks_the_members_of_structs_not_the_keys_of_plain_results() {
    // bitnami's grafana-loki has `merge.Values.…` (a missing space) in a branch its defaults
    // never run: a field read off `merge`'s result is a key lookup, not a method to check.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            ("values.yaml", "on: false\na:\n  b: 1\n"),
            (
                "templates/cm.yaml",
                concat!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n",
                    "{{- if .Values.on }}\n  x: {{ merge.Values.a .Values.a }}\n{{- end }}\n",
                    "  major: {{ (semver \"1.2.3-rc.1\").Major | quote }}\n",
                    "  pre: {{ (semver \"1.2.3-rc.1\").Prerelease | quote }}\n",
                    "  kind: {{ (include \"kind\" . | fromYaml).Kind | quote }}\n",
                    "{{- define \"kind\" }}Kind: ConfigMap{{ end }}\n",
                ),
            ),
        ],
    );
    assert_eq!(check_support(dir.path()), Ok(()));
    let rendered = assert_same(dir.path(), &DEFAULT);
    assert!(rendered.contains("major: \"1\"") && rendered.contains("kind: \"ConfigMap\""), "{rendered}");

    // A struct's member the engine leaves out still goes to the helm binary, before rendering.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  x: {{ (semver \"1.2.3\").IncMajor }}\n",
            ),
        ],
    );
    let reasons = vec!["method `IncMajor` (templates/cm.yaml)".to_string()];
    assert_eq!(check_support(dir.path()), Err(NativeError::Unsupported(reasons)));
}

#[test]
fn native_prints_capabilities_as_go_prints_them_in_an_action_and_through_a_function() {
    // Go's template printer finds `KubeVersion`'s `String` on its pointer (the field is
    // addressable there); `fmt`, behind `quote` and `printf`, prints the struct.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "templates/cm.yaml",
                concat!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n",
                    "  action: \"{{ .Capabilities.KubeVersion }}\"\n",
                    "  quoted: {{ quote .Capabilities.KubeVersion }}\n",
                    "  printed: {{ printf \"%v\" .Capabilities.KubeVersion | quote }}\n",
                    "  method: {{ .Capabilities.KubeVersion.String | quote }}\n",
                    "  git: {{ .Capabilities.KubeVersion.GitVersion | quote }}\n",
                    "  helm: {{ .Capabilities.HelmVersion | quote }}\n",
                    "  all: \"{{ .Capabilities }}\"\n",
                    "  {{- $kube := .Capabilities.KubeVersion }}\n",
                    "  variable: \"{{ $kube }}\"\n",
                    "  variableQuoted: {{ $kube | quote }}\n",
                ),
            ),
        ],
    );
    let rendered = assert_same(dir.path(), &DEFAULT);
    assert!(rendered.contains(&format!("quoted: \"{{v{KUBE} v{KUBE} ")), "{rendered}");
}

#[test]
fn native_to_yaml_quotes_what_go_yaml_would_read_as_a_timestamp() {
    // grafana's loki-distributed writes `from: "2020-09-07"` into its config and hashes it.
    let dir = tempfile::tempdir().unwrap();
    let dates = [
        "2020-09-07",
        "2020-9-7",
        "2024-02-29",
        "2023-02-29",
        "2020-13-01",
        "2001-12-14T21:59:43Z",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14T21:59:43",
        "2001-12-14 21:59:43.10",
        "2001-12-14 21:59:43Z",
        "2020-09-07x",
    ];
    let values: String = dates.iter().enumerate().map(|(i, date)| format!("d{i}: \"{date}\"\n")).collect();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            ("values.yaml", &values),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  config.yaml: |\n    {{- toYaml .Values | nindent 4 }}\n",
            ),
        ],
    );
    let rendered = assert_same(dir.path(), &DEFAULT);
    assert!(rendered.contains("d0: \"2020-09-07\"") && rendered.contains("d3: 2023-02-29"), "{rendered}");
}

#[test]
fn native_leaves_a_binary_file_read_as_text_to_the_helm_binary() {
    // kube-prometheus-stack's CRD upgrade job: `.Files.Get "files/crds.bz2" | b64enc`. Go's
    // string keeps the bytes; the engine's strings are UTF-8.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_V2),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\nbinaryData:\n  crds.bz2: {{ .Files.Get \"files/crds.bz2\" | b64enc }}\n",
            ),
        ],
    );
    std::fs::create_dir_all(dir.path().join("files")).unwrap();
    std::fs::write(dir.path().join("files/crds.bz2"), b"BZh91AY&SY\xff\xfe\x00").unwrap();
    let reasons = vec!["method `Get` of `.Files`, with `app/files/crds.bz2` not UTF-8 text".to_string()];
    assert_eq!(check_support(dir.path()), Err(NativeError::Unsupported(reasons)));
    // `.Files.AsSecrets` encodes the bytes themselves: that the engine renders.
    write_chart(
        dir.path(),
        &[(
            "templates/cm.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  {{- (.Files.Glob \"files/*\").AsSecrets | nindent 2 }}\n",
        )],
    );
    assert_eq!(check_support(dir.path()), Ok(()));
    assert_same(dir.path(), &DEFAULT);
}

/// A `time.Time` through helm's own functions and Go's printing: `toYaml`/`toJson` write it as
/// `encoding/json` does (RFC 3339 with nanoseconds), `printf` by its `String` method.
#[test]
fn native_prints_and_serializes_times_as_helm() {
    let dir = tempfile::tempdir().unwrap();
    let time = r#"(toDate "2006-01-02 15:04:05.999" "2024-05-01 10:20:30.25")"#;
    let zoned = r#"(mustToDate "2006-01-02T15:04:05Z07:00" "2025-01-15T23:59:59-08:00")"#;
    let template = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n  yaml: {{{{ toYaml (dict \"at\" {time} \"z\" {zoned}) | quote }}}}\n  json: {{{{ toJson (list {time} {zoned}) | quote }}}}\n  printf: {{{{ printf \"%v|%s|%q\" {time} {zoned} {time} | quote }}}}\n  plain: {{{{ {zoned} }}}}\n  kind: {{{{ kindIs \"struct\" {time} }}}}\n  type: {{{{ typeOf {time} }}}}\n  dates: {{{{ toYaml (list \"2024-05-01\" \"2024-5-1x\" \"2024-05-01 10:20:30\" \"20240501\") | quote }}}}\n"
    );
    write_chart(dir.path(), &[("Chart.yaml", CHART_V2), ("templates/t.yaml", &template)]);
    assert_same(dir.path(), &DEFAULT);
}
