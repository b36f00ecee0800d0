//! helm's `toToml` and `fromToml` (pkg/engine/funcs.go): BurntSushi/toml v1.6.0's encoder on
//! the template's Go values, written to the byte as it writes them (keys sorted, plain keys
//! before tables, two spaces of indentation a level, float64 values as `1.0`, `1e+06`), and its
//! decoder into `map[string]interface {}` (integers int64, datetimes `time.Time`), an error
//! going into the map's `Error` key.
//!
//! The decoder is the `toml_edit` crate's parser: it accepts the same documents, but its error
//! texts are its own, not BurntSushi's (`toml: line 1 (last key "a"): ...`).

use crate::gotemplate::sprig::clock::{Time, Zone};
use crate::gotemplate::value::{too_deep, MAX_NESTING};
use crate::gotemplate::{Map, Object, Value};

/// `toToml`: the TOML text, or the encoder's error as the text (helm swallows it so).
pub fn to_toml_function(arguments: &[Value]) -> Result<Value, String> {
    let [value] = arguments else {
        return Err(format!("wrong number of args for toToml: want 1 got {}", arguments.len()));
    };
    // BurntSushi's Encode reflects on a nil interface before anything else, and Go's reflect
    // panics; text/template makes the panic the call's error.
    if matches!(value, Value::Nil) {
        return Err("reflect: call of reflect.Value.Type on zero Value".into());
    }
    let mut encoder = Encoder::default();
    Ok(Value::string(match encoder.encode(&[], value, 0) {
        Ok(()) => encoder.out,
        Err(error) => error,
    }))
}

/// `fromToml`: the document's tables as a map; a parse error as the map's `Error` key.
pub fn from_toml_function(arguments: &[Value]) -> Result<Value, String> {
    let [text] = arguments else {
        return Err(format!("wrong number of args for fromToml: want 1 got {}", arguments.len()));
    };
    let Value::String(text) = text else {
        let got = match text {
            Value::Nil => "interface {}".to_string(),
            other => other.type_name(),
        };
        return Err(format!("wrong type for value; expected string; got {got}"));
    };
    Ok(match text.parse::<toml_edit::DocumentMut>() {
        Ok(document) => table_value(document.as_table()),
        Err(error) => Value::map(
            [("Error".to_string(), Value::string(format!("toml: {}", error.message())))].into_iter().collect(),
        ),
    })
}

const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// What BurntSushi's `tomlTypeOfGo` tells apart: tables and arrays of tables are written as
/// `[key]` and `[[key]]` sections after a table's plain keys; everything else inline.
#[derive(PartialEq)]
enum Shape {
    Table,
    ArrayOfTables,
    Inline,
}

/// The shape of a value, `None` for nil; an error for an array holding a nil anywhere the
/// check reaches (arrays inside arrays), as BurntSushi's `isTableArray` fails.
fn shape(value: &Value, depth: usize) -> Result<Option<Shape>, String> {
    if depth > MAX_NESTING {
        return Err(too_deep());
    }
    Ok(Some(match value {
        Value::Nil => return Ok(None),
        Value::Map(_) => Shape::Table,
        Value::List(items) => {
            let mut all_tables = !items.is_empty();
            for item in items.iter() {
                match shape(item, depth + 1)? {
                    None => return Err(NIL_ELEMENT.into()),
                    Some(Shape::Table) => {}
                    Some(_) => all_tables = false,
                }
            }
            if all_tables {
                Shape::ArrayOfTables
            } else {
                Shape::Inline
            }
        }
        Value::Object(object) => return shape(&reflected(object.as_ref()), depth + 1),
        _ => Shape::Inline,
    }))
}

/// What Go's reflection, which the encoder walks, sees of an object: a named slice or map
/// type its elements (a `[]byte` its numbers), a struct its exported fields.
fn reflected(object: &dyn Object) -> Value {
    object.elements().unwrap_or_else(|| object.to_value())
}

#[derive(Default)]
struct Encoder {
    out: String,
    has_written: bool,
}

impl Encoder {
    fn write(&mut self, text: &str) {
        self.out.push_str(text);
        self.has_written = true;
    }

    fn newline(&mut self) {
        if self.has_written {
            self.write("\n");
        }
    }

    fn indent(&mut self, key: &[String]) {
        let indent = "  ".repeat(key.len().saturating_sub(1));
        self.write(&indent);
    }

