use std::collections::BTreeMap;
use std::fmt as stdfmt;
use std::rc::Rc;

use super::*;
use crate::gotemplate::{Function, Functions, Object};

const VALUES: &str = "f: 1.5\nbig: 1000000\ncount: 3\ns: str\nl: [a, null]\nm: {b: 2, a: 1}\nz: null\nempty: []\nnested: {inner: {leaf: x}}\nt: true\n";

fn data(yaml: &str) -> Value {
    let parsed: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML");
    let mut top = BTreeMap::new();
    top.insert("Values".to_string(), Value::from_yaml(&parsed));
    top.insert("Files".to_string(), Value::Object(Rc::new(Files)));
    Value::map(top)
}

/// A stand-in for Helm's `.Files`: `Get` returns the name back.
struct Files;

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "Count").then(|| Value::Int(2))
    }
    fn call(&self, method: &str, arguments: &[Value]) -> Option<Result<Value, String>> {
        match (method, arguments) {
            ("Get", [Value::String(name)]) => Some(Ok(Value::string(format!("content of {name}")))),
            ("Get", _) => Some(Err("Get wants one file name".into())),
            _ => None,
        }
    }
    fn elements(&self) -> Option<Value> {
        let files = [("a", "x"), ("b", "y")].map(|(name, text)| (name.to_string(), Value::string(text)));
        Some(Value::map(BTreeMap::from(files)))
    }
    fn members(&self) -> &'static [&'static str] {
        &["Count", "Get"]
    }
    fn display(&self, out: &mut stdfmt::Formatter<'_>) -> stdfmt::Result {
        out.write_str("files")
    }
    fn to_value(&self) -> Value {
        Value::Nil
    }
}

fn upper(args: &[Value]) -> Result<Value, String> {
    match args {
        [Value::String(text)] => Ok(Value::string(text.to_uppercase())),
        _ => Err("upper wants a string".into()),
    }
}

/// A function with an `int` parameter, complaining as Sprig's do.
fn twice(args: &[Value]) -> Result<Value, String> {
    match args {
        [Value::Int(n)] => Ok(Value::Int(n * 2)),
        [other] => Err(format!("wrong type for value; expected int; got {}", other.type_name())),
        _ => Err(format!("wrong number of args for twice: want 1 got {}", args.len())),
    }
}

fn set_with(sources: &[(&str, &str)]) -> Result<TemplateSet, String> {
    let mut functions = Functions::new();
    functions.insert("upper", Function::Pure(upper));
    functions.insert("twice", Function::Pure(twice));
    let mut set = TemplateSet::new(functions);
    for (name, source) in sources {
        set.parse(name, source).map_err(|error| format!("ERROR {}", error.message))?;
    }
    Ok(set)
}

fn render(sources: &[(&str, &str)], yaml: &str) -> String {
    let set = match set_with(sources) {
        Ok(set) => set,
        Err(message) => return message,
    };
    match set.execute(sources[0].0, &data(yaml)) {
        Ok(text) => text,
        Err(error) => format!("ERROR {}", error.message),
    }
}

/// `check(template, expected)`: the template `t` rendered on VALUES, or `ERROR` and Go's message.
fn check(template: &str, expected: &str) {
    assert_eq!(render(&[("t", template)], VALUES), expected, "template {template:?}");
}

#[test]
fn prints_values_as_go() {
    check(
        "{{ .Values.big }}|{{ .Values.m }}|{{ .Values.l }}|{{ .Values.missing }}|{{ .Values.f }}",
        "1e+06|map[a:1 b:2]|[a <nil>]|<no value>|1.5",
    );
    check(
        "{{ 1e6 }} {{ 0.00001 }} {{ 1234567.0 }} {{ 3 }} {{ 0x1F }} {{ 'a' }} {{ true }} {{ \"x\" }}",
        "1e+06 1e-05 1.234567e+06 3 31 97 true x",
    );
    check(
        "{{ .Files }}|{{ .Files.Count }}|{{ .Files.Get \"a\" }}|{{ \"b\" | .Files.Get }}",
        "files|2|content of a|content of b",
    );
    // A Go named map or slice type ranges, counts and indexes as its elements.
    check(
        "{{ len .Files }}|{{ range $k, $v := .Files }}{{ $k }}={{ $v }};{{ end }}|{{ index .Files \"a\" }}|{{ if .Files }}t{{ end }}",
        "2|a=x;b=y;|x|t",
    );
}

