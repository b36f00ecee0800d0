//! Resolving: which components are enabled for the chosen environments, where their output
//! goes, and the config each one sees. Pure: works on the loaded tree, does no IO.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::Problem;
use crate::layer::{merge_stack, Layer};
use crate::model::environments::Environments;
use crate::model::plan::Planned;
use crate::model::tree::{Hld, Node, Placement};
use crate::model::ComponentConfig;
use crate::ring;
use crate::suggest::did_you_mean;
use crate::yaml::Document;
use serde_yaml::{Mapping, Value};

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
    let mut visit = Visit { environments, out: &mut planned, problems: &mut problems };
    visit.node(&hld.root, inherited, Vec::new(), String::new());
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

/// The settings a container's config gives every component below it, under the component's own
/// (Fabrikate gave a child only its parent's `subcomponents.<name>`, and a container renders
/// nothing, so these were dead there). Not `config` (chart values are one chart's, passed down
/// by `subcomponents.<name>` as in Fabrikate), `disabled` (a disabled container prunes its
/// subtree already), `rings` or `ringRoute` (a container takes none), nor `helm.releaseName`
/// (one release's name: `check::tree::unused_settings` reports it on a container).
pub const SUBTREE_SETTINGS: [&str; 9] = [
    "namespace",
    "injectNamespace",
    "helm",
    "trace",
    "patches",
    "commonLabels",
    "commonAnnotations",
    "podLabels",
    "podAnnotations",
];

/// What `node` passes down to every component below it, under their own config files: for a
/// container, the subtree settings of its whole stack; for a component that renders, only what
/// its own containers passed to it.
pub fn passed_down(node: &Node, stack: &[Layer]) -> Vec<Layer> {
    stack
        .iter()
        .filter_map(|layer| match &layer.container {
            Some(_) => Some(layer.clone()),
            None if node.renders() => None,
            None => subtree_part(layer, &node.path),
        })
        .collect()
}

/// The subtree settings of one of `container`'s layers, as a layer of their own (same document
/// and prefix, so `hldc config` names the line that set each).
fn subtree_part(layer: &Layer, container: &str) -> Option<Layer> {
    let Value::Mapping(fields) = &layer.value else { return None };
    let mut kept = Mapping::new();
    for (key, value) in fields {
        let Some(name) = key.as_str().filter(|name| SUBTREE_SETTINGS.contains(name)) else { continue };
        let value = match value {
            Value::Mapping(helm) if name == "helm" => Value::Mapping(
                helm.iter()
                    .filter(|(k, _)| k.as_str() != Some("releaseName"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        };
        kept.insert(key.clone(), value);
    }
    (!kept.is_empty()).then(|| Layer {
        document: layer.document.clone(),
        prefix: layer.prefix.clone(),
        value: Value::Mapping(kept),
        container: Some(container.to_string()),
    })
}

/// One walk of the tree for one environment combination.
struct Visit<'v, 'h> {
    environments: &'v Environments,
    out: &'v mut Vec<Planned<'h>>,
    problems: &'v mut Vec<Problem>,
}

impl<'h> Visit<'_, 'h> {
    /// `node` with `inherited` (its parent's `subcomponents.<key>` blocks) above its own files
    /// and `passed` (its containers' subtree settings) below them, then its children.
    fn node(&mut self, node: &'h Node, inherited: Vec<Layer>, passed: Vec<Layer>, output_dir: String) {
        let mut layers = stack(inherited, &node.configs, self.environments);
        layers.extend(passed);
        let config = config_of(&layers);
        if config.disabled {
            return;
        }
        match ring::rings_of(node, &layers) {
            Err(problem) => self.problems.push(problem),
            Ok(rings) if rings.is_empty() => self.out.push(Planned {
                node,
                output_dir: output_dir.clone(),
                layers: layers.clone(),
                config,
                ring: None,
            }),
            Ok(rings) => self.out.extend(rings.into_iter().map(|ring| {
                let layers = ring::stack(&layers, &ring);
                Planned { node, output_dir: output_dir.clone(), config: config_of(&layers), layers, ring: Some(ring) }
            })),
        }
        let passed = passed_down(node, &layers);
        for child in &node.children {
            let inherited = inherited_by(&layers, &child.key);
            // Fabrikate's layout: a `type: component` entry gets a directory of its own, named
            // after the entry; inline helm/static children write next to their parent.
            let child_dir = match child.placement {
                Placement::Directory | Placement::Group => join_output_dir(&output_dir, &child.key),
                Placement::Inline | Placement::Root => output_dir.clone(),
            };
            self.node(child, inherited, passed.clone(), child_dir);
        }
    }
}

/// Suggests a known environment for a mistyped one.
pub fn unknown_environment(hld: &Hld, env: &str) -> Problem {
    let problem = Problem::error(
        "hldc::config::unknown-environment",
        format!("no config file for environment `{env}` anywhere in the HLD"),
    )
    .label("unknown environment");
    // A cluster's config file makes no environment: clusters are listed apart.
    let known: Vec<&str> =
        hld.environments.iter().filter(|name| !hld.clusters.contains(*name)).map(String::as_str).collect();
    let mut listed = format!("known environments: {}", known.join(", "));
    if !hld.clusters.is_empty() {
        let clusters: Vec<&str> = hld.clusters.iter().map(String::as_str).collect();
        listed.push_str(&format!("; clusters (from hldc.yaml): {}", clusters.join(", ")));
    }
    match did_you_mean(env, known.iter().copied()) {
        Some(near) => problem.help(format!("did you mean `{near}`? {listed}")),
        None => problem.help(format!("create `config/{env}.yaml` in a component, or use one of the {listed}")),
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
