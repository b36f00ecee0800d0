//! A set of Go templates as Helm builds one: every file of a chart parsed into one namespace
//! (a later `define` replaces an earlier one), executed with Go's `text/template` semantics
//! and Helm's options (`missingkey=zero`, `include`, `tpl`).
//!
//! Parsing is gotmpl's; this module checks what Go's parser checks and gotmpl does not (every
//! function exists), and records which functions and methods the templates call, so a caller
//! can tell before rendering whether it supports a chart.

mod call;
mod context;
mod mend;
mod scan;
mod walk;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::rc::Rc;

use gotmpl::parse::{ListNode, Parser};

use super::builtins;
use super::value::Value;
use super::Functions;

/// The name Helm gives the template set (and every `tpl` template): Go's errors name it.
const SET_NAME: &str = "gotpl";

/// How deeply templates may call templates (`template`, `include`, `tpl` together). Go allows
/// 100000 `template` levels and Helm 1000 `include`s of one name; hldc renders untrusted charts
/// on threads with ordinary stacks, so it stops a runaway recursion well before the stack does.
const MAX_DEPTH: usize = 300;

/// How many nodes a run may walk (range iterations count too), and how long a template's
/// output or a function's string may grow: Go sets no bound, a chart needs thousands of
/// steps and a few hundred KiB; an endless `range` or a doubling string meets one of these.
const MAX_STEPS: u64 = 10_000_000;
const MAX_OUTPUT: usize = 64 << 20;

/// The stack a run may use, whatever its nesting: a debug build takes about 7 KiB per
/// template level, so a 2 MiB thread stack (Rust's default) holds a run with room to spare.
const STACK_BUDGET: usize = 1 << 20;

/// An error Go or Helm would report, in its words:
/// `template: NAME:LINE:COL: executing "NAME" at <.Values.a.b>: nil pointer evaluating interface {}.b`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub message: String,
}

