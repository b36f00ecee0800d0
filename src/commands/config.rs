//! `hldc config`: the merged config of each component, every value with where it was set.

use std::process::ExitCode;

use super::output::{self, warn, Printable};
use super::Ran;
use crate::cli::ConfigArgs;
use crate::ops;
use crate::ops::config::{Query, Report};
use crate::settings::Settings;

pub fn run(args: &ConfigArgs, settings: &Settings) -> Ran {
    let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
    let (sources, warnings) = ops::remote::open(settings, settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?)?;
    let policy = super::policy(settings, &sources);
    warn(warnings, &policy, settings)?;
    let query = Query {
        environment: &args.environment,
        cluster: args.target.cluster.as_deref(),
        component: args.component.as_deref(),
        ring: args.ring.as_deref(),
        key: args.key.as_deref(),
    };
    let shown = ops::config::config(&sources, &query)?;
    warn(shown.warnings.clone(), &policy, settings)?;
    output::print(&shown, args.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

impl Printable for Report {
    fn human(&self, _: &Settings) {
        print!("{}", ops::config::to_text(&self.components));
    }

    fn json(&self) -> String {
        format!("{:#}", ops::config::to_json(&self.components))
    }
}
