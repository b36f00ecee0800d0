//! What a plain scalar means to the Go YAML readers Kubernetes tools use: go-yaml v2 (kubectl,
//! Argo CD, helm, through `sigs.k8s.io/yaml`) and go-yaml v3 (kustomize's kyaml, Flux).
//! A port of go-yaml's `resolve.go` (v2 and v3 branches; Go's `strconv.ParseInt(s, 0, 64)`
//! rules for the integers), so rendered manifests are read as the cluster will read them.

use serde_yaml::{Number, Value};

/// How the Go readers take one plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// go-yaml v2 and v3 agree.
    Agreed(Value),
    /// go-yaml v2 reads a YAML 1.1 boolean (`yes`, `on`, `n` …); v3 reads the string.
    Disputed { v2: bool },
}

/// The YAML 1.1 booleans only go-yaml v2 knows; v3 (YAML 1.2) reads them as strings.
const V2_ONLY_BOOLEANS: [(&str, bool); 16] = [
    ("y", true),
    ("Y", true),
    ("yes", true),
    ("Yes", true),
    ("YES", true),
    ("on", true),
    ("On", true),
    ("ON", true),
    ("n", false),
    ("N", false),
    ("no", false),
    ("No", false),
    ("NO", false),
    ("off", false),
    ("Off", false),
    ("OFF", false),
];

