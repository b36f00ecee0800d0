//! Reading YAML with positions: values come from `serde_yaml`, and a second pass over the
//! parser events (`yaml-rust2`) records where every key and value starts, so that problems
//! found later (schema errors, a merged value `hldc config` explains) can point at the line.
//! That pass runs the first time one of a file's documents is asked where something is: most
//! documents (rendered manifests, the previous output) never are, and a map entry per node
//! would cost more time and memory than reading the values.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde_yaml::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{Location, Problem, Source};

pub mod manifests;
pub mod resolve;
pub mod write;

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
pub struct Spot {
    key: Option<Range<usize>>,
    value: Range<usize>,
    /// Mappings and sequences are shown by their key: their own start mark is not useful.
    collection: bool,
    /// A scalar written without quotes, block indicator or tag, which YAML resolves by its text.
    plain: bool,
    /// An alias (`*name`): the node it stands for is written elsewhere.
    alias: bool,
}

/// Positions of the values of one document.
#[derive(Debug, Clone)]
pub enum Positions {
    /// Every node of the document, the root always among them.
    Known(HashMap<ValuePath, Spot>),
    /// The position pass could not follow this file (its parser and serde_yaml disagree about
    /// it): nothing finer than the file is known, and locations say so by pointing at its start.
    Unknown,
}

impl Positions {
    /// An empty document: its one (null) value sits at the start of the file.
    fn empty_document() -> Positions {
        let root = Spot { key: None, value: 0..0, collection: false, plain: true, alias: false };
        Positions::Known(HashMap::from([(Vec::new(), root)]))
    }

    /// Span of the value at `path`; for a collection, or a path that is missing (where the nearest
    /// ancestor stands in), the span of the key that holds it. `None` only for `Unknown`.
    pub fn value_span(&self, path: &[Segment]) -> Option<Range<usize>> {
        let Positions::Known(spots) = self else { return None };
        (0..=path.len()).rev().find_map(|n| {
            let spot = spots.get(&path[..n])?;
            let exact = n == path.len() && !spot.collection;
            Some(if exact { spot.value.clone() } else { spot.key.clone().unwrap_or(spot.value.clone()) })
        })
    }

    /// Span of the key that holds the value at `path` (falls back to the value's span).
    pub fn key_span(&self, path: &[Segment]) -> Option<Range<usize>> {
        match self {
            Positions::Known(spots) => match spots.get(path) {
                Some(Spot { key: Some(key), .. }) => Some(key.clone()),
                _ => self.value_span(path),
            },
            Positions::Unknown => None,
        }
    }

    /// Whether the value at exactly `path` is a plain scalar (`on`, not `"on"`), which a YAML 1.1
    /// reader may take for something other than a string.
    pub fn is_plain(&self, path: &[Segment]) -> bool {
        self.written_plain(path) == Some(true)
    }

    /// Whether the value at exactly `path` was written as a plain scalar; `None` when that is not
    /// known: positions `Unknown`, or a value an alias or merge key brought from elsewhere.
    pub fn written_plain(&self, path: &[Segment]) -> Option<bool> {
        let Positions::Known(spots) = self else { return None };
        spots.get(path).filter(|spot| !spot.alias).map(|spot| spot.plain)
    }
}

/// The positions of every document of one file, found when a document first asks.
#[derive(Debug)]
struct StreamPositions {
    file: Source,
    /// How many documents serde_yaml read, empty ones included: positions pair with values
    /// document by document only when the position pass counts as many.
    documents: usize,
    found: OnceLock<Vec<Positions>>,
}

impl StreamPositions {
    fn known(file: &Source, positions: Positions) -> Arc<StreamPositions> {
        Arc::new(StreamPositions { file: file.clone(), documents: 1, found: OnceLock::from(vec![positions]) })
    }

