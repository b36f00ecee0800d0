//! The one output layer: a command's result printed as people or tools asked for it, and its
//! problems on stderr.

use std::collections::{BTreeMap, BTreeSet};

use crate::cli::{DiffFormat, OutputFormat, TraceFormat};
use crate::diag::{self, Problem};
use crate::diagnostics::Policy;
use crate::settings::{Settings, Verbosity};

/// How a result is printed: every command's `--output` means one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Markdown,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Format {
        match format {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
        }
    }
}

impl From<TraceFormat> for Format {
    fn from(format: TraceFormat) -> Format {
        match format {
            TraceFormat::Text => Format::Human,
            TraceFormat::Json => Format::Json,
        }
    }
}

impl From<DiffFormat> for Format {
    fn from(format: DiffFormat) -> Format {
        match format {
            DiffFormat::Human => Format::Human,
            DiffFormat::Json => Format::Json,
            DiffFormat::Markdown => Format::Markdown,
        }
    }
}

/// A command's result: it knows its text for people and its JSON for tools.
pub trait Printable {
    /// Prints the result for people: its data on stdout, its status lines on stderr.
    fn human(&self, settings: &Settings);

    /// The result as one JSON document.
    fn json(&self) -> String;

    /// The result as markdown (for a pull request comment); its text for people unless it has
    /// markdown of its own.
    fn markdown(&self, settings: &Settings) {
        self.human(settings);
    }
}

pub fn print(result: &impl Printable, format: Format, settings: &Settings) {
    match format {
        Format::Human => result.human(settings),
        Format::Json => println!("{}", result.json()),
        Format::Markdown => result.markdown(settings),
    }
}

/// One `--output json` document: `ok`, the command's own fields, then every diagnostic.
pub fn json_report(ok: bool, mut fields: serde_json::Map<String, serde_json::Value>, problems: &[Problem]) -> String {
    fields.insert("ok".into(), ok.into());
    fields.insert("diagnostics".into(), problems.iter().map(Problem::to_json).collect());
    serde_json::to_string_pretty(&fields).unwrap_or_default()
}

/// Prints problems to stderr: every error; the warnings unless `-q`, and without `-v` each code
/// once per component, with how many more like it there are (ten objects of an API version the
/// default Kubernetes no longer serves make one warning, not ten). Warnings about no component
/// (the tree, the pipeline) are each said: they are about different things.
pub fn report(problems: &[Problem], settings: &Settings) {
    let summarize = settings.verbosity == Verbosity::Normal;
    fn group(problem: &Problem, summarize: bool) -> Option<(&'static str, &str)> {
        problem.component.as_deref().filter(|_| summarize && !problem.is_error()).map(|path| (problem.code, path))
    }
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for key in problems.iter().filter_map(|problem| group(problem, summarize)) {
        *counts.entry(key).or_default() += 1;
    }
    let mut said = BTreeSet::new();
    for problem in problems {
        let key = group(problem, summarize);
        if !problem.is_error() && settings.verbosity == Verbosity::Quiet || key.is_some_and(|key| !said.insert(key)) {
            continue;
        }
        eprint!("{}", diag::render(problem, settings.color));
        let more = key.and_then(|key| counts.get(&key)).map_or(0, |count| count - 1);
        if more > 0 {
            eprintln!("  … and {more} more like it (`-v` shows each)");
        }
    }
}

/// Judges warnings by the run's `policy` (`diagnostics.rs`), then reports them; a denied one
/// stops the command: it is returned with the others, for `lib.rs` to print with exit code 2.
pub fn warn(warnings: Vec<Problem>, policy: &Policy, settings: &Settings) -> Result<(), Vec<Problem>> {
    report(&policy.judge(warnings)?, settings);
    Ok(())
}
