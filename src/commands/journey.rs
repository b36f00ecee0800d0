//! `hldc journey`: every deployment's path from source commit to cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use super::output::{self, warn, Format, Printable};
use super::Ran;
use crate::cli::{JourneyArgs, OutputFormat};
use crate::diag::Problem;
use crate::diagnostics::Policy;
use crate::journey::{self, Journey, JourneyOptions};
use crate::settings::Settings;

pub fn run(args: &JourneyArgs, settings: &Settings) -> Ran {
    let repository = args.directory.as_deref().unwrap_or(&settings.hld_root);
    let journey = journey::journey(repository, &options(args)?)?;
    warn(journey.warnings.clone(), &Policy::of_flags(&settings.diagnostics), settings)?;
    if let Some(file) = &args.html {
        journey::html::write(file, &journey).map_err(|p| vec![p])?;
        settings.say(format!("wrote {}", file.display()));
    }
    // With `--html`, the page is the output: the terminal gets one only when asked.
    if let Some(format) = args.output.or(args.html.is_none().then_some(OutputFormat::Human)) {
        output::print(&journey, Format::from(format), settings);
    }
    Ok(ExitCode::SUCCESS)
}

fn options(args: &JourneyArgs) -> Result<JourneyOptions, Vec<Problem>> {
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
            Ok((cluster, file)) => statuses.push((cluster.to_string(), PathBuf::from(file))),
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
    Ok(JourneyOptions {
        since,
        service: args.service.clone(),
        ring: args.ring.clone(),
        cluster: args.cluster.clone(),
        statuses,
        synced,
    })
}

impl Printable for Journey {
    fn human(&self, settings: &Settings) {
        print!("{}", journey::text::render(self, settings.stdout_width));
    }

    fn json(&self) -> String {
        self.json()
    }
}
