//! helm's `toYamlPretty`: go-yaml v3's encoder with `SetIndent(2)` on the template's Go values
//! (not through JSON, unlike `toYaml`), written by yaml_out.rs's emitter in its v3 dialect.
//! Here: which strings v3 may write plain (those its resolver reads back as strings).

use crate::gotemplate::Value;

use super::yaml_in::{is_special_float, is_timestamp, is_yaml_float, parse_go_int};
use super::yaml_out::{emit, is_base60_float, Dialect};

/// `toYamlPretty`: the YAML text without its last newline; "" when encoding fails.
pub fn to_yaml_pretty_function(arguments: &[Value]) -> Result<Value, String> {
    let [value] = arguments else {
        return Err(format!("wrong number of args for toYamlPretty: want 1 got {}", arguments.len()));
    };
    let text = emit(value, Dialect::V3);
    Ok(Value::string(text.strip_suffix('\n').unwrap_or(&text)))
}

/// go-yaml v3's `stringv`: plain when `resolve` gives the string back and it is neither a
/// base-60 float nor a YAML 1.1 boolean (`yes`, `on`...), which v3 quotes for older readers.
pub(super) fn can_use_plain(text: &str) -> bool {
    resolves_to_string(text) && !is_base60_float(text) && !is_old_bool(text)
}

fn is_old_bool(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
    )
}

/// go-yaml v3's `resolve("", text)` is `!!str`: not null, a boolean, a number or a timestamp.
fn resolves_to_string(text: &str) -> bool {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        || is_special_float(text)
    {
        return false;
    }
    match text.as_bytes()[0] {
        // Go's ParseFloat of `.5`, `.5e3`.
        b'.' => !is_yaml_float(text),
        b'0'..=b'9' | b'+' | b'-' => {
            let plain = text.replace('_', "");
            !is_timestamp(text) && parse_go_int(&plain).is_none() && !is_yaml_float(&plain)
        }
        _ => true,
    }
}
