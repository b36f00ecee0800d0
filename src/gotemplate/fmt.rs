//! Go's `fmt` as templates reach it: the `%v` text of every value (what an action prints),
//! `print`, `println` and `printf` with Go's verbs, flags, widths and its in-band error notes
//! (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA …)`). Charts put this text into objects, so it has
//! to be Go's to the byte: `1e+06`, `map[a:1 b:2]`, `[a <nil>]`.

use std::fmt::Write as _;

use super::value::{Object, Value};

/// Go's `%v` of a value, as `fmt.Sprint` gives it (nil is `<nil>`; an action prints
/// `<no value>` instead, see `exec`).
pub fn display(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends Go's `%v` of `value`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => out.push_str(&format_float(*f, 'g', None)),
        Value::String(s) => out.push_str(s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push_str("map[");
            for (i, (key, item)) in map.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(object) => write_object(out, object.as_ref()),
    }
}

fn write_object(out: &mut String, object: &dyn Object) {
    struct Shown<'o>(&'o dyn Object);
    impl std::fmt::Display for Shown<'_> {
        fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.display(out)
        }
    }
    let _ = write!(out, "{}", Shown(object));
}

/// `fmt.Sprint`: operands' `%v`, a space between two operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut previous_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !previous_string {
            out.push(' ');
        }
        write_value(&mut out, arg);
        previous_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands' `%v` separated by spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(&mut out, arg);
    }
    out.push('\n');
    out
}

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

/// Go's `strconv.Quote`: a double-quoted Go string literal.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if is_printable(c) => out.push(c),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Go's `unicode.IsPrint` (approximately: Rust knows control and whitespace, not every
/// unassigned code point).
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB))
}

/// A parsed `%` directive's flags, width and precision.
#[derive(Default, Clone, Copy)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    /// Pads `text` to the width (counted in characters, as Go counts runes).
    fn pad(&self, out: &mut String, text: &str) {
        let Some(width) = self.width else {
            out.push_str(text);
            return;
        };
        let missing = width.saturating_sub(text.chars().count());
        let fill = if self.zero { '0' } else { ' ' };
        if self.minus {
            out.push_str(text);
            out.extend(std::iter::repeat_n(' ', missing));
        } else {
            out.extend(std::iter::repeat_n(fill, missing));
            out.push_str(text);
        }
    }
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let bytes = format.as_bytes();
    let mut next_arg = 0;
    let mut reordered = false;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[start..i]);
        if i >= bytes.len() {
            break;
        }
        i += 1; // the '%'
        let mut spec = Spec::default();
        while i < bytes.len() {
            match bytes[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // Width: digits, `*`, possibly after an argument index.
        let mut good_index = true;
        if let Some((index, used)) = argument_index(&format[i..], args.len()) {
            i += used;
            reordered = true;
            match index {
                Some(index) => next_arg = index,
                None => good_index = false,
            }
        }
        if i < bytes.len() && bytes[i] == b'*' {
            i += 1;
            match args.get(next_arg) {
                Some(Value::Int(n)) => {
                    if *n < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(n.unsigned_abs() as usize);
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            next_arg += 1;
        } else {
            let (number, used) = leading_number(&format[i..]);
            spec.width = number;
            i += used;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            if let Some((index, used)) = argument_index(&format[i..], args.len()) {
                i += used;
                reordered = true;
                match index {
                    Some(index) => next_arg = index,
                    None => good_index = false,
                }
            }
            if i < bytes.len() && bytes[i] == b'*' {
                i += 1;
                match args.get(next_arg) {
                    Some(Value::Int(n)) if *n >= 0 => spec.precision = Some(*n as usize),
                    Some(Value::Int(_)) => spec.precision = None,
                    _ => out.push_str("%!(BADPREC)"),
                }
                next_arg += 1;
            } else {
                let (number, used) = leading_number(&format[i..]);
                spec.precision = Some(number.unwrap_or(0));
                i += used;
            }
        }
        if let Some((index, used)) = argument_index(&format[i..], args.len()) {
            i += used;
            reordered = true;
            match index {
                Some(index) => next_arg = index,
                None => good_index = false,
            }
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_index {
            let _ = write!(out, "%!{verb}(BADINDEX)");
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        write_arg(&mut out, arg, verb, &spec);
    }
    if !reordered && next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (n, arg) in args[next_arg..].iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            if matches!(arg, Value::Nil) {
                out.push_str("<nil>");
            } else {
                out.push_str(&arg.type_name());
                out.push('=');
                write_value(&mut out, arg);
            }
        }
        out.push(')');
    }
    out
}

/// `[n]` at the start of `text`: the zero-based argument it names (`None` when out of range)
/// and the bytes it takes.
fn argument_index(text: &str, count: usize) -> Option<(Option<usize>, usize)> {
    let rest = text.strip_prefix('[')?;
    let close = rest.find(']')?;
    let index = rest[..close].parse::<usize>().ok().filter(|n| *n >= 1 && *n <= count).map(|n| n - 1);
    Some((index, close + 2))
}

fn leading_number(text: &str) -> (Option<usize>, usize) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (None, 0);
    }
    (text[..digits].parse().ok(), digits)
}

