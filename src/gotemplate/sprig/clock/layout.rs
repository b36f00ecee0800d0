//! Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`): formatting (`Time.Format`) and
//! parsing (`time.ParseInLocation`), chunk for chunk as Go's time/format.go reads a layout,
//! with its error messages.

use super::duration::quote;
use super::time::{days_from_civil, days_in_month, is_leap, Time, Zone};

/// One element of a layout (Go's `std*` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// An offset: its form, and whether UTC prints as `Z` (the ISO 8601 forms).
    Offset(OffsetForm, bool),
    /// A fractional second: digits, trailing zeros kept (`.000`) or trimmed (`.999`), separator.
    Fraction(usize, bool, u8),
}

/// `-07`, `-0700`, `-07:00`, `-070000`, `-07:00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetForm {
    Hours,
    HoursMinutes,
    ColonMinutes,
    HoursMinutesSeconds,
    ColonSeconds,
}

/// Go's `nextStdChunk`: the text before the first element, the element, the text after.
fn next_chunk(layout: &str) -> (&str, Option<Chunk>, &str) {
    let bytes = layout.as_bytes();
    let at = |i: usize, text: &str| layout[i..].starts_with(text);
    let lower_after = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_lowercase);
    for i in 0..bytes.len() {
        let found = |chunk: Chunk, length: usize| (&layout[..i], Some(chunk), &layout[i + length..]);
        match bytes[i] {
            b'J' if at(i, "January") => return found(Chunk::LongMonth, 7),
            b'J' if at(i, "Jan") && !lower_after(i + 3) => return found(Chunk::Month, 3),
            b'M' if at(i, "Monday") => return found(Chunk::LongWeekDay, 6),
            b'M' if at(i, "Mon") && !lower_after(i + 3) => return found(Chunk::WeekDay, 3),
            b'M' if at(i, "MST") => return found(Chunk::Tz, 3),
            b'0' if matches!(bytes.get(i + 1), Some(b'1'..=b'6')) => {
                let chunk = [
                    Chunk::ZeroMonth,
                    Chunk::ZeroDay,
                    Chunk::ZeroHour12,
                    Chunk::ZeroMinute,
                    Chunk::ZeroSecond,
                    Chunk::Year,
                ][usize::from(bytes[i + 1] - b'1')];
                return found(chunk, 2);
            }
            b'0' if at(i, "002") => return found(Chunk::ZeroYearDay, 3),
            b'1' if at(i, "15") => return found(Chunk::Hour, 2),
            b'1' => return found(Chunk::NumMonth, 1),
            b'2' if at(i, "2006") => return found(Chunk::LongYear, 4),
            b'2' => return found(Chunk::Day, 1),
            // `_2006` is a literal `_` and the year.
            b'_' if at(i, "_2006") => return (&layout[..i + 1], Some(Chunk::LongYear), &layout[i + 5..]),
            b'_' if at(i, "_2") => return found(Chunk::UnderDay, 2),
            b'_' if at(i, "__2") => return found(Chunk::UnderYearDay, 3),
            b'3' => return found(Chunk::Hour12, 1),
            b'4' => return found(Chunk::Minute, 1),
            b'5' => return found(Chunk::Second, 1),
            b'P' if at(i, "PM") => return found(Chunk::PM, 2),
            b'p' if at(i, "pm") => return found(Chunk::Pm, 2),
            b'-' | b'Z' => {
                let iso = bytes[i] == b'Z';
                let forms = [
                    ("070000", OffsetForm::HoursMinutesSeconds),
                    ("07:00:00", OffsetForm::ColonSeconds),
                    ("0700", OffsetForm::HoursMinutes),
                    ("07:00", OffsetForm::ColonMinutes),
                    ("07", OffsetForm::Hours),
                ];
                if let Some((text, form)) = forms.iter().find(|(text, _)| at(i + 1, text)) {
                    return found(Chunk::Offset(*form, iso), text.len() + 1);
                }
            }
            separator @ (b'.' | b',') if matches!(bytes.get(i + 1), Some(b'0' | b'9')) => {
                let digit = bytes[i + 1];
                let end = (i + 1..bytes.len()).find(|&j| bytes[j] != digit).unwrap_or(bytes.len());
                // The run must end the digits: only a fractional second is all digits.
                if !bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    return found(Chunk::Fraction(end - i - 1, digit == b'0', separator), end - i);
                }
            }
            _ => {}
        }
    }
    (layout, None, "")
}

