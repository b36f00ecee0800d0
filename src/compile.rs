//! The compiler driver every command that reads a target shares: open a target (project,
//! environment, cluster, load) once, then resolve → render → transform, check, and stamp.
//! Writing the result is the commands' business (`ops::generate`), not this module's.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use rayon::prelude::*;

use crate::check;
use crate::check::provenance::ConfigLayers;
use crate::check::scope::Scopes;
use crate::diag::Problem;
use crate::diagnostics::{Policy, Rules};
use crate::emit;
use crate::load;
use crate::model::environments::{Environments, Selection};
use crate::model::plan::Planned;
use crate::model::rendered::Rendered;
use crate::model::tree::Hld;
use crate::model::ComponentType;
use crate::project::Project;
use crate::render::{self, HelmSettings, Hook, HookRunner, HookStage};
use crate::resolve;
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
    /// How many components render at once (`Settings::jobs`).
    pub jobs: Option<u16>,
    /// The warnings the flags allow and deny (`Settings::diagnostics`), over hldc.yaml's.
    pub diagnostics: Rules,
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

/// One target opened: its project, the target itself (an environment combination, or one of its
/// clusters), the HLD loaded for it, and the warnings about the tree.
pub struct Opened {
    pub project: Project,
    pub target: Environments,
    pub hld: Hld,
    pub warnings: Vec<Problem>,
}

impl Opened {
    /// The target's components as it resolves them, with resolve's usual errors.
    pub fn resolve(&self) -> Result<Vec<Planned<'_>>, Vec<Problem>> {
        resolve::resolve(&self.hld, &self.target)
    }
}

/// Opens `environments` (or its `cluster`) of the HLD: the project file, the environments it
/// declares, the cluster's target, and the tree loaded for that target.
pub fn open(sources: &Sources, environments: Environments, cluster: Option<&str>) -> Result<Opened, Vec<Problem>> {
    let project = crate::project::load(sources)?;
    project.check_environments(&environments)?;
    let target = match cluster {
        Some(cluster) => project.cluster_target(&environments, cluster).map_err(|p| vec![p])?,
        None => environments,
    };
    let (hld, warnings) = load_for(&project, std::slice::from_ref(&target), sources)?;
    Ok(Opened { project, target, hld, warnings })
}

/// Compiles the HLD in memory for `options.environments`; writes nothing but the source cache.
pub fn compile(options: &CompileOptions, sources: &Sources) -> Result<Compiled, Vec<Problem>> {
    let Opened { project, target, hld, warnings } = open(sources, options.environments.clone(), None)?;
    let mut compiled = compile_loaded(options, &hld, &project, &target, sources)?;
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
    declare_project(&mut hld, project);
    // Mistakes `validate` rejects, but which do not stop a render: reported, not fatal, so an
    // HLD migrated from Fabrikate keeps building while it is cleaned up.
    warnings.extend(check::tree::unknown_subcomponents(&hld).into_iter().map(Problem::into_warning));
    warnings.extend(check::tree::misleading_scalars(&hld));
    warnings.extend(targets.first().and_then(|target| project.layering(target)));
    Ok((hld, warnings))
}

