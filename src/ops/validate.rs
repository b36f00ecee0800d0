//! `hldc validate`: load → check the tree → resolve and check each environment → (with
//! `--rendered`) compile in memory and check the objects. Every problem is collected; the
//! verdict is decided at the end: valid (warnings allowed), invalid, or could not run.
//!
//! Without `--rendered` nothing is fetched and helm is not run: remote components are noted
//! as not checked. With it, remote sources come from the cache only (`--offline`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::check::{kube, tree};
use crate::compile::{self, CompileOptions, HookPolicy};
use crate::diag::{Level, Problem};
use crate::diagnostics::Policy;
use crate::load;
use crate::model::environments::Environments;
use crate::model::environments::Selection;
use crate::model::tree::{Hld, Node};
use crate::model::{ComponentType, Method};
use crate::project::Project;
use crate::render::HelmSettings;
use crate::resolve;
use crate::settings::Settings;
use crate::sources::Sources;

/// What `validate` checks.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// One combination of environments, highest priority first; empty: every environment of
    /// the tree alone, and `common` alone.
    pub environments: Vec<String>,
    pub allow_hooks: bool,
    /// How `--rendered` runs helm.
    pub helm: HelmSettings,
    /// Set with `--rendered`.
    pub rendered: Option<RenderCheck>,
}

/// What `--rendered` checks against.
#[derive(Debug, Clone)]
pub struct RenderCheck {
    /// One of `check::kube::versions()`.
    pub kube_version: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    CouldNotRun,
}

impl Verdict {
    /// 0 valid, 1 invalid, 2 could not run (unlike `generate`, which exits 2 on any error, so
    /// that a pre-commit hook or CI can tell a broken HLD from a broken setup).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::CouldNotRun => 2,
        }
    }
}

/// The outcome of a validation.
#[derive(Debug)]
pub struct Validation {
    pub verdict: Verdict,
    /// Sorted by file, line and column.
    pub problems: Vec<Problem>,
    /// Component and config files read.
    pub files: usize,
    /// The environment combinations checked, e.g. `common`, `prod`.
    pub environments: Vec<String>,
    /// What was deliberately not checked (remote components, kinds without a schema).
    pub notes: Vec<String>,
}

/// Problems that say the run could not happen rather than that the HLD is wrong.
const COULD_NOT_RUN: [&str; 11] = [
    "hldc::io::hld-root",
    "hldc::io::read",
    "hldc::io::temp",
    "hldc::helm::missing",
    "hldc::helm::spawn",
    "hldc::helm::io",
    "hldc::fetch::not-cached",
    "hldc::fetch::network",
    "hldc::fetch::io",
    "hldc::cli::kube-version",
    "hldc::cli::timeout",
];

/// The loader's error for a remote component: validate notes it instead of failing.
const REMOTE: &str = "hldc::source::remote";

impl Validation {
    /// A run that stopped before checking anything.
    pub fn could_not_run(problems: Vec<Problem>) -> Validation {
        Validation { verdict: Verdict::CouldNotRun, ..Validation::finish(problems, 0, Vec::new(), Vec::new()) }
    }

    fn finish(mut problems: Vec<Problem>, files: usize, environments: Vec<String>, notes: Vec<String>) -> Validation {
        problems.sort_by_cached_key(sort_key);
        let verdict =
            if problems.iter().any(|p| COULD_NOT_RUN.contains(&p.code) || p.code.starts_with("hldc::internal::")) {
                Verdict::CouldNotRun
            } else if problems.iter().any(Problem::is_error) {
                Verdict::Invalid
            } else {
                Verdict::Valid
            };
        Validation { verdict, problems, files, environments, notes }
    }

