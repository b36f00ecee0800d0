//! Surgical edits of YAML files (`hldc set`, `add`, `remove`, `promote`): a change touches only the lines
//! that hold what changed. Comments, key order, blank lines, quoting and indentation of every
//! other line stay byte for byte, so a CI bump of an image tag reads as a one-line diff.
//!
//! The editor works on the text, guided by the positions of `crate::yaml`; every edit is
//! re-parsed and compared with the value the edit meant to produce, and refused when they differ,
//! so a file is never written that does not say what was asked. Flow-style collections (`{a: 1}`)
//! are refused rather than rewritten.

use serde_yaml::{Mapping, Value};

use crate::diag::{Location, Problem, Source, SourceFile};
use crate::yaml::write as emit_yaml;
use crate::yaml::{display_path, parse_one, Document, Positions, Segment};

/// Indentation step for new nesting when the file shows none.
const DEFAULT_STEP: usize = 2;

/// One YAML file being edited: its current text and parse.
#[derive(Debug)]
pub struct Editor {
    /// The file with `\n` line ends: a CRLF file is edited as LF and written back as CRLF.
    doc: Document,
    crlf: bool,
}

impl Editor {
    /// Parses `file` for editing; refuses files whose positions cannot be known.
    pub fn open(file: &Source) -> Result<Editor, Problem> {
        let text = file.text();
        let crlf = text.contains("\r\n") && text.matches('\n').count() == text.matches("\r\n").count();
        let file = if crlf { &SourceFile::new(file.name(), text.replace("\r\n", "\n")) } else { file };
        let doc = parse_one(file)?;
        if matches!(doc.positions(), Positions::Unknown) {
            return Err(Problem::error(
                "hldc::edit::unfollowable",
                format!(
                    "`{}` cannot be edited surgically: its YAML is read differently by hldc's two parsers",
                    file.name()
                ),
            )
            .at(Location::file_start(file))
            .help("rewrite the file in plain block style (e.g. spaces instead of tabs after `:`)"));
        }
        Ok(Editor { doc, crlf })
    }

    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// The current text, with `\n` line ends.
    pub fn text(&self) -> &str {
        self.doc.file.text()
    }

    /// The current text with the file's own line ends: what to write.
    pub fn contents(&self) -> String {
        if self.crlf {
            self.text().replace('\n', "\r\n")
        } else {
            self.text().to_string()
        }
    }

    pub fn location(&self, path: &[Segment]) -> Location {
        self.doc.value_location(path)
    }

    /// Sets the value at `path` (mapping keys only), creating missing mappings.
    pub fn set(&mut self, path: &[Segment], value: &Value) -> Result<(), Problem> {
        let mut expected = self.doc.value.clone();
        set_in(&mut expected, path, value.clone());
        let step = self.indent_step();
        let mut node = &self.doc.value;
        for depth in 0..path.len() {
            let here = &path[..depth];
            if let (Segment::Index(i), Value::Sequence(items)) = (&path[depth], node) {
                node = items.get(*i).ok_or_else(|| self.refuse(here, "no such item", "address an existing item"))?;
                continue;
            }
            let Segment::Key(key) = &path[depth] else {
                return Err(self.refuse(here, "a sequence index", "address mapping keys only"));
            };
            if path[depth..].iter().any(|s| matches!(s, Segment::Index(_)))
                && !matches!(node, Value::Mapping(m) if m.contains_key(key.as_str()))
            {
                return Err(self.refuse(path, "a missing sequence item", "create the sequence first"));
            }
            match node {
                Value::Mapping(map) if !map.is_empty() => match map.get(key.as_str()) {
                    Some(child) => node = child,
                    None => {
                        let (at, indent) = self.append_point(here, map)?;
                        let entry = entry_lines(&path[depth..], value, indent, step);
                        return self.apply(at..at, format!("\n{entry}"), expected);
                    }
                },
                Value::Null | Value::Mapping(_) if here.is_empty() => {
                    if !node.is_null() {
                        return Err(self.refuse(here, "a flow-style mapping", "write the file in block style"));
                    }
                    let text = self.text();
                    let separator = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
                    let entry = entry_lines(path, value, 0, step);
                    return self.apply(text.len()..text.len(), format!("{separator}{entry}\n"), expected);
                }
                Value::Null | Value::Mapping(_) => {
                    let region = self.region(here)?;
                    let entry = entry_lines(&path[depth..], value, region.indent + step, step);
                    let (span, replacement) = region.block_edit(self.text(), &entry);
                    return self.apply(span, replacement, expected);
                }
                _ => {
                    return Err(Problem::error(
                        "hldc::edit::through-scalar",
                        format!("`{}` cannot be set: `{}` is not a mapping", display_path(path), display_path(here)),
                    )
                    .at(self.doc.value_location(here))
                    .label("this value is not a mapping")
                    .help("choose a key that does not walk through a value, or replace the value first"));
                }
            }
        }
        let region = self.region(path)?;
        match inline_text(value) {
            Some(scalar) => {
                let (span, replacement) = region.scalar_edit(self.text(), &scalar);
                self.apply(span, replacement, expected)
            }
            None => {
                let block = block_lines(value, region.indent + step, step);
                let (span, replacement) = region.block_edit(self.text(), &block);
                self.apply(span, replacement, expected)
            }
        }
    }

