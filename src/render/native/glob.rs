//! The two globs helm uses: Go's `filepath.Match` (`.helmignore`) and gobwas/glob with `/` as
//! separator (`.Files.Glob`: `**` crosses directories, `{a,b}` alternatives).

#[derive(Clone, Debug)]
enum Token {
    Literal(char),
    /// `?`: one character, not a separator.
    One,
    /// `*`: any run of characters without a separator.
    Star,
    /// `**` (gobwas only): any run of characters.
    Super,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// `{a,b}` (gobwas only).
    Alternatives(Vec<Vec<Token>>),
}

#[derive(Clone, Debug)]
pub struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// A `filepath.Match` pattern.
    pub fn new(pattern: &str) -> Pattern {
        let chars: Vec<char> = pattern.chars().collect();
        Pattern { tokens: parse(&chars, &mut 0, false, false) }
    }

    /// A gobwas/glob pattern.
    pub fn gobwas(pattern: &str) -> Pattern {
        let chars: Vec<char> = pattern.chars().collect();
        Pattern { tokens: parse(&chars, &mut 0, true, false) }
    }

    pub fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        match_tokens(&self.tokens, &chars)
    }
}

pub fn go_path_match(pattern: &Pattern, text: &str) -> bool {
    pattern.matches(text)
}

fn parse(chars: &[char], at: &mut usize, gobwas: bool, in_braces: bool) -> Vec<Token> {
    let mut tokens = Vec::new();
    while *at < chars.len() {
        let c = chars[*at];
        match c {
            '*' => {
                if gobwas && chars.get(*at + 1) == Some(&'*') {
                    *at += 1;
                    tokens.push(Token::Super);
                } else {
                    tokens.push(Token::Star);
                }
            }
            '?' => tokens.push(Token::One),
            '\\' if *at + 1 < chars.len() => {
                *at += 1;
                tokens.push(Token::Literal(chars[*at]));
            }
            '[' => {
                let mut i = *at + 1;
                let negated = matches!(chars.get(i), Some('^') | Some('!'));
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while i < chars.len() && (chars[i] != ']' || first) {
                    first = false;
                    let mut low = chars[i];
                    if low == '\\' && i + 1 < chars.len() {
                        i += 1;
                        low = chars[i];
                    }
                    if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|c| *c != ']') {
                        ranges.push((low, chars[i + 2]));
                        i += 3;
                    } else {
                        ranges.push((low, low));
                        i += 1;
                    }
                }
                if i >= chars.len() {
                    tokens.push(Token::Literal('['));
                } else {
                    tokens.push(Token::Class { negated, ranges });
                    *at = i;
                }
            }
            '{' if gobwas => {
                let mut alternatives = Vec::new();
                *at += 1;
                loop {
                    alternatives.push(parse(chars, at, gobwas, true));
                    if *at < chars.len() && chars[*at] == ',' {
                        *at += 1;
                        continue;
                    }
                    break;
                }
                tokens.push(Token::Alternatives(alternatives));
            }
            ',' | '}' if in_braces => return tokens,
            other => tokens.push(Token::Literal(other)),
        }
        *at += 1;
    }
    tokens
}

fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else { return text.is_empty() };
    match first {
        Token::Literal(c) => text.first() == Some(c) && match_tokens(rest, &text[1..]),
        Token::One => text.first().is_some_and(|c| *c != '/') && match_tokens(rest, &text[1..]),
        Token::Star => {
            for i in 0..=text.len() {
                if match_tokens(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && text[i] == '/' {
                    return false;
                }
            }
            false
        }
        Token::Super => (0..=text.len()).any(|i| match_tokens(rest, &text[i..])),
        Token::Class { negated, ranges } => {
            let Some(c) = text.first() else { return false };
            let inside = ranges.iter().any(|(low, high)| low <= c && c <= high);
            inside != *negated && *c != '/' && match_tokens(rest, &text[1..])
        }
        Token::Alternatives(alternatives) => alternatives.iter().any(|alternative| {
            let mut joined = alternative.clone();
            joined.extend_from_slice(rest);
            match_tokens(&joined, text)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn native_globs_match_as_go_and_gobwas() {
        assert!(Pattern::new("*.txt").matches("a.txt"));
        assert!(!Pattern::new("*.txt").matches("d/a.txt"));
        assert!(Pattern::gobwas("files/**").matches("files/a/b.conf"));
        assert!(!Pattern::gobwas("files/*").matches("files/a/b.conf"));
        assert!(Pattern::gobwas("files/*.{yaml,json}").matches("files/x.json"));
        assert!(Pattern::new("[a-c]?").matches("bz"));
        assert!(!Pattern::new("[^a-c]?").matches("bz"));
    }
}
