//! The canonical YAML writer: one spelling for every value, so output is byte-stable and means
//! the same to YAML 1.1 parsers (go-yaml v2, which kubectl and helm use) and YAML 1.2 ones.
//!
//! Mapping keys are sorted; block style throughout, with lists at their key's indentation (as
//! kubectl writes them); a string is written plain only when no parser could read it as
//! anything else, otherwise double-quoted, or as a literal block when it spans lines.

use serde_yaml::{Mapping, Value};

/// Writes one document (without the `---` separator).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Mapping(map) if !map.is_empty() => write_mapping(&mut out, map, 0, false),
        Value::Sequence(items) if !items.is_empty() => write_sequence(&mut out, items, 0, false),
        scalar => {
            write_inline(&mut out, scalar);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn sorted(map: &Mapping) -> Vec<(String, &Value)> {
    let mut entries: Vec<(String, &Value)> = map.iter().map(|(k, v)| (key_text(k), v)).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

fn key_text(key: &Value) -> String {
    let mut text = String::new();
    match key {
        Value::Mapping(_) | Value::Sequence(_) => write_flow(&mut text, key),
        _ => write_inline(&mut text, key),
    }
    text
}

/// `inline_first`: the first entry continues a line already started (after `- `).
fn write_mapping(out: &mut String, map: &Mapping, width: usize, inline_first: bool) {
    for (i, (key, value)) in sorted(map).into_iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, width);
        }
        out.push_str(&key);
        out.push(':');
        write_after_key(out, value, width);
    }
}

fn write_sequence(out: &mut String, items: &[Value], width: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, width);
        }
        out.push('-');
        match untag(item) {
            Value::Mapping(map) if !map.is_empty() && !is_tagged(item) => {
                out.push(' ');
                write_mapping(out, map, width + 2, true);
            }
            Value::Sequence(inner) if !inner.is_empty() && !is_tagged(item) => {
                out.push(' ');
                write_sequence(out, inner, width + 2, true);
            }
            // Tagged collections nest one level deeper than the dash.
            _ => write_after_key(out, item, width + 2),
        }
    }
}

/// Writes a value that follows `key:` or `-` on the current line.
fn write_after_key(out: &mut String, value: &Value, width: usize) {
    if let Value::Tagged(tagged) = value {
        out.push(' ');
        out.push_str(&tagged.tag.to_string());
        return write_after_key(out, &tagged.value, width);
    }
    match value {
        Value::Mapping(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, width + 2, false);
        }
        Value::Sequence(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, width, false);
        }
        Value::String(text) if literal_block_fits(text) => write_literal_block(out, text, width + 2),
        scalar => {
            out.push(' ');
            write_inline(out, scalar);
            out.push('\n');
        }
    }
}

fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

fn is_tagged(value: &Value) -> bool {
    matches!(value, Value::Tagged(_))
}

/// A scalar or an empty collection on the current line.
fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(text) => write_string(out, text),
        Value::Mapping(_) | Value::Sequence(_) => write_flow(out, value),
        Value::Tagged(tagged) => {
            out.push_str(&tagged.tag.to_string());
            out.push(' ');
            write_inline(out, &tagged.value);
        }
    }
}

/// Flow style, used for empty collections and (rarely) non-scalar mapping keys.
fn write_flow(out: &mut String, value: &Value) {
    match value {
        Value::Mapping(map) => {
            out.push('{');
            let mut entries: Vec<(String, &Value)> = map
                .iter()
                .map(|(key, value)| {
                    // Inside `{}` a plain `,` or `]` ends the key: flow keys are always quoted.
                    let mut text = String::new();
                    write_flow(&mut text, key);
                    (text, value)
                })
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key);
                out.push_str(": ");
                write_flow(out, value);
            }
            out.push('}');
        }
        Value::Sequence(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(out, item);
            }
            out.push(']');
        }
        Value::String(text) => write_quoted(out, text),
        other => write_inline(out, other),
    }
}

/// Numbers in a form both YAML 1.1 and 1.2 read as numbers of the same value.
fn number_text(number: &serde_yaml::Number) -> String {
    if let Some(i) = number.as_i64() {
        return i.to_string();
    }
    if let Some(u) = number.as_u64() {
        return u.to_string();
    }
    let float = number.as_f64().unwrap_or(f64::NAN);
    if float.is_nan() {
        ".nan".to_string()
    } else if float.is_infinite() {
        if float > 0.0 { ".inf" } else { "-.inf" }.to_string()
    } else {
        // YAML 1.1 floats need a `.` and a signed exponent: `1e3` would be a string there.
        let text = format!("{float:?}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
                let exponent = if exponent.starts_with('-') { exponent.to_string() } else { format!("+{exponent}") };
                format!("{mantissa}e{exponent}")
            }
            None if text.contains('.') => text,
            None => format!("{text}.0"),
        }
    }
}

