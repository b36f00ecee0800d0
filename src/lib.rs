//! hldc compiles a high-level definition (HLD) of a GitOps deployment into plain, deterministic
//! Kubernetes manifests.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `load` (read and schema-check the tree) → `resolve` (environments, layering, output paths)
//! → `render` (static files, helm) → `transform` (namespace injection, identity checks)
//! → `emit` (canonical YAML, atomic write). `ops` holds one function per command; `cli` and
//! `settings` turn the command line and environment into their options.

// `Problem` is large (it carries its source, spans and hints); it travels only on the error
// path, where a few hundred bytes per failure cost nothing.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod edit;
pub mod emit;
pub mod fetch;
pub mod layer;
pub mod load;
pub mod model;
pub mod ops;
pub mod previous;
pub mod process;
pub mod project;
pub mod render;
pub mod resolve;
pub mod ring;
pub mod route;
pub mod schema;
pub mod scope;
pub mod settings;
pub mod sources;
pub mod suggest;
pub mod transform;
pub mod yaml;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::diag::Problem;
use crate::ops::generate::{CompileOptions, HookPolicy};
use crate::resolve::Environments;
use crate::schema::Schema;
use crate::settings::Settings;

/// Exit code for a run that could not do its job (bad input, failed render, IO error).
pub const EXIT_ERROR: u8 = 2;

