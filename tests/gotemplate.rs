//! hldc's Go template executor against the real helm: each case is rendered by `helm template`
//! (in a scratch chart) and by `TemplateSet`, and the two texts must be equal to the byte.
//! Error cases compare Go's message: location, node and reason.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use hldc::gotemplate::{Functions, TemplateSet, Value};

const VALUES: &str = "\
int: 42
big: 1000000
small: 0.00001
float: 3.14
neg: -2.5
huge: 12345678901
tiny: 1.5e-300
zero: 0
str: abc
t: true
f: false
nil: null
list: [a, null, 3, {k: v}]
emptyList: []
emptyMap: {}
map: {b: 2, a: 1, c: [x]}
nested: {inner: {leaf: x, other: 2.5}}
";

/// Templates whose output helm and hldc must agree on.
const CASES: &[&str] = &[
    "{{ .Values.int }} {{ .Values.big }} {{ .Values.small }} {{ .Values.float }} {{ .Values.neg }} {{ .Values.huge }} {{ .Values.tiny }} {{ .Values.zero }}",
    "{{ 42 }} {{ 1e6 }} {{ 0x1F }} {{ 1.0 }} {{ -3 }} {{ 'a' }} {{ 1.5e-7 }} {{ 0o17 }} {{ 0b101 }}",
    "{{ 1_000 }} {{ 0x_1F }} {{ 1e3 }} {{ 0x1p4 }} {{ +3 }} {{ 0777 }} {{ 1.5e+2 }} {{ .5 }} {{ 1e100 }} {{ -0.0 }} {{ 9223372036854775807 }} {{ '\\n' }}",
    "{{ .Values.map }}|{{ .Values.list }}|{{ .Values.nested }}|{{ .Values.emptyMap }}|{{ .Values.emptyList }}|{{ .Values.t }}",
    "{{ .Values.missing }}|{{ .Values.nil }}|{{ $x := .Values.missing }}{{ $x.y }}|{{ (.Values.missing).y }}",
    r#"{{ printf "%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%q|%U|%#U" 42 42 42 -42 255 255 8 5 65 66 67 68 }}"#,
    r#"{{ printf "%f|%.2f|%8.3f|%e|%E|%g|%G|%.3g|%v|%.0f|%.1f" 3.14159 3.14159 3.14159 1234.5678 1234.5678 0.00001234 1e21 3.14159 .Values.float 2.5 0.25 }}"#,
    r#"{{ printf "%s|%10s|%-10s|%.2s|%q|%x|%v|%T|%T|%T|%T" "héllo" "hi" "hi" "héllo" "a\"b\n" "hi" .Values.list .Values.float .Values.list .Values.map 3 }}"#,
    r#"{{ printf "%d %s" "x" 3 }}|{{ printf "%d" }}|{{ printf "x" 1 "a" }}|{{ printf "%d" .Values.missing }}|{{ printf "%s" .Values.list }}|{{ printf "%v" .Values.map }}|{{ printf "%d" .Values.int }}|{{ printf "%z" 1 }}"#,
    r#"{{ printf "%+d|% d|%+.1f|%#x|%#o|%x|%X|%08.3f|%-8.2f|%t|%5t|%%|%[2]d %[1]d|%*d" 5 5 2.55 255 8 "héllo" "hi" -3.14159 2.5 true false 1 2 4 7 }}|{{ printf "%d %" 1 2 }}|{{ printf "%[3]d %[0]d %d" 1 2 }}|{{ printf "%*d|%.*d" "x" 1 2 3 }}"#,
    r#"{{ printf "%v %v %v %s" .Values.t .Values.nested .Values.emptyList .Values.map }}|{{ printf "%x %X %b %x" .Values.float 255 .Values.float .Values.tiny }}"#,
    r#"{{ print 1 2 "a" "b" 3 nil .Values.list }}|{{ println "a" 1 }}|{{ print }}|{{ print .Values.float .Values.int }}"#,
    "{{ if .Values.t }}yes{{ end }}|{{ if .Values.emptyList }}a{{ else if .Values.str }}b{{ else }}c{{ end }}|{{ if .Values.zero }}z{{ else }}nz{{ end }}",
    "{{ with .Values.nested.inner }}{{ .leaf }}-{{ .other }}{{ end }}|{{ with .Values.missing }}x{{ else }}none{{ end }}|{{ with .Values.missing }}1{{ else with .Values.str }}{{ . }}{{ end }}",
    "{{ range .Values.list }}[{{ . }}]{{ end }}|{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }};{{ end }}|{{ range $k, $v := .Values.map }}{{ $k }}:{{ $v }} {{ end }}",
    "{{ range .Values.emptyList }}x{{ else }}empty{{ end }}|{{ range .Values.missing }}x{{ else }}nil{{ end }}|{{ range .Values.emptyMap }}x{{ else }}em{{ end }}",
    "{{ range 3 }}{{ . }}{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}|{{ range 0 }}x{{ else }}zero{{ end }}",
    "{{ range $i, $v := .Values.list }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $i }}{{ end }}|{{ range $i, $v := .Values.list }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
    "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}|{{ $z := 1 }}{{ with .Values.str }}{{ $z := 5 }}{{ $z }}{{ end }}{{ $z }}|{{ range .Values.emptyList }}{{ else }}{{ $.Values.str }}{{ end }}",
    "{{ $v := 0 }}{{ range $v = .Values.list }}{{ end }}{{ $v }}|{{ with $w := .Values.str }}{{ $w }}{{ end }}|{{ range $k, $v := .Values.map }}{{ end }}",
    "{{ eq .Values.int 42.0 }} {{ eq .Values.str \"abc\" }} {{ eq .Values.missing nil }} {{ eq .Values.missing \"x\" }} {{ ne 1 2 }} {{ lt 1.5 .Values.float }} {{ ge \"b\" \"a\" }} {{ eq true true }} {{ eq 1 2 3 1 }} {{ le 2 2 }} {{ gt 3 2 }}",
    "{{ and .Values.t .Values.str }}|{{ or .Values.missing .Values.str }}|{{ and .Values.missing .Values.nil.x }}|{{ or .Values.t .Values.nil.x }}|{{ and 1 0 2 }}|{{ or 0 \"\" }}|{{ not .Values.emptyList }}|{{ not .Values.str }}",
    "{{ index .Values.map \"a\" }} {{ index .Values.list 1 }} {{ index .Values.nested \"inner\" \"leaf\" }} {{ index .Values.map \"zz\" }} {{ len .Values.list }} {{ len .Values.str }} {{ len .Values.map }} {{ index \"abc\" 1 }}",
    r#"{{ html "<a href=\"x\">'&" }}|{{ html 1 nil }}|{{ js "<a href=\"x\">'&=\\" }}|{{ urlquery "a b&c/d?é" }}|{{ urlquery .Values.list }}"#,
    "a  {{- 1 -}}  b {{/* note */}}c\n  {{- /* gone */ -}}\n  d\n{{ \"e\" }}\n  {{- \"f\" }}  \n",
    "metadata:\n  {{- /* note */}}\n  name: x\n  {{- /* a */}}{{ \"y\" }}\n{{- /* b\nc */}}  \n{{ \"z\" }} {{- /* d */ -}} \n e {{ if true }}{{- /* in */}}  {{ end }}|",
    "a {{-3}} b {{- 3}} c {{3 -}} d\n {{- /* x */}} e {{/* y */ -}}\nf{{\"\\t\"}}g\t{{- \"h\" -}}\t\r\ni",
    "{{ template \"sub\" .Values.str }}{{ template \"sub\" }}|{{ include \"sub\" .Values.map }}|{{ block \"blk\" .Values.int }}[{{ . }}]{{ end }}",
    "{{ tpl \"{{ .Values.str }}-{{ .Values.missing }}\" . }}|{{ tpl \"{{ define \\\"in\\\" }}IN{{ end }}{{ include \\\"in\\\" . }}\" . }}|{{ include \"sub\" 1 | printf \"%q\" }}",
    "{{ .Values.str | printf \"%s-\" | }}|{{ (.Values.int | print |) }}|{{- if.Values.t }}t{{ end }}",
    "{{ \"x\" | printf \"%s-%s\" \"a\" }}|{{ .Values.str | printf \"%q\" }}|{{ 3 | eq 3 }}|{{ .Values.list | len }}",
];