    /// BurntSushi's `encode`: a value under `key` (empty at the top).
    fn encode(&mut self, key: &[String], value: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        match value {
            Value::Nil => Ok(()),
            Value::Map(map) => self.table(key, map, depth),
            Value::List(items) if shape(value, depth)? == Some(Shape::ArrayOfTables) => {
                self.array_of_tables(key, items, depth)
            }
            Value::Object(object) if datetime(value).is_none() => {
                self.encode(key, &reflected(object.as_ref()), depth + 1)
            }
            _ => self.key_value(key, value, false, depth),
        }
    }

    /// `key = value` (the bare value at the top), a newline after it unless inline.
    fn key_value(&mut self, key: &[String], value: &Value, inline: bool, depth: usize) -> Result<(), String> {
        let Some(last) = key.last() else { return self.element(value, depth) };
        self.indent(key);
        self.write(&quoted_key(last));
        self.write(" = ");
        self.element(value, depth)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    /// A value written inline: a scalar, `[a, b]`, `{k = v}`.
    fn element(&mut self, value: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        match value {
            Value::String(text) => self.write(&quoted(text)),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(n) => self.write(&n.to_string()),
            Value::Float(f) => self.write(&float_text(*f)),
            Value::List(items) => {
                self.write("[");
                for (index, item) in items.iter().enumerate() {
                    self.element(item, depth + 1)?;
                    if index + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Map(map) => {
                self.write("{");
                self.entries(&[], map, true, depth)?;
                self.write("}");
            }
            Value::Object(object) => match datetime(value) {
                Some(datetime) => self.write(&toml_text(datetime)),
                None => self.element(&reflected(object.as_ref()), depth + 1)?,
            },
            // Unreachable: `shape` refuses a nil in an array first; Go's reflect would panic.
            Value::Nil => return Err(NIL_ELEMENT.into()),
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], map: &Map, depth: usize) -> Result<(), String> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            self.indent(key);
            self.write(&format!("[{}]", key_path(key)));
            self.newline();
        }
        self.entries(key, map, false, depth)
    }

    fn array_of_tables(&mut self, key: &[String], items: &[Value], depth: usize) -> Result<(), String> {
        if key.is_empty() {
            return Err(NO_KEY.into());
        }
        for item in items {
            let item = match item {
                Value::Object(object) => reflected(object.as_ref()),
                other => other.clone(),
            };
            let Value::Map(map) = item else { continue };
            self.newline();
            self.indent(key);
            self.write(&format!("[[{}]]", key_path(key)));
            self.newline();
            self.entries(key, &map, false, depth + 1)?;
        }
        Ok(())
    }

    /// BurntSushi's `eMap`: keys sorted, plain values before tables. Inline, `, ` follows
    /// every plain value when tables follow, whether or not a nil was skipped after it.
    fn entries(&mut self, key: &[String], map: &Map, inline: bool, depth: usize) -> Result<(), String> {
        let map = map.borrow();
        let mut plain = Vec::new();
        let mut tables = Vec::new();
        for (name, value) in map.iter() {
            match shape(value, depth + 1)? {
                Some(Shape::Table | Shape::ArrayOfTables) => tables.push((name, value)),
                _ => plain.push((name, value)),
            }
        }
        let trailing_comma = !tables.is_empty();
        for (group, comma_after_last) in [(plain, trailing_comma), (tables, false)] {
            let count = group.len();
            for (index, (name, value)) in group.into_iter().enumerate() {
                if matches!(value, Value::Nil) {
                    continue;
                }
                if inline {
                    self.key_value(std::slice::from_ref(name), value, true, depth + 1)?;
                    if comma_after_last || index + 1 != count {
                        self.write(", ");
                    }
                } else {
                    let mut path = key.to_vec();
                    path.push(name.clone());
                    self.encode(&path, value, depth + 1)?;
                }
            }
        }
        Ok(())
    }
}

/// A float64 as BurntSushi writes it: Go's shortest `%g`, with `.0` added when that has
/// neither a point nor an exponent; `nan`, `inf`, `-inf`.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    let text = crate::gotemplate::fmt::format_float(f, 'g', None);
    if text.contains(['e', '.']) {
        text
    } else {
        text + ".0"
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One key as BurntSushi writes it: bare when it can be, else a basic string.
fn quoted_key(key: &str) -> String {
    if is_bare_key(key) {
        key.to_string()
    } else {
        quoted(key)
    }
}

/// A table's dotted path (`a."b c".d`).
fn key_path(key: &[String]) -> String {
    key.iter().map(|part| quoted_key(part)).collect::<Vec<_>>().join(".")
}

/// A TOML basic string as BurntSushi escapes it: `"`, `\`, the short escapes for `\b \t \n
/// \f \r`, `\uXXXX` for the other control characters and DEL; everything else as it is.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn table_value(table: &toml_edit::Table) -> Value {
    Value::map(table.iter().filter_map(|(key, item)| Some((key.to_string(), item_value(item)?))).collect())
}

fn item_value(item: &toml_edit::Item) -> Option<Value> {
    Some(match item {
        toml_edit::Item::None => return None,
        toml_edit::Item::Value(value) => plain_value(value),
        toml_edit::Item::Table(table) => table_value(table),
        toml_edit::Item::ArrayOfTables(tables) => Value::list(tables.iter().map(table_value).collect()),
    })
}

fn plain_value(value: &toml_edit::Value) -> Value {
    match value {
        toml_edit::Value::String(text) => Value::string(text.value().as_str()),
        toml_edit::Value::Integer(n) => Value::Int(*n.value()),
        toml_edit::Value::Float(f) => Value::Float(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(datetime) => datetime_value(datetime.value()),
        toml_edit::Value::Array(items) => Value::list(items.iter().map(plain_value).collect()),
        toml_edit::Value::InlineTable(table) => {
            Value::map(table.iter().map(|(key, value)| (key.to_string(), plain_value(value))).collect())
        }
    }
}

fn datetime(value: &Value) -> Option<&Time> {
    let Value::Object(object) = value else { return None };
    object.as_any()?.downcast_ref::<Time>()
}

/// A TOML datetime as BurntSushi decodes it: a Go `time.Time` (the clock's [`Time`], so the
/// date functions and methods take it). Local datetimes, dates and times get BurntSushi's
/// zones (`datetime-local`, `date-local`, `time-local`) at the machine's offset, which hldc
/// takes as UTC's (helm's output there depends on the machine); an offset of zero is UTC
/// (Go's parser gives an offset matching the local zone's that zone), any other a zone
/// without a name.
fn datetime_value(datetime: &toml_edit::Datetime) -> Value {
    let zone = match (datetime.date, datetime.offset) {
        (_, Some(toml_edit::Offset::Z | toml_edit::Offset::Custom { minutes: 0 })) => Zone::Utc,
        (_, Some(toml_edit::Offset::Custom { minutes })) => Zone::Fixed("".into(), i32::from(minutes) * 60),
        (Some(_), None) if datetime.time.is_some() => Zone::Fixed(LOCAL_DATETIME.into(), 0),
        (Some(_), None) => Zone::Fixed(LOCAL_DATE.into(), 0),
        (None, _) => Zone::Fixed(LOCAL_TIME.into(), 0),
    };
    let (year, month, day) = datetime.date.map(|d| (i64::from(d.year), d.month, d.day)).unwrap_or((0, 1, 1));
    let (hour, minute, second, nanos) = datetime
        .time
        .map(|t| (t.hour, t.minute, t.second.unwrap_or(0), t.nanosecond.unwrap_or(0)))
        .unwrap_or((0, 0, 0, 0));
    let [month, day, hour, minute, second] = [month, day, hour, minute, second].map(u32::from);
    Time::date(year, month, day, hour, minute, second, nanos, zone).value()
}

const LOCAL_DATETIME: &str = "datetime-local";
const LOCAL_DATE: &str = "date-local";
const LOCAL_TIME: &str = "time-local";

/// How BurntSushi's encoder writes a `time.Time`: RFC 3339 with the offset, or the local
/// form of its local zones.
fn toml_text(time: &Time) -> String {
    let layout = match time.zone_name().as_str() {
        LOCAL_DATETIME => "2006-01-02T15:04:05.999999999",
        LOCAL_DATE => "2006-01-02",
        LOCAL_TIME => "15:04:05.999999999",
        _ => "2006-01-02T15:04:05.999999999Z07:00",
    };
    time.format(layout)
}
