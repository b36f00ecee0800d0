//! `hldc diff`: compiles in memory and compares, object by object, with the output directory
//! or with the HLD at a git ref. Writes nothing (the source cache aside): not the output, not
//! hldc.lock, and never the user's checkout, index or branches.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::compile::{self, CompileOptions};
use crate::diag::{visible, Problem};
use crate::diff::{self, Comparison, Noise};
use crate::fetch::FetchOptions;
use crate::localgit;
use crate::model::environments::Environments;
use crate::previous;
use crate::settings::Settings;
use crate::sources::Sources;

/// What the compile is compared with.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// `generated/<target>/` under this directory, as `generate` wrote it.
    Output(PathBuf),
    /// The HLD as it is at this git ref, compiled too.
    Ref(String),
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// How to compile; its environments are replaced by each target's.
    pub compile: CompileOptions,
    /// Only these clusters of an environment with clusters (all when empty), as `generate`.
    pub clusters: Vec<String>,
    /// Check the compiled objects as `generate` does: a change `generate` would refuse is an
    /// error here too, not a diff that looks fine.
    pub check: bool,
    pub baseline: Baseline,
    pub noise: Noise,
}

/// One target's comparison.
#[derive(Debug)]
pub struct TargetDiff {
    pub name: String,
    pub comparison: Comparison,
}

#[derive(Debug)]
pub struct DiffReport {
    pub targets: Vec<TargetDiff>,
    pub warnings: Vec<Problem>,
}

/// One output compared: its directory under `generated/` (`prod`, `prod/east-us`) and what
/// compiles it.
struct Target {
    name: String,
    environments: Environments,
}

/// Compiles every target and compares it with the baseline.
pub fn diff(options: &DiffOptions, settings: &Settings, fetch: &FetchOptions) -> Result<DiffReport, Vec<Problem>> {
    let (sources, mut warnings) = super::remote::open(settings, fetch.clone())?;
    let before = match &options.baseline {
        Baseline::Output(root) => Before::Output(root.clone()),
        Baseline::Ref(reference) => {
            let checkout = RefCheckout::new(sources.hld_root(), reference).map_err(|p| vec![p])?;
            let ref_settings = Settings { hld_root: checkout.hld_root.clone(), ..settings.clone() };
            // Its warnings are the work tree's again, or ones this change fixes.
            let (sources, _) = super::remote::open(&ref_settings, fetch.clone()).map_err(|p| at_ref(p, reference))?;
            Before::Ref { _checkout: checkout, reference: reference.clone(), sources: Box::new(sources) }
        }
    };
    // The targets `generate` would write: the environment, or each of its clusters, compiled
    // from one load of the tree, as `generate` does.
    let project = crate::project::load(&sources)?;
    let all = project.targets(&options.compile.environments, &options.clusters)?;
    let (hld, loaded) = compile::load_for(&project, &all, &sources)?;
    warnings.extend(loaded);
    let mut targets = Vec::new();
    for environments in all {
        let target = Target { name: environments.output_dir(), environments };
        let compile = CompileOptions { environments: target.environments.clone(), ..options.compile.clone() };
        let mut compiled = compile::compile_loaded(&compile, &hld, &project, &target.environments, &sources)?;
        if options.check {
            compile::check_objects(&mut compiled, compile.kube_version)?;
        }
        compile::add_once(&mut warnings, compiled.warnings.drain(..));
        let current = previous::of_rendered(&compiled.components);
        let previous = match &before {
            Before::Output(root) => {
                let display = format!("generated/{}", target.name);
                // As `generate` refuses to write through a link there, `diff` refuses to read
                // through one: the baseline is this output, not files elsewhere.
                crate::emit::check_replaceable(root, Path::new(&display)).map_err(|p| vec![p])?;
                let directory = root.join(&display);
                if !directory.exists() {
                    warnings.push(
                        Problem::warning("hldc::diff::no-output", format!("there is no output directory `{display}`: every object is new"))
                            .help(format!("run `hldc generate` for `{}` first, pass `--out DIR` where it was written, or compare with a git ref (`--against origin/main`)", target.name)),
                    );
                }
                previous::read(&directory, &display).map_err(|p| vec![p])?
            }
            Before::Ref { sources, reference, .. } => {
                let compiled = compile::compile(&compile, sources).map_err(|p| at_ref(p, reference))?;
                previous::of_rendered(&compiled.components)
            }
        };
        targets.push(TargetDiff {
            name: target.name.clone(),
            comparison: diff::compare(&previous, &current, &options.noise),
        });
    }
    Ok(DiffReport { targets, warnings })
}

/// The problems of the HLD at a ref name its files as they are there; one more error says so.
fn at_ref(mut problems: Vec<Problem>, reference: &str) -> Vec<Problem> {
    problems.push(
        Problem::error("hldc::diff::ref-does-not-compile", format!("the HLD at `{reference}` does not compile"))
            .help(format!("the problems above are in the files as they are at `{reference}`; compare with another ref, or leave out `--against`")),
    );
    problems
}

