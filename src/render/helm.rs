//! `type: helm`: `helm template` with the merged values, run isolated from the user's helm
//! setup (repositories, plugins, registry logins, kubeconfig) so renders are reproducible.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Level, Problem, SourceFile};
use crate::model::plan::Planned;
use crate::model::{HelmEngine, ObjectId};
use crate::process::{self, Failure};
use crate::sources::{Chart, Sources};
use crate::yaml::write as yaml;
use crate::yaml::{manifests, Document};

use super::cache::{Entry, Inputs, Renderer};
use super::determinism;
use super::native::{self, NativeError};
use super::values_error;
use super::HelmSettings;
use crate::gotemplate::sprig::clock::FixedClock;

/// What `helm template` printed for a component, parsed.
pub struct Output {
    pub documents: Vec<Document>,
    pub warnings: Vec<Problem>,
    /// The render cache's key of the render and sha256 of helm's output; `None` without a
    /// render cache (`validate`) or when the key cannot be computed.
    pub digests: Option<(String, String)>,
}

pub fn render(planned: &Planned, chart: &Chart, sources: &Sources, settings: &HelmSettings) -> Result<Output, Problem> {
    let name = planned.node.name();
    let chart_display = &chart.display;
    let job = Job::of(planned, settings);
    let renderer = choose(planned, chart, settings)?;
    let key = || {
        settings.cache.as_ref().and_then(|cache| {
            cache.key(
                renderer,
                settings.timeout,
                &Inputs {
                    release: &job.release,
                    chart: &chart.dir,
                    arguments: &job.arguments,
                    values: &job.values,
                    clock: job.clock,
                },
            )
        })
    };
    let template = |renderer: Renderer| job.run(renderer, planned, chart, sources, settings);
    let parse =
        |output: String| manifests::parse(&SourceFile::new(format!("helm template {name} {chart_display}"), output));
    // With a helm this machine has not asked its version yet (a CI runner's first run), the
    // cache key waits on `helm version`, as long as a render: render meanwhile. A cached output
    // found once the key is known still wins, as it would have without the wait. Not with a
    // shared cache: there the render is most likely made already, and a runner of a fleet
    // should start helm only for what no runner rendered.
    let speculate = !settings.twice
        && matches!(renderer, Renderer::Binary(helm) if settings.cache.as_ref().is_some_and(|cache| !cache.knows_version(helm) && cache.remote().is_none()));
    let (key, early) = if speculate {
        std::thread::scope(|scope| match std::thread::Builder::new().spawn_scoped(scope, key) {
            Ok(keyed) => {
                let rendered = template(renderer);
                (keyed.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), Some(rendered))
            }
            Err(_) => (key(), None),
        })
    } else {
        (key(), None)
    };
    let entry = key.as_deref().and_then(|key| settings.cache.as_ref()?.entry(key));
    let parsed = |output: String, warnings: Vec<Problem>| -> Result<Output, Problem> {
        let digests = key.clone().map(|key| (key, crate::fetch::cache::sha256_hex(output.as_bytes())));
        Ok(Output { documents: parse(output)?, warnings, digests })
    };
    if let Some(output) = entry.as_ref().and_then(Entry::get) {
        return parsed(output, Vec::new());
    }
    let output = match early {
        Some(rendered) => rendered?,
        None => template(renderer)?,
    };
    let mut problems = Vec::new();
    if settings.twice {
        let again = template(renderer)?;
        if output != again {
            let (first, second) = (String::from_utf8_lossy(&output), String::from_utf8_lossy(&again));
            problems.push(nondeterministic(planned, chart, &determinism::differences(&first, &second)));
        }
    }
    if settings.engine_check {
        problems.extend(engine_check(planned, chart, settings, renderer, &output, template)?);
    }
    if settings.check_values {
        // A chart the engine cannot read is helm's to judge: nothing to say of its values.
        if let Ok(loaded) = native::chart::load(&chart.dir) {
            problems.extend(super::unread::unread_values(planned, &loaded));
        }
    }
    let output = String::from_utf8(output).map_err(|_| {
        failed(planned, chart, "its output is not UTF-8".to_string())
            .help("check the chart's templates for binary content")
    })?;
    if let Some(entry) = &entry {
        entry.put(&output);
    }
    parsed(output, problems)
}

/// What one render of a component is made of: the release, the values and the arguments of
/// `helm template` after the chart's path (with the values, what the render cache keys on).
struct Job {
    release: String,
    namespace: String,
    values: String,
    arguments: Vec<String>,
    /// `helm.deterministic`'s fixed clock (`SOURCE_DATE_EPOCH`, read by the pipeline).
    clock: Option<FixedClock>,
}

