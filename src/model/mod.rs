//! Plain data shared by the stages: what a component says and what a config layer says (here),
//! and the pipeline's data between its stages: the environments of a run (`environments`), the
//! loaded tree (`tree`), the plan of a run (`plan`), the rendered objects with their origin
//! (`rendered`), the trace record (`record`). Stages import their inputs from here, never from
//! the stage that produced them. No IO and no policy here.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

pub mod environments;
pub mod plan;
pub mod record;
pub mod rendered;
pub mod source;
pub mod tree;

/// What a component produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComponentType {
    /// A container of subcomponents; produces no manifests itself.
    Component,
    Helm,
    Static,
    /// A directory with a `kustomization.yaml`, built by the real kustomize.
    Kustomize,
}

impl ComponentType {
    /// The name `type:` spells it with.
    pub fn name(self) -> &'static str {
        match self {
            ComponentType::Component => "component",
            ComponentType::Helm => "helm",
            ComponentType::Static => "static",
            ComponentType::Kustomize => "kustomize",
        }
    }
}

/// Where a component's source comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Local,
    Git,
    Helm,
    Http,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Local => "local",
            Method::Git => "git",
            Method::Helm => "helm",
            Method::Http => "http",
        })
    }
}

/// The fields of a `component.yaml` entry, as written (Fabrikate's format).
/// The JSON Schema in `schemas/component.schema.json` is checked first, so this only types it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub component_type: Option<ComponentType>,
    /// Fabrikate's older name for `type`.
    pub generator: Option<ComponentType>,
    pub method: Option<Method>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub source: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub branch: Option<String>,
    /// With an `oci://` source: the registry speaks plain http (anyone on the path can read and
    /// change what it serves, so it must be said; a loopback registry need not).
    #[serde(default, rename = "plainHttp")]
    pub plain_http: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub subcomponents: Vec<ComponentSpec>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub hooks: Hooks,
    pub repositories: Option<BTreeMap<String, String>>,
}

/// A field written with no value (`subcomponents:`) is empty, as Fabrikate read it.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A string field written empty (`source: ""`) is absent, as Fabrikate's Go zero value was.
fn empty_as_none<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(deserializer)?.filter(|text| !text.is_empty()))
}

/// Fabrikate's hooks: shell commands per stage, in order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Hooks {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub before_install: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub after_install: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub before_generate: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub after_generate: Vec<String>,
}

impl Hooks {
    /// The stages with their key as written, in the order they run.
    pub fn stages(&self) -> [(&'static str, &[String]); 4] {
        [
            ("before-install", &self.before_install),
            ("after-install", &self.after_install),
            ("before-generate", &self.before_generate),
            ("after-generate", &self.after_generate),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.stages().iter().all(|(_, commands)| commands.is_empty())
    }
}

impl ComponentSpec {
    pub fn component_type(&self) -> ComponentType {
        self.component_type.or(self.generator).unwrap_or(ComponentType::Component)
    }

    pub fn method(&self) -> Method {
        self.method.unwrap_or(Method::Local)
    }
}

/// Whether a chart value's key names an image tag, as charts call one (`tag`, `imageTag`): text
/// to Kubernetes, and what a trace block's build is set by.
pub fn names_an_image_tag(key: &str) -> bool {
    key == "tag" || key.ends_with("Tag")
}

/// The typed view of a merged config layer stack for one component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentConfig {
    pub namespace: Option<String>,
    pub inject_namespace: bool,
    pub disabled: bool,
    /// The values: chart values for helm components.
    pub values: Mapping,
    /// How `helm template` runs; never part of the values.
    pub helm: HelmOptions,
    /// Where the current deployment came from (CI sets it); stamped and recorded, never values.
    pub trace: crate::model::record::TraceBlock,
}

impl ComponentConfig {
    /// Reads the fields of a merged config value; the schema has already checked their types.
    pub fn from_merged(merged: &Value) -> ComponentConfig {
        let field = |name: &str| merged.get(name);
        ComponentConfig {
            namespace: field("namespace").and_then(Value::as_str).map(str::to_string),
            inject_namespace: field("injectNamespace").and_then(Value::as_bool).unwrap_or(false),
            disabled: field("disabled").and_then(Value::as_bool).unwrap_or(false),
            values: field("config").and_then(Value::as_mapping).cloned().unwrap_or_default(),
            helm: HelmOptions::from_block(field("helm")),
            // The schema checked the block; a value that does not fit leaves it empty.
            trace: field("trace").and_then(|block| serde_yaml::from_value(block.clone()).ok()).unwrap_or_default(),
        }
    }
}

/// The Kubernetes version charts see in `.Capabilities.KubeVersion` unless `helm.kubeVersion`
/// says otherwise: fixed, so that the output never depends on which helm is installed (each
/// helm release defaults to the version it was built against). The newest version whose
/// schemas hldc ships (`check::kube`).
pub const DEFAULT_KUBE_VERSION: &str = "1.34.0";

/// A component's `helm:` config block: the `helm template` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmOptions {
    /// Render the chart's `crds/` directory (`--include-crds`).
    pub include_crds: bool,
    /// Leave out test hooks, e.g. the Pod `helm create` adds (`--skip-tests`).
    pub skip_tests: bool,
    /// `--kube-version`.
    pub kube_version: String,
    /// `--api-versions`, for charts that test `.Capabilities.APIVersions`.
    pub api_versions: Vec<String>,
    /// `.Release.Name`; the component name when `None`.
    pub release_name: Option<String>,
    /// What renders the chart.
    pub engine: HelmEngine,
    /// Chance and keys drawn from a stream seeded by the release, the template and the values
    /// (`helm.deterministic`): the native engine only.
    pub deterministic: bool,
}