    /// Appends `item` to the sequence at `path`, creating it (under an existing mapping) when missing.
    pub fn push_item(&mut self, path: &[Segment], item: &Value) -> Result<(), Problem> {
        let (parent, Some(Segment::Key(_))) = (&path[..path.len().saturating_sub(1)], path.last()) else {
            return Err(self.refuse(path, "a sequence index", "address a mapping key"));
        };
        let items = match lookup(&self.doc.value, path) {
            Some(Value::Sequence(items)) if !items.is_empty() => items.clone(),
            Some(Value::Sequence(_)) | Some(Value::Null) | None => {
                if !matches!(lookup(&self.doc.value, parent), Some(Value::Mapping(_))) {
                    return Err(self.refuse(parent, "not a mapping", "point at a mapping"));
                }
                return self.set(path, &Value::Sequence(vec![item.clone()]));
            }
            Some(_) => {
                return Err(self.refuse(path, "not a sequence", "point at a sequence"));
            }
        };
        let mut expected = self.doc.value.clone();
        if let Some(Value::Sequence(list)) = lookup_mut(&mut expected, path) {
            list.push(item.clone());
        }
        let first = self.item(path, 0)?;
        let last = self.item(path, items.len() - 1)?;
        let text = self.text();
        let end = line_end(text, block_end(text, line_end(text, last.dash), last.dash_col, Belonging::Deeper));
        let mut lines = block_lines(&Value::Sequence(vec![item.clone()]), first.dash_col, self.indent_step());
        // Match the existing items' gap between `-` and their content.
        let gap = first.content_col.saturating_sub(first.dash_col + 1).max(1);
        lines.replace_range(first.dash_col + 1..first.dash_col + 2, &" ".repeat(gap));
        let lines = shift_continuations(&lines, gap - 1);
        self.apply(end..end, format!("\n{lines}"), expected)
    }

    /// Removes item `index` of the sequence at `path`; the last item leaves `[]` behind.
    pub fn remove_item(&mut self, path: &[Segment], index: usize) -> Result<(), Problem> {
        let count = match lookup(&self.doc.value, path) {
            Some(Value::Sequence(items)) if index < items.len() => items.len(),
            _ => return Err(self.refuse(path, "not a sequence with that item", "point at an existing item")),
        };
        let mut expected = self.doc.value.clone();
        if let Some(Value::Sequence(list)) = lookup_mut(&mut expected, path) {
            list.remove(index);
        }
        if count == 1 {
            let region = self.region(path)?;
            let (span, replacement) = region.scalar_edit(self.text(), "[]");
            return self.apply(span, replacement, expected);
        }
        let item = self.item(path, index)?;
        let text = self.text();
        let start = line_start(text, item.dash);
        let end = line_end(text, block_end(text, line_end(text, item.dash), item.dash_col, Belonging::Deeper));
        let end = (end + 1).min(text.len());
        self.apply(start..end, String::new(), expected)
    }

