//! Sprig's defaults and JSON functions (defaults.go): `default` and friends decide by Sprig's
//! `empty`, which is Go's zero value (nil, false, 0, "", an empty list or map; a struct never).
//! `toJson`/`fromJson` are Helm's, registered by the chart engine.

use super::json::to_json;
use super::{at_least, bool_arg, fixed, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("default", default),
    ("empty", |args| fixed::<1>("empty", args).map(|[v]| Value::Bool(empty(v)))),
    ("coalesce", |args| Ok(args.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))),
    ("all", |args| Ok(Value::Bool(args.iter().all(|v| !empty(v))))),
    ("any", |args| Ok(Value::Bool(args.iter().any(|v| !empty(v))))),
    ("ternary", ternary),
    ("mustFromJson", from_json),
    ("mustToJson", |args| json_text("mustToJson", args, None, true)),
    ("toPrettyJson", |args| json_text("toPrettyJson", args, Some("  "), true).or_else(|_| Ok(Value::string("")))),
    ("mustToPrettyJson", |args| json_text("mustToPrettyJson", args, Some("  "), true)),
    ("toRawJson", |args| json_text("toRawJson", args, None, false)),
    ("mustToRawJson", |args| json_text("mustToRawJson", args, None, false)),
];

/// Sprig's `empty`: whether `value` is its type's zero value (Go's truth, reversed).
pub(super) fn empty(value: &Value) -> bool {
    !value.is_truthy()
}

/// `default DEFAULT [GIVEN]`: GIVEN unless it is empty (or missing).
fn default(args: &[Value]) -> Result<Value, String> {
    let args = at_least("default", args, 1)?;
    Ok(match args.get(1) {
        Some(given) if !empty(given) => given.clone(),
        _ => args[0].clone(),
    })
}

fn ternary(args: &[Value]) -> Result<Value, String> {
    let [yes, no, condition] = fixed("ternary", args)?;
    Ok(if bool_arg(condition)? { yes.clone() } else { no.clone() })
}

fn from_json(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("mustFromJson", args)?;
    let json: serde_json::Value = serde_json::from_str(string_arg(text)?).map_err(|error| error.to_string())?;
    Ok(Value::from_json(&json))
}

fn json_text(name: &str, args: &[Value], indent: Option<&str>, escape_html: bool) -> Result<Value, String> {
    let [value] = fixed(name, args)?;
    to_json(value, indent, escape_html).map(Value::string)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn defaults_as_helm_renders_them() {
        check("default", &[s("d"), s("")], "d");
        check("default", &[s("d"), f(0.0)], "d");
        check("default", &[s("d"), Value::Bool(false)], "d");
        check("default", &[s("d"), l(&[])], "d");
        check("default", &[s("d"), m(&[])], "d");
        check("default", &[s("d"), Value::Nil], "d");
        check("default", &[s("d")], "d");
        check("default", &[s("d"), f(0.5)], "0.5");
        check("empty", &[m(&[("a", Value::Nil)])], "false");
        check("empty", &[i(0)], "true");
        check("coalesce", &[Value::Nil, s(""), i(0), s("x"), s("y")], "x");
        check("coalesce", &[Value::Nil, s("")], "<nil>");
        check("all", &[s("a"), i(1)], "true");
        check("all", &[s("a"), i(0)], "false");
        check("all", &[], "true");
        check("any", &[s(""), i(1)], "true");
        check("any", &[], "false");
        check("ternary", &[s("yes"), s("no"), Value::Bool(true)], "yes");
        check("ternary", &[s("yes"), s("no"), Value::Bool(false)], "no");
        check("mustFromJson", &[s(r#"{"a":[1,"x",null]}"#)], "map[a:[1 x <nil>]]");
        check("toPrettyJson", &[m(&[("a", f(1.0))])], "{\n  \"a\": 1\n}");
        check("toRawJson", &[m(&[("a", s("<&>"))])], r#"{"a":"<&>"}"#);
        check("mustToJson", &[l(&[s("<")])], r#"["\u003c"]"#);
    }

    #[test]
    fn defaults_fail_where_go_does() {
        fails("ternary", &[s("yes"), s("no"), s("true")], "expected bool; got string");
        fails("ternary", &[s("yes"), s("no"), Value::Nil], "expected bool; got interface {}");
        fails("mustFromJson", &[s("{")], "EOF");
    }
}
