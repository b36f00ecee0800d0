//! `hldc validate`: check the HLD; the verdict is the exit code.

use std::process::ExitCode;

use super::output::{self, report, Printable};
use super::Ran;
use crate::check;
use crate::cli::ValidateArgs;
use crate::diag::Problem;
use crate::ops::validate::{self, RenderCheck, ValidateOptions, Validation};
use crate::render::HelmSettings;
use crate::settings::Settings;

pub fn run(args: &ValidateArgs, settings: &Settings) -> Ran {
    let validation = match options(args, settings) {
        Ok(options) => validate::validate(&options, settings),
        Err(problem) => Validation::could_not_run(vec![problem]),
    };
    output::print(&validation, args.output.output.into(), settings);
    Ok(ExitCode::from(validation.verdict.exit_code()))
}

fn options(args: &ValidateArgs, settings: &Settings) -> Result<ValidateOptions, Problem> {
    let kube_version = match &args.kube_version {
        Some(version) => check::kube::parse_version(version)?,
        None => check::kube::default_version(),
    };
    Ok(ValidateOptions {
        environments: args.render.environments.clone(),
        allow_hooks: args.render.allow_hooks,
        // Every helm component renders twice, afresh: the determinism guard.
        helm: HelmSettings {
            twice: args.rendered,
            check_values: args.rendered,
            engine_check: args.engine_check,
            engine: Settings::helm_engine(&args.render.engine),
            ..settings.helm(&args.render.helm)?
        },
        rendered: args.rendered.then_some(RenderCheck { kube_version }),
    })
}

impl Printable for Validation {
    fn human(&self, settings: &Settings) {
        report(&self.problems, settings);
        for note in &self.notes {
            settings.say(format!("note: {note}"));
        }
        settings.say(self.summary());
    }

    fn json(&self) -> String {
        self.to_json()
    }
}
