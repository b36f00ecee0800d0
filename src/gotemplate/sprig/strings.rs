//! Sprig's string functions (strings.go, functions.go's inline ones, goutils' word functions).
//! Go slices strings by bytes: `trunc`, `substr` and `abbrev` count bytes, not characters.

use super::{fixed, int_arg, string_arg, string_list, Entry, Value};
use super::{go_quote, strval};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("hello", |args| fixed::<0>("hello", args).map(|_| Value::string("Hello!"))),
    ("abbrev", abbrev),
    ("abbrevboth", abbrevboth),
    ("trunc", trunc),
    ("trim", |args| map_string("trim", args, |s| s.trim_matches(go_space).to_string())),
    ("upper", |args| map_string("upper", args, |s| s.chars().map(simple_upper).collect())),
    ("lower", |args| map_string("lower", args, |s| s.chars().map(simple_lower).collect())),
    ("title", |args| map_string("title", args, title)),
    ("untitle", |args| map_string("untitle", args, untitle)),
    ("substr", substr),
    ("repeat", repeat),
    ("trimall", |args| two_strings("trimall", args, |cutset, s| s.trim_matches(|c| cutset.contains(c)).to_string())),
    ("trimAll", |args| two_strings("trimAll", args, |cutset, s| s.trim_matches(|c| cutset.contains(c)).to_string())),
    ("trimSuffix", |args| two_strings("trimSuffix", args, |suffix, s| s.strip_suffix(suffix).unwrap_or(s).to_string())),
    ("trimPrefix", |args| two_strings("trimPrefix", args, |prefix, s| s.strip_prefix(prefix).unwrap_or(s).to_string())),
    ("nospace", |args| map_string("nospace", args, nospace)),
    ("initials", |args| map_string("initials", args, initials)),
    ("swapcase", |args| map_string("swapcase", args, swapcase)),
    ("wrap", wrap),
    ("wrapWith", wrap_with),
    ("contains", |args| two_strings_bool("contains", args, |sub, s| s.contains(sub))),
    ("hasPrefix", |args| two_strings_bool("hasPrefix", args, |prefix, s| s.starts_with(prefix))),
    ("hasSuffix", |args| two_strings_bool("hasSuffix", args, |suffix, s| s.ends_with(suffix))),
    ("quote", |args| Ok(Value::string(present(args).map(|v| go_quote(&strval(v))).collect::<Vec<_>>().join(" ")))),
    ("squote", |args| {
        Ok(Value::string(present(args).map(|v| format!("'{}'", strval(v))).collect::<Vec<_>>().join(" ")))
    }),
    ("cat", |args| Ok(Value::string(present(args).map(strval).collect::<Vec<_>>().join(" ")))),
    ("indent", |args| indent_with("indent", args, "")),
    ("nindent", |args| indent_with("nindent", args, "\n")),
    ("replace", replace),
    ("plural", plural),
    ("toString", |args| fixed::<1>("toString", args).map(|[v]| Value::string(strval(v)))),
    ("split", |args| split_map("split", args)),
    ("splitn", |args| split_map("splitn", args)),
    ("splitList", split_list),
    ("toStrings", |args| fixed::<1>("toStrings", args).map(|[v]| string_list(strslice(v)))),
    ("join", join),
    ("sortAlpha", sort_alpha),
    ("fail", |args| fixed::<1>("fail", args).and_then(|[message]| Err(string_arg(message)?.to_string()))),
];

/// The arguments that are not nil (`quote`, `squote`, `cat` skip them).
fn present(args: &[Value]) -> impl Iterator<Item = &Value> {
    args.iter().filter(|v| !matches!(v, Value::Nil))
}

fn map_string(name: &str, args: &[Value], change: impl Fn(&str) -> String) -> Result<Value, String> {
    let [text] = fixed(name, args)?;
    Ok(Value::string(change(string_arg(text)?)))
}

fn two_strings(name: &str, args: &[Value], change: impl Fn(&str, &str) -> String) -> Result<Value, String> {
    let [first, second] = fixed(name, args)?;
    Ok(Value::string(change(string_arg(first)?, string_arg(second)?)))
}

fn two_strings_bool(name: &str, args: &[Value], test: impl Fn(&str, &str) -> bool) -> Result<Value, String> {
    let [first, second] = fixed(name, args)?;
    Ok(Value::Bool(test(string_arg(first)?, string_arg(second)?)))
}

/// Go's `unicode.IsSpace`.
pub(super) fn go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}')
        || (c as u32 > 0xff && c.is_whitespace())
}

/// Go's `unicode.ToUpper`: one character for one (no `ß` → `SS`).
pub(super) fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

