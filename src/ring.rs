//! Deployment rings: a helm or static component with a `rings:` map renders once per ring, side
//! by side in one cluster (a static ring's objects renamed by `rename`). A ring is one more config layer, above all of the component's: its `rings.<ring>`
//! blocks, projected from every layer that has one, so `hldc config` names where a ring's value
//! came from like any other. Pure.

use serde_yaml::Value;

use crate::diag::{Location, Problem};
use crate::layer::{merge_stack, Layer};
use crate::model::plan::Ring;
use crate::model::tree::Node;
use crate::model::ComponentType;
use crate::yaml::Segment;

pub mod rename;

/// The rings a component's stack gives it, sorted by name (none: the component is not ringed).
/// A ring set to null in a higher layer is gone.
pub fn rings_of(node: &Node, layers: &[Layer]) -> Result<Vec<Ring>, Problem> {
    let merged = merge_stack(layers);
    let Some(Value::Mapping(blocks)) = merged.get("rings") else { return Ok(Vec::new()) };
    let mut rings: Vec<Ring> = blocks
        .iter()
        .filter(|(_, block)| !block.is_null())
        .filter_map(|(name, block)| {
            let default = block.get("default").and_then(Value::as_bool).unwrap_or(false);
            Some(Ring { name: name.as_str()?.to_string(), default })
        })
        .collect();
    if rings.is_empty() {
        return Ok(rings);
    }
    rings.sort_by(|a, b| a.name.cmp(&b.name));
    let at = written_at(layers, "rings");
    if node.component_type() == ComponentType::Component {
        return Err(Problem::error(
            "hldc::ring::not-rendered",
            format!("component `{}` has rings, but renders no manifests of its own", node.path),
        )
        .at_opt(at)
        .label("rings")
        .help("move the rings to the helm or static components below it, or remove them"));
    }
    let defaults: Vec<&str> = rings.iter().filter(|r| r.default).map(|r| r.name.as_str()).collect();
    if defaults.len() == 1 {
        return Ok(rings);
    }
    let help = format!(
        "mark exactly one ring `default: true`: it keeps the name `{}`, the others are `{}-<ring>`",
        node.name(),
        node.name()
    );
    // Each `default: true` where it was set (the highest layer holding it), the highest first:
    // the one written last is the likely mistake.
    let mut placed: Vec<(usize, &str, Location)> = defaults
        .iter()
        .filter_map(|ring| {
            layers.iter().enumerate().find_map(|(index, layer)| {
                layer.value.get("rings")?.get(ring)?.get("default")?;
                let mut path = layer.prefix.clone();
                path.extend(["rings", ring, "default"].map(|key| Segment::Key(key.into())));
                Some((index, *ring, layer.document.value_location(&path)))
            })
        })
        .collect();
    placed.sort_by_key(|(index, ring, _)| (*index, *ring));
    let problem = match placed.split_first() {
        None => Problem::error("hldc::ring::default", format!("component `{}` has no default ring", node.path))
            .at_opt(at)
            .label("rings"),
        Some(((_, ring, location), others)) => {
            let mut problem = Problem::error(
                "hldc::ring::default",
                format!("component `{}` has {} default rings ({})", node.path, defaults.len(), defaults.join(", ")),
            )
            .at(location.clone())
            .label(format!("ring `{ring}`"));
            for (_, other, location) in others {
                problem = problem.related(
                    Problem::warning("hldc::ring::default", format!("ring `{other}` is a default too"))
                        .at(location.clone()),
                );
            }
            problem
        }
    };
    Err(problem.help(help))
}

/// Where `key` (beside `config`) was written last: in the highest layer that has it.
pub fn written_at(layers: &[Layer], key: &str) -> Option<Location> {
    layers.iter().find(|layer| layer.value.get(key).is_some()).map(|layer| {
        let mut path = layer.prefix.clone();
        path.push(Segment::Key(key.into()));
        layer.document.key_location(&path)
    })
}

/// `ringRoute` on a component without rings routes nothing: likely rings removed, or set on
/// the wrong component.
pub fn check_ring_route(planned: &crate::model::plan::Planned) -> Option<Problem> {
    if planned.ring.is_some() {
        return None;
    }
    let at = written_at(&planned.layers, "ringRoute")?;
    Some(
        Problem::warning(
            "hldc::ring::route-without-rings",
            format!("component `{}` has a `ringRoute` but no rings", planned.node.path),
        )
        .at(at)
        .label("routes nothing")
        .help("give the component `rings:` beside `config`, or remove `ringRoute`"),
    )
}

/// A ring's layer stack: its blocks from every layer, highest first, above the component's.
/// `default` says which ring this is; it is no value of the component.
pub fn stack(layers: &[Layer], ring: &Ring) -> Vec<Layer> {
    layers
        .iter()
        .filter_map(|layer| layer.project(&["rings", &ring.name]))
        .map(|mut layer| {
            if let Value::Mapping(block) = &mut layer.value {
                block.remove("default");
            }
            layer
        })
        .chain(layers.iter().cloned())
        .collect()
}
