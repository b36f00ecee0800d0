//! Commit times as seconds since the epoch and back to RFC 3339 (always UTC, `Z`), by jiff;
//! nothing panics on an old or odd date.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// `2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00`, fractions ignored; a bare date
/// `2024-05-01` is its midnight UTC.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    match text.parse::<Timestamp>() {
        Ok(instant) => Some(instant.as_second()),
        Err(_) if text.len() == 10 => {
            Some(TimeZone::UTC.to_timestamp(text.parse::<Date>().ok()?.at(0, 0, 0, 0)).ok()?.as_second())
        }
        Err(_) => None,
    }
}

/// RFC 3339 in UTC: `2024-05-01T12:00:00Z`; a time beyond jiff's years (±9999) as its seconds.
pub fn format(seconds: i64) -> String {
    match Timestamp::from_second(seconds) {
        Ok(instant) => instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => format!("@{seconds}"),
    }
}

/// A span of seconds for people: `45s`, `12m 5s`, `2m`, `3h 4m`, `2d 1h`; negative spans (a
/// commit dated before the one it came from) keep their sign.
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (major, major_unit, minor, minor_unit) = match s {
        0..60 => return format!("{sign}{s}s"),
        60..3600 => (s / 60, "m", s % 60, "s"),
        3600..86_400 => (s / 3600, "h", s % 3600 / 60, "m"),
        _ => (s / 86_400, "d", s % 86_400 / 3600, "h"),
    };
    match minor {
        0 => format!("{sign}{major}{major_unit}"),
        _ => format!("{sign}{major}{major_unit} {minor}{minor_unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_offsets() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2024-02-29T12:30:15Z").map(format).as_deref(), Some("2024-02-29T12:30:15Z"));
        assert_eq!(parse("2024-03-01T02:00:00+02:00"), parse("2024-03-01T00:00:00Z"));
        assert_eq!(parse("2024-03-01T00:00:00.123-01:30"), parse("2024-03-01T01:30:00Z"));
        assert_eq!(parse("2024-03-01"), parse("2024-03-01T00:00:00Z"));
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        assert_eq!(parse("2024-03-01 00:00:00z"), parse("2024-03-01T00:00:00Z"));
        assert_eq!(format(-62_135_596_800), "0001-01-01T00:00:00Z");
        assert_eq!(format(i64::MAX), format!("@{}", i64::MAX));
        for bad in ["2023-02-29", "2024-13-01", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00", "yesterday", ""] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(125), "2m 5s");
        assert_eq!(human_duration(120), "2m");
        assert_eq!(human_duration(3 * 3600 + 240), "3h 4m");
        assert_eq!(human_duration(-90), "-1m 30s");
    }
}