    /// The position pass's documents paired with serde_yaml's: when the two parsers count
    /// documents differently no pairing can be trusted, so every document's are unknown.
    fn paired(&self, found: Option<Vec<Positions>>) -> Vec<Positions> {
        found.filter(|found| found.len() == self.documents).unwrap_or_else(|| vec![Positions::Unknown; self.documents])
    }

    /// Where document `index` begins: its first line that is not blank, a comment or the `---`
    /// before it (past helm's `# Source:` comment, so the template can still be named). `None`
    /// when the text's `---` lines do not pair with serde_yaml's documents.
    fn content_start(&self, index: usize) -> Option<Range<usize>> {
        let text = self.file.text();
        let mut starts = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\n', '\r']);
            if bare == "---" || bare.starts_with("--- ") {
                starts.push(offset + line.len());
            } else if offset == 0 {
                starts.push(0);
            }
            offset += line.len();
        }
        let start = *starts.get(index).filter(|_| starts.len() == self.documents)?;
        let mut at = start;
        for line in text[start..].split_inclusive('\n') {
            let bare = line.trim();
            if bare == "---" || bare.starts_with("--- ") {
                return None;
            }
            if !bare.is_empty() && !bare.starts_with('#') {
                return Some(at..at + line.trim_end().len());
            }
            at += line.len();
        }
        None
    }

    fn of(&self, index: usize) -> &Positions {
        // serde_yaml read this file, so a nesting error here is the second parser's limit.
        let all = self.found.get_or_init(|| self.paired(index_positions(self.file.text(), &self.file).ok().flatten()));
        &all[index]
    }
}

/// A parsed YAML document together with the file it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: Source,
    pub value: Value,
    stream: Arc<StreamPositions>,
    /// Which document of the file this is (empty ones counted).
    index: usize,
    /// What reading a rendered manifest noticed without refusing it (`manifests::parse`):
    /// duplicate keys, values Kubernetes tools read differently. The renderer hands them on.
    pub warnings: Vec<Problem>,
    /// Where this document's value sits in the parsed document: empty, or the item of a
    /// `kind: List` it was taken from (`items[2]`).
    within: ValuePath,
}

impl Document {
    /// A document made by hldc rather than read: nothing finer than `file` is known.
    pub fn unlocated(file: &Source, value: Value) -> Document {
        Document {
            file: file.clone(),
            value,
            stream: StreamPositions::known(file, Positions::Unknown),
            index: 0,
            warnings: Vec::new(),
            within: Vec::new(),
        }
    }

    /// Where the nodes of this document are in its file (found on the first call for the file).
    pub fn positions(&self) -> &Positions {
        self.stream.of(self.index)
    }

    /// Where the value at `path` is; the start of the file when its positions are `Unknown`.
    pub fn value_location(&self, path: &[Segment]) -> Location {
        self.located(self.positions().value_span(&self.in_parsed(path)))
    }

    /// Where the key holding the value at `path` is; the start of the file when its positions
    /// are `Unknown`.
    pub fn key_location(&self, path: &[Segment]) -> Location {
        self.located(self.positions().key_span(&self.in_parsed(path)))
    }

    /// `path` from the root of the parsed document.
    fn in_parsed(&self, path: &[Segment]) -> ValuePath {
        self.within.iter().chain(path).cloned().collect()
    }

    /// The document made of `value`, found at `path` in this one (an item of a `kind: List`):
    /// its locations point into the same text.
    pub fn part(&self, path: &[Segment], value: Value) -> Document {
        Document {
            file: self.file.clone(),
            value,
            stream: self.stream.clone(),
            index: self.index,
            warnings: Vec::new(),
            within: self.in_parsed(path),
        }
    }

    /// The place `span` names, else, when the position parser could not follow the file, the
    /// start of this document: a problem still points at its object (and its chart template).
    fn located(&self, span: Option<Range<usize>>) -> Location {
        let fallback = || match self.positions() {
            Positions::Unknown => self.stream.content_start(self.index),
            Positions::Known(_) => None,
        };
        match span.or_else(fallback) {
            Some(span) => Location::new(&self.file, span),
            None => Location::file_start(&self.file),
        }
    }
}

