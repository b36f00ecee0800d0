//! huandu/xstrings' case conversions. `snakecase`/`kebabcase` split a string into words (an
//! upper-case run, a lower-case run, digits, connectors `-`, `_` and spaces, punctuation) and
//! join them lower-cased: `HTTPServer` → `http_server`, `Bld4Floor3rd` → `bld4_floor_3rd`.
//! `camelcase` is xstrings v1.5's `ToPascalCase`, read from its behaviour under helm:
//! connectors drop and the next letter goes up (`some_words` → `SomeWords`), a word's
//! upper-case head is lowered after its first letter (`HTTPServer` → `Httpserver`), doubled
//! connectors keep one (`a__b` → `A_B`).

use super::strings::{go_space, simple_lower, simple_upper};
use super::{fixed, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("camelcase", |args| fixed::<1>("camelcase", args).and_then(|[v]| Ok(Value::string(pascal_case(string_arg(v)?))))),
    ("snakecase", |args| {
        fixed::<1>("snakecase", args).and_then(|[v]| Ok(Value::string(lower_words(string_arg(v)?, '_'))))
    }),
    ("kebabcase", |args| {
        fixed::<1>("kebabcase", args).and_then(|[v]| Ok(Value::string(lower_words(string_arg(v)?, '-'))))
    }),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// The end of the text (Go's invalidWord, which a Rust string only meets there).
    End,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || go_space(c)
}

/// Go's `unicode.IsPunct` for ASCII (the P categories: not `$+<=>^`|~`, which are symbols).
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '"'
            | '#'
            | '%'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | ','
            | '-'
            | '.'
            | '/'
            | ':'
            | ';'
            | '?'
            | '@'
            | '['
            | '\\'
            | ']'
            | '_'
            | '{'
            | '}'
    )
}

/// xstrings' `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic() && !matches!(c, '\u{4e00}'..='\u{9fcc}' | '\u{3400}'..='\u{4d85}' | '\u{20000}'..='\u{2b81d}')
}

/// The next word of `text`: its kind, its length, and what follows.
fn next_word(text: &[char]) -> (Kind, &[char], &[char]) {
    let Some(&first) = text.first() else {
        return (Kind::End, text, text);
    };
    let run = |from: usize, keep: &dyn Fn(char) -> bool| from + text[from..].iter().take_while(|c| keep(**c)).count();
    let (kind, length) = if is_connector(first) {
        (Kind::Connector, run(1, &is_connector))
    } else if is_punct(first) {
        (Kind::Punct, run(1, &is_punct))
    } else if first.is_uppercase() {
        match text.get(1) {
            Some(second) if second.is_uppercase() => {
                let end = run(1, &|c: char| c.is_uppercase());
                // `HTTPStatus` is `HTTP` and `Status`: the last capital starts the next word.
                match text.get(end) {
                    Some(next) if is_alphabet(*next) => (Kind::Upper, end - 1),
                    _ => (Kind::Upper, end),
                }
            }
            Some(second) if is_alphabet(*second) => {
                (Kind::Upper, run(1, &|c: char| is_alphabet(c) && !c.is_uppercase()))
            }
            _ => (Kind::Upper, 1),
        }
    } else if is_alphabet(first) {
        (Kind::Alphabet, run(1, &|c: char| is_alphabet(c) && !c.is_uppercase()))
    } else if first.is_numeric() {
        (Kind::Number, run(1, &|c: char| c.is_numeric()))
    } else {
        (Kind::Other, run(1, &|c: char| !(is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c))))
    };
    (kind, &text[..length], &text[length..])
}

/// xstrings' `toLower`: upper-case words lowered, connectors replaced, others as they are.
fn push_lower(out: &mut String, kind: Kind, word: &[char], connector: char) {
    for c in word {
        match kind {
            Kind::Upper | Kind::Connector if is_connector(*c) => out.push(connector),
            Kind::Upper | Kind::Connector => out.extend(c.to_lowercase()),
            _ => out.push(*c),
        }
    }
}

/// xstrings' `camelCaseToLowerCase`.
fn lower_words(text: &str, connector: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let (mut kind, mut word, mut rest) = next_word(&chars);
    while !rest.is_empty() {
        if kind != Kind::Connector {
            push_lower(&mut out, kind, word, connector);
        }
        let (previous, last) = (kind, word);
        (kind, word, rest) = next_word(rest);
        match previous {
            Kind::Number => {
                while matches!(kind, Kind::Alphabet | Kind::Number) {
                    push_lower(&mut out, kind, word, connector);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Kind::End | Kind::Punct | Kind::Connector) {
                    out.push(connector);
                }
            }
            Kind::Connector => push_lower(&mut out, previous, last, connector),
            Kind::Punct => {}
            _ => {
                if kind != Kind::Number {
                    if !matches!(kind, Kind::Connector | Kind::Punct) {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let number = word;
                (kind, word, rest) = next_word(rest);
                // A number followed by anything but letters belongs to the word before it
                // (`Bld4Floor` → `bld4_floor`); followed by lower-case letters it starts one
                // (`HTTP2xx` → `http_2xx`).
                if kind != Kind::Alphabet {
                    push_lower(&mut out, Kind::Number, number, connector);
                    if !matches!(kind, Kind::Connector | Kind::Punct) {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Kind::Number, number, connector);
                while matches!(kind, Kind::Alphabet | Kind::Number) {
                    push_lower(&mut out, kind, word, connector);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Kind::End | Kind::Connector | Kind::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, kind, word, connector);
    out
}

/// xstrings v1.5's `ToPascalCase`.
fn pascal_case(text: &str) -> String {
    let mut chars = text.chars();
    let mut out = String::new();
    // Leading connectors stay; the first letter goes up.
    let mut current = None;
    let mut upper_head = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            upper_head = c.is_uppercase();
            current = Some(simple_upper(c));
            break;
        }
        out.push(c);
        current = Some(c);
    }
    let Some(mut current) = current else {
        return out;
    };
    for next in chars {
        let previous = current;
        current = next;
        if is_connector(current) && is_connector(previous) {
            out.push(previous);
        } else if is_connector(previous) {
            upper_head = current.is_uppercase();
            current = simple_upper(current);
        } else {
            if upper_head {
                if current.is_uppercase() {
                    current = simple_lower(current);
                } else {
                    upper_head = false;
                }
            }
            out.push(previous);
        }
    }
    out.push(current);
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn snake_and_kebab_case_as_xstrings_does() {
        for (text, snake) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
            ("", ""),
        ] {
            check("snakecase", &[s(text)], snake);
        }
        check("kebabcase", &[s("FirstName")], "first-name");
        for (text, pascal) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("_complex__case_", "_Complex_Case_"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("someWords", "SomeWords"),
            ("some words-x", "SomeWordsX"),
            ("HTTPServer", "Httpserver"),
            ("a", "A"),
            ("x_y_", "XY_"),
            ("mixedCASE_word", "MixedCASEWord"),
            ("__", "___"),
            ("", ""),
        ] {
            check("camelcase", &[s(text)], pascal);
        }
    }
}
