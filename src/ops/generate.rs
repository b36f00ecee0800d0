//! `hldc generate`: load → resolve → render → transform → emit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use rayon::prelude::*;

use crate::check;
use crate::check::provenance::ConfigLayers;
use crate::diag::Problem;
use crate::emit;
use crate::flux;
use crate::load;
use crate::model::environments::Environments;
use crate::model::environments::Selection;
use crate::model::rendered::Rendered;
use crate::model::tree::Hld;
use crate::model::ComponentType;
use crate::project::Project;
use crate::render::{self, HelmSettings, Hook, HookRunner, HookStage};
use crate::resolve;
use crate::scope::Scopes;
use crate::sources::Sources;
use crate::trace;
use crate::trace::git::HldGit;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookPolicy {
    /// A component with hooks is an error (`generate` without `--allow-hooks`).
    Refuse,
    /// Run them: install and before-generate hooks before rendering, after-generate hooks
    /// once the output is written (`generate --allow-hooks`).
    Run(HookRunner),
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
    /// The CustomResourceDefinitions `hldc.yaml` names (`crds:`), to check custom resources.
    pub crds: Vec<crate::yaml::Document>,
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
    let crds = crate::crds::load(project, sources)?;
    if options.hooks == HookPolicy::Refuse {
        let refused = render::refuse_hooks(&planned);
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    if let HookPolicy::Run(runner) = &options.hooks {
        render::run_hooks(&render::hooks_of(&planned, HookStage::Before), runner).map_err(|p| vec![p])?;
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
            ComponentType::Component | ComponentType::Static | ComponentType::Kustomize => None,
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
    let mut overlays = Vec::new();
    for (result, component_plan) in results.into_iter().zip(&planned) {
        match result {
            Ok(Some(mut component)) => {
                crate::ring::rename::rename_for_ring(component_plan, &mut component);
                warnings.append(&mut component.warnings);
                rendered.push(component);
                overlays.push(crate::patch::Overlays::of(&component_plan.layers));
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (routes, unrouted) = crate::route::routes(&planned, &rendered, &project.rings).map_err(|p| vec![p])?;
    rendered.extend(routes);
    warnings.extend(unrouted);
    // The project's rules come last: they decide over hldc's own (the route kinds).
    let rules: Vec<_> = crate::route::scope_rules().into_iter().chain(project.scopes.iter().cloned()).collect();
    let scopes = Scopes::new(options.kube_version, &rules, &rendered, &crds).map_err(|p| vec![p])?;
    warnings.extend(scopes.unknown_kinds(rendered.iter().flat_map(|r| &r.objects)));
    warnings.extend(transform::drop_cluster_scoped_namespaces(&mut rendered, &scopes));
    let patch_problems = crate::patch::apply_all(&mut rendered, &overlays, &scopes, options.kube_version);
    if !patch_problems.is_empty() {
        return Err(patch_problems);
    }
    transform::inject_namespaces(&mut rendered, &scopes);
    let duplicates = transform::check_unique_identities(&rendered, &scopes);
    if !duplicates.is_empty() {
        return Err(duplicates);
    }
    let config: ConfigLayers = planned.iter().map(|p| (p.node.path.clone(), p.layers.clone())).collect();
    let reserved = check::objects::reserved_keys(&rendered, &config);
    if !reserved.is_empty() {
        return Err(reserved);
    }
    let after_generate = match options.hooks {
        HookPolicy::Run(_) => render::hooks_of(&planned, HookStage::After),
        HookPolicy::Refuse | HookPolicy::Skip => Vec::new(),
    };
    Ok(Compiled { components: rendered, scopes, config, crds, warnings, after_generate })
}

/// What `generate` wrote.
#[derive(Debug)]
pub struct Generated {
    /// The environment's output directory (its clusters' directories are inside).
    pub directory: PathBuf,
    /// Manifest files written (`hydrator.metadata` aside).
    pub file_count: usize,
    /// Files of an earlier run (or added by hand) that the new output no longer has.
    pub removed: Vec<String>,
    /// `apiVersion kind` of the objects no schema checked (empty with `--no-check`).
    pub unchecked: BTreeSet<String>,
    /// Whether hldc.lock was written (new pins).
    pub lock_written: bool,
    /// The Flux files written (`clusters/<cluster>/hldc.yaml`), relative to the output root.
    pub flux_files: Vec<String>,
    pub warnings: Vec<Problem>,
    /// What was rendered: the environment, or each of its clusters.
    pub targets: Vec<Environments>,
}

/// Where and how `generate` writes.
pub struct Output<'a> {
    /// The directory holding `generated/`, `.hldc/` (and `clusters/`): `--out`, else the HLD root.
    pub root: &'a Path,
    /// Also write a Flux Kustomization per target (`--flux-kustomizations`).
    pub flux_kustomizations: bool,
    /// Called when another run holds the output's lock, before waiting for it; `None`: fail at
    /// once instead (`--no-wait`).
    pub wait: Option<&'a dyn Fn()>,
}

/// Compiles, checks every object as the API server would (unless `check` is false), and
/// replaces `<out_root>/generated/<envs>/` with the result, then records new pins in hldc.lock.
/// An environment with clusters renders each of them into `<envs>/<cluster>/`; with `clusters`
/// named, only those, and only their directories change. Nothing is written when a check fails.
/// One run at a time per output root: the previous output is read and replaced under a lock.
pub fn generate(
    options: &CompileOptions,
    clusters: &[String],
    sources: &Sources,
    output: &Output,
    check: bool,
) -> Result<Generated, Vec<Problem>> {
    let out_root = output.root;
    let project = crate::project::load(sources)?;
    let targets = project.targets(&options.environments, clusters)?;
    let lock = emit::OutputLock::acquire(out_root, output.wait).map_err(|p| vec![p])?;
    let generated = out_root.join("generated");
    let directory = generated.join(options.environments.output_dir());
    // Without `--cluster`, one swap of the environment's whole directory: a cluster dropped
    // from hldc.yaml (or the plain layout from before the environment had clusters) goes with
    // the old output. With it, one swap per named cluster; the others stay.
    let replaced: Vec<(Option<String>, String)> = if clusters.is_empty() {
        vec![(None, options.environments.output_dir())]
    } else {
        targets.iter().map(|target| (target.cluster().map(str::to_string), target.output_dir())).collect()
    };
    let flux_files = if output.flux_kustomizations { flux::kustomizations(&targets) } else { Vec::new() };
    // Every place written is checked before anything is read or written: the output a
    // directory replaces is read back for its stamps.
    let records_dir = Path::new(crate::model::record::DIRECTORY).join(options.environments.environment_dir());
    let mut stagings: Vec<(Option<String>, emit::Staging)> = Vec::new();
    for (cluster, relative) in replaced {
        let staging = emit::Staging::new(&generated.join(&relative));
        let relative = Path::new("generated").join(&relative);
        // The directories on the way first: the sweep reads and removes beside the target. The
        // inside after it: the sweep may put a retired output back.
        emit::check_real_directories(out_root, &relative).map_err(|p| vec![p])?;
        staging.sweep().map_err(|p| vec![p])?;
        emit::check_replaceable(out_root, &relative).map_err(|p| vec![p])?;
        stagings.push((cluster, staging));
    }
    emit::check_real_directories(out_root, &records_dir).map_err(|p| vec![p])?;
    for (path, _) in &flux_files {
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        emit::check_real_directories(out_root, parent).map_err(|p| vec![p])?;
    }
    let stamping = Stamping::describing(
        sources.hld_root(),
        vec![generated.clone(), out_root.join(crate::model::record::DIRECTORY)],
        out_root,
    );
    let mut file_count = 0;
    let stage = |target: &Environments, files: emit::OutputFiles| {
        // The manifests: whether `hydrator.metadata` is written beside them depends on git, not on the HLD.
        file_count += files.keys().filter(|f| f.as_str() != trace::hydrator::FILE).count();
        match stagings.iter_mut().find(|(cluster, _)| cluster.is_none() || cluster.as_deref() == target.cluster()) {
            Some((None, staging)) => staging.add(target.cluster(), &files),
            Some((Some(_), staging)) => staging.add(None, &files),
            None => Err(Problem::error(
                "hldc::internal::staging",
                format!("no output directory for `{}`", target.output_dir()),
            )),
        }
    };
    let Checked { targets, records, after_generate, unchecked, warnings } =
        compile_targets(options, &project, targets, sources, check, Some(&stamping), stage)?;
    let mut removed = Vec::new();
    for (cluster, staging) in stagings {
        removed.extend(staging.stale().into_iter().map(|file| match &cluster {
            Some(cluster) => format!("{cluster}/{file}"),
            None => file,
        }));
        staging.commit().map_err(|p| vec![p])?;
    }
    let whole = clusters.is_empty().then(|| options.environments.environment_dir());
    trace::write_records(out_root, &records, whole.as_deref()).map_err(|p| vec![p])?;
    for (path, text) in &flux_files {
        emit::write_file_atomically(out_root, path, text).map_err(|p| vec![p])?;
    }
    let lock_written = super::remote::save_lock(sources).map_err(|p| vec![p])?;
    // The output is complete: an after-generate hook may run hldc on it again.
    drop(lock);
    if let HookPolicy::Run(runner) = &options.hooks {
        render::run_hooks(&after_generate, runner).map_err(|p| vec![p])?;
    }
    let flux_files = flux_files.into_iter().map(|(path, _)| path).collect();
    Ok(Generated { directory, file_count, removed, unchecked, lock_written, flux_files, warnings, targets })
}

/// What compiling and checking every target of a run leaves besides their files.
struct Checked {
    targets: Vec<Environments>,
    /// One trace record per target (none without stamping).
    records: Vec<crate::model::record::Record>,
    after_generate: Vec<Hook>,
    unchecked: BTreeSet<String>,
    warnings: Vec<Problem>,
}

/// What stamping needs: the HLD's commit, and the output root whose previous output keeps
/// unchanged objects' stamps.
struct Stamping<'a> {
    git: LazyLock<HldGit, Box<dyn FnOnce() -> HldGit + Send>>,
    out_root: &'a std::path::Path,
}

impl<'a> Stamping<'a> {
    /// Looks the HLD's commit up while the compile runs: libgit2 starts slowly (it loads the
    /// system's CA certificates), and nothing the compile does changes the HLD's status, with
    /// one exception `compile_targets` waits for (hooks). (A source or render cache inside the
    /// HLD's work tree, not ignored by git, makes it look changed from the run that creates
    /// the cache on, maybe that run itself.)
    fn describing(hld_root: &std::path::Path, excluded: Vec<PathBuf>, out_root: &'a std::path::Path) -> Stamping<'a> {
        let root = hld_root.to_path_buf();
        let paths = excluded.clone();
        let describing = std::thread::Builder::new().spawn(move || HldGit::describe(&root, &paths));
        let hld_root = hld_root.to_path_buf();
        // Without a thread to spare, the lookup runs when first needed.
        let joined = move || match describing {
            Ok(describing) => describing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => HldGit::describe(&hld_root, &excluded),
        };
        Stamping { git: LazyLock::new(Box::new(joined)), out_root }
    }
}

/// Compiles, checks (and with `stamping`, stamps) each target in turn and hands its files to
/// `sink` before the next one, so memory holds one cluster's objects at a time. Every target
/// passes its checks before the caller commits anything: a failing cluster writes no cluster.
fn compile_targets(
    options: &CompileOptions,
    project: &Project,
    targets: Vec<Environments>,
    sources: &Sources,
    check: bool,
    stamping: Option<&Stamping>,
    mut sink: impl FnMut(&Environments, emit::OutputFiles) -> Result<(), Problem>,
) -> Result<Checked, Vec<Problem>> {
    let (hld, mut warnings) = load_for(project, &targets, sources)?;
    // Why objects carry no commit is said after the tree's warnings, once the lookup is done.
    let git_warning_at = warnings.len();
    if let Some(stamping) = stamping.filter(|_| matches!(options.hooks, HookPolicy::Run(_))) {
        // Hooks may write into the HLD: its status is the one from before they run.
        LazyLock::force(&stamping.git);
    }
    let mut records = Vec::new();
    let mut after_generate = Vec::new();
    let mut unchecked = BTreeSet::new();
    for target in &targets {
        let mut compiled = compile_loaded(options, &hld, project, target, sources)?;
        if check {
            unchecked.extend(check_objects(&mut compiled, options.kube_version)?);
        }
        add_once(&mut warnings, compiled.warnings.drain(..));
        after_generate.append(&mut compiled.after_generate);
        let mut hydrator = None;
        if let Some(stamping) = stamping {
            let traced = trace::trace(&mut compiled.components, target, &stamping.git, stamping.out_root);
            add_once(&mut warnings, traced.warnings);
            hydrator = traced.hydrator;
            records.push(traced.record);
        }
        let mut files = emit::output_files(&compiled.components);
        drop(compiled);
        files.extend(hydrator.map(|text| (trace::hydrator::FILE.to_string(), text)));
        sink(target, files).map_err(|p| vec![p])?;
    }
    if let Some(warning) = stamping.and_then(|stamping| stamping.git.warning.clone()) {
        warnings.insert(git_warning_at, warning);
    }
    Ok(Checked { targets, records, after_generate, unchecked, warnings })
}

/// What `generate --stdout` prints: one target's manifests as one multi-document stream.
#[derive(Debug)]
pub struct Streamed {
    pub text: String,
    pub unchecked: BTreeSet<String>,
    pub warnings: Vec<Problem>,
}

/// Compiles and checks exactly as `generate`, but returns the manifests of the one target
/// (an environment, or one of its clusters) as a single stream, each file's documents after a
/// `# Source:` comment naming the file `generate` would write (helm's convention, so
/// `kubectl apply -f -` and Argo CD read it unchanged). Nothing is written, not even hldc.lock:
/// a pipe must not change the checkout it reads.
pub fn stream(
    options: &CompileOptions,
    clusters: &[String],
    sources: &Sources,
    check: bool,
) -> Result<Streamed, Vec<Problem>> {
    // Unstamped: without the previous output stamps cannot stay sticky, and a pod template
    // stamped with each new commit would roll its pods on every commit.
    let mut outputs = Vec::new();
    let collect = |_: &Environments, files: emit::OutputFiles| {
        outputs.push(files);
        Ok(())
    };
    let project = crate::project::load(sources)?;
    let targets = project.targets(&options.environments, clusters)?;
    let Checked { targets, unchecked, warnings, .. } =
        compile_targets(options, &project, targets, sources, check, None, collect)?;
    let files = match outputs.len() {
        1 => outputs.remove(0),
        _ => {
            let names: Vec<&str> = targets.iter().filter_map(Environments::cluster).collect();
            return Err(vec![Problem::error(
                "hldc::generate::several-targets",
                format!(
                    "`--stdout` prints one target, but `{}` renders {} clusters: {}",
                    options.environments.output_dir(),
                    names.len(),
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help(format!(
                "name one with `--cluster`, e.g. `hldc generate {} --stdout --cluster {}`",
                options.environments.names().join(" "),
                names.first().copied().unwrap_or("NAME")
            ))]);
        }
    };
    let text = files
        .iter()
        .map(|(path, text)| {
            // The file's header comment (component and HLD path) follows the `# Source:` line.
            let (header, documents) = text.split_once("---\n").unwrap_or(("", text.as_str()));
            format!("---\n# Source: {path}\n{header}{documents}")
        })
        .collect();
    Ok(Streamed { text, unchecked, warnings })
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
/// Each component is checked against the Kubernetes version its config names
/// (`helm.kubeVersion`, e.g. in a cluster's file), else `kube_version`. An API version the
/// default no longer serves (`policy/v1beta1`, common in charts written for Fabrikate) is a
/// warning: hldc does not know that cluster's version, and HLDs that built before must keep
/// building. Under a version the config names, and in `validate --rendered`, it is an error.
pub fn check_objects(compiled: &mut Compiled, kube_version: &'static str) -> Result<BTreeSet<String>, Vec<Problem>> {
    let paths = compiled.components.iter().map(|c| c.component.as_str());
    let versions = check::kube::KubeVersions::of(kube_version, paths, &compiled.config)?;
    let report =
        check::objects::check(&compiled.components, &compiled.crds, &versions, &compiled.scopes, &compiled.config);
    if report.problems.iter().any(Problem::is_error) {
        return Err(report.problems);
    }
    compiled.warnings.extend(report.problems);
    compiled.warnings.extend(report.unserved_by_default.into_iter().map(|problem| {
        let help = format!(
            "{} (a warning: hldc checks against Kubernetes {kube_version}, not your cluster's version; set the cluster's `helm.kubeVersion` in its config file to check against it)",
            problem.help.clone().unwrap_or_default()
        );
        problem.into_warning().help(help)
    }));
    Ok(report.skipped)
}
