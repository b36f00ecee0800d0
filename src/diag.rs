//! Diagnostics: every problem hldc reports, with the file and span it is about and a hint.
//!
//! Stages return `Problem`s instead of printing, so one run can report many of them and
//! `validate --output json` can list them for tools. Only `report` turns them into text.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

/// The text of one input file, kept so that diagnostics can quote it.
#[derive(Debug)]
pub struct SourceFile {
    source: NamedSource<String>,
}

/// Shared handle on a loaded file; cheap to clone into every value and problem that points at it.
pub type Source = Arc<SourceFile>;

impl SourceFile {
    /// `name` is the path shown to users: relative to the HLD root, with `/` separators.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let name = name.into();
        Arc::new(SourceFile { source: NamedSource::new(name, text.into()).with_language("yaml") })
    }

    pub fn name(&self) -> &str {
        self.source.name()
    }

    pub fn text(&self) -> &str {
        self.source.inner()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// Byte offset of a 1-based line and 0-based character column; clamps to the text.
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let text = self.text();
        let mut line_start = 0;
        for _ in 1..line.max(1) {
            match text[line_start..].find('\n') {
                Some(i) => line_start += i + 1,
                None => return text.len(),
            }
        }
        let line_text = &text[line_start..];
        let line_end = line_text.find('\n').unwrap_or(line_text.len());
        line_start + line_text[..line_end].char_indices().nth(char_col).map_or(line_end, |(i, _)| i)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A span inside a loaded file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Source,
    pub span: Range<usize>,
}

impl Location {
    pub fn new(file: &Source, span: Range<usize>) -> Location {
        Location { file: file.clone(), span }
    }

    /// The whole-file location used when no finer span is known (e.g. an empty file).
    pub fn file_start(file: &Source) -> Location {
        Location { file: file.clone(), span: 0..0 }
    }

    /// `file:line:column`, the form editors and CI logs link to.
    pub fn display(&self) -> String {
        let (line, col) = self.file.line_col(self.span.start);
        format!("{}:{line}:{col}", self.file.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One reportable problem: what went wrong, where, and how to fix it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub level: Level,
    /// Stable machine-readable identifier, e.g. `hldc::config::unknown-environment`.
    pub code: &'static str,
    pub message: String,
    pub location: Option<Location>,
    /// Text under the caret at `location`.
    pub label: Option<String>,
    /// A path the problem is about when there is no text to point into (a missing file).
    pub path: Option<String>,
    pub help: Option<String>,
    /// Further places involved (the other side of a duplicate, say).
    pub related: Vec<Problem>,
    /// Captured output of a failing tool (helm's stderr), shown verbatim.
    pub detail: Option<String>,
}

impl Problem {
    pub fn error(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            level: Level::Error,
            code,
            message: message.into(),
            location: None,
            label: None,
            path: None,
            help: None,
            related: Vec::new(),
            detail: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Problem {
        Problem { level: Level::Warning, ..Problem::error(code, message) }
    }

    pub fn at(mut self, location: Location) -> Problem {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Problem {
        self.location = location;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = Some(label.into());
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Problem {
        self.path = Some(path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, other: Problem) -> Problem {
        self.related.push(other);
        self
    }

    /// Adds captured tool output; empty output adds nothing.
    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        let detail = detail.into();
        self.detail = (!detail.trim().is_empty()).then_some(detail);
        self
    }

    /// The same problem, reported as a warning (for checks that do not stop this command).
    pub fn into_warning(mut self) -> Problem {
        self.level = Level::Warning;
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `file:line:column` (or the bare path) this problem is about, if any.
    pub fn where_(&self) -> Option<String> {
        self.location.as_ref().map(Location::display).or_else(|| self.path.clone())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        // The graphical report shows the location in its snippet header; a location without a
        // snippet (a missing file) is added to the message so it is never lost.
        if self.location.is_none() {
            if let Some(path) = &self.path {
                write!(f, "\n  at {path}")?;
            }
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n\n{}", detail.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.location.as_ref().map(|l| &l.file.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.location.as_ref()?;
        let span = location.span.start..location.span.end.max(location.span.start);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(self.label.clone(), span.start..span.end))))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// The outcome of a stage that can fail with several problems at once.
pub type Outcome<T> = Result<T, Vec<Problem>>;

/// Collects warnings (and, for stages that go on after an error, errors) during a run.
#[derive(Debug, Default)]
pub struct Problems {
    items: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.items.push(problem);
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        self.items.extend(problems);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Problem::is_error)
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.items
    }

    /// Ends a stage: `Ok(value)` unless an error was collected.
    pub fn finish<T>(self, value: T) -> Outcome<(T, Problems)> {
        if self.has_errors() {
            Err(self.items)
        } else {
            Ok((value, self))
        }
    }
}

/// Renders problems for people: miette's graphical report, without colour when not on a terminal.
pub fn render(problem: &Problem, color: bool) -> String {
    let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, problem).is_err() {
        out = format!("{}: {problem}", problem.code);
    }
    out
}
