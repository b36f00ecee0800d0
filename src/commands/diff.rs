//! `hldc diff`: compare a compile in memory with the output (or the HLD at a ref).

use std::process::ExitCode;

use super::output::{self, report, Printable};
use super::Ran;
use crate::cli::DiffArgs;
use crate::compile::{CompileOptions, HookPolicy};
use crate::diff::Noise;
use crate::ops::diff::{self, Baseline, DiffOptions, DiffReport};
use crate::settings::Settings;

pub fn run(args: &DiffArgs, settings: &Settings) -> Ran {
    // diff writes nothing, so it never runs hooks either.
    let compile = CompileOptions { hooks: HookPolicy::Skip, ..super::compile_options(&args.render, settings)? };
    let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
    let options = DiffOptions {
        clusters: args.targets.clusters.clone(),
        check: !args.no_check,
        baseline: match &args.against {
            Some(reference) => Baseline::Ref(reference.clone()),
            None => Baseline::Output(out_root),
        },
        noise: Noise::new(&args.redact).map_err(|p| vec![p])?,
        compile,
    };
    let fetch = super::render_fetch_options(&args.fetch, &options.compile, settings)?;
    let compared = diff::diff(&options, settings, &fetch)?;
    report(&compared.warnings, settings);
    super::report_remote_cache(&options.compile, settings);
    output::print(&Compared { report: &compared, stat: args.stat }, args.output.into(), settings);
    Ok(ExitCode::from(if compared.is_identical() { 0 } else { 1 }))
}

/// A diff as printed: whole, or only its summary (`--stat`).
pub struct Compared<'a> {
    pub report: &'a DiffReport,
    pub stat: bool,
}

impl Printable for Compared<'_> {
    fn human(&self, settings: &Settings) {
        print!("{}", self.report.human(settings.stdout_color, self.stat));
    }

    fn json(&self) -> String {
        self.report.json(self.stat)
    }

    fn markdown(&self, _: &Settings) {
        print!("{}", self.report.markdown(self.stat));
    }
}