#[test]
fn fields_of_nil_fail_as_go() {
    check(
        "{{ .Values.z.b }}",
        "ERROR template: t:1:10: executing \"t\" at <.Values.z.b>: nil pointer evaluating interface {}.b",
    );
    check(
        "{{ .Values.missing.b }}",
        "ERROR template: t:1:10: executing \"t\" at <.Values.missing.b>: nil pointer evaluating interface {}.b",
    );
    check(
        "\n  {{ .Values.s.b }}",
        "ERROR template: t:2:12: executing \"t\" at <.Values.s.b>: can't evaluate field b in type interface {}",
    );
    check(
        "{{ $x := \"s\" }}{{ $x.b }}",
        "ERROR template: t:1:20: executing \"t\" at <$x.b>: can't evaluate field b in type string",
    );
    check("{{ $x := .Values.missing }}{{ $x.b }}|{{ (.Values.missing).b }}", "<no value>|<no value>");
    check(
        "{{ .Values.m.a 1 }}",
        "ERROR template: t:1:10: executing \"t\" at <.Values.m.a>: a is not a method but has arguments",
    );
    check(
        "{{ range .Values.l }}{{ .x }}{{ end }}",
        "ERROR template: t:1:24: executing \"t\" at <.x>: can't evaluate field x in type interface {}",
    );
    check(
        "{{ .Files.Nope }}",
        "ERROR template: t:1:9: executing \"t\" at <.Files.Nope>: can't evaluate field Nope in type interface {}",
    );
    check(
        "{{ .Files.Get 1 }}",
        "ERROR template: t:1:9: executing \"t\" at <.Files.Get>: error calling Get: Get wants one file name",
    );
}

#[test]
fn control_structures() {
    check("{{ if .Values.t }}yes{{ else }}no{{ end }}|{{ if .Values.empty }}yes{{ else if .Values.s }}{{ .Values.s }}{{ end }}", "yes|str");
    check(
        "{{ with .Values.nested.inner }}{{ .leaf }}{{ end }}|{{ with .Values.missing }}x{{ else }}none{{ end }}",
        "x|none",
    );
    check("{{ with .Values.missing }}x{{ else with .Values.s }}{{ . }}{{ end }}", "str");
    check("{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}", "0=a;1=<no value>;");
    check("{{ range $k, $v := .Values.m }}{{ $k }}:{{ $v }} {{ end }}", "a:1 b:2 ");
    check(
        "{{ range .Values.empty }}x{{ else }}empty{{ end }}|{{ range .Values.missing }}x{{ else }}nil{{ end }}",
        "empty|nil",
    );
    check("{{ range 3 }}{{ . }}{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}", "012|01");
    check(
        "{{ range $i, $v := 3 }}{{ end }}",
        "ERROR template: t:1:19: executing \"t\" at <3>: can't use 3 to iterate over more than one variable",
    );
    check(
        "{{ range .Values.f }}{{ end }}",
        "ERROR template: t:1:16: executing \"t\" at <.Values.f>: range can't iterate over 1.5",
    );
    check("{{ range (list) }}{{ end }}", "ERROR template: t:1: function \"list\" not defined");
    check("{{ range $i, $v := .Values.l }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $v }}{{ end }}", "a");
    check("{{ range $i, $v := .Values.l }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $i }}{{ end }}", "1");
}

#[test]
fn variables_and_scope() {
    check("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}", "2");
    check("{{ $x := 1 }}{{ with .Values.s }}{{ $x := 5 }}{{ $x }}{{ end }}{{ $x }}", "51");
    check("{{ range .Values.l }}{{ $.Values.s }}{{ end }}", "strstr");
    check("{{ $v := 0 }}{{ range $v = .Values.l }}{{ end }}{{ $v }}", "<no value>");
    check("{{ define \"d\" }}{{ $ }}{{ end }}{{ $x := 1 }}{{ template \"d\" 7 }}", "7");
}

#[test]
fn templates_defines_and_blocks() {
    check(
        "{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" .Values.s }}{{ template \"x\" }}",
        "[str][<no value>]",
    );
    check("{{ block \"b\" .Values.s }}<{{ . }}>{{ end }}", "<str>");
    check(
        "{{ template \"nope\" }}",
        "ERROR template: t:1:12: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined",
    );
    // A later definition replaces an earlier one; an empty one does not.
    let sources = [
        ("main", "{{ template \"d\" }}"),
        ("a", "{{ define \"d\" }}a{{ end }}"),
        ("b", "{{ define \"d\" }}b{{ end }}"),
        ("c", "{{ define \"d\" }}{{ end }}"),
    ];
    assert_eq!(render(&sources, VALUES), "b");
}

