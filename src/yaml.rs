//! Reading YAML with positions: values come from `serde_yaml`, and a second pass over the
//! parser events (`yaml-rust2`) records where every key and value starts, so that problems
//! found later (schema errors, a merged value `hldc config` explains) can point at the line.

use std::collections::HashMap;
use std::ops::Range;

use serde_yaml::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::{Location, Problem, Source};

/// One step into a YAML value: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the root of a document to one of its values.
pub type ValuePath = Vec<Segment>;

/// Where a value, and the key that holds it, sit in the file.
#[derive(Debug, Clone)]
struct Spot {
    key: Option<Range<usize>>,
    value: Range<usize>,
    /// Mappings and sequences are shown by their key: their own start mark is not useful.
    collection: bool,
}

/// Positions of the values of one document.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    spots: HashMap<ValuePath, Spot>,
}

impl Positions {
    /// Span of the value at `path`; for a collection, or a path that is missing (where the nearest
    /// ancestor stands in), the span of the key that holds it.
    pub fn value_span(&self, path: &[Segment]) -> Option<Range<usize>> {
        (0..=path.len()).rev().find_map(|n| {
            let spot = self.spots.get(&path[..n])?;
            let exact = n == path.len() && !spot.collection;
            Some(if exact { spot.value.clone() } else { spot.key.clone().unwrap_or(spot.value.clone()) })
        })
    }

    /// Span of the key that holds the value at `path` (falls back to the value's span).
    pub fn key_span(&self, path: &[Segment]) -> Option<Range<usize>> {
        match self.spots.get(path) {
            Some(Spot { key: Some(key), .. }) => Some(key.clone()),
            _ => self.value_span(path),
        }
    }
}

/// A parsed YAML document together with the file it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: Source,
    pub value: Value,
    pub positions: Positions,
}

impl Document {
    pub fn value_location(&self, path: &[Segment]) -> Location {
        let span = self.positions.value_span(path).unwrap_or(0..0);
        Location::new(&self.file, span)
    }

    pub fn key_location(&self, path: &[Segment]) -> Location {
        let span = self.positions.key_span(path).unwrap_or(0..0);
        Location::new(&self.file, span)
    }
}

/// Files larger than this are refused before parsing; no HLD input is legitimately this big.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Parses a file holding exactly one document (component and config files).
/// An empty file is a document whose value is null.
pub fn parse_one(file: &Source) -> Result<Document, Problem> {
    let mut documents = parse_all(file)?;
    match documents.len() {
        0 => Ok(Document { file: file.clone(), value: Value::Null, positions: Positions::default() }),
        1 => Ok(documents.remove(0)),
        _ => Err(Problem::error(
            "hldc::yaml::several-documents",
            format!("`{}` holds {} YAML documents, expected one", file.name(), documents.len()),
        )
        .at(documents[1].value_location(&[]))
        .label("second document starts here")
        .help("remove the `---` separators: this file describes one object")),
    }
}

/// Parses every document of a YAML stream (static manifests, helm output).
/// Empty documents are dropped.
pub fn parse_all(file: &Source) -> Result<Vec<Document>, Problem> {
    let text = file.text();
    if text.len() > MAX_FILE_BYTES {
        return Err(Problem::error(
            "hldc::yaml::too-large",
            format!("`{}` is {} bytes, over the limit of {MAX_FILE_BYTES}", file.name(), text.len()),
        )
        .path(file.name())
        .help("split the file; hldc refuses inputs this large to protect the pipeline"));
    }
    // The position pass goes first: it refuses absurd nesting at once, where serde_yaml would
    // spend seconds collecting events before its own recursion limit stops it.
    let positions = index_positions(text, file)?;
    let mut values = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: serde_yaml::Value =
            serde::Deserialize::deserialize(document).map_err(|e| syntax_problem(file, &e))?;
        values.push(value);
    }
    let mut positions = positions.into_iter();
    Ok(values
        .into_iter()
        .filter_map(|value| {
            let positions = positions.next().unwrap_or_default();
            (!value.is_null()).then(|| Document { file: file.clone(), value, positions })
        })
        .collect())
}

