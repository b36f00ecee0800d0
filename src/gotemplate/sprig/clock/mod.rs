//! Sprig's clock (date.go): `now`, `date` and its zone forms, `dateModify`, `toDate`, `ago`,
//! `duration`, `durationRound`, `htmlDate`, `unixEpoch`. `now` is a Go `time.Time` ([`Time`]),
//! with the methods charts call on it (`.Unix`, `.Format "..."`, `.UTC`...).
//!
//! The clock is the wall clock, as helm's: two renders differ (hldc keeps the written objects of
//! a chart whose inputs did not change). Under `helm.deterministic` the chart engine installs a
//! [`FixedClock`] around each template ([`fixed_at`]): `now` is then that instant, in UTC, and
//! `Local` is UTC, so the output is the same on every machine.
//!
//! One gap, the value model's: Go tells `int` (a template literal) from `int64` (what `int64`
//! and Sprig's arithmetic return), and Sprig's `duration` and `durationRound` read only an
//! `int64`; here every integer reads as one.

mod duration;
mod layout;
mod object;
mod time;

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{fixed, string_arg, Entry, Value};

pub use object::TIME_MEMBERS;
use time::time_arg;
pub use time::{Time, Zone};

pub const FUNCTIONS: &[Entry] = &[
    ("now", now_function),
    ("date", date),
    ("dateInZone", date_in_zone),
    ("date_in_zone", date_in_zone),
    ("htmlDate", html_date),
    ("htmlDateInZone", html_date_in_zone),
    ("dateModify", date_modify),
    ("date_modify", date_modify),
    ("mustDateModify", must_date_modify),
    ("must_date_modify", must_date_modify),
    ("toDate", to_date),
    ("mustToDate", must_to_date),
    ("ago", ago),
    ("duration", duration_function),
    ("durationRound", duration_round),
    ("unixEpoch", unix_epoch),
];

/// The clock of a `helm.deterministic` render: the pipeline's `SOURCE_DATE_EPOCH` (the
/// reproducible-builds convention), or the Unix epoch when it sets none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FixedClock {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub source_date_epoch: Option<i64>,
}

impl FixedClock {
    /// The instant `now` reads, in seconds since the Unix epoch.
    pub fn seconds(&self) -> i64 {
        self.source_date_epoch.unwrap_or(0)
    }
}

thread_local! {
    static FIXED: Cell<Option<FixedClock>> = const { Cell::new(None) };
}

/// While alive, the clock on this thread reads `clock`'s instant.
#[must_use]
pub struct Fixed {
    previous: Option<FixedClock>,
}

pub fn fixed_at(clock: FixedClock) -> Fixed {
    Fixed { previous: FIXED.with(|fixed| fixed.replace(Some(clock))) }
}

impl Drop for Fixed {
    fn drop(&mut self) {
        FIXED.with(|fixed| fixed.set(self.previous));
    }
}

/// The fixed clock of this thread, under `helm.deterministic`.
pub fn fixed_clock() -> Option<FixedClock> {
    FIXED.with(Cell::get)
}

/// Go's `time.Now()`: the wall clock in `Local`, with a monotonic reading (nanoseconds since
/// the clock was first read in this process); the fixed instant in UTC without one, under a
/// fixed clock.
pub fn now() -> Time {
    if let Some(clock) = fixed_clock() {
        return Time::at(clock.seconds(), 0, Zone::Utc);
    }
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut time = Time::at(since_epoch.as_secs() as i64, since_epoch.subsec_nanos(), Zone::local());
    time.monotonic = Some(start.elapsed().as_nanos() as i64);
    time
}

fn now_function(args: &[Value]) -> Result<Value, String> {
    fixed::<0>("now", args)?;
    Ok(now().value())
}

/// The time Sprig's `date` functions make of their `interface{}` argument: a `time.Time`, an
/// integer as Unix seconds, anything else (a float64 from values, a string, nil) now.
fn time_of(value: &Value) -> Time {
    match value {
        Value::Int(seconds) => Time::at(*seconds, 0, Zone::local()),
        other => time_arg(other).cloned().unwrap_or_else(|_| now()),
    }
}

/// Sprig's `dateInZone`: a zone Go cannot load is UTC.
fn format_in_zone(layout: &str, date: &Value, zone: &str) -> Value {
    let zone = Zone::load(zone).unwrap_or(Zone::Utc);
    Value::string(layout::format(&time_of(date).in_zone(zone), layout))
}

fn date(args: &[Value]) -> Result<Value, String> {
    let [layout, date] = fixed("date", args)?;
    Ok(format_in_zone(string_arg(layout)?, date, "Local"))
}

