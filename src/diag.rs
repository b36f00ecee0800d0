//! Diagnostics: every problem hldc reports, with the file and span it is about and a hint.
//!
//! Stages return `Problem`s instead of printing, so one run can report many of them and
//! `validate --output json` can list them for tools. Only `report` turns them into text.

use std::fmt::{self, Write as _};
use std::ops::Range;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, Severity, SourceCode, ThemeStyles,
};

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
    /// The path of the component the problem is about, when it is about one's output or
    /// config: what `hldc.yaml`'s `diagnostics.components` rules match.
    pub component: Option<String>,
}

impl Problem {
    /// File, line and column; a problem about a path has no line.
    pub fn position(&self) -> (Option<String>, Option<usize>, Option<usize>) {
        match &self.location {
            Some(location) => {
                let (line, column) = location.file.line_col(location.span.start);
                (Some(location.file.name().to_string()), Some(line), Some(column))
            }
            None => (self.path.clone(), None, None),
        }
    }

    /// The problem as one entry of a `--output json` document's `diagnostics`.
    pub fn to_json(&self) -> serde_json::Value {
        let (file, line, column) = self.position();
        serde_json::json!({
            "level": self.level,
            "code": self.code,
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "help": self.help,
        })
    }

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
            component: None,
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

    pub fn component(mut self, path: impl Into<String>) -> Problem {
        self.component = Some(path.into());
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
    /// The plain head of the report: see `Problem::write_head`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_head(f, &ThemeStyles::none())
    }
}

impl std::error::Error for Problem {}

impl Problem {
    /// `error[code]: message` (or `warning[...]`) on one unwrapped line, as rustc does, so that
    /// `grep '^error\['` finds every error in a CI log. Only the code is styled: colour codes
    /// before the level would hide it from that grep. Then the path of a problem with no snippet
    /// (a missing file), and the captured tool output, in the margin so none of its lines (helm
    /// writes `Error: ...`) looks like one of ours.
    fn write_head(&self, f: &mut impl fmt::Write, styles: &ThemeStyles) -> fmt::Result {
        let (level, style) = match self.level {
            Level::Error => ("error", styles.error),
            Level::Warning => ("warning", styles.warning),
        };
        write!(f, "{level}[{}]: {}", style.style(self.code), visible(&self.message))?;
        if self.location.is_none() {
            if let Some(path) = &self.path {
                write!(f, "\n  at {}", visible(path))?;
            }
        }
        if let Some(detail) = &self.detail {
            for line in std::iter::once("").chain(detail.trim_end().lines()) {
                write!(f, "\n{}", format!("  │ {}", visible(line)).trim_end())?;
            }
        }
        Ok(())
    }
}

/// What miette draws of a problem: the snippet with its label, and the help. The head is ours
/// (`Problem::write_head`), and related problems are drawn as notes by `render`.
#[derive(Debug)]
struct Body<'a>(&'a Problem);

impl fmt::Display for Body<'_> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Body<'_> {}

impl Diagnostic for Body<'_> {
    fn severity(&self) -> Option<Severity> {
        Some(match self.0.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help.as_deref().map(|h| Box::new(visible(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.location.as_ref().map(|l| &l.file.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.0.location.as_ref()?;
        let span = location.span.start..location.span.end.max(location.span.start);
        let label = self.0.label.as_deref().map(visible);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(label, span))))
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

/// `text` with every character that moves the cursor to another line, changes the terminal's
/// state or reorders what is shown written as `\u{..}`: C0 and C1 controls but the tab
/// (newlines, the ESC of ANSI sequences), bidirectional overrides and invisible format
/// characters. A backslash stays as it is, so the escapes YAML already wrote in a diff line
/// read the same. Every text a problem or `diff` prints goes through it: a name from the HLD
/// holding a newline cannot fake a line of output (an `error[...]` line, or a CI system's
/// `::command::` line), nor an escape sequence drive the terminal.
pub fn visible(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
        out
    })
}

/// Renders a problem for people: our head line, then miette's snippet and help; each related
/// problem (the other side of a duplicate) follows as a `note:` with its own snippet, so that
/// only real problems start a line with `error` or `warning`. No colour unless asked.
pub fn render(problem: &Problem, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme.clone()).with_width(100);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = problem.write_head(&mut out, &theme.styles);
    out.push('\n');
    out.push_str(&body(&handler, problem));
    for related in &problem.related {
        let _ = writeln!(out, "  {}: {}", theme.styles.help.style("note"), visible(&related.message));
        out.push_str(&body(&handler, related));
    }
    out
}

fn body(handler: &GraphicalReportHandler, problem: &Problem) -> String {
    let mut out = String::new();
    if handler.render_report(&mut out, &Body(problem)).is_err() {
        return String::new();
    }
    // miette always starts with the message, which is empty here: it is in the head line.
    out.split_once('\n').map_or(String::new(), |(_, rest)| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate() -> Problem {
        let file = SourceFile::new("config/prod.yaml", "namespace: web\nconfig:\n  debug: on\n");
        Problem::error("hldc::test::thing", "`thing` is wrong")
            .at(Location::new(&file, 15..21))
            .label("here")
            .help("fix `thing`")
            .related(Problem::warning("hldc::test::thing", "first `thing`").at(Location::new(&file, 0..9)))
    }

    #[test]
    fn a_report_starts_with_its_level_code_and_message_then_quotes_the_file() {
        insta::assert_snapshot!(render(&duplicate(), false), @r"
        error[hldc::test::thing]: `thing` is wrong
           ╭─[config/prod.yaml:2:1]
         1 │ namespace: web
         2 │ config:
           · ───┬──
           ·    ╰── here
         3 │   debug: on
           ╰────
          help: fix `thing`
          note: first `thing`
           ╭─[config/prod.yaml:1:1]
         1 │ namespace: web
           · ─────────
         2 │ config:
           ╰────
        ");
    }

    #[test]
    fn only_the_first_line_starts_with_the_level_with_or_without_colour() {
        let long = "x".repeat(300);
        let problems = [
            duplicate(),
            Problem::warning("hldc::test::long", long.clone()).path("a/b.yaml"),
            Problem::error("hldc::test::tool", "helm failed").detail("Error: bad chart\n\nwarning: and more\n"),
        ];
        for color in [false, true] {
            for problem in &problems {
                let text = render(problem, color);
                let level = if problem.is_error() { "error[" } else { "warning[" };
                assert!(text.starts_with(level), "{text}");
                let starts = text.lines().filter(|l| l.starts_with("error") || l.starts_with("warning")).count();
                assert_eq!(starts, 1, "{text}");
                assert_eq!(text.contains('\u{1b}'), color, "{text}");
            }
        }
        let plain = render(&problems[1], false);
        assert_eq!(plain, format!("warning[hldc::test::long]: {long}\n  at a/b.yaml\n"));
        let tool = render(&problems[2], false);
        assert_eq!(
            tool,
            "error[hldc::test::tool]: helm failed\n  │\n  │ Error: bad chart\n  │\n  │ warning: and more\n"
        );
    }
}