/// A string as one YAML scalar: plain when no YAML 1.1 or 1.2 reader could take it for anything
/// else, otherwise double-quoted. For other writers of YAML (`hldc.lock`).
pub fn scalar(text: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, text);
    out
}

/// A string as a double-quoted YAML scalar, whatever it holds.
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    write_quoted(&mut out, text);
    out
}

fn write_string(out: &mut String, text: &str) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else {
        write_quoted(out, text);
    }
}

/// Words some YAML parser reads as something other than a string (YAML 1.1 booleans and
/// nulls included). Compared exactly: `yes` and `Yes` are listed, `yEs` is a string everywhere.
const RESERVED_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on",
    "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
];

/// Plain only when unambiguous in every YAML version: starts with a letter, `/` or `_`, uses a
/// conservative alphabet, is no reserved word and holds no `: ` or ` #`.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false;
    }
    if RESERVED_WORDS.contains(&text) || text.ends_with(' ') || text.ends_with(':') {
        return false;
    }
    if text.contains(": ") || text.contains(" #") {
        return false;
    }
    text.chars().all(|c| c.is_alphanumeric() || " _-./:@+=,()%".contains(c))
}

fn write_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Characters written as `\uXXXX`: those outside YAML's printable set (controls, U+FFFE,
/// U+FFFF), line breaks only YAML 1.1 knows (U+0085, U+2028, U+2029), and the byte-order mark.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// A multi-line string reads best as a literal block, when one can hold it exactly.
fn literal_block_fits(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\t', '\n'])
        && text.chars().all(|c| c == '\n' || !needs_escape(c))
        && text.split('\n').all(|line| line.is_empty() || !line.chars().all(char::is_whitespace))
}

