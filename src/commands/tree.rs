//! `hldc tree`: the resolved component tree.

use std::process::ExitCode;

use super::output::{self, warn, Printable};
use super::Ran;
use crate::cli::TreeArgs;
use crate::ops;
use crate::ops::tree::Entry;
use crate::settings::Settings;

pub fn run(args: &TreeArgs, settings: &Settings) -> Ran {
    let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
    let (sources, warnings) = ops::remote::open(settings, settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?)?;
    warn(warnings, &super::policy(settings, &sources), settings)?;
    let tree = ops::tree::tree(&sources, args.environment.as_deref(), args.target.cluster.as_deref(), Settings::helm_engine(&args.engine))?;
    output::print(&tree, args.output.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

impl Printable for Entry {
    fn human(&self, _: &Settings) {
        print!("{}", ops::tree::to_text(self));
    }

    fn json(&self) -> String {
        ops::tree::to_json(self)
    }
}