/// Go's `printArg`: one operand under one verb.
fn write_arg(out: &mut String, arg: &Value, verb: char, spec: &Spec) {
    if verb == 'T' {
        let name = if matches!(arg, Value::Nil) { "<nil>".to_string() } else { arg.type_name() };
        spec.pad(out, &name);
        return;
    }
    match arg {
        Value::Nil => match verb {
            'v' => spec.pad(out, "<nil>"),
            _ => bad_verb(out, arg, verb, spec),
        },
        Value::Bool(b) => match verb {
            't' | 'v' => spec.pad(out, if *b { "true" } else { "false" }),
            _ => bad_verb(out, arg, verb, spec),
        },
        Value::Int(n) => write_integer(out, arg, *n, verb, spec),
        Value::Float(f) => write_float(out, arg, *f, verb, spec),
        Value::String(s) => write_string(out, arg, s, verb, spec),
        Value::List(items) => {
            if spec.sharp && verb == 'v' {
                out.push_str("[]interface {}{");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_element(out, item, verb, spec);
                }
                out.push('}');
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_element(out, item, verb, spec);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let go_syntax = spec.sharp && verb == 'v';
            out.push_str(if go_syntax { "map[string]interface {}{" } else { "map[" });
            for (i, (key, item)) in map.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(if go_syntax { ", " } else { " " });
                }
                write_arg(out, &Value::string(key.as_str()), verb, spec);
                out.push(':');
                write_element(out, item, verb, spec);
            }
            out.push(if go_syntax { '}' } else { ']' });
        }
        Value::Object(object) => match verb {
            'v' | 's' => {
                let mut text = String::new();
                write_object(&mut text, object.as_ref());
                spec.pad(out, &text);
            }
            _ => bad_verb(out, arg, verb, spec),
        },
    }
}

/// An element of a list or map: a nil element prints `<nil>` under every verb (Go's printValue
/// of a nil interface).
fn write_element(out: &mut String, item: &Value, verb: char, spec: &Spec) {
    match item {
        Value::Nil if spec.sharp && verb == 'v' => out.push_str("interface {}(nil)"),
        Value::Nil => out.push_str("<nil>"),
        _ => write_arg(out, item, verb, spec),
    }
}

/// `%!d(string=x)`: the verb does not fit the operand.
fn bad_verb(out: &mut String, arg: &Value, verb: char, spec: &Spec) {
    let _ = write!(out, "%!{verb}(");
    match arg {
        Value::Nil => out.push_str("<nil>"),
        _ => {
            out.push_str(&arg.type_name());
            out.push('=');
            write_arg(out, arg, 'v', spec);
        }
    }
    out.push(')');
}