    /// The one-line outcome printed after the diagnostics.
    pub fn summary(&self) -> String {
        let count = |level: Level| self.problems.iter().filter(|p| p.level == level).count();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let (errors, warnings) = (count(Level::Error), count(Level::Warning));
        let scope = format!(
            "{} checked, environments: {}",
            plural(self.files, "file"),
            if self.environments.is_empty() { "none".to_string() } else { self.environments.join(", ") }
        );
        match self.verdict {
            Verdict::Valid if warnings == 0 => format!("the HLD is valid ({scope})"),
            Verdict::Valid => format!("the HLD is valid, with {} ({scope})", plural(warnings, "warning")),
            Verdict::Invalid => {
                format!("the HLD is invalid: {}, {} ({scope})", plural(errors, "error"), plural(warnings, "warning"))
            }
            Verdict::CouldNotRun => "could not validate the HLD".to_string(),
        }
    }

    /// `--output json`: `{"valid": bool, "diagnostics": [...]}`, diagnostics in file order.
    pub fn to_json(&self) -> String {
        let diagnostics: Vec<serde_json::Value> = self.problems.iter().map(Problem::to_json).collect();
        let document = json!({ "valid": self.verdict == Verdict::Valid, "diagnostics": diagnostics });
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }
}

fn sort_key(problem: &Problem) -> (String, usize, usize, Level, &'static str, String) {
    let (file, line, column) = problem.position();
    (
        file.unwrap_or_default(),
        line.unwrap_or(0),
        column.unwrap_or(0),
        problem.level,
        problem.code,
        problem.message.clone(),
    )
}

