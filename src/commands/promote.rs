//! `hldc promote`: move a ring's config into the ring it is promoted to, then show what moved,
//! what stayed, and the diff of every environment the edit changes.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::output::{self, report, Printable};
use super::Ran;
use crate::check;
use crate::cli::PromoteArgs;
use crate::compile::{CompileOptions, HookPolicy};
use crate::diag::visible;
use crate::diff::Noise;
use crate::model::environments::Environments;
use crate::ops;
use crate::ops::diff::{Baseline, DiffOptions, DiffReport};
use crate::ops::promote::{PromoteOptions, Promoted};
use crate::settings::Settings;

pub fn run(args: &PromoteArgs, settings: &Settings) -> Ran {
    let helm = settings.helm(&args.helm).map_err(|p| vec![p])?;
    let fetch = settings.fetch(&args.fetch, &helm).map_err(|p| vec![p])?;
    let (sources, warnings) = ops::remote::open(settings, fetch.clone())?;
    output::warn(warnings, &super::policy(settings, &sources), settings)?;
    let options = PromoteOptions {
        environment: args.environment.clone(),
        cluster: args.target.cluster.clone(),
        component: args.component.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        shared: args.shared,
    };
    let promoted = ops::promote::promote(&sources, &options)?;
    let values = match promoted.moved.len() {
        1 => "1 value".to_string(),
        n => format!("{n} values"),
    };
    settings.say(format!("updated {} ({values} of ring `{}` promoted)", promoted.files.join(", "), args.from));
    // Only a cluster's own file changes that cluster alone; any other changes every cluster of
    // the environments reading it.
    let clusters: Vec<String> = promoted.cluster.iter().cloned().collect();
    let mut diffs = DiffReport { targets: Vec::new(), metadata: Vec::new(), warnings: Vec::new() };
    for environment in &promoted.environments {
        let diff = DiffOptions {
            compile: CompileOptions {
                environments: Environments::new(std::slice::from_ref(environment)),
                helm: helm.clone(),
                hooks: HookPolicy::Skip,
                kube_version: check::kube::default_version(),
                jobs: settings.jobs,
                diagnostics: settings.diagnostics.clone(),
            },
            clusters: clusters.clone(),
            check: true,
            baseline: Baseline::Output(settings.hld_root.clone()),
            noise: Noise::default(),
        };
        let compared = ops::diff::diff(&diff, settings, &fetch)?;
        report(&compared.warnings, settings);
        diffs.targets.extend(compared.targets);
        diffs.metadata.extend(compared.metadata);
        diffs.warnings.extend(compared.warnings);
    }
    output::print(&Summary { promoted: &promoted, diffs: &diffs }, args.output.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

/// A promotion as printed: what moved and stayed, then each target's diff summary.
struct Summary<'a> {
    promoted: &'a Promoted,
    diffs: &'a DiffReport,
}

impl Printable for Summary<'_> {
    fn human(&self, settings: &Settings) {
        let promoted = self.promoted;
        let mut out = format!(
            "promoted ring `{}` of `{}` to `{}`\n",
            visible(&promoted.from),
            visible(&promoted.component),
            visible(&promoted.to)
        );
        let shown = |value: &serde_yaml::Value| visible(&serde_json::to_string(value).unwrap_or_default());
        for moved in &promoted.moved {
            let _ =
                writeln!(out, "  moved   {}: {}  ({})", visible(&moved.key), shown(&moved.value), visible(&moved.file));
        }
        for kept in &promoted.kept {
            let value = &kept.value;
            let _ = writeln!(
                out,
                "  stayed  {}: {}  ({}; kept by ring {})",
                visible(&value.key),
                shown(&value.value),
                visible(&value.file),
                kept.kept_by.iter().map(|ring| format!("`{}`", visible(ring))).collect::<Vec<_>>().join(" and ")
            );
        }
        print!("{out}{}", self.diffs.human(settings.stdout_color, true));
    }

    fn json(&self) -> String {
        let mut fields = match serde_json::to_value(self.promoted) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        fields.insert("diff".into(), self.diffs.json_value(true));
        output::json_report(true, fields, &self.diffs.warnings)
    }
}