const LONG_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Go's `appendInt`: `value` zero-padded to `width` digits, the sign before the padding.
fn padded(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", value.unsigned_abs()));
}

/// Go's `Time.Format`.
pub fn format(time: &Time, layout: &str) -> String {
    let c = time.civil();
    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout;
    loop {
        let (prefix, chunk, suffix) = next_chunk(rest);
        out.push_str(prefix);
        let Some(chunk) = chunk else { break };
        rest = suffix;
        let hour12 = match c.hour % 12 {
            0 => 12,
            other => other,
        };
        match chunk {
            Chunk::Year => padded(&mut out, c.year.abs() % 100, 2),
            Chunk::LongYear => padded(&mut out, c.year, 4),
            Chunk::Month => out.push_str(&LONG_MONTHS[c.month as usize - 1][..3]),
            Chunk::LongMonth => out.push_str(LONG_MONTHS[c.month as usize - 1]),
            Chunk::NumMonth => padded(&mut out, i64::from(c.month), 0),
            Chunk::ZeroMonth => padded(&mut out, i64::from(c.month), 2),
            Chunk::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Chunk::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Chunk::Day => padded(&mut out, i64::from(c.day), 0),
            Chunk::UnderDay => out.push_str(&format!("{:>2}", c.day)),
            Chunk::ZeroDay => padded(&mut out, i64::from(c.day), 2),
            Chunk::UnderYearDay => out.push_str(&format!("{:>3}", c.year_day)),
            Chunk::ZeroYearDay => padded(&mut out, i64::from(c.year_day), 3),
            Chunk::Hour => padded(&mut out, i64::from(c.hour), 2),
            Chunk::Hour12 => padded(&mut out, i64::from(hour12), 0),
            Chunk::ZeroHour12 => padded(&mut out, i64::from(hour12), 2),
            Chunk::Minute => padded(&mut out, i64::from(c.minute), 0),
            Chunk::ZeroMinute => padded(&mut out, i64::from(c.minute), 2),
            Chunk::Second => padded(&mut out, i64::from(c.second), 0),
            Chunk::ZeroSecond => padded(&mut out, i64::from(c.second), 2),
            Chunk::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Chunk::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Chunk::Offset(_, true) if c.offset == 0 => out.push('Z'),
            Chunk::Offset(form, _) => format_offset(&mut out, c.offset, form),
            Chunk::Tz if !c.abbreviation.is_empty() => out.push_str(&c.abbreviation),
            Chunk::Tz => format_offset(&mut out, c.offset, OffsetForm::HoursMinutes),
            Chunk::Fraction(digits, keep_zeros, separator) => {
                format_fraction(&mut out, c.nanos, digits, keep_zeros, separator)
            }
        }
    }
    out
}

fn format_offset(out: &mut String, offset: i32, form: OffsetForm) {
    out.push(if offset < 0 { '-' } else { '+' });
    let magnitude = offset.unsigned_abs();
    let minutes = magnitude / 60;
    out.push_str(&format!("{:02}", minutes / 60));
    if matches!(form, OffsetForm::ColonMinutes | OffsetForm::ColonSeconds) {
        out.push(':');
    }
    if form != OffsetForm::Hours {
        out.push_str(&format!("{:02}", minutes % 60));
    }
    if matches!(form, OffsetForm::HoursMinutesSeconds | OffsetForm::ColonSeconds) {
        if form == OffsetForm::ColonSeconds {
            out.push(':');
        }
        out.push_str(&format!("{:02}", magnitude % 60));
    }
}