impl Job {
    fn of(planned: &Planned, settings: &HelmSettings) -> Job {
        let namespace = planned.config.namespace.clone().unwrap_or_else(|| "default".to_string());
        let values = yaml::to_string(&serde_yaml::Value::Mapping(planned.config.values.clone()));
        let options = &planned.config.helm;
        let mut arguments: Vec<String> =
            ["--namespace", &namespace, "--values", "-", "--kube-version", &options.kube_version]
                .map(String::from)
                .into();
        arguments.extend(options.include_crds.then(|| "--include-crds".to_string()));
        arguments.extend(options.skip_tests.then(|| "--skip-tests".to_string()));
        arguments
            .extend(options.api_versions.iter().flat_map(|version| ["--api-versions".to_string(), version.clone()]));
        let clock = options.deterministic.then_some(FixedClock { source_date_epoch: settings.source_date_epoch });
        Job { release: planned.release_name(), namespace, values, arguments, clock }
    }

    fn run(
        &self,
        renderer: Renderer,
        planned: &Planned,
        chart: &Chart,
        sources: &Sources,
        settings: &HelmSettings,
    ) -> Result<Vec<u8>, Problem> {
        match renderer {
            Renderer::Binary(helm) => {
                let home = tempfile::tempdir().map_err(|e| {
                    Problem::error("hldc::io::temp", format!("cannot create a temporary directory for helm: {e}"))
                })?;
                let mut command = process::helm_command(helm, home.path());
                command
                    .args(["template", &self.release])
                    .arg(&chart.dir)
                    .args(&self.arguments)
                    .current_dir(sources.hld_root());
                process::run(command, self.values.as_bytes(), settings.timeout)
                    .map_err(|failure| failure_problem(planned, chart, helm, failure))
            }
            Renderer::Native => {
                let options = &planned.config.helm;
                let request = native::Request {
                    release: &self.release,
                    namespace: &self.namespace,
                    values: &self.values,
                    kube_version: &options.kube_version,
                    api_versions: &options.api_versions,
                    include_crds: options.include_crds,
                    skip_tests: options.skip_tests,
                    deterministic: self.clock,
                };
                native::render(&chart.dir, &request).map(String::into_bytes).map_err(|error| match error {
                    NativeError::Unsupported(reasons) => unsupported(planned, chart, &reasons),
                    NativeError::Failed(message) => values_error::trace(
                        failed(planned, chart, "the native engine stopped".to_string()).detail(message.clone()).help(
                            "read the message above; check the chart and the values under `config:` for this component",
                        ),
                        &subject(planned, chart),
                        &message,
                        &planned.layers,
                        &chart_name(chart),
                    ),
                })
            }
        }
    }
}

/// The renderer of a component: `--helm-engine`, else its `helm.engine`. `auto` asks the
/// native engine, before anything renders, whether the chart uses something it lacks; under
/// `helm.deterministic` only the native engine will do, so `auto` refuses instead of falling back.
fn choose<'a>(planned: &Planned, chart: &Chart, settings: &'a HelmSettings) -> Result<Renderer<'a>, Problem> {
    let engine = settings.engine.unwrap_or(planned.config.helm.engine);
    if let Some(problem) = crate::check::tree::deterministic_with_binary(planned, engine) {
        return Err(problem);
    }
    let deterministic = planned.config.helm.deterministic;
    match engine {
        HelmEngine::Native => Ok(Renderer::Native),
        HelmEngine::Binary => Ok(Renderer::Binary(binary(planned, settings)?)),
        HelmEngine::Auto => match settings.native_support.check(&chart.dir) {
            Ok(()) => Ok(Renderer::Native),
            Err(NativeError::Unsupported(reasons)) if deterministic => Err(unsupported(planned, chart, &reasons)),
            Err(NativeError::Unsupported(_)) => Ok(Renderer::Binary(binary(planned, settings)?)),
            // A chart the engine cannot even read: the native engine says why under
            // `deterministic`, else helm does, in its words.
            Err(NativeError::Failed(_)) if deterministic => Ok(Renderer::Native),
            Err(NativeError::Failed(_)) => Ok(Renderer::Binary(binary(planned, settings)?)),
        },
    }
}

fn binary<'a>(planned: &Planned, settings: &'a HelmSettings) -> Result<&'a Path, Problem> {
    settings.binary.as_deref().ok_or_else(|| {
        Problem::error(
            "hldc::helm::missing",
            format!("component `{}` is a helm chart, but no `helm` binary was found", planned.node.name()),
        )
        .at(planned.node.definition.field_location("type"))
        .help("install helm 3 or 4 (`scripts/install-tools` puts one in .tools/bin), then put it on PATH, pass `--helm PATH`, or set HLDC_HELM; or render it with hldc's own engine (`helm.engine: auto`, `--helm-engine auto`)")
    })
}

