//! `hldc promote ENV COMPONENT --from RING [--to RING]`: flighting a ring's config to another
//! ring as one reviewable edit. The values of `rings.<from>.config` in the file that defines
//! them (the highest config layer of the environment, or cluster, holding that block) move, in
//! that same file, into the ring promoted to: into the component's own `config` for the default
//! ring (which every ring inherits, so `<from>` renders as before), else into
//! `rings.<to>.config`. `rings.<from>.config` is then removed. Edited with the surgical editor,
//! schema-checked, replaced atomically; the caller prints the resulting diff summary.

use serde_yaml::Value;

use super::edit::{flatten, read_hld_file, save};
use crate::diag::Problem;
use crate::edit::Editor;
use crate::layer::Layer;
use crate::model::environments::Environments;
use crate::model::plan::Planned;
use crate::schema::Schema;
use crate::sources::Sources;
use crate::yaml::Segment;

#[derive(Debug, Clone)]
pub struct PromoteOptions {
    pub environment: String,
    pub cluster: Option<String>,
    /// The component, by name or path (`app/web`), as `hldc config` takes it.
    pub component: String,
    pub from: String,
    /// The ring promoted to; the default ring when `None`.
    pub to: Option<String>,
}

/// What `promote` changed: the file it edited and how many values moved.
#[derive(Debug)]
pub struct Promoted {
    pub file: String,
    pub values: usize,
}

pub fn promote(sources: &Sources, options: &PromoteOptions) -> Result<Promoted, Vec<Problem>> {
    let environments = Environments::new(std::slice::from_ref(&options.environment));
    let opened = crate::compile::open(sources, environments, options.cluster.as_deref())?;
    let target = &opened.target;
    let planned = opened.resolve()?;
    let copies: Vec<&Planned> = planned.iter().filter(|p| super::config::names(p, &options.component)).collect();
    let Some(first) = copies.first() else {
        return Err(vec![super::config::unknown_component(&options.component, &planned, target)]);
    };
    let component = first.node.path.clone();
    let rings: Vec<&str> = copies.iter().filter_map(|p| p.ring.as_ref()).map(|r| r.name.as_str()).collect();
    let ring_problem = |ring: &str| {
        let problem = Problem::error(
            "hldc::promote::unknown-ring",
            format!("component `{component}` has no ring `{ring}` in `{}`", target.output_dir()),
        );
        match rings.as_slice() {
            [] => problem.help("only components with `rings:` in their config can be promoted"),
            rings => problem.help(format!("its rings are: {}", rings.join(", "))),
        }
    };
    let Some(from) = copies.iter().find(|p| p.ring.as_ref().is_some_and(|r| r.name == options.from)) else {
        return Err(vec![ring_problem(&options.from)]);
    };
    let to = match &options.to {
        Some(name) => copies.iter().find_map(|p| p.ring.as_ref().filter(|r| &r.name == name)),
        None => copies.iter().find_map(|p| p.ring.as_ref().filter(|r| r.default)),
    }
    .ok_or_else(|| vec![ring_problem(options.to.as_deref().unwrap_or("(default)"))])?;
    if to.name == options.from {
        return Err(vec![Problem::error(
            "hldc::promote::same-ring",
            format!("ring `{}` cannot be promoted to itself", to.name),
        )
        .help("name another ring with `--to`, or leave it out to promote to the default ring")]);
    }
    let Some((layer, config)) = defining_layer(&from.layers, &options.from) else {
        return Err(vec![Problem::error(
            "hldc::promote::nothing",
            format!("ring `{}` of component `{component}` sets no `config` in `{}`", options.from, target.output_dir()),
        )
        .help("there is nothing to promote: the ring renders with the component's config already")]);
    };
    let file = layer.document.file.name().to_string();
    let root = sources.hld_root();
    if file.starts_with('<') || !root.join(&file).is_file() {
        return Err(vec![Problem::error(
            "hldc::promote::not-local",
            format!("ring `{}` is defined in `{file}`, which is not a file of this HLD", options.from),
        )
        .at(layer.document.value_location(&layer.prefix))
        .help("promote in the repository that holds that file")]);
    }
    let component_prefix = &layer.prefix[..layer.prefix.len().saturating_sub(2)];
    let mut destination = component_prefix.to_vec();
    if !to.default {
        destination.extend([Segment::Key("rings".into()), Segment::Key(to.name.clone())]);
    }
    destination.push(Segment::Key("config".into()));
    let mut leaves = Vec::new();
    flatten(config, &mut destination, &mut leaves);
    let mut editor =
        Editor::open(&read_hld_file(root, &root.join(&file), false).map_err(|p| vec![p])?).map_err(|p| vec![p])?;
    for (path, value) in &leaves {
        editor.set(path, value).map_err(|p| vec![p])?;
    }
    let mut from_config = layer.prefix.clone();
    from_config.push(Segment::Key("config".into()));
    editor.remove(&from_config).map_err(|p| vec![p])?;
    save(root, &file, &editor.contents(), Schema::Config).map_err(|p| vec![p])?;
    Ok(Promoted { file, values: leaves.len() })
}

/// The highest layer of a ring's stack holding the ring's `config`, and that config.
fn defining_layer<'l>(layers: &'l [Layer], ring: &str) -> Option<(&'l Layer, &'l serde_yaml::Mapping)> {
    layers.iter().find_map(|layer| {
        let is_ring_block = layer.prefix.ends_with(&[Segment::Key("rings".into()), Segment::Key(ring.into())]);
        let config = layer.value.get("config").and_then(Value::as_mapping).filter(|c| !c.is_empty())?;
        is_ring_block.then_some((layer, config))
    })
}