pub(super) fn simple_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// A byte range of `text` as Go slices it; a cut inside a character keeps the bytes Go would
/// (shown as replacement characters, the closest a Rust string comes).
fn byte_slice(text: &str, start: usize, end: usize) -> String {
    String::from_utf8_lossy(&text.as_bytes()[start..end]).into_owned()
}

fn trunc(args: &[Value]) -> Result<Value, String> {
    let [count, text] = fixed("trunc", args)?;
    let (count, text) = (int_arg(count)?, string_arg(text)?);
    let length = text.len() as i64;
    let out = if count < 0 && length + count > 0 {
        byte_slice(text, (length + count) as usize, text.len())
    } else if count >= 0 && length > count {
        byte_slice(text, 0, count as usize)
    } else {
        text.to_string()
    };
    Ok(Value::string(out))
}

fn substr(args: &[Value]) -> Result<Value, String> {
    let [start, end, text] = fixed("substr", args)?;
    let (start, end, text) = (int_arg(start)?, int_arg(end)?, string_arg(text)?);
    let length = text.len() as i64;
    let (from, to) = if start < 0 {
        (0, end)
    } else if end < 0 || end > length {
        (start, length)
    } else {
        (start, end)
    };
    // Go's runtime errors for `s[from:to]`.
    if to < 0 || to > length {
        return Err(format!("runtime error: slice bounds out of range [:{to}] with length {length}"));
    }
    if from > to {
        return Err(format!("runtime error: slice bounds out of range [{from}:{to}]"));
    }
    Ok(Value::string(byte_slice(text, from as usize, to as usize)))
}

fn repeat(args: &[Value]) -> Result<Value, String> {
    let [count, text] = fixed("repeat", args)?;
    let (count, text) = (int_arg(count)?, string_arg(text)?);
    if count < 0 {
        return Err("strings: negative Repeat count".into());
    }
    Ok(Value::string(text.repeat(count as usize)))
}

fn abbrev(args: &[Value]) -> Result<Value, String> {
    let [width, text] = fixed("abbrev", args)?;
    let (width, text) = (int_arg(width)?, string_arg(text)?);
    if width < 4 {
        return Ok(Value::string(text));
    }
    Ok(Value::string(abbreviate(text, 0, width).unwrap_or_default()))
}

fn abbrevboth(args: &[Value]) -> Result<Value, String> {
    let [left, right, text] = fixed("abbrevboth", args)?;
    let (left, right, text) = (int_arg(left)?, int_arg(right)?, string_arg(text)?);
    if right < 4 || left > 0 && right < 7 {
        return Ok(Value::string(text));
    }
    Ok(Value::string(abbreviate(text, left, right).unwrap_or_default()))
}

/// goutils' `AbbreviateFull`: `None` where it returns an error (Sprig then prints "").
fn abbreviate(text: &str, offset: i64, width: i64) -> Option<String> {
    let length = text.len() as i64;
    if text.is_empty() {
        return Some(String::new());
    }
    if width < 4 {
        return None;
    }
    if length <= width {
        return Some(text.to_string());
    }
    let mut offset = offset.min(length);
    if length - offset < width - 3 {
        offset = length - (width - 3);
    }
    if offset <= 4 {
        return Some(byte_slice(text, 0, (width - 3) as usize) + "...");
    }
    if width < 7 {
        return None;
    }
    if offset + width - 3 < length {
        let rest = byte_slice(text, offset as usize, text.len());
        return Some(format!("...{}", abbreviate(&rest, 0, width - 3)?));
    }
    Some(format!("...{}", byte_slice(text, (length - (width - 3)) as usize, text.len())))
}

