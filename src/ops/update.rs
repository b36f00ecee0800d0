//! `hldc update [COMPONENT]...`: re-resolve remote sources and rewrite hldc.lock.

use std::path::Path;

use crate::diag::Problem;
use crate::load::{self, Declared, Node};
use crate::sources::Sources;
use crate::suggest::did_you_mean;

/// What `update` changed in the lock, one line per pin.
#[derive(Debug)]
pub struct Updated {
    pub changes: Vec<String>,
    pub warnings: Vec<Problem>,
}

/// Forgets the pins of the named components (all when none is named), resolves every remote
/// source of the tree afresh where it was forgotten, drops pins nothing uses, saves the lock.
pub fn update(sources: &Sources, components: &[String]) -> Result<Updated, Vec<Problem>> {
    let before = sources.lock().unwrap_or_default();
    // First pass with the current pins: find the sources of the named components.
    let (hld, _) = load::load(sources)?;
    let mut nodes = Vec::new();
    flatten(&hld.root, &mut nodes);
    let unknown: Vec<Problem> = components
        .iter()
        .filter(|name| !nodes.iter().any(|(entry, _)| &entry.spec.name == *name))
        .map(|name| {
            let names = nodes.iter().map(|(entry, _)| entry.spec.name.as_str());
            let problem =
                Problem::error("hldc::update::unknown-component", format!("there is no component named `{name}`"));
            match did_you_mean(name, names) {
                Some(near) => problem.help(format!("did you mean `{near}`?")),
                None => problem.help("name components as they appear in `name:` in the component files"),
            }
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let chosen = nodes.iter().filter(|(entry, _)| components.is_empty() || components.contains(&entry.spec.name));
    for (entry, base_dir) in chosen {
        if let Some(spec) = sources.remote_spec(entry, base_dir) {
            sources.forget(&spec);
        }
    }
    if components.is_empty() {
        sources.forget_all();
    }
    // Second pass: loading re-fetches forgotten component directories; then fetch the rest.
    let (hld, warnings) = load::load(sources)?;
    let mut nodes = Vec::new();
    flatten(&hld.root, &mut nodes);
    let entries: Vec<(&Declared, &Path)> = nodes.iter().map(|(entry, dir)| (*entry, dir.as_path())).collect();
    let problems = sources.prefetch(&entries);
    if !problems.is_empty() {
        return Err(problems);
    }
    sources.prune_unused_pins();
    super::remote::save_lock(sources).map_err(|p| vec![p])?;
    let after = sources.lock().unwrap_or_default();
    Ok(Updated { changes: after.describe_changes(&before), warnings })
}

fn flatten<'h>(node: &'h Node, into: &mut Vec<(&'h Declared, std::path::PathBuf)>) {
    into.push((&node.entry, node.base_dir.clone()));
    for child in &node.children {
        flatten(child, into);
    }
}