#[test]
fn include_and_tpl() {
    let sources = [
        ("main", "{{ include \"d\" .Values.s | upper }}|{{ tpl \"{{ .Values.s }}-{{ .Values.missing }}\" . }}"),
        ("h", "{{ define \"d\" }}<{{ . }}>{{ end }}"),
    ];
    assert_eq!(render(&sources, VALUES), "<STR>|str-");
    let sources =
        [("main", "{{ tpl \"{{ define \\\"e\\\" }}E{{ end }}{{ include \\\"e\\\" . }}{{ .Values.z.b }}\" . }}")];
    assert_eq!(
        render(&sources, VALUES),
        "ERROR template: main:1:3: executing \"main\" at <tpl \"{{ define \\\"e\\\" }}E{{ end }}{{ include \\\"e\\\" . }}{{ .Values.z.b }}\" .>: error calling tpl: error during tpl function execution for \"{{ define \\\"e\\\" }}E{{ end }}{{ include \\\"e\\\" . }}{{ .Values.z.b }}\": template: gotpl:1:55: executing \"gotpl\" at <.Values.z.b>: nil pointer evaluating interface {}.b"
    );
    let sources = [("main", "{{ include \"r\" . }}"), ("h", "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}")];
    let message = render(&sources, VALUES);
    assert!(message.ends_with("exceeded maximum template depth (300)"), "{message}");
    let sources = [("main", "{{ template \"r\" . }}"), ("h", "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}")];
    assert!(render(&sources, VALUES).contains("exceeded maximum template depth (300)"));
    let sources = [("main", "{{ range 100000000000 }}{{ end }}")];
    assert_eq!(
        render(&sources, VALUES),
        "ERROR template: main:1:9: executing \"main\" at <100000000000>: template execution exceeded 10000000 steps"
    );
    let sources = [("main", "{{ $s := \"x\" }}{{ range 40 }}{{ $s = print $s $s }}{{ end }}")];
    assert_eq!(
        render(&sources, VALUES),
        "ERROR template: main:1:37: executing \"main\" at <print $s $s>: error calling print: result exceeds 64 MiB"
    );
    let sources = [("main", "{{ include \"nope\" . }}")];
    assert_eq!(render(&sources, VALUES), "ERROR template: main:1:3: executing \"main\" at <include \"nope\" .>: error calling include: template: no template \"nope\" associated with template \"gotpl\"");
    let sources = [("main", "{{ tpl \"{{ nope }}\" . }}")];
    assert_eq!(render(&sources, VALUES), "ERROR template: main:1:3: executing \"main\" at <tpl \"{{ nope }}\" .>: error calling tpl: cannot parse template \"{{ nope }}\": template: gotpl:1: function \"nope\" not defined");
}

#[test]
fn builtin_functions() {
    check("{{ and 1 0 }}|{{ or 0 \"\" }}|{{ and 1 2 }}|{{ or 0 3 }}|{{ not 0 }}|{{ and 0 .Values.z.b }}|{{ or 1 .Values.z.b }}", "0||2|3|true|0|1");
    check("{{ len .Values.m }}|{{ len \"héllo\" }}|{{ len .Values.l }}|{{ index .Values.m \"a\" }}|{{ index .Values.l 0 }}|{{ index \"abc\" 1 }}|{{ index .Values.m \"zz\" }}", "2|6|2|1|a|98|<no value>");
    check("{{ slice \"abcdef\" 1 3 }}|{{ slice .Values.l 1 }}", "bc|[<nil>]");
    check(
        "{{ print nil 1 \"a\" 2 3 }}|{{ println 1 2 }}|{{ printf \"%v %d %s\" .Values.f .Values.missing 3 }}",
        "<nil> 1a2 3|1 2\n|1.5 %!d(<nil>) %!s(int=3)",
    );
    check("{{ eq .Values.missing \"x\" }}|{{ eq .Values.z nil }}|{{ eq 1 2 1 }}|{{ ne \"a\" \"b\" }}|{{ lt 1 2 }}|{{ le 2 2 }}|{{ gt \"b\" \"a\" }}|{{ ge 1.5 .Values.f }}", "false|true|true|true|true|true|true|true");
    check("{{ html \"<a\\\"'&>\" nil }}|{{ js \"<a href=\\\"x\\\">&'b=c\" }}|{{ urlquery \"a b&c/d~é\" }}|{{ html 1 2 }}", "&lt;a&#34;&#39;&amp;&gt;&lt;no value&gt;|\\u003Ca href\\u003D\\\"x\\\"\\u003E\\u0026\\'b\\u003Dc|a+b%26c%2Fd~%C3%A9|1 2");
}

