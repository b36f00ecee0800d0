//! Go's `strconv.FormatFloat`, the text of every float a template prints: shortest digits
//! for `%v` (`1e+06`, `3.14`), fixed precision for `%.2f`, `%e`, `%g`, hexadecimal for `%x`.

use std::fmt::Write as _;

/// Go's `strconv.FormatFloat(f, verb, prec, 64)` for `e`, `E`, `f`, `g`, `G`; `None` is the
/// shortest text that reads back as `f` (`%v`).
pub fn format_float(f: f64, verb: char, precision: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let negative = f.is_sign_negative();
    let magnitude = f.abs();
    let text = match verb {
        'x' | 'X' | 'b' => binary_form(magnitude, verb),
        'e' | 'E' => {
            let (digits, point) = decimal_digits(magnitude, precision.map(|p| p + 1), false);
            exponent_form(&digits, point, precision.unwrap_or(digits.len().saturating_sub(1)), verb == 'E')
        }
        'f' | 'F' => match precision {
            Some(p) => format!("{magnitude:.p$}"),
            None => {
                let (digits, point) = decimal_digits(magnitude, None, false);
                let decimals = digits.len().saturating_sub(point.max(0) as usize);
                fixed_form(&digits, point, decimals)
            }
        },
        _ => general_form(magnitude, precision, verb == 'G'),
    };
    if negative {
        format!("-{text}")
    } else {
        text
    }
}

/// The significant decimal digits of a non-negative finite `f` (no trailing zeros unless
/// `keep_zeros`) and where the decimal point goes: `digits` × 10^(point − len). `significant`
/// rounds to that many digits (half to even on the exact binary value, as Go does); `None` gives
/// the shortest digits that read back as `f`.
fn decimal_digits(f: f64, significant: Option<usize>, keep_zeros: bool) -> (String, i32) {
    let text = match significant {
        Some(n) => format!("{:.*e}", n.max(1) - 1, f),
        None => format!("{f:e}"),
    };
    let (mantissa, exponent) = text.split_once('e').expect("Rust's {:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !keep_zeros {
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
    }
    if digits == "0" {
        return (digits, 1);
    }
    (digits, exponent + 1)
}

/// `d.ddde±XX` with `decimals` digits after the point (zeros appended as needed).
fn exponent_form(digits: &str, point: i32, decimals: usize, upper: bool) -> String {
    let mut out = String::new();
    out.push_str(&digits[..1]);
    if decimals > 0 {
        out.push('.');
        let rest = &digits[1..];
        out.push_str(&rest[..rest.len().min(decimals)]);
        for _ in rest.len()..decimals {
            out.push('0');
        }
    }
    let exponent = if digits == "0" { 0 } else { point - 1 };
    out.push(if upper { 'E' } else { 'e' });
    out.push(if exponent < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exponent.abs());
    out
}

/// `ddd.ddd` with `decimals` digits after the point.
fn fixed_form(digits: &str, point: i32, decimals: usize) -> String {
    let mut out = String::new();
    if point <= 0 {
        out.push('0');
    } else {
        for i in 0..point as usize {
            out.push(digits.as_bytes().get(i).map_or('0', |&b| b as char));
        }
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals as i32 {
            let at = point + i;
            let digit = if at < 0 { None } else { digits.as_bytes().get(at as usize) };
            out.push(digit.map_or('0', |&b| b as char));
        }
    }
    out
}

/// strconv's `%x` (`0x1.8p+01`) and `%b` (`6755399441055744p-51`) of a non-negative float,
/// shortest form.
fn binary_form(f: f64, verb: char) -> String {
    let bits = f.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let mut mantissa = bits & ((1 << 52) - 1);
    let mut exponent = if biased == 0 { -1022 } else { biased - 1023 };
    if biased != 0 {
        mantissa |= 1 << 52;
    }
    if verb == 'b' {
        return format!("{mantissa}p{:+}", exponent - 52);
    }
    if mantissa == 0 {
        exponent = 0;
    }
    // The leading 1 (if any) at bit 60, then one hex digit per 4 bits after it.
    mantissa <<= 8;
    while mantissa != 0 && mantissa & (1 << 60) == 0 {
        mantissa <<= 1;
        exponent -= 1;
    }
    let upper = verb == 'X';
    let mut out = String::from(if upper { "0X" } else { "0x" });
    out.push(if mantissa >> 60 & 1 == 1 { '1' } else { '0' });
    mantissa <<= 4;
    if mantissa != 0 {
        out.push('.');
        while mantissa != 0 {
            let digit = char::from_digit((mantissa >> 60 & 15) as u32, 16).expect("a hex digit");
            out.push(if upper { digit.to_ascii_uppercase() } else { digit });
            mantissa <<= 4;
        }
    }
    out.push(if upper { 'P' } else { 'p' });
    out.push(if exponent < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exponent.abs());
    out
}

/// strconv's `%g`: exponent form when the exponent is below -4 or at least the precision (6
/// for the shortest text), trailing zeros removed.
fn general_form(f: f64, precision: Option<usize>, upper: bool) -> String {
    let (digits, point) = decimal_digits(f, precision.map(|p| p.max(1)), false);
    let limit = match precision {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > digits.len() as i32 && digits.len() as i32 >= point {
                digits.len() as i32
            } else {
                p
            }
        }
    };
    let exponent = point - 1;
    if exponent < -4 || exponent >= limit {
        return exponent_form(&digits, point, digits.len() - 1, upper);
    }
    let decimals = (digits.len() as i32 - point).max(0) as usize;
    fixed_form(&digits, point, decimals)
}

#[cfg(test)]
mod tests {
    use super::super::display;
    use crate::gotemplate::value::Value;

    #[test]
    fn floats_print_as_go_prints_them() {
        let cases = [
            (3.0, "3"),
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
        ];
        for (f, text) in cases {
            assert_eq!(display(&Value::Float(f)), text, "{f}");
        }
    }
}
