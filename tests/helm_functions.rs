//! Helm's own functions and Sprig's URL functions that the native engine renders, against the
//! real helm: `toToml`, `fromToml`, `toYamlPretty`, `.Files.GetBytes`, `urlParse`, `urlJoin`.
//! Every expression of a table is rendered by `helm template` and by the native engine (one
//! chart, one ConfigMap key per expression, its text base64-encoded so any text fits a line),
//! and the two outputs must be the same bytes. The expressions helm refuses must fail natively.

mod common;

use std::path::Path;

use common::oracle::{assert_cases_agree, cases_template, helm_template, unlike_failure};
use hldc::render::native::{render, NativeError, Request};

/// `.Values` for every expression. `y` is YAML 1.1's `true` to helm's go-yaml v2.
const VALUES: &str = r##"
one: 1
f: 1.5
big: 1000000
huge: 12345678
tiny: 0.000001
s: "he\"llo\\ \t\u007f é \u0001"
multi: "line one\nline two\n"
b: true
none: null
list: [1, "x", 2.5]
empty: {}
emptylist: []
listnil: [1, null]
maps: [{a: 1}, {b: {c: 2}}]
mixed: [{a: 1}, 2]
nested: {x: {y: {z: 1, w: [1, 2], deeper: {k: v}}, k: v}, "a b": 1, "": 2, "dotted.key": 3}
nilinmap: {a: 1, b: null}
special: ["yes", "no", "on", "off", "~", "null", "1.0", "0x1F", "1e3", "", " lead", "trail ", "a: b", "#c", "- d", "@e", "`f", "%g", "!h", "&i", "*j", "|k", ">l", "'m'", "\"n\"", "[o]", "{p}", "q,r", "é", "2001-12-14"]
deep: {a: {b: {c: [{d: [1, 2]}, {e: {f: g}}]}}}
"##;

