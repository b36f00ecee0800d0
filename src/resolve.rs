//! Resolving: which components are enabled for the chosen environments, where their output
//! goes, and the config each one sees. Pure: works on the loaded tree, does no IO.

use crate::diag::Problem;
use crate::layer::{merge_stack, Layer};
use crate::load::{unknown_environment, Hld, Node};
use crate::model::{ComponentConfig, ComponentType};

/// The environments of a run, highest priority first, and the output directory they name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environments {
    names: Vec<String>,
}

impl Environments {
    pub fn new(names: &[String]) -> Environments {
        Environments { names: names.to_vec() }
    }

    /// The layers to read from a component's config files, highest priority first.
    pub fn layer_order(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str).filter(|n| *n != "common").chain(["common"])
    }

    /// The directory under `generated/`: the names joined by `-`, or `common` when none.
    pub fn output_dir(&self) -> String {
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
    pub logical_path: String,
    /// The config layers, highest priority first.
    pub layers: Vec<Layer>,
    pub config: ComponentConfig,
}

impl Planned<'_> {
    /// The output file of a component that renders manifests; containers write none.
    pub fn output_file(&self) -> Option<String> {
        if self.node.component_type() == ComponentType::Component {
            return None;
        }
        let file = format!("{}.yaml", self.node.name());
        Some(if self.logical_path.is_empty() { file } else { format!("{}/{file}", self.logical_path) })
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
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut planned = Vec::new();
    visit(&hld.root, Vec::new(), String::new(), environments, &mut planned);
    Ok(planned)
}

fn visit<'h>(
    node: &'h Node,
    inherited: Vec<Layer>,
    logical_path: String,
    environments: &Environments,
    out: &mut Vec<Planned<'h>>,
) {
    let mut layers = inherited;
    layers.extend(
        environments.layer_order().filter_map(|env| node.configs.get(env)).map(|doc| Layer::whole(doc.clone())),
    );
    let config = ComponentConfig::from_merged(&merge_stack(&layers));
    if config.disabled {
        return;
    }
    let index = out.len();
    out.push(Planned { node, logical_path: logical_path.clone(), layers, config });
    for child in &node.children {
        let inherited: Vec<Layer> =
            out[index].layers.iter().filter_map(|layer| layer.for_subcomponent(child.name())).collect();
        // Fabrikate's layout: a `type: component` child gets a directory of its own; inline
        // helm/static children write next to their parent.
        let child_path = if child.component_type() == ComponentType::Component {
            join_logical(&logical_path, child.name())
        } else {
            logical_path.clone()
        };
        visit(child, inherited, child_path, environments, out);
    }
}

/// Two components that would write the same output file (a `type: component` child named like
/// an inline sibling's file, say): one would silently overwrite the other.
pub fn check_output_files(planned: &[Planned]) -> Vec<Problem> {
    let mut first: std::collections::BTreeMap<String, &Planned> = std::collections::BTreeMap::new();
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
                    format!(
                        "components `{}` and `{}` would both write `{file}`",
                        earlier.node.name(),
                        component.node.name()
                    ),
                )
                .at(component.node.entry.location())
                .label("second component writing this file")
                .help("rename one of them")
                .related(
                    Problem::warning("hldc::output::same-file", "first component writing it")
                        .at(earlier.node.entry.location()),
                ),
            ),
        }
    }
    problems
}

fn join_logical(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}
