//! YAML read as helm reads it (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars (`yes`,
//! `on`, `0x1F`, `017` octal, `1_000`), merge keys, anchors, only the first document, then
//! through JSON (keys become strings).

use std::collections::HashMap;

use serde_json::{Map, Number, Value as Json};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// The most nodes one document may produce (aliases expand): a bound against alias bombs.
const MAX_NODES: usize = 2_000_000;
/// How deep collections may nest (the reader recurses): far beyond any real values file.
const MAX_DEPTH: usize = 512;

/// The first document of `text` as JSON; an empty document is `null`.
pub fn parse_json(text: &str) -> Result<Json, String> {
    parse_yaml_1_1(text).or_else(|error| lenient(text).ok_or(error))
}

/// libyaml's reading (serde_yaml) where yaml-rust2 is stricter than go-yaml (a flow
/// sequence's closing bracket left of its key): scalars then resolve as YAML 1.2.
fn lenient(text: &str) -> Option<Json> {
    let document = serde_yaml::Deserializer::from_str(text).next()?;
    let value: serde_yaml::Value = serde::Deserialize::deserialize(document).ok()?;
    serde_json::to_value(&value).ok()
}

fn parse_yaml_1_1(text: &str) -> Result<Json, String> {
    let mut reader = Reader { parser: Parser::new_from_str(text), anchors: HashMap::new(), nodes: 0, depth: 0 };
    loop {
        match reader.next()? {
            Event::StreamEnd => return Ok(Json::Null),
            Event::DocumentStart => break,
            _ => continue,
        }
    }
    let event = reader.next()?;
    if matches!(event, Event::DocumentEnd) {
        return Ok(Json::Null);
    }
    reader.node(event)
}

struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Json>,
    nodes: usize,
    depth: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<Event, String> {
        self.parser
            .next_token()
            .map(|(event, _)| event)
            .map_err(|e| format!("yaml: line {}: {}", e.marker().line(), e.info()))
    }

    fn count(&mut self, size: usize) -> Result<(), String> {
        self.nodes += size.max(1);
        if self.nodes > MAX_NODES {
            return Err("yaml: document is too large (aliases)".into());
        }
        Ok(())
    }

    fn node(&mut self, event: Event) -> Result<Json, String> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
        }
        self.depth += 1;
        let value = self.node_within(event);
        self.depth -= 1;
        value
    }

    fn node_within(&mut self, event: Event) -> Result<Json, String> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1)?;
                let value = scalar(text, style, tag.as_ref());
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                Ok(value)
            }
            Event::Alias(id) => {
                let value =
                    self.anchors.get(&id).cloned().ok_or_else(|| "yaml: unknown anchor referenced".to_string())?;
                self.count(size_of(&value))?;
                Ok(value)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let event = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event)?);
                }
                let value = Json::Array(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                Ok(value)
            }
            Event::MappingStart(anchor, _) => {
                let value = Json::Object(self.mapping()?);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                Ok(value)
            }
            other => Err(format!("yaml: unexpected event {other:?}")),
        }
    }

    fn mapping(&mut self) -> Result<Map<String, Json>, String> {
        let mut map = Map::new();
        let mut merged = Map::new();
        loop {
            let event = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let is_merge = matches!(&event, Event::Scalar(text, TScalarStyle::Plain, _, None) if text == "<<");
            let key = self.node(event)?;
            let value_event = self.next()?;
            let value = self.node(value_event)?;
            if is_merge {
                let sources = match value {
                    Json::Array(items) => items,
                    other => vec![other],
                };
                for source in sources.into_iter().rev() {
                    let Json::Object(source) = source else {
                        return Err("yaml: map merge requires map or sequence of maps as the value".into());
                    };
                    for (k, v) in source {
                        merged.insert(k, v);
                    }
                }
                continue;
            }
            // go-yaml v2 (not strict) keeps the last of duplicate keys.
            map.insert(key_text(&key), value);
        }
        for (k, v) in merged {
            map.entry(k).or_insert(v);
        }
        Ok(map)
    }
}

