//! Rendering: each enabled component becomes a list of Kubernetes objects, in memory.
//! `static` reads YAML files; `helm` runs a real helm. This is the only stage that spawns
//! processes (helm, and hooks when the user allowed them).

mod cache;
mod determinism;
mod helm;
mod hooks;
mod kustomize;
pub mod native;
mod origin;
mod stable;
mod static_files;
mod unread;
mod values_error;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_yaml::Value;

use crate::diag::Problem;
use crate::model::plan::Planned;
use crate::model::record::Render;
use crate::model::rendered::{Object, Rendered, Rendering};
use crate::model::{ComponentType, HelmEngine};
use crate::sources::{Chart, Sources};
use crate::yaml::Document;

pub use cache::RenderCache;
pub use hooks::{hooks_of, refuse_hooks, run_hooks, Hook, HookRunner, HookStage};
pub use kustomize::check_directory as check_kustomize_directory;
pub use stable::keep_previous;

/// How to run helm, and kustomize (bounded by the same timeout).
#[derive(Debug, Clone)]
pub struct HelmSettings {
    /// The helm binary; `None` when none was configured or found on PATH.
    pub binary: Option<PathBuf>,
    pub timeout: Duration,
    /// `None` when none was configured or found on PATH.
    pub kustomize: Option<Kustomize>,
    /// The render cache: each helm render's key (the trace record keeps it, so a chart that
    /// renders differently from the same inputs keeps its output), and with reuse the outputs
    /// kept under it. `None` (`validate --rendered`): no keys, helm started for every component.
    pub cache: Option<Arc<RenderCache>>,
    /// Render each helm component twice and report what differs (`validate --rendered`).
    pub twice: bool,
    /// Warn of config values no template of the chart reads (`validate --rendered`).
    pub check_values: bool,
    /// What renders every helm component this run (`--helm-engine`); each its own
    /// `helm.engine` when `None`.
    pub engine: Option<HelmEngine>,
    /// Render each helm component with the other engine too and report every object that
    /// differs (`validate --rendered --engine-check`).
    pub engine_check: bool,
    /// Which charts the native engine can render, decided once per chart in a run (`auto`,
    /// `--engine-check`).
    pub native_support: Arc<native::SupportVerdicts>,
    /// The pipeline's `SOURCE_DATE_EPOCH` (seconds): the fixed clock of `helm.deterministic`
    /// renders; 1970-01-01 when `None`.
    pub source_date_epoch: Option<i64>,
}

/// The program that builds `type: kustomize` components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kustomize {
    /// A kustomize binary: `kustomize build DIR`.
    Standalone(PathBuf),
    /// kubectl's built-in kustomize: `kubectl kustomize DIR`.
    Kubectl(PathBuf),
}

/// Renders one component; `None` for containers, which produce no manifests.
/// `chart` is the prepared chart of a helm component (`Sources::prepare_chart`).
pub fn render(
    planned: &Planned,
    chart: Option<&Chart>,
    sources: &Sources,
    helm: &HelmSettings,
) -> Result<Option<Rendered>, Problem> {
    let Some(file) = planned.output_file() else {
        return Ok(None);
    };
    let mut rendering = None;
    let (documents, mut warnings) = match planned.node.component_type() {
        ComponentType::Component => return Ok(None),
        ComponentType::Static => {
            let (documents, skipped) = static_files::render(planned, sources)?;
            (documents, skipped.into_iter().collect())
        }
        ComponentType::Helm => {
            let chart = chart.ok_or_else(|| {
                Problem::error(
                    "hldc::internal::chart",
                    format!("the chart of `{}` was not prepared", planned.node.path),
                )
            })?;
            let output = helm::render(planned, chart, sources, helm)?;
            rendering = output.digests.map(|(key, output)| Rendering {
                digests: Render { inputs: inputs_digest(&key, planned), output: format!("sha256:{output}") },
                defined_at: planned.node.definition.location(),
                chart: chart.display.clone(),
            });
            (output.documents, output.warnings)
        }
        ComponentType::Kustomize => (kustomize::render(planned, sources, helm)?, Vec::new()),
    };
    let from_helm = planned.node.component_type() == ComponentType::Helm;
    let mut documents = crate::yaml::manifests::expand_lists(documents);
    warnings.extend(documents.iter_mut().flat_map(|document| std::mem::take(&mut document.warnings)));
    let objects = documents.into_iter().map(|d| into_object(d, from_helm)).collect::<Result<Vec<_>, _>>()?;
    let inject_namespace = planned.config.namespace.clone().filter(|_| planned.config.inject_namespace);
    let (origin, overridden) = origin::of(planned, sources);
    warnings.extend(overridden);
    Ok(Some(Rendered {
        component: planned.node.path.clone(),
        file,
        inject_namespace,
        objects,
        warnings,
        origin,
        rendering,
    }))
}

/// `sha256:<hex>` of what a helm component's objects are made from besides helm's output: the
/// render key, the merged config (what the transforms after rendering read: patches, labels,
/// annotations, namespace; the values and `helm:` are in the key already) and hldc's version
/// (which transforms them). Not `trace`, which only stamps (CI changes it on every build), nor
/// `subcomponents`, the children's config.
fn inputs_digest(render_key: &str, planned: &Planned) -> String {
    let mut config = crate::layer::merge_stack(&planned.layers);
    if let Value::Mapping(map) = &mut config {
        map.remove("trace");
        map.remove("subcomponents");
    }
    let config = crate::yaml::write::to_string(&config);
    let text = [render_key, env!("CARGO_PKG_VERSION"), &config].join("\0");
    format!("sha256:{}", crate::fetch::cache::sha256_hex(text.as_bytes()))
}

fn into_object(document: Document, from_helm: bool) -> Result<Object, Problem> {
    let origin = || document.value_location(&[]);
    let file = document.file.name().to_string();
    if !document.value.is_mapping() {
        return Err(Problem::error(
            "hldc::render::not-an-object",
            format!("a document in `{file}` is not a Kubernetes object (a mapping)"),
        )
        .at(origin())
        .label("expected `apiVersion:`, `kind:`, `metadata:`")
        .help("every YAML document in a manifest must be one Kubernetes object"));
    }
    let text = |key: &str| document.value.get(key).and_then(Value::as_str).filter(|text| !text.is_empty());
    let is_kustomization = text("apiVersion").is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
        || ["kustomization.yaml", "kustomization.yml", "Kustomization"].iter().any(|name| file.ends_with(name));
    if is_kustomization {
        return Err(Problem::error(
            "hldc::render::kustomization",
            format!("`{file}` is a kustomization, not a Kubernetes object"),
        )
        .at(origin())
        .label("kustomize's own file")
        .help("a static component copies manifests as they are; make this directory a `type: kustomize` component, or move the kustomization out of the static path"));
    }
    if text("apiVersion").is_none() || text("kind").is_none() {
        let missing = if text("apiVersion").is_none() { "apiVersion" } else { "kind" };
        return Err(Problem::error(
            "hldc::render::not-an-object",
            format!("a document in `{file}` has no `{missing}`: it is not a Kubernetes object"),
        )
        .at(origin())
        .label(format!("no `{missing}`"))
        .help("every YAML document under a static path must be a Kubernetes object; move values files and other YAML out of it"));
    }
    Ok(Object { document, from_helm })
}
