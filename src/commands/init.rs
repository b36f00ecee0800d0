//! `hldc init`: start a new HLD.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::Ran;
use crate::ops;
use crate::settings::Settings;

pub fn run(dir: Option<&Path>, settings: &Settings) -> Ran {
    let dir = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    for file in ops::init::init(&dir).map_err(|p| vec![p])? {
        settings.say(format!("created {}", dir.join(file).display()));
    }
    Ok(ExitCode::SUCCESS)
}