fn syntax_problem(file: &Source, error: &serde_yaml::Error) -> Problem {
    let message = error.to_string();
    // serde_yaml appends " at line L column C" to its messages; the snippet shows that already.
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    let problem = Problem::error("hldc::yaml::syntax", format!("invalid YAML in `{}`: {message}", file.name())).help(
        if message.contains("limit exceeded") {
            "the document nests too deeply or expands too many aliases; write it out plainly"
        } else {
            "fix the YAML syntax at the marked position (a YAML linter or editor plugin helps)"
        },
    );
    // libyaml's reader errors ("control characters are not allowed") give a byte position in
    // the message and no useful location.
    let reader_position = message
        .rsplit_once("at position ")
        .and_then(|(_, n)| n.trim().parse::<usize>().ok())
        .filter(|p| *p < file.text().len());
    if let Some(position) = reader_position {
        let offset = (0..=position).rev().find(|o| file.text().is_char_boundary(*o)).unwrap_or(0);
        return problem.at(Location::new(file, offset..offset + 1)).label(message);
    }
    match error.location() {
        Some(at) => {
            let offset = file.offset_of(at.line(), at.column().saturating_sub(1));
            // Errors found at the end of the input ("did not find expected ']'") are reported
            // there; point at the last thing written instead, where the fix belongs.
            let content_end = file.text().trim_end().len();
            let offset = if offset >= content_end {
                file.text()[..content_end].char_indices().last().map_or(0, |(i, _)| i)
            } else {
                offset
            };
            let span = match duplicate_key_span(file, &message) {
                Some(span) => span,
                None => offset..(offset + 1).min(file.text().len()),
            };
            problem.at(Location::new(file, span)).label(message)
        }
        None => problem.at(Location::file_start(file)),
    }
}

/// serde_yaml reports a duplicate key at the mapping's start; find the repeated key itself.
fn duplicate_key_span(file: &Source, message: &str) -> Option<Range<usize>> {
    if !message.contains("duplicate entry with key") {
        return None;
    }
    let mut recorder = Recorder { file, documents: Vec::new(), stack: Vec::new(), duplicates: Vec::new() };
    let _ = Parser::new_from_str(file.text()).load(&mut recorder, true);
    recorder.duplicates.into_iter().next()
}

/// Records the position of every node of every document. Best effort: when this second parser
/// disagrees with the first the positions are simply missing and problems point at the file.
fn index_positions(text: &str, file: &Source) -> Result<Vec<Positions>, Problem> {
    let mut recorder = Recorder { file, documents: Vec::new(), stack: Vec::new(), duplicates: Vec::new() };
    match Parser::new_from_str(text).load(&mut recorder, true) {
        Ok(()) => Ok(recorder.documents),
        Err(error) if error.info().contains("recursion limit") => {
            let offset = file.offset_of(error.marker().line(), error.marker().col());
            Err(Problem::error("hldc::yaml::syntax", format!("invalid YAML in `{}`: it nests too deeply", file.name()))
                .at(Location::new(file, offset..(offset + 1).min(text.len())))
                .label("recursion limit exceeded")
                .help("the document nests too deeply or expands too many aliases; write it out plainly"))
        }
        // Any other disagreement is left to serde_yaml to report; positions are best effort.
        Err(_) => Ok(Vec::new()),
    }
}

enum Frame {
    Mapping { path: ValuePath, pending_key: Option<(String, Range<usize>)>, keys: std::collections::HashSet<String> },
    Sequence { path: ValuePath, next: usize },
}

struct Recorder<'a> {
    file: &'a Source,
    documents: Vec<Positions>,
    stack: Vec<Frame>,
    /// Spans of keys repeated within one mapping.
    duplicates: Vec<Range<usize>>,
}

impl Recorder<'_> {
    /// Called for every node start; returns the node's path, or `None` when it is a mapping key.
    fn place(&mut self, start: usize, scalar: Option<&str>, collection: bool) -> Option<ValuePath> {
        let end = start + scalar.map_or(1, |s| s.len().max(1));
        let Some(frame) = self.stack.last_mut() else {
            if let Some(doc) = self.documents.last_mut() {
                doc.spots.insert(Vec::new(), Spot { key: None, value: start..end, collection });
            }
            return Some(Vec::new());
        };
        let (path, key) = match frame {
            Frame::Mapping { pending_key: pending @ None, keys, path } => {
                // A key. Complex (non-scalar) keys are recorded as an empty name.
                let name = scalar.unwrap_or_default().to_string();
                if keys.is_empty() {
                    first_child_starts(&mut self.documents, path, start);
                }
                if scalar.is_some() && !keys.insert(name.clone()) {
                    self.duplicates.push(start..end);
                }
                *pending = Some((name, start..end));
                return None;
            }
            Frame::Mapping { path, pending_key, .. } => {
                let (name, key_span) = pending_key.take().unwrap_or_default();
                let mut path = path.clone();
                path.push(Segment::Key(name));
                (path, Some(key_span))
            }
            Frame::Sequence { path, next } => {
                if *next == 0 {
                    first_child_starts(&mut self.documents, path, start);
                }
                let mut path = path.clone();
                path.push(Segment::Index(*next));
                *next += 1;
                (path, None)
            }
        };
        if let Some(doc) = self.documents.last_mut() {
            doc.spots.insert(path.clone(), Spot { key, value: start..end, collection });
        }
        Some(path)
    }
}

