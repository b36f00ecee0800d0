//! Which strings go-yaml v3 (helm's `toYamlPretty`, yaml_out.rs's v3 dialect) may write plain:
//! those its resolver reads back as strings.

use super::yaml_in::{is_base60_float, is_special_float, is_timestamp, is_yaml_float, parse_go_int};

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