fn write_literal_block(out: &mut String, text: &str, width: usize) {
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    out.push_str(match trailing {
        0 => " |-\n",
        1 => " |\n",
        _ => " |+\n",
    });
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, width);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn emit(yaml: &str) -> String {
        to_string(&serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn canonical_layout() {
        insta::assert_snapshot!(emit(
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x, labels: {b: '2', a: one}}\ndata:\n  script: |\n    echo hi\n    exit 0\n  empty: ''\nlist: [a, {k: v, j: [1, 2]}, [x, y], {}, []]\nnested: {empty_list: [], empty_map: {}}\n"
        ), @r###"
        apiVersion: v1
        data:
          empty: ""
          script: |
            echo hi
            exit 0
        kind: ConfigMap
        list:
        - a
        - j:
          - 1
          - 2
          k: v
        - - x
          - "y"
        - {}
        - []
        metadata:
          labels:
            a: one
            b: "2"
          name: x
        nested:
          empty_list: []
          empty_map: {}
        "###);
    }

    #[test]
    fn yaml_1_1_ambiguous_strings_are_quoted() {
        for word in [
            "yes",
            "on",
            "NO",
            "y",
            "n",
            "Off",
            "null",
            "~",
            "0755",
            "1e3",
            "12:30",
            "1_000",
            "0x1F",
            ".5",
            "+1",
            "-",
            "2001-12-14",
            "=",
            "<<",
            "",
            " lead",
            "a: b",
            "x #y",
            "@at",
            "*ref",
            "&anchor",
            "!tag",
            "%pct",
            "'q'",
            "[x]",
            "{x}",
            "true",
            ".inf",
            "1.10",
        ] {
            let text = emit(&format!("v: {}", serde_json::to_string(word).unwrap()));
            assert!(text.starts_with("v: \""), "{word:?} was written as {text:?}");
        }
        for word in
            ["hello", "hello world", "fabrikam.azurecr.io/trivia-web", "http://x.y/z", "yEs", "ClusterIP", "a-b_c"]
        {
            assert_eq!(emit(&format!("v: {}", serde_json::to_string(word).unwrap())), format!("v: {word}\n"));
        }
    }

    #[test]
    fn numbers_keep_their_type_in_yaml_1_1() {
        assert_eq!(
            emit("[1, -2, 1.5, 1e300, 0.000001, .inf, -.inf, .nan, 18446744073709551615]"),
            "- 1\n- -2\n- 1.5\n- 1.0e+300\n- 1.0e-6\n- .inf\n- -.inf\n- .nan\n- 18446744073709551615\n"
        );
    }

    #[test]
    fn review_regressions_round_trip() {
        // A tagged sequence inside a sequence, a flow key with a comma, U+FFFE in a string.
        for yaml in ["f: [!foo {x: 1}, !bar [1, 2], !baz \"a b\"]", "k: [{\"a,b\": 1}]", "v: \"x\\uFFFEy\\uFFFF\""] {
            let value: Value = serde_yaml::from_str(yaml).unwrap();
            let text = to_string(&value);
            let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, value, "{text}");
        }
    }

    #[test]
    fn block_strings_keep_their_trailing_newlines() {
        for text in ["a\nb", "a\nb\n", "a\nb\n\n\n", "a\n\nb\n", "line\n  indented\n"] {
            let out = to_string(&Value::String(text.into()));
            let back: Value = serde_yaml::from_str(&out).unwrap();
            assert_eq!(back, Value::String(text.into()), "{out}");
        }
    }

    /// Strings that some YAML reader takes for something else when written plain.
    const TRICKY: &[&str] = &[
        "true",
        "yes",
        "on",
        "On",
        "NO",
        "n",
        "Y",
        "off",
        "null",
        "Null",
        "~",
        "",
        "123",
        "-12",
        "+1",
        "0",
        "0755",
        "1_000",
        "0x1F",
        "0b101",
        "12:30",
        "1:20:30",
        "190:20:30.15",
        "1e3",
        "1.0e+3",
        "1.5",
        ".5",
        "1.",
        "1.2.3",
        ".inf",
        "-.Inf",
        ".NaN",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "-",
        "=",
        "<<",
        "a: b",
        "x #y",
        "#x",
        "a:",
        "- a",
        "? a",
        "@x",
        "`x",
        "!x",
        "&x",
        "*x",
        "%x",
        "|",
        ">",
        "'",
        "\"",
        "{}",
        "[]",
        " x",
        "x ",
    ];

    fn arb_string() -> impl Strategy<Value = String> {
        prop_oneof![prop::sample::select(TRICKY).prop_map(str::to_string), ".*", "[a-z0-9 :#\\-.+_~\n]{0,12}",]
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| Value::Number(f.into())),
            arb_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                prop::collection::btree_map(arb_string(), inner, 0..4)
                    .prop_map(|m| { Value::Mapping(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()) }),
            ]
        })
    }

    /// A YAML 1.1 reader, independent of the writer and of serde_yaml: yaml-rust2's events for
    /// the structure, and the YAML 1.1 type regexps (yaml.org/type) for every plain scalar.
    mod yaml11 {
        use regex::Regex;
        use yaml_rust2::parser::{Event, EventReceiver, Parser};
        use yaml_rust2::scanner::TScalarStyle;

        #[derive(Debug, PartialEq)]
        pub enum Node {
            Null,
            Bool(bool),
            Int(Option<i128>),
            Float(f64),
            /// Timestamps, merge keys (`<<`) and value keys (`=`): not a string either.
            Other(&'static str),
            Str(String),
            Seq(Vec<Node>),
            Map(Vec<(Node, Node)>),
        }

        fn full(pattern: &str) -> Regex {
            Regex::new(&format!("^(?:{pattern})$")).unwrap()
        }

        /// The type YAML 1.1 gives a plain scalar.
        pub fn resolve(text: &str) -> Node {
            let bool_true = full("y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON");
            let bool_false = full("n|N|no|No|NO|false|False|FALSE|off|Off|OFF");
            let null = full("~|null|Null|NULL|");
            let int10 = full("[-+]?(?:0|[1-9][0-9_]*)");
            let int_other =
                full("[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+");
            let float10 = full("[-+]?(?:[0-9][0-9_]*)?\\.[0-9.]*(?:[eE][-+][0-9]+)?");
            let float_other =
                full("[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)");
            let timestamp = full(
                "[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?(?:[ \\t]*Z|[-+][0-9]{1,2}(?::[0-9]{2})?)?",
            );
            if bool_true.is_match(text) {
                Node::Bool(true)
            } else if bool_false.is_match(text) {
                Node::Bool(false)
            } else if null.is_match(text) {
                Node::Null
            } else if int10.is_match(text) {
                Node::Int(text.replace('_', "").parse().ok())
            } else if int_other.is_match(text) {
                Node::Int(None)
            } else if float10.is_match(text) {
                Node::Float(text.replace('_', "").parse().unwrap_or(f64::NAN))
            } else if float_other.is_match(text) {
                Node::Float(f64::NAN)
            } else if timestamp.is_match(text) {
                Node::Other("timestamp")
            } else if text == "<<" {
                Node::Other("merge")
            } else if text == "=" {
                Node::Other("value")
            } else {
                Node::Str(text.to_string())
            }
        }

        #[derive(Default)]
        struct Builder {
            stack: Vec<Node>,
            done: Option<Node>,
        }

        impl Builder {
            fn add(&mut self, node: Node) {
                match self.stack.last_mut() {
                    Some(Node::Seq(items)) => items.push(node),
                    Some(Node::Map(entries)) => match entries.last_mut() {
                        Some((_, value @ Node::Other("pending"))) => *value = node,
                        _ => entries.push((node, Node::Other("pending"))),
                    },
                    _ => self.done = Some(node),
                }
            }
        }

        impl EventReceiver for Builder {
            fn on_event(&mut self, event: Event) {
                match event {
                    Event::Scalar(text, TScalarStyle::Plain, _, None) => self.add(resolve(&text)),
                    Event::Scalar(text, ..) => self.add(Node::Str(text)),
                    Event::SequenceStart(..) => self.stack.push(Node::Seq(Vec::new())),
                    Event::MappingStart(..) => self.stack.push(Node::Map(Vec::new())),
                    Event::SequenceEnd | Event::MappingEnd => {
                        if let Some(node) = self.stack.pop() {
                            self.add(node);
                        }
                    }
                    _ => {}
                }
            }
        }

        pub fn load(text: &str) -> Result<Node, String> {
            let mut builder = Builder::default();
            Parser::new_from_str(text).load(&mut builder, false).map_err(|e| e.to_string())?;
            builder.done.ok_or_else(|| "no document".to_string())
        }
    }

    /// Whether YAML 1.1 read `read` where the writer was given `value`.
    fn same_in_yaml11(value: &Value, read: &yaml11::Node) -> Result<(), String> {
        use yaml11::Node;
        let same = match (value, read) {
            (Value::Null, Node::Null) => true,
            (Value::Bool(a), Node::Bool(b)) => a == b,
            (Value::Number(n), Node::Int(Some(b))) => {
                n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) == Some(*b)
            }
            (Value::Number(n), Node::Float(b)) => n.as_f64() == Some(*b) && !n.is_i64() && !n.is_u64(),
            (Value::String(a), Node::Str(b)) => a == b,
            (Value::Sequence(a), Node::Seq(b)) if a.len() == b.len() => {
                return a.iter().zip(b).try_for_each(|(a, b)| same_in_yaml11(a, b));
            }
            (Value::Mapping(a), Node::Map(b)) if a.len() == b.len() => {
                return b.iter().try_for_each(|(key, read)| match key {
                    Node::Str(key) => match a.get(key.as_str()) {
                        Some(value) => same_in_yaml11(value, read),
                        None => Err(format!("key {key:?} was not written")),
                    },
                    other => Err(format!("a key reads as {other:?} in YAML 1.1")),
                });
            }
            _ => false,
        };
        if same {
            Ok(())
        } else {
            Err(format!("{value:?} reads as {read:?} in YAML 1.1"))
        }
    }

    #[test]
    fn the_yaml_1_1_reader_knows_the_yaml_1_1_types() {
        use yaml11::{resolve, Node};
        for (text, expected) in [
            ("on", Node::Bool(true)),
            ("NO", Node::Bool(false)),
            ("~", Node::Null),
            ("1_000", Node::Int(Some(1000))),
            ("0x1F", Node::Int(None)),
            ("12:30", Node::Int(None)),
            ("1e3", Node::Str("1e3".into())),
            ("1.0e+3", Node::Float(1000.0)),
            ("2001-12-14", Node::Other("timestamp")),
            ("yEs", Node::Str("yEs".into())),
        ] {
            assert_eq!(resolve(text), expected, "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// The output means the given value to a YAML 1.2 reader (serde_yaml) and to a YAML 1.1
        /// one (what kubectl and helm use): an unquoted `on` or `123` would fail here.
        #[test]
        fn round_trips_through_yaml_1_2_and_yaml_1_1_readers(value in arb_value()) {
            let text = to_string(&value);
            let back: Value = serde_yaml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(&back, &value, "YAML 1.2 read another value from\n{}", text);
            let read = yaml11::load(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            same_in_yaml11(&value, &read).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        }
    }
}
