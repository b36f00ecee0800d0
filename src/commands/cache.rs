//! `hldc cache`: show or empty the source cache.

use std::process::ExitCode;

use super::Ran;
use crate::cli::CacheAction;
use crate::ops;
use crate::settings::Settings;

pub fn run(action: &CacheAction, settings: &Settings) -> Ran {
    match action {
        CacheAction::Dir => println!("{}", settings.cache_dir.display()),
        CacheAction::Clean => {
            ops::remote::clean_cache(&settings.cache_dir).map_err(|p| vec![p])?;
            settings.say(format!("removed {}", settings.cache_dir.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}