const CASES: &[&str] = &[
    // toToml: scalars, tables, arrays of tables, inline tables, key quoting, escaping.
    r#"toToml .Values.nested"#,
    r#"toToml .Values.list"#,
    r#"toToml .Values.s"#,
    r#"toToml 3"#,
    r#"toToml .Values.f"#,
    r#"toToml true"#,
    r#"toToml .Values.maps"#,
    r#"toToml .Values.listnil"#,
    r#"toToml (dict "x" .Values.listnil)"#,
    r#"toToml (dict "x" (list .Values.nilinmap (dict "q" (dict "r" 1))))"#,
    r#"toToml (dict "x" (list (list (dict "a" 1))))"#,
    r#"toToml (dict "x" (list .Values.nilinmap 1))"#,
    r#"toToml (dict "x" (list (dict "a" 1 "b" .Values.none "c" (dict "d" 1))))"#,
    r#"toToml (dict "n" 1e21 "m" .Values.tiny "i" 123456 "j" .Values.huge "neg" -0.0 "big" .Values.big)"#,
    r#"toToml (dict "y" .Values.mixed "z" .Values.maps "e" .Values.empty "el" .Values.emptylist)"#,
    r#"toToml (dict "special" .Values.special "multi" .Values.multi)"#,
    r#"toToml .Values.deep"#,
    r#"toToml (dict)"#,
    r#"toToml (dict "chart" .Chart "release" .Release)"#,
    r#"toToml (list)"#,
    r#"toToml (dict "a" (dict) "b" (dict "c" (dict)))"#,
    r#"toToml (dict "é k" "v\u2028" "q\"k" 1 "dot.k" (dict "in ner" 2) "n" (float64 "NaN") "i" (float64 "-Inf") "sum" (add 1 2))"#,
    r#"toToml (dict "mix" (list (list 1 "a") (list) (list (dict "a" 1) 2)))"#,
    r#"toToml (dict "t" (dict "a" (dict "b" (dict "c" 1)) "z" 1) "u" (list (dict "v" (list (dict "w" 1)))))"#,
    // fromToml: types, tables, arrays of tables, errors.
    r#"fromToml "a = 1\nb = 1.5\nc = \"s\"\nf = [1, 2]\n[g]\nh = true\n[[i]]\nj = 1\n[[i]]\nj = 2\n""#,
    r#"fromToml "a = 1\nb = 1e6\nc = -0.0\nd = 0x1F\ne = 1_000" | toJson"#,
    r#"kindOf (fromToml "a = 1\nb = [{c = 1}]").b"#,
    r#"fromToml "" "#,
    r#"fromToml "a = inf\nb = -inf\nc = nan\nd = 9223372036854775807\ne = \"\"\"\nmulti\nline\"\"\"\nf = 'C:\\path'\ng = [[1, 2], ['x']]\n\"h.i\" = 1""#,
    r#"fromToml "x.y.z = 'lit'\n\"q k\" = { a = 1, b = [ { c = 2 } ] }" | toToml"#,
    r#"toToml (fromToml "d = 1979-05-27T07:32:00Z\nl = 1979-05-27T07:32:00.5\ne = 1979-05-27\nt = 07:32:00\no = 1979-05-27T00:32:00-07:00")"#,
    r#"fromToml "d = 1979-05-27T07:32:00Z\ne = 1979-05-27\nt = 07:32:01.25\no = 1979-05-27T00:32:00+05:30""#,
    r#"fromToml "d = 1979-05-27T07:32:00.123Z\nz = 1979-05-27T07:32:00+00:00\nm = 1979-05-27T07:32:00-00:30" | toJson"#,
    r#"fromToml "z = 1979-05-27T07:32:00+00:00\nm = 1979-05-27T07:32:00-00:30""#,
    // fromToml's datetimes are Go's time.Time: the date functions and methods take them.
    r#"date "Mon Jan 2 2006 15:04:05 MST -0700" (fromToml "o = 1979-05-27T00:32:00-07:00").o"#,
    r#"dateInZone "2006-01-02 15:04 MST" (fromToml "d = 1979-05-27T07:32:00Z").d "Asia/Tokyo""#,
    r#"(fromToml "d = 1979-05-27T07:32:00.5Z").d.Year"#,
    r#"unixEpoch (fromToml "l = 1979-05-27T07:32:00").l"#,
    r#"(fromToml "e = 1979-05-27").e.Format "2006 MST""#,
    r#"dateModify "36h" (fromToml "t = 07:32:00").t"#,
    r#"toToml (dict "d" (toDate "2006-01-02 15:04:05.999 -0700" "2024-05-01 10:20:30.25 +0200"))"#,
    r#"toToml (dict "d" (dateModify "1h" (fromToml "e = 1979-05-27").e))"#,
    r#"hasKey (fromToml "a = ") "Error""#,
    r#"hasKey (fromToml "a = 1\na = 2") "Error""#,
    // go-yaml escapes a byte-order mark in double quotes as `\uFEFF`.
    r#"toYaml (dict "k" (printf "%c" 65279))"#,
    // toYamlPretty: go-yaml v3 with an indent of 2 (sequences indented under their key).
    r#"toYamlPretty .Values"#,
    r#"toYamlPretty .Values.list"#,
    r#"toYamlPretty .Values.s"#,
    r#"toYamlPretty .Values.none"#,
    r#"toYamlPretty (dict "chart" (omit .Chart "Annotations") "release" .Release)"#,
    r#"toYamlPretty (dict)"#,
    r#"toYamlPretty (list)"#,
    r#"toYamlPretty 3"#,
    r#"toYamlPretty (list (list 1 2) (list) (dict) (list (dict "a" 1 "b" (list 1))))"#,
    r#"toYamlPretty (dict "long" (repeat 30 "word ") "multi" "a\nb" "trail" "a\nb\n" "lead" " a\nb" "tab" "a\tb" "tabs" "a\tb\nc")"#,
    r#"toYamlPretty (dict "n" 1e21 "m" .Values.tiny "i" 123456 "j" .Values.huge "neg" -0.0 "nan" (float64 "NaN") "inf" (float64 "+Inf"))"#,
    r#"toYamlPretty (list "0o17" "+1" ".5" "1_000" "08" "0b11" "-" "- " ":" "<<" "=" "1:20" "2001-1-2" "2001-12-14T21:59:43.10-05:00" "null " "True" "Off" "0x" "1e" "." "-.5" "+.inf" ".NaN" "1__0" "12e3" "-0" "0" "1.")"#,
    r#"toYamlPretty (dict "a1b" 1 "a1_" 2 "10" 3 "9" 4 "a10" 5 "a9" 6 "B" 7 "b" 8 "_" 9 "é" 10)"#,
    r#"toYamlPretty (dict "k" (list "a\nb" "x\r" "\u2028" (int 5) true .Values.none (list) (dict) (list "a\nb\n")) "multi\nkey" 1 (repeat 130 "k") 2)"#,
    // Complex keys (`? KEY` then `: VALUE`): multi-line keys and keys over 128 bytes, in both
    // of helm's YAML writers.
    r#"toYamlPretty (dict "multi\nkey" (dict "a" 1 "b" (list 1 2)) "m2\nk" (list 1 (dict "x" 1)) "m3\n" "s\nt" (repeat 129 "k") (dict) "ok" 1)"#,
    r#"toYaml (dict "multi\nkey" (dict "a" 1 "b" (list 1 2)) "m2\nk" (list 1 (dict "x" 1)) "m3\n" "s\nt" (repeat 129 "k") (dict) "ok" 1 (repeat 128 "j") 1 (repeat 30 "long key ") 2)"#,
    r#"toYaml (list (dict "multi\nkey" 1 "z" (dict "y\nq" 2)))"#,
    // .Files.GetBytes: a Go []byte.
    r#".Files.GetBytes "data.txt""#,
    r#".Files.GetBytes "missing""#,
    r#"typeOf (.Files.GetBytes "data.txt")"#,
    r#"kindOf (.Files.GetBytes "data.txt")"#,
    r#"toJson (.Files.GetBytes "data.txt")"#,
    r#"toYaml (.Files.GetBytes "data.txt")"#,
    r#"len (.Files.GetBytes "data.txt")"#,
    r#"index (.Files.GetBytes "data.txt") 0"#,
    r#"printf "%s|%v|%q|%x" (.Files.GetBytes "data.txt") (.Files.GetBytes "data.txt") (.Files.GetBytes "data.txt") (.Files.GetBytes "data.txt")"#,
    r#".Files.GetBytes "data.txt" | quote"#,
    r#".Files.GetBytes "bin.dat" | toString | b64enc"#,
    r#"index .Files "data.txt""#,
    r#"toToml (dict "f" (.Files.GetBytes "data.txt") "all" .Files)"#,
    r#"toYamlPretty (dict "f" (.Files.GetBytes "data.txt") "all" .Files)"#,
    r#"index (.Files.Glob "*.txt") "data.txt" | toString"#,
    r#"list (.Files.GetBytes "data.txt")"#,
    r#"empty (.Files.GetBytes "missing")"#,
    r#"default "dflt" (.Files.GetBytes "missing")"#,
    // urlParse / urlJoin: Go's net/url.
    r#"urlParse "https://user:pa%20ss@example.com:8080/a%2Fb/c?x=1&y=%20#frag%20x""#,
    r#"urlParse "mailto:joe@example.com""#,
    r#"urlParse "/relative/path?q""#,
    r#"urlParse "HTTP://[fe80::1%25en0]:80/p?#""#,
    r#"urlParse "http://h/p?q=1?2""#,
    r#"urlParse "//host.only/x""#,
    r#"urlParse "http://user@h/%7Efoo""#,
    r#"urlParse "http://h.com/a b""#,
    r#"urlParse "*""#,
    r#"urlParse """#,
    r#"urlParse "http://h:/""#,
    r#"urlParse "file:///etc/hosts""#,
    r#"urlParse "http://u%3Ax:p%40w@h/""#,
    r#"urlParse "http://h/#a%2Fb""#,
    r#"urlParse "http://[::1]:80""#,
    r#"urlParse "HTTP://Example.COM:/P?a=1#""#,
    r#"urlParse "?q=1""#,
    r##"urlParse "#only""##,
    r#"urlParse "http://h/p;params/x%3By""#,
    r#"urlParse "http://user:@h""#,
    r#"urlParse "http://:pw@h""#,
    r#"urlParse "http://@h""#,
    r#"urlParse "mailto:?subject=x""#,
    r#"urlParse "http://h/é/%C3%A9""#,
    r#"urlParse "http://a@b@c/""#,
    r#"urlJoin (dict "scheme" "https" "host" "example.com" "path" "/a b" "query" "x=1" "fragment" "f g" "userinfo" "u:p")"#,
    r#"urlJoin (dict "scheme" "mailto" "opaque" "joe@example.com")"#,
    r#"urlJoin (dict "path" "a:b")"#,
    r#"urlJoin (dict "path" "a/b:c")"#,
    r#"urlJoin (dict "host" "h" "path" "rel")"#,
    r#"urlJoin (dict "scheme" "http" "path" "/p?x#y" "fragment" "a/b?c#d!$'()*é")"#,
    r#"urlJoin (dict "host" "hé st:80" "userinfo" "us@r:p:w")"#,
    r#"urlJoin (dict "userinfo" "onlyuser")"#,
    r#"urlJoin (dict "scheme" "http")"#,
    r#"urlJoin (dict)"#,
    r#"urlJoin (dict "host" "[::1]:80" "path" "" "fragment" "%20")"#,
    r#"urlJoin (dict "scheme" "s3" "userinfo" "@" "query" "a b&c=é")"#,
    r#"urlJoin (dict "path" "*")"#,
    r#"urlJoin (dict "host" "h" "path" "é/?x#")"#,
    r#"urlJoin (urlParse "https://user:pa%20ss@example.com:8080/a%2Fb/c?x=1&y=%20#frag%20x")"#,
];

