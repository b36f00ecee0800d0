//! `hldc update [COMPONENT]...`: re-resolve remote sources and rewrite hldc.lock.

use std::path::Path;

use crate::diag::Problem;
use crate::fetch;
use crate::load::{self, Declared};
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
    let before = sources.lock().unwrap_or_default();
    if components.is_empty() {
        // Before loading: a sub-HLD pinned to a commit that is gone must not stop the update.
        sources.forget_all();
    } else {
        forget_components(sources, components)?;
    }
    let (hld, warnings) = load::load(sources)?;
    let nodes = hld.root.walk();
    let entries: Vec<(&Declared, &Path)> = nodes.iter().map(|node| (&node.entry, node.base_dir.as_path())).collect();
    let problems = sources.prefetch(&entries);
    if !problems.is_empty() {
        return Err(problems);
    }
    // Dependencies of local and git-hosted charts are pinned when they are built.
    for node in nodes.iter().filter(|node| node.component_type() == ComponentType::Helm) {
        let chart = sources.locate(&node.entry, &node.base_dir).map_err(|p| vec![p])?;
        sources.chart_with_dependencies(chart, &node.entry).map_err(|p| vec![p])?;
    }
    sources.prune_unused_pins();
    super::remote::save_lock(sources).map_err(|p| vec![p])?;
    let after = sources.lock().unwrap_or_default();
    Ok(Updated { changes: after.describe_changes(&before), warnings })
}

/// Forgets the pins of the named components' sources and of their charts' dependencies.
fn forget_components(sources: &Sources, components: &[String]) -> Result<(), Vec<Problem>> {
    let (hld, _) = load::load(sources)?;
    let nodes = hld.root.walk();
    let unknown: Vec<Problem> = components
        .iter()
        .filter(|name| !nodes.iter().any(|node| node.name() == name.as_str()))
        .map(|name| {
            let problem =
                Problem::error("hldc::update::unknown-component", format!("there is no component named `{name}`"));
            match did_you_mean(name, nodes.iter().map(|node| node.name())) {
                Some(near) => problem.help(format!("did you mean `{near}`?")),
                None => problem.help("name components as they appear in `name:` in the component files"),
            }
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    for node in nodes.iter().filter(|node| components.iter().any(|name| name == node.name())) {
        if node.component_type() == ComponentType::Helm {
            if let Ok(chart) = sources.locate(&node.entry, &node.base_dir) {
                fetch::chart_dependency_specs(&chart).iter().for_each(|spec| sources.forget(spec));
            }
        }
        if let Some(spec) = sources.remote_spec(&node.entry, &node.base_dir) {
            sources.forget(&spec);
        }
    }
    Ok(())
}
