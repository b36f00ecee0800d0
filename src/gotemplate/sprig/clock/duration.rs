//! Go's `time.Duration` (nanoseconds in an int64): its text (`1h2m3.5s`, `1.5µs`, `0s`), its
//! parser (`time.ParseDuration`) and rounding, as `ago`, `duration`, `durationRound` and
//! `dateModify` use them.

const SECOND: u64 = 1_000_000_000;

/// Go's `Duration.String`.
pub fn text(nanos: i64) -> String {
    let magnitude = nanos.unsigned_abs();
    let sign = if nanos < 0 { "-" } else { "" };
    if magnitude == 0 {
        return "0s".to_string();
    }
    if magnitude < SECOND {
        let (unit, digits) = match magnitude {
            0..1_000 => ("ns", 0),
            1_000..1_000_000 => ("µs", 3),
            _ => ("ms", 6),
        };
        return format!("{sign}{}{unit}", decimal(magnitude, digits));
    }
    let seconds = magnitude / SECOND;
    let fraction = decimal(magnitude % (60 * SECOND), 9);
    let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{fraction}s"),
        (0, _) => format!("{sign}{minutes}m{fraction}s"),
        _ => format!("{sign}{hours}h{minutes}m{fraction}s"),
    }
}

/// `value` / 10^`digits` in decimal, trailing zeros of the fraction (and a bare point) left out.
fn decimal(value: u64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0width$}", width = digits as usize);
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`, with its messages.
pub fn parse(original: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(original));
    let (negative, mut rest) = match original.as_bytes().first() {
        Some(b'-') => (true, &original[1..]),
        Some(b'+') => (false, &original[1..]),
        _ => (false, original),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let whole = leading_int(&rest[..digits]).ok_or_else(invalid)?;
        rest = &rest[digits..];
        let (mut fraction, mut scale, mut fraction_digits) = (0u64, 1f64, 0);
        if let Some(after) = rest.strip_prefix('.') {
            fraction_digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            (fraction, scale) = leading_fraction(&after[..fraction_digits]);
            rest = &after[fraction_digits..];
        }
        if digits == 0 && fraction_digits == 0 {
            return Err(invalid());
        }
        let unit_length = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        if unit_length == 0 {
            return Err(format!("time: missing unit in duration {}", quote(original)));
        }
        let unit_name = &rest[..unit_length];
        rest = &rest[unit_length..];
        let unit = unit(unit_name)
            .ok_or_else(|| format!("time: unknown unit {} in duration {}", quote(unit_name), quote(original)))?;
        if whole > (1 << 63) / unit {
            return Err(invalid());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > 1 << 63 {
                return Err(invalid());
            }
        }
        total += value;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if negative {
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

fn unit(name: &str) -> Option<u64> {
    Some(match name {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3600 * SECOND,
        _ => return None,
    })
}

/// Go's `leadingInt` of a run of digits: `None` past 2^63.
fn leading_int(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |value, digit| {
        if value > (1 << 63) / 10 {
            return None;
        }
        Some(value * 10 + u64::from(digit - b'0')).filter(|value| *value <= 1 << 63)
    })
}

/// Go's `leadingFraction`: the digits as an integer and their scale, precision dropped on overflow.
fn leading_fraction(digits: &str) -> (u64, f64) {
    let (mut value, mut scale) = (0u64, 1f64);
    for digit in digits.bytes() {
        if value > (i64::MAX as u64) / 10 {
            break;
        }
        let next = value * 10 + u64::from(digit - b'0');
        if next > 1 << 63 {
            break;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale)
}

/// Go's `Duration.Round(m)`: halves away from zero, saturating.
pub fn round(nanos: i64, multiple: i64) -> i64 {
    let remainder = nanos % multiple;
    let less_than_half = |r: i64| (r as u64) + (r as u64) < multiple as u64;
    if nanos < 0 {
        let r = -remainder;
        if less_than_half(r) {
            return nanos + r;
        }
        return nanos.checked_sub(multiple - r).unwrap_or(i64::MIN);
    }
    if less_than_half(remainder) {
        return nanos - remainder;
    }
    nanos.checked_add(multiple - remainder).unwrap_or(i64::MAX)
}

/// The quoting of Go's time package (its own, printable ASCII kept, the rest as `\x` bytes).
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if (c as u32) < 0x20 || (c as u32) >= 0x80 {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        for (nanos, expected) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_500_000_000, "3.5s"),
            (90 * SECOND as i64, "1m30s"),
            (3600 * SECOND as i64, "1h0m0s"),
            (3_723_500_000_000, "1h2m3.5s"),
            (-61 * SECOND as i64, "-1m1s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (i64::MAX, "2562047h47m16.854775807s"),
        ] {
            assert_eq!(text(nanos), expected, "{nanos}");
        }
    }

    #[test]
    fn durations_parse_as_go_parses_them() {
        for (input, expected) in [
            ("0", 0),
            ("-0", 0),
            ("1h", 3600 * SECOND as i64),
            ("1.5h", 5400 * SECOND as i64),
            ("-2m3.25s", -123_250_000_000),
            ("+5s", 5 * SECOND as i64),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("1µs", 1000),
            (".5s", 500_000_000),
            ("5.s", 5 * SECOND as i64),
            ("-9223372036854775808ns", i64::MIN),
        ] {
            assert_eq!(parse(input), Ok(expected), "{input}");
        }
        assert_eq!(parse(""), Err("time: invalid duration \"\"".into()));
        assert_eq!(parse("1"), Err("time: missing unit in duration \"1\"".into()));
        assert_eq!(parse("1d"), Err("time: unknown unit \"d\" in duration \"1d\"".into()));
        assert_eq!(parse(".s"), Err("time: invalid duration \".s\"".into()));
        assert_eq!(parse("9223372036854775808ns"), Err("time: invalid duration \"9223372036854775808ns\"".into()));
        assert_eq!(parse("1é"), Err("time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\"".into()));
    }

    #[test]
    fn rounding_takes_halves_away_from_zero() {
        let s = SECOND as i64;
        assert_eq!(round(1_499_999_999, s), s);
        assert_eq!(round(1_500_000_000, s), 2 * s);
        assert_eq!(round(-1_500_000_000, s), -2 * s);
        assert_eq!(round(-1_400_000_000, s), -s);
        assert_eq!(round(i64::MAX, s), i64::MAX);
    }
}