    /// Removes the key at `path` (mapping keys only) with its value; a mapping left empty
    /// becomes `{}`, so that it stays a mapping rather than turning null.
    pub fn remove(&mut self, path: &[Segment]) -> Result<(), Problem> {
        let Some((Segment::Key(key), parent)) = path.split_last() else {
            return Err(self.refuse(path, "not a mapping key", "address a mapping key"));
        };
        let siblings = match lookup(&self.doc.value, parent) {
            Some(Value::Mapping(map)) if map.contains_key(key.as_str()) => map.len(),
            _ => return Err(self.refuse(path, "no such key", "address an existing key")),
        };
        if siblings == 1 && !parent.is_empty() {
            return self.set(parent, &Value::Mapping(Mapping::new()));
        }
        let mut expected = self.doc.value.clone();
        if let Some(Value::Mapping(map)) = lookup_mut(&mut expected, parent) {
            map.remove(key.as_str());
        }
        let region = self.region(path)?;
        let text = self.text();
        let start = line_start(text, region.after_colon);
        let end = (line_end(text, region.end) + 1).min(text.len());
        self.apply(start..end, String::new(), expected)
    }

    /// Replaces `span` of the text, re-parses, and keeps the result only when it reads as `expected`.
    fn apply(&mut self, span: std::ops::Range<usize>, replacement: String, expected: Value) -> Result<(), Problem> {
        let mut text = self.text().to_string();
        text.replace_range(span.clone(), &replacement);
        let file = SourceFile::new(self.doc.file.name(), text);
        let unverified = || {
            Problem::error(
                "hldc::edit::unverified",
                format!("editing `{}` here would not give the value asked for", self.doc.file.name()),
            )
            .at(Location::new(&self.doc.file, span.start..span.end.max(span.start + 1).min(self.text().len())))
            .label("this part could not be edited surgically")
            .help("rewrite this part of the file in plain block style, then run the command again")
        };
        let doc = parse_one(&file).map_err(|_| unverified())?;
        if doc.value != expected || matches!(doc.positions(), Positions::Unknown) {
            return Err(unverified());
        }
        self.doc = doc;
        Ok(())
    }

    fn refuse(&self, path: &[Segment], what: &str, help: &str) -> Problem {
        Problem::error(
            "hldc::edit::unsupported",
            format!("cannot edit `{}` in `{}`: {what}", display_path(path), self.doc.file.name()),
        )
        .at(self.doc.value_location(path))
        .help(help.to_string())
    }

    /// The offset after the last line of the (non-empty, block) mapping at `path`, and the column
    /// of its keys.
    fn append_point(&self, path: &[Segment], map: &Mapping) -> Result<(usize, usize), Problem> {
        let key_path = |key: &Value| -> Vec<Segment> {
            let mut child = path.to_vec();
            child.push(Segment::Key(key.as_str().map(str::to_string).unwrap_or_default()));
            child
        };
        let (Some(first), Some(last)) = (map.keys().next(), map.keys().last()) else {
            return Err(self.refuse(path, "an empty mapping", "write it in block style"));
        };
        let indent = self.region(&key_path(first))?.indent;
        let last = self.region(&key_path(last))?;
        Ok((line_end(self.text(), last.end), indent))
    }