/// Files larger than this are refused before parsing; no HLD input is legitimately this big.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Parses a file holding exactly one document (component and config files).
/// An empty file is a document whose value is null.
pub fn parse_one(file: &Source) -> Result<Document, Problem> {
    let mut documents = parse_all(file)?;
    match documents.len() {
        0 => Ok(Document {
            file: file.clone(),
            value: Value::Null,
            stream: StreamPositions::known(file, Positions::empty_document()),
            index: 0,
            warnings: Vec::new(),
            within: Vec::new(),
        }),
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

/// Parses every document of a YAML stream (config files, CRDs, hldc's own output); rendered
/// manifests are read by `manifests::parse`. Empty documents are dropped; merge keys
/// (`<<: *anchor`) are merged, as helm and Fabrikate (go-yaml) merged them.
pub fn parse_all(file: &Source) -> Result<Vec<Document>, Problem> {
    parse_stream(file, |document| serde::Deserialize::deserialize(document))
}

/// Reads each document of `file` with `read`, merges merge keys, and drops empty documents.
pub(crate) fn parse_stream(
    file: &Source,
    mut read: impl FnMut(serde_yaml::Deserializer) -> Result<Value, serde_yaml::Error>,
) -> Result<Vec<Document>, Problem> {
    let text = file.text();
    if text.len() > MAX_FILE_BYTES {
        return Err(Problem::error(
            "hldc::yaml::too-large",
            format!("`{}` is {} bytes, over the limit of {MAX_FILE_BYTES}", file.name(), text.len()),
        )
        .path(file.name())
        .help("split the file; hldc refuses inputs this large to protect the pipeline"));
    }
    // Deep flow nesting (`[[[[…`) makes serde_yaml's scanner work in time quadratic in the
    // depth before its recursion limit stops it (38 s for 100,000 levels); the position pass
    // refuses it at once, so it goes first for a text with enough flow collections to nest
    // that deep.
    let eager =
        (flow_collections(text) > EAGER_POSITIONS_COLLECTIONS).then(|| index_positions(text, file)).transpose()?;
    let mut values = Vec::new();
    let may_merge = text.contains("<<");
    for document in serde_yaml::Deserializer::from_str(text) {
        let mut value = read(document).map_err(|e| syntax_problem(file, &e))?;
        if may_merge {
            value.apply_merge().map_err(|e| merge_problem(file, &e))?;
        }
        values.push(value);
    }
    let stream = Arc::new(StreamPositions { file: file.clone(), documents: values.len(), found: OnceLock::new() });
    if let Some(positions) = eager {
        let _ = stream.found.set(stream.paired(positions));
    }
    Ok(values
        .into_iter()
        .enumerate()
        .filter(|(_, value)| !value.is_null())
        .map(|(index, value)| Document {
            file: file.clone(),
            value,
            stream: stream.clone(),
            index,
            warnings: Vec::new(),
            within: Vec::new(),
        })
        .collect())
}

/// A merge key whose value is not a mapping or a list of mappings.
fn merge_problem(file: &Source, error: &serde_yaml::Error) -> Problem {
    let at = file.text().find("<<").map_or(0..0, |start| start..start + 2);
    Problem::error("hldc::yaml::merge", format!("invalid merge key in `{}`: {error}", file.name()))
        .at(Location::new(file, at))
        .label("merge key")
        .help("`<<:` takes an alias of a mapping (`<<: *defaults`) or a list of them")
}

/// With more flow collections than serde_yaml's recursion limit, positions are found first.
const EAGER_POSITIONS_COLLECTIONS: usize = 128;

/// How many flow collections (`[`, `{`) the text may open: brackets in strings and comments
/// count too, so this bounds how deep flow collections can nest, whatever the quoting.
fn flow_collections(text: &str) -> usize {
    text.bytes().filter(|byte| matches!(byte, b'[' | b'{')).count()
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
    duplicate_keys(file).into_iter().next().map(|(_, span)| span)
}

/// The keys repeated within one mapping, by document (counted as `Document::index`).
pub(crate) fn duplicate_keys(file: &Source) -> Vec<(usize, Range<usize>)> {
    let mut recorder = Recorder::new(file);
    let _ = Parser::new_from_str(file.text()).load(&mut recorder, true);
    recorder.duplicates
}

/// The chart template helm rendered the text at `location` from (its `# Source:` comment) and
/// the line within that template's output; `None` outside helm output.
pub fn helm_template(location: &Location) -> Option<(&str, usize)> {
    let before = location.file.text().get(..location.span.start)?;
    let comment = before.rfind("# Source: ").filter(|&at| at == 0 || before.as_bytes()[at - 1] == b'\n')?;
    let (comment, after) = before[comment..].split_once('\n')?;
    if after.lines().any(|line| line == "---") {
        return None;
    }
    Some((comment.strip_prefix("# Source: ")?, after.matches('\n').count() + 1))
}

/// ` (template `chart/templates/x.yaml`, line 12 of its output)` for a place in helm output,
/// else nothing: helm output is one text, the chart's author knows the template.
pub fn in_helm_template(at: &Location) -> String {
    helm_template(at)
        .map(|(template, line)| format!(" (template `{template}`, line {line} of its output)"))
        .unwrap_or_default()
}

/// Names the chart template a problem found in helm output comes from, in its message.
pub fn name_helm_template(problem: &mut Problem) {
    if let Some(at) = &problem.location {
        let note = in_helm_template(at);
        problem.message.push_str(&note);
    }
}

/// Records the position of every node of every document; `None` when this second parser
/// disagrees with serde_yaml about the text (serde_yaml then reports, or the documents' positions
/// are `Unknown`).
fn index_positions(text: &str, file: &Source) -> Result<Option<Vec<Positions>>, Problem> {
    let mut recorder = Recorder::new(file);
    match Parser::new_from_str(text).load(&mut recorder, true) {
        Ok(()) => Ok(Some(recorder.documents.into_iter().map(Positions::Known).collect())),
        Err(error) if error.info().contains("recursion limit") => {
            let offset = file.offset_of(error.marker().line(), error.marker().col());
            Err(Problem::error("hldc::yaml::syntax", format!("invalid YAML in `{}`: it nests too deeply", file.name()))
                .at(Location::new(file, offset..(offset + 1).min(text.len())))
                .label("recursion limit exceeded")
                .help("the document nests too deeply or expands too many aliases; write it out plainly"))
        }
        Err(_) => Ok(None),
    }
}

/// The spots of one document.
type Spots = HashMap<ValuePath, Spot>;

/// An open collection. `path` is `None` inside a complex (non-scalar) mapping key: such keys
/// have no value path, and their nodes are not recorded.
enum Frame {
    Mapping {
        path: Option<ValuePath>,
        pending_key: Option<(String, Range<usize>)>,
        keys: std::collections::HashSet<String>,
    },
    Sequence {
        path: Option<ValuePath>,
        next: usize,
    },
}

struct Recorder<'a> {
    lines: Lines<'a>,
    documents: Vec<Spots>,
    stack: Vec<Frame>,
    /// Keys repeated within one mapping: the document (counted as `Document::index`) and span.
    duplicates: Vec<(usize, Range<usize>)>,
}

/// What the event reader saw at one node start.
struct Node<'v> {
    start: usize,
    scalar: Option<&'v str>,
    collection: bool,
    plain: bool,
    alias: bool,
}

