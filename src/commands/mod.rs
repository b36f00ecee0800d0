//! One file per command (cargo's `src/bin/cargo/commands/` is the model): each turns its
//! arguments into options, calls one operation, and prints the result through `output`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::check;
use crate::cli::RenderArgs;
use crate::compile::{CompileOptions, HookPolicy};
use crate::diag::Problem;
use crate::diagnostics::Policy;
use crate::model::environments::Environments;
use crate::render::{HelmSettings, RenderCache};
use crate::settings::Settings;
use crate::sources::Sources;

pub mod add;
pub mod cache;
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
            cache: (!args.no_cache).then(|| Arc::new(RenderCache::new(&settings.cache_dir))),
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

/// The run's diagnostics policy: hldc.yaml's `diagnostics:` (when the file reads: when it does
/// not, the command reports that), the flags over it.
fn policy(settings: &Settings, sources: &Sources) -> Policy {
    let project = crate::project::load(sources).map(|project| project.diagnostics).unwrap_or_default();
    Policy { flags: settings.diagnostics.clone(), project }
}

/// `infra.jaeger` as component names; none for an absent option.
fn dotted(names: Option<&str>) -> Vec<String> {
    names.map(|n| n.split('.').map(str::to_string).collect()).unwrap_or_default()
}