impl TemplateError {
    fn new(message: impl Into<String>) -> TemplateError {
        TemplateError { message: message.into() }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// One template: a file's body or a `define`.
struct Template {
    /// What `template`/`include` call it, and what `executing "…"` names.
    name: String,
    /// The file it was parsed from (Go's ParseName), for `NAME:LINE:COL`.
    parse_name: Rc<str>,
    /// That file's text, to turn byte offsets into lines and columns and to quote literals.
    source: Rc<str>,
    body: ListNode,
}

/// Templates parsed together, sharing their definitions, with the functions they may call.
pub struct TemplateSet {
    templates: HashMap<String, Rc<Template>>,
    functions: Rc<Functions>,
    functions_used: BTreeSet<String>,
    methods_used: BTreeSet<String>,
}

impl TemplateSet {
    /// A set whose templates may call `functions` and Go's builtins (plus Helm's `include` and
    /// `tpl`); a function in `functions` replaces a builtin of the same name, as in Go.
    pub fn new(functions: Functions) -> TemplateSet {
        let mut all = builtins::functions();
        all.extend(functions);
        TemplateSet {
            templates: HashMap::new(),
            functions: Rc::new(all),
            functions_used: BTreeSet::new(),
            methods_used: BTreeSet::new(),
        }
    }

    /// Parses `source` as the template `name`; its `define`s join the set, replacing earlier
    /// ones of the same name (Go's AddParseTree: an empty body never replaces a non-empty one).
    /// An unknown function is an error here, as in Go's parser; the functions and methods the
    /// source calls are recorded even then.
    pub fn parse(&mut self, name: &str, source: &str) -> Result<(), TemplateError> {
        let parsed = parse_templates(name, name, source, &self.functions, |used| {
            self.functions_used.extend(used.functions.iter().cloned());
            self.methods_used.extend(used.methods.iter().cloned());
        })?;
        for template in parsed {
            self.add(template);
        }
        Ok(())
    }

    fn add(&mut self, template: Template) {
        let keep_old = template.body.is_empty_tree() && self.templates.contains_key(&template.name);
        if !keep_old {
            self.templates.insert(template.name.clone(), Rc::new(template));
        }
    }

    /// Executes the template `name` on `data`. Missing values print `<no value>`, which Helm
    /// removes from a rendered file (not from `include`'s result).
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, TemplateError> {
        let template = self.templates.get(name).cloned().ok_or_else(|| {
            TemplateError::new(format!(
                "template: no template {} associated with template {}",
                quoted(name),
                quoted(SET_NAME)
            ))
        })?;
        let mut run = walk::Run::new(self);
        let mut out = String::new();
        run.execute(template, data.clone(), &mut out)?;
        Ok(out)
    }

    /// Every function name the parsed templates call (builtins included).
    pub fn functions_used(&self) -> BTreeSet<String> {
        self.functions_used.clone()
    }

    /// Every field or method name called with arguments (`.Files.Get "x"`), or read from the
    /// result of a call or a parenthesized pipeline (`(.Files.Glob "x").AsConfig`): what a
    /// template asks of Go objects beyond reading map keys. Best effort: the parser cannot
    /// tell a map from an object.
    pub fn methods_used(&self) -> BTreeSet<String> {
        self.methods_used.clone()
    }

    fn lookup(&self, name: &str) -> Option<Rc<Template>> {
        self.templates.get(name).cloned()
    }
}

/// Parses `source` (from the file `parse_name`) into its templates: the body named `name`,
/// then its `define`s. `record` sees what the source calls before the unknown-function check.
fn parse_templates(
    name: &str,
    parse_name: &str,
    source: &str,
    functions: &Functions,
    record: impl FnOnce(&scan::Used),
) -> Result<Vec<Template>, TemplateError> {
    let (mended, mended_at) = mend::mend(source);
    let parser =
        Parser::with_name(Some(parse_name), &mended, "{{", "}}").map_err(|error| parse_error(parse_name, error))?;
    let (mut body, mut defines) = parser.parse().map_err(|error| parse_error(parse_name, error))?;
    mend::drop_mended(&mut body, &mended_at);
    for define in &mut defines {
        mend::drop_mended(&mut define.body, &mended_at);
    }
    let used = scan::scan(&body, &defines);
    record(&used);
    let unknown_function = used
        .calls
        .iter()
        .find(|(function, _)| !functions.contains_key(function.as_str()))
        .map(|(function, line)| (*line, format!("function {} not defined", quoted(function))));
    let undefined_variable = used
        .undefined
        .iter()
        .map(|(variable, line)| (*line, format!("undefined variable {}", quoted(variable))))
        .next();
    let misplaced = mend::misplaced_keyword(source);
    let first = [misplaced, unknown_function, undefined_variable].into_iter().flatten().min_by_key(|(line, _)| *line);
    if let Some((line, message)) = first {
        return Err(TemplateError::new(format!("template: {parse_name}:{line}: {message}")));
    }
    let parse_name: Rc<str> = parse_name.into();
    let source: Rc<str> = source.into();
    let template =
        |name: String, body: ListNode| Template { name, parse_name: parse_name.clone(), source: source.clone(), body };
    let mut templates = vec![template(name.to_string(), body)];
    templates.extend(defines.into_iter().map(|define| template(define.name.to_string(), define.body)));
    Ok(templates)
}

/// gotmpl's parse error in Go's words: `template: NAME:LINE: message` (Go's parser gives no
/// column).
fn parse_error(parse_name: &str, error: gotmpl::TemplateError) -> TemplateError {
    match error {
        gotmpl::TemplateError::Parse { line, message, .. } | gotmpl::TemplateError::Lex { line, message, .. } => {
            TemplateError::new(format!("template: {parse_name}:{line}: {message}"))
        }
        other => TemplateError::new(format!("template: {parse_name}: {other}")),
    }
}

fn quoted(text: &str) -> String {
    super::fmt::quote(text)
}

#[cfg(test)]
mod tests;
