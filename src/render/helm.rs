//! `type: helm`: `helm template` with the merged values, run isolated from the user's helm
//! setup (repositories, plugins, registry logins, kubeconfig) so renders are reproducible.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::diag::{Location, Problem, SourceFile};
use crate::emit::yaml;
use crate::resolve::Planned;
use crate::sources::Sources;
use crate::yaml::{parse_all, Document};

use super::HelmSettings;

pub fn render(planned: &Planned, sources: &Sources, settings: &HelmSettings) -> Result<Vec<Document>, Problem> {
    let name = planned.node.name();
    let entry = &planned.node.definition;
    let Some(helm) = &settings.binary else {
        return Err(Problem::error("hldc::helm::missing", format!("component `{name}` is a helm chart, but no `helm` binary was found"))
            .at(entry.field_location("type"))
            .help("install helm 3 or 4 (`scripts/install-tools` puts one in .tools/bin), then put it on PATH, pass `--helm PATH`, or set HLDC_HELM"));
    };
    let chart = sources.locate(entry, &planned.node.dir)?;
    let chart_display = sources.display(&chart);
    sources.check_links_inside(&chart, entry)?;
    let chart = sources.chart_with_dependencies(chart, entry)?;
    let namespace = planned.config.namespace.clone().unwrap_or_else(|| "default".to_string());
    let values = yaml::to_string(&serde_yaml::Value::Mapping(planned.config.values.clone()));
    let options = &planned.config.helm;
    let release = options.release_name.as_deref().unwrap_or(name);

    let home = tempfile::tempdir()
        .map_err(|e| Problem::error("hldc::io::temp", format!("cannot create a temporary directory for helm: {e}")))?;
    let isolated = |dir: &str| home.path().join(dir);
    let mut command = Command::new(helm);
    command
        .args(["template", release])
        .arg(&chart)
        .args(["--namespace", &namespace, "--values", "-", "--kube-version", &options.kube_version])
        .args(options.include_crds.then_some("--include-crds"))
        .args(options.skip_tests.then_some("--skip-tests"))
        .args(options.api_versions.iter().flat_map(|version| ["--api-versions", version]))
        .current_dir(sources.hld_root())
        .env_clear()
        .env("HOME", home.path())
        .env("HELM_CONFIG_HOME", isolated("config"))
        .env("HELM_CACHE_HOME", isolated("cache"))
        .env("HELM_DATA_HOME", isolated("data"))
        .env("HELM_PLUGINS", isolated("plugins"))
        .env("HELM_REPOSITORY_CONFIG", isolated("repositories.yaml"))
        .env("HELM_REPOSITORY_CACHE", isolated("repository-cache"))
        .env("HELM_REGISTRY_CONFIG", isolated("registry.json"))
        .env("KUBECONFIG", isolated("kubeconfig"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout can stop helm and anything it started.
        .process_group(0);

    let run = |reason: String| {
        Problem::error(
            "hldc::helm::failed",
            format!("helm failed to render component `{name}` (chart `{chart_display}`): {reason}"),
        )
        .at(entry.location())
        .label("this component")
    };
    let output = run_with_timeout(command, values.as_bytes(), settings.timeout).map_err(|failure| match failure {
        Failure::Spawn(e) => {
            Problem::error("hldc::helm::spawn", format!("cannot run helm at `{}`: {e}", helm.display()))
                .at(entry.location())
                .help("check the path given by `--helm` or HLDC_HELM, or put helm 3 or 4 on PATH")
        }
        Failure::Timeout => run(format!("no result after {}", humantime::format_duration(settings.timeout)))
            .help("the chart may loop or wait on something; raise `--helm-timeout` if it is just slow"),
        Failure::Exit(status, stderr) => run(status)
            .detail(stderr)
            .help("read helm's message above; check the chart and the values under `config:` for this component"),
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

fn kill_group(child: &mut std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) takes plain integers; a negative pid names the process group that
        // `process_group(0)` created for this child, and nothing else.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

enum Failure {
    Spawn(std::io::Error),
    Timeout,
    Exit(String, String),
}

/// Runs a command feeding `input` on stdin, returns its stdout; kills it after `timeout`.
fn run_with_timeout(mut command: Command, input: &[u8], timeout: Duration) -> Result<String, Failure> {
    let mut child = command.spawn().map_err(Failure::Spawn)?;
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buffer);
            }
            buffer
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                // Grandchildren may hold the pipes open; the readers are left to finish alone.
                return Err(Failure::Timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    match status {
        None => Err(Failure::Timeout),
        Some(status) if status.success() => {
            String::from_utf8(stdout).map_err(|_| Failure::Exit("its output is not UTF-8".into(), stderr))
        }
        Some(status) => {
            let reason = match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            };
            Err(Failure::Exit(reason, stderr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_are_recognised_by_helms_source_comment_in_charts_and_subcharts() {
        let output = "---\n# Source: app/crds/a.yaml\nkind: A\n---\n# Source: app/templates/crds/b.yaml\nkind: B\n\
                      ---\n# Source: app/charts/db/crds/c.yaml\nkind: C\n---\n# Source: app/charts/crds/templates/d.yaml\nkind: D\n\
                      ---\nkind: E\n";
        let file = SourceFile::new("helm template app chart", output);
        let found: Vec<(String, bool)> = parse_all(&file)
            .unwrap()
            .iter()
            .map(|d| (d.value["kind"].as_str().unwrap().to_string(), from_chart_crds(&d.value_location(&[]))))
            .collect();
        let expected = [("A", true), ("B", false), ("C", true), ("D", false), ("E", false)];
        assert_eq!(found, expected.map(|(kind, crds)| (kind.to_string(), crds)));
    }
}
