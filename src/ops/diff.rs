//! `hldc diff`: compiles in memory and compares, object by object, with the output directory
//! or with the HLD at a git ref. Writes nothing (the source cache aside): not the output, not
//! hldc.lock, and never the user's checkout, index or branches.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::compile::{self, CompileOptions, Stamping};
use crate::diag::{visible, Problem};
use crate::diff::{self, Comparison, Files, Noise};
use crate::fetch::FetchOptions;
use crate::localgit;
use crate::model::environments::Environments;
use crate::previous;
use crate::settings::Settings;
use crate::trace::git::HldGit;

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

/// One output compared: its directory under `generated/` (`prod`, `prod/east-us`), or one that
/// `generate` would delete (`gone`: a cluster no longer in hldc.yaml, the layout from before
/// the environment had clusters).
#[derive(Debug)]
pub struct TargetDiff {
    pub name: String,
    pub gone: bool,
    pub comparison: Comparison,
}

#[derive(Debug)]
pub struct DiffReport {
    pub targets: Vec<TargetDiff>,
    /// Files beside the manifests that change too (`hydrator.metadata`, the trace records):
    /// they follow every HLD commit, so they are listed but decide nothing.
    pub metadata: Vec<String>,
    pub warnings: Vec<Problem>,
}

/// Runs what `generate` would run, in memory, and compares the files it would write with the
/// files it would replace: those of the output directory, or those `generate` gives at the ref
/// (written to a temporary directory, which then plays the previous output for the stamps).
pub fn diff(options: &DiffOptions, settings: &Settings, fetch: &FetchOptions) -> Result<DiffReport, Vec<Problem>> {
    let (sources, mut warnings) = super::remote::open(settings, fetch.clone())?;
    // Kept until the comparison is done: the ref's output lives in its temporary directory.
    let (out_root, at_ref) = match &options.baseline {
        Baseline::Output(root) => (root.clone(), None),
        Baseline::Ref(reference) => {
            let output = RefOutput::generate(options, sources.hld_root(), reference, settings, fetch)?;
            (output.root().to_path_buf(), Some(output))
        }
    };
    let project = crate::project::load(&sources)?;
    let targets = project.targets(&options.compile.environments, &options.clusters)?;
    let generated = out_root.join("generated");
    // What `generate` replaces: the environment's whole directory, or each named cluster's.
    let replaced: Vec<String> = if options.clusters.is_empty() {
        vec![options.compile.environments.output_dir()]
    } else {
        targets.iter().map(Environments::output_dir).collect()
    };
    let records_dir = Path::new(crate::model::record::DIRECTORY).join(options.compile.environments.environment_dir());
    // As `generate` refuses to write through a link, `diff` refuses to read through one: the
    // baseline is this output, not files elsewhere.
    crate::emit::check_real_directories(&out_root, &records_dir).map_err(|p| vec![p])?;
    let mut before = BTreeMap::new();
    for directory in &replaced {
        let display = format!("generated/{directory}");
        crate::emit::check_replaceable(&out_root, Path::new(&display)).map_err(|p| vec![p])?;
        if at_ref.is_none() && !generated.join(directory).exists() {
            warnings.push(
                Problem::warning("hldc::diff::no-output", format!("there is no output directory `{display}`: every object is new"))
                    .help(format!("run `hldc generate` for `{directory}` first, pass `--out DIR` where it was written, or compare with a git ref (`--against origin/main`)")),
            );
        }
        let files = previous::read_files(&generated.join(directory), &display).map_err(|p| vec![p])?;
        before.extend(files.into_iter().map(|(file, bytes)| (format!("{directory}/{file}"), bytes)));
    }
    // The same stamping as `generate`'s: the previous output keeps unchanged objects' stamps,
    // and changes to hldc's own output are not the HLD's.
    let default_root = settings.hld_root.clone();
    let written_root = match &options.baseline {
        Baseline::Output(root) => root.clone(),
        Baseline::Ref(_) => default_root,
    };
    let excluded = vec![written_root.join("generated"), written_root.join(crate::model::record::DIRECTORY)];
    let stamping = Stamping::new(sources.hld_root(), excluded, &out_root);
    let mut after = BTreeMap::new();
    let collect = |target: &Environments, files: crate::emit::OutputFiles| {
        let directory = target.output_dir();
        after.extend(files.into_iter().map(|(file, text)| (format!("{directory}/{file}"), text.into_bytes())));
        Ok(())
    };
    let checked = compile::compile_targets(
        &options.compile,
        &project,
        targets,
        &sources,
        options.check,
        Some(&stamping),
        collect,
    )?;
    // Why `generate` would stamp no commit is its warning to give: the stamps it means show here.
    warnings.extend(checked.warnings.into_iter().filter(|warning| warning.code != "hldc::trace::no-commit"));
    let written: Vec<String> = checked.targets.iter().map(Environments::output_dir).collect();
    let mut groups: BTreeMap<(bool, String), [Files; 2]> =
        written.iter().map(|target| ((false, target.clone()), Default::default())).collect();
    let mut hydrator: [Files; 2] = Default::default();
    for (side, files) in [before, after].into_iter().enumerate() {
        for (path, bytes) in files {
            let (group, file) = group_of(&path, &written);
            if file == crate::trace::hydrator::FILE {
                hydrator[side].insert(format!("generated/{path}"), bytes);
            } else {
                groups.entry(group).or_default()[side].insert(file, bytes);
            }
        }
    }
    let mut diffs = Vec::new();
    for ((gone, name), [before, after]) in groups {
        let comparison =
            diff::compare_files(&before, &after, &format!("generated/{name}"), &options.noise).map_err(|p| vec![p])?;
        diffs.push(TargetDiff { name, gone, comparison });
    }
    let [before, after] = hydrator;
    let mut metadata: Vec<String> =
        before.keys().chain(after.keys()).filter(|path| before.get(*path) != after.get(*path)).cloned().collect();
    let whole = options.clusters.is_empty().then(|| options.compile.environments.environment_dir());
    for (path, text) in crate::trace::record_files(&out_root, &checked.records, whole.as_deref()) {
        if std::fs::read(&path).ok() != text.map(String::into_bytes) {
            metadata.push(path.strip_prefix(&out_root).unwrap_or(&path).to_string_lossy().replace('\\', "/"));
        }
    }
    metadata.sort();
    metadata.dedup();
    Ok(DiffReport { targets: diffs, metadata, warnings })
}

