//! Go's `time.Time` as templates reach it: an instant (seconds and nanoseconds since the Unix
//! epoch), the location it is shown in, and the monotonic reading `time.Now` adds (printed by
//! `%v` as ` m=+0.001234567`, dropped by the functions that reinterpret the wall time).
//!
//! Zones are the system's tz database, read by jiff: `Local` is /etc/localtime, as Go reads it
//! under helm (which hldc runs with an empty environment, so no `TZ`).

use std::rc::Rc;
use std::sync::OnceLock;

use jiff::tz::TimeZone;

use crate::gotemplate::Value;

const SECONDS_PER_DAY: i64 = 86_400;

/// Where a time is shown: its offset from UTC and its abbreviation at each instant.
#[derive(Clone)]
pub enum Zone {
    Utc,
    /// `Local` or a zone of the tz database by name.
    Database(TimeZone),
    /// Go's `FixedZone(name, offset)`: what parsing makes of an offset no zone at hand has.
    Fixed(Rc<str>, i32),
}

impl Zone {
    /// Go's `Local`: /etc/localtime, UTC when it is missing or unreadable; UTC under a fixed
    /// clock (`helm.deterministic`: never the machine's zone).
    pub fn local() -> Zone {
        if super::fixed_clock().is_some() {
            return Zone::Utc;
        }
        static LOCAL: OnceLock<Option<TimeZone>> = OnceLock::new();
        let local = LOCAL.get_or_init(|| {
            let data = std::fs::read("/etc/localtime").ok()?;
            TimeZone::tzif("Local", &data).ok()
        });
        local.clone().map_or(Zone::Utc, Zone::Database)
    }

    /// Go's `time.LoadLocation`: "" and "UTC" are UTC, "Local" is Local, else the tz database's
    /// zone of exactly that name; `None` when there is none.
    pub fn load(name: &str) -> Option<Zone> {
        match name {
            "" | "UTC" => Some(Zone::Utc),
            "Local" => Some(Zone::local()),
            // Go refuses names that could leave the database's directory.
            _ if name.contains("..") || name.starts_with('/') || name.starts_with('\\') => None,
            _ => {
                let zone = TimeZone::get(name).ok()?;
                // jiff finds names case-insensitively; Go opens the file of that name.
                (zone.iana_name() == Some(name)).then_some(Zone::Database(zone))
            }
        }
    }

    /// The abbreviation and the offset (seconds east of UTC) in effect at `unix`.
    pub fn at(&self, unix: i64) -> (String, i32) {
        match self {
            Zone::Utc => ("UTC".to_string(), 0),
            Zone::Fixed(name, offset) => (name.to_string(), *offset),
            Zone::Database(zone) => {
                let clamped = unix.clamp(jiff::Timestamp::MIN.as_second(), jiff::Timestamp::MAX.as_second());
                let timestamp = jiff::Timestamp::from_second(clamped).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                let info = zone.to_offset_info(timestamp);
                (info.abbreviation().to_string(), info.offset().seconds())
            }
        }
    }

    /// Go's `Date` in this zone: the instant whose wall clock here reads `civil` (seconds of
    /// the civil time counted as if it were UTC), choosing the offset as Go does.
    pub fn instant_of(&self, civil: i64) -> i64 {
        let (_, offset) = self.at(civil);
        if offset == 0 {
            return civil;
        }
        let (_, corrected) = self.at(civil.saturating_sub(i64::from(offset)));
        civil.saturating_sub(i64::from(corrected))
    }
}

/// A Go `time.Time`.
#[derive(Clone)]
pub struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    pub nanos: u32,
    pub zone: Zone,
    /// `time.Now`'s monotonic reading, in nanoseconds since the process's clock started.
    pub monotonic: Option<i64>,
}

/// Seconds from 0001-01-01 to 1970-01-01: Go's zero `time.Time` is the former.
pub const ZERO_UNIX: i64 = -62_135_596_800;

impl Time {
    pub fn at(unix: i64, nanos: u32, zone: Zone) -> Time {
        Time { unix, nanos, zone, monotonic: None }
    }

    /// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`: what `toDate` gives for what it cannot parse.
    pub fn zero() -> Time {
        Time::at(ZERO_UNIX, 0, Zone::Utc)
    }