/// Go's `appendNano`.
fn format_fraction(out: &mut String, nanos: u32, digits: usize, keep_zeros: bool, separator: u8) {
    if !keep_zeros && (digits == 0 || nanos == 0) {
        return;
    }
    let all = format!("{nanos:09}");
    let mut fraction = &all[..digits.min(9)];
    if !keep_zeros {
        fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            return;
        }
    }
    out.push(char::from(separator));
    out.push_str(fraction);
}

/// What a failed parse says (Go's `ParseError.Error`).
fn parse_error(layout: &str, value: &str, element: &str, value_element: &str) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        quote(value),
        quote(layout),
        quote(value_element),
        quote(element)
    )
}

fn parse_failure(value: &str, message: &str) -> String {
    format!("parsing time {}{message}", quote(value))
}

/// Go's `getnum`: one or two digits (two when `fixed`).
fn number(value: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = value.as_bytes();
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| i64::from(c - b'0'));
    let first = digit(0)?;
    match digit(1) {
        Some(second) => Some((first * 10 + second, &value[2..])),
        None if fixed => None,
        None => Some((first, &value[1..])),
    }
}

/// Go's `getnum3`: one to three digits (three when `fixed`).
fn number3(value: &str, fixed: bool) -> Option<(i64, &str)> {
    let count = value.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if count == 0 || (fixed && count != 3) {
        return None;
    }
    Some((value[..count].parse().ok()?, &value[count..]))
}

