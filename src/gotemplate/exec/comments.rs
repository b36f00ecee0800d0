//! A mend for gotmpl's lexer: it trims the text after a comment opened with `{{-` even when the
//! comment closes with `}}`, where Go trims only the text before it
//! (`key:\n  {{- /* note */}}\n  name: x` would lose the line break and break the YAML).
//!
//! Before parsing, each such comment becomes an action printing nothing, `{{- ""  }}`, of the
//! same length and lines (positions in errors stay true); after parsing, those actions are
//! dropped, so a template holding only them is as empty as Go finds it.

use std::borrow::Cow;

use gotmpl::parse::{ListNode, Node};

/// `source` with every left-trimming, not right-trimming comment made an empty action, and
/// the offsets of those actions.
pub(super) fn mend(source: &str) -> (Cow<'_, str>, Vec<usize>) {
    let bytes = source.as_bytes();
    let mut mended: Option<Vec<u8>> = None;
    let mut offsets = Vec::new();
    let mut at = 0;
    while let Some(found) = source[at..].find("{{") {
        let open = at + found + 2;
        let left_trim = bytes.get(open) == Some(&b'-') && bytes.get(open + 1).is_some_and(u8::is_ascii_whitespace);
        let body = skip_spaces(bytes, if left_trim { open + 1 } else { open });
        if !source[body..].starts_with("/*") {
            at = action_end(bytes, open);
            continue;
        }
        let Some(length) = source[body + 2..].find("*/") else { break };
        let comment_end = body + 2 + length + 2;
        let close = skip_spaces(bytes, comment_end);
        let right_trim = close > comment_end && source[close..].starts_with("-}}");
        if left_trim && !right_trim && source[close..].starts_with("}}") {
            let text = mended.get_or_insert_with(|| bytes.to_vec());
            for (i, byte) in text[body..close].iter_mut().enumerate() {
                *byte = match (i, *byte) {
                    (0 | 1, _) => b'"',
                    (_, b'\n') => b'\n',
                    _ => b' ',
                };
            }
            offsets.push(body);
        }
        at = close;
    }
    match mended {
        Some(text) => (Cow::Owned(String::from_utf8(text).expect("ASCII written over whole characters")), offsets),
        None => (Cow::Borrowed(source), offsets),
    }
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

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Just past the `}}` closing the action whose body starts at `at`, skipping quoted text.
fn action_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'}' if bytes.get(at + 1) == Some(&b'}') => return at + 2,
            quote @ (b'"' | b'`' | b'\'') => {
                at += 1;
                while at < bytes.len() && bytes[at] != quote {
                    at += if bytes[at] == b'\\' && quote != b'`' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
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
    }
}
