//! Go's `fmt` as templates reach it: the `%v` text of every value (what an action prints),
//! `print`, `println` and `printf` with Go's verbs, flags, widths and its in-band error notes
//! (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA …)`). Charts put this text into objects, so it has
//! to be Go's to the byte: `1e+06`, `map[a:1 b:2]`, `[a <nil>]`.

mod float;
mod printf;

use std::fmt::Write as _;

use super::value::{Object, Value};

pub use float::format_float;
pub use printf::sprintf;

/// Go's `%v` of a value, as `fmt.Sprint` gives it (nil is `<nil>`; an action prints
/// `<no value>` instead, see `exec`).
pub fn display(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends Go's `%v` of `value`.
pub fn write_value(out: &mut String, value: &Value) {
    printf::write_operand(out, value, 'v');
}

pub(super) fn write_object(out: &mut String, object: &dyn Object) {
    struct Shown<'o>(&'o dyn Object);
    impl std::fmt::Display for Shown<'_> {
        fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.display(out)
        }
    }
    let _ = write!(out, "{}", Shown(object));
}

/// What an action prints for a value that is not a string or nil: its `%v`, but an object's
/// text as Go's template printer gives it (`Object::display_in_action`).
pub fn write_in_action(out: &mut String, value: &Value) {
    struct Shown<'o>(&'o dyn Object);
    impl std::fmt::Display for Shown<'_> {
        fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.display_in_action(out)
        }
    }
    match value {
        Value::Object(object) => {
            let _ = write!(out, "{}", Shown(object.as_ref()));
        }
        other => write_value(out, other),
    }
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
pub(super) fn quote_rune(c: char) -> String {
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
pub(super) fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB))
}

#[cfg(test)]
mod tests {
    use super::*;

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