/// Where the objects to compare with come from.
enum Before {
    Output(PathBuf),
    /// The checkout is kept until the comparison is done: `sources` read from it.
    Ref {
        _checkout: RefCheckout,
        reference: String,
        sources: Box<Sources>,
    },
}

/// The files of the repository's tree at a ref, written to a temporary directory that is
/// removed when this is dropped.
struct RefCheckout {
    _dir: tempfile::TempDir,
    hld_root: PathBuf,
}

impl RefCheckout {
    fn new(hld_root: &Path, reference: &str) -> Result<RefCheckout, Problem> {
        let repository = localgit::open(hld_root).map_err(|_| {
            Problem::error(
                "hldc::diff::not-a-repository",
                format!("`--against {reference}` needs the HLD in a git repository, and it is in none"),
            )
            .help("run it in a git checkout, or leave out `--against` to compare with the output directory")
        })?;
        let work_tree = repository.workdir().and_then(|dir| dir.canonicalize().ok()).ok_or_else(|| {
            Problem::error(
                "hldc::diff::not-a-repository",
                "`--against` needs a repository with a work tree, not a bare one",
            )
            .help("run it in a git checkout")
        })?;
        let inside = hld_root.strip_prefix(&work_tree).unwrap_or(Path::new("")).to_path_buf();
        let tree = repository.revparse_single(reference).and_then(|object| object.peel_to_tree()).map_err(|e| {
            Problem::error(
                "hldc::diff::unknown-ref",
                format!("`{reference}` names no commit in the repository: {}", e.message()),
            )
            .help("name a branch, tag or commit, e.g. `origin/main` or `HEAD~1`")
        })?;
        let io_error = |e: String| {
            Problem::error(
                "hldc::diff::checkout",
                format!("cannot write the files of `{reference}` to a temporary directory: {e}"),
            )
            .help("check the free space and permissions of the temporary directory ($TMPDIR)")
        };
        let dir = tempfile::Builder::new().prefix("hldc-diff-").tempdir().map_err(|e| io_error(e.to_string()))?;
        localgit::export_tree(&repository, &tree, dir.path()).map_err(|e| io_error(e.to_string()))?;
        // An empty repository at the top keeps `../` paths between HLDs of one repository working
        // at the ref as in the work tree: local sources may reach as far as the repository holding them.
        git2::Repository::init(dir.path()).map_err(|e| io_error(e.message().to_string()))?;
        let ref_root = dir.path().join(&inside);
        if !ref_root.is_dir() {
            let shown = if inside.as_os_str().is_empty() { ".".to_string() } else { inside.display().to_string() };
            return Err(Problem::error(
                "hldc::diff::no-hld-at-ref",
                format!("the HLD directory `{shown}` does not exist at `{reference}`"),
            )
            .help("compare with a ref that has the HLD, or leave out `--against`"));
        }
        Ok(RefCheckout { _dir: dir, hld_root: ref_root })
    }
}

impl DiffReport {
    pub fn is_identical(&self) -> bool {
        self.targets.iter().all(|target| target.comparison.is_empty())
    }

    /// For a terminal or a pager: each changed object's diff, added and removed objects, then
    /// one summary line per target. `stat` keeps only the summary lines. Every value is printed
    /// `visible`: an object cannot send escape sequences to the terminal or fake a line.
    pub fn human(&self, color: bool, stat: bool) -> String {
        let paint =
            |code: &str, text: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
        let mut out = String::new();
        for target in self.targets.iter().filter(|_| !stat) {
            let comparison = &target.comparison;
            for changed in &comparison.changed {
                let moved = changed
                    .previous_file
                    .as_ref()
                    .map(|from| format!(", moved from {}", visible(from)))
                    .unwrap_or_default();
                let head = format!("changed {} ({}{moved})", visible(&changed.id.display), visible(&changed.file));
                let _ = writeln!(out, "{}", paint("1", &head));
                for line in changed.diff.lines() {
                    let code = match line.chars().next() {
                        Some('+') => "32",
                        Some('-') => "31",
                        Some('@') => "36",
                        _ => "",
                    };
                    let line = visible(line);
                    let _ = writeln!(out, "{}", if code.is_empty() { line } else { paint(code, &line) });
                }
            }
            for (verb, code, entries) in [("added", "32", &comparison.added), ("removed", "31", &comparison.removed)] {
                for entry in entries {
                    let line = format!("{verb} {} ({})", visible(&entry.id.display), visible(&entry.file));
                    let _ = writeln!(out, "{}", paint(code, &line));
                }
            }
        }
        for target in &self.targets {
            let _ = writeln!(out, "{}: {}", visible(&target.name), target.comparison.summary());
        }
        out
    }