fn size_of(value: &Json) -> usize {
    match value {
        Json::Array(items) => 1 + items.iter().map(size_of).sum::<usize>(),
        Json::Object(map) => 1 + map.values().map(size_of).sum::<usize>(),
        _ => 1,
    }
}

/// A mapping key as sigs.k8s.io/yaml turns it into a JSON key.
fn key_text(key: &Json) -> String {
    match key {
        Json::String(s) => s.clone(),
        Json::Null => "null".into(),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => crate::gotemplate::fmt::format_float(n.as_f64().unwrap_or(0.0), 'g', None),
        },
        other => other.to_string(),
    }
}

fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Json {
    if let Some(tag) = tag {
        let suffix = tag.suffix.as_str();
        if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
            match suffix {
                "str" | "binary" | "timestamp" => return Json::String(text),
                "null" => return Json::Null,
                _ => {}
            }
        } else {
            return Json::String(text);
        }
    }
    if matches!(style, TScalarStyle::Literal | TScalarStyle::Folded) && text.chars().all(|c| c == '\n') {
        // A block scalar of empty lines is empty under clip chomping (yaml-rust2 keeps a break).
        return Json::String(String::new());
    }
    if style != TScalarStyle::Plain {
        return Json::String(text);
    }
    resolve_plain(&text).unwrap_or(Json::String(text))
}

/// go-yaml v2's `resolve` of a plain scalar: `None` when it stays a string.
pub fn resolve_plain(text: &str) -> Option<Json> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Json::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Some(Json::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Some(Json::Bool(false))
        }
        // JSON has no NaN nor infinities: helm's conversion fails; a string keeps the text.
        _ if is_special_float(text) => return None,
        _ => {}
    }
    let first = text.chars().next()?;
    if !(first.is_ascii_digit() || first == '+' || first == '-' || first == '.') {
        return None;
    }
    if is_timestamp(text) {
        return None;
    }
    let plain = text.replace('_', "");
    if let Some(int) = parse_go_int(&plain) {
        return Some(Json::Number(match i64::try_from(int) {
            Ok(small) => Number::from(small),
            Err(_) => Number::from(int as u64),
        }));
    }
    if is_yaml_float(&plain) {
        return plain.parse::<f64>().ok().and_then(Number::from_f64).map(Json::Number);
    }
    None
}

/// The YAML 1.1 spellings of NaN and the infinities.
pub fn is_special_float(text: &str) -> bool {
    matches!(
        text,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
    )
}

/// Go's `strconv.ParseInt(s, 0, 64)` (and ParseUint for the large positives).
pub(super) fn parse_go_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(rest) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = i128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -value } else { value };
    (value >= i64::MIN as i128 && value <= u64::MAX as i128).then_some(value)
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
pub(super) fn is_yaml_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => !fraction.is_empty() && fraction.chars().all(|c| c.is_ascii_digit()),
        Some((whole, fraction)) => {
            !whole.is_empty()
                && whole.chars().all(|c| c.is_ascii_digit())
                && fraction.chars().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// go-yaml's `isBase60Float`: `1:20` would read back as a number under YAML 1.1.
pub fn is_base60_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let Some(first) = t.chars().next() else { return false };
    if !first.is_ascii_digit() || !t.contains(':') {
        return false;
    }
    let (main, fraction) = match t.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (t, None),
    };
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if !head.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return false;
    }
    let rest_ok = parts.all(|part| {
        let bytes = part.as_bytes();
        match bytes.len() {
            1 => bytes[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&bytes[0]) && bytes[1].is_ascii_digit(),
            _ => false,
        }
    });
    rest_ok && fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
}

