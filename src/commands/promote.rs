//! `hldc promote`: move a ring's config into the ring it is promoted to, then show the diff.

use std::process::ExitCode;

use super::diff::Compared;
use super::output::{self, report, Format};
use super::Ran;
use crate::check;
use crate::cli::PromoteArgs;
use crate::compile::{CompileOptions, HookPolicy};
use crate::diff::Noise;
use crate::model::environments::Environments;
use crate::ops;
use crate::ops::diff::{Baseline, DiffOptions};
use crate::ops::promote::PromoteOptions;
use crate::settings::Settings;

pub fn run(args: &PromoteArgs, settings: &Settings) -> Ran {
    let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
    let fetch = settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?;
    let (sources, warnings) = ops::remote::open(settings, fetch.clone())?;
    report(&warnings, settings);
    let options = PromoteOptions {
        environment: args.environment.clone(),
        cluster: args.target.cluster.clone(),
        component: args.component.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
    };
    let promoted = ops::promote::promote(&sources, &options)?;
    settings.say(format!("updated {} ({} values of ring `{}` promoted)", promoted.file, promoted.values, args.from));
    let diff = DiffOptions {
        compile: CompileOptions {
            environments: Environments::new(std::slice::from_ref(&args.environment)),
            helm,
            hooks: HookPolicy::Skip,
            kube_version: check::kube::default_version(),
            jobs: settings.jobs,
        },
        clusters: args.target.cluster.iter().cloned().collect(),
        check: true,
        baseline: Baseline::Output(settings.hld_root.clone()),
        noise: Noise::default(),
    };
    let compared = ops::diff::diff(&diff, settings, &fetch)?;
    report(&compared.warnings, settings);
    output::print(&Compared { report: &compared, stat: true }, Format::Human, settings);
    Ok(ExitCode::SUCCESS)
}