/// Go's `skip`: the layout's literal text, runs of spaces matching runs of spaces.
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Option<&'v str> {
    while let Some(first) = prefix.bytes().next() {
        if first == b' ' {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.as_bytes().first().is_none_or(|b| *b != first) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Go's `lookup`: a name of `names` (case-insensitively, ASCII letters only), its index.
fn name_index(names: impl Iterator<Item = &'static str>, value: &str) -> Option<(usize, &str)> {
    names.enumerate().find_map(|(i, name)| {
        let head = value.as_bytes().get(..name.len())?;
        let same = head
            .iter()
            .zip(name.bytes())
            .all(|(a, b)| a == &b || ((a | 0x20) == (b | 0x20) && (a | 0x20).is_ascii_lowercase()));
        same.then(|| (i, &value[name.len()..]))
    })
}

/// Go's `parseNanoseconds`: `value` starts with the separator; `length` bytes in all.
fn nanoseconds(value: &str, length: usize) -> Result<i64, &'static str> {
    if !value.starts_with(['.', ',']) {
        return Err("");
    }
    let length = length.min(10);
    let digits = &value[1..length];
    let parsed: i64 = if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        digits.parse().map_err(|_| "")?
    } else {
        return Err("");
    };
    Ok(parsed * 10i64.pow((10 - length) as u32))
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn zone_name_length(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if value.starts_with("ChST") || value.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = value.strip_prefix("GMT") {
        return Some(3 + if rest.is_empty() { 0 } else { signed_offset_length(rest) });
    }
    if b[0] == b'+' || b[0] == b'-' {
        return Some(signed_offset_length(value)).filter(|n| *n > 0);
    }
    let upper = b.iter().take(6).take_while(|c| c.is_ascii_uppercase()).count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || value.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's `parseSignedOffset`: a sign and a number up to 23, or 0.
fn signed_offset_length(value: &str) -> usize {
    if !value.starts_with(['+', '-']) {
        return 0;
    }
    let digits = value[1..].bytes().take_while(u8::is_ascii_digit).count();
    match value[1..1 + digits].parse::<u64>() {
        Ok(hours) if digits > 0 && hours <= 23 => 1 + digits,
        _ => 0,
    }
}

/// What a parse found.
struct Fields<'a> {
    year: i64,
    month: i64,
    day: i64,
    year_day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    zone: Option<Zone>,
    offset: Option<i32>,
    zone_name: &'a str,
    am: bool,
    pm: bool,
}

/// Go's `time.ParseInLocation(layout, value, zone)`.
pub fn parse(layout: &str, value: &str, zone: &Zone) -> Result<Time, String> {
    let (all_layout, all_value) = (layout, value);
    let mut f = Fields {
        year: 0,
        month: -1,
        day: -1,
        year_day: -1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        zone: None,
        offset: None,
        zone_name: "",
        am: false,
        pm: false,
    };
    let (mut layout, mut value) = (layout, value);
    loop {
        let (prefix, chunk, suffix) = next_chunk(layout);
        let element = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).ok_or_else(|| parse_error(all_layout, all_value, prefix, value))?;
        let Some(chunk) = chunk else {
            if !value.is_empty() {
                return Err(parse_failure(all_value, &format!(": extra text: {}", quote(value))));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        match parse_chunk(chunk, value, layout, &mut f) {
            Ok(rest) => value = rest,
            Err(ChunkError::Bad) => return Err(parse_error(all_layout, all_value, element, hold)),
            Err(ChunkError::Range(what)) => return Err(parse_failure(all_value, &format!(": {what} out of range"))),
        }
    }
    finish(f, all_value, zone)
}

enum ChunkError {
    Bad,
    /// A field out of range: which.
    Range(&'static str),
}

/// One layout element read off `value`: the value left.
fn parse_chunk<'v>(chunk: Chunk, value: &'v str, layout_rest: &str, f: &mut Fields<'v>) -> Result<&'v str, ChunkError> {
    use ChunkError::{Bad, Range};
    let in_range = |rest: &'v str, ok: bool, what| if ok { Ok(rest) } else { Err(Range(what)) };
    Ok(match chunk {
        Chunk::Year => {
            let digits = value.get(..2).ok_or(Bad)?;
            let year: i64 = go_atoi(digits).ok_or(Bad)?;
            f.year = if year >= 69 { year + 1900 } else { year + 2000 };
            &value[2..]
        }
        Chunk::LongYear => {
            if value.len() < 4 || !value.as_bytes()[0].is_ascii_digit() {
                return Err(Bad);
            }
            f.year = go_atoi(&value[..4]).ok_or(Bad)?;
            &value[4..]
        }
        Chunk::Month | Chunk::LongMonth => {
            let short = chunk == Chunk::Month;
            let names = LONG_MONTHS.iter().map(move |name| if short { &name[..3] } else { name });
            let (index, rest) = name_index(names, value).ok_or(Bad)?;
            f.month = index as i64 + 1;
            rest
        }
        Chunk::NumMonth | Chunk::ZeroMonth => {
            let (month, rest) = number(value, chunk == Chunk::ZeroMonth).ok_or(Bad)?;
            f.month = month;
            in_range(rest, (1..=12).contains(&month), "month")?
        }
        Chunk::WeekDay | Chunk::LongWeekDay => {
            let short = chunk == Chunk::WeekDay;
            let names = LONG_DAYS.iter().map(move |name| if short { &name[..3] } else { name });
            name_index(names, value).ok_or(Bad)?.1
        }
        Chunk::Day | Chunk::UnderDay | Chunk::ZeroDay => {
            let value = if chunk == Chunk::UnderDay { value.strip_prefix(' ').unwrap_or(value) } else { value };
            let (day, rest) = number(value, chunk == Chunk::ZeroDay).ok_or(Bad)?;
            f.day = day;
            rest
        }
        Chunk::UnderYearDay | Chunk::ZeroYearDay => {
            let mut value = value;
            if chunk == Chunk::UnderYearDay {
                for _ in 0..2 {
                    value = value.strip_prefix(' ').unwrap_or(value);
                }
            }
            let (year_day, rest) = number3(value, chunk == Chunk::ZeroYearDay).ok_or(Bad)?;
            f.year_day = year_day;
            rest
        }
        Chunk::Hour => {
            let (hour, rest) = number(value, false).ok_or(Bad)?;
            f.hour = hour;
            in_range(rest, hour < 24, "hour")?
        }
        Chunk::Hour12 | Chunk::ZeroHour12 => {
            let (hour, rest) = number(value, chunk == Chunk::ZeroHour12).ok_or(Bad)?;
            f.hour = hour;
            in_range(rest, hour <= 12, "hour")?
        }
        Chunk::Minute | Chunk::ZeroMinute => {
            let (minute, rest) = number(value, chunk == Chunk::ZeroMinute).ok_or(Bad)?;
            f.minute = minute;
            in_range(rest, minute < 60, "minute")?
        }
        Chunk::Second | Chunk::ZeroSecond => {
            let (second, rest) = number(value, chunk == Chunk::ZeroSecond).ok_or(Bad)?;
            f.second = second;
            let rest = in_range(rest, second < 60, "second")?;
            // A fractional second in the value the layout does not name is read anyway.
            let b = rest.as_bytes();
            let next_is_fraction = matches!(next_chunk(layout_rest).1, Some(Chunk::Fraction(..)));
            if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() && !next_is_fraction {
                let length = 2 + b[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                f.nanos = nanoseconds(rest, length).map_err(|_| Bad)?;
                &rest[length..]
            } else {
                rest
            }
        }
        Chunk::PM | Chunk::Pm => {
            let mark = value.get(..2).ok_or(Bad)?;
            let (am, pm) = if chunk == Chunk::PM { ("AM", "PM") } else { ("am", "pm") };
            match mark {
                m if m == pm => f.pm = true,
                m if m == am => f.am = true,
                _ => return Err(Bad),
            }
            &value[2..]
        }
        Chunk::Offset(_, true) if value.starts_with('Z') => {
            f.zone = Some(Zone::Utc);
            &value[1..]
        }
        Chunk::Offset(form, _) => parse_offset(form, value, f)?,
        Chunk::Tz => {
            if let Some(rest) = value.strip_prefix("UTC") {
                f.zone = Some(Zone::Utc);
                return Ok(rest);
            }
            let length = zone_name_length(value).ok_or(Bad)?;
            f.zone_name = &value[..length];
            &value[length..]
        }
        Chunk::Fraction(digits, true, _) => {
            let length = 1 + digits;
            if value.len() < length {
                return Err(Bad);
            }
            f.nanos = nanoseconds(value, length).map_err(|_| Bad)?;
            &value[length..]
        }
        Chunk::Fraction(..) => {
            let b = value.as_bytes();
            if b.len() < 2 || !(b[0] == b'.' || b[0] == b',') || !b[1].is_ascii_digit() {
                return Ok(value);
            }
            let length = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            f.nanos = nanoseconds(value, length).map_err(|_| Bad)?;
            &value[length..]
        }
    })
}

/// Go's `atoi` of the time package: an optional sign and digits, all of the text.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_offset<'v>(form: OffsetForm, value: &'v str, f: &mut Fields<'v>) -> Result<&'v str, ChunkError> {
    use ChunkError::{Bad, Range};
    let b = value.as_bytes();
    let (length, hours, minutes, seconds) = match form {
        OffsetForm::ColonMinutes if b.len() >= 6 && b[3] == b':' => (6, &value[1..3], &value[4..6], "00"),
        OffsetForm::Hours if b.len() >= 3 => (3, &value[1..3], "00", "00"),
        OffsetForm::ColonSeconds if b.len() >= 9 && b[3] == b':' && b[6] == b':' => {
            (9, &value[1..3], &value[4..6], &value[7..9])
        }
        OffsetForm::HoursMinutesSeconds if b.len() >= 7 => (7, &value[1..3], &value[3..5], &value[5..7]),
        OffsetForm::HoursMinutes if b.len() >= 5 => (5, &value[1..3], &value[3..5], "00"),
        _ => return Err(Bad),
    };
    let two = |text: &str| number(text, true).map(|(n, _)| n).ok_or(Bad);
    let (h, m, s) = (two(hours)?, two(minutes)?, two(seconds)?);
    let rest = &value[length..];
    for (field, limit, what) in
        [(h, 24, "time zone offset hour"), (m, 60, "time zone offset minute"), (s, 60, "time zone offset second")]
            .into_iter()
            .rev()
    {
        if field > limit {
            return Err(Range(what));
        }
    }
    let offset = ((h * 60 + m) * 60 + s) as i32;
    f.offset = Some(match b[0] {
        b'+' => offset,
        b'-' => -offset,
        _ => return Err(Bad),
    });
    Ok(rest)
}

/// The end of Go's `parse`: the date checked, the zone chosen.
fn finish(mut f: Fields, all_value: &str, local: &Zone) -> Result<Time, String> {
    if f.pm && f.hour < 12 {
        f.hour += 12;
    } else if f.am && f.hour == 12 {
        f.hour = 0;
    }
    if f.year_day >= 0 {
        let (mut month, mut day) = (0, 0);
        let mut year_day = f.year_day;
        if is_leap(f.year) {
            if year_day == 31 + 29 {
                (month, day) = (2, 29);
            } else if year_day > 31 + 29 {
                year_day -= 1;
            }
        }
        if !(1..=365).contains(&year_day) {
            return Err(parse_failure(all_value, ": day-of-year out of range"));
        }
        if month == 0 {
            let before = |m: i64| days_from_civil(2001, m as u32, 1) - days_from_civil(2001, 1, 1);
            month = (year_day - 1) / 31 + 1;
            if month < 12 && before(month + 1) < year_day {
                month += 1;
            }
            day = year_day - before(month);
        }
        if f.month >= 0 && f.month != month {
            return Err(parse_failure(all_value, ": day-of-year does not match month"));
        }
        if f.day >= 0 && f.day != day {
            return Err(parse_failure(all_value, ": day-of-year does not match day"));
        }
        (f.month, f.day) = (month, day);
    } else {
        if f.month < 0 {
            f.month = 1;
        }
        if f.day < 0 {
            f.day = 1;
        }
    }
    if f.day < 1 || f.day > i64::from(days_in_month(f.month as u32, f.year)) {
        return Err(parse_failure(all_value, ": day out of range"));
    }
    let civil =
        days_from_civil(f.year, f.month as u32, f.day as u32) * 86_400 + f.hour * 3600 + f.minute * 60 + f.second;
    let nanos = f.nanos as u32;
    if let Some(zone) = f.zone {
        return Ok(Time::at(zone.instant_of(civil), nanos, zone));
    }
    if let Some(offset) = f.offset {
        let unix = civil - i64::from(offset);
        let (name, local_offset) = local.at(unix);
        if local_offset == offset && (f.zone_name.is_empty() || name == f.zone_name) {
            return Ok(Time::at(unix, nanos, local.clone()));
        }
        return Ok(Time::at(unix, nanos, Zone::Fixed(f.zone_name.into(), offset)));
    }
    if !f.zone_name.is_empty() {
        // The abbreviation as the zone at hand names its offset around then.
        for guess in [civil, civil - i64::from(local.at(civil).1)] {
            let (name, offset) = local.at(guess);
            if name == f.zone_name {
                return Ok(Time::at(civil - i64::from(offset), nanos, local.clone()));
            }
        }
        // Go records the offset of `GMT+3` but leaves the instant at the wall time read as UTC.
        let offset = match f.zone_name.strip_prefix("GMT") {
            Some(hours) if !hours.is_empty() => go_atoi(hours).unwrap_or(0) as i32 * 3600,
            _ => 0,
        };
        return Ok(Time::at(civil, nanos, Zone::Fixed(f.zone_name.into(), offset)));
    }
    Ok(Time::at(local.instant_of(civil), nanos, local.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's reference time: Mon Jan 2 15:04:05 MST 2006 (-0700), plus nanoseconds.
    fn reference() -> Time {
        Time::at(1_136_239_445, 123_456_789, Zone::Fixed("MST".into(), -7 * 3600))
    }

    #[test]
    fn layouts_format_as_go_formats_them() {
        let t = reference();
        for (layout, expected) in [
            ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05-07:00"),
            ("2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.123456789-07:00"),
            ("Mon Jan _2 15:04:05 MST 2006", "Mon Jan  2 15:04:05 MST 2006"),
            ("Monday, 02-Jan-06 03:04:05 PM", "Monday, 02-Jan-06 03:04:05 PM"),
            ("January 2, 2006 3:4:5 pm", "January 2, 2006 3:4:5 pm"),
            ("20060102150405", "20060102150405"),
            ("15:04:05.000", "15:04:05.123"),
            ("15:04:05,00000", "15:04:05,12345"),
            ("__2 002", "  2 002"),
            ("-07 -0700 -07:00 -070000 -07:00:00", "-07 -0700 -07:00 -070000 -07:00:00"),
            ("Z07 Z0700", "-07 -0700"),
            ("_2006 Month Jan1", "_2006 Month Jan1"),
            ("Janx Monx", "Janx Monx"),
            ("1.9", "1.1"),
        ] {
            assert_eq!(format(&t, layout), expected, "{layout}");
        }
        let utc = t.in_zone(Zone::Utc);
        assert_eq!(format(&utc, "2006-01-02T15:04:05Z07:00 MST"), "2006-01-02T22:04:05Z UTC");
        assert_eq!(format(&Time::at(0, 0, Zone::Fixed("".into(), 5 * 3600 + 1800)), "MST"), "+0530");
        assert_eq!(format(&Time::zero(), "2006-01-02 15:04:05 Mon"), "0001-01-01 00:00:00 Mon");
        assert_eq!(format(&Time::at(951_782_400, 0, Zone::Utc), "2006-01-02 002 Monday"), "2000-02-29 060 Tuesday");
    }

    #[test]
    fn layouts_parse_as_go_parses_them() {
        let parsed = |layout: &str, value: &str| parse(layout, value, &Zone::Utc).map(|t| (t.unix, t.nanos, t.text()));
        assert_eq!(parsed("2006-01-02", "2024-05-01"), Ok((1_714_521_600, 0, "2024-05-01 00:00:00 +0000 UTC".into())));
        assert_eq!(
            parsed("2006-01-02T15:04:05Z07:00", "2024-05-01T10:20:30+02:00").map(|p| p.2),
            Ok("2024-05-01 10:20:30 +0200 +0200".into())
        );
        assert_eq!(parsed("2006-01-02 15:04:05", "2024-05-01 10:20:30.25").map(|p| p.1), Ok(250_000_000));
        assert_eq!(
            parsed("Jan _2 06 3:04PM", "feb  9 99 12:30AM").map(|p| p.2),
            Ok("1999-02-09 00:30:00 +0000 UTC".into())
        );
        assert_eq!(parsed("2006 002", "2024 060").map(|p| p.2), Ok("2024-02-29 00:00:00 +0000 UTC".into()));
        assert_eq!(parsed("MST 2006", "PDT 2024").map(|p| p.2), Ok("2024-01-01 00:00:00 +0000 PDT".into()));
        // Go keeps the wall time read as UTC, shown at +0300 (helm prints 03:00 for 00:00).
        assert_eq!(parsed("MST 2006", "GMT+3 2024").map(|p| p.2), Ok("2024-01-01 03:00:00 +0300 GMT+3".into()));
        assert_eq!(parsed("2006-01-02", "2024-13-01"), Err("parsing time \"2024-13-01\": month out of range".into()));
        assert_eq!(parsed("2006-01-02", "2024-02-30"), Err("parsing time \"2024-02-30\": day out of range".into()));
        assert_eq!(
            parsed("2006-01-02", "24-05-01"),
            Err("parsing time \"24-05-01\" as \"2006-01-02\": cannot parse \"24-05-01\" as \"2006\"".into())
        );
        assert_eq!(
            parsed("2006-01-02", "2024/05/01"),
            Err("parsing time \"2024/05/01\" as \"2006-01-02\": cannot parse \"/05/01\" as \"-\"".into())
        );
        assert_eq!(parsed("2006-01-02", "2024-05-01x"), Err("parsing time \"2024-05-01x\": extra text: \"x\"".into()));
    }
}