fn unsupported(planned: &Planned, chart: &Chart, reasons: &[String]) -> Problem {
    let (lacks, label, help) = if planned.config.helm.deterministic {
        (
            "cannot render deterministically",
            "rendered with `helm.deterministic: true`",
            "the helm binary's chance and clock are out of any seed's reach; remove `helm.deterministic` (the helm binary then renders what the native engine lacks with `helm.engine: auto`)",
        )
    } else {
        (
            "cannot render yet",
            "rendered by the native engine",
            "render it with the helm binary: `helm.engine: auto` falls back to it for such charts (or `--helm-engine auto`)",
        )
    };
    about_render(
        "hldc::render::engine-unsupported",
        planned,
        chart,
        &format!("uses what hldc's native engine {lacks}: {}", reasons.join(", ")),
    )
    .label(label)
    .help(help)
}

/// A finding about how a component's chart renders, at the component's definition.
fn about_render(code: &'static str, planned: &Planned, chart: &Chart, finding: &str) -> Problem {
    Problem::error(code, format!("component {} (chart `{}`) {finding}", named(planned), chart.display))
        .at(planned.node.definition.location())
}

/// The objects two renders of `component` disagree on, both read as kubectl reads them, but
/// where two renders by the helm binary disagree too: the values a chart makes up (passwords,
/// keys, certificates and the checksums of them) differ between any two renders, helm's own
/// included, and are chance, not the engine. `binary_again` renders once more when needed.
fn engine_differences(
    native: &[u8],
    binary: &[u8],
    binary_again: impl FnOnce() -> Result<Vec<u8>, Problem>,
    component: &str,
) -> Result<Vec<String>, Problem> {
    let read = |output: &[u8]| {
        let text = String::from_utf8_lossy(output).into_owned();
        manifests::parse(&SourceFile::new(format!("helm template {component}"), text)).map(|documents| {
            // An object printed twice (a chart's bug) is kept twice: the count is compared too.
            let mut objects = BTreeMap::new();
            for document in documents {
                let id = ObjectId::of(&document.value).to_string();
                let copies = (2..).map(|copy| format!("{id} (copy {copy})"));
                let key = std::iter::once(id.clone()).chain(copies).find(|key| !objects.contains_key(key));
                objects.insert(key.unwrap_or(id), document.value);
            }
            objects
        })
    };
    const NAMES: [&str; 2] = ["natively", "with the helm binary"];
    let binary = read(binary)?;
    let mut differences = determinism::every_difference(&read(native)?, &binary, NAMES);
    if !differences.is_empty() {
        let chance = determinism::every_difference(&read(&binary_again()?)?, &binary, NAMES);
        differences.retain(|difference| !chance.contains(difference));
    }
    Ok(determinism::named(differences))
}

/// `validate --rendered --engine-check`: the component rendered by the other engine too, and
/// every object the two renders disagree on, as kubectl would read them.
fn engine_check(
    planned: &Planned,
    chart: &Chart,
    settings: &HelmSettings,
    rendered_by: Renderer,
    output: &[u8],
    template: impl Fn(Renderer) -> Result<Vec<u8>, Problem>,
) -> Result<Vec<Problem>, Problem> {
    let helm = || binary(planned, settings);
    let (native, binary) = match rendered_by {
        Renderer::Native => (output.to_vec(), template(Renderer::Binary(helm()?))?),
        Renderer::Binary(_) => match settings.native_support.check(&chart.dir) {
            Err(NativeError::Unsupported(reasons)) => {
                // Nothing to compare: said, and not a failure of the check.
                return Ok(vec![Problem { level: Level::Warning, ..unsupported(planned, chart, &reasons) }]);
            }
            _ => match template(Renderer::Native) {
                Ok(native) => (native, output.to_vec()),
                Err(problem) => return Ok(vec![problem]),
            },
        },
    };
    let differences =
        engine_differences(&native, &binary, || template(Renderer::Binary(helm()?)), planned.node.name())?;
    if differences.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![about_render(
        "hldc::render::engine-differs",
        planned,
        chart,
        &format!("renders differently natively and with the helm binary: {}", differences.join(", ")),
    )
    .label("rendered both ways")
    .help("render this component with the helm binary (`helm.engine: binary`) and report the chart to hldc: the native engine must give helm's objects")])
}

