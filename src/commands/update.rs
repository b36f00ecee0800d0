//! `hldc update`: re-resolve remote sources and rewrite hldc.lock.

use std::process::ExitCode;

use super::output::warn;
use super::Ran;
use crate::cli::UpdateArgs;
use crate::ops;
use crate::settings::Settings;

pub fn run(args: &UpdateArgs, settings: &Settings) -> Ran {
    let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
    let fetch = settings.fetch_options(false, false, &helm).map_err(|p| vec![p])?;
    let (sources, warnings) = ops::remote::open(settings, fetch)?;
    let policy = super::policy(settings, &sources);
    warn(warnings, &policy, settings)?;
    let updated = ops::update::update(&sources, &args.components)?;
    warn(updated.warnings, &policy, settings)?;
    for change in &updated.changes {
        settings.say(change);
    }
    if updated.changes.is_empty() {
        settings.say(format!("{} is up to date", ops::remote::LOCK_FILE));
    }
    Ok(ExitCode::SUCCESS)
}