fn date_in_zone(args: &[Value]) -> Result<Value, String> {
    let [layout, date, zone] = fixed("dateInZone", args)?;
    Ok(format_in_zone(string_arg(layout)?, date, string_arg(zone)?))
}

fn html_date(args: &[Value]) -> Result<Value, String> {
    let [date] = fixed("htmlDate", args)?;
    Ok(format_in_zone("2006-01-02", date, "Local"))
}

fn html_date_in_zone(args: &[Value]) -> Result<Value, String> {
    let [date, zone] = fixed("htmlDateInZone", args)?;
    Ok(format_in_zone("2006-01-02", date, string_arg(zone)?))
}

/// `dateModify "-1.5h" $t`: `$t` moved by a Go duration; unchanged when it does not parse.
fn date_modify(args: &[Value]) -> Result<Value, String> {
    let [shift, date] = fixed("dateModify", args)?;
    let (shift, date) = (string_arg(shift)?, time_arg(date)?);
    Ok(duration::parse(shift).map_or_else(|_| date.clone(), |nanos| date.add(nanos)).value())
}

fn must_date_modify(args: &[Value]) -> Result<Value, String> {
    let [shift, date] = fixed("mustDateModify", args)?;
    let (shift, date) = (string_arg(shift)?, time_arg(date)?);
    Ok(date.add(duration::parse(shift)?).value())
}

/// `toDate LAYOUT TEXT`: the text parsed in `Local`; Go's zero time when it does not parse.
fn to_date(args: &[Value]) -> Result<Value, String> {
    let [layout, text] = fixed("toDate", args)?;
    let parsed = layout::parse(string_arg(layout)?, string_arg(text)?, &Zone::local());
    Ok(parsed.unwrap_or_else(|_| Time::zero()).value())
}

fn must_to_date(args: &[Value]) -> Result<Value, String> {
    let [layout, text] = fixed("mustToDate", args)?;
    Ok(layout::parse(string_arg(layout)?, string_arg(text)?, &Zone::local())?.value())
}

/// `ago $t`: the time since `$t` (a time, Unix seconds, else now), to the second.
fn ago(args: &[Value]) -> Result<Value, String> {
    let [date] = fixed("ago", args)?;
    let then = match date {
        Value::Int(seconds) => Time::at(*seconds, 0, Zone::local()),
        other => time_arg(other).cloned().unwrap_or_else(|_| now()),
    };
    let since = duration::round(now().since(&then), 1_000_000_000);
    Ok(Value::string(duration::text(since)))
}

/// `duration SECONDS`: a string of an integer, or an integer; anything else is 0s.
fn duration_function(args: &[Value]) -> Result<Value, String> {
    let [seconds] = fixed("duration", args)?;
    let seconds = match seconds {
        Value::String(text) => text.parse::<i64>().unwrap_or(0),
        Value::Int(n) => *n,
        _ => 0,
    };
    Ok(Value::string(duration::text(seconds.wrapping_mul(1_000_000_000))))
}