impl<'a> Recorder<'a> {
    fn new(file: &'a Source) -> Recorder<'a> {
        Recorder { lines: Lines::new(file.text()), documents: Vec::new(), stack: Vec::new(), duplicates: Vec::new() }
    }

    /// Called for every node start; returns the node's path, or `None` when it is a mapping key
    /// or inside one.
    fn place(&mut self, node: Node) -> Option<ValuePath> {
        let Node { start, scalar, collection, plain, alias } = node;
        let end = start + scalar.map_or(1, |s| s.len().max(1));
        let (path, key) = match self.stack.last_mut() {
            None => (Vec::new(), None),
            Some(Frame::Mapping { path, pending_key, keys }) => match pending_key.take() {
                None => {
                    // A key. Complex (non-scalar) keys are recorded as an empty name.
                    let name = scalar.unwrap_or_default().to_string();
                    if keys.is_empty() {
                        if let Some(path) = path {
                            first_child_starts(&mut self.documents, path, start);
                        }
                    }
                    if scalar.is_some() && !keys.insert(name.clone()) {
                        self.duplicates.push((self.documents.len().saturating_sub(1), start..end));
                    }
                    *pending_key = Some((name, start..end));
                    return None;
                }
                Some((name, key_span)) => {
                    let mut path = path.clone()?;
                    path.push(Segment::Key(name));
                    (path, Some(key_span))
                }
            },
            Some(Frame::Sequence { path, next }) => {
                let index = *next;
                *next += 1;
                let mut path = path.clone()?;
                if index == 0 {
                    first_child_starts(&mut self.documents, &path, start);
                }
                path.push(Segment::Index(index));
                (path, None)
            }
        };
        // An empty value (`key:` and nothing after it) has its mark at the next token, often on a
        // later line: it is placed just after its key instead.
        let value = match &key {
            Some(key) if plain && scalar == Some("") => key.end..key.end + 1,
            _ => start..end,
        };
        if let Some(doc) = self.documents.last_mut() {
            doc.insert(path.clone(), Spot { key, value, collection, plain, alias });
        }
        Some(path)
    }
}

/// The byte offset of every line start: an event's (line, column) becomes a byte offset without
/// scanning the text from its start (which made parsing quadratic in the file's length).
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
    /// Columns count characters; in ASCII text they are bytes too.
    ascii: bool,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts, ascii: text.is_ascii() }
    }

    /// As `Source::offset_of`: line from 1, column in characters from 0, clamped to the line.
    fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.max(1) - 1) else {
            return self.text.len();
        };
        let end = self.starts.get(line.max(1)).map_or(self.text.len(), |next| next - 1);
        if self.ascii {
            return (start + column).min(end);
        }
        let line_text = &self.text[start..end];
        start + line_text.char_indices().nth(column).map_or(line_text.len(), |(i, _)| i)
    }
}