/// Validates the HLD at `settings.hld_root`.
pub fn validate(options: &ValidateOptions, settings: &Settings) -> Validation {
    let local = match Sources::local(&settings.hld_root) {
        Ok(sources) => sources,
        Err(problem) => return Validation::could_not_run(vec![problem]),
    };
    let root = local.hld_root();
    if !root.join("component.yaml").is_file() && !root.join("component.json").is_file() {
        return Validation::could_not_run(vec![Problem::error(
            "hldc::component::missing",
            format!("no component.yaml in `{}`", settings.hld_root.display()),
        )
        .path("component.yaml")
        .help("run hldc validate in the HLD root, or pass it with `-C DIR`")]);
    }
    // hldc.yaml is checked here even without `--rendered`; its clusters are combinations too.
    let mut problems = Vec::new();
    let project = crate::project::load(&local).unwrap_or_else(|found| {
        problems.extend(found);
        Project::default()
    });
    let named = match options.environments.is_empty() {
        true => Vec::new(),
        false => project.targets(&Environments::new(&options.environments), &[]).unwrap_or_else(|found| {
            problems.extend(found);
            Vec::new()
        }),
    };
    let selection = match options.environments.is_empty() {
        true => Selection::Everything,
        false => Selection::EnabledIn(named.clone()),
    };
    let (hld, loaded) = load::load_partial(&local, &selection);
    let mut notes = Vec::new();
    let skipped_remote = loaded.iter().any(|p| p.code == REMOTE);
    for problem in loaded {
        if problem.code == REMOTE {
            notes.push(format!("not checked: {} (validate does not fetch)", problem.message));
        } else {
            problems.push(problem);
        }
    }
    // hldc.lock and access.yaml: read (and schema-checked) the way `generate` reads them, from
    // the cache only, which also gives the sources `--rendered` renders with.
    let fetching = match settings
        .fetch_options(false, true, &options.helm)
        .map_err(|p| vec![p])
        .and_then(|fetch| super::remote::open(settings, fetch))
    {
        Ok((sources, unset_tokens)) => {
            problems.extend(unset_tokens);
            Some(sources)
        }
        Err(found) => {
            problems.extend(found);
            None
        }
    };
    // hldc.yaml's `diagnostics:` and the flags over it, on every problem found.
    let policy = Policy { flags: settings.diagnostics.clone(), project: project.diagnostics.clone() };
    let Some(mut hld) = hld else {
        return Validation::finish(policy.apply(problems), 0, Vec::new(), notes);
    };
    crate::compile::declare_project(&mut hld, &project);
    problems.extend(tree::check_tree(&hld, options.allow_hooks));
    problems.extend(check_local_sources(&hld, &local));
    if let Some(sources) = &fetching {
        let nodes = hld.root.walk();
        let entries: Vec<_> = nodes.iter().map(|node| (&node.definition, node.dir.as_path())).collect();
        problems.extend(sources.check_offline(&entries));
    }
    let combinations = match options.environments.is_empty() {
        true => every_environment_alone(&hld, &project),
        false => named,
    };
    let labels: Vec<String> = combinations.iter().map(label).collect();
    let mut per_environment = Vec::new();
    for (environments, label) in combinations.iter().zip(&labels) {
        match resolve::resolve(&hld, environments) {
            // Unknown or repeated environment names: said once, not per combination. An
            // environment may live only in a remote component that validate did not fetch.
            Err(found) if skipped_remote => problems.extend(found.into_iter().map(|p| {
                let unknown = p.code == "hldc::config::unknown-environment";
                if unknown { p.into_warning().help("it may be defined in a remote component, which validate does not fetch; `hldc generate` checks it") } else { p }
            })),
            Err(found) => problems.extend(found),
            Ok(planned) => {
                per_environment.extend(tree::check_environment(&planned).into_iter().map(|p| (p, label.clone())))
            }
        }
    }
    let statically_valid = !problems.iter().chain(per_environment.iter().map(|(p, _)| p)).any(Problem::is_error);
    if options.rendered.is_some() && !statically_valid {
        // Rendering an HLD whose definition is wrong would report what follows from the error,
        // not what the fixed HLD gives; saying so keeps an error from reading as "nothing else".
        notes.push("nothing was rendered or checked as objects (`--rendered`): fix the errors above first".to_string());
    }
    if let (Some(check), Some(sources), true) = (&options.rendered, &fetching, statically_valid) {
        match kube::load(check.kube_version) {
            Ok(_) => {
                for (environments, label) in combinations.iter().zip(&labels) {
                    let compile = CompileOptions {
                        environments: environments.clone(),
                        helm: options.helm.clone(),
                        hooks: HookPolicy::Skip,
                        kube_version: check.kube_version,
                        jobs: settings.jobs,
                        diagnostics: settings.diagnostics.clone(),
                    };
                    match compile::compile(&compile, sources) {
                        Err(found) => per_environment.extend(found.into_iter().map(|p| (p, label.clone()))),
                        Ok(compiled) => {
                            // The tree's own warnings are reported by the checks above; what
                            // only rendering finds (unknown kinds, files left out, rings without a
                            // Service to route to) is added here.
                            let rendering = compiled.warnings.iter().filter(|p| {
                                p.code.starts_with("hldc::output::")
                                    || p.code.starts_with("hldc::render::")
                                    || p.code.starts_with("hldc::ring::")
                            });
                            per_environment.extend(rendering.map(|p| (p.clone(), label.clone())));
                            let report = match compile::objects_report(&compiled, check.kube_version) {
                                Ok(report) => report,
                                Err(found) => {
                                    per_environment.extend(found.into_iter().map(|p| (p, label.clone())));
                                    continue;
                                }
                            };
                            let found = report.problems.into_iter().chain(report.unserved_by_default);
                            per_environment.extend(found.map(|p| (p, label.clone())));
                            if !report.skipped.is_empty() {
                                notes.push(format!(
                                    "not checked against the Kubernetes {} schema ({label}): {}",
                                    check.kube_version,
                                    report.skipped.into_iter().collect::<Vec<_>>().join(", ")
                                ));
                            }
                        }
                    }
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    problems.extend(merge_environments(per_environment, labels.len() > 1));
    notes.dedup();
    Validation::finish(policy.apply(problems), count_files(&hld), labels, notes)
}

/// Every local helm, static or kustomize source must exist, a helm chart directory must hold
/// Chart.yaml and a kustomize directory a kustomization without remote bases (remote sources need the network: `--rendered` checks them). This reads the disk,
/// so it lives here and not in `check`.
fn check_local_sources(hld: &Hld, sources: &Sources) -> Vec<Problem> {
    // Hooks may download or unpack what a component renders (Fabrikate's istio definition
    // fetches its chart in a before-install hook): a missing path there is not certain.
    let nodes = hld.root.walk();
    let hook_dirs: Vec<&std::path::Path> =
        nodes.iter().filter(|node| !node.definition.spec.hooks.is_empty()).map(|node| node.dir.as_path()).collect();
    nodes
        .iter()
        .filter_map(|node| check_local_source(node, sources))
        .map(|(node, problem)| {
            if problem.code == "hldc::source::missing" && hook_dirs.contains(&node.dir.as_path()) {
                let help = format!(
                    "{} (the hooks of this directory may create it: `hldc generate --allow-hooks` runs them)",
                    problem.help.clone().unwrap_or_default()
                );
                problem.into_warning().help(help)
            } else {
                problem
            }
        })
        .collect()
}

fn check_local_source<'n>(node: &'n Node, sources: &Sources) -> Option<(&'n Node, Problem)> {
    let definition = &node.definition;
    let component_type = node.component_type();
    if component_type == ComponentType::Component || definition.spec.method() != Method::Local {
        return None;
    }
    let located = match sources.locate(definition, &node.dir) {
        Ok(located) => located,
        Err(problem) => return Some((node, problem)),
    };
    if component_type == ComponentType::Helm && located.is_dir() && !located.join("Chart.yaml").is_file() {
        let field = if definition.spec.path.is_some() { "path" } else { "source" };
        let problem = Problem::error(
            "hldc::source::no-chart",
            format!("`{}` (the chart of component `{}`) has no Chart.yaml", sources.display(&located), node.path),
        )
        .at(definition.field_location(field))
        .label("not a helm chart")
        .help("point `path` at the chart directory (the one holding Chart.yaml)");
        return Some((node, problem));
    }
    if component_type == ComponentType::Kustomize && located.is_dir() {
        let checked = crate::render::check_kustomize_directory(definition, &node.path, &located, sources);
        return checked.err().map(|problem| (node, problem));
    }
    None
}

/// Every environment alone (`common` first), each of its clusters when it has some; cluster
/// files are layers of their environment, not environments of their own.
fn every_environment_alone(hld: &Hld, project: &Project) -> Vec<Environments> {
    let mut all = vec![Environments::new(&[])];
    for env in hld.environments.iter().filter(|env| *env != "common") {
        let alone = Environments::new(std::slice::from_ref(env));
        if project.check_environments(&alone).is_ok() {
            all.extend(project.targets(&alone, &[]).unwrap_or_default());
        }
    }
    all
}

fn label(environments: &Environments) -> String {
    let names = if environments.names().is_empty() { "common".to_string() } else { environments.names().join("+") };
    match environments.cluster() {
        Some(cluster) => format!("{names}/{cluster}"),
        None => names,
    }
}

/// One problem found in several environment combinations is reported once, naming them.
fn merge_environments(found: Vec<(Problem, String)>, name_them: bool) -> Vec<Problem> {
    let mut order: Vec<(Problem, Vec<String>)> = Vec::new();
    let mut index: BTreeMap<(&'static str, Option<String>, String), usize> = BTreeMap::new();
    for (problem, label) in found {
        let key = (problem.code, problem.where_(), problem.message.clone());
        match index.get(&key) {
            Some(&at) if !order[at].1.contains(&label) => order[at].1.push(label),
            Some(_) => {}
            None => {
                index.insert(key, order.len());
                order.push((problem, vec![label]));
            }
        }
    }
    order
        .into_iter()
        .map(|(mut problem, labels)| {
            if name_them {
                let noun = if labels.len() == 1 { "environment" } else { "environments" };
                problem.message = format!("{} (in {noun} {})", problem.message, labels.join(", "));
            }
            problem
        })
        .collect()
}

/// The component and config files the loaded tree was read from.
fn count_files(hld: &Hld) -> usize {
    fn collect<'h>(node: &'h Node, into: &mut BTreeSet<&'h str>) {
        into.insert(node.definition.document.file.name());
        into.extend(node.configs.values().map(|d| d.file.name()));
        for child in &node.children {
            collect(child, into);
        }
    }
    let mut files: BTreeSet<&str> = hld.outer_configs.values().map(|d| d.file.name()).collect();
    collect(&hld.root, &mut files);
    files.len()
}