/// Go's `strings.Title`: the first letter of each word in title case; words are separated by
/// what is not a letter, digit, underscore or mark.
fn title(text: &str) -> String {
    let mut previous = ' ';
    text.chars()
        .map(|c| {
            let separator = if previous.is_ascii() {
                !(previous.is_ascii_alphanumeric() || previous == '_')
            } else {
                !previous.is_alphanumeric() && go_space(previous)
            };
            previous = c;
            if separator {
                simple_upper(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `Uncapitalize`: the first letter of each space-separated word in lower case.
fn untitle(text: &str) -> String {
    let mut next = true;
    text.chars()
        .map(|c| {
            if go_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                simple_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `DeleteWhiteSpace`, which reads the string byte by byte as if each byte were a
/// character: ASCII text loses its spaces; other bytes come out re-encoded, as in Go.
fn nospace(text: &str) -> String {
    let kept: Vec<char> = text.bytes().map(char::from).filter(|c| !go_space(*c)).collect();
    if kept.len() == text.len() {
        return text.to_string();
    }
    kept.into_iter().collect()
}

/// goutils' `Initials`, byte by byte like `nospace`.
fn initials(text: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for c in text.bytes().map(char::from) {
        if go_space(c) {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

/// goutils' `SwapCase`: upper to lower, lower to upper (its title case after a space is the
/// upper case for every letter Go maps one to one).
fn swapcase(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_uppercase() {
                simple_lower(c)
            } else if c.is_lowercase() {
                simple_upper(c)
            } else {
                c
            }
        })
        .collect()
}

fn wrap(args: &[Value]) -> Result<Value, String> {
    let [width, text] = fixed("wrap", args)?;
    Ok(Value::string(wrap_words(string_arg(text)?, int_arg(width)?, "\n", false)))
}

fn wrap_with(args: &[Value]) -> Result<Value, String> {
    let [width, separator, text] = fixed("wrapWith", args)?;
    let (width, separator, text) = (int_arg(width)?, string_arg(separator)?, string_arg(text)?);
    Ok(Value::string(wrap_words(text, width, if separator.is_empty() { "\n" } else { separator }, true)))
}

/// goutils' `WrapCustom`: breaks at the last space within `width` bytes; a longer word is cut
/// (`wrap_long`) or left whole up to the next space.
fn wrap_words(text: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    let bytes = text.as_bytes();
    let width = width.max(1) as usize;
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::new();
    while bytes.len() - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let window = &bytes[offset..width + offset + 1];
        if let Some(space) = window.iter().rposition(|b| *b == b' ') {
            out.extend_from_slice(&bytes[offset..offset + space]);
            out.extend_from_slice(newline.as_bytes());
            offset += space + 1;
        } else if wrap_long {
            out.extend_from_slice(&bytes[offset..offset + width]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = offset + width;
            match bytes[end..].iter().position(|b| *b == b' ') {
                Some(space) => {
                    out.extend_from_slice(&bytes[offset..end + space]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = end + space + 1;
                }
                None => {
                    out.extend_from_slice(&bytes[offset..]);
                    offset = bytes.len();
                }
            }
        }
    }
    out.extend_from_slice(&bytes[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

fn indent_with(name: &str, args: &[Value], before: &str) -> Result<Value, String> {
    let [spaces, text] = fixed(name, args)?;
    let (spaces, text) = (int_arg(spaces)?, string_arg(text)?);
    if spaces < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let pad = " ".repeat(spaces as usize);
    Ok(Value::string(format!("{before}{pad}{}", text.replace('\n', &format!("\n{pad}")))))
}

fn replace(args: &[Value]) -> Result<Value, String> {
    let [old, new, text] = fixed("replace", args)?;
    let (old, new, text) = (string_arg(old)?, string_arg(new)?, string_arg(text)?);
    Ok(Value::string(go_replace(text, old, new)))
}

/// Go's `strings.Replace(s, old, new, -1)`: an empty `old` inserts `new` around every character.
fn go_replace(text: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return text.replace(old, new);
    }
    let mut out = String::from(new);
    for c in text.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

fn plural(args: &[Value]) -> Result<Value, String> {
    let [one, many, count] = fixed("plural", args)?;
    let (one, many, count) = (string_arg(one)?, string_arg(many)?, int_arg(count)?);
    Ok(Value::string(if count == 1 { one } else { many }))
}

/// Go's `strings.SplitN`: `n < 0` all pieces, `n == 0` none; an empty separator splits after
/// each character.
fn go_split(text: &str, separator: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let pieces: Vec<String> = if separator.is_empty() {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        if n > 0 && chars.len() > n as usize {
            let (head, tail) = chars.split_at(n as usize - 1);
            let mut pieces = head.to_vec();
            pieces.push(tail.concat());
            pieces
        } else {
            chars
        }
    } else if n > 0 {
        text.splitn(n as usize, separator).map(String::from).collect()
    } else {
        text.split(separator).map(String::from).collect()
    };
    pieces
}

/// `split SEP TEXT` and `splitn SEP N TEXT`: a map of `_0`, `_1`... to the pieces.
fn split_map(name: &str, args: &[Value]) -> Result<Value, String> {
    let (separator, n, text) = if name == "splitn" {
        let [separator, n, text] = fixed(name, args)?;
        (separator, int_arg(n)?, text)
    } else {
        let [separator, text] = fixed(name, args)?;
        (separator, -1, text)
    };
    let pieces = go_split(string_arg(text)?, string_arg(separator)?, n);
    Ok(Value::map(
        pieces.into_iter().enumerate().map(|(index, piece)| (format!("_{index}"), Value::string(piece))).collect(),
    ))
}

fn split_list(args: &[Value]) -> Result<Value, String> {
    let [separator, text] = fixed("splitList", args)?;
    Ok(string_list(go_split(string_arg(text)?, string_arg(separator)?, -1)))
}

/// Sprig's `strslice`: the items of a list as strings (nil items dropped), any other value as
/// a one-string list, nil as none.
pub(super) fn strslice(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items.iter().filter(|v| !matches!(v, Value::Nil)).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn join(args: &[Value]) -> Result<Value, String> {
    let [separator, list] = fixed("join", args)?;
    Ok(Value::string(strslice(list).join(string_arg(separator)?)))
}

fn sort_alpha(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("sortAlpha", args)?;
    let mut items = match list {
        Value::List(_) => strslice(list),
        other => vec![strval(other)],
    };
    items.sort();
    Ok(string_list(items))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn strings_as_helm_renders_them() {
        check("trunc", &[i(2), s("hello")], "he");
        check("trunc", &[i(-3), s("hello")], "llo");
        check("trunc", &[i(-9), s("hello")], "hello");
        check("trunc", &[i(63), s("hello")], "hello");
        check("toString", &[f(1e6)], "1e+06");
        check("toString", &[f(3.0)], "3");
        check("toString", &[Value::Nil], "<nil>");
        check("quote", &[Value::Nil, i(1)], "\"1\"");
        check("quote", &[s("a\"b")], "\"a\\\"b\"");
        check("squote", &[Value::Nil], "");
        check("squote", &[s("a"), f(2.5)], "'a' '2.5'");
        check("cat", &[s("a"), Value::Nil, i(3), l(&[i(1), i(2)])], "a 3 [1 2]");
        check("indent", &[i(2), s("a\nb")], "  a\n  b");
        check("nindent", &[i(2), s("a\nb")], "\n  a\n  b");
        check("upper", &[s("héllo")], "HÉLLO");
        check("title", &[s("hello wORLD-foo_bar")], "Hello WORLD-Foo_bar");
        check("untitle", &[s("Hello World")], "hello world");
        check("substr", &[i(1), i(3), s("hello")], "el");
        check("substr", &[i(-1), i(3), s("hello")], "hel");
        check("substr", &[i(2), i(99), s("hello")], "llo");
        check("repeat", &[i(3), s("ab")], "ababab");
        check("trimAll", &[s("$"), s("$$5.00$")], "5.00");
        check("trimSuffix", &[s("-"), s("a-")], "a");
        check("trimPrefix", &[s("-"), s("-a")], "a");
        check("trim", &[s("  a b \n")], "a b");
        check("nospace", &[s(" a b\tc ")], "abc");
        check("initials", &[s("John Doe")], "JD");
        check("swapcase", &[s("This Is A.Test")], "tHIS iS a.tEST");
        check("abbrev", &[i(5), s("hello world")], "he...");
        check("abbrev", &[i(3), s("hello world")], "hello world");
        check("abbrevboth", &[i(5), i(10), s("1234 5678 9123")], "...5678...");
        check("wrap", &[i(5), s("Hello World")], "Hello\nWorld");
        check("wrapWith", &[i(5), s("\t"), s("Hello World")], "Hello\tWorld");
        check("contains", &[s("cat"), s("catch")], "true");
        check("hasPrefix", &[s("cat"), s("catch")], "true");
        check("hasSuffix", &[s("cat"), s("catch")], "false");
        check("replace", &[s(" "), s("-"), s("a b c")], "a-b-c");
        check("plural", &[s("one"), s("many"), i(2)], "many");
        check("split", &[s("$"), s("foo$bar$baz")], "map[_0:foo _1:bar _2:baz]");
        check("splitn", &[s("$"), i(2), s("foo$bar$baz")], "map[_0:foo _1:bar$baz]");
        check("splitList", &[s(","), s("a,b,,c")], "[a b  c]");
        check("splitList", &[s(""), s("abc")], "[a b c]");
        check("join", &[s("-"), l(&[s("a"), Value::Nil, i(1), f(1.5)])], "a-1-1.5");
        check("join", &[s("-"), s("abc")], "abc");
        check("toStrings", &[l(&[i(1), s("x"), Value::Nil])], "[1 x]");
        check("sortAlpha", &[l(&[s("b"), s("a"), s("B"), i(10)])], "[10 B a b]");
        check("sortAlpha", &[Value::Nil], "[<nil>]");
    }

    #[test]
    fn strings_fail_where_go_does() {
        fails("trunc", &[f(2.0), s("hello")], "wrong type for value; expected int; got float64");
        fails("upper", &[i(1)], "wrong type for value; expected string; got int");
        fails("upper", &[Value::Nil], "expected string; got interface {}");
        fails("indent", &[i(2)], "wrong number of args for indent: want 2 got 1");
        fails("substr", &[i(4), i(2), s("hello")], "slice bounds out of range");
        fails("repeat", &[i(-1), s("a")], "negative Repeat count");
        fails("fail", &[s("boom")], "boom");
    }
}