/// What the project file says of the HLD's environments: an environment it declares exists
/// even when only its clusters have files, and its clusters are no environments.
pub fn declare_project(hld: &mut Hld, project: &Project) {
    hld.environments.extend(project.environments.keys().cloned());
    hld.clusters.extend(project.environments.values().flat_map(|spec| spec.clusters.iter().cloned()));
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
    let mut warnings: Vec<Problem> = Vec::new();
    // Said once for a component's rings, and for a container's every child.
    add_once(
        &mut warnings,
        planned.iter().flat_map(|p| {
            let found = check::tree::check_inject_namespace(p).into_iter().chain(check::tree::unused_settings(p));
            found.map(|problem| problem.into_warning().component(&p.node.path))
        }),
    );
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
            ComponentType::Helm => {
                match sources.prepare_chart(definition, &component.node.dir, Some(&component.config.values)) {
                    Ok(chart) => Some(chart),
                    Err(problem) => {
                        problems.push(problem);
                        None
                    }
                }
            }
            ComponentType::Component | ComponentType::Static | ComponentType::Kustomize => None,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let results: Vec<Result<Option<Rendered>, Problem>> = with_jobs(options.jobs, || {
        planned
            .par_iter()
            .zip(&charts)
            .map(|(p, chart)| render::render(p, chart.as_ref(), sources, &options.helm))
            .collect()
    });
    let mut rendered = Vec::new();
    let mut overlays = Vec::new();
    for (result, component_plan) in results.into_iter().zip(&planned) {
        match result {
            Ok(Some(mut component)) => {
                crate::ring::rename::rename_for_ring(component_plan, &mut component);
                let path = &component.component;
                warnings.extend(component.warnings.drain(..).map(|warning| warning.component(path)));
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
    // The project's rules come last: they decide over hldc's own (the route kinds).
    let rules: Vec<_> = crate::route::scope_rules().into_iter().chain(project.scopes.iter().cloned()).collect();
    let scopes = Scopes::new(options.kube_version, &rules, &rendered, &crds).map_err(|p| vec![p])?;
    // Per component, so that `diagnostics.components` can allow it for one and not another.
    warnings.extend(
        rendered
            .iter()
            .flat_map(|r| scopes.unknown_kinds(&r.objects).into_iter().map(|warning| warning.component(&r.component))),
    );
    warnings.extend(transform::drop_cluster_scoped_namespaces(&mut rendered, &scopes));
    let patch_problems = crate::patch::apply_all(&mut rendered, &overlays, &scopes, options.kube_version);
    if !patch_problems.is_empty() {
        return Err(patch_problems);
    }
    transform::inject_namespaces(&mut rendered, &scopes);
    // Routes point at the Services as they will be written: renamed, patched, namespaced.
    let (mut routes, unrouted) = crate::route::routes(&planned, &rendered, &project.rings).map_err(|p| vec![p])?;
    for route in &mut routes {
        let default_ring =
            planned.iter().find(|p| p.node.path == route.component && p.ring.as_ref().is_some_and(|ring| ring.default));
        if let Some(default_ring) = default_ring {
            crate::patch::label_own_objects(&mut route.objects, &crate::patch::Overlays::of(&default_ring.layers));
        }
    }
    rendered.extend(routes);
    warnings.extend(unrouted);
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

/// The stack of a render thread: the native Helm engine walks values as deep as
/// `gotemplate::value::MAX_NESTING` (a chart is untrusted: deeper is an error, not an overflow),
/// more than the 2 MiB a thread gets by default. Address space, not memory: only what a
/// render touches is used.
const RENDER_STACK: usize = 64 << 20;

/// The thread count rayon's global pool was built with by `with_jobs`; `None` when something
/// else built it first.
static GLOBAL_POOL_THREADS: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();

/// Runs `work` with its parallel renders on `jobs` threads (a thread per core without): every
/// render starts at most one helm process, so `--jobs` bounds them. The threads are rayon's
/// global pool, built here once, so that the checks and the emitting after the renders share
/// them: a second pool beside it doubled the threads and the allocator's arenas (W4 peaked 55 MB
/// higher). When the global pool is not ours to shape, a pool of its own; when no thread is to
/// be had, this one: the work still gets done.
fn with_jobs<T: Send>(jobs: Option<u16>, work: impl FnOnce() -> T + Send) -> T {
    let threads = jobs.map_or(0, usize::from);
    let pool = || rayon::ThreadPoolBuilder::new().num_threads(threads).stack_size(RENDER_STACK);
    let global = GLOBAL_POOL_THREADS.get_or_init(|| pool().build_global().ok().map(|()| threads));
    if *global == Some(threads) {
        return work();
    }
    match pool().build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// What compiling and checking every target of a run leaves besides their files.
pub struct Checked {
    pub targets: Vec<Environments>,
    /// One trace record per target (none without stamping).
    pub records: Vec<crate::model::record::Record>,
    pub after_generate: Vec<Hook>,
    pub unchecked: BTreeSet<String>,
    pub warnings: Vec<Problem>,
}

/// What stamping needs: where the HLD is, the output directories whose changes are hldc's own,
/// and the output root whose previous output keeps unchanged objects' stamps.
pub struct Stamping<'a> {
    hld_root: PathBuf,
    excluded: Vec<PathBuf>,
    out_root: &'a std::path::Path,
    /// What the HLD's git says, when known beforehand (`diff --against REF`: the ref's commit).
    known: Option<HldGit>,
}

/// The HLD's commit, looked up while the compile runs.
type LookedUp = LazyLock<HldGit, Box<dyn FnOnce() -> HldGit + Send>>;

impl<'a> Stamping<'a> {
    pub fn new(hld_root: &std::path::Path, excluded: Vec<PathBuf>, out_root: &'a std::path::Path) -> Stamping<'a> {
        Stamping { hld_root: hld_root.to_path_buf(), excluded, out_root, known: None }
    }

    /// Stamps with `git` as it is, without looking at the HLD's repository.
    pub fn with_git(git: HldGit, out_root: &'a std::path::Path) -> Stamping<'a> {
        Stamping { hld_root: PathBuf::new(), excluded: Vec::new(), out_root, known: Some(git) }
    }

    /// Looks the HLD's commit up while the compile runs, once the tree is loaded: libgit2
    /// starts slowly (it loads the system's CA certificates), and nothing the compile does
    /// changes the HLD's status, with one exception `compile_targets` waits for (hooks). `read`
    /// are the places the HLD reads in its repository (its root, local sources beside it): an
    /// uncommitted change in any of them means no commit holds what is rendered. (A source or
    /// render cache inside the HLD's work tree, not ignored by git, makes it look changed from
    /// the run that creates the cache on, maybe that run itself.)
    fn describe(&self, read: Vec<PathBuf>) -> LookedUp {
        if let Some(known) = self.known.clone() {
            return LazyLock::new(Box::new(move || known));
        }
        let (root, excluded) = (self.hld_root.clone(), self.excluded.clone());
        let (spare_root, spare_read, spare_excluded) = (root.clone(), read.clone(), excluded.clone());
        let describing = std::thread::Builder::new().spawn(move || HldGit::describe(&root, &read, &excluded));
        // Without a thread to spare, the lookup runs when first needed.
        let joined = move || match describing {
            Ok(describing) => describing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => HldGit::describe(&spare_root, &spare_read, &spare_excluded),
        };
        LazyLock::new(Box::new(joined))
    }
}

/// The local places the loaded tree reads besides the HLD root: the `source`/`path` of local
/// components (a static `path: ../shared`), as written from their directories.
fn local_reads(hld: &Hld) -> Vec<PathBuf> {
    let mut reads = Vec::new();
    let mut nodes = vec![&hld.root];
    while let Some(node) = nodes.pop() {
        let spec = &node.definition.spec;
        if spec.method() == crate::model::Method::Local && node.renders() {
            let mut target = Some(node.dir.clone());
            for part in [&spec.source, &spec.path].into_iter().flatten() {
                target = target.and_then(|dir| crate::paths::join_relative(&dir, part));
            }
            reads.extend(target);
        }
        nodes.extend(&node.children);
    }
    reads
}

/// Compiles, checks (and with `stamping`, stamps) each target in turn and hands its files to
/// `sink` before the next one, so memory holds one cluster's objects at a time. Every target
/// passes its checks before the caller commits anything: a failing cluster writes no cluster.
pub fn compile_targets(
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
    let git = stamping.map(|stamping| {
        let mut read = vec![sources.hld_root().to_path_buf()];
        read.extend(local_reads(&hld));
        stamping.describe(read)
    });
    if let Some(git) = git.as_ref().filter(|_| matches!(options.hooks, HookPolicy::Run(_))) {
        // Hooks may write into the HLD: its status is the one from before they run.
        LazyLock::force(git);
    }
    let mut records = Vec::new();
    let mut after_generate = Vec::new();
    let mut unchecked = BTreeSet::new();
    for target in &targets {
        let mut compiled = compile_loaded(options, &hld, project, target, sources)?;
        if let Some(stamping) = stamping {
            // Before the checks and stamps, which then see what is written.
            let kept = render::keep_previous(&mut compiled.components, target, stamping.out_root);
            compiled.warnings.extend(kept);
        }
        if check {
            unchecked.extend(check_objects(&mut compiled, options.kube_version)?);
        }
        add_once(&mut warnings, compiled.warnings.drain(..));
        after_generate.append(&mut compiled.after_generate);
        let mut hydrator = None;
        if let (Some(stamping), Some(git)) = (stamping, &git) {
            let traced = trace::trace(&mut compiled.components, target, git, stamping.out_root);
            add_once(&mut warnings, traced.warnings);
            hydrator = traced.hydrator;
            records.push(traced.record);
        }
        let mut files = emit::output_files(&compiled.components);
        drop(compiled);
        files.extend(hydrator.map(|text| (trace::hydrator::FILE.to_string(), text)));
        sink(target, files).map_err(|p| vec![p])?;
    }
    if let Some(warning) = git.as_ref().and_then(|git| git.warning.clone()) {
        warnings.insert(git_warning_at, warning);
    }
    // What went wrong with the shared cache while fetching and rendering, judged like the rest.
    warnings.extend(options.helm.cache.as_ref().and_then(|cache| cache.remote()?.take_warning()));
    // Before the caller commits anything: a denied warning stops the run like any error.
    let policy = Policy { flags: options.diagnostics.clone(), project: project.diagnostics.clone() };
    let warnings = policy.judge(warnings)?;
    Ok(Checked { targets, records, after_generate, unchecked, warnings })
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
    let report = objects_report(compiled, kube_version)?;
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

/// Every finding of the object checks, each component under its own Kubernetes version: what
/// `check_objects` sorts into errors and warnings, and `validate --rendered` reports as it is.
pub fn objects_report(
    compiled: &Compiled,
    kube_version: &'static str,
) -> Result<check::objects::ObjectReport, Vec<Problem>> {
    let paths = compiled.components.iter().map(|c| c.component.as_str());
    let versions = check::kube::KubeVersions::of(kube_version, paths, &compiled.config)?;
    Ok(check::objects::check(&compiled.components, &compiled.crds, &versions, &compiled.scopes, &compiled.config))
}