/// What renders a helm component's chart (`helm.engine`, `--helm-engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HelmEngine {
    /// The helm binary: `helm template`.
    Binary,
    /// hldc's own engine, in-process; a chart using what it lacks is an error.
    Native,
    /// The own engine, or the binary for a chart using what the engine lacks (decided before
    /// rendering). The default: the engine gives helm's objects on every chart of helm/charts
    /// `stable/` it renders (docs/native-engine.md), and falls back before rendering otherwise.
    #[default]
    Auto,
}

impl HelmEngine {
    pub fn parse(text: &str) -> Option<HelmEngine> {
        match text {
            "binary" => Some(HelmEngine::Binary),
            "native" => Some(HelmEngine::Native),
            "auto" => Some(HelmEngine::Auto),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HelmEngine::Binary => "binary",
            HelmEngine::Native => "native",
            HelmEngine::Auto => "auto",
        }
    }
}

impl Default for HelmOptions {
    fn default() -> HelmOptions {
        HelmOptions::from_block(None)
    }
}

impl HelmOptions {
    /// Reads a merged `helm:` block; the schema has already checked its keys and types.
    fn from_block(block: Option<&Value>) -> HelmOptions {
        let field = |name: &str| block.and_then(|b| b.get(name));
        HelmOptions {
            include_crds: field("includeCRDs").and_then(Value::as_bool).unwrap_or(true),
            skip_tests: field("skipTests").and_then(Value::as_bool).unwrap_or(true),
            kube_version: field("kubeVersion").and_then(Value::as_str).unwrap_or(DEFAULT_KUBE_VERSION).to_string(),
            api_versions: field("apiVersions")
                .and_then(Value::as_sequence)
                .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            release_name: field("releaseName").and_then(Value::as_str).map(str::to_string),
            engine: field("engine").and_then(Value::as_str).and_then(HelmEngine::parse).unwrap_or_default(),
            deterministic: field("deterministic").and_then(Value::as_bool).unwrap_or(false),
        }
    }
}

/// The identity of a Kubernetes object: two objects with the same identity cannot coexist.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectId {
    pub fn of(object: &Value) -> ObjectId {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let metadata = object.get("metadata");
        ObjectId {
            api_version: text(object.get("apiVersion")),
            kind: text(object.get("kind")),
            namespace: metadata.and_then(|m| m.get("namespace")).and_then(Value::as_str).map(str::to_string),
            name: text(metadata.and_then(|m| m.get("name"))),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.api_version, self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, " {ns}/")?;
        } else {
            f.write_str(" ")?;
        }
        f.write_str(&self.name)
    }
}