/// Expressions helm refuses: they must fail natively too, with helm's message after `error
/// calling` where the flag is set.
const FAILING: &[(&str, bool)] = &[
    (r#"toToml .Values.none"#, true),
    (r#"fromToml 1"#, false),
    // helm 4.1.4 has no mustToToml (helm's main branch added it later): a parse error.
    (r#"mustToToml (dict)"#, false),
    (r#".Files.GetBytes "data.txt" | b64enc"#, false),
    (r#"urlParse "http://[::1""#, true),
    (r#"urlParse ":nope""#, true),
    (r#"urlParse "a:b/c:d""#, false),
    (r#"urlParse "http://h:8x/""#, true),
    (r#"urlParse "http://h/%zz""#, true),
    (r#"urlParse "http://a b.com/""#, true),
    (r#"urlParse "rel:ative""#, false),
    (r#"urlParse "1http://x""#, true),
    (r#"urlParse "http://ex%41mple.com/""#, true),
    (r#"urlJoin (dict "host" "h" "userinfo" "us@r:p:w/d")"#, true),
    (r#"urlJoin (dict "host" 1)"#, true),
    (r#"urlJoin (dict "path" .Values.none)"#, true),
    (r#"urlJoin (dict "userinfo" "a b")"#, true),
];

fn write_chart(dir: &Path, template: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: oracle\nversion: 0.1.0\n").unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    std::fs::write(dir.join("data.txt"), "hi\n").unwrap();
    // Bytes that are UTF-8: a template string holds nothing else (see docs/native-engine.md).
    std::fs::write(dir.join("bin.dat"), "a\u{0}\u{7f}é").unwrap();
    std::fs::write(dir.join("templates/cases.yaml"), template).unwrap();
}

fn native_template(dir: &Path) -> Result<String, String> {
    let request = Request {
        release: "rel",
        namespace: "default",
        values: "",
        kube_version: "1.35.0",
        api_versions: &[],
        include_crds: false,
        skip_tests: false,
        deterministic: None,
    };
    render(dir, &request).map_err(|error| match error {
        NativeError::Failed(message) => message,
        NativeError::Unsupported(reasons) => format!("unsupported: {}", reasons.join(", ")),
    })
}

#[test]
fn helm_functions_render_as_helm_renders_them() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path(), &cases_template(CASES));
    let helm = helm_template(dir.path()).unwrap_or_else(|error| panic!("helm failed: {error}"));
    let native = native_template(dir.path()).unwrap_or_else(|error| panic!("native failed: {error}"));
    assert_cases_agree(CASES, &helm, &native);
    assert_eq!(helm, native, "the whole output is helm's, byte for byte");
}

#[test]
fn helm_functions_fail_where_helm_fails() {
    let mut wrong = Vec::new();
    for (expression, same_message) in FAILING {
        let dir = tempfile::tempdir().unwrap();
        write_chart(dir.path(), &format!("a: {{{{ {expression} }}}}\n"));
        wrong.extend(unlike_failure(expression, *same_message, helm_template(dir.path()), native_template(dir.path())));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
