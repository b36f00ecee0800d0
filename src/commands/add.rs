//! `hldc add`: add a subcomponent entry to component.yaml.

use std::process::ExitCode;

use super::Ran;
use crate::cli::AddArgs;
use crate::ops::edit::{self, NewComponent};
use crate::settings::Settings;

pub fn run(args: &AddArgs, settings: &Settings) -> Ran {
    let component = NewComponent {
        name: args.name.clone(),
        component_type: args.component_type.clone(),
        method: args.method.clone(),
        source: args.source.clone(),
        path: args.path.clone(),
        version: args.version.clone(),
        branch: args.branch.clone(),
    };
    let written = edit::add(&settings.hld_root, &super::component_names(args.parent.as_deref()), &component)
        .map_err(|p| vec![p])?;
    settings.say(format!("updated {written}"));
    Ok(ExitCode::SUCCESS)
}
