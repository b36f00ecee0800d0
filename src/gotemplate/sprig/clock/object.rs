//! What a template sees of a `time.Time`: its members, and Go's text of it (`%v`, `Format`,
//! `MarshalJSON`), which layout.rs writes.

use std::fmt;

use crate::gotemplate::{Object, Value};

use super::layout;
use super::time::{Time, Zone, ZERO_UNIX};

impl Time {
    /// Go's `Format`.
    pub fn format(&self, layout: &str) -> String {
        layout::format(self, layout)
    }

    /// Go's `String`: the time, then its monotonic reading when it has one.
    pub fn text(&self) -> String {
        let mut text = layout::format(self, "2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(monotonic) = self.monotonic {
            let sign = if monotonic < 0 { '-' } else { '+' };
            let magnitude = monotonic.unsigned_abs();
            text.push_str(&format!(" m={sign}{}.{:09}", magnitude / 1_000_000_000, magnitude % 1_000_000_000));
        }
        text
    }

    /// Go's `MarshalJSON` text (RFC 3339 with nanoseconds): what `toJson` and `toYaml` write.
    pub fn rfc3339_nano(&self) -> String {
        layout::format(self, "2006-01-02T15:04:05.999999999Z07:00")
    }
}

/// What a chart may call on a `time.Time`. Those returning Go's `Month`, `Weekday`, `Location`
/// or comparing two times are left out: a chart calling one renders with the helm binary.
pub const TIME_MEMBERS: &[&str] = &[
    "Add",
    "AddDate",
    "Day",
    "Format",
    "Hour",
    "IsZero",
    "Local",
    "Minute",
    "Nanosecond",
    "Second",
    "String",
    "UTC",
    "Unix",
    "UnixMicro",
    "UnixMilli",
    "UnixNano",
    "Year",
    "YearDay",
];

impl Object for Time {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let civil = || self.civil();
        let nanos = || i128::from(self.unix) * 1_000_000_000 + i128::from(self.nanos);
        Some(match name {
            "Day" => Value::Int(i64::from(civil().day)),
            "Hour" => Value::Int(i64::from(civil().hour)),
            "IsZero" => Value::Bool(self.unix == ZERO_UNIX && self.nanos == 0),
            "Local" => self.in_zone(Zone::local()).value(),
            "Minute" => Value::Int(i64::from(civil().minute)),
            "Nanosecond" => Value::Int(i64::from(self.nanos)),
            "Second" => Value::Int(i64::from(civil().second)),
            "String" => Value::string(self.text()),
            "UTC" => self.in_zone(Zone::Utc).value(),
            "Unix" => Value::Int(self.unix),
            "UnixMicro" => Value::Int((nanos() / 1000) as i64),
            "UnixMilli" => Value::Int((nanos() / 1_000_000) as i64),
            // Go's int64 wraps for times past 2262; so does this.
            "UnixNano" => Value::Int(nanos() as i64),
            "Year" => Value::Int(civil().year),
            "YearDay" => Value::Int(i64::from(civil().year_day)),
            _ => return None,
        })
    }

    fn call(&self, method: &str, arguments: &[Value]) -> Option<Result<Value, String>> {
        let count = |want: usize| {
            if arguments.len() == want {
                Ok(())
            } else {
                Err(format!("wrong number of args for {method}: want {want} got {}", arguments.len()))
            }
        };
        let int = |value: &Value, expected: &str| match value {
            Value::Int(n) => Ok(*n),
            other => Err(super::super::wrong_type(expected, other)),
        };
        Some(match method {
            "Format" => count(1).and_then(|()| {
                let layout = super::super::string_arg(&arguments[0])?;
                Ok(Value::string(layout::format(self, layout)))
            }),
            "Add" => count(1).and_then(|()| Ok(self.add(int(&arguments[0], "time.Duration")?).value())),
            "AddDate" => count(3).and_then(|()| {
                let [years, months, days] = [0, 1, 2].map(|i| int(&arguments[i], "int"));
                Ok(self.add_date(years?, months?, days?).value())
            }),
            _ => return None,
        })
    }

    fn members(&self) -> &'static [&'static str] {
        TIME_MEMBERS
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str(&self.text())
    }

    fn to_value(&self) -> Value {
        Value::string(self.rfc3339_nano())
    }

    fn go_type(&self) -> String {
        "time.Time".into()
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn is_stringer(&self) -> bool {
        true
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