    /// Go's `time.Date`: the instant whose wall clock in `zone` reads that date and time.
    #[allow(clippy::too_many_arguments)]
    pub fn date(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32, nanos: u32, zone: Zone) -> Time {
        let clock = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        let civil = days_from_civil(year, month, day).saturating_mul(SECONDS_PER_DAY).saturating_add(clock);
        Time::at(zone.instant_of(civil), nanos, zone)
    }

    /// The abbreviation of its zone at its instant (`UTC`, `EST`; a fixed zone's name).
    pub fn zone_name(&self) -> String {
        self.zone.at(self.unix).0
    }

    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    /// The same instant shown in `zone`, its monotonic reading dropped (Go's `In`).
    pub fn in_zone(&self, zone: Zone) -> Time {
        Time::at(self.unix, self.nanos, zone)
    }

    /// The broken-down wall time where the time is shown.
    pub fn civil(&self) -> Civil {
        let (abbreviation, offset) = self.zone.at(self.unix);
        let local = self.unix.saturating_add(i64::from(offset));
        let days = local.div_euclid(SECONDS_PER_DAY);
        let seconds = local.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            year_day: (days - days_from_civil(year, 1, 1) + 1) as u32,
            // 1970-01-01 was a Thursday (4).
            weekday: (days + 4).rem_euclid(7) as u32,
            hour: (seconds / 3600) as u32,
            minute: (seconds / 60 % 60) as u32,
            second: (seconds % 60) as u32,
            nanos: self.nanos,
            offset,
            abbreviation,
        }
    }

    /// `t` plus `nanos` nanoseconds (Go's `Add`: the monotonic reading moves too).
    pub fn add(&self, nanos: i64) -> Time {
        let total = i128::from(self.nanos) + i128::from(nanos);
        let unix = self.unix.saturating_add(total.div_euclid(1_000_000_000) as i64);
        let rest = total.rem_euclid(1_000_000_000) as u32;
        Time { unix, nanos: rest, zone: self.zone.clone(), monotonic: self.monotonic.map(|m| m.saturating_add(nanos)) }
    }

    /// Nanoseconds from `earlier` to `self` (Go's `Sub`: monotonic readings when both have one),
    /// saturated at Go's Duration bounds.
    pub fn since(&self, earlier: &Time) -> i64 {
        if let (Some(now), Some(then)) = (self.monotonic, earlier.monotonic) {
            return now.saturating_sub(then);
        }
        let nanos = (i128::from(self.unix) - i128::from(earlier.unix)) * 1_000_000_000 + i128::from(self.nanos)
            - i128::from(earlier.nanos);
        nanos.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// Go's `AddDate`: the civil date moved, normalized as Go's `Date` normalizes it. Go's
    /// int arithmetic wraps far past any calendar; here far-off dates saturate instead (a
    /// chart's arguments must not overflow the render).
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> Time {
        const YEAR_LIMIT: i64 = 1 << 35;
        let c = self.civil();
        let month0 = (i64::from(c.month) - 1).saturating_add(months);
        let year = c.year.saturating_add(years).saturating_add(month0.div_euclid(12)).clamp(-YEAR_LIMIT, YEAR_LIMIT);
        let month = month0.rem_euclid(12) as u32 + 1;
        let day_number = days_from_civil(year, month, 1).saturating_add(i64::from(c.day) - 1).saturating_add(days);
        let clock = i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second);
        let unix = self.zone.instant_of(day_number.saturating_mul(SECONDS_PER_DAY).saturating_add(clock));
        Time::at(unix, self.nanos, self.zone.clone())
    }
}

/// A time's wall clock where it is shown.
pub struct Civil {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    pub day: u32,
    /// 1 to 366.
    pub year_day: u32,
    /// 0 (Sunday) to 6.
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    pub offset: i32,
    pub abbreviation: String,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A `time.Time` argument (Sprig's `dateModify`, `unixEpoch`), or Go's type error.
pub fn time_arg(value: &Value) -> Result<&Time, String> {
    let time = match value {
        Value::Object(object) => object.as_any().and_then(|any| any.downcast_ref::<Time>()),
        _ => None,
    };
    time.ok_or_else(|| super::super::wrong_type("time.Time", value))
}