/// `durationRound D`: a Go duration (text, nanoseconds, or the time since a `time.Time`) in
/// its largest whole unit: `2h`, `3mo`, `1y`.
fn duration_round(args: &[Value]) -> Result<Value, String> {
    let [value] = fixed("durationRound", args)?;
    let nanos = match value {
        Value::String(text) => duration::parse(text).unwrap_or(0),
        Value::Int(n) => *n,
        other => time_arg(other).map_or(0, |then| now().since(then)),
    };
    const UNITS: [(u64, &str); 6] = [
        (365 * 86_400 * 1_000_000_000, "y"),
        (30 * 86_400 * 1_000_000_000, "mo"),
        (86_400 * 1_000_000_000, "d"),
        (3_600 * 1_000_000_000, "h"),
        (60 * 1_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    let magnitude = nanos.unsigned_abs();
    let text = UNITS
        .iter()
        .find(|(unit, _)| magnitude > *unit)
        .map_or_else(|| "0s".to_string(), |(unit, name)| format!("{}{name}", magnitude / unit));
    Ok(Value::string(text))
}

fn unix_epoch(args: &[Value]) -> Result<Value, String> {
    let [date] = fixed("unixEpoch", args)?;
    Ok(Value::string(time_arg(date)?.unix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, fails, i, s};
    use super::*;

    fn text(name: &str, args: &[Value]) -> String {
        call(name, args).unwrap().as_str().unwrap_or_else(|| panic!("{name} gave no string")).to_string()
    }

    #[test]
    fn a_fixed_clock_reads_its_instant_in_utc() {
        let _fixed = fixed_at(FixedClock { source_date_epoch: Some(1_700_000_000) });
        let now = call("now", &[]).unwrap();
        assert_eq!(super::super::strval(&now), "2023-11-14 22:13:20 +0000 UTC");
        assert_eq!(text("date", &[s("2006-01-02T15:04:05Z07:00 MST"), now.clone()]), "2023-11-14T22:13:20Z UTC");
        assert_eq!(text("unixEpoch", std::slice::from_ref(&now)), "1700000000");
        assert_eq!(text("ago", std::slice::from_ref(&now)), "0s");
        assert_eq!(text("ago", &[i(1_699_999_000)]), "16m40s");
        // A float64 from values is not a time: Sprig reads it as now.
        assert_eq!(text("htmlDate", &[Value::Float(5.0)]), "2023-11-14");
        assert_eq!(text("dateInZone", &[s("15:04 MST"), now.clone(), s("Asia/Tokyo")]), "07:13 JST");
        assert_eq!(text("dateInZone", &[s("15:04 MST"), now, s("No/Where")]), "22:13 UTC");
        drop(_fixed);
        let _epoch = fixed_at(FixedClock::default());
        assert_eq!(super::super::strval(&call("now", &[]).unwrap()), "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn times_at_the_ends_of_the_range_do_not_overflow() {
        for seconds in [i64::MAX, i64::MIN, i64::MAX / 1000, i64::MIN / 1000] {
            let time = call("toDate", &[s("2006"), s("2024")]).unwrap();
            let far = Time::at(seconds, 999_999_999, Zone::local()).value();
            for target in [time, far] {
                text("date", &[s("2006-01-02 15:04:05.000 Z07:00 MST Mon 002"), target.clone()]);
                text("ago", std::slice::from_ref(&target));
                text("durationRound", std::slice::from_ref(&target));
                let object = match &target {
                    Value::Object(object) => object.clone(),
                    _ => unreachable!(),
                };
                for (method, args) in [
                    ("AddDate", vec![i(i64::MAX), i(i64::MIN), i(i64::MAX)]),
                    ("AddDate", vec![i(i64::MIN), i(i64::MAX), i(i64::MIN)]),
                    ("Add", vec![i(i64::MAX)]),
                    ("Add", vec![i(i64::MIN)]),
                ] {
                    let moved = object.call(method, &args).unwrap().unwrap();
                    super::super::strval(&moved);
                }
                for field in TIME_MEMBERS.iter().filter(|m| !matches!(**m, "Add" | "AddDate" | "Format")) {
                    object.field(field).unwrap();
                }
            }
        }
        text("date", &[s("2006"), i(i64::MAX)]);
        text("duration", &[i(i64::MIN)]);
        text("durationRound", &[i(i64::MIN)]);
    }

    #[test]
    fn the_wall_clock_has_a_monotonic_reading() {
        let now = super::super::strval(&call("now", &[]).unwrap());
        let shape =
            regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+ m=\+\d+\.\d{9}$").unwrap();
        assert!(shape.is_match(&now), "{now}");
    }

    #[test]
    fn dates_parse_move_and_round() {
        let _fixed = fixed_at(FixedClock { source_date_epoch: Some(0) });
        let parsed = call("toDate", &[s("2006-01-02 15:04"), s("2024-05-01 10:20")]).unwrap();
        let moved = call("dateModify", &[s("-1h30m"), parsed.clone()]).unwrap();
        assert_eq!(text("date", &[s("2006-01-02 15:04"), moved]), "2024-05-01 08:50");
        let kept = call("dateModify", &[s("nonsense"), parsed.clone()]).unwrap();
        assert_eq!(text("date", &[s("15:04"), kept]), "10:20");
        fails("mustDateModify", &[s("1x"), parsed.clone()], "time: unknown unit \"x\" in duration \"1x\"");
        fails("dateModify", &[s("1h"), s("2024")], "wrong type for value; expected time.Time; got string");
        assert_eq!(
            super::super::strval(&call("toDate", &[s("2006"), s("x")]).unwrap()),
            "0001-01-01 00:00:00 +0000 UTC"
        );
        fails("mustToDate", &[s("2006"), s("x")], "parsing time \"x\" as \"2006\": cannot parse \"x\" as \"2006\"");
        assert_eq!(text("duration", &[s("95")]), "1m35s");
        assert_eq!(text("duration", &[Value::Float(95.0)]), "0s");
        assert_eq!(text("durationRound", &[s("2h10m")]), "2h");
        assert_eq!(text("durationRound", &[s("-49h")]), "2d");
        assert_eq!(text("durationRound", &[s("400d")]), "0s");
        assert_eq!(text("durationRound", &[s("9000h")]), "1y");
        // From the fixed 1970 back to 2024: 54 years before.
        assert_eq!(text("durationRound", &[parsed]), "54y");
    }
}
