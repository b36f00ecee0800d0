//! What gotmpl's lexer and parser get wrong where Go's do not, mended or checked on the
//! source text before gotmpl sees it:
//! - gotmpl trims the text after a comment opened with `{{-` even when it closes with `}}`,
//!   where Go trims only the text before it (`key:\n  {{- /* note */}}\n  name: x` would lose
//!   its line break and break the YAML). Each such comment becomes an action printing nothing,
//!   `{{- ""  }}`, of the same length and lines (positions in errors stay true); after
//!   parsing those actions are dropped, so a template holding only them is as empty as Go
//!   finds it.
//! - gotmpl calls what follows a pipeline's last `|` an empty command (`{{ x | }}`); Go's
//!   parser lets the `|` be. It becomes a space.
//! - gotmpl stops at a stray `{{end}}` or `{{else}}` and ignores the rest of the file, and
//!   runs `{{break}}`/`{{continue}}` outside a `{{range}}`; Go's parser rejects all four.

use std::borrow::Cow;

use gotmpl::parse::{ListNode, Node};

/// One `{{ … }}` of a source.
struct Action {
    /// Where its body starts (after `{{`, a trim marker and spaces) and ends (before spaces,
    /// a trim marker and `}}`).
    body: usize,
    body_end: usize,
    left_trim: bool,
    right_trim: bool,
    line: usize,
}

/// The actions of `source`, in order, quoted text and comments skipped over as Go's lexer does.
fn actions(source: &str) -> Vec<Action> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = source[at..].find("{{").map(|offset| at + offset + 2) {
        let left_trim = bytes.get(open) == Some(&b'-') && bytes.get(open + 1).is_some_and(u8::is_ascii_whitespace);
        let body = skip_spaces(bytes, if left_trim { open + 1 } else { open });
        let close_from = if source[body..].starts_with("/*") {
            match source[body + 2..].find("*/") {
                Some(length) => body + 2 + length + 2,
                None => break,
            }
        } else {
            words_end(bytes, body)
        };
        let close = skip_spaces(bytes, close_from);
        let right_trim = close > close_from && source[close..].starts_with("-}}");
        let end = if right_trim { close + 3 } else { close + 2 };
        let line = 1 + source[..open].matches('\n').count();
        found.push(Action { body, body_end: close_from, left_trim, right_trim, line });
        at = end.min(source.len());
    }
    found
}

/// `source` with every left-trimming, not right-trimming comment made an empty action and
/// every pipeline's dangling `|` a space, and the offsets of those actions.
pub(super) fn mend(source: &str) -> (Cow<'_, str>, Vec<usize>) {
    let mut mended: Option<Vec<u8>> = None;
    let mut offsets = Vec::new();
    for action in actions(source) {
        if !source[action.body..].starts_with("/*") {
            for pipe in dangling_pipes(source.as_bytes(), action.body, action.body_end) {
                mended.get_or_insert_with(|| source.as_bytes().to_vec())[pipe] = b' ';
            }
            continue;
        }
        if !action.left_trim || action.right_trim {
            continue;
        }
        let text = mended.get_or_insert_with(|| source.as_bytes().to_vec());
        for (i, byte) in text[action.body..action.body_end].iter_mut().enumerate() {
            *byte = match (i, *byte) {
                (0 | 1, _) => b'"',
                (_, b'\n') => b'\n',
                _ => b' ',
            };
        }
        offsets.push(action.body);
    }
    match mended {
        Some(text) => (Cow::Owned(String::from_utf8(text).expect("ASCII written over whole characters")), offsets),
        None => (Cow::Borrowed(source), offsets),
    }
}

/// Go's parser's complaint about the control structure of `source`: a stray `{{end}}` or
/// `{{else}}`, or `{{break}}`/`{{continue}}` outside a `{{range}}`, with its line.
pub(super) fn misplaced_keyword(source: &str) -> Option<(usize, String)> {
    // The open structures: `true` for a range.
    let mut open: Vec<bool> = Vec::new();
    for action in actions(source) {
        let word: String =
            source[action.body..action.body_end].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let followed = source[action.body + word.len()..action.body_end].chars().next();
        // `ifx` is a name; `if.Values.x` is `if` then a field, as Go's lexer reads it.
        if followed.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        match word.as_str() {
            "if" | "with" | "define" | "block" => open.push(false),
            "range" => open.push(true),
            "end" if open.pop().is_none() => return Some((action.line, "unexpected {{end}}".into())),
            "else" if open.is_empty() => return Some((action.line, "unexpected {{else}}".into())),
            keyword @ ("break" | "continue") if !open.contains(&true) => {
                return Some((action.line, format!("{{{{{keyword}}}}} outside {{{{range}}}}")));
            }
            _ => {}
        }
    }
    None
}

