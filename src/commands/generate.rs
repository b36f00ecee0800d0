//! `hldc generate`: write the environment's manifests, or print one target's (`--stdout`).

use std::process::ExitCode;

use super::output::{self, report, warn, Printable};
use super::Ran;
use crate::cli::GenerateArgs;
use crate::compile::HookPolicy;
use crate::ops;
use crate::ops::generate::Generated;
use crate::settings::{Settings, Verbosity};

pub fn run(args: &GenerateArgs, settings: &Settings) -> Ran {
    let options = super::compile_options(&args.render, settings)?;
    let (mut sources, warnings) =
        ops::remote::open(settings, super::render_fetch_options(&args.fetch, &options, settings)?)?;
    if matches!(options.hooks, HookPolicy::Run(_)) {
        sources.copy_fetched_trees().map_err(|p| vec![p])?;
    }
    warn(warnings, &super::policy(settings, &sources), settings)?;
    if args.stdout {
        let streamed = ops::generate::stream(&options, &args.targets.clusters, &sources, !args.no_check)?;
        report(&streamed.warnings, settings);
        super::report_remote_cache(&options, settings);
        print!("{}", streamed.text);
        return Ok(ExitCode::SUCCESS);
    }
    let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
    let waiting = || settings.say(format!("waiting for another hldc run writing the output in {}", out_root.display()));
    let output = ops::generate::Output {
        root: &out_root,
        flux_kustomizations: args.flux_kustomizations,
        wait: (!args.no_wait).then_some(&waiting as &dyn Fn()),
    };
    let generated = ops::generate::generate(&options, &args.targets.clusters, &sources, &output, !args.no_check)?;
    report(&generated.warnings, settings);
    super::report_remote_cache(&options, settings);
    for path in &generated.flux_files {
        settings.say(format!("wrote {path}"));
    }
    for path in &generated.flux_removed {
        settings.say(format!("removed {path}: its output is gone (a cluster no longer in hldc.yaml)"));
    }
    output::print(&generated, args.output.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

impl Printable for Generated {
    fn human(&self, settings: &Settings) {
        if !self.unchecked.is_empty() {
            let kinds: Vec<&str> = self.unchecked.iter().map(String::as_str).collect();
            settings.say(format!("note: no schema to check these kinds against: {}", kinds.join(", ")));
        }
        if !self.removed.is_empty() {
            let count = self.removed.len();
            let files = if count == 1 { "file" } else { "files" };
            match settings.verbosity {
                Verbosity::Verbose => {
                    settings.say(format!("removed {count} {files} of an earlier run:"));
                    for file in &self.removed {
                        settings.say(format!("  {file}"));
                    }
                }
                _ if count <= 10 => {
                    settings.say(format!("removed {count} {files} of an earlier run: {}", self.removed.join(", ")))
                }
                _ => settings.say(format!("removed {count} {files} of an earlier run (-v names them)")),
            }
        }
        let files = if self.file_count == 1 { "file" } else { "files" };
        settings.say(format!("wrote {} {files} to {}", self.file_count, self.directory.display()));
        if self.lock_written {
            settings.say(format!("updated {}", ops::remote::LOCK_FILE));
        }
    }

    fn json(&self) -> String {
        let mut fields = serde_json::Map::new();
        fields.insert("directory".into(), self.directory.display().to_string().into());
        fields.insert("files".into(), self.file_count.into());
        fields.insert("removed".into(), self.removed.clone().into());
        fields.insert("fluxRemoved".into(), self.flux_removed.clone().into());
        fields.insert("unchecked".into(), self.unchecked.iter().cloned().collect::<Vec<_>>().into());
        fields.insert("lockWritten".into(), self.lock_written.into());
        output::json_report(true, fields, &self.warnings)
    }
}