/// Two renders with identical inputs differed: in GitOps, every generate would change the
/// output, and every sync roll the workload.
fn nondeterministic(planned: &Planned, chart: &Chart, differences: &[String]) -> Problem {
    let what = match differences {
        [] => "in its text only (comments or layout)".to_string(),
        _ => differences.join(", "),
    };
    about_render(
        "hldc::render::nondeterministic",
        planned,
        chart,
        &format!("renders differently each time with the same values: {what}"),
    )
    .label("rendered twice, with identical inputs")
    .help("the chart calls something that changes per render (`now`, `randAlphaNum`, `uuidv4`, `genCA`, `lookup`); set the value it generates in this component's config, or set `helm.deterministic: true` to have the native engine derive it from the release, the template and the values (any change to them draws it anew: a password the cluster keeps belongs in config; docs/native-engine.md). Until then `generate` and `diff` keep the objects already written while the chart and the component's config do not change, and warn")
}

fn failed(planned: &Planned, chart: &Chart, reason: String) -> Problem {
    Problem::error("hldc::helm::failed", format!("{}: {reason}", subject(planned, chart)))
        .at(planned.node.definition.location())
        .label("this component")
}

/// The `name` in the chart's Chart.yaml, as helm names the chart in its messages; read only
/// for a failure's message.
fn chart_name(chart: &Chart) -> String {
    std::fs::read_to_string(chart.dir.join("Chart.yaml"))
        .ok()
        .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
        .and_then(|chart| Some(chart.get("name")?.as_str()?.to_string()))
        .unwrap_or_default()
}

fn subject(planned: &Planned, chart: &Chart) -> String {
    format!("helm failed to render component {} (chart `{}`)", named(planned), chart.display)
}

/// `` `orders` ``, or `` `orders`, ring canary `` for one ring of a ringed component: each ring
/// renders with its own values, and fails on its own.
fn named(planned: &Planned) -> String {
    match &planned.ring {
        Some(ring) => format!("`{}`, ring {}", planned.node.name(), ring.name),
        None => format!("`{}`", planned.node.name()),
    }
}

fn failure_problem(planned: &Planned, chart: &Chart, helm: &Path, failure: Failure) -> Problem {
    let location = planned.node.definition.location();
    match &failure {
        Failure::Spawn(e) => {
            Problem::error("hldc::helm::spawn", format!("cannot run helm at `{}`: {e}", helm.display()))
                .at(location)
                .help("check the path given by `--helm` or HLDC_HELM, or put helm 3 or 4 on PATH")
        }
        Failure::Timeout(_) => failed(planned, chart, failure.to_string())
            .help("the chart may loop or wait on something; raise `--helm-timeout` if it is just slow"),
        Failure::Exit { stderr, .. } => values_error::trace(
            failed(planned, chart, failure.to_string())
                .detail(stderr.clone())
                .help("read helm's message above; check the chart and the values under `config:` for this component"),
            &subject(planned, chart),
            stderr,
            &planned.layers,
            &chart_name(chart),
        ),
        Failure::Input(_) => failed(planned, chart, failure.to_string())
            .help("helm reads all of its values; check that `--helm` names a helm 3 or 4 binary"),
        Failure::Output(_) | Failure::Wait(_) => Problem::error(
            "hldc::helm::io",
            format!("cannot run helm for component `{}`: {failure}", planned.node.name()),
        )
        .at(location)
        .help("this is a problem of the machine (pipes, processes), not of the HLD; run again"),
    }
}

#[cfg(test)]
mod tests {
    use super::engine_differences;

    #[test]
    fn engines_differ_where_kubectl_reads_the_objects_differently() {
        let binary = "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  mode: \"0755\"\n---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n";
        // The same text but for a comment and the quoting of a string: no difference.
        let same = binary.replace("# Source: web/templates/cm.yaml\n", "").replace("\"0755\"", "'0755'");
        let again = || Ok(binary.as_bytes().to_vec());
        assert_eq!(engine_differences(same.as_bytes(), binary.as_bytes(), again, "web").unwrap(), Vec::<String>::new());
        // An unquoted 0755 is the integer 493 to kubectl; a missing Service is named too.
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  mode: 0755\n";
        assert_eq!(
            engine_differences(other.as_bytes(), binary.as_bytes(), again, "web").unwrap(),
            ["`v1 ConfigMap a` at `data.mode`", "`v1 Service a` (only with the helm binary)"]
        );
        // An object printed once more is a difference too.
        let twice = format!(
            "{binary}---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n"
        );
        assert_eq!(
            engine_differences(twice.as_bytes(), binary.as_bytes(), again, "web").unwrap(),
            ["`v1 Service a (copy 2)` (only natively)"]
        );
        // What the binary changes from one render to the next is chance, not the engine.
        let binary_again = || Ok(binary.replace("0755", "0644").into_bytes());
        assert_eq!(
            engine_differences(other.as_bytes(), binary.as_bytes(), binary_again, "web").unwrap(),
            ["`v1 Service a` (only with the helm binary)"]
        );
    }
}
