//! `hldc tree`: the component tree as one target resolves it, one line per component, drawn like
//! `cargo tree`. Each line: the component's path, its type, its source and pin (the commit or
//! chart version hldc.lock holds; a local chart's version from its Chart.yaml), its namespace,
//! its rings (the default marked `*`), and `disabled` for a component its config turns off (shown,
//! not descended into). Reads no network and runs no helm: remote charts are named by their pin.
//! One walk builds the tree as data (`Entry`); `to_text` and `to_json` only present it.

use std::fmt::Write as _;

use serde::Serialize;
use serde_yaml::Value;

use crate::diag::Problem;
use crate::fetch::{Lockfile, SourceSpec};
use crate::layer::Layer;
use crate::model::environments::Environments;
use crate::model::tree::{Declared, Node, Placement};
use crate::model::{ComponentSpec, ComponentType, HelmEngine, Method};
use crate::render::native::{self, NativeError};
use crate::resolve;
use crate::sources::Sources;

/// One component as the target resolves it, and the components under it: built once, then
/// drawn as text (`to_text`) or serialized (`--output json`).
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The component's path (`fabrikam/infra/mon`).
    pub component: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where it comes from: a local path, or the method, location and reference of a remote source.
    pub source: String,
    /// The commit or chart version hldc.lock holds (shortened), or a local chart's version.
    pub pin: Option<String>,
    pub namespace: Option<String>,
    pub rings: Vec<RingEntry>,
    /// What renders a helm component's chart, and why; `None` for other components.
    pub engine: Option<EngineEntry>,
    pub disabled: bool,
    /// Empty for a disabled component: it is shown, not descended into.
    pub children: Vec<Entry>,
    /// A remote source without a pin reads `(unpinned)`; a local one has nothing to pin.
    #[serde(skip)]
    remote: bool,
}

/// The engine a helm component renders with this run: `binary` or `native`, or `auto` while
/// the chart is not fetched; `why` says what decided it.
#[derive(Debug, Serialize)]
pub struct EngineEntry {
    pub uses: &'static str,
    pub why: String,
}

#[derive(Debug, Serialize)]
pub struct RingEntry {
    pub name: String,
    pub default: bool,
}

/// The tree of `environment` (every environment's `common` when `None`), seen from `cluster`.
/// `engine` is `--helm-engine`, which overrides every component's `helm.engine`.
pub fn tree(
    sources: &Sources,
    environment: Option<&str>,
    cluster: Option<&str>,
    engine: Option<HelmEngine>,
) -> Result<Entry, Vec<Problem>> {
    let environments = Environments::new(environment.map(str::to_string).as_slice());
    let opened = crate::compile::open(sources, environments, cluster)?;
    // Resolving checks the environment exists and the rings are sound, with its usual errors.
    opened.resolve()?;
    let walker = Walker { sources, lock: sources.lock().unwrap_or_default(), target: &opened.target, engine };
    let layers = resolve::stack(Vec::new(), &opened.hld.outer_configs, &opened.target);
    Ok(walker.node(&opened.hld.root, layers, Vec::new()))
}

/// The tree drawn like `cargo tree`, one line per component.
pub fn to_text(root: &Entry) -> String {
    let mut out = String::new();
    draw(root, "", "", &mut out);
    out
}

/// `lead` draws this line's branch, `indent` the lines below it.
fn draw(entry: &Entry, lead: &str, indent: &str, out: &mut String) {
    let _ = write!(out, "{lead}{} {} {}", entry.component, entry.kind, entry.source);
    match &entry.pin {
        Some(pin) => {
            let _ = write!(out, "@{pin}");
        }
        None if entry.remote => out.push_str(" (unpinned)"),
        None => {}
    }
    if let Some(namespace) = &entry.namespace {
        let _ = write!(out, " namespace={namespace}");
    }
    if !entry.rings.is_empty() {
        let names: Vec<String> =
            entry.rings.iter().map(|r| if r.default { format!("{}*", r.name) } else { r.name.clone() }).collect();
        let _ = write!(out, " rings={}", names.join(","));
    }
    if let Some(engine) = &entry.engine {
        let _ = write!(out, " engine={} ({})", engine.uses, engine.why);
    }
    if entry.disabled {
        out.push_str(" disabled");
    }
    out.push('\n');
    for (index, child) in entry.children.iter().enumerate() {
        let last = index + 1 == entry.children.len();
        let (branch, below) = if last { ("└── ", "    ") } else { ("├── ", "│   ") };
        draw(child, &format!("{indent}{branch}"), &format!("{indent}{below}"), out);
    }
}

