//! Sprig's regular expressions (regex.go): Go's RE2 syntax, which the `regex` crate shares,
//! but for the Perl classes: `\d`, `\w`, `\s` and `\b` are ASCII-only in Go and Unicode-aware
//! in the crate, so patterns are rewritten to Go's meaning before they compile.
//! Replacement templates expand `$1`, `${1}`, `$name` as Go's `Expand` does; the crate reads
//! them the same way (the longest run of letters, digits and `_` names the group).
//! The plain forms fail on a bad pattern too (Go's `MustCompile` panics), except
//! `regexMatch`, which answers false.

use regex::Regex;

use super::{fixed, int_arg, string_arg, string_list, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("regexMatch", |args| regex_match("regexMatch", args).or(Ok(Value::Bool(false)))),
    ("mustRegexMatch", |args| regex_match("mustRegexMatch", args)),
    ("regexFindAll", |args| find_all("regexFindAll", args)),
    ("mustRegexFindAll", |args| find_all("mustRegexFindAll", args)),
    ("regexFind", |args| find("regexFind", args)),
    ("mustRegexFind", |args| find("mustRegexFind", args)),
    ("regexReplaceAll", |args| replace_all("regexReplaceAll", args, false)),
    ("mustRegexReplaceAll", |args| replace_all("mustRegexReplaceAll", args, false)),
    ("regexReplaceAllLiteral", |args| replace_all("regexReplaceAllLiteral", args, true)),
    ("mustRegexReplaceAllLiteral", |args| replace_all("mustRegexReplaceAllLiteral", args, true)),
    ("regexSplit", |args| split("regexSplit", args)),
    ("mustRegexSplit", |args| split("mustRegexSplit", args)),
    ("regexQuoteMeta", quote_meta),
];

/// The pattern compiled; the error worded as Go's `regexp.Compile` (`error parsing regexp:
/// WHAT: `PATTERN``, what being the crate's words), and for the plain forms as the panic of
/// `regexp.MustCompile` they come from.
fn compile(name: &str, pattern: &Value) -> Result<Regex, String> {
    let pattern = string_arg(pattern)?;
    Regex::new(&ascii_perl_classes(pattern)).map_err(|error| {
        let text = error.to_string();
        let what = text.lines().last().unwrap_or_default().trim_start_matches("error: ");
        let error = format!("error parsing regexp: {what}: `{pattern}`");
        if name.starts_with("must") {
            error
        } else {
            format!("regexp: Compile(`{pattern}`): {error}")
        }
    })
}

/// `pattern` with Go's ASCII meaning of `\d`, `\D`, `\w`, `\W`, `\s`, `\S`, `\b`, `\B`
/// spelled out (a class inside a class is valid in the crate's syntax).
fn ascii_perl_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn regex_match(name: &str, args: &[Value]) -> Result<Value, String> {
    let [pattern, text] = fixed(name, args)?;
    let text = string_arg(text)?;
    Ok(Value::Bool(compile(name, pattern)?.is_match(text)))
}

/// The at most `n` (all when negative) leftmost non-overlapping matches, as Go's `FindAll`:
/// an empty match right after a match is skipped.
fn matches<'t>(regex: &Regex, text: &'t str, n: i64) -> Vec<regex::Match<'t>> {
    let mut out: Vec<regex::Match<'t>> = Vec::new();
    for found in regex.find_iter(text) {
        if n >= 0 && out.len() as i64 >= n {
            break;
        }
        if found.is_empty() && out.last().is_some_and(|last| last.end() == found.start()) {
            continue;
        }
        out.push(found);
    }
    out
}

fn find_all(name: &str, args: &[Value]) -> Result<Value, String> {
    let [pattern, text, n] = fixed(name, args)?;
    let (text, n) = (string_arg(text)?, int_arg(n)?);
    let regex = compile(name, pattern)?;
    Ok(string_list(matches(&regex, text, n).iter().map(|found| found.as_str().to_string())))
}

