//! `hldc update [COMPONENT]...`: re-resolve remote sources and rewrite hldc.lock.

use std::path::Path;

use crate::diag::Problem;
use crate::fetch;
use crate::load;
use crate::model::environments::Selection;
use crate::model::tree::{Declared, Node};
use crate::model::ComponentType;
use crate::sources::Sources;
use crate::suggest::did_you_mean;

/// What `update` changed in the lock, one line per pin.
#[derive(Debug)]
pub struct Updated {
    pub changes: Vec<String>,
    pub warnings: Vec<Problem>,
}

/// Forgets the pins of the named components (all pins when none is named), resolves every
/// remote source of the tree (chart dependencies included) where a pin is missing, drops pins
/// nothing uses any more, and saves the lock.
pub fn update(sources: &Sources, components: &[String]) -> Result<Updated, Vec<Problem>> {
    // Its mistakes first: its mirrors decide where the fetches below go.
    let project = crate::project::load(sources)?;
    let before = sources.lock().unwrap_or_default();
    if components.is_empty() {
        // Before loading: a sub-HLD pinned to a commit that is gone must not stop the update.
        sources.forget_all();
    } else {
        forget_components(sources, components)?;
    }
    // Directory components are fetched while loading; the charts and manifests the tree
    // renders are fetched here.
    let (hld, warnings) = load::load(sources, &Selection::Everything)?;
    let rendering: Vec<&Node> = hld.root.walk().into_iter().filter(|node| node.renders()).collect();
    let entries: Vec<(&Declared, &Path)> =
        rendering.iter().map(|node| (&node.definition, node.dir.as_path())).collect();
    let problems = sources.prefetch(&entries);
    if !problems.is_empty() {
        return Err(problems);
    }
    // The CRD sources hldc.yaml names are pinned too, or pruning would drop their pins.
    crate::crds::load(&project, sources)?;
    // Dependencies of local and git-hosted charts are pinned when they are built: all of them,
    // whatever the values, which differ by environment.
    for node in rendering.iter().filter(|node| node.component_type() == ComponentType::Helm) {
        sources.prepare_chart(&node.definition, &node.dir, None).map_err(|p| vec![p])?;
    }
    sources.prune_unused_pins();
    super::remote::save_lock(sources).map_err(|p| vec![p])?;
    let after = sources.lock().unwrap_or_default();
    Ok(Updated { changes: after.describe_changes(&before), warnings })
}

/// Forgets the pins of the named components' sources and of their charts' dependencies.
/// A component is named as `Node::is_named` reads it (`hld/infra/jaeger`, `infra/jaeger`,
/// `infra.jaeger`, `jaeger`), naming one component only.
fn forget_components(sources: &Sources, components: &[String]) -> Result<(), Vec<Problem>> {
    let (hld, _) = load::load(sources, &Selection::Everything)?;
    let nodes = hld.root.walk();
    let mut problems = Vec::new();
    let mut chosen: Vec<&Node> = Vec::new();
    for name in components {
        let matching: Vec<&Node> = nodes.iter().copied().filter(|node| node.is_named(name)).collect();
        match matching.as_slice() {
            [node] => chosen.push(node),
            [] => {
                let problem =
                    Problem::error("hldc::update::unknown-component", format!("there is no component `{name}`"));
                let paths: Vec<&str> = nodes.iter().map(|node| node.path.as_str()).collect();
                problems.push(
                    match did_you_mean(name, nodes.iter().flat_map(|node| [node.path.as_str(), node.key.as_str()])) {
                        Some(near) => problem.help(format!("did you mean `{near}`?")),
                        None => problem.help(format!(
                            "name a component by its path or its name; the components are: {}",
                            paths.join(", ")
                        )),
                    },
                );
            }
            several => {
                let paths: Vec<&str> = several.iter().map(|node| node.path.as_str()).collect();
                problems.push(
                    Problem::error("hldc::update::ambiguous-component", format!("`{name}` names several components"))
                        .help(format!("name one by its path: {}", paths.join(", "))),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for node in chosen {
        if let Some(spec) = &node.fetched_from {
            sources.forget(spec);
        }
        if !node.renders() {
            continue;
        }
        // The chart's own pin goes first: the chart is then resolved afresh (its pinned version
        // may be gone), and the dependencies forgotten are those of the chart it resolves to.
        if let Some(spec) = sources.remote_spec(&node.definition, &node.dir) {
            sources.forget(&spec);
        }
        if node.component_type() == ComponentType::Helm {
            let chart = sources.locate(&node.definition, &node.dir).map_err(|p| vec![p])?;
            fetch::chart_dependency_specs(&chart).iter().for_each(|spec| sources.forget(spec));
        }
    }
    Ok(())
}