/// The target a file of the output belongs to and its path there: the target whose directory
/// holds it, else (`gone`) the directory `generate` would delete with it: the first directory
/// under the one replaced, or that directory itself for its own files.
fn group_of(path: &str, targets: &[String]) -> ((bool, String), String) {
    if let Some(target) =
        targets.iter().filter(|target| path.starts_with(&format!("{target}/"))).max_by_key(|t| t.len())
    {
        return ((false, target.clone()), path[target.len() + 1..].to_string());
    }
    let mut holder = targets.iter().filter_map(|target| target.rsplit_once('/').map(|(environment, _)| environment));
    let replaced = holder.find(|environment| path.starts_with(&format!("{environment}/"))).unwrap_or("");
    let rest = path.strip_prefix(&format!("{replaced}/")).unwrap_or(path);
    match rest.split_once('/') {
        Some((directory, file)) if !replaced.is_empty() => {
            ((true, format!("{replaced}/{directory}")), file.to_string())
        }
        _ => ((true, replaced.to_string()), rest.to_string()),
    }
}

/// The problems of the HLD at a ref name its files as they are there; one more error says so.
fn at_ref(mut problems: Vec<Problem>, reference: &str) -> Vec<Problem> {
    problems.push(
        Problem::error("hldc::diff::ref-does-not-compile", format!("the HLD at `{reference}` does not compile"))
            .help(format!("the problems above are in the files as they are at `{reference}`; compare with another ref, or leave out `--against`")),
    );
    problems
}

