//! `hldc generate`: load → resolve → render → transform → emit.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::check;
use crate::check::provenance::ConfigLayers;
use crate::diag::Problem;
use crate::emit;
use crate::load::{self, Hld, Selection};
use crate::model::ComponentType;
use crate::project::Project;
use crate::render::{self, HelmSettings, Hook, HookStage, Rendered};
use crate::resolve::{self, Environments};
use crate::scope::Scopes;
use crate::sources::Sources;
use crate::transform;

/// What a compile needs besides its sources.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    pub environments: Environments,
    pub helm: HelmSettings,
    pub hooks: HookPolicy,
    /// Whose built-in kinds' scopes apply (one of `check::kube::versions()`).
    pub kube_version: &'static str,
}

/// What to do with the hooks components declare (shell commands, so never run by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPolicy {
    /// A component with hooks is an error (`generate` without `--allow-hooks`).
    Refuse,
    /// Run them: install and before-generate hooks before rendering, after-generate hooks
    /// once the output is written (`generate --allow-hooks`).
    Run,
    /// Render without running them (`validate --rendered`, which must not change anything).
    Skip,
}

/// The in-memory result of a compile: one environment's objects, component by component in
/// tree order, every transform applied, identities unique. `emit` makes them text; checks,
/// `diff` and stamps read the objects.
#[derive(Debug)]
pub struct Compiled {
    pub components: Vec<Rendered>,
    /// Which kinds are cluster-scoped in this output.
    pub scopes: Scopes,
    /// The config layers of each rendered component, to trace values back to config files.
    pub config: ConfigLayers,
    pub warnings: Vec<Problem>,
    /// The after-generate hooks to run once the files are written (with `HookPolicy::Run`).
    pub after_generate: Vec<Hook>,
}

/// Compiles the HLD in memory for `options.environments`; writes nothing but the source cache.
pub fn compile(options: &CompileOptions, sources: &Sources) -> Result<Compiled, Vec<Problem>> {
    let project = crate::project::load(sources)?;
    project.check_environments(&options.environments)?;
    let (hld, warnings) = load_for(&project, std::slice::from_ref(&options.environments), sources)?;
    let mut compiled = compile_loaded(options, &hld, &project, &options.environments, sources)?;
    compiled.warnings.splice(0..0, warnings);
    Ok(compiled)
}

/// Loads the HLD once for every target a run renders (an environment combination, or one per
/// cluster), with the warnings about the tree itself.
pub fn load_for(
    project: &Project,
    targets: &[Environments],
    sources: &Sources,
) -> Result<(Hld, Vec<Problem>), Vec<Problem>> {
    let (mut hld, mut warnings) = load::load(sources, &Selection::EnabledIn(targets.to_vec()))?;
    // An environment the project file declares exists even when only its clusters have files.
    hld.environments.extend(project.environments.keys().cloned());
    // Mistakes `validate` rejects, but which do not stop a render: reported, not fatal, so an
    // HLD migrated from Fabrikate keeps building while it is cleaned up.
    warnings.extend(check::tree::unknown_subcomponents(&hld).into_iter().map(Problem::into_warning));
    Ok((hld, warnings))
}

