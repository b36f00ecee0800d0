//! Go's `encoding/json` encoding of template values, for Sprig's `toPrettyJson`, `toRawJson`
//! and `mustToJson` (and Helm's `toJson`, which the chart engine registers): map keys sorted,
//! `<`, `>`, `&` escaped unless raw, float64 in Go's shortest form (`1e+21`, `1e-7`).

use std::fmt::Write;

use super::Value;

/// `value` as Go's `json.Marshal` (`indent` None) or `json.MarshalIndent(v, "", indent)`
/// writes it; `escape_html` false is an Encoder with `SetEscapeHTML(false)`. The error is
/// Go's (`json: unsupported value: NaN`).
pub fn to_json(value: &Value, indent: Option<&str>, escape_html: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut writer = JsonWriter { out: &mut out, indent, escape_html };
    writer.value(value, 0)?;
    Ok(out)
}

struct JsonWriter<'a> {
    out: &'a mut String,
    indent: Option<&'a str>,
    escape_html: bool,
}

impl JsonWriter<'_> {
    fn value(&mut self, value: &Value, depth: usize) -> Result<(), String> {
        match value {
            Value::Nil => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => self.out.push_str(&n.to_string()),
            Value::Float(f) => self.out.push_str(&json_float(*f)?),
            Value::String(text) => self.string(text),
            Value::List(items) => {
                self.out.push('[');
                for (index, item) in items.iter().enumerate() {
                    self.separator(index, depth + 1);
                    self.value(item, depth + 1)?;
                }
                self.close(items.is_empty(), depth);
                self.out.push(']');
            }
            Value::Map(map) => {
                let map = map.borrow();
                self.out.push('{');
                for (index, (key, item)) in map.iter().enumerate() {
                    self.separator(index, depth + 1);
                    self.string(key);
                    self.out.push(':');
                    if self.indent.is_some() {
                        self.out.push(' ');
                    }
                    self.value(item, depth + 1)?;
                }
                self.close(map.is_empty(), depth);
                self.out.push('}');
            }
            Value::Object(object) => self.value(&object.to_value(), depth)?,
        }
        Ok(())
    }

    fn separator(&mut self, index: usize, depth: usize) {
        if index > 0 {
            self.out.push(',');
        }
        self.newline(depth);
    }

    fn close(&mut self, empty: bool, depth: usize) {
        if !empty {
            self.newline(depth);
        }
    }

    fn newline(&mut self, depth: usize) {
        if let Some(indent) = self.indent {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str(indent);
            }
        }
    }

    fn string(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '<' | '>' | '&' if self.escape_html => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// Go's JSON float: shortest digits, plain notation between 1e-6 and 1e21, else `1e+21`,
/// `1e-7`.
fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        let shown = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(format!("json: unsupported value: {shown}"));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let scientific = format!("{f:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return Ok(format!("{mantissa}e{sign}{}", exponent.abs()));
    }
    Ok(format!("{f}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::to_json;

    #[test]
    fn json_as_go_writes_it() {
        let value = m(&[("b", l(&[f(1.0), f(1.5), f(1e21), f(1e-7)])), ("a", s("<x>&\n")), ("e", m(&[]))]);
        assert_eq!(
            to_json(&value, None, true).unwrap(),
            r#"{"a":"\u003cx\u003e\u0026\n","b":[1,1.5,1e+21,1e-7],"e":{}}"#
        );
        assert_eq!(to_json(&value, None, false).unwrap(), r#"{"a":"<x>&\n","b":[1,1.5,1e+21,1e-7],"e":{}}"#);
        assert_eq!(
            to_json(&m(&[("a", l(&[i(1)])), ("b", l(&[]))]), Some("  "), true).unwrap(),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": []\n}"
        );
    }
}
