//! `type: helm`: `helm template` with the merged values, run isolated from the user's helm
//! setup (repositories, plugins, registry logins, kubeconfig) so renders are reproducible.

use crate::diag::{Location, Problem, SourceFile};
use crate::emit::yaml;
use crate::process::{self, Failure};
use crate::resolve::Planned;
use crate::sources::{Chart, Sources};
use crate::yaml::{parse_all, Document};

use super::HelmSettings;

pub fn render(
    planned: &Planned,
    chart: &Chart,
    sources: &Sources,
    settings: &HelmSettings,
) -> Result<Vec<Document>, Problem> {
    let name = planned.node.name();
    let entry = &planned.node.definition;
    let Some(helm) = &settings.binary else {
        return Err(Problem::error("hldc::helm::missing", format!("component `{name}` is a helm chart, but no `helm` binary was found"))
            .at(entry.field_location("type"))
            .help("install helm 3 or 4 (`scripts/install-tools` puts one in .tools/bin), then put it on PATH, pass `--helm PATH`, or set HLDC_HELM"));
    };
    let chart_display = &chart.display;
    let namespace = planned.config.namespace.clone().unwrap_or_else(|| "default".to_string());
    let values = yaml::to_string(&serde_yaml::Value::Mapping(planned.config.values.clone()));
    let options = &planned.config.helm;
    let release = planned.release_name();

    let home = tempfile::tempdir()
        .map_err(|e| Problem::error("hldc::io::temp", format!("cannot create a temporary directory for helm: {e}")))?;
    let mut command = process::helm_command(helm, home.path());
    command
        .args(["template", &release])
        .arg(&chart.dir)
        .args(["--namespace", &namespace, "--values", "-", "--kube-version", &options.kube_version])
        .args(options.include_crds.then_some("--include-crds"))
        .args(options.skip_tests.then_some("--skip-tests"))
        .args(options.api_versions.iter().flat_map(|version| ["--api-versions", version]))
        .current_dir(sources.hld_root());

    let failed = |reason: String| {
        Problem::error(
            "hldc::helm::failed",
            format!("helm failed to render component `{name}` (chart `{chart_display}`): {reason}"),
        )
        .at(entry.location())
        .label("this component")
    };
    let output = process::run(command, values.as_bytes(), settings.timeout).map_err(|failure| match &failure {
        Failure::Spawn(e) => {
            Problem::error("hldc::helm::spawn", format!("cannot run helm at `{}`: {e}", helm.display()))
                .at(entry.location())
                .help("check the path given by `--helm` or HLDC_HELM, or put helm 3 or 4 on PATH")
        }
        Failure::Timeout(_) => failed(failure.to_string())
            .help("the chart may loop or wait on something; raise `--helm-timeout` if it is just slow"),
        Failure::Exit { stderr, .. } => failed(failure.to_string())
            .detail(stderr.clone())
            .help("read helm's message above; check the chart and the values under `config:` for this component"),
        Failure::Input(_) => failed(failure.to_string())
            .help("helm reads all of its values; check that `--helm` names a helm 3 or 4 binary"),
        Failure::Output(_) | Failure::Wait(_) => {
            Problem::error("hldc::helm::io", format!("cannot run helm for component `{name}`: {failure}"))
                .at(entry.location())
                .help("this is a problem of the machine (pipes, processes), not of the HLD; run again")
        }
    })?;
    let output = String::from_utf8(output).map_err(|_| {
        failed("its output is not UTF-8".to_string()).help("check the chart's templates for binary content")
    })?;
    let file = SourceFile::new(format!("helm template {name} {chart_display}"), output);
    parse_all(&file)
}

/// Whether helm took a rendered object from a chart's `crds/` directory (its own or a
/// subchart's): helm writes `# Source: <chart>/crds/<file>` (or `<chart>/charts/<sub>/crds/...`)
/// above each document it prints.
pub fn from_chart_crds(origin: &Location) -> bool {
    let text = origin.file.text();
    let Some(before) = text.get(..origin.span.start) else {
        return false;
    };
    let source =
        before.lines().rev().take_while(|line| *line != "---").find_map(|line| line.strip_prefix("# Source: "));
    // The first segment is the chart's name; then subcharts, each `charts/<name>`.
    let mut segments = source.into_iter().flat_map(|source| source.split('/')).skip(1);
    loop {
        match segments.next() {
            Some("crds") => return true,
            Some("charts") if segments.next().is_some() => {}
            _ => return false,
        }
    }
}