/// Compiles one target of a loaded HLD.
pub fn compile_loaded(
    options: &CompileOptions,
    hld: &Hld,
    project: &Project,
    target: &Environments,
    sources: &Sources,
) -> Result<Compiled, Vec<Problem>> {
    let planned = resolve::resolve(hld, target)?;
    let clashes = resolve::check_output_files(&planned);
    if !clashes.is_empty() {
        return Err(clashes);
    }
    let mut warnings: Vec<Problem> =
        planned.iter().filter_map(check::tree::check_inject_namespace).map(Problem::into_warning).collect();
    // Fetch every remote source up front, in parallel, instead of one by one while rendering.
    let entries: Vec<_> =
        planned.iter().filter(|p| p.node.renders()).map(|p| (&p.node.definition, p.node.dir.as_path())).collect();
    let fetch_problems = sources.prefetch(&entries);
    if !fetch_problems.is_empty() {
        return Err(fetch_problems);
    }
    if options.hooks == HookPolicy::Refuse {
        let refused = render::refuse_hooks(&planned);
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    if options.hooks == HookPolicy::Run {
        render::run_hooks(&render::hooks_of(&planned, HookStage::Before)).map_err(|p| vec![p])?;
    }
    // Charts are prepared (dependencies fetched and built, under the lock) after the hooks that
    // may create them and before rendering, so parallel renders never wait on each other.
    let mut charts = Vec::new();
    let mut problems = Vec::new();
    for component in &planned {
        let definition = &component.node.definition;
        charts.push(match component.node.component_type() {
            ComponentType::Helm => match sources.prepare_chart(definition, &component.node.dir) {
                Ok(chart) => Some(chart),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
            ComponentType::Component | ComponentType::Static => None,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let results: Vec<Result<Option<Rendered>, Problem>> = planned
        .par_iter()
        .zip(&charts)
        .map(|(p, chart)| render::render(p, chart.as_ref(), sources, &options.helm))
        .collect();
    let mut rendered = Vec::new();
    for result in results {
        match result {
            Ok(Some(mut component)) => {
                warnings.append(&mut component.warnings);
                rendered.push(component);
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let routes = crate::route::routes(&planned, &rendered, &project.rings).map_err(|p| vec![p])?;
    rendered.extend(routes);
    let scopes = Scopes::new(options.kube_version, &project.scopes, &rendered).map_err(|p| vec![p])?;
    warnings.extend(scopes.unknown_kinds(rendered.iter().flat_map(|r| &r.objects)));
    transform::inject_namespaces(&mut rendered, &scopes);
    let duplicates = transform::check_unique_identities(&rendered, &scopes);
    if !duplicates.is_empty() {
        return Err(duplicates);
    }
    let after_generate = match options.hooks {
        HookPolicy::Run => render::hooks_of(&planned, HookStage::After),
        HookPolicy::Refuse | HookPolicy::Skip => Vec::new(),
    };
    let config = planned.iter().map(|p| (p.node.path.clone(), p.layers.clone())).collect();
    Ok(Compiled { components: rendered, scopes, config, warnings, after_generate })
}

/// What `generate` wrote.
#[derive(Debug)]
pub struct Generated {
    /// The environment's output directory (its clusters' directories are inside).
    pub directory: PathBuf,
    pub file_count: usize,
    /// Files of an earlier run (or added by hand) that the new output no longer has.
    pub removed: Vec<String>,
    /// `apiVersion kind` of the objects no schema checked (empty with `--no-check`).
    pub unchecked: BTreeSet<String>,
    /// Whether hldc.lock was written (new pins).
    pub lock_written: bool,
    pub warnings: Vec<Problem>,
}

/// Compiles, checks every object as the API server would (unless `check` is false), and
/// replaces `<out_root>/generated/<envs>/` with the result, then records new pins in hldc.lock.
/// An environment with clusters renders each of them into `<envs>/<cluster>/`; with `clusters`
/// named, only those, and only their directories change. Nothing is written when a check fails.
pub fn generate(
    options: &CompileOptions,
    clusters: &[String],
    sources: &Sources,
    out_root: &std::path::Path,
    check: bool,
) -> Result<Generated, Vec<Problem>> {
    let project = crate::project::load(sources)?;
    let targets = project.targets(&options.environments, clusters)?;
    let (hld, mut warnings) = load_for(&project, &targets, sources)?;
    let generated = out_root.join("generated");
    let directory = generated.join(options.environments.output_dir());
    // Without `--cluster`, one swap of the environment's whole directory: a cluster dropped
    // from hldc.yaml (or the plain layout from before the environment had clusters) goes with
    // the old output. With it, one swap per named cluster; the others stay.
    let mut stagings: Vec<(Option<String>, emit::Staging)> = Vec::new();
    if clusters.is_empty() {
        stagings.push((None, emit::Staging::new(&directory)));
    }
    let mut after_generate = Vec::new();
    let mut unchecked = BTreeSet::new();
    // Each target is compiled, checked and written to staging before the next one, so memory
    // holds one cluster's objects at a time; nothing is swapped in until every target passed,
    // so a failing cluster writes no cluster.
    for target in &targets {
        let mut compiled = compile_loaded(options, &hld, &project, target, sources)?;
        if check {
            unchecked.extend(check_objects(&mut compiled, options.kube_version)?);
        }
        add_once(&mut warnings, compiled.warnings.drain(..));
        after_generate.append(&mut compiled.after_generate);
        let files = emit::output_files(&compiled.components);
        drop(compiled);
        match stagings.first_mut() {
            Some((None, staging)) => staging.add(target.cluster(), &files),
            _ => {
                let mut staging = emit::Staging::new(&generated.join(target.output_dir()));
                let added = staging.add(None, &files);
                stagings.push((target.cluster().map(str::to_string), staging));
                added
            }
        }
        .map_err(|p| vec![p])?;
    }
    let file_count = stagings.iter().map(|(_, staging)| staging.file_count()).sum();
    let mut removed = Vec::new();
    for (cluster, staging) in stagings {
        removed.extend(staging.stale().into_iter().map(|file| match &cluster {
            Some(cluster) => format!("{cluster}/{file}"),
            None => file,
        }));
        staging.commit().map_err(|p| vec![p])?;
    }
    let lock_written = super::remote::save_lock(sources).map_err(|p| vec![p])?;
    render::run_hooks(&after_generate).map_err(|p| vec![p])?;
    Ok(Generated { directory, file_count, removed, unchecked, lock_written, warnings })
}

/// Adds the warnings not said yet: the same warning from every cluster (a tree mistake, not a
/// cluster's) is said once.
pub fn add_once(warnings: &mut Vec<Problem>, new: impl IntoIterator<Item = Problem>) {
    for warning in new {
        let said =
            |w: &Problem| w.code == warning.code && w.message == warning.message && w.where_() == warning.where_();
        if !warnings.iter().any(said) {
            warnings.push(warning);
        }
    }
}

/// The checks of `validate --rendered` on the compiled objects; the kinds no schema knows.
///
/// An API version the default Kubernetes version no longer serves (`policy/v1beta1`, common in
/// charts written for Fabrikate) is a warning here: hldc does not know the cluster's version,
/// and HLDs that built before must keep building. `validate --rendered` and an explicit
/// `--kube-version` keep it an error.
pub fn check_objects(compiled: &mut Compiled, kube_version: &'static str) -> Result<BTreeSet<String>, Vec<Problem>> {
    let schemas = check::kube::load(kube_version).map_err(|p| vec![p])?;
    let report = check::objects::check(&compiled.components, schemas, &compiled.scopes, &compiled.config);
    let (unserved, problems): (Vec<Problem>, Vec<Problem>) =
        report.problems.into_iter().partition(|p| p.code == "hldc::kube::not-served");
    if problems.iter().any(Problem::is_error) {
        return Err(problems);
    }
    compiled.warnings.extend(problems);
    compiled.warnings.extend(unserved.into_iter().map(|problem| {
        let help = format!(
            "{} (a warning in `generate`: hldc checks against Kubernetes {kube_version}, not your cluster's version; `hldc validate --rendered --kube-version V` checks against yours)",
            problem.help.clone().unwrap_or_default()
        );
        problem.into_warning().help(help)
    }));
    Ok(report.skipped)
}