fn write_integer(out: &mut String, arg: &Value, n: i64, verb: char, spec: &Spec) {
    let (base, upper) = match verb {
        'v' | 'd' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' => {
            let c = char::from_u32(n as u32).filter(|_| (0..=0x10FFFF).contains(&n)).unwrap_or('\u{FFFD}');
            spec.pad(out, &c.to_string());
            return;
        }
        'q' => {
            let c = char::from_u32(n as u32).filter(|_| (0..=0x10FFFF).contains(&n)).unwrap_or('\u{FFFD}');
            spec.pad(out, &quote_rune(c));
            return;
        }
        'U' => {
            let mut text = format!("U+{:04X}", n);
            if spec.sharp {
                if let Some(c) = char::from_u32(n as u32).filter(|c| is_printable(*c)) {
                    let _ = write!(text, " '{c}'");
                }
            }
            spec.pad(out, &text);
            return;
        }
        _ => return bad_verb(out, arg, verb, spec),
    };
    let magnitude = n.unsigned_abs();
    let mut digits = match base {
        2 => format!("{magnitude:b}"),
        8 => format!("{magnitude:o}"),
        16 if upper => format!("{magnitude:X}"),
        16 => format!("{magnitude:x}"),
        _ => magnitude.to_string(),
    };
    if let Some(precision) = spec.precision {
        if precision == 0 && n == 0 {
            digits.clear();
        }
        while digits.len() < precision {
            digits.insert(0, '0');
        }
    }
    let mut prefix = String::new();
    if n < 0 {
        prefix.push('-');
    } else if spec.plus {
        prefix.push('+');
    } else if spec.space {
        prefix.push(' ');
    }
    match (base, verb) {
        (8, 'O') => prefix.push_str("0o"),
        (8, _) if spec.sharp && !digits.starts_with('0') => prefix.push('0'),
        (16, _) if spec.sharp => prefix.push_str(if upper { "0X" } else { "0x" }),
        (2, _) if spec.sharp => prefix.push_str("0b"),
        _ => {}
    }
    // Zero padding goes between the sign and the digits, and only without a precision.
    if spec.zero && spec.precision.is_none() {
        if let Some(width) = spec.width {
            while prefix.len() + digits.len() < width {
                digits.insert(0, '0');
            }
        }
    }
    let unpadded = Spec { zero: false, ..*spec };
    unpadded.pad(out, &format!("{prefix}{digits}"));
}

fn write_float(out: &mut String, arg: &Value, f: f64, verb: char, spec: &Spec) {
    let (verb, default_precision) = match verb {
        'v' => ('g', None),
        'g' | 'G' => (verb, None),
        'e' | 'E' | 'f' => (verb, Some(6)),
        'F' => ('f', Some(6)),
        'x' | 'X' | 'b' => (verb, None),
        _ => return bad_verb(out, arg, verb, spec),
    };
    let mut text = format_float(f, verb, spec.precision.or(default_precision));
    if spec.sharp && !text.contains('.') && !text.contains("Inf") && !text.contains("NaN") {
        // `#` forces a decimal point.
        match text.find(['e', 'E']) {
            Some(at) => text.insert(at, '.'),
            None => text.push('.'),
        }
    }
    let negative = text.starts_with('-');
    let unsigned = text.trim_start_matches('-');
    let special = unsigned == "Inf" || unsigned == "+Inf" || unsigned == "NaN";
    let unsigned = unsigned.trim_start_matches('+');
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else if special && unsigned == "Inf" {
        "+"
    } else {
        ""
    };
    if special {
        let unzeroed = Spec { zero: false, ..*spec };
        return unzeroed.pad(out, &format!("{sign}{unsigned}"));
    }
    if spec.zero && !spec.minus {
        if let Some(width) = spec.width {
            let mut body = unsigned.to_string();
            while sign.len() + body.chars().count() < width {
                body.insert(0, '0');
            }
            out.push_str(sign);
            out.push_str(&body);
            return;
        }
    }
    spec.pad(out, &format!("{sign}{unsigned}"))
}