/// What `generate` writes for the HLD at a ref, in a temporary output root: the baseline of
/// `diff --against`, stamped with the ref's commit, as the output directory would be once
/// the ref was generated.
struct RefOutput {
    _checkout: RefCheckout,
    out: tempfile::TempDir,
}

impl RefOutput {
    fn generate(
        options: &DiffOptions,
        hld_root: &Path,
        reference: &str,
        settings: &Settings,
        fetch: &FetchOptions,
    ) -> Result<RefOutput, Vec<Problem>> {
        let checkout = RefCheckout::new(hld_root, reference).map_err(|p| vec![p])?;
        let ref_settings = Settings { hld_root: checkout.hld_root.clone(), ..settings.clone() };
        // Its warnings are the work tree's again, or ones this change fixes.
        let (sources, _) = super::remote::open(&ref_settings, fetch.clone()).map_err(|p| at_ref(p, reference))?;
        let project = crate::project::load(&sources).map_err(|p| at_ref(p, reference))?;
        let targets =
            project.targets(&options.compile.environments, &options.clusters).map_err(|p| at_ref(p, reference))?;
        let io_error = |e: std::io::Error| {
            vec![Problem::error(
                "hldc::diff::checkout",
                format!("cannot write the output of `{reference}` to a temporary directory: {e}"),
            )
            .help("check the free space and permissions of the temporary directory ($TMPDIR)")]
        };
        let out = tempfile::Builder::new().prefix("hldc-diff-out-").tempdir().map_err(io_error)?;
        // What `generate` at the ref would leave out of the HLD's commit: its own output beside
        // the HLD (`--out` defaults to the HLD root).
        let output = [hld_root.join("generated"), hld_root.join(crate::model::record::DIRECTORY)];
        let stamping = Stamping::with_git(HldGit::at_ref(hld_root, reference, &output), out.path());
        let generated = out.path().join("generated");
        let write = |target: &Environments, files: crate::emit::OutputFiles| {
            let directory = generated.join(target.output_dir());
            for (file, text) in files {
                let path = directory.join(file);
                std::fs::create_dir_all(path.parent().unwrap_or(&directory))
                    .and_then(|()| std::fs::write(&path, text))
                    .map_err(|e| io_error(e).remove(0))?;
            }
            Ok(())
        };
        let checked =
            compile::compile_targets(&options.compile, &project, targets, &sources, false, Some(&stamping), write)
                .map_err(|p| at_ref(p, reference))?;
        crate::trace::write_records(out.path(), &checked.records, None).map_err(|p| vec![p])?;
        Ok(RefOutput { _checkout: checkout, out })
    }