fn find(name: &str, args: &[Value]) -> Result<Value, String> {
    let [pattern, text] = fixed(name, args)?;
    let text = string_arg(text)?;
    Ok(Value::string(compile(name, pattern)?.find(text).map(|found| found.as_str()).unwrap_or("")))
}

fn replace_all(name: &str, args: &[Value], literal: bool) -> Result<Value, String> {
    let [pattern, text, replacement] = fixed(name, args)?;
    let (text, replacement) = (string_arg(text)?, string_arg(replacement)?);
    let regex = compile(name, pattern)?;
    let replaced = if literal {
        regex.replace_all(text, regex::NoExpand(replacement))
    } else {
        regex.replace_all(text, replacement)
    };
    Ok(Value::string(replaced.into_owned()))
}

/// Go's `Regexp.Split`: `n` pieces at most (all when negative, none when 0).
fn split(name: &str, args: &[Value]) -> Result<Value, String> {
    let [pattern, text, n] = fixed(name, args)?;
    let (text, n) = (string_arg(text)?, int_arg(n)?);
    let regex = compile(name, pattern)?;
    if n == 0 {
        return Ok(Value::list(Vec::new()));
    }
    if !regex.as_str().is_empty() && text.is_empty() {
        return Ok(string_list([String::new()]));
    }
    let mut pieces = Vec::new();
    let (mut begin, mut end) = (0, 0);
    for found in matches(&regex, text, n) {
        if n > 0 && pieces.len() as i64 == n - 1 {
            break;
        }
        end = found.start();
        if found.end() != 0 {
            pieces.push(text[begin..end].to_string());
        }
        begin = found.end();
    }
    if end != text.len() {
        pieces.push(text[begin..].to_string());
    }
    Ok(string_list(pieces))
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
fn quote_meta(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("regexQuoteMeta", args)?;
    let mut out = String::new();
    for c in string_arg(text)?.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::string(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn regexes_as_helm_renders_them() {
        check("regexMatch", &[s("^[a-z]+$"), s("abc")], "true");
        check("regexMatch", &[s("("), s("abc")], "false");
        check("regexFindAll", &[s("[0-9]"), s("a1b2c3"), i(-1)], "[1 2 3]");
        check("regexFindAll", &[s("[0-9]"), s("a1b2c3"), i(2)], "[1 2]");
        check("regexFindAll", &[s("a*"), s("baaab"), i(-1)], "[ aaa ]");
        check("regexFind", &[s("[0-9]+"), s("ab12cd34")], "12");
        check("regexReplaceAll", &[s("a(x*)b"), s("-ab-axxb-"), s("${1}W")], "-W-xxW-");
        check("regexReplaceAll", &[s("a(x*)b"), s("-ab-axxb-"), s("$1W")], "---");
        check("regexReplaceAllLiteral", &[s("a(x*)b"), s("-ab-axxb-"), s("${1}")], "-${1}-${1}-");
        check("regexSplit", &[s("z+"), s("pizza"), i(-1)], "[pi a]");
        check("regexSplit", &[s("z+"), s("pizza"), i(1)], "[pizza]");
        check("regexSplit", &[s(""), s("abc"), i(-1)], "[a b c]");
        check("regexSplit", &[s("a"), s(""), i(-1)], "[]");
        check("regexQuoteMeta", &[s("1.2+3")], r"1\.2\+3");
        check("regexMatch", &[s(r"^\d+$"), s("١٢٣")], "false");
        check("regexReplaceAll", &[s(r"\W+"), s("é-a b"), s("_")], "_a_b");
        check("regexReplaceAll", &[s(r"[\d\s]"), s("a1 b"), s("")], "ab");
        check("regexFindAll", &[s(r"\bé"), s("é é"), i(-1)], "[]");
        check("regexFindAll", &[s(r"\\d"), s(r"\d1"), i(-1)], r"[\d]");
        fails("regexFind", &[s("("), s("x")], "error parsing regexp");
        fails("mustRegexMatch", &[s("("), s("x")], "error parsing regexp");
    }
}