    /// Where the value held by the key at `path` sits.
    fn region(&self, path: &[Segment]) -> Result<Region, Problem> {
        let text = self.text();
        let flow = || self.refuse(path, "it is written in flow style", "write this part of the file in block style");
        let key_start = self.doc.positions().key_span(path).ok_or_else(flow)?.start;
        if path.is_empty() || !starts_line(text, key_start) {
            return Err(flow());
        }
        let indent = key_start - line_start(text, key_start);
        let key_end = token_end(text, key_start, true);
        let colon = text[key_end..].find(|c: char| c != ' ').map(|i| key_end + i);
        let Some(colon) = colon.filter(|&c| text[c..].starts_with(':')) else {
            return Err(self.refuse(path, "its key is not a simple key", "write the key on one line"));
        };
        let after_colon = colon + 1;
        let value = lookup(&self.doc.value, path);
        let key_line_end = line_end(text, key_start);
        let rest = &text[after_colon..key_line_end];
        let rest_trimmed = rest.trim_start();
        let value_start = key_line_end - rest_trimmed.len();
        let belonging = match value {
            Some(Value::Sequence(_)) => Belonging::WithItems,
            _ if rest_trimmed.starts_with(['|', '>']) => Belonging::BlockScalar,
            _ => Belonging::Deeper,
        };
        let deeper_end = block_end(text, key_line_end, indent, belonging);
        let on_key_line = !rest_trimmed.is_empty() && !rest_trimmed.starts_with('#');
        let token = || value_start..token_end(text, value_start, false);
        let inline = match value {
            Some(Value::Mapping(m)) if m.is_empty() && on_key_line => Some(token()),
            Some(Value::Sequence(s)) if s.is_empty() && on_key_line => Some(token()),
            Some(Value::Mapping(_) | Value::Sequence(_)) if on_key_line => return Err(flow()),
            _ if on_key_line => Some(token()),
            _ => None,
        };
        // A value on the key line that continues below (block scalar, folded or quoted scalar
        // over several lines) is replaced whole, not token by token.
        let multi_line = deeper_end > key_line_end || inline.as_ref().is_some_and(|s| s.end > key_line_end);
        let (inline, end) = match inline {
            Some(span) if !multi_line => (Some(span.clone()), span.end),
            Some(span) => (None, span.end.max(deeper_end)),
            None if deeper_end > key_line_end => (None, deeper_end),
            None => (None, key_line_end),
        };
        Ok(Region { indent, after_colon, key_line_end, on_key_line, inline, end })
    }

    /// Item `index` of the block sequence at `path`.
    fn item(&self, path: &[Segment], index: usize) -> Result<Item, Problem> {
        let text = self.text();
        let mut item_path = path.to_vec();
        item_path.push(Segment::Index(index));
        let flow = || self.refuse(&item_path, "it is written in flow style", "write the sequence in block style");
        let content = self.doc.positions().value_span(&item_path).ok_or_else(flow)?.start;
        let before = text[..content].trim_end_matches(' ');
        if !before.ends_with('-') || !starts_line(text, before.len() - 1) {
            return Err(flow());
        }
        let dash = before.len() - 1;
        let start = line_start(text, dash);
        Ok(Item { dash, dash_col: dash - start, content_col: content - line_start(text, content) })
    }

    /// The file's indentation step: the smallest nesting of a mapping in a mapping, else 2.
    fn indent_step(&self) -> usize {
        let mut steps = Vec::new();
        collect_steps(&self.doc, self.text(), &self.doc.value, &mut Vec::new(), None, &mut steps);
        steps.into_iter().filter(|s| *s > 0).min().unwrap_or(DEFAULT_STEP)
    }
}

/// The value held by one key: its key's column, the offset after its `:`, the span of a value
/// written on the key line (a scalar or an empty `{}`/`[]`), and the end of the whole value.
struct Region {
    indent: usize,
    after_colon: usize,
    key_line_end: usize,
    on_key_line: bool,
    inline: Option<std::ops::Range<usize>>,
    end: usize,
}

impl Region {
    /// The span a scalar written after `key: ` replaces, and its replacement: the old scalar
    /// token alone when there is one, else the old value; the key line's comment stays.
    fn scalar_edit(&self, text: &str, scalar: &str) -> (std::ops::Range<usize>, String) {
        match &self.inline {
            Some(span) => (span.clone(), scalar.to_string()),
            None if self.on_key_line => (self.after_colon..self.end, format!(" {scalar}")),
            // The old value starts below the key: what is on the key line is a comment, or nothing.
            None => (self.after_colon..self.end, format!(" {scalar}{}", &text[self.after_colon..self.key_line_end])),
        }
    }

