//! `hldc man`: the man page.

use std::process::ExitCode;

use super::Ran;
use crate::cli;
use crate::diag::Problem;

pub fn run() -> Ran {
    let roff = cli::man_page().map_err(|e| {
        vec![Problem::error("hldc::io::man", format!("cannot render the man page: {e}"))
            .help("report this as a bug of hldc")]
    })?;
    print!("{}", String::from_utf8_lossy(&roff));
    Ok(ExitCode::SUCCESS)
}
