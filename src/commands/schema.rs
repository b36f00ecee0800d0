//! `hldc schema`: print a JSON Schema of one of the file formats, or list their names.

use std::process::ExitCode;

use super::Ran;
use crate::diag::Problem;
use crate::schema::Schema;

pub fn run(name: Option<&str>) -> Ran {
    match name.map(|n| (n, Schema::from_name(n))) {
        None => {
            for schema in Schema::ALL {
                println!("{}", schema.name());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some((_, Some(schema))) => {
            print!("{}", schema.text());
            Ok(ExitCode::SUCCESS)
        }
        Some((unknown, None)) => {
            let names: Vec<&str> = Schema::ALL.iter().map(|s| s.name()).collect();
            Err(vec![Problem::error("hldc::cli::unknown-schema", format!("there is no schema named `{unknown}`"))
                .help(format!("choose one of: {}", names.join(", ")))])
        }
    }
}