    /// The span a value written on the lines below the key replaces, and its replacement; the
    /// key line's comment stays.
    fn block_edit(&self, text: &str, block: &str) -> (std::ops::Range<usize>, String) {
        match &self.inline {
            // `key: {}  # note` keeps its note: the token goes, the rest of the line stays.
            Some(span) => {
                (self.after_colon..self.key_line_end, format!("{}\n{block}", &text[span.end..self.key_line_end]))
            }
            None if self.on_key_line => (self.after_colon..self.end, format!("\n{block}")),
            None => (self.key_line_end..self.end.max(self.key_line_end), format!("\n{block}")),
        }
    }
}

/// One item of a block sequence: where its `-` is, its column and its content's column.
struct Item {
    dash: usize,
    dash_col: usize,
    content_col: usize,
}

fn collect_steps(
    doc: &Document,
    text: &str,
    value: &Value,
    path: &mut Vec<Segment>,
    parent_col: Option<usize>,
    steps: &mut Vec<usize>,
) {
    let Value::Mapping(map) = value else { return };
    for key in map.keys().filter_map(Value::as_str) {
        path.push(Segment::Key(key.to_string()));
        if let Some(span) = doc.positions().key_span(path).filter(|s| starts_line(text, s.start)) {
            let col = span.start - line_start(text, span.start);
            if let Some(parent) = parent_col.filter(|p| col > *p) {
                steps.push(col - parent);
            }
            if let Some(child) = map.get(key) {
                collect_steps(doc, text, child, path, Some(col), steps);
            }
        }
        path.pop();
    }
}

fn lookup<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(value, |node, segment| match segment {
        Segment::Key(key) => node.as_mapping()?.get(key.as_str()),
        Segment::Index(i) => node.as_sequence()?.get(*i),
    })
}

fn lookup_mut<'v>(value: &'v mut Value, path: &[Segment]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |node, segment| match segment {
        Segment::Key(key) => node.as_mapping_mut()?.get_mut(key.as_str()),
        Segment::Index(i) => node.as_sequence_mut()?.get_mut(*i),
    })
}

/// Whether the value at `path` exists.
pub fn exists(value: &Value, path: &[Segment]) -> bool {
    lookup(value, path).is_some()
}

/// Sets `path` (keys only) in a value, turning nulls on the way into mappings: what the text
/// edit must read back as.
pub fn set_in(value: &mut Value, path: &[Segment], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        *value = new;
        return;
    };
    let mut node = value;
    for segment in parents {
        node = match segment {
            Segment::Index(i) => match node.as_sequence_mut().and_then(|items| items.get_mut(*i)) {
                Some(item) => item,
                None => return,
            },
            Segment::Key(key) => {
                if node.is_null() {
                    *node = Value::Mapping(Mapping::new());
                }
                let Some(map) = node.as_mapping_mut() else { return };
                map.entry(Value::String(key.clone())).or_insert(Value::Null)
            }
        };
    }
    if node.is_null() {
        *node = Value::Mapping(Mapping::new());
    }
    if let (Segment::Key(key), Some(map)) = (last, node.as_mapping_mut()) {
        map.insert(Value::String(key.clone()), new);
    }
}

/// `key: value` lines for a path of keys, each level `step` deeper, without a final newline.
fn entry_lines(path: &[Segment], value: &Value, indent: usize, step: usize) -> String {
    let nested = path.iter().rev().fold(value.clone(), |inner, segment| {
        let key = match segment {
            Segment::Key(key) => key.clone(),
            Segment::Index(i) => i.to_string(),
        };
        Value::Mapping(Mapping::from_iter([(Value::String(key), inner)]))
    });
    block_lines(&nested, indent, step)
}