/// Whether go-yaml v2 resolves the plain scalar `text` as a timestamp (`parseTimestamp`: Go's
/// `time.Parse` with `2006-1-2`, `2006-1-2 15:4:5.999999999` or `2006-1-2T15:4:5.999999999Z07:00`,
/// `t` too). Reading, helm's conversion keeps its text; writing, go-yaml quotes it.
pub fn is_timestamp(text: &str) -> bool {
    fn number(rest: &mut &[u8], low: u32, high: u32) -> Option<u32> {
        // Go's `getnum` without `fixed`: one digit, or two.
        let digits = rest.iter().take(2).take_while(|b| b.is_ascii_digit()).count();
        let value = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        *rest = &rest[digits..];
        (low..=high).contains(&value).then_some(value)
    }
    fn literal(rest: &mut &[u8], byte: u8) -> Option<()> {
        let (&first, tail) = rest.split_first()?;
        *rest = tail;
        (first == byte).then_some(())
    }
    fn clock(rest: &mut &[u8]) -> Option<()> {
        number(rest, 0, 23)?;
        literal(rest, b':')?;
        number(rest, 0, 59)?;
        literal(rest, b':')?;
        number(rest, 0, 59)?;
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            *rest = &rest[1 + digits..];
        }
        Some(())
    }
    fn zone(rest: &mut &[u8]) -> Option<()> {
        if rest.first() == Some(&b'Z') {
            *rest = &rest[1..];
            return Some(());
        }
        let (offset, tail) = (rest.get(..6)?, &rest[6..]);
        let two = |at: usize| offset[at..at + 2].iter().all(u8::is_ascii_digit);
        let valid = matches!(offset[0], b'+' | b'-') && two(1) && offset[3] == b':' && two(4);
        *rest = tail;
        valid.then_some(())
    }
    let parse = || -> Option<()> {
        let bytes = text.as_bytes();
        let year: i16 = std::str::from_utf8(bytes.get(..4)?).ok()?.parse().ok()?;
        if !bytes[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut rest = &bytes[4..];
        literal(&mut rest, b'-')?;
        let month = number(&mut rest, 1, 12)?;
        literal(&mut rest, b'-')?;
        let day = number(&mut rest, 1, 31)?;
        // Go's day-of-month check: 2023-02-29 is no date.
        jiff::civil::Date::new(year, month as i8, day as i8).ok()?;
        match rest.split_first() {
            None => return Some(()),
            Some((b'T' | b't', tail)) => {
                rest = tail;
                clock(&mut rest)?;
                zone(&mut rest)?;
            }
            Some((b' ', tail)) => {
                rest = tail;
                clock(&mut rest)?;
            }
            Some(_) => return None,
        }
        rest.is_empty().then_some(())
    };
    parse().is_some()
}

#[cfg(test)]
mod tests {
    use super::parse_json;
    use serde_json::json;

    #[test]
    fn native_yaml_bounds_depth_and_aliases() {
        let deep = parse_json(&format!("{}{}", "[".repeat(5000), "]".repeat(5000))).unwrap_err();
        assert!(deep.contains("max depth") || deep.contains("recursion"), "{deep}");
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        assert!(parse_json(bomb).unwrap_err().contains("too large"));
    }

    #[test]
    fn timestamps_are_what_go_yaml_v2_parses_as_one() {
        for text in [
            "2020-09-07",
            "2020-9-7",
            "2024-02-29",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43Z",
            "2001-12-14 21:59:43.10",
            "2001-12-14 1:2:3",
        ] {
            assert!(super::is_timestamp(text), "{text}");
        }
        for text in [
            "2023-02-29",
            "2020-13-01",
            "2020-09-07x",
            "2020-09",
            "20201-09-07",
            "2001-12-14 21:59:43Z",
            "2001-12-14T21:59:43",
            "2001-12-14T24:00:00Z",
            "v2020-09-07",
            "2020-009-07",
        ] {
            assert!(!super::is_timestamp(text), "{text}");
        }
    }

    #[test]
    fn native_yaml_reads_yaml_1_1_as_helm() {
        let value = parse_json("a: yes\nb: 017\nc: 0x1F\nd: 1_000\ne: '3'\nf: 1.5e3\ng: ~\nh: on\nbase: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n  y: 3\n").unwrap();
        assert_eq!(
            value,
            json!({"a": true, "b": 15, "c": 31, "d": 1000, "e": "3", "f": 1500.0, "g": null, "h": true,
                   "base": {"x": 1}, "m": {"x": 1, "z": 2, "true": 3}})
        );
    }
}
