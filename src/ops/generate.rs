//! `hldc generate`: load → resolve → render → transform → emit.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::check;
use crate::check::provenance::ConfigLayers;
use crate::diag::Problem;
use crate::emit;
use crate::load::{self, Selection};
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

/// Compiles the HLD in memory; writes nothing but the source cache.
pub fn compile(options: &CompileOptions, sources: &Sources) -> Result<Compiled, Vec<Problem>> {
    let selection = Selection::EnabledIn(vec![options.environments.clone()]);
    let (hld, mut warnings) = load::load(sources, &selection)?;
    let project = crate::project::load(sources)?;
    let planned = resolve::resolve(&hld, &options.environments)?;
    let clashes = resolve::check_output_files(&planned);
    if !clashes.is_empty() {
        return Err(clashes);
    }
    // Mistakes `validate` rejects, but which do not stop a render: reported, not fatal, so an
    // HLD migrated from Fabrikate keeps building while it is cleaned up.
    let suspicious = check::tree::unknown_subcomponents(&hld)
        .into_iter()
        .chain(planned.iter().filter_map(check::tree::check_inject_namespace));
    warnings.extend(suspicious.map(Problem::into_warning));
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
    let results: Vec<Result<Option<Rendered>, Problem>> =
        planned.par_iter().map(|p| render::render(p, sources, &options.helm)).collect();
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
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
    /// The environment's output directory.
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
/// Nothing is written when a check fails.
pub fn generate(
    options: &CompileOptions,
    sources: &Sources,
    out_root: &std::path::Path,
    check: bool,
) -> Result<Generated, Vec<Problem>> {
    let compiled = compile(options, sources)?;
    let unchecked = if check { check_objects(&compiled, options.kube_version)? } else { BTreeSet::new() };
    let directory = out_root.join("generated").join(options.environments.output_dir());
    let files = emit::output_files(&compiled.components);
    let removed = emit::stale_files(&directory, &files);
    emit::write_atomically(&directory, &files).map_err(|p| vec![p])?;
    let lock_written = super::remote::save_lock(sources).map_err(|p| vec![p])?;
    render::run_hooks(&compiled.after_generate).map_err(|p| vec![p])?;
    Ok(Generated { directory, file_count: files.len(), removed, unchecked, lock_written, warnings: compiled.warnings })
}

/// The checks of `validate --rendered` on the compiled objects; the kinds no schema knows.
fn check_objects(compiled: &Compiled, kube_version: &'static str) -> Result<BTreeSet<String>, Vec<Problem>> {
    let schemas = check::kube::load(kube_version).map_err(|p| vec![p])?;
    let report = check::objects::check(&compiled.components, schemas, &compiled.scopes, &compiled.config);
    if report.problems.iter().any(Problem::is_error) {
        return Err(report.problems);
    }
    Ok(report.skipped)
}