/// Templates helm fails on: hldc must fail with the same location, node and reason (or, for a
/// parse error, line and reason).
const FAILING: &[&str] = &[
    "{{ .Values.nil.x }}",
    "a\nb\n  {{ .Values.missing.x.y }}",
    "{{ .Values.str.x }}",
    "{{ $s := \"a\" }}{{ $s.x }}",
    "{{ eq 1 1.0 }}",
    "{{ eq .Values.int 42 }}",
    "{{ lt \"a\" 1 }}",
    "{{ lt .Values.list 1 }}",
    "{{ eq .Values.list .Values.list }}",
    "{{ eq .Values.map .Values.map }}",
    "{{ index .Values.map 1 }}",
    "{{ index .Values.list 1.0 }}",
    "{{ index nil 1 }}",
    "{{ len 3 }}",
    "{{ range .Values.float }}{{ end }}",
    "{{ range $i, $v := 3 }}{{ end }}",
    "{{ template \"nope\" }}",
    "{{ include \"nope\" . }}",
    "{{ nil }}",
    "{{ 3 4 }}",
    "{{ not }}",
    "{{ printf }}",
    "{{ .Values.map.a 1 }}",
    "{{ range .Values.list }}{{ .x }}{{ end }}",
    "x\n{{ tpl \"{{ .Values.nil.x }}\" . }}",
    "{{ define \"d\" }}\n {{ .Values.nil.y }}{{ end }}{{ include \"d\" . }}",
    "{{ if .Values.t }}\n  {{ with .Values.nested }}{{ .inner.leaf.deeper }}{{ end }}{{ end }}",
    "{{ printf 3 }}",
    "{{ printf .Values.int }}",
    "{{ include 3 . }}",
    "{{ include .Values.missing . }}",
    "{{ tpl 3 . }}",
    "{{ and }}",
    "{{ include \"x\" }}",
    "{{ (.Values.list).x }}",
    "{{ .Values.list.x }}",
    "{{ $.Values.nil.x }}",
    "{{ range $k, $v := .Values.map }}{{ $v.x }}{{ end }}",
    "{{ index .Values.list 9 }}",
    "{{ index .Values.list -1 }}",
    "{{ index .Values.list 4 }}",
    "{{ len .Values.nil }}",
    "{{ 18446744073709551615 }}",
    "{{ ne 1 }}",
    "{{ eq }}",
    "{{ eq 1 }}",
    "{{ urlquery }}{{ call .Values.str }}",
    "{{ with .Values.t }}{{ .x }}{{ end }}",
    "{{ ge true false }}",
    "a{{ end }}b",
    "{{ if 1 }}\n{{ else }}{{ end }}\n{{- else -}}",
    "{{ break }}",
    "{{ range .Values.list }}{{ end }}{{ continue }}",
];

