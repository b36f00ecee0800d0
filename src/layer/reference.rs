//! A reference model of the layering rules, written apart from `merge` so tests can check one
//! against the other. Shared by the unit tests of `layer` and the fuzz target (which includes
//! this file by path), so it depends on serde_yaml only.
//!
//! A value is seen as the set of its leaves: path from the root → a non-map value, or an empty
//! map (which has no leaves but is still there). The rules then read: an entry of a layer
//! survives unless a higher layer sets a non-map at or above its path (a scalar, list or null
//! replaces whatever was below), or sets anything at or below its path (a map beats a non-map,
//! and where both are maps the higher layer's own entries are the ones kept).

use std::collections::{HashMap, HashSet};

use serde_yaml::Value;

pub type Path = Vec<Value>;

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Leaf(Value),
    EmptyMap,
}

pub type Flat = HashMap<Path, Entry>;

pub fn flatten(value: &Value) -> Flat {
    fn walk(value: &Value, path: &mut Path, flat: &mut Flat) {
        match value {
            Value::Mapping(map) if map.is_empty() => {
                flat.insert(path.clone(), Entry::EmptyMap);
            }
            Value::Mapping(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    walk(child, path, flat);
                    path.pop();
                }
            }
            leaf => {
                flat.insert(path.clone(), Entry::Leaf(leaf.clone()));
            }
        }
    }
    let mut flat = Flat::new();
    walk(value, &mut Vec::new(), &mut flat);
    flat
}

/// The expected merge of `layers`, highest priority first, as leaves.
pub fn expected(layers: &[&Value]) -> Flat {
    let mut result = Flat::new();
    // Over the layers seen so far: paths holding a non-map, and every path with something at
    // or below it.
    let mut leaves: HashSet<Path> = HashSet::new();
    let mut occupied: HashSet<Path> = HashSet::new();
    for layer in layers {
        let flat = flatten(layer);
        for (path, entry) in &flat {
            let replaced_above = (0..=path.len()).any(|end| leaves.contains(&path[..end]));
            if !replaced_above && !occupied.contains(path) {
                result.insert(path.clone(), entry.clone());
            }
        }
        for (path, entry) in flat {
            for end in 0..=path.len() {
                occupied.insert(path[..end].to_vec());
            }
            if let Entry::Leaf(_) = entry {
                leaves.insert(path);
            }
        }
    }
    // An empty map that received entries from a lower layer is no longer empty.
    let filled: Vec<Path> = result
        .iter()
        .filter(|(path, entry)| {
            **entry == Entry::EmptyMap
                && result.keys().any(|other| other.len() > path.len() && other[..path.len()] == path[..])
        })
        .map(|(path, _)| path.clone())
        .collect();
    for path in filled {
        result.remove(&path);
    }
    result
}
