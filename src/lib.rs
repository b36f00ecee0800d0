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
pub mod crds;
pub mod diag;
pub mod diff;
pub mod edit;
pub mod emit;
pub mod fetch;
pub mod flux;
pub mod journey;
pub mod layer;
pub mod load;
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
pub mod scope;
pub mod settings;
pub mod sources;
pub mod suggest;
pub mod trace;
pub mod transform;
pub mod yaml;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::diag::Problem;
use crate::model::environments::Environments;
use crate::ops::generate::{CompileOptions, HookPolicy};
use crate::schema::Schema;
use crate::settings::{Settings, Verbosity};

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
            if cli.command.reports_json() {
                println!("{}", json_report(false, serde_json::Map::new(), &problems));
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: &Cli, settings: &Settings) -> Result<ExitCode, Vec<Problem>> {
    match &cli.command {
        Command::Generate(args) => {
            let options = compile_options(&args.render, settings)?;
            let (mut sources, warnings) =
                ops::remote::open(settings, settings.fetch(&args.fetch, &options.helm).map_err(|p| vec![p])?)?;
            if matches!(options.hooks, HookPolicy::Run(_)) {
                sources.copy_fetched_trees().map_err(|p| vec![p])?;
            }
            report(&warnings, settings);
            if args.stdout {
                let streamed = ops::generate::stream(&options, &args.clusters, &sources, !args.no_check)?;
                report(&streamed.warnings, settings);
                print!("{}", streamed.text);
                return Ok(ExitCode::SUCCESS);
            }
            let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
            let waiting =
                || settings.say(format!("waiting for another hldc run writing the output in {}", out_root.display()));
            let output = ops::generate::Output {
                root: &out_root,
                flux_kustomizations: args.flux_kustomizations,
                wait: (!args.no_wait).then_some(&waiting as &dyn Fn()),
            };
            let generated = ops::generate::generate(&options, &args.clusters, &sources, &output, !args.no_check)?;
            report(&generated.warnings, settings);
            for path in &generated.flux_files {
                settings.say(format!("wrote {path}"));
            }
            if args.output.output == cli::OutputFormat::Json {
                let mut fields = serde_json::Map::new();
                fields.insert("directory".into(), generated.directory.display().to_string().into());
                fields.insert("files".into(), generated.file_count.into());
                fields.insert("removed".into(), generated.removed.clone().into());
                fields.insert("unchecked".into(), generated.unchecked.iter().cloned().collect::<Vec<_>>().into());
                fields.insert("lockWritten".into(), generated.lock_written.into());
                println!("{}", json_report(true, fields, &generated.warnings));
                return Ok(ExitCode::SUCCESS);
            }
            if !generated.unchecked.is_empty() {
                let kinds: Vec<&str> = generated.unchecked.iter().map(String::as_str).collect();
                settings.say(format!("note: no schema to check these kinds against: {}", kinds.join(", ")));
            }
            if !generated.removed.is_empty() {
                let count = generated.removed.len();
                let files = if count == 1 { "file" } else { "files" };
                match settings.verbosity {
                    Verbosity::Verbose => {
                        settings.say(format!("removed {count} {files} of an earlier run:"));
                        for file in &generated.removed {
                            settings.say(format!("  {file}"));
                        }
                    }
                    _ if count <= 10 => settings
                        .say(format!("removed {count} {files} of an earlier run: {}", generated.removed.join(", "))),
                    _ => settings.say(format!("removed {count} {files} of an earlier run (-v names them)")),
                }
            }
            settings.say(format!("wrote {} files to {}", generated.file_count, generated.directory.display()));
            if generated.lock_written {
                settings.say(format!("updated {}", ops::remote::LOCK_FILE));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let fetch = settings.fetch_options(false, false, &helm).map_err(|p| vec![p])?;
            let (sources, warnings) = ops::remote::open(settings, fetch)?;
            report(&warnings, settings);
            let updated = ops::update::update(&sources, &args.components)?;
            report(&updated.warnings, settings);
            for change in &updated.changes {
                settings.say(change);
            }
            if updated.changes.is_empty() {
                settings.say(format!("{} is up to date", ops::remote::LOCK_FILE));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cache { action } => {
            match action {
                cli::CacheAction::Dir => println!("{}", settings.cache_dir.display()),
                cli::CacheAction::Clean => {
                    ops::remote::clean_cache(&settings.cache_dir).map_err(|p| vec![p])?;
                    settings.say(format!("removed {}", settings.cache_dir.display()));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(args) => {
            let validation = match validate_options(args, settings) {
                Ok(options) => ops::validate::validate(&options, settings),
                Err(problem) => ops::validate::Validation::could_not_run(vec![problem]),
            };
            match args.output.output {
                cli::OutputFormat::Json => println!("{}", validation.to_json()),
                cli::OutputFormat::Human => {
                    report(&validation.problems, settings);
                    for note in &validation.notes {
                        settings.say(format!("note: {note}"));
                    }
                    settings.say(validation.summary());
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
                noise: diff::Noise::new(&args.redact).map_err(|p| vec![p])?,
                compile,
            };
            let fetch = settings.fetch(&args.fetch, &options.compile.helm).map_err(|p| vec![p])?;
            let compared = ops::diff::diff(&options, settings, &fetch)?;
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
            settings.say(format!("updated {written}"));
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
            settings.say(format!("updated {written}"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Remove(args) => {
            let written = ops::edit::remove(&settings.hld_root, &dotted(args.parent.as_deref()), &args.name)
                .map_err(|p| vec![p])?;
            settings.say(format!("updated {written}"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Promote(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let fetch = settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?;
            let (sources, warnings) = ops::remote::open(settings, fetch.clone())?;
            report(&warnings, settings);
            let options = ops::promote::PromoteOptions {
                environment: args.environment.clone(),
                cluster: args.cluster.clone(),
                component: args.component.clone(),
                from: args.from.clone(),
                to: args.to.clone(),
            };
            let promoted = ops::promote::promote(&sources, &options)?;
            settings.say(format!(
                "updated {} ({} values of ring `{}` promoted)",
                promoted.file, promoted.values, args.from
            ));
            let diff = ops::diff::DiffOptions {
                compile: CompileOptions {
                    environments: Environments::new(std::slice::from_ref(&args.environment)),
                    helm,
                    hooks: HookPolicy::Skip,
                    kube_version: check::kube::default_version(),
                },
                clusters: args.cluster.iter().cloned().collect(),
                check: true,
                baseline: ops::diff::Baseline::Output(settings.hld_root.clone()),
                noise: diff::Noise::default(),
            };
            let compared = ops::diff::diff(&diff, settings, &fetch)?;
            report(&compared.warnings, settings);
            print!("{}", compared.human(settings.stdout_color, true));
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let (sources, warnings) =
                ops::remote::open(settings, settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?)?;
            report(&warnings, settings);
            let query = ops::config::Query {
                environment: &args.environment,
                cluster: args.cluster.as_deref(),
                component: args.component.as_deref(),
                ring: args.ring.as_deref(),
                key: args.key.as_deref(),
            };
            let shown = ops::config::config(&sources, &query)?;
            report(&shown.warnings, settings);
            match args.output {
                cli::OutputFormat::Human => print!("{}", ops::config::to_text(&shown.components)),
                cli::OutputFormat::Json => println!("{:#}", ops::config::to_json(&shown.components)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tree(args) => {
            let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
            let (sources, warnings) =
                ops::remote::open(settings, settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?)?;
            report(&warnings, settings);
            let tree = ops::tree::tree(&sources, args.environment.as_deref(), args.cluster.as_deref())?;
            match args.output.output {
                cli::OutputFormat::Human => print!("{}", ops::tree::to_text(&tree)),
                cli::OutputFormat::Json => println!("{}", ops::tree::to_json(&tree)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Journey(args) => {
            let repository = args.directory.as_deref().unwrap_or(&settings.hld_root);
            let journey = journey::journey(repository, &journey_options(args)?)?;
            report(&journey.warnings, settings);
            if let Some(file) = &args.html {
                journey::html::write(file, &journey).map_err(|p| vec![p])?;
                settings.say(format!("wrote {}", file.display()));
            }
            match args.output.or(args.html.is_none().then_some(cli::OutputFormat::Human)) {
                Some(cli::OutputFormat::Json) => println!("{}", journey.json()),
                Some(cli::OutputFormat::Human) => print!("{}", journey::text::render(&journey, settings.stdout_width)),
                None => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace(args) => {
            let (name, text) = if args.file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    vec![Problem::error("hldc::trace::read", format!("cannot read the object from stdin: {e}"))
                        .help("pipe the object's YAML in, e.g. `kubectl get pod NAME -o yaml | hldc trace -`")]
                })?;
                ("<stdin>".to_string(), text)
            } else {
                let name = args.file.display().to_string();
                let text = std::fs::read_to_string(&args.file).map_err(|e| {
                    vec![Problem::error("hldc::trace::read", format!("cannot read `{name}`: {e}"))
                        .help("give the file holding the object's YAML, or `-` to read it from stdin")]
                })?;
                (name, text)
            };
            let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
            let journeys = ops::trace::trace(&name, text, &out_root).map_err(|p| vec![p])?;
            for note in journeys.iter().flat_map(|journey| &journey.notes) {
                settings.say(format!("note: {note}"));
            }
            match args.output {
                cli::TraceFormat::Text => print!("{}", ops::trace::to_text(&journeys)),
                cli::TraceFormat::Json => println!("{}", ops::trace::to_json(&journeys)),
            }
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
        Command::Init { dir } => {
            let dir = dir.clone().unwrap_or_else(|| std::path::PathBuf::from("."));
            for file in ops::init::init(&dir).map_err(|p| vec![p])? {
                settings.say(format!("created {}", dir.join(file).display()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "hldc", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            let mut roff = Vec::new();
            page.render(&mut roff).map_err(|e| {
                vec![Problem::error("hldc::io::man", format!("cannot render the man page: {e}"))
                    .help("report this as a bug of hldc")]
            })?;
            print!("{}", String::from_utf8_lossy(&roff));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One `--output json` document: `ok`, the command's own fields, then every diagnostic.
fn json_report(ok: bool, mut fields: serde_json::Map<String, serde_json::Value>, problems: &[Problem]) -> String {
    fields.insert("ok".into(), ok.into());
    fields.insert("diagnostics".into(), problems.iter().map(Problem::to_json).collect());
    serde_json::to_string_pretty(&fields).unwrap_or_default()
}

fn compile_options(args: &cli::RenderArgs, settings: &Settings) -> Result<CompileOptions, Vec<Problem>> {
    Ok(CompileOptions {
        environments: Environments::new(&args.environments),
        helm: render::HelmSettings {
            cache: (!args.no_cache).then(|| std::sync::Arc::new(render::RenderCache::new(&settings.cache_dir))),
            ..settings.helm(&args.helm).map_err(|p| vec![p])?
        },
        hooks: match settings.hook_runner(args).map_err(|p| vec![p])? {
            Some(runner) => HookPolicy::Run(runner),
            None => HookPolicy::Refuse,
        },
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

fn journey_options(args: &cli::JourneyArgs) -> Result<journey::JourneyOptions, Vec<Problem>> {
    let mut problems = Vec::new();
    let since = args.since.as_deref().and_then(|text| {
        let parsed = journey::time::parse(text);
        if parsed.is_none() {
            problems.push(
                Problem::error("hldc::cli::date", format!("`--since {text}` is not a date"))
                    .help("write it as `2024-05-01` or `2024-05-01T12:00:00Z`"),
            );
        }
        parsed
    });
    let mut statuses = Vec::new();
    for text in &args.statuses {
        match journey::sync::assignment(text, "--status") {
            Ok((cluster, file)) => statuses.push((cluster.to_string(), std::path::PathBuf::from(file))),
            Err(problem) => problems.push(problem),
        }
    }
    let mut synced = Vec::new();
    for text in &args.synced {
        match journey::sync::assignment(text, "--synced") {
            Ok((cluster, sha)) => synced.push((cluster.to_string(), sha.to_string())),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(journey::JourneyOptions {
        since,
        service: args.service.clone(),
        ring: args.ring.clone(),
        cluster: args.cluster.clone(),
        statuses,
        synced,
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