/// Runs hldc with the process's arguments; the binary's whole `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = Settings::resolve(&cli);
    // Every parallel render runs on this pool, so `--jobs` bounds the helm processes too.
    let jobs = match &cli.command {
        Command::Generate(args) => args.render.jobs,
        Command::Validate(args) => args.render.jobs,
        Command::Diff(args) => args.render.jobs,
        _ => None,
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.map_or(0, usize::from)).build();
    let outcome = match pool {
        Ok(pool) => pool.install(|| run(&cli, &settings)),
        // No threads to be had: the work still gets done, on this one.
        Err(_) => run(&cli, &settings),
    };
    match outcome {
        Ok(code) => code,
        Err(problems) => {
            report(&problems, &settings);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: &Cli, settings: &Settings) -> Result<ExitCode, Vec<Problem>> {
    match &cli.command {
        Command::Generate(args) => {
            let options = compile_options(&args.render, settings)?;
            let (mut sources, warnings) = ops::remote::open(settings, settings.fetch(&args.fetch, &options.helm))?;
            if options.hooks == HookPolicy::Run {
                sources.copy_fetched_trees().map_err(|p| vec![p])?;
            }
            report(&warnings, settings);
            let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
            let generated = ops::generate::generate(&options, &args.clusters, &sources, &out_root, !args.no_check)?;
            report(&generated.warnings, settings);
            if !generated.unchecked.is_empty() {
                let kinds: Vec<&str> = generated.unchecked.iter().map(String::as_str).collect();
                eprintln!("note: no schema to check these kinds against: {}", kinds.join(", "));
            }
            if !generated.removed.is_empty() {
                let names = match generated.removed.len() {
                    ..=10 => format!(": {}", generated.removed.join(", ")),
                    _ => String::new(),
                };
                let count = generated.removed.len();
                eprintln!("removed {count} {} of an earlier run{names}", if count == 1 { "file" } else { "files" });
            }
            eprintln!("wrote {} files to {}", generated.file_count, generated.directory.display());
            if generated.lock_written {
                eprintln!("updated {}", ops::remote::LOCK_FILE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let fetch = settings.fetch(&cli::FetchArgs { locked: false, offline: false }, &helm);
            let (sources, warnings) = ops::remote::open(settings, fetch)?;
            report(&warnings, settings);
            let updated = ops::update::update(&sources, &args.components)?;
            report(&updated.warnings, settings);
            for change in &updated.changes {
                eprintln!("{change}");
            }
            if updated.changes.is_empty() {
                eprintln!("{} is up to date", ops::remote::LOCK_FILE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cache { action } => {
            match action {
                cli::CacheAction::Dir => println!("{}", settings.cache_dir.display()),
                cli::CacheAction::Clean => {
                    ops::remote::clean_cache(&settings.cache_dir).map_err(|p| vec![p])?;
                    eprintln!("removed {}", settings.cache_dir.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(args) => {
            let validation = match validate_options(args, settings) {
                Ok(options) => ops::validate::validate(&options, settings),
                Err(problem) => ops::validate::Validation::could_not_run(vec![problem]),
            };
            match args.output {
                cli::OutputFormat::Json => println!("{}", validation.to_json()),
                cli::OutputFormat::Human => {
                    report(&validation.problems, settings);
                    for note in &validation.notes {
                        eprintln!("note: {note}");
                    }
                    eprintln!("{}", validation.summary());
                }
            }
            Ok(ExitCode::from(validation.verdict.exit_code()))
        }
        Command::Diff(args) => {
            // diff writes nothing, so it never runs hooks either.
            let compile = CompileOptions { hooks: HookPolicy::Skip, ..compile_options(&args.render, settings)? };
            let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
            let options = ops::diff::DiffOptions {
                clusters: args.clusters.clone(),
                check: !args.no_check,
                baseline: match &args.against {
                    Some(reference) => ops::diff::Baseline::Ref(reference.clone()),
                    None => ops::diff::Baseline::Output(out_root),
                },
                noise: diff::Noise::new(&args.redact),
                compile,
            };
            let compared = ops::diff::diff(&options, settings, &settings.fetch(&args.fetch, &options.compile.helm))?;
            report(&compared.warnings, settings);
            print!(
                "{}",
                match args.output {
                    cli::DiffFormat::Human => compared.human(settings.stdout_color, args.stat),
                    cli::DiffFormat::Json => compared.json(args.stat) + "\n",
                    cli::DiffFormat::Markdown => compared.markdown(args.stat),
                }
            );
            Ok(ExitCode::from(if compared.is_identical() { 0 } else { 1 }))
        }
        Command::Set(args) => {
            let options = ops::edit::SetOptions {
                environment: args.environment.clone(),
                component: dotted(args.component.as_deref()),
                no_new_keys: args.no_new_keys,
                strings: args.string,
                trace: args.trace,
                files: args.files.clone(),
                assignments: args.assignments.clone(),
            };
            let written = ops::edit::set(&settings.hld_root, &options).map_err(|p| vec![p])?;
            eprintln!("updated {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Add(args) => {
            let component = ops::edit::NewComponent {
                name: args.name.clone(),
                component_type: args.component_type.clone(),
                method: args.method.clone(),
                source: args.source.clone(),
                path: args.path.clone(),
                version: args.version.clone(),
                branch: args.branch.clone(),
            };
            let written =
                ops::edit::add(&settings.hld_root, &dotted(args.parent.as_deref()), &component).map_err(|p| vec![p])?;
            eprintln!("updated {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Remove(args) => {
            let written = ops::edit::remove(&settings.hld_root, &dotted(args.parent.as_deref()), &args.name)
                .map_err(|p| vec![p])?;
            eprintln!("updated {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let (sources, warnings) = ops::remote::open(settings, settings.fetch(&args.fetch, &helm))?;
            report(&warnings, settings);
            let shown = ops::config::config(
                &sources,
                &args.environment,
                args.cluster.as_deref(),
                args.component.as_deref(),
                args.key.as_deref(),
            )?;
            report(&shown.warnings, settings);
            print!("{}", ops::config::to_text(&shown.components));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { name } => match name.as_deref().map(|n| (n, Schema::from_name(n))) {
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
        },
    }
}

fn compile_options(args: &cli::RenderArgs, settings: &Settings) -> Result<CompileOptions, Vec<Problem>> {
    Ok(CompileOptions {
        environments: Environments::new(&args.environments),
        helm: render::HelmSettings {
            cache: (!args.no_cache).then(|| std::sync::Arc::new(render::RenderCache::new(&settings.cache_dir))),
            ..settings.helm(&args.helm).map_err(|p| vec![p])?
        },
        hooks: if args.allow_hooks { HookPolicy::Run } else { HookPolicy::Refuse },
        kube_version: check::kube::default_version(),
    })
}

fn validate_options(args: &cli::ValidateArgs, settings: &Settings) -> Result<ops::validate::ValidateOptions, Problem> {
    let kube_version = match &args.kube_version {
        Some(version) => check::kube::parse_version(version)?,
        None => check::kube::default_version(),
    };
    Ok(ops::validate::ValidateOptions {
        environments: args.render.environments.clone(),
        allow_hooks: args.render.allow_hooks,
        // Every helm component renders twice, afresh: the determinism guard.
        helm: render::HelmSettings { twice: args.rendered, ..settings.helm(&args.render.helm)? },
        rendered: args.rendered.then_some(ops::validate::RenderCheck { kube_version }),
    })
}

/// `infra.jaeger` as component names; none for an absent option.
fn dotted(names: Option<&str>) -> Vec<String> {
    names.map(|n| n.split('.').map(str::to_string).collect()).unwrap_or_default()
}

/// Prints problems to stderr, warnings and errors alike.
pub fn report(problems: &[Problem], settings: &Settings) {
    for problem in problems {
        eprint!("{}", diag::render(problem, settings.color));
    }
}