/// A collection's own start mark is unreliable (for block mappings it lands after the first
/// key); its first child's position is where it visibly starts.
fn first_child_starts(documents: &mut [Positions], collection: &ValuePath, start: usize) {
    if let Some(spot) = documents.last_mut().and_then(|doc| doc.spots.get_mut(collection)) {
        spot.value = start..start + 1;
    }
}

impl MarkedEventReceiver for Recorder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        // yaml-rust2 counts columns in characters; convert to a byte offset ourselves.
        let start = self.file.offset_of(mark.line(), mark.col());
        match event {
            Event::DocumentStart => {
                self.documents.push(Positions::default());
                self.stack.clear();
            }
            Event::Scalar(value, ..) => {
                self.place(start, Some(&value), false);
            }
            Event::Alias(_) => {
                self.place(start, None, false);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.place(start, None, true).unwrap_or_default();
                self.stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Mapping { path, pending_key: None, keys: Default::default() }
                } else {
                    Frame::Sequence { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Renders a value path the way users write it: `subcomponents.trivia-web.config.image[0]`.
pub fn display_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    fn spans(text: &str, path: &[Segment]) -> (String, String) {
        let file = SourceFile::new("t.yaml", text);
        let doc = parse_one(&file).unwrap();
        let key = doc.key_location(path).display();
        let value = doc.value_location(path).display();
        (key, value)
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    #[test]
    fn positions_of_nested_keys_and_items() {
        let text = "é: x\nconfig:\n  image:\n    tag: 'v1'\n  list:\n    - a\n    - {b: c}\n";
        assert_eq!(
            spans(text, &[key("config"), key("image"), key("tag")]),
            ("t.yaml:4:5".into(), "t.yaml:4:10".into())
        );
        assert_eq!(spans(text, &[key("config"), key("list"), Segment::Index(1), key("b")]).1, "t.yaml:7:11");
        assert_eq!(spans(text, &[key("é")]).1, "t.yaml:1:4");
        // A path that does not exist falls back to its nearest ancestor.
        assert_eq!(spans(text, &[key("config"), key("missing")]).1, "t.yaml:2:1");
    }

    #[test]
    fn syntax_error_points_at_line() {
        let file = SourceFile::new("bad.yaml", "a: 1\nb: [1, 2\n");
        let problem = parse_one(&file).unwrap_err();
        assert_eq!(problem.code, "hldc::yaml::syntax");
        // libyaml notices at the end of input; the report points at the last token written.
        assert_eq!(problem.where_().unwrap(), "bad.yaml:2:8");
    }

    #[test]
    fn reader_errors_point_at_the_character() {
        let file = SourceFile::new("c.yaml", "a: 1\nb: 2\nc: x\u{7}y\n");
        let problem = parse_one(&file).unwrap_err();
        assert_eq!(problem.where_().unwrap(), "c.yaml:3:5", "{}", problem.message);
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let file = SourceFile::new("dup.yaml", "a: 1\nb: 2\na: 3\n");
        let problem = parse_one(&file).unwrap_err();
        assert!(problem.message.contains("duplicate"), "{}", problem.message);
        assert!(problem.where_().unwrap().starts_with("dup.yaml:3:"), "{:?}", problem.where_());
    }

    #[test]
    fn empty_documents_are_dropped() {
        let file = SourceFile::new("m.yaml", "---\n---\na: 1\n---\n# only a comment\n");
        assert_eq!(parse_all(&file).unwrap().len(), 1);
        assert!(parse_one(&SourceFile::new("e.yaml", "")).unwrap().value.is_null());
    }
}
