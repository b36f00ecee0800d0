//! hldc compiles a high-level definition (HLD) of a GitOps deployment into plain, deterministic
//! Kubernetes manifests.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `load` (read and schema-check the tree) → `resolve` (environments, layering, output paths)
//! → `render` (static files, helm) → `transform` (namespace injection, identity checks)
//! → `emit` (canonical YAML, atomic write); `compile` drives them. `ops` holds one operation per
//! command, `commands` one file per command (arguments → options → operation → `output`); `cli`
//! and `settings` turn the command line and environment into their options. This file only
//! dispatches, and maps problems to the exit code.

// `Problem` is large (it carries its source, spans and hints); it travels only on the error
// path, where a few hundred bytes per failure cost nothing.
#![allow(clippy::result_large_err)]

pub mod atomic;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod crds;
pub mod diag;
pub mod diagnostics;
pub mod diff;
pub mod edit;
pub mod emit;
pub mod fetch;
pub mod files;
pub mod flux;
pub mod gotemplate;
pub mod journey;
pub mod layer;
pub mod load;
pub mod localgit;
pub mod model;
pub mod ops;
pub mod patch;
pub mod paths;
pub mod previous;
pub mod process;
pub mod project;
pub mod render;
pub mod resolve;
pub mod ring;
pub mod route;
pub mod schema;
pub mod settings;
pub mod sources;
pub mod suggest;
pub mod trace;
pub mod transform;
pub mod yaml;

use std::process::ExitCode;

use crate::cli::Command;
use crate::commands::output::{json_report, report};
use crate::commands::Ran;
use crate::settings::Settings;

/// Exit code for a run that could not do its job (bad input, failed render, IO error).
pub const EXIT_ERROR: u8 = 2;

/// Runs hldc with the process's arguments; the binary's whole `main`.
pub fn main() -> ExitCode {
    // A git fetch run apart from the command that needs it (see `fetch::serve_git_fetch`).
    if std::env::args_os().nth(1).is_some_and(|arg| arg == fetch::GIT_FETCH_CHILD) {
        return fetch::serve_git_fetch();
    }
    let cli = cli::parse();
    let settings = Settings::resolve(&cli);
    match run(&cli.command, &settings) {
        Ok(code) => code,
        Err(problems) => {
            // Problems that stopped a command: its errors, and warnings said with them.
            let problems = diagnostics::Policy::of_flags(&settings.diagnostics).apply(problems);
            report(&problems, &settings);
            if cli.command.reports_json() {
                println!("{}", json_report(false, serde_json::Map::new(), &problems));
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(command: &Command, settings: &Settings) -> Ran {
    match command {
        Command::Generate(args) => commands::generate::run(args, settings),
        Command::Update(args) => commands::update::run(args, settings),
        Command::Cache { action } => commands::cache::run(action, settings),
        Command::Validate(args) => commands::validate::run(args, settings),
        Command::Diff(args) => commands::diff::run(args, settings),
        Command::Set(args) => commands::set::run(args, settings),
        Command::Add(args) => commands::add::run(args, settings),
        Command::Remove(args) => commands::remove::run(args, settings),
        Command::Promote(args) => commands::promote::run(args, settings),
        Command::Config(args) => commands::config::run(args, settings),
        Command::Tree(args) => commands::tree::run(args, settings),
        Command::Clusters(args) => commands::clusters::run(args, settings),
        Command::Journey(args) => commands::journey::run(args, settings),
        Command::Trace(args) => commands::trace::run(args, settings),
        Command::Schema { name } => commands::schema::run(name.as_deref()),
        Command::Init { dir } => commands::init::run(dir.as_deref(), settings),
        Command::Completions { shell } => commands::completions::run(*shell),
        Command::Man => commands::man::run(),
    }
}