fn write_string(out: &mut String, arg: &Value, s: &str, verb: char, spec: &Spec) {
    let truncated: &str = match spec.precision {
        Some(p) if matches!(verb, 'v' | 's' | 'q' | 'x' | 'X') => match s.char_indices().nth(p) {
            Some((at, _)) => &s[..at],
            None => s,
        },
        _ => s,
    };
    match verb {
        'v' | 's' => spec.pad(out, truncated),
        'q' => {
            let quoted =
                if spec.sharp && !truncated.contains('`') && truncated.chars().all(|c| c == '\t' || is_printable(c)) {
                    format!("`{truncated}`")
                } else {
                    quote(truncated)
                };
            spec.pad(out, &quoted)
        }
        'x' | 'X' => {
            let mut text = String::new();
            for (i, byte) in truncated.bytes().enumerate() {
                if spec.space && i > 0 {
                    text.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    text.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                let _ = if verb == 'x' { write!(text, "{byte:02x}") } else { write!(text, "{byte:02X}") };
            }
            spec.pad(out, &text)
        }
        _ => bad_verb(out, arg, verb, spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn printf_verbs_flags_and_notes() {
        let s = |t: &str| Value::string(t);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%5.2f|%-4d|%x|%q",
                vec![Value::Float(3.14159), Value::Int(7), Value::Int(255), s("a\"b")],
                " 3.14|7   |ff|\"a\\\"b\"",
            ),
            ("%d %s", vec![Value::Float(3.0), Value::Int(3)], "%!d(float64=3) %!s(int=3)"),
            ("%d", vec![Value::Nil], "%!d(<nil>)"),
            ("%v", vec![], "%!v(MISSING)"),
            ("x", vec![Value::Int(1), s("a")], "x%!(EXTRA int=1, string=a)"),
            (
                "%05d|%+d|%x|%X|%o|%#x|%b",
                vec![
                    Value::Int(-42),
                    Value::Int(5),
                    s("hi"),
                    Value::Int(254),
                    Value::Int(8),
                    Value::Int(255),
                    Value::Int(5),
                ],
                "-0042|+5|6869|FE|10|0xff|101",
            ),
            (
                "%e|%E|%.3g|%g|%G",
                vec![
                    Value::Float(1234.5678),
                    Value::Float(0.000123),
                    Value::Float(1234.5678),
                    Value::Float(1e-7),
                    Value::Float(2e20),
                ],
                "1.234568e+03|1.230000E-04|1.23e+03|1e-07|2E+20",
            ),
            (
                "%t|%v|%c|%U|%%",
                vec![Value::Bool(true), Value::Nil, Value::Int(65), Value::Int(0x1F600)],
                "true|<nil>|A|U+1F600|%",
            ),
            (
                "%*d|%-*d|%.*f",
                vec![Value::Int(4), Value::Int(1), Value::Int(3), Value::Int(2), Value::Int(1), Value::Float(2.25)],
                "   1|2  |2.2",
            ),
            ("%[2]s %[1]s", vec![s("a"), s("b")], "b a"),
            ("%.2s|%6.1f|%-6s|", vec![s("héllo"), Value::Float(-1.25), s("ab")], "hé|  -1.2|ab    |"),
            ("%s", vec![Value::list(vec![s("a"), Value::Int(1), Value::Nil])], "[a %!s(int=1) <nil>]"),
            ("%T %T %T", vec![Value::Float(1.0), Value::list(vec![]), Value::Nil], "float64 []interface {} <nil>"),
            ("%", vec![], "%!(NOVERB)"),
            (
                "%x|%X|%b|%x|%x",
                vec![
                    Value::Float(3.14),
                    Value::Float(-1.0),
                    Value::Float(1.0),
                    Value::Float(0.0),
                    Value::Float(1e-310),
                ],
                "0x1.91eb851eb851fp+01|-0X1P+00|4503599627370496p-52|0x0p+00|0x1.2688b70e62bp-1030",
            ),
        ];
        for (format, args, expected) in cases {
            assert_eq!(sprintf(format, &args), expected, "{format}");
        }
    }

    #[test]
    fn print_spaces_operands_that_are_not_strings() {
        let args = [Value::Int(1), Value::Int(2), Value::string("a"), Value::Int(3), Value::Nil];
        assert_eq!(sprint(&args), "1 2a3 <nil>");
        assert_eq!(sprintln(&args), "1 2 a 3 <nil>\n");
    }

    #[test]
    fn quote_escapes_as_strconv() {
        assert_eq!(quote("a\"b\\c\n\t\u{1}é"), "\"a\\\"b\\\\c\\n\\t\\x01é\"");
    }
}