/// A collection's own start mark is unreliable (for block mappings it lands after the first
/// key); its first child's position is where it visibly starts.
fn first_child_starts(documents: &mut [Spots], collection: &ValuePath, start: usize) {
    if let Some(spot) = documents.last_mut().and_then(|doc| doc.get_mut(collection)) {
        spot.value = start..start + 1;
    }
}

impl MarkedEventReceiver for Recorder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        // yaml-rust2 counts columns in characters; convert to a byte offset ourselves.
        let start = self.lines.offset(mark.line(), mark.col());
        match event {
            Event::DocumentStart => {
                self.documents.push(Spots::new());
                self.stack.clear();
            }
            Event::Scalar(value, style, _, tag) => {
                // A tag decides the type itself (`!!str 0755`).
                let plain = style == TScalarStyle::Plain && tag.is_none();
                self.place(Node { start, scalar: Some(&value), collection: false, plain, alias: false });
            }
            Event::Alias(_) => {
                self.place(Node { start, scalar: None, collection: false, plain: false, alias: true });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.place(Node { start, scalar: None, collection: true, plain: false, alias: false });
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

/// The value at `path` inside `value`, if every step is there.
pub fn lookup<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(value, |current, segment| match segment {
        Segment::Key(key) => current.get(key.as_str()),
        Segment::Index(index) => current.get(*index),
    })
}

/// Renders a value path the way users write it, so it can be pasted back into `hldc set` and
/// `hldc config` (`parse_path`): `subcomponents.web.config.image[0]`, a key holding a dot or
/// bracket quoted (`podAnnotations."sidecar.istio.io/inject"`).
pub fn display_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&display_key(key));
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// One key of a dotted path: as it is, or quoted when it holds what the path syntax reads.
fn display_key(key: &str) -> String {
    if !key.is_empty() && !key.contains(['.', '"', '\\', '[', ']', '=']) {
        return key.to_string();
    }
    let mut quoted = String::from('"');
    for c in key.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Reads a value path as `display_path` writes it: dotted keys, quoted where they hold dots
/// (as `split_dotted` reads them), an unquoted key possibly followed by list indexes
/// (`env[0].value`).
pub fn parse_path(text: &str) -> Result<ValuePath, &'static str> {
    let mut path = Vec::new();
    let mut key = String::new();
    // Quotes seen in this key (`""` is a key, if an empty one), and whether one is still open.
    let (mut quotes, mut quoted) = (false, false);
    let mut after_index = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => key.extend(chars.next()),
            '"' => (quotes, quoted) = (true, !quoted),
            '.' if !quoted => {
                end_key(&mut path, &mut key, quotes, after_index)?;
                (quotes, after_index) = (false, false);
            }
            '[' if !quoted => {
                end_key(&mut path, &mut key, quotes, after_index)?;
                let digits: String = chars.by_ref().take_while(|&c| c != ']').collect();
                path.push(Segment::Index(digits.trim().parse().map_err(|_| "a list index is not a number")?));
                (quotes, after_index) = (false, true);
            }
            c => key.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed");
    }
    end_key(&mut path, &mut key, quotes, after_index)?;
    Ok(path)
}

