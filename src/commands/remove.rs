//! `hldc remove`: remove a subcomponent entry from component.yaml.

use std::process::ExitCode;

use super::Ran;
use crate::cli::RemoveArgs;
use crate::ops::edit;
use crate::settings::Settings;

pub fn run(args: &RemoveArgs, settings: &Settings) -> Ran {
    let written = edit::remove(&settings.hld_root, &super::component_names(args.parent.as_deref()), &args.name)
        .map_err(|p| vec![p])?;
    settings.say(format!("updated {written}"));
    Ok(ExitCode::SUCCESS)
}
