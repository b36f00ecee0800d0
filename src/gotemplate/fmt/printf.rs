//! Go's `fmt.Sprintf`: directives with flags, width, precision and argument indexes, each
//! operand printed under its verb, and Go's in-band notes where they do not fit.

use std::fmt::Write as _;

use super::{format_float, is_printable, quote, quote_rune, write_object};
use crate::gotemplate::value::Value;

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
    /// How many lists and maps the operand being printed is inside.
    depth: u16,
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
    let mut scan = Scan { format, at: 0, args, next_arg: 0, reordered: false };
    while let Some(percent) = format[scan.at..].find('%') {
        out.push_str(&format[scan.at..scan.at + percent]);
        scan.at += percent + 1;
        let mut spec = scan.flags();
        let mut good_index = scan.argument_index();
        match scan.star() {
            Some(Some(n)) => {
                if n < 0 {
                    spec.minus = true;
                    spec.zero = false;
                }
                spec.width = Some(n.unsigned_abs() as usize);
            }
            Some(None) => out.push_str("%!(BADWIDTH)"),
            None => spec.width = scan.number(),
        }
        if scan.peek() == Some('.') {
            scan.at += 1;
            good_index &= scan.argument_index();
            match scan.star() {
                Some(Some(n)) => spec.precision = usize::try_from(n).ok(),
                Some(None) => out.push_str("%!(BADPREC)"),
                None => spec.precision = Some(scan.number().unwrap_or(0)),
            }
        }
        good_index &= scan.argument_index();
        let Some(verb) = scan.peek() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        scan.at += verb.len_utf8();
        match (verb, args.get(scan.next_arg)) {
            ('%', _) => out.push('%'),
            _ if !good_index => {
                let _ = write!(out, "%!{verb}(BADINDEX)");
            }
            (_, None) => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
            (_, Some(arg)) => {
                scan.next_arg += 1;
                write_arg(&mut out, arg, verb, &spec);
            }
        }
    }
    out.push_str(&format[scan.at..]);
    if !scan.reordered && scan.next_arg < args.len() {
        write_extra(&mut out, &args[scan.next_arg..]);
    }
    out
}

/// `%!(EXTRA int=1, string=a)`: the operands no directive used.
fn write_extra(out: &mut String, extra: &[Value]) {
    out.push_str("%!(EXTRA ");
    for (n, arg) in extra.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        if matches!(arg, Value::Nil) {
            out.push_str("<nil>");
        } else {
            out.push_str(&arg.type_name());
            out.push('=');
            write_operand(out, arg, 'v');
        }
    }
    out.push(')');
}

/// Where `sprintf` is in its format and among its operands.
struct Scan<'a> {
    format: &'a str,
    at: usize,
    args: &'a [Value],
    next_arg: usize,
    /// An `[n]` index was used: operands left over are then no error.
    reordered: bool,
}

impl Scan<'_> {
    fn peek(&self) -> Option<char> {
        self.format[self.at..].chars().next()
    }

    fn flags(&mut self) -> Spec {
        let mut spec = Spec::default();
        while let Some(flag) = self.peek() {
            match flag {
                '#' => spec.sharp = true,
                '0' => spec.zero = !spec.minus,
                '+' => spec.plus = true,
                '-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                ' ' => spec.space = true,
                _ => break,
            }
            self.at += 1;
        }
        spec
    }

    /// An `[n]` argument index, if one is here: false when it names no operand.
    fn argument_index(&mut self) -> bool {
        let Some(rest) = self.format[self.at..].strip_prefix('[') else { return true };
        let Some(close) = rest.find(']') else { return true };
        self.at += close + 2;
        self.reordered = true;
        match rest[..close].parse::<usize>() {
            Ok(n) if (1..=self.args.len()).contains(&n) => {
                self.next_arg = n - 1;
                true
            }
            _ => false,
        }
    }

    /// A `*` width or precision, if one is here: the next operand, when it is an int.
    fn star(&mut self) -> Option<Option<i64>> {
        if self.peek() != Some('*') {
            return None;
        }
        self.at += 1;
        let operand = match self.args.get(self.next_arg) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        self.next_arg += 1;
        Some(operand)
    }

    fn number(&mut self) -> Option<usize> {
        let digits = self.format[self.at..].bytes().take_while(u8::is_ascii_digit).count();
        let number = self.format[self.at..self.at + digits].parse().ok();
        self.at += digits;
        number
    }
}

/// How deeply lists and maps nested in one another are printed: Go recurses until its stack
/// fails; hldc prints `...` below this depth rather than overflow its own.
const MAX_NESTING: u16 = 500;

/// One operand under one verb, without flags: `%v` is what an action prints.
pub(super) fn write_operand(out: &mut String, value: &Value, verb: char) {
    write_arg(out, value, verb, &Spec::default());
}

/// Go's `printArg`: one operand under one verb.
fn write_arg(out: &mut String, arg: &Value, verb: char, spec: &Spec) {
    if spec.depth > MAX_NESTING {
        out.push_str("...");
        return;
    }
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
        // Go's fmt prints a []byte as text under the string verbs.
        Value::Object(object) if object.bytes().is_some() && matches!(verb, 's' | 'q' | 'x' | 'X') => {
            let text = String::from_utf8_lossy(object.bytes().unwrap_or_default());
            write_string(out, arg, &text, verb, spec);
        }
        Value::Object(object) => match verb {
            'v' | 's' => {
                let mut text = String::new();
                write_object(&mut text, object.as_ref());
                spec.pad(out, &text);
            }
            'q' | 'x' | 'X' if object.is_stringer() => {
                let mut text = String::new();
                write_object(&mut text, object.as_ref());
                write_arg(out, &Value::string(text), verb, spec);
            }
            _ => bad_verb(out, arg, verb, spec),
        },
    }
}

/// An element of a list or map: a nil element prints `<nil>` under every verb (Go's printValue
/// of a nil interface).
fn write_element(out: &mut String, item: &Value, verb: char, spec: &Spec) {
    let spec = &Spec { depth: spec.depth + 1, ..*spec };
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

    fn deeply_nested(depth: usize) -> Value {
        (0..depth).fold(Value::Nil, |inner, _| Value::list(vec![inner]))
    }

    #[test]
    fn printf_verbs_flags_and_notes() {
        let s = |t: &str| Value::string(t);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%5.2f|%-4d|%x|%q",
                vec![Value::Float(3.14259), Value::Int(7), Value::Int(255), s("a\"b")],
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
            ("%d %", vec![Value::Int(1), Value::Int(2)], "1 %!(NOVERB)%!(EXTRA int=2)"),
            ("%[3]d %[0]d %d", vec![Value::Int(1), Value::Int(2)], "%!d(BADINDEX) %!d(BADINDEX) 1"),
            ("%*d|%.*d", vec![Value::string("x"), Value::Int(1), Value::Int(2), Value::Int(3)], "%!(BADWIDTH)1|03"),
            (
                "%x|%X|%b|%x|%x",
                vec![
                    Value::Float(3.25),
                    Value::Float(-1.0),
                    Value::Float(1.0),
                    Value::Float(0.0),
                    Value::Float(1e-310),
                ],
                "0x1.ap+01|-0X1P+00|4503599627370496p-52|0x0p+00|0x1.2688b70e62bp-1030",
            ),
        ];
        let nested = format!("{}...{}", "[".repeat(501), "]".repeat(501));
        let cases = cases.into_iter().chain([("%v", vec![deeply_nested(600)], nested.as_str())]);
        for (format, args, expected) in cases {
            assert_eq!(sprintf(format, &args), expected, "{format}");
        }
    }
}