/// `{"component", "type", "source", "pin", "namespace", "rings", "engine": {"uses", "why"} or
/// null, "disabled", "children"}`, nested.
pub fn to_json(root: &Entry) -> String {
    // Strings, booleans and lists of them: always serializable.
    serde_json::to_string_pretty(root).unwrap_or_default()
}

struct Walker<'a> {
    sources: &'a Sources,
    lock: Lockfile,
    target: &'a Environments,
    engine: Option<HelmEngine>,
}

/// A component's type and where it comes from, before config says anything about it.
struct Described {
    kind: &'static str,
    source: String,
    pin: Option<String>,
    remote: bool,
}

impl Described {
    fn entry(self, component: String) -> Entry {
        Entry {
            component,
            kind: self.kind,
            source: self.source,
            pin: self.pin,
            namespace: None,
            rings: Vec::new(),
            engine: None,
            disabled: false,
            children: Vec::new(),
            remote: self.remote,
        }
    }
}

impl Walker<'_> {
    /// One loaded component and, unless disabled, its children (`inherited` and `passed` as
    /// `resolve` layers them).
    fn node(&self, node: &Node, inherited: Vec<Layer>, passed: Vec<Layer>) -> Entry {
        let mut layers = resolve::stack(inherited, &node.configs, self.target);
        layers.extend(passed);
        let config = resolve::config_of(&layers);
        // A directory component is its directory (the entry that named it is gone once loaded),
        // unless its own file says what it renders (`type: helm` and a chart `path`).
        let renders_itself = node.definition.spec.component_type() != ComponentType::Component;
        let described = match (&node.fetched_from, node.placement) {
            (None, Placement::Directory | Placement::Root) if renders_itself => {
                self.describe(&node.definition, &node.dir)
            }
            (Some(remote), _) => Described {
                kind: ComponentType::Component.name(),
                source: self.sources.display(&node.dir),
                pin: self.pin(remote),
                remote: true,
            },
            (None, Placement::Directory | Placement::Root) => Described {
                kind: ComponentType::Component.name(),
                source: self.sources.display(&node.dir),
                pin: None,
                remote: false,
            },
            (None, Placement::Group | Placement::Inline) => self.describe(&node.definition, &node.dir),
        };
        let mut entry = described.entry(node.path.clone());
        entry.namespace = config.namespace.clone();
        if let Ok(rings) = crate::ring::rings_of(node, &layers) {
            entry.rings = rings.into_iter().map(|r| RingEntry { name: r.name, default: r.default }).collect();
        }
        if node.definition.spec.component_type() == ComponentType::Helm {
            entry.engine =
                Some(self.engine(&node.definition, &node.dir, config.helm.engine, config.helm.deterministic));
        }
        entry.disabled = config.disabled;
        if config.disabled {
            return entry;
        }
        let passed = resolve::passed_down(node, &layers);
        // Every entry in order: a child the loader skipped is disabled for this target.
        for spec in &node.definition.spec.subcomponents {
            let child = match node.children.iter().find(|child| child.key == spec.name) {
                Some(child) => self.node(child, resolve::inherited_by(&layers, &child.key), passed.clone()),
                None => {
                    let declared =
                        Declared { spec: spec.clone(), document: node.definition.document.clone(), at: Vec::new() };
                    let mut skipped = self.describe(&declared, &node.dir).entry(format!("{}/{}", node.path, spec.name));
                    skipped.disabled = true;
                    skipped
                }
            };
            entry.children.push(child);
        }
        entry
    }

    /// `helm` `chart` `0.1.0`, `static` `manifests`, `helm` `https://repo chart` `1.2.3`,
    /// `component` `git https://host/repo (main)` `0123456789ab`.
    fn describe(&self, declared: &Declared, dir: &std::path::Path) -> Described {
        let spec = &declared.spec;
        let kind = spec.component_type().name();
        match self.sources.remote_spec(declared, dir) {
            Some(remote) => {
                Described { kind, source: Self::remote(&remote, spec), pin: self.pin(&remote), remote: true }
            }
            None => {
                let source = spec.path.clone().or_else(|| spec.source.clone()).unwrap_or_else(|| ".".to_string());
                let pin = match spec.component_type() {
                    ComponentType::Helm => self.local_chart_version(declared, dir),
                    ComponentType::Component | ComponentType::Static | ComponentType::Kustomize => None,
                };
                Described { kind, source, pin, remote: false }
            }
        }
    }

    fn remote(remote: &SourceSpec, spec: &ComponentSpec) -> String {
        match remote {
            SourceSpec::Git { url, reference } => {
                let path = spec.path.as_deref().map(|p| format!("//{p}")).unwrap_or_default();
                format!("git {url}{path} ({})", reference.lock_text())
            }
            SourceSpec::HelmRepo { repository, chart, .. } => format!("{repository} {chart}"),
            SourceSpec::Oci { reference, .. } => reference.to_string(),
            SourceSpec::Http { url } => url.to_string(),
        }
    }

    /// The pin hldc.lock holds, shortened: a commit's first 12 digits, a chart's version, a
    /// file's `sha256:` and 12 digits.
    fn pin(&self, remote: &SourceSpec) -> Option<String> {
        let pin = self.lock.pin(remote)?;
        Some(match remote {
            SourceSpec::Git { .. } => pin.chars().take(12).collect(),
            SourceSpec::HelmRepo { .. } | SourceSpec::Oci { .. } => {
                pin.split_whitespace().next().unwrap_or_default().to_string()
            }
            SourceSpec::Http { .. } => pin.chars().take(19).collect(),
        })
    }

    /// What renders a helm component: `--helm-engine`, else its `helm.engine`; with `auto`, the
    /// native engine's verdict on the chart's templates when the chart is on disk: local, or
    /// pinned and in the cache (`tree` never downloads a chart).
    fn engine(
        &self,
        declared: &Declared,
        dir: &std::path::Path,
        configured: HelmEngine,
        deterministic: bool,
    ) -> EngineEntry {
        let (engine, decided_by) = match self.engine {
            Some(engine) => (engine, "--helm-engine"),
            None => (configured, "helm.engine"),
        };
        let decided = |uses: &'static str| EngineEntry { uses, why: format!("{decided_by}: {}", engine.name()) };
        match engine {
            HelmEngine::Binary => decided("binary"),
            HelmEngine::Native => decided("native"),
            HelmEngine::Auto
                if declared.spec.method() != Method::Local
                    && !self.sources.prefetch_cached(&[(declared, dir)]).is_empty() =>
            {
                EngineEntry { uses: "auto", why: format!("{decided_by}: auto, decided once the chart is fetched") }
            }
            HelmEngine::Auto => match self.sources.locate(declared, dir).map(|chart| native::check_support(&chart)) {
                Ok(Ok(())) => EngineEntry { uses: "native", why: format!("{decided_by}: auto, the engine renders it") },
                Ok(Err(NativeError::Unsupported(reasons))) if deterministic => EngineEntry {
                    uses: "native",
                    why: format!(
                        "{decided_by}: auto under helm.deterministic, never the binary; the chart uses {}, so it fails",
                        reasons.join(", ")
                    ),
                },
                Ok(Err(NativeError::Unsupported(reasons))) => EngineEntry {
                    uses: "binary",
                    why: format!("{decided_by}: auto, the chart uses {}", reasons.join(", ")),
                },
                Ok(Err(NativeError::Failed(reason))) => EngineEntry {
                    uses: "binary",
                    why: format!("{decided_by}: auto, the engine cannot read the chart: {reason}"),
                },
                Err(problem) => EngineEntry { uses: "auto", why: format!("{decided_by}: auto, {}", problem.message) },
            },
        }
    }

    /// The version in a local chart's Chart.yaml, if it reads as one.
    fn local_chart_version(&self, declared: &Declared, dir: &std::path::Path) -> Option<String> {
        if declared.spec.method() != Method::Local {
            return None;
        }
        let chart = self.sources.locate(declared, dir).ok()?;
        let text = self.sources.read(&chart.join("Chart.yaml")).ok()?;
        let value: Value = serde_yaml::from_str(text.text()).ok()?;
        match value.get("version")? {
            Value::String(version) => Some(version.clone()),
            Value::Number(version) => Some(version.to_string()),
            _ => None,
        }
    }
}