fn values() -> Value {
    let parsed: serde_yaml::Value = serde_yaml::from_str(VALUES).expect("test values");
    Value::map(BTreeMap::from([("Values".to_string(), Value::from_yaml(&parsed))]))
}

fn scratch_chart(dir: &Path, templates: &[(&str, String)]) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n").unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    for (name, text) in templates {
        std::fs::write(dir.join("templates").join(name), text).unwrap();
    }
}

fn helm_template(chart: &Path) -> std::process::Output {
    Command::new(common::helm()).arg("template").arg(chart).output().expect("helm runs")
}

fn cases_source() -> String {
    let cases: String = CASES
        .iter()
        .enumerate()
        .map(|(i, case)| format!("{{{{- define \"case{i}\" -}}}}{case}{{{{- end -}}}}\n"))
        .collect();
    format!("{cases}{{{{- define \"sub\" }}}}<{{{{ . }}}}>{{{{ end -}}}}\n")
}

/// Helm's output for each case: a ConfigMap holds every case's text base64-encoded, so no
/// byte of it is lost to YAML.
fn helm_outputs(dir: &Path) -> Vec<String> {
    let mut configmap = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cases\ndata:\n");
    for i in 0..CASES.len() {
        configmap.push_str(&format!("  case{i}: {{{{ include \"case{i}\" . | b64enc | quote }}}}\n"));
    }
    scratch_chart(dir, &[("_cases.tpl", cases_source()), ("cases.yaml", configmap)]);
    let output = helm_template(dir);
    assert!(output.status.success(), "helm failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let document = text.split("---").find(|doc| doc.contains("kind: ConfigMap")).expect("helm rendered the ConfigMap");
    let configmap: serde_yaml::Value = serde_yaml::from_str(document).unwrap();
    (0..CASES.len())
        .map(|i| {
            let encoded = configmap["data"][format!("case{i}").as_str()].as_str().expect("a case's text");
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn renders_as_helm_renders() {
    let scratch = tempfile::tempdir().unwrap();
    let expected = helm_outputs(scratch.path());
    assert_eq!(expected[0], "42 1e+06 1e-05 3.14 -2.5 1.2345678901e+10 1.5e-300 0", "helm's own text of case 0");
    let mut set = TemplateSet::new(Functions::new());
    set.parse("c/templates/_cases.tpl", &cases_source()).expect("the cases parse");
    let data = values();
    let mut wrong = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let got = set.execute(&format!("case{i}"), &data).map_err(|error| error.message);
        if got.as_ref() != Ok(&expected[i]) {
            wrong.push(format!("case {i}: {case}\n  helm: {:?}\n  hldc: {got:?}", expected[i]));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases differ:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

/// Helm 4 prints Go's one-line error as it is, or laid out over three lines; either way it
/// holds the location, the node and the reason of hldc's message. A parse error it prints as
/// `parse error at (LOCATION): REASON`.
fn helm_says(stderr: &str, message: &str) -> bool {
    if stderr.contains(message) {
        return true;
    }
    // A parse error: `template: NAME:LINE: MESSAGE` as `parse error at (NAME:LINE): MESSAGE`.
    if let Some((location, reason)) = message.strip_prefix("template: ").and_then(|rest| rest.split_once(": ")) {
        if !reason.starts_with("executing ") && stderr.contains(&format!("parse error at ({location}): {reason}")) {
            return true;
        }
    }
    let Some(rest) = message.strip_prefix("template: ") else { return false };
    let Some((location, rest)) = rest.split_once(": executing ") else { return false };
    let Some((node, reason)) = rest.split_once(">: ") else { return false };
    let reason = reason.split(" template:").next().unwrap_or(reason);
    stderr.contains(&format!("{location}\n  executing {node}>:\n    {reason}"))
}

#[test]
fn fails_as_helm_fails() {
    let data = values();
    let mut wrong = Vec::new();
    for (i, case) in FAILING.iter().enumerate() {
        let scratch = tempfile::tempdir().unwrap();
        let chart = scratch.path().join("c");
        scratch_chart(&chart, &[("case.yaml", case.to_string())]);
        let output = helm_template(&chart);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            wrong.push(format!("case {i}: {case}\n  helm renders it"));
            continue;
        }
        let mut set = TemplateSet::new(Functions::new());
        let rendered =
            set.parse("c/templates/case.yaml", case).and_then(|()| set.execute("c/templates/case.yaml", &data));
        match rendered {
            Ok(text) => wrong.push(format!("case {i}: {case}\n  helm: {stderr}\n  hldc rendered {text:?}")),
            Err(error) if !helm_says(&stderr, &error.message) => {
                wrong.push(format!("case {i}: {case}\n  helm: {stderr}\n  hldc: {}", error.message))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases differ:\n{}", wrong.len(), FAILING.len(), wrong.join("\n"));
}