    fn root(&self) -> &Path {
        self.out.path()
    }
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
        // Several targets (an environment's clusters) write files of the same names: a heading
        // says whose the lines below it are.
        let headed = self.targets.len() > 1;
        for target in self.targets.iter().filter(|_| !stat) {
            let comparison = &target.comparison;
            if headed && !comparison.is_empty() {
                let _ = writeln!(out, "{}", paint("1;4", &format!("in generated/{}:", visible(&target.name))));
            }
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
            for restamped in &comparison.restamped {
                let line = format!(
                    "restamped {} ({}): {}{}",
                    visible(&restamped.id.display),
                    visible(&restamped.file),
                    visible(&restamped.stamps.join(", ")),
                    if restamped.rolls_pods { "; rolls its pods" } else { "" }
                );
                let _ = writeln!(out, "{}", paint("33", &line));
            }
            for file in &comparison.files {
                let _ = writeln!(out, "{}", paint("33", &format!("{} file {}", file.change, visible(&file.file))));
            }
        }
        for target in &self.targets {
            let gone = if target.gone {
                format!(" (`generate` deletes `generated/{}`: nothing writes it any more)", visible(&target.name))
            } else {
                String::new()
            };
            let _ = writeln!(out, "{}: {}{gone}", visible(&target.name), target.comparison.summary());
        }
        if let Some(line) = self.metadata_line() {
            let _ = writeln!(out, "{}", visible(&line));
        }
        out
    }

    /// The files beside the manifests that change, on a line of their own: they follow every
    /// HLD commit and decide nothing.
    fn metadata_line(&self) -> Option<String> {
        (!self.metadata.is_empty()).then(|| {
            format!("metadata: {} (they follow the HLD commit; not counted as changes)", self.metadata.join(", "))
        })
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
                    "summary": {
                        "changed": c.changed.len(),
                        "added": c.added.len(),
                        "removed": c.removed.len(),
                        "restamped": c.restamped.len(),
                        "rollingPods": c.rolling(),
                        "files": c.files.len(),
                    },
                });
                if target.gone {
                    value["gone"] = serde_json::json!(true);
                }
                if !stat {
                    value["changed"] = serde_json::json!(c.changed);
                    value["added"] = serde_json::json!(c.added);
                    value["removed"] = serde_json::json!(c.removed);
                    value["restamped"] = serde_json::json!(c.restamped);
                    value["files"] = serde_json::json!(c.files);
                }
                value
            })
            .collect();
        serde_json::json!({"identical": self.is_identical(), "targets": targets, "metadata": self.metadata})
    }

    /// For a pull request comment: a summary table, then the added and removed objects and a
    /// collapsible section per changed object. `stat` keeps only the table. Every value from
    /// the HLD goes through `markdown_text`, each diff into a fence no line of it can close,
    /// so nothing an object holds can end a table cell, a `<details>` block or the comment's
    /// markup, or open an HTML comment that hides what follows.
    pub fn markdown(&self, stat: bool) -> String {
        let mut out = String::from(
            "| target | changed | added | removed | restamped | other files |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for target in &self.targets {
            let c = &target.comparison;
            let name = markdown_text(&target.name);
            let name = if target.gone { format!("{name} (deleted)") } else { name };
            let restamped = match c.rolling() {
                0 => c.restamped.len().to_string(),
                rolling => format!("{} ({rolling} rolling pods)", c.restamped.len()),
            };
            let (changed, added, removed, files) = (c.changed.len(), c.added.len(), c.removed.len(), c.files.len());
            let _ = writeln!(out, "| {name} | {changed} | {added} | {removed} | {restamped} | {files} |");
        }
        if !self.metadata.is_empty() {
            let files: Vec<String> =
                self.metadata.iter().map(|file| format!("<code>{}</code>", markdown_text(file))).collect();
            let _ = writeln!(out, "\nAlso changing, as on every HLD commit (not counted): {}", files.join(", "));
        }
        for target in self.targets.iter().filter(|target| !stat && !target.comparison.is_empty()) {
            let comparison = &target.comparison;
            let _ = writeln!(out, "\n### {}", markdown_text(&target.name));
            let listed =
                [comparison.added.len(), comparison.removed.len(), comparison.restamped.len(), comparison.files.len()];
            if listed.iter().any(|count| *count > 0) {
                out.push('\n');
            }
            for (verb, entries) in [("added", &comparison.added), ("removed", &comparison.removed)] {
                for entry in entries {
                    let (id, file) = (markdown_text(&entry.id.display), markdown_text(&entry.file));
                    let _ = writeln!(out, "- {verb} <code>{id}</code> (<code>{file}</code>)");
                }
            }
            for restamped in &comparison.restamped {
                let (id, file) = (markdown_text(&restamped.id.display), markdown_text(&restamped.file));
                let stamps = markdown_text(&restamped.stamps.join(", "));
                let rolls = if restamped.rolls_pods { "; **rolls its pods**" } else { "" };
                let _ = writeln!(out, "- restamped <code>{id}</code> (<code>{file}</code>): {stamps}{rolls}");
            }
            for file in &comparison.files {
                let _ = writeln!(out, "- {} file <code>{}</code>", file.change, markdown_text(&file.file));
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