    /// For tools: `{"identical", "targets": [{"target", "summary", "changed", "added", "removed"}]}`;
    /// `stat` leaves out the lists. serde_json escapes what JSON needs.
    pub fn json(&self, stat: bool) -> String {
        serde_json::to_string_pretty(&self.json_value(stat)).unwrap_or_default()
    }

    /// `json`'s document as a value, for a command that reports a diff among other things.
    pub fn json_value(&self, stat: bool) -> serde_json::Value {
        let targets: Vec<serde_json::Value> = self
            .targets
            .iter()
            .map(|target| {
                let c = &target.comparison;
                let mut value = serde_json::json!({
                    "target": target.name,
                    "summary": {"changed": c.changed.len(), "added": c.added.len(), "removed": c.removed.len()},
                });
                if !stat {
                    value["changed"] = serde_json::json!(c.changed);
                    value["added"] = serde_json::json!(c.added);
                    value["removed"] = serde_json::json!(c.removed);
                }
                value
            })
            .collect();
        serde_json::json!({"identical": self.is_identical(), "targets": targets})
    }

    /// For a pull request comment: a summary table, then the added and removed objects and a
    /// collapsible section per changed object. `stat` keeps only the table. Every value from
    /// the HLD goes through `markdown_text`, each diff into a fence no line of it can close,
    /// so nothing an object holds can end a table cell, a `<details>` block or the comment's
    /// markup, or open an HTML comment that hides what follows.
    pub fn markdown(&self, stat: bool) -> String {
        let mut out = String::from("| target | changed | added | removed |\n| --- | ---: | ---: | ---: |\n");
        for target in &self.targets {
            let c = &target.comparison;
            let name = markdown_text(&target.name);
            let _ = writeln!(out, "| {name} | {} | {} | {} |", c.changed.len(), c.added.len(), c.removed.len());
        }
        for target in self.targets.iter().filter(|target| !stat && !target.comparison.is_empty()) {
            let comparison = &target.comparison;
            let _ = writeln!(out, "\n### {}", markdown_text(&target.name));
            if !comparison.added.is_empty() || !comparison.removed.is_empty() {
                out.push('\n');
            }
            for (verb, entries) in [("added", &comparison.added), ("removed", &comparison.removed)] {
                for entry in entries {
                    let (id, file) = (markdown_text(&entry.id.display), markdown_text(&entry.file));
                    let _ = writeln!(out, "- {verb} <code>{id}</code> (<code>{file}</code>)");
                }
            }
            for changed in &comparison.changed {
                let moved = changed
                    .previous_file
                    .as_ref()
                    .map(|from| format!(", moved from <code>{}</code>", markdown_text(from)))
                    .unwrap_or_default();
                let summary = format!(
                    "changed <code>{}</code> (<code>{}</code>{moved})",
                    markdown_text(&changed.id.display),
                    markdown_text(&changed.file)
                );
                let _ = write!(out, "\n<details>\n<summary>{summary}</summary>\n\n");
                if !changed.diff.is_empty() {
                    let diff: String = changed.diff.lines().map(|line| format!("{}\n", visible(line))).collect();
                    let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
                    let _ = write!(out, "{fence}diff\n{diff}{fence}\n\n");
                }
                out.push_str("</details>\n");
            }
        }
        out
    }
}

/// A fence longer than any run of backticks in the text, so a diff cannot close it early.
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// `text`, `visible`, with every ASCII character but letters, digits, space, `-`, `.` and `/`
/// written as a numeric character reference: markdown and HTML alike read those as the
/// character itself, never as syntax (no `|` ends a table cell, no `<!--` opens a comment, no
/// backtick, `*` or `[` formats), and the text cannot span lines.
fn markdown_text(text: &str) -> String {
    visible(text).chars().fold(String::new(), |mut out, c| {
        if c.is_ascii_punctuation() && !matches!(c, '-' | '.' | '/') {
            let _ = write!(out, "&#{};", c as u32);
        } else {
            out.push(c);
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_reach_the_terminal_or_the_markup() {
        assert_eq!(visible("a\x1b[31mb\nc\u{202e}d\\e"), "a\\u{1b}[31mb\\u{a}c\\u{202e}d\\e");
        assert_eq!(visible("apps/v1 Deployment web/api"), "apps/v1 Deployment web/api");
        let escaped = markdown_text("</code></summary>| `x` <!-- *y* [z](http://e) &amp;\n\n");
        assert!(escaped.chars().all(|c| c.is_ascii_alphanumeric() || " &#;-./".contains(c)), "{escaped}");
        assert_eq!(markdown_text("v1 ConfigMap web/a-b.c"), "v1 ConfigMap web/a-b.c");
        assert_eq!(markdown_text("<!--"), "&#60;&#33;--");
    }
}
