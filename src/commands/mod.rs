//! One file per command (cargo's `src/bin/cargo/commands/` is the model): each turns its
//! arguments into options, calls one operation, and prints the result through `output`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::check;
use crate::cli::RenderArgs;
use crate::compile::{CompileOptions, HookPolicy};
use crate::diag::Problem;
use crate::diagnostics::Policy;
use crate::fetch::registry::RemoteCache;
use crate::fetch::FetchOptions;
use crate::model::environments::Environments;
use crate::render::{HelmSettings, RenderCache};
use crate::settings::Settings;
use crate::sources::Sources;

pub mod add;
pub mod cache;
pub mod clusters;
pub mod completions;
pub mod config;
pub mod diff;
pub mod generate;
pub mod init;
pub mod journey;
pub mod man;
pub mod output;
pub mod promote;
pub mod remove;
pub mod schema;
pub mod set;
pub mod trace;
pub mod tree;
pub mod update;
pub mod validate;

/// What a command returns: its exit code, or the problems that stopped it (exit 2).
pub type Ran = Result<ExitCode, Vec<Problem>>;

/// The compile options of a command that renders (generate, diff).
fn compile_options(args: &RenderArgs, settings: &Settings) -> Result<CompileOptions, Vec<Problem>> {
    Ok(CompileOptions {
        environments: Environments::new(&args.environments),
        helm: HelmSettings {
            cache: Some(Arc::new(
                RenderCache::new(&settings.cache_dir, !args.no_cache).with_remote(remote_cache(args, settings)?),
            )),
            engine: Settings::helm_engine(&args.engine),
            ..settings.helm(&args.helm).map_err(|p| vec![p])?
        },
        hooks: match settings.hook_runner(args).map_err(|p| vec![p])? {
            Some(runner) => HookPolicy::Run(runner),
            None => HookPolicy::Refuse,
        },
        kube_version: check::kube::default_version(),
        jobs: settings.jobs,
        diagnostics: settings.diagnostics.clone(),
    })
}

/// The shared render cache of a command that renders, when the pipeline names one.
fn remote_cache(args: &RenderArgs, settings: &Settings) -> Result<Option<Arc<RemoteCache>>, Vec<Problem>> {
    let Some(reference) = &settings.cache_remote else { return Ok(None) };
    let credentials = settings.cache_remote_credentials.clone();
    let timeout = std::time::Duration::from_secs(60);
    let remote = RemoteCache::new(reference, args.cache_remote_read_only, credentials, timeout).map_err(|p| vec![p])?;
    Ok(Some(Arc::new(remote)))
}

/// The fetch options of a command that renders: its fetches share the render cache's remote.
fn render_fetch_options(
    args: &crate::cli::FetchArgs,
    options: &CompileOptions,
    settings: &Settings,
) -> Result<FetchOptions, Vec<Problem>> {
    let mut fetch = settings.fetch(args, &options.helm).map_err(|p| vec![p])?;
    fetch.shared_cache = options.helm.cache.as_ref().and_then(|cache| cache.remote()).cloned();
    Ok(fetch)
}

/// What the shared cache did this run, at `-v`: how many renders and sources it gave and took.
/// Its warning went through the diagnostics policy with the compile's (`compile_targets`).
fn report_remote_cache(options: &CompileOptions, settings: &Settings) {
    let Some(remote) = options.helm.cache.as_ref().and_then(|cache| cache.remote()) else { return };
    if settings.verbosity == crate::settings::Verbosity::Verbose {
        let traffic = remote.traffic();
        settings.say(format!(
            "shared cache: {} renders pulled, {} pushed; {} sources pulled, {} pushed",
            traffic.renders_pulled, traffic.renders_pushed, traffic.sources_pulled, traffic.sources_pushed
        ));
    }
}

/// `infra/jaeger` (as `hldc tree` prints paths) or `infra.jaeger` (Fabrikate's spelling) as
/// component names; with a `/`, a name may hold a dot. None for an absent option.
fn component_names(path: Option<&str>) -> Vec<String> {
    let Some(path) = path else { return Vec::new() };
    let separator = if path.contains('/') { '/' } else { '.' };
    path.split(separator).filter(|name| !name.is_empty()).map(str::to_string).collect()
}

/// The run's diagnostics policy: hldc.yaml's `diagnostics:` (when the file reads: when it does
/// not, the command reports that), the flags over it.
fn policy(settings: &Settings, sources: &Sources) -> Policy {
    let project = crate::project::load(sources).map(|project| project.diagnostics).unwrap_or_default();
    Policy { flags: settings.diagnostics.clone(), project }
}
