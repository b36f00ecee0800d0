//! `hldc completions`: a shell completion script.

use std::process::ExitCode;

use super::Ran;
use crate::cli;

pub fn run(shell: cli::Shell) -> Ran {
    cli::write_completions(shell, &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
