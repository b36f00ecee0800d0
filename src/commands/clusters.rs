//! `hldc clusters`: the outputs an environment renders, for a CI matrix of one job per cluster.

use std::process::ExitCode;

use super::output::{self, Printable};
use super::Ran;
use crate::cli::ListClustersArgs;
use crate::model::environments::Environments;
use crate::ops;
use crate::settings::Settings;
use crate::sources::Sources;

pub fn run(args: &ListClustersArgs, settings: &Settings) -> Ran {
    let sources = Sources::local(&settings.hld_root).map_err(|p| vec![p])?;
    let project = crate::project::load(&sources)?;
    // A CI matrix built from a typo would be empty, and the job that fails far from the cause.
    ops::clusters::check_known(&sources, &project, &args.environments)?;
    let environments = Environments::new(&args.environments);
    let targets = project.targets(&environments, &[])?;
    let listed = Listed {
        environments: args.environments.clone(),
        clusters: targets.iter().filter_map(|target| target.cluster().map(str::to_string)).collect(),
        outputs: targets.iter().map(|target| format!("generated/{}", target.output_dir())).collect(),
    };
    if listed.clusters.is_empty() {
        settings.say(format!(
            "`{}` has no clusters: one job runs `hldc generate {}`",
            environments.output_dir(),
            args.environments.join(" ")
        ));
    }
    output::print(&listed, args.output.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

/// An environment's outputs: its clusters (none without `clusters:` in hldc.yaml) and the
/// directory each writes.
struct Listed {
    environments: Vec<String>,
    clusters: Vec<String>,
    outputs: Vec<String>,
}

impl Printable for Listed {
    fn human(&self, _: &Settings) {
        for cluster in &self.clusters {
            println!("{}", crate::diag::visible(cluster));
        }
    }

    fn json(&self) -> String {
        let listed = serde_json::json!({
            "environments": self.environments,
            "clusters": self.clusters,
            "outputs": self.outputs,
        });
        serde_json::to_string_pretty(&listed).unwrap_or_default()
    }
}