#[test]
fn builtin_errors_read_as_go() {
    check("{{ eq 1 1.0 }}", "ERROR template: t:1:3: executing \"t\" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64");
    check("{{ eq .Values.count 3 }}", "ERROR template: t:1:3: executing \"t\" at <eq .Values.count 3>: error calling eq: incompatible types for comparison: float64 and int");
    check("{{ eq .Values.l .Values.l }}", "ERROR template: t:1:3: executing \"t\" at <eq .Values.l .Values.l>: error calling eq: non-comparable type [a <nil>]: []interface {}");
    check(
        "{{ lt nil 1 }}",
        "ERROR template: t:1:3: executing \"t\" at <lt nil 1>: error calling lt: invalid type for comparison",
    );
    check(
        "{{ index nil 1 }}",
        "ERROR template: t:1:3: executing \"t\" at <index nil 1>: error calling index: index of untyped nil",
    );
    check("{{ index .Values.m 1 }}", "ERROR template: t:1:3: executing \"t\" at <index .Values.m 1>: error calling index: value has type int; should be string");
    check("{{ index .Values.l 1.0 }}", "ERROR template: t:1:3: executing \"t\" at <index .Values.l 1.0>: error calling index: cannot index slice/array with type float64");
    check("{{ len 3 }}", "ERROR template: t:1:3: executing \"t\" at <len 3>: error calling len: len of type int");
    check("{{ not }}", "ERROR template: t:1:3: executing \"t\" at <not>: wrong number of args for not: want 1 got 0");
    check(
        "{{ printf }}",
        "ERROR template: t:1:3: executing \"t\" at <printf>: wrong number of args for printf: want at least 1 got 0",
    );
    check("{{ nil }}", "ERROR template: t:1:3: executing \"t\" at <nil>: nil is not a command");
    check("{{ 3 4 }}", "ERROR template: t:1:3: executing \"t\" at <3>: can't give argument to non-function 3");
    check("{{ \"x\" | upper | printf \"%s-%s\" \"a\" }}", "a-X");
    check("{{ twice 2 }}|{{ 3 | twice }}", "4|6");
    check("{{ twice \"x\" }}", "ERROR template: t:1:9: executing \"t\" at <\"x\">: expected integer; found \"x\"");
    check(
        "{{ twice .Values.s }}",
        "ERROR template: t:1:16: executing \"t\" at <.Values.s>: wrong type for value; expected int; got string",
    );
    check(
        "{{ twice 1 2 }}",
        "ERROR template: t:1:3: executing \"t\" at <twice>: wrong number of args for twice: want 1 got 2",
    );
    check(
        "{{ 1 | upper }}",
        "ERROR template: t:1:7: executing \"t\" at <upper>: error calling upper: upper wants a string",
    );
}

#[test]
fn parse_reports_unknown_functions_and_records_what_templates_call() {
    check("line\n{{ nope 1 }}", "ERROR template: t:2: function \"nope\" not defined");
    check("{{ if 1 }}{{ $x := 1 }}{{ end }}\n{{ $x }}", "ERROR template: t:2: undefined variable \"$x\"");
    check("{{ $x := 1 }}{{ define \"d\" }}{{ $x }}{{ end }}", "ERROR template: t:1: undefined variable \"$x\"");
    check("{{ $x := 1 }}{{ range $i, $v := .Values.l }}{{ $x }}{{ $i }}{{ end }}{{ $x }}", "10111");
    let mut set = TemplateSet::new(Functions::new());
    assert!(set.parse("t", "{{ define \"x\" }}{{ toYaml . }}{{ end }}{{ .Files.Get \"a\" | indent 2 }}{{ (.Files.Glob \"b\").AsConfig }}{{ .Capabilities.APIVersions.Has \"v1\" }}{{ .Values.x }}").is_err());
    let functions: Vec<String> = set.functions_used().into_iter().collect();
    assert_eq!(functions, ["indent", "toYaml"]);
    let methods: Vec<String> = set.methods_used().into_iter().collect();
    assert_eq!(methods, ["AsConfig", "Get", "Glob", "Has"]);
}

#[test]
fn whitespace_trimming_and_comments() {
    check("a  {{- 1 -}}  b {{/* note */}}c\n{{- /* gone */ -}}\nd", "a1b cd");
}
