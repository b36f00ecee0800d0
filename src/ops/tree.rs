//! `hldc tree`: the component tree as one target resolves it, one line per component, drawn like
//! `cargo tree`. Each line: the component's path, its type, its source and pin (the commit or
//! chart version hldc.lock holds; a local chart's version from its Chart.yaml), its namespace,
//! its rings (the default marked `*`), and `disabled` for a component its config turns off (shown,
//! not descended into). Reads no network and runs no helm: remote charts are named by their pin.

use std::fmt::Write as _;

use serde_yaml::Value;

use crate::diag::Problem;
use crate::fetch::{Lockfile, SourceSpec};
use crate::layer::Layer;
use crate::load::{Declared, Node, Placement};
use crate::model::{ComponentSpec, ComponentType, Method};
use crate::resolve::{self, Environments};
use crate::sources::Sources;

/// The tree of `environment` (every environment's `common` when `None`), seen from `cluster`.
pub fn tree(sources: &Sources, environment: Option<&str>, cluster: Option<&str>) -> Result<String, Vec<Problem>> {
    let project = crate::project::load(sources)?;
    let environments = Environments::new(environment.map(str::to_string).as_slice());
    project.check_environments(&environments)?;
    let target = match cluster {
        Some(cluster) => project.cluster_target(&environments, cluster).map_err(|p| vec![p])?,
        None => environments,
    };
    let (hld, _) = super::generate::load_for(&project, std::slice::from_ref(&target), sources)?;
    // Resolving checks the environment exists and the rings are sound, with its usual errors.
    resolve::resolve(&hld, &target)?;
    let printer = Printer { sources, lock: sources.lock().unwrap_or_default(), target: &target };
    let layers = resolve::stack(Vec::new(), &hld.outer_configs, &target);
    let mut out = String::new();
    printer.node(&hld.root, layers, "", "", &mut out);
    Ok(out)
}

struct Printer<'a> {
    sources: &'a Sources,
    lock: Lockfile,
    target: &'a Environments,
}

impl Printer<'_> {
    /// One loaded component and, unless disabled, its children; `lead` draws this line's branch,
    /// `indent` the lines below it.
    fn node(&self, node: &Node, inherited: Vec<Layer>, lead: &str, indent: &str, out: &mut String) {
        let layers = resolve::stack(inherited, &node.configs, self.target);
        let config = resolve::config_of(&layers);
        // A directory component is its directory (the entry that named it is gone once loaded).
        let described = match (&node.fetched_from, node.placement) {
            (Some(remote), _) => format!("component {}{}", self.sources.display(&node.dir), self.pin(remote)),
            (None, Placement::Directory | Placement::Root) => format!("component {}", self.sources.display(&node.dir)),
            (None, Placement::Group | Placement::Inline) => self.describe(&node.definition, &node.dir),
        };
        let mut line = format!("{lead}{} {described}", node.path);
        if let Some(namespace) = &config.namespace {
            let _ = write!(line, " namespace={namespace}");
        }
        if let Ok(rings) = crate::ring::rings_of(node, &layers) {
            let names: Vec<String> =
                rings.iter().map(|r| if r.default { format!("{}*", r.name) } else { r.name.clone() }).collect();
            if !names.is_empty() {
                let _ = write!(line, " rings={}", names.join(","));
            }
        }
        if config.disabled {
            line.push_str(" disabled");
        }
        out.push_str(&line);
        out.push('\n');
        if config.disabled {
            return;
        }
        // Every entry in order: a child the loader skipped is disabled for this target.
        let entries = &node.definition.spec.subcomponents;
        for (index, entry) in entries.iter().enumerate() {
            let last = index + 1 == entries.len();
            let (branch, below) = if last { ("└── ", "    ") } else { ("├── ", "│   ") };
            let lead = format!("{indent}{branch}");
            let indent = format!("{indent}{below}");
            match node.children.iter().find(|child| child.key == entry.name) {
                Some(child) => self.node(child, resolve::inherited_by(&layers, &child.key), &lead, &indent, out),
                None => {
                    let declared =
                        Declared { spec: entry.clone(), document: node.definition.document.clone(), at: Vec::new() };
                    let path = format!("{}/{}", node.path, entry.name);
                    let _ = writeln!(out, "{lead}{path} {} disabled", self.describe(&declared, &node.dir));
                }
            }
        }
    }

    /// `helm chart@0.1.0`, `static manifests`, `helm https://repo chart@1.2.3`,
    /// `component git https://host/repo (main)@0123456789ab`.
    fn describe(&self, declared: &Declared, dir: &std::path::Path) -> String {
        let spec = &declared.spec;
        let kind = spec.component_type().name();
        let source = match self.sources.remote_spec(declared, dir) {
            Some(remote) => self.remote(&remote, spec),
            None => {
                let path = spec.path.clone().or_else(|| spec.source.clone()).unwrap_or_else(|| ".".to_string());
                match spec.component_type() {
                    ComponentType::Helm => match self.local_chart_version(declared, dir) {
                        Some(version) => format!("{path}@{version}"),
                        None => path,
                    },
                    ComponentType::Component | ComponentType::Static | ComponentType::Kustomize => path,
                }
            }
        };
        format!("{kind} {source}")
    }

    fn remote(&self, remote: &SourceSpec, spec: &ComponentSpec) -> String {
        match remote {
            SourceSpec::Git { url, reference } => {
                let path = spec.path.as_deref().map(|p| format!("//{p}")).unwrap_or_default();
                format!("git {url}{path} ({}){}", reference.lock_text(), self.pin(remote))
            }
            SourceSpec::HelmRepo { repository, chart, .. } => format!("{repository} {chart}{}", self.pin(remote)),
            SourceSpec::Oci { reference, .. } => format!("{reference}{}", self.pin(remote)),
            SourceSpec::Http { url } => format!("{url}{}", self.pin(remote)),
        }
    }

    /// `@<pin>` as hldc.lock holds it, shortened (a commit's first 12 digits, a chart's version,
    /// a file's `sha256:` and 12 digits), or ` (unpinned)`.
    fn pin(&self, remote: &SourceSpec) -> String {
        let Some(pin) = self.lock.pin(remote) else { return " (unpinned)".to_string() };
        let shown: String = match remote {
            SourceSpec::Git { .. } => pin.chars().take(12).collect(),
            SourceSpec::HelmRepo { .. } | SourceSpec::Oci { .. } => {
                pin.split_whitespace().next().unwrap_or_default().to_string()
            }
            SourceSpec::Http { .. } => pin.chars().take(19).collect(),
        };
        format!("@{shown}")
    }

    /// The version in a local chart's Chart.yaml, if it reads as one.
    fn local_chart_version(&self, declared: &Declared, dir: &std::path::Path) -> Option<String> {
        if declared.spec.method() != Method::Local {
            return None;
        }
        let chart = self.sources.locate(declared, dir).ok()?;
        let text = std::fs::read_to_string(chart.join("Chart.yaml")).ok()?;
        let value: Value = serde_yaml::from_str(&text).ok()?;
        match value.get("version")? {
            Value::String(version) => Some(version.clone()),
            Value::Number(version) => Some(version.to_string()),
            _ => None,
        }
    }
}