/// The reading of a plain (unquoted, untagged) scalar.
pub fn plain(text: &str) -> Reading {
    match text {
        "true" | "True" | "TRUE" => return Reading::Agreed(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Reading::Agreed(Value::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => return Reading::Agreed(Value::Null),
        ".nan" | ".NaN" | ".NAN" => return Reading::Agreed(Value::Number(f64::NAN.into())),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Reading::Agreed(Value::Number(f64::INFINITY.into()))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Reading::Agreed(Value::Number(f64::NEG_INFINITY.into())),
        _ => {}
    }
    if let Some((_, value)) = V2_ONLY_BOOLEANS.iter().find(|(word, _)| *word == text) {
        return Reading::Disputed { v2: *value };
    }
    let string = || Reading::Agreed(Value::String(text.to_string()));
    match text.as_bytes()[0] {
        b'.' => float(text).map_or_else(string, |f| Reading::Agreed(Value::Number(f.into()))),
        b'0'..=b'9' | b'+' | b'-' => number(text).map_or_else(string, Reading::Agreed),
        _ => string(),
    }
}

/// go-yaml's branch for a scalar starting with a digit or a sign: a timestamp stays a string
/// (both versions keep it one when decoding into an untyped value), then an integer in Go's
/// syntax with `_` removed, then a YAML-style float, then `0b` binary.
fn number(text: &str) -> Option<Value> {
    if looks_like_timestamp(text) {
        return None;
    }
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(integer) = go_parse_int(&digits) {
        return Some(integer);
    }
    if is_yaml_style_float(&digits) {
        return float(&digits).map(|f| Value::Number(f.into()));
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)` (no sign): `0x`, `0o`, `0b`
/// prefixes in either case, a leading `0` for octal.
fn go_parse_int(text: &str) -> Option<Value> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &unsigned[2..]),
        Some("0o") => (8, &unsigned[2..]),
        Some("0b") => (2, &unsigned[2..]),
        _ if unsigned.len() > 1 && unsigned.starts_with('0') => (8, &unsigned[1..]),
        _ => (10, unsigned),
    };
    // from_str_radix would take a second sign.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    let signed = |m: u64| if negative { 0i64.checked_sub_unsigned(m) } else { i64::try_from(m).ok() };
    match signed(magnitude) {
        Some(value) => Some(Value::Number(Number::from(value))),
        // ParseUint takes what ParseInt could not, but only without a sign.
        None if text == unsigned => Some(Value::Number(Number::from(magnitude))),
        None => None,
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(text: &str) -> bool {
    let rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => all_digits(fraction),
        Some((whole, fraction)) => all_digits(whole) && (fraction.is_empty() || all_digits(fraction)),
        None => all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Go's `strconv.ParseFloat` for the decimal forms go-yaml hands it; out of range is an error
/// there (the scalar stays a string), not infinity.
fn float(text: &str) -> Option<f64> {
    if !text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')) {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// go-yaml's quick check before its timestamp formats: four digits and a `-`. Whatever it
/// parses as a timestamp is kept as the string, so the quick check decides nothing but that the
/// scalar is not a number (`2001-12-14` is not `2001` minus anything).
fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        match plain(text) {
            Reading::Agreed(value) => value,
            Reading::Disputed { .. } => panic!("{text} is disputed"),
        }
    }

    fn int(value: i64) -> Value {
        Value::Number(value.into())
    }

    fn float_value(value: f64) -> Value {
        Value::Number(value.into())
    }

    fn string(text: &str) -> Value {
        Value::String(text.into())
    }

    /// The plain-scalar rows of go-yaml's decode_test.go (v2 and v3 branches) decoded into an
    /// untyped value (`map[string]interface{}`), where the two branches agree.
    #[test]
    fn go_yaml_decode_tests_untyped_values() {
        let rows: Vec<(&str, Value)> = vec![
            ("1", int(1)),
            ("0", int(0)),
            ("-10", int(-10)),
            ("+10", int(10)),
            ("0o10", int(8)),
            ("010", int(8)),
            ("0755", int(493)),
            ("0x0A", int(10)),
            ("0xA", int(10)),
            ("-0x0A", int(-10)),
            ("0b1010", int(10)),
            ("-0b1010", int(-10)),
            ("685_230", int(685230)),
            ("+685_230", int(685230)),
            ("02472256", int(685230)),
            ("0x_0A_74_AE", int(685230)),
            ("0b1010_0111_0100_1010_1110", int(685230)),
            ("9223372036854775807", int(i64::MAX)),
            ("-9223372036854775808", int(i64::MIN)),
            ("18446744073709551615", Value::Number(u64::MAX.into())),
            ("0.1", float_value(0.1)),
            ("6.8523e+5", float_value(685230.0)),
            ("685.230_15e+03", float_value(685230.15)),
            ("685_230.15", float_value(685230.15)),
            ("1e3", float_value(1000.0)),
            (".5", float_value(0.5)),
            ("-.5", float_value(-0.5)),
            ("1.", float_value(1.0)),
            ("08", float_value(8.0)),
            ("-9223372036854775809", float_value(-9223372036854775809.0)),
            ("18446744073709551616", float_value(18446744073709551616.0)),
            (".inf", float_value(f64::INFINITY)),
            ("-.inf", float_value(f64::NEG_INFINITY)),
            ("+.INF", float_value(f64::INFINITY)),
            ("true", Value::Bool(true)),
            ("False", Value::Bool(false)),
            ("TRUE", Value::Bool(true)),
            ("~", Value::Null),
            ("null", Value::Null),
            ("NULL", Value::Null),
            // Strings: base 60 is deliberately unsupported; timestamps stay strings untyped.
            ("190:20:30", string("190:20:30")),
            ("1:20", string("1:20")),
            ("2015-02-24T18:19:39Z", string("2015-02-24T18:19:39Z")),
            ("2015-02-24", string("2015-02-24")),
            ("1e400", string("1e400")),
            ("0x", string("0x")),
            ("0b2", string("0b2")),
            ("1.2.3", string("1.2.3")),
            ("v1", string("v1")),
            ("-", string("-")),
            ("+inf", string("+inf")),
            ("nan", string("nan")),
            ("1_", int(1)),
            ("_1", string("_1")),
            ("--1", string("--1")),
            ("+-1", string("+-1")),
            ("1e", string("1e")),
            ("1.5e+", string("1.5e+")),
            ("<<", string("<<")),
            ("0x1p-2", string("0x1p-2")),
            ("123abc", string("123abc")),
        ];
        for (text, expected) in rows {
            let got = read(text);
            let same = match (&got, &expected) {
                (Value::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
                    a.as_f64().unwrap() == b.as_f64().unwrap()
                }
                _ => got == expected,
            };
            assert!(same, "{text}: {got:?} != {expected:?}");
        }
        assert!(read(".nan").as_f64().unwrap().is_nan());
    }

    /// serde_yaml (YAML 1.2) reads some plain scalars as numbers, booleans or null itself; hldc
    /// re-reads only the ones it reads as strings, so those must already mean what go-yaml reads.
    #[test]
    fn whatever_serde_yaml_reads_as_no_string_go_yaml_reads_alike() {
        let texts = [
            "1",
            "-10",
            "+10",
            "0o10",
            "0x0A",
            "0xa",
            "-0x0A",
            "0b1010",
            "685_230",
            "0.1",
            "6.8523e+5",
            "1e3",
            ".5",
            "-.5",
            "1.",
            "+1.5",
            "08",
            "010",
            "0755",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            ".inf",
            "-.inf",
            "+.inf",
            ".NaN",
            ".nan",
            "true",
            "True",
            "TRUE",
            "false",
            "FALSE",
            "~",
            "null",
            "Null",
            "NULL",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "1e400",
            "inf",
            "nan",
            "infinity",
            "-inf",
            "0x",
            "1_",
            "+",
            "-",
            ".",
        ];
        for text in texts {
            // Integers beyond 64 bits are not a `Value` (manifests::parse takes them as go-yaml does).
            let Ok(mapping) = serde_yaml::from_str::<Value>(&format!("k: {text}")) else { continue };
            let serde = mapping["k"].clone();
            if serde.is_string() {
                continue;
            }
            let go = match plain(text) {
                Reading::Agreed(value) => value,
                Reading::Disputed { v2 } => Value::Bool(v2),
            };
            let same = match (&serde, &go) {
                (Value::Number(a), Value::Number(b)) if a.is_nan() => b.is_nan(),
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                _ => serde == go,
            };
            assert!(same, "{text}: serde_yaml {serde:?}, go-yaml {go:?}");
        }
    }

    /// decode_test.go of v2 reads these as booleans, of v3 as strings.
    #[test]
    fn yaml_1_1_booleans_are_disputed() {
        for (text, v2) in
            [("y", true), ("yes", true), ("on", true), ("ON", true), ("n", false), ("Off", false), ("NO", false)]
        {
            assert_eq!(plain(text), Reading::Disputed { v2 }, "{text}");
        }
    }
}