/// Ends the key being read: an empty one is a mistake unless it was quoted (`""`) or follows
/// an index (the end of `list[0]`, or `list[0].x`).
fn end_key(path: &mut ValuePath, key: &mut String, quoted: bool, after_index: bool) -> Result<(), &'static str> {
    if !key.is_empty() || quoted {
        path.push(Segment::Key(std::mem::take(key)));
    } else if !after_index {
        return Err("a key in the path is empty");
    }
    Ok(())
}

/// Splits a key path as users write it (`hldc set`, `diff --redact`): dots separate keys,
/// double quotes keep dots inside a key (`annotations."sidecar.istio.io/inject"`), `\` escapes
/// one character. With `stop`, the path ends at the first unquoted `stop` and the text after it
/// is returned too (`None` when there is no `stop`).
pub fn split_dotted(text: &str, stop: Option<char>) -> Result<(Vec<String>, Option<&str>), &'static str> {
    let empty = "a key in the path is empty";
    let mut keys = Vec::new();
    let mut key = String::new();
    let mut quoted = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => key.extend(chars.next().map(|(_, c)| c)),
            '"' => quoted = !quoted,
            '.' if !quoted => keys.push(Some(std::mem::take(&mut key)).filter(|k| !k.is_empty()).ok_or(empty)?),
            c if !quoted && Some(c) == stop => {
                keys.push(Some(std::mem::take(&mut key)).filter(|k| !k.is_empty()).ok_or(empty)?);
                return Ok((keys, Some(&text[i + c.len_utf8()..])));
            }
            c => key.push(c),
        }
    }
    keys.push(Some(key).filter(|k| !k.is_empty()).ok_or(empty)?);
    Ok((keys, None))
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
    fn line_table_offsets_agree_with_scanning_the_text() {
        for text in ["a: 1\nbb: 22\n\nc: 3", "é: x\n  ü: ñé\r\nlast", "", "\n\n", "k: v\n"] {
            let file = SourceFile::new("t.yaml", text);
            let lines = Lines::new(text);
            for line in 0..6 {
                for column in 0..8 {
                    assert_eq!(lines.offset(line, column), file.offset_of(line, column), "{text:?} {line}:{column}");
                }
            }
        }
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
    fn nodes_inside_a_complex_key_are_not_taken_for_top_level_values() {
        let text = "name: real\n? {name: inner}\n: v\n";
        assert_eq!(spans(text, &[key("name")]).1, "t.yaml:1:7");
    }

    #[test]
    fn plain_scalars_are_told_from_quoted_ones() {
        let file = SourceFile::new("t.yaml", "a: on\nb: \"on\"\nc: 'on'\nd: |\n  on\ne: [on]\nf: {g: 1}\n");
        let doc = parse_one(&file).unwrap();
        let plain: Vec<&str> =
            ["a", "b", "c", "d", "f"].into_iter().filter(|k| doc.positions().is_plain(&[key(k)])).collect();
        assert_eq!(plain, ["a"]);
        assert!(doc.positions().is_plain(&[key("e"), Segment::Index(0)]));
    }

    #[test]
    fn positions_are_unknown_when_the_position_parser_cannot_follow_the_file() {
        // serde_yaml reads a tab after `:`; yaml-rust2 refuses it.
        let file = SourceFile::new("t.yaml", "x: 1\na:\t1\n");
        let doc = parse_one(&file).unwrap();
        assert!(matches!(doc.positions(), Positions::Unknown));
        assert_eq!(doc.positions().value_span(&[key("a")]), None);
        // Said explicitly: the whole file, not a made-up span in it.
        assert_eq!(doc.value_location(&[key("a")]).display(), "t.yaml:1:1");
        assert!(!doc.positions().is_plain(&[key("a")]));
    }

    #[test]
    fn an_empty_document_is_at_the_start_of_its_file() {
        let doc = parse_one(&SourceFile::new("e.yaml", "")).unwrap();
        assert_eq!(doc.positions().value_span(&[]), Some(0..0));
        assert_eq!(doc.positions().value_span(&[key("a")]), Some(0..0));
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
    fn deep_flow_nesting_is_refused_at_once_even_behind_brackets_in_strings() {
        for level in ["[", "[\"]\", ", "{a: "] {
            let close = if level.starts_with('{') { "}" } else { "]" };
            let text = format!("a: {}[]{}\n", level.repeat(100_000), close.repeat(100_000));
            let problem = parse_all(&SourceFile::new("deep.yaml", text)).unwrap_err();
            assert!(problem.message.contains("nests too deeply"), "{level}: {}", problem.message);
        }
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let file = SourceFile::new("dup.yaml", "a: 1\nb: 2\na: 3\n");
        let problem = parse_one(&file).unwrap_err();
        assert!(problem.message.contains("duplicate"), "{}", problem.message);
        assert!(problem.where_().unwrap().starts_with("dup.yaml:3:"), "{:?}", problem.where_());
    }

    #[test]
    fn merge_keys_merge_and_a_bad_one_is_an_error_at_it() {
        let doc = parse_one(&SourceFile::new("m.yaml", "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")).unwrap();
        assert_eq!(doc.value["c"], serde_yaml::from_str::<Value>("{x: 1, y: 2}").unwrap());
        let problem = parse_one(&SourceFile::new("m.yaml", "a: 1\nc:\n  <<: 3\n")).unwrap_err();
        assert_eq!(problem.code, "hldc::yaml::merge");
        assert_eq!(problem.where_().unwrap(), "m.yaml:3:3");
    }

    #[test]
    fn empty_documents_are_dropped() {
        let file = SourceFile::new("m.yaml", "---\n---\na: 1\n---\n# only a comment\n");
        assert_eq!(parse_all(&file).unwrap().len(), 1);
        assert!(parse_one(&SourceFile::new("e.yaml", "")).unwrap().value.is_null());
    }
}