/// Drops the empty actions `mend` made (at `offsets`) from a parsed body.
pub(super) fn drop_mended(list: &mut ListNode, offsets: &[usize]) {
    if offsets.is_empty() {
        return;
    }
    list.nodes.retain(|node| !matches!(node, Node::Action(action) if offsets.contains(&action.pos.offset)));
    for node in &mut list.nodes {
        match node {
            Node::List(inner) => drop_mended(inner, offsets),
            Node::If(branch) | Node::Range(branch) | Node::With(branch) => {
                drop_mended(&mut branch.body, offsets);
                if let Some(other) = &mut branch.else_body {
                    drop_mended(other, offsets);
                }
            }
            Node::Define(define) => drop_mended(&mut define.body, offsets),
            _ => {}
        }
    }
}

/// The `|`s ending a pipeline (`{{ x | }}`, `(x |)`): Go's parser lets them be, gotmpl calls
/// what follows an empty command.
fn dangling_pipes(bytes: &[u8], from: usize, to: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut at = from;
    while at < to {
        match bytes[at] {
            b'|' => {
                let next = skip_spaces(bytes, at + 1);
                if next >= to || bytes[next] == b')' {
                    found.push(at);
                }
            }
            quote @ (b'"' | b'`' | b'\'') => at = quoted_end(bytes, at, quote),
            _ => {}
        }
        at += 1;
    }
    found
}

/// The closing quote of the quoted text opening at `at` (or the end).
fn quoted_end(bytes: &[u8], mut at: usize, quote: u8) -> usize {
    at += 1;
    while at < bytes.len() && bytes[at] != quote {
        at += if bytes[at] == b'\\' && quote != b'`' { 2 } else { 1 };
    }
    at
}

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Where an action's words end: before the spaces, trim marker and `}}` closing it, quoted
/// text skipped.
fn words_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'}' if bytes.get(at + 1) == Some(&b'}') => break,
            b'-' if bytes.get(at + 1) == Some(&b'}') && bytes.get(at + 2) == Some(&b'}') => break,
            quote @ (b'"' | b'`' | b'\'') => at = quoted_end(bytes, at, quote),
            _ => {}
        }
        at += 1;
    }
    // The spaces before the close belong to it.
    while at > 0 && bytes[at - 1].is_ascii_whitespace() {
        at -= 1;
    }
    at.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_comments_trimming_left_alone_are_mended() {
        let source = "a\n  {{- /* x\ny */}}\n  b {{- /* both */ -}} c {{/* none */}} {{ \"{{- /* in a string */}}\" }}";
        let (mended, offsets) = mend(source);
        assert_eq!(mended.len(), source.len());
        assert_eq!(offsets, [8]);
        assert!(mended.starts_with("a\n  {{- \"\"  \n    }}\n  b {{- /* both */ -}}"), "{mended}");
        assert!(mended.ends_with("{{ \"{{- /* in a string */}}\" }}"));
        let (mended, _) = mend("{{ x | }}{{ (y |) | z \"|\" -}}{{ a | b }}");
        assert_eq!(mended, "{{ x   }}{{ (y  ) | z \"|\" -}}{{ a | b }}");
    }

    #[test]
    fn misplaced_keywords_are_found_as_go_finds_them() {
        let cases = [
            ("a{{ end }}b", Some((1, "unexpected {{end}}"))),
            ("{{ if 1 }}\n{{ else }}{{ end }}\n{{- else -}}", Some((3, "unexpected {{else}}"))),
            (
                "{{ range . }}{{ if 1 }}{{ break }}{{ end }}{{ end }}{{ continue }}",
                Some((1, "{{continue}} outside {{range}}")),
            ),
            ("{{ with 1 }}{{ else with 2 }}{{ end }}{{ .end }}{{ \"{{ end }}\" }}{{/* {{ end }} */}}", None),
            ("{{- if.Values.x }}{{ endx }}{{ end}}", None),
            ("{{ define \"x\" }}{{ block \"y\" . }}{{ end }}{{ end }}{{- end}}", Some((1, "unexpected {{end}}"))),
        ];
        for (source, expected) in cases {
            let found = misplaced_keyword(source);
            assert_eq!(found.as_ref().map(|(line, message)| (*line, message.as_str())), expected, "{source}");
        }
    }
}