/// A non-empty collection in block style, keys in their given order, without a final newline.
fn block_lines(value: &Value, indent: usize, step: usize) -> String {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().map_or_else(|| inline_text(key).unwrap_or_default(), emit_yaml::scalar);
                match inline_text(child) {
                    Some(text) => lines.push(format!("{pad}{key}: {text}")),
                    None => lines.push(format!("{pad}{key}:\n{}", block_lines(child, indent + step, step))),
                }
            }
        }
        Value::Sequence(items) => {
            for item in items {
                match inline_text(item) {
                    Some(text) => lines.push(format!("{pad}- {text}")),
                    None => {
                        let inner = block_lines(item, indent + 2, step);
                        lines.push(format!("{pad}- {}", &inner[indent + 2..]));
                    }
                }
            }
        }
        other => lines.push(format!("{pad}{}", inline_text(other).unwrap_or_default())),
    }
    lines.join("\n")
}

/// Moves every line but the first `by` columns right (content of an item whose `-` gap widened).
fn shift_continuations(lines: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    lines
        .split('\n')
        .enumerate()
        .map(|(i, l)| if i == 0 { l.to_string() } else { format!("{pad}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value that fits after `key: ` on one line: scalars (quoted the way the canonical writer
/// quotes them, unambiguous to YAML 1.1 and 1.2 readers) and empty collections.
fn inline_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(emit_yaml::scalar(text)),
        Value::Mapping(map) if map.is_empty() => Some("{}".to_string()),
        Value::Sequence(items) if items.is_empty() => Some("[]".to_string()),
        Value::Mapping(_) | Value::Sequence(_) => None,
        other => Some(emit_yaml::to_string(other).trim_end().to_string()),
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset of the newline ending the line holding `offset` (or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..].find('\n').map_or(text.len(), |i| offset + i)
}

/// Whether only indentation and sequence dashes precede `offset` on its line (a block-style node).
fn starts_line(text: &str, offset: usize) -> bool {
    let prefix = &text[line_start(text, offset)..offset];
    prefix.split(' ').all(|part| part.is_empty() || part == "-")
}

/// Which lines after a key (or dash) at some column belong to its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Belonging {
    /// Deeper lines; blank and comment lines only when content follows them.
    Deeper,
    /// Also `- ` items at the key's own column (a sequence written without indentation).
    WithItems,
    /// Deeper lines, `#` lines included: they are text of a literal or folded block scalar.
    BlockScalar,
}

/// The end of the last line after `from` that belongs to a node whose key (or dash) sits at
/// column `indent`; `from` when none does.
fn block_end(text: &str, from: usize, indent: usize, lines: Belonging) -> usize {
    let mut end = from;
    let mut offset = from;
    while offset < text.len() {
        let start = offset + 1;
        let stop = line_end(text, start.min(text.len()));
        let line = &text[start.min(text.len())..stop];
        offset = stop;
        let trimmed = line.trim_start_matches(' ');
        let column = line.len() - trimmed.len();
        let comment = trimmed.starts_with('#') && lines != Belonging::BlockScalar;
        if trimmed.trim().is_empty() || (comment && column > indent) {
            continue;
        }
        let item = trimmed == "-" || trimmed.starts_with("- ");
        let belongs = column > indent || (lines == Belonging::WithItems && column == indent && item);
        if !belongs {
            break;
        }
        end = stop;
    }
    end
}

/// The end of the scalar token starting at `start`: a quoted scalar up to its closing quote
/// (possibly on a later line), a plain one up to a comment, the line's end or (for keys) `: `.
fn token_end(text: &str, start: usize, key: bool) -> usize {
    let rest = &text[start..];
    let mut chars = rest.char_indices().peekable();
    match rest.chars().next() {
        Some('"') => {
            chars.next();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => return start + i + 1,
                    _ => {}
                }
            }
            text.len()
        }
        Some('\'') => {
            chars.next();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                    } else {
                        return start + i + 1;
                    }
                }
            }
            text.len()
        }
        _ => {
            let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
            let mut end = line.len();
            if let Some(i) = line.find(" #") {
                end = end.min(i);
            }
            if key {
                if let Some(i) = line.find(": ") {
                    end = end.min(i);
                }
                if line[..end].ends_with(':') {
                    end -= 1;
                }
            }
            start + line[..end].trim_end().len()
        }
    }
}

#[cfg(test)]
mod tests;
