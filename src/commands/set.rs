//! `hldc set`: set values in a config file, changing only the lines that hold them.

use std::process::ExitCode;

use super::Ran;
use crate::cli::SetArgs;
use crate::ops::edit::{self, SetOptions};
use crate::settings::Settings;

pub fn run(args: &SetArgs, settings: &Settings) -> Ran {
    let options = SetOptions {
        environment: args.environment.clone(),
        component: super::component_names(args.component.as_deref()),
        no_new_keys: args.no_new_keys,
        strings: args.string,
        trace: args.trace,
        files: args.files.clone(),
        assignments: args.assignments.clone(),
        create: args.create,
    };
    let written = edit::set(&settings.hld_root, &options).map_err(|p| vec![p])?;
    settings.say(format!("updated {}", written.file));
    for value in &written.stringified {
        settings.say(format!(
            "note: `{}` written as the string \"{}\": {} (`--string` writes every value as a string)",
            value.key, value.value, value.why
        ));
    }
    Ok(ExitCode::SUCCESS)
}
