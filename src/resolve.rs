//! Resolving: which components are enabled for the chosen environments, where their output
//! goes, and the config each one sees. Pure: works on the loaded tree, does no IO.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::Problem;
use crate::layer::{merge_stack, Layer};
use crate::load::{unknown_environment, Hld, Node, Placement};
use crate::model::ComponentConfig;
use crate::ring::{self, Ring};
use crate::yaml::Document;

/// The environments of a run, highest priority first, the cluster it renders for if any, and
/// the output directory they name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environments {
    names: Vec<String>,
    cluster: Option<String>,
}

impl Environments {
    pub fn new(names: &[String]) -> Environments {
        Environments { names: names.to_vec(), cluster: None }
    }

    /// The same environments rendered for one of their clusters: its config files are one more
    /// layer, above the environments'.
    pub fn with_cluster(self, cluster: &str) -> Environments {
        Environments { cluster: Some(cluster.to_string()), ..self }
    }

    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// The layers to read from a component's config files, highest priority first.
    pub fn layer_order(&self) -> impl Iterator<Item = &str> {
        self.cluster
            .as_deref()
            .into_iter()
            .chain(self.names.iter().map(String::as_str).filter(|n| *n != "common"))
            .chain(["common"])
    }

    /// The directory under `generated/`: the names joined by `-`, or `common` when none; a
    /// cluster's is a directory inside it.
    pub fn output_dir(&self) -> String {
        let environments = self.environment_dir();
        match &self.cluster {
            Some(cluster) => format!("{environments}/{cluster}"),
            None => environments,
        }
    }

    /// The environments' directory under `generated/` (`prod-east`), without the cluster: the
    /// environment as stamps and trace records name it.
    pub fn environment_dir(&self) -> String {
        if self.names.is_empty() {
            "common".to_string()
        } else {
            self.names.join("-")
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// One enabled component with the config it renders with.
#[derive(Debug)]
pub struct Planned<'h> {
    pub node: &'h Node,
    /// Directory of the component's output file, relative to the environment's output root
    /// (`""` for the top level), `/`-separated.
    pub output_dir: String,
    /// The config layers, highest priority first.
    pub layers: Vec<Layer>,
    pub config: ComponentConfig,
    /// The ring this copy of the component renders, for a component with rings.
    pub ring: Option<Ring>,
}

impl Planned<'_> {
    /// The output file of a component that renders manifests; containers write none.
    pub fn output_file(&self) -> Option<String> {
        if !self.node.renders() {
            return None;
        }
        let file = format!("{}.yaml", self.name());
        Some(if self.output_dir.is_empty() { file } else { format!("{}/{file}", self.output_dir) })
    }

    /// The component's name, suffixed with its ring unless that is the default ring.
    pub fn name(&self) -> String {
        self.suffixed(self.node.name())
    }

    /// `.Release.Name` for a helm component: `helm.releaseName` or the name, ring-suffixed.
    pub fn release_name(&self) -> String {
        self.suffixed(self.config.helm.release_name.as_deref().unwrap_or(self.node.name()))
    }

    /// How messages name this copy of the component: its path, and its ring.
    pub fn label(&self) -> String {
        match &self.ring {
            Some(ring) => format!("{} (ring {})", self.node.path, ring.name),
            None => self.node.path.clone(),
        }
    }

    fn suffixed(&self, base: &str) -> String {
        self.ring.as_ref().map_or_else(|| base.to_string(), |ring| ring.suffixed(base))
    }
}

/// Resolves every enabled component, in tree order (parents before children).
pub fn resolve<'h>(hld: &'h Hld, environments: &Environments) -> Result<Vec<Planned<'h>>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (index, name) in environments.names().iter().enumerate() {
        if environments.names()[..index].contains(name) {
            problems.push(
                Problem::error("hldc::config::repeated-environment", format!("environment `{name}` is named twice"))
                    .help("name each environment once"),
            );
        } else if !hld.environments.contains(name) {
            problems.push(unknown_environment(hld, name));
        }
    }
    if problems.is_empty() && !hld.selection.covers(environments) {
        problems.push(Problem::error(
            "hldc::internal::selection",
            format!("the HLD was not loaded for environments `{}`", environments.output_dir()),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut planned = Vec::new();
    let inherited = stack(Vec::new(), &hld.outer_configs, environments);
    visit(&hld.root, inherited, String::new(), environments, &mut planned, &mut problems);
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

/// A component's layer stack, highest priority first: what its parent passes down, then its
/// own config files in the order the environments were named, then its `common`.
pub fn stack(
    inherited: Vec<Layer>,
    configs: &BTreeMap<String, Arc<Document>>,
    environments: &Environments,
) -> Vec<Layer> {
    let mut layers = inherited;
    layers.extend(environments.layer_order().filter_map(|env| configs.get(env)).map(|doc| Layer::whole(doc.clone())));
    layers
}

/// What a component's stack passes down to its child `key`: each layer's `subcomponents.<key>`.
pub fn inherited_by(stack: &[Layer], key: &str) -> Vec<Layer> {
    stack.iter().filter_map(|layer| layer.for_subcomponent(key)).collect()
}

/// The typed config a layer stack gives.
pub fn config_of(stack: &[Layer]) -> ComponentConfig {
    ComponentConfig::from_merged(&merge_stack(stack))
}

fn visit<'h>(
    node: &'h Node,
    inherited: Vec<Layer>,
    output_dir: String,
    environments: &Environments,
    out: &mut Vec<Planned<'h>>,
    problems: &mut Vec<Problem>,
) {
    let layers = stack(inherited, &node.configs, environments);
    let config = config_of(&layers);
    if config.disabled {
        return;
    }
    match ring::rings_of(node, &layers) {
        Err(problem) => problems.push(problem),
        Ok(rings) if rings.is_empty() => {
            out.push(Planned { node, output_dir: output_dir.clone(), layers: layers.clone(), config, ring: None })
        }
        Ok(rings) => out.extend(rings.into_iter().map(|ring| {
            let layers = ring::stack(&layers, &ring);
            Planned { node, output_dir: output_dir.clone(), config: config_of(&layers), layers, ring: Some(ring) }
        })),
    }
    for child in &node.children {
        let inherited = inherited_by(&layers, &child.key);
        // Fabrikate's layout: a `type: component` entry gets a directory of its own, named
        // after the entry; inline helm/static children write next to their parent.
        let child_dir = match child.placement {
            Placement::Directory | Placement::Group => join_output_dir(&output_dir, &child.key),
            Placement::Inline | Placement::Root => output_dir.clone(),
        };
        visit(child, inherited, child_dir, environments, out, problems);
    }
}

/// Two components that would write the same output file (a `type: component` child named like
/// an inline sibling's file, say): one would silently overwrite the other.
pub fn check_output_files(planned: &[Planned]) -> Vec<Problem> {
    let mut first: BTreeMap<String, &Planned> = BTreeMap::new();
    let mut problems = Vec::new();
    for component in planned {
        let Some(file) = component.output_file() else { continue };
        match first.get(&file) {
            None => {
                first.insert(file, component);
            }
            Some(earlier) => problems.push(
                Problem::error(
                    "hldc::output::same-file",
                    format!("components `{}` and `{}` would both write `{file}`", earlier.label(), component.label()),
                )
                .at(component.node.declared_at.clone())
                .label("second component writing this file")
                .help("rename one of them")
                .related(
                    Problem::warning("hldc::output::same-file", "first component writing it")
                        .at(earlier.node.declared_at.clone()),
                ),
            ),
        }
    }
    problems
}

fn join_output_dir(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}
